//! Check-ins: receipts, the week view, undo, hints, the guided dialogue and reminders.

use std::fmt::Write as _;

use chrono_tz::Tz;

use super::{date, first_kind, moment, week_title, work_moment};
use crate::checkins::kinds::Kinds;
use crate::checkins::{Receipt, WeekView};
use crate::config::Config;
use crate::domain::Checkin;
use crate::week::Week;

pub fn receipt(r: &Receipt, kinds: &Kinds, config: &Config) -> String {
    let c = &r.checkin;
    // A repeat (Telegram redelivering, or a restart finishing the work) shows the same receipt:
    // the member sent the message once, and it is recorded once.
    let mut s = format!("✅ 已登记，编号 #{}\n", c.id);
    let _ = writeln!(s, "类型：{}", kinds.label(&c.kind));
    let _ = writeln!(s, "站点：{}", c.site_name.as_deref().unwrap_or("未指定"));
    let tz = config.timezone;
    match c.done_on {
        // Logged on a later day: both the day of the work and when it was logged.
        Some(d) if c.is_backdated(tz) => {
            let _ = writeln!(s, "活动日期：{}（补登）", date(d));
            let _ = writeln!(s, "登记时间：{}", moment(c.logged_at, tz));
        }
        _ => {
            let _ = writeln!(s, "时间：{}", moment(c.counts_at, tz));
        }
    }
    if let Some(n) = c.people_served {
        let _ = writeln!(s, "服务人数：{n} 人");
    }
    if c.photo_file_id.is_some() {
        let _ = writeln!(s, "照片：已保存");
    }
    if c.location.is_some() {
        let _ = writeln!(s, "位置：已保存");
    }
    let _ = write!(
        s,
        "{}年第{}周您已登记 {} 次。\n如有误，{} 小时内可发送「撤销」撤销。",
        r.week.year(),
        r.week.number(),
        r.week_count,
        config.undo_window.num_hours()
    );
    s
}

pub fn undone(c: &Checkin, kinds: &Kinds, tz: Tz) -> String {
    format!(
        "已撤销 #{}（{} · {}）。\n记录仍会保留，但不再计入统计。",
        c.id,
        kinds.label(&c.kind),
        work_moment(c, tz)
    )
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        let mut short: String = flat.chars().take(max).collect();
        short.push('…');
        short
    } else {
        flat
    }
}

pub fn week_view(v: &WeekView, tz: Tz) -> String {
    let mut s = format!("📅 {}{}\n", if v.is_current { "本周 · " } else { "" }, week_title(v.week));
    if v.items.is_empty() {
        s.push_str("这一周没有登记活动。");
        if v.is_current {
            s.push_str("\n做完活动后，发送「登记」即可登记。");
        }
        return s;
    }
    let counts = v.counts.iter().map(|(k, n)| format!("{} {}", k.label, n)).collect::<Vec<_>>().join(" · ");
    let _ = writeln!(s, "共 {} 次：{}", v.items.len(), counts);
    if v.people_served > 0 {
        let _ = writeln!(s, "服务群众 {} 人", v.people_served);
    }
    for c in &v.items {
        let label =
            v.counts.iter().find(|(k, _)| k.key == c.kind).map_or(c.kind.as_str(), |(k, _)| k.label.as_str());
        let _ = write!(
            s,
            "\n#{} {} · {} · {}\n    {}",
            c.id,
            match c.is_backdated(tz) {
                true => format!("{}（{} 补登）", work_moment(c, tz), moment(c.logged_at, tz)),
                false => work_moment(c, tz),
            },
            label,
            c.site_name.as_deref().unwrap_or("未指定站点"),
            one_line(&c.description, 80)
        );
        if c.photo_file_id.is_some() {
            s.push_str(" 📷");
        }
        if c.location.is_some() {
            s.push_str(" 📍");
        }
    }
    s
}

pub fn text_hint(kinds: &Kinds) -> String {
    format!(
        "您想登记活动吗？请发送「登记」按步骤登记，或直接发送：\n{} 为居民宣讲社保政策\n发送「帮助」可查看全部命令。",
        first_kind(kinds)
    )
}

pub fn photo_needs_caption(kinds: &Kinds) -> String {
    format!(
        "收到照片。要用照片登记活动，请在照片说明里写明类型和内容，例如「#{} 看望五保户」；\
         或者先发送「登记」，在步骤中附上照片。",
        kinds.all().last().map_or("送温暖", |k| k.label.as_str())
    )
}

pub fn location_hint() -> String {
    "位置请在分步登记时附上：请先发送「登记」，按提示操作即可。".into()
}

pub const BUTTON_NEXT: &str = "下一步";

pub const BUTTON_CONFIRM: &str = "✅ 确认登记";

pub const BUTTON_CANCEL: &str = "取消";

pub fn wizard_kind() -> String {
    format!("开始登记（随时可发送「取消」退出）。\n{}", wizard_pick_kind())
}

pub fn wizard_pick_kind() -> &'static str {
    "请选择活动类型："
}

pub fn wizard_site(kind: &str) -> String {
    format!("类型：{kind}\n请选择站点：")
}

pub const BUTTON_TODAY: &str = "今天";
pub const BUTTON_YESTERDAY: &str = "昨天";
pub const BUTTON_DAY_BEFORE: &str = "前天";
pub const BUTTON_OTHER_DAY: &str = "其他日期";

/// How a day-of-the-work button reads, by how many days ago it is.
pub fn days_ago_label(n: u8) -> &'static str {
    match n {
        0 => BUTTON_TODAY,
        1 => BUTTON_YESTERDAY,
        _ => BUTTON_DAY_BEFORE,
    }
}

pub fn wizard_describe(kind: &str, site: Option<&str>, day: Option<&str>) -> String {
    let day = day.map(|d| format!("活动日期：{d}\n")).unwrap_or_default();
    format!(
        "类型：{kind}\n站点：{}\n{day}请用一段文字说明做了什么（可写上人数，如“服务12人”）。\n\
         不是今天做的？可点下方的日期，或在内容前写上，如「昨天 帮独居老人买药」。",
        site.unwrap_or("未指定")
    )
}

pub fn wizard_ask_day(backdate_days: u32) -> String {
    format!("请发送活动日期，例如 周五、11月28日、2026-11-28（可登记最近 {backdate_days} 天内的活动）。")
}

pub fn wizard_extras(has_photo: bool, has_location: bool) -> String {
    let mut s = String::new();
    match (has_photo, has_location) {
        (false, false) => s.push_str(
            "已记下内容。\n如需要，可以再发送一张照片和/或位置作为记录（可选）；不需要就点「下一步」。",
        ),
        (true, false) => s.push_str("已收到照片。还可以发送位置，或点「下一步」。"),
        (false, true) => s.push_str("已收到位置。还可以发送照片，或点「下一步」。"),
        (true, true) => s.push_str("照片和位置都已收到，请点「下一步」。"),
    }
    s
}

pub struct DraftSummary<'a> {
    pub kind: &'a str,
    pub site: Option<&'a str>,
    pub description: &'a str,
    pub people_served: Option<u32>,
    pub has_photo: bool,
    pub has_location: bool,
    /// The day of the work, when one was chosen.
    pub day: Option<String>,
}

pub fn wizard_confirm(d: &DraftSummary<'_>) -> String {
    let mut s = format!(
        "请确认：\n类型：{}\n站点：{}\n内容：{}\n",
        d.kind,
        d.site.unwrap_or("未指定"),
        d.description
    );
    if let Some(day) = &d.day {
        let _ = writeln!(s, "活动日期：{day}");
    }
    if let Some(n) = d.people_served {
        let _ = writeln!(s, "服务人数：{n} 人");
    }
    let _ = write!(
        s,
        "照片：{}　位置：{}",
        if d.has_photo { "有" } else { "无" },
        if d.has_location { "有" } else { "无" }
    );
    s
}

pub fn wizard_photo_needs_text() -> String {
    "已收到照片。请再发一段文字，说明做了什么。".into()
}

pub fn wizard_cancelled() -> String {
    "已取消本次登记，没有保存任何内容。".into()
}

pub fn wizard_button_expired() -> String {
    "这个选项已失效。发送「登记」重新开始登记。".into()
}

pub fn wizard_expect_extras() -> String {
    "这一步可以发送照片或位置；不需要的话，请点「下一步」。".into()
}

pub fn wizard_expect_confirm() -> String {
    "请点击「确认登记」完成（也可以回复「确认登记」），或发送「取消」退出。".into()
}

pub fn wizard_recorded_short() -> String {
    "已登记".into()
}

pub fn remind_status(on: bool) -> String {
    if on {
        "每周打卡提醒：已开启（仅在所在单位启用提醒时发送）。\n发送「提醒 关」可关闭。".into()
    } else {
        "每周打卡提醒：已关闭。发送「提醒 开」可重新开启。".into()
    }
}

pub fn remind_changed(on: bool) -> String {
    if on {
        "好的，已开启每周打卡提醒。".into()
    } else {
        "好的，已关闭每周打卡提醒，今后不会再收到。需要时发送「提醒 开」重新开启。".into()
    }
}

/// The gentle weekly reminder: a reminder, not an obligation.
pub fn checkin_reminder(week: Week) -> String {
    format!(
        "温馨提醒：{}您还没有登记三送活动。如果本周开展了走访、宣讲或服务，可以发送「登记」补充登记；没有开展也没关系，不必为登记而登记。\n\n这只是提醒，不作考核。不想再收到，请发送「提醒 关」。",
        week_title(week)
    )
}

/// Under options shown as links (DingTalk): typing works too.
pub const TYPED_OPTIONS_HINT: &str = "（点选项，或回复序号）";

/// A tapped option of an older message (a newer one has its own options now).
pub fn option_expired() -> String {
    "这个选项已过期：请使用最新一条消息中的选项，或直接回复序号。".into()
}
