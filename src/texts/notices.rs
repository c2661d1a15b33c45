//! Notices: what members see on them (buttons, reminders, acknowledgements), the composer's
//! prompts and buttons, the list, and receipts.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{fire_time, full_moment, link_label, role_label};
use crate::domain::{Platform, Role};

pub const BUTTON_ACK: &str = "收到";

pub const BUTTON_ACKED: &str = "✓ 已确认";

pub const BUTTON_SPREAD: &str = "去宣讲";

/// A reminder of an unacknowledged notice: gentle, with the start of the notice.
pub fn notice_reminder(body: &str) -> String {
    let excerpt: String = body.chars().take(200).collect();
    let more = if body.chars().count() > 200 { "……" } else { "" };
    format!("温馨提醒：这条通知您还没有点「收到」，看到后请点一下，谢谢。\n\n{excerpt}{more}")
}

pub fn ack_recorded() -> String {
    "已确认收到，谢谢。".into()
}

pub fn ack_already() -> String {
    "您已经确认过了，无需再点。".into()
}

/// A typed 「收到」 acknowledged this notice (its first line, shortened, says which).
pub fn ack_typed(body: &str) -> String {
    let first = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut title: String = first.chars().take(30).collect();
    if first.chars().count() > 30 {
        title.push('…');
    }
    format!("已确认收到通知「{title}」，谢谢。")
}

/// A typed 「收到」 with no notice waiting for it.
pub fn ack_nothing_waiting() -> String {
    "目前没有需要确认收到的通知。".into()
}

/// A notice's preview where the platform cannot show the picture or file again.
pub fn media_in_preview(kind: crate::notices::MediaKind) -> &'static str {
    match kind {
        crate::notices::MediaKind::Photo => "（附上面这张图片，发布后随通知一并发出。）",
        crate::notices::MediaKind::Document => "（附上面这个文件，发布后随通知一并发出。）",
    }
}

/// The names a notice's picture or file goes by when its platform gives it none.
pub const PICTURE_FILE_NAME: &str = "图片.jpg";
pub const FILE_NAME: &str = "附件";

/// What a 「收到」 link on a notice sends back: the word and the notice's number (no space,
/// which a link's query would carry as `+`).
pub fn ack_answer(notice_id: i64) -> String {
    format!("{BUTTON_ACK}#{notice_id}")
}

/// 「收到 #12」 for a notice already acknowledged.
pub fn ack_already_for(notice_id: i64) -> String {
    format!("您已确认收到通知 #{notice_id}，无需再次确认。")
}

/// 「收到 #12」 for a notice that did not reach this person or does not ask for 「收到」.
pub fn ack_no_such(notice_id: i64) -> String {
    format!("没有找到发给您、需要确认收到的通知 #{notice_id}。发送「收到」可确认最新一条通知。")
}

/// A picture or file sent as a notice on a platform whose files cannot be passed on.
pub fn compose_media_not_here() -> String {
    "这里发送的图片或文件暂时不能作为通知附件转发给所有人。请只发送通知的文字内容，附件可另行发放。".into()
}

pub fn ack_not_found() -> String {
    "这条通知不是发给您的，或已失效。".into()
}

pub const BUTTON_PUBLISH: &str = "✅ 确认发布";

pub fn compose_content() -> String {
    "发布通知（随时可发送「取消」退出）。\n请发送通知内容：一段文字，或带说明文字的照片/文件。".into()
}

pub fn compose_audience(unit: &str, role: Role) -> String {
    if role == Role::Admin {
        "通知发给谁？".into()
    } else {
        format!("通知发给谁？（组织员可向本单位「{unit}」发送）")
    }
}

pub fn compose_pick(what: &str) -> String {
    format!("请选择{what}（可多选），选好后点「完成」：")
}

pub fn compose_choose_one() -> String {
    "请至少选择一项。".into()
}

pub fn compose_when() -> String {
    "什么时候发送？点「立即发送」，或发送时间，例如：\n\
     2026-12-01 09:00（一次）\n每天 08:30、每周一 09:00、每月1日 09:00、每个工作日 09:00\n\
     或 cron 表达式，如 0 9 * * 1（分 时 日 月 周，周日为 0 或 7）"
        .into()
}

pub fn compose_options() -> String {
    "选项（点击切换），然后点「预览」：".into()
}

pub fn compose_cancelled() -> String {
    "已取消，这条通知没有发布。".into()
}

pub fn wizard_button_expired_notice() -> String {
    "这个选项已失效。发送「通知」重新开始。".into()
}

pub fn preview_button() -> String {
    "这是预览：成员收到的通知上才能点这个按钮。".into()
}

pub fn notice_published_short() -> String {
    "已发布".into()
}

/// How a schedule reads: once times in the zone, recurring ones as written.
pub fn schedule_label(schedule: &crate::notices::Schedule, tz: Tz) -> String {
    match schedule {
        crate::notices::Schedule::Once { at } => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        other => other.to_string(),
    }
}

pub struct NoticeSummary<'a> {
    pub audience: &'a str,
    pub size: i64,
    pub schedule: &'a str,
    pub next: &'a [DateTime<Utc>],
    pub ack: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind: bool,
    pub remind_hours: i64,
    pub has_pinyin: bool,
    pub using_cleaned: bool,
    pub quiet: Option<String>,
    pub tz: Tz,
    /// The schedule's times have seconds (a 6-field cron expression).
    pub seconds: bool,
}

/// The composer's reminder toggle.
pub fn remind_option(hours: i64) -> String {
    format!("未确认的成员 {hours} 小时后提醒一次")
}

pub fn compose_summary(s: &NoticeSummary<'_>) -> String {
    let mut text = format!(
        "预览如上，这就是成员将收到的消息。\n受众：{}（现有 {} 人）\n发送：{}\n",
        s.audience, s.size, s.schedule
    );
    if !s.next.is_empty() {
        let times: Vec<String> = s.next.iter().map(|t| fire_time(*t, s.tz, s.seconds)).collect();
        let _ =
            writeln!(text, "接下来{}：{}", if s.next.len() > 1 { "三次" } else { "一次" }, times.join("；"));
    }
    let mut options = Vec::new();
    if s.ack {
        options.push("需确认");
    }
    let remind = format!("未确认者{}小时后提醒一次", s.remind_hours);
    if s.remind {
        options.push(&remind);
    }
    if s.policy {
        options.push("政策材料（可「去宣讲」）");
    }
    if s.urgent {
        options.push("紧急");
    }
    let _ = writeln!(text, "选项：{}", if options.is_empty() { "无".to_owned() } else { options.join("、") });
    if let (Some(q), false) = (&s.quiet, s.urgent) {
        let _ = writeln!(text, "落在免打扰时段（{q}）的发送会顺延到时段结束。");
    }
    if s.has_pinyin {
        text.push_str(if s.using_cleaned {
            "已使用清理后的文本（去掉拼音注音、转为简体）。\n"
        } else {
            "内容里有拼音注音（如「發(fā)展」），可以改用清理后的文本。\n"
        });
    }
    text.push_str("确认无误请点「确认发布」。");
    text
}

pub fn notice_published(n: &crate::notices::Notice, tz: Tz) -> String {
    match n.next_fire_at {
        Some(t) => format!(
            "已发布通知 #{}。下次发送：{}。\n发送「回执 {}」查看送达和确认情况。",
            n.id,
            fire_time(t, tz, n.schedule.has_seconds()),
            n.id
        ),
        None => format!("已发布通知 #{}。", n.id),
    }
}

pub fn status_label(s: crate::notices::NoticeStatus) -> &'static str {
    match s {
        crate::notices::NoticeStatus::Active => "进行中",
        crate::notices::NoticeStatus::Paused => "已暂停",
        crate::notices::NoticeStatus::Cancelled => "已取消",
        crate::notices::NoticeStatus::Finished => "已发完",
    }
}

pub fn notice_list(notices: &[(&crate::notices::Notice, String)], tz: Tz) -> String {
    if notices.is_empty() {
        return "还没有通知。发送「通知」发布一条。".into();
    }
    let mut s = String::from("通知（最新在前）：\n");
    for (n, audience) in notices {
        let first_line: String = n.body.lines().next().unwrap_or("").chars().take(30).collect();
        let _ = write!(
            s,
            "\n#{} [{}] {}\n    {} → {}",
            n.id,
            status_label(n.status),
            first_line,
            schedule_label(&n.schedule, tz),
            audience
        );
        if let (Some(t), crate::notices::NoticeStatus::Active | crate::notices::NoticeStatus::Paused) =
            (n.next_fire_at, n.status)
        {
            let _ = write!(s, "\n    下次：{}", fire_time(t, tz, n.schedule.has_seconds()));
        }
        if n.ack {
            s.push_str(" · 需确认");
        }
    }
    s.push_str("\n\n发送「回执 编号」查看送达和确认情况。");
    s
}

pub fn notice_status_changed(n: &crate::notices::Notice) -> String {
    format!("通知 #{} {}", n.id, status_label(n.status))
}

pub fn receipts(n: &crate::notices::Notice, r: &crate::domain::RunReport, tz: Tz) -> String {
    let first_line: String = n.body.lines().next().unwrap_or("").chars().take(30).collect();
    let mut s = format!("通知 #{} {}\n", n.id, first_line);
    let Some(fired) = r.fired_at else {
        s.push_str("还没有发送过。");
        if let Some(t) = n.next_fire_at {
            let _ = write!(s, "下次发送：{}。", fire_time(t, tz, n.schedule.has_seconds()));
        }
        return s;
    };
    let _ = writeln!(s, "最近一次：{}", full_moment(fired, tz));
    if let Some(delay) = r.outage_delay {
        let _ = writeln!(s, "{}", run_delayed(&r.outage_platforms, delay.num_minutes().max(1)));
    }
    let _ = writeln!(s, "{}", run_totals(r));
    if n.ack {
        let _ = writeln!(s, "已确认 {} · 未确认 {}", r.acknowledged, r.not_acknowledged.len());
    }
    let group = |people: &[(String, String)]| {
        let mut out = String::new();
        let mut unit = "";
        for (name, u) in people {
            if u != unit {
                unit = u;
                let _ = write!(out, "\n  {u}：");
            } else {
                out.push('、');
            }
            out.push_str(name);
        }
        out
    };
    if !r.failed.is_empty() {
        s.push_str("发送失败：");
        for (name, unit, reason, platform) in &r.failed {
            let _ = write!(s, "\n  {unit} {name}（{}：{reason}）", super::platform_label(*platform));
        }
        s.push('\n');
    }
    if !r.blocked.is_empty() {
        let blocked: Vec<(String, String)> = r
            .blocked
            .iter()
            .map(|(name, unit, platform)| {
                (format!("{name}（{}）", super::platform_label(*platform)), unit.clone())
            })
            .collect();
        let _ = writeln!(s, "已屏蔽机器人或账号不可用：{}", group(&blocked));
    }
    if n.ack && !r.not_acknowledged.is_empty() {
        let _ = writeln!(s, "尚未确认：{}", group(&r.not_acknowledged));
    }
    if n.policy {
        let sites = if r.onward_sites.is_empty() { "—".to_owned() } else { r.onward_sites.join("、") };
        let _ = writeln!(s, "已去宣讲：{} 人；站点：{}", r.onward_members, sites);
    }
    s.trim_end().to_owned()
}

/// A run's figures in a line (the chat's `/receipts` and the console's 回执).
pub fn run_totals(r: &crate::domain::RunReport) -> String {
    format!(
        "目标 {} 人 · 已送达 {} · 待发送 {} · 失败 {} · 无法送达 {}",
        r.targeted,
        r.sent,
        r.pending,
        r.failed.len(),
        r.blocked.len()
    )
}

/// How long platform outages held a run up.
pub fn run_delayed(platforms: &[crate::domain::Platform], minutes: i64) -> String {
    let names: Vec<&str> = platforms.iter().map(|p| super::platform_label(*p)).collect();
    format!("因 {} 故障推迟约 {minutes} 分钟。", names.join("、"))
}

pub fn citing_notice(id: i64, body: &str) -> String {
    let excerpt: String = body.chars().take(40).collect();
    format!("登记宣讲通知 #{id}「{excerpt}」的情况（随时可发送「取消」退出）。")
}

// ---------------------------------------------------------------- the composer's and the list's buttons

pub const AUDIENCE_ALL: &str = "全体成员";
pub const AUDIENCE_UNITS: &str = "选择单位";
pub const AUDIENCE_LINKS: &str = "按联系类型";
pub const AUDIENCE_ROLES: &str = "按身份";
pub const AUDIENCE_OWN_UNIT: &str = "本单位全体";
pub const AUDIENCE_OWN_UNIT_ROLES: &str = "本单位按身份";
pub const BUTTON_DONE: &str = "完成";
pub const BUTTON_NOW: &str = "立即发送";
pub const BUTTON_PREVIEW: &str = "预览";
pub const BUTTON_ORIGINAL: &str = "改回原文";
pub const BUTTON_CLEANED: &str = "使用清理后的文本";
pub const OPTION_ACK: &str = "需确认（「收到」按钮）";
pub const OPTION_POLICY: &str = "政策材料（「去宣讲」按钮）";
pub const OPTION_URGENT: &str = "紧急（免打扰时段也发送）";
/// What is being picked, in 「请选择…（可多选）」.
pub const PICK_UNITS: &str = "单位";
pub const PICK_LINKS: &str = "联系类型";
pub const PICK_ROLES: &str = "身份";

/// A multiple-choice button, ticked or not.
pub fn tick(on: bool, label: &str) -> String {
    format!("{} {label}", if on { "☑" } else { "☐" })
}

pub fn manage_pause(id: i64) -> String {
    format!("暂停 #{id}")
}

pub fn manage_resume(id: i64) -> String {
    format!("恢复 #{id}")
}

pub fn manage_cancel(id: i64) -> String {
    format!("取消 #{id}")
}

/// An audience for people: `全体单位 · 全体成员`, `人社局、科工局 · 全体成员`, `联社区单位 · 组织员`.
pub fn audience(a: &crate::notices::AudienceNames) -> String {
    let mut parts: Vec<String> = Vec::new();
    if a.all {
        parts.push("全体单位".into());
    }
    if !a.units.is_empty() {
        parts.push(a.units.join("、"));
    }
    if !a.links.is_empty() {
        let links: Vec<&str> = a.links.iter().map(|l| link_label(*l)).collect();
        parts.push(format!("{}单位", links.join("、")));
    }
    let mut text = if parts.is_empty() { "全体单位".to_owned() } else { parts.join("，") };
    if a.roles.is_empty() {
        text.push_str(" · 全体成员");
    } else {
        let roles: Vec<&str> = a.roles.iter().map(|r| role_label(*r)).collect();
        let _ = write!(text, " · {}", roles.join("、"));
    }
    text
}

/// To a notice's creator after an outage held it up.
pub fn outage_delay(platform: Platform, notice_id: i64, body: &str, minutes: i64, pending: i64) -> String {
    let first_line: String = body.lines().next().unwrap_or("").chars().take(30).collect();
    let state = if pending == 0 {
        "现已全部送达。".to_owned()
    } else {
        format!("还有 {pending} 人待发送，会继续发送。")
    };
    format!(
        "您发布的通知 #{notice_id}「{first_line}」因 {} 故障推迟了约 {minutes} 分钟才发出：{state}\n发送「回执 {notice_id}」查看详情。",
        super::platform_label(platform)
    )
}
