//! Every sentence a person reads, in Simplified Chinese, in one place.
//!
//! Functions take typed data and return plain text (no HTML or Markdown, so nothing a member
//! types can break a message). Length limits are the sender's business (it splits long texts).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Utc, Weekday};
use chrono_tz::Tz;

use crate::chat::command::commands_for;
use crate::checkins::parse::MAX_DESCRIPTION_CHARS;
use crate::checkins::{Receipt, WeekView};
use crate::config::{Config, Kinds};
use crate::domain::{LinkKind, Role};
use crate::error::{Usage, UserError};
use crate::notices::ScheduleError;
use crate::org::{OrgProblem, OrgProblemKind};
use crate::store::{Checkin, Grouping, Invite, Member, MemberListing, MemberRef, OrgLoadReport, Site};
use crate::tally::{Period, Scope, Tally, TallyRow};
use crate::week::{Week, WeekError};

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Member => "党员",
        Role::Organiser => "组织员",
        Role::Admin => "管理员",
    }
}

pub fn link_label(link: LinkKind) -> &'static str {
    match link {
        LinkKind::Village => "联乡村",
        LinkKind::Community => "联社区",
        LinkKind::Enterprise => "联企业",
        LinkKind::Chamber => "联商会",
    }
}

fn weekday_label(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// `11月24日 周二 10:30` on the zone's wall clock.
pub fn moment(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    format!(
        "{}月{}日 {} {}",
        local.month(),
        local.day(),
        weekday_label(local.weekday()),
        local.format("%H:%M")
    )
}

/// `11月24日`.
pub fn day(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    format!("{}月{}日", local.month(), local.day())
}

/// `2026年第48周（11月23日—11月29日）`.
pub fn week_title(week: Week) -> String {
    let (mon, sun) = (week.monday(), week.sunday());
    format!(
        "{}年第{}周（{}月{}日—{}月{}日）",
        week.year(),
        week.number(),
        mon.month(),
        mon.day(),
        sun.month(),
        sun.day()
    )
}

fn kinds_list(kinds: &Kinds) -> String {
    kinds.all().iter().map(|k| k.label.as_str()).collect::<Vec<_>>().join("、")
}

fn first_kind(kinds: &Kinds) -> &str {
    kinds.all().first().map_or("送政策", |k| k.label.as_str())
}

// ---------------------------------------------------------------- registration and help

pub fn not_registered() -> String {
    "您好！您还没有加入“三送”活动登记。\n\
     请向本单位的组织员或管理员索取邀请链接，点开链接即可加入。"
        .into()
}

pub fn start_without_code() -> String {
    format!("欢迎使用“三送”活动登记助手。\n\n{}", not_registered())
}

pub fn deactivated() -> String {
    "您的账号已停用，暂时不能登记。如有疑问，请联系本单位管理员。".into()
}

fn command_summary(name: &str, kinds: &Kinds) -> String {
    match name {
        "checkin" => format!("登记一次活动（{}）", kinds_list(kinds)),
        "week" => "查看本周的登记（/week last 查看上周）".into(),
        "undo" => "撤销最近一次登记".into(),
        "cancel" => "退出正在进行的分步登记".into(),
        "help" => "查看帮助".into(),
        "invite" => "生成邀请链接".into(),
        "members" => "查看成员名单".into(),
        "notice" => "发布通知（立即、定时或定期）".into(),
        "notices" => "查看和管理已发布的通知".into(),
        "receipts" => "查看通知的送达和确认情况".into(),
        "remind" => "开启或关闭每周打卡提醒".into(),
        "tally" => "本周统计（/tally last 上周；by:member 按成员）".into(),
        "missing" => "本周尚无登记的成员（/missing sites 看站点）".into(),
        "export" => "导出登记记录（Excel；/export csv 导出 CSV）".into(),
        "promote" => "提升成员身份（/promote 姓名 [organiser|admin]）".into(),
        "demote" => "降低成员身份（/demote 姓名）".into(),
        "deactivate" => "停用成员：保留记录，不再发通知".into(),
        "activate" => "重新启用已停用的成员".into(),
        other => other.into(),
    }
}

/// The short description of each command, for Telegram's command menu.
pub fn menu_entries(role: Role, kinds: &Kinds) -> Vec<(&'static str, String)> {
    commands_for(role).map(|c| (c.name, command_summary(c.name, kinds))).collect()
}

/// What someone with `role` may do: exactly the commands the core lets them use.
pub fn help(role: Role, kinds: &Kinds) -> String {
    let mut s = String::from("可用的命令：\n");
    for c in commands_for(role) {
        let _ = writeln!(s, "/{} — {}", c.name, command_summary(c.name, kinds));
    }
    let _ = write!(
        s,
        "\n快速登记：\n/checkin {} 为社区居民宣讲社保政策\n\
         也可以发送带说明的照片，如「#{} 看望五保户」。\n\
         只发送 /checkin 可按步骤登记。照片和位置都不是必需的。",
        first_kind(kinds),
        kinds.all().last().map_or("送温暖", |k| k.label.as_str()),
    );
    s
}

fn site_names(sites: &[Site]) -> String {
    if sites.is_empty() {
        "暂未设置".into()
    } else {
        sites.iter().map(|s| format!("{}（{}）", s.name, link_label(s.link))).collect::<Vec<_>>().join("、")
    }
}

pub fn welcome(member: &Member, sites: &[Site], kinds: &Kinds) -> String {
    format!(
        "欢迎您，{}！\n您已加入「{}」，身份：{}。\n联点站点：{}\n\n{}",
        member.name,
        member.unit_name,
        role_label(member.role),
        site_names(sites),
        help(member.role, kinds)
    )
}

pub fn status(member: &Member, sites: &[Site], week_count: i64, kinds: &Kinds) -> String {
    format!(
        "{}，您好！您已是「{}」的{}。\n联点站点：{}\n本周已登记 {} 次。\n\n{}",
        member.name,
        member.unit_name,
        role_label(member.role),
        site_names(sites),
        week_count,
        help(member.role, kinds)
    )
}

// ---------------------------------------------------------------- check-ins

pub fn receipt(r: &Receipt, kinds: &Kinds, config: &Config) -> String {
    let c = &r.checkin;
    // A repeat (Telegram redelivering, or a restart finishing the work) shows the same receipt:
    // the member sent the message once, and it is recorded once.
    let mut s = format!("✅ 已登记，编号 #{}\n", c.id);
    let _ = writeln!(s, "类型：{}", kinds.label(&c.kind));
    let _ = writeln!(s, "站点：{}", c.site_name.as_deref().unwrap_or("未指定"));
    let _ = writeln!(s, "时间：{}", moment(c.sent_at, config.timezone));
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
        "{}年第{}周您已登记 {} 次。\n如有误，{} 小时内可发送 /undo 撤销。",
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
        moment(c.sent_at, tz)
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
            s.push_str("\n做完活动后，发送 /checkin 即可登记。");
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
            moment(c.sent_at, tz),
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
        "您想登记活动吗？请发送 /checkin 按步骤登记，或直接发送：\n/checkin {} 为居民宣讲社保政策\n发送 /help 可查看全部命令。",
        first_kind(kinds)
    )
}

pub fn photo_needs_caption(kinds: &Kinds) -> String {
    format!(
        "收到照片。要用照片登记活动，请在照片说明里写明类型和内容，例如「#{} 看望五保户」；\
         或者先发送 /checkin，在步骤中附上照片。",
        kinds.all().last().map_or("送温暖", |k| k.label.as_str())
    )
}

pub fn location_hint() -> String {
    "位置请在分步登记时附上：请先发送 /checkin，按提示操作即可。".into()
}

pub fn unsupported_message() -> String {
    "抱歉，暂时处理不了这类消息。请发送 /help 查看我能做什么。".into()
}

pub fn unknown_command(name: &str) -> String {
    format!("抱歉，没有 /{name} 这个命令。请发送 /help 查看可用的命令。")
}

pub fn private_only(bot_username: Option<&str>) -> String {
    match bot_username {
        Some(u) => format!("为保护个人信息，登记和查询请私聊我：https://t.me/{u}"),
        None => "为保护个人信息，登记和查询请私聊我。".into(),
    }
}

pub fn nothing_to_cancel() -> String {
    "您当前没有进行中的登记，无需取消。".into()
}

pub fn slow_down(window_secs: i64) -> String {
    format!("您发送得太快了，请稍等 {window_secs} 秒再继续。刚才超出的消息没有处理，如有登记请稍后重新发送。")
}

pub fn sorry() -> String {
    "抱歉，系统出了点问题，这次操作没有完成。请稍后再试；如果一直不行，请联系管理员。".into()
}

// ---------------------------------------------------------------- guided check-in

pub const BUTTON_NEXT: &str = "下一步";
pub const BUTTON_CONFIRM: &str = "✅ 确认登记";
pub const BUTTON_CANCEL: &str = "取消";

pub fn wizard_kind() -> String {
    "开始登记（随时可发送 /cancel 退出）。\n请选择活动类型：".into()
}

pub fn wizard_site(kind: &str) -> String {
    format!("类型：{kind}\n请选择站点：")
}

pub fn wizard_describe(kind: &str, site: Option<&str>) -> String {
    format!(
        "类型：{kind}\n站点：{}\n请用一段文字说明做了什么（可写上人数，如“服务12人”）。",
        site.unwrap_or("未指定")
    )
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
}

pub fn wizard_confirm(d: &DraftSummary<'_>) -> String {
    let mut s = format!(
        "请确认：\n类型：{}\n站点：{}\n内容：{}\n",
        d.kind,
        d.site.unwrap_or("未指定"),
        d.description
    );
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
    "这个按钮已失效。发送 /checkin 重新开始登记。".into()
}

pub fn wizard_use_buttons() -> String {
    "请点击上方的按钮选择，或发送 /cancel 退出登记。".into()
}

pub fn wizard_expect_extras() -> String {
    "这一步可以发送照片或位置；不需要的话，请点「下一步」。".into()
}

pub fn wizard_expect_confirm() -> String {
    "请点击「确认登记」完成，或发送 /cancel 退出。".into()
}

pub fn wizard_recorded_short() -> String {
    "已登记".into()
}

// ---------------------------------------------------------------- organisers and admins

pub fn invite_created(invite: &Invite, link: Option<&str>, tz: Tz) -> String {
    let head = format!(
        "邀请已生成：{} · {} · 可用 {} 次 · {} 前有效",
        invite.unit_name,
        role_label(invite.role),
        invite.max_uses,
        moment(invite.expires_at, tz)
    );
    match link {
        Some(link) => format!("{head}\n{link}\n\n请只发给需要加入的人。"),
        None => format!("{head}\n邀请码：{}\n（加入的人私聊机器人发送 /start {}）", invite.code, invite.code),
    }
}

pub fn member_list(listings: &[MemberListing], tz: Tz) -> String {
    if listings.is_empty() {
        return "还没有成员。".into();
    }
    let mut s = String::new();
    let mut unit = "";
    for l in listings {
        let m = &l.member;
        if m.unit_name != unit {
            unit = &m.unit_name;
            let n = listings.iter().filter(|x| x.member.unit_name == unit).count();
            if !s.is_empty() {
                s.push('\n');
            }
            let _ = writeln!(s, "「{unit}」{n} 人：");
        }
        let last =
            l.last_checkin_at.map_or_else(|| "尚无登记".to_owned(), |t| format!("最近登记 {}", day(t, tz)));
        let inactive = if m.status == crate::domain::MemberStatus::Inactive { "，已停用" } else { "" };
        let _ = writeln!(s, "· {}（{}{}）{}", m.name, role_label(m.role), inactive, last);
    }
    s.trim_end().to_owned()
}

// ---------------------------------------------------------------- errors

pub fn user_error(e: &UserError, config: &Config, bot_username: Option<&str>) -> String {
    let kinds = &config.kinds;
    match e {
        UserError::NotRegistered => not_registered(),
        UserError::Deactivated => deactivated(),
        UserError::InviteUnknown => "这个邀请码无效。请确认链接完整，或向组织员索取新的邀请链接。".into(),
        UserError::InviteExpired => "这个邀请链接已过期。请向组织员索取新的邀请链接。".into(),
        UserError::InviteUsedUp => "这个邀请链接的名额已经用完。请向组织员索取新的邀请链接。".into(),
        UserError::Forbidden { needed } => {
            format!("抱歉，这项功能仅限{}使用。", role_label(*needed))
        }
        UserError::OtherUnit => "抱歉，您只能管理本单位的事务。".into(),
        UserError::InviteRoleTooHigh => {
            "组织员只能邀请本单位的党员；邀请组织员或管理员，请联系管理员。".into()
        }
        UserError::UnknownUnit { name, candidates } if candidates.is_empty() => {
            format!("抱歉，没有找到单位「{name}」，请核对名称。")
        }
        UserError::UnknownUnit { name, candidates } => {
            format!("「{name}」可能指多个单位：{}。请写出完整的单位名称。", candidates.join("、"))
        }
        UserError::PrivateOnly => private_only(bot_username),
        UserError::EmptyCheckin => format!(
            "请写明活动类型和内容，例如：\n/checkin {} 为社区居民宣讲社保政策\n\n只发送 /checkin 可以按步骤登记。",
            first_kind(kinds)
        ),
        UserError::UnknownKind(word) => format!(
            "没有识别出活动类型「{word}」。请以 {} 开头，例如：\n/checkin {} 帮助办理社保卡",
            kinds_list(kinds),
            kinds.all().get(1).or(kinds.all().first()).map_or("送服务", |k| k.label.as_str())
        ),
        UserError::MissingDescription => format!(
            "请简要写明做了什么，例如：\n/checkin {} 看望五保户",
            kinds.all().last().map_or("送温暖", |k| k.label.as_str())
        ),
        UserError::DescriptionTooLong(n) => {
            format!("内容有 {n} 个字，超过了 {MAX_DESCRIPTION_CHARS} 字的上限。请精简后再发送。")
        }
        UserError::UnknownSite { name, choices } if choices.is_empty() => {
            format!("抱歉，没有找到站点「{name}」：本单位尚未设置联点站点，请联系管理员。")
        }
        UserError::UnknownSite { name, choices } => {
            format!("抱歉，本单位没有名为「{name}」的联点站点。请从以下站点中选择：{}", choices.join("、"))
        }
        UserError::AmbiguousSite { name, choices } => {
            format!("「{name}」可能指多个站点：{}。请写得完整一些。", choices.join("、"))
        }
        UserError::SiteRequired { choices } => format!(
            "本单位有多个联点站点，请用 @站点名 指明，例如 @{}。\n可选：{}",
            choices.first().map_or("站点", String::as_str),
            choices.join("、")
        ),
        UserError::NothingToUndo => "您目前没有可以撤销的登记。".into(),
        UserError::UndoTooOld(id) => format!(
            "抱歉，#{id} 已超过 {} 小时，不能再撤销。如确有错误，请联系管理员处理。",
            config.undo_window.num_hours()
        ),
        UserError::NotYourCheckin(id) => {
            format!("抱歉，没有找到您编号为 #{id} 的登记（只能撤销自己的登记）。请发送 /week 查看本周登记。")
        }
        UserError::AlreadyUndone(id) => {
            format!("#{id} 已经撤销过了，无需再次撤销。请发送 /week 查看本周登记。")
        }
        UserError::EmptyNotice => "通知内容不能为空，请发送通知的文字，或带说明的照片/文件。".into(),
        UserError::NoticeTooLong { limit, length, caption } => format!(
            "抱歉，{}有 {length} 个字符，超过了 Telegram {limit} 个字符的上限。请精简后重新发送，不会被自动截断。",
            if *caption { "照片或文件的说明" } else { "通知" }
        ),
        UserError::EmptyAudience => "请选择通知发给谁。".into(),
        UserError::BadSchedule(e) => schedule_error(e),
        UserError::NoSuchNotice(id) => {
            format!("抱歉，没有找到您可以查看的通知 #{id}。请发送 /notices 查看。")
        }
        UserError::NoticeClosed(id) => {
            format!("通知 #{id} 已取消或已发完，无需再操作。请发送 /notices 查看。")
        }
        UserError::Week(WeekError::NoSuchWeek { year, week, weeks }) => {
            format!("{year} 年只有 {weeks} 周，没有第 {week} 周，请重新输入。")
        }
        UserError::Week(WeekError::NoSuchDate(d)) => format!("「{d}」不是有效的日期，请重新输入。"),
        UserError::Week(WeekError::Unrecognised(w)) => format!(
            "抱歉，没看懂要查哪一周（「{w}」）。请这样写：\n/week（本周）、/week last（上周）、/week 2026-W47、/week 2026-11-18"
        ),
        UserError::NoSuchMember(name) => {
            format!("抱歉，没有找到您可以管理的成员「{name}」。请发送 /members 查看名单。")
        }
        UserError::NotYourself => "不能更改自己的身份或状态，请另一位管理员操作。".into(),
        UserError::RoleUnchanged { name, role } => {
            format!("{name} 现在是{}，无需更改。", role_label(*role))
        }
        UserError::StatusUnchanged { name, active } => {
            format!("{name} 已经是{}状态，无需更改。", if *active { "在用" } else { "停用" })
        }
        UserError::ExportTooLarge { records } => format!(
            "这段时间共有 {records} 条记录，超过了 Excel 一张表的上限。请缩短日期范围，或改用 /export csv。"
        ),
        UserError::RangeTooLong { days } => format!(
            "在对话中一次最多导出 {days} 天的记录，请缩短日期范围，或由管理员用命令行 sansong export 导出。"
        ),
        UserError::BadArgument { given, usage } => {
            let form = match usage {
                Usage::Undo => "/undo（撤销最近一次）或 /undo 12（撤销编号 #12）",
                Usage::Invite => "/invite [单位] [member|organiser|admin] [次数，如 10次] [有效期，如 7d]",
                Usage::InviteUses => "邀请可用次数为 1 到 10000 次，如 /invite 10次",
                Usage::InviteExpiry => "有效期最长 366 天，如 /invite 7d、/invite 12h",
                Usage::Receipts => "/receipts 通知编号，如 /receipts 3（编号见 /notices）",
                Usage::Tally => {
                    "/tally [周，如 last、2026-W47、2026-11-18] [unit:单位] [by:member|site|link]"
                }
                Usage::Missing => "/missing [周]；/missing sites [周] [送政策|送服务|送温暖]",
                Usage::Export => "/export [csv] [周，或 2026-11-01..2026-11-30] [unit:单位]",
                Usage::Remind => "/remind on（开启提醒）或 /remind off（关闭提醒）",
                Usage::Roles => {
                    "/promote 姓名 [organiser|admin]、/demote 姓名、/deactivate 姓名、/activate 姓名"
                }
            };
            format!("抱歉，「{given}」看不懂。请这样写：\n{form}")
        }
    }
}

fn schedule_error(e: &ScheduleError) -> String {
    let forms = "请这样写：立即；2026-12-01 09:00；每天 08:30；每周一 09:00；每月1日 09:00；每个工作日 09:00；\n或 cron 表达式，如 0 9 * * 1（分 时 日 月 周，周日为 0 或 7）";
    match e {
        ScheduleError::Empty => format!("请写明什么时候发送。{forms}"),
        ScheduleError::InThePast(t) => format!("「{t}」已经过去了，请选择以后的时间。"),
        ScheduleError::BadTime(t) => format!("抱歉，「{t}」不是有效的时间。{forms}"),
        ScheduleError::BadCron { expr, reason } => {
            format!("抱歉，cron 表达式「{expr}」有误：{reason}。\n{forms}")
        }
        ScheduleError::Unrecognised(t) => format!("抱歉，没看懂「{t}」。{forms}"),
    }
}

// ---------------------------------------------------------------- notices for members

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

pub fn ack_not_found() -> String {
    "这条通知不是发给您的，或已失效。".into()
}

// ---------------------------------------------------------------- composing notices

pub const BUTTON_PUBLISH: &str = "✅ 确认发布";

pub fn compose_content() -> String {
    "发布通知（随时可发送 /cancel 退出）。\n请发送通知内容：一段文字，或带说明文字的照片/文件。".into()
}

pub fn compose_use_buttons() -> String {
    "请点击上方的按钮选择，或发送 /cancel 退出。".into()
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
    "这个按钮已失效。发送 /notice 重新开始。".into()
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
}

fn full_moment(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    format!("{} {}", local.format("%Y-%m-%d"), moment(t, tz).split_once(' ').map_or("", |x| x.1))
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
        let times: Vec<String> = s.next.iter().map(|t| full_moment(*t, s.tz)).collect();
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
            "已发布通知 #{}。下次发送：{}。\n发送 /receipts {} 查看送达和确认情况。",
            n.id,
            full_moment(t, tz),
            n.id
        ),
        None => format!("已发布通知 #{}。", n.id),
    }
}

fn status_label(s: crate::notices::NoticeStatus) -> &'static str {
    match s {
        crate::notices::NoticeStatus::Active => "进行中",
        crate::notices::NoticeStatus::Paused => "已暂停",
        crate::notices::NoticeStatus::Cancelled => "已取消",
        crate::notices::NoticeStatus::Finished => "已发完",
    }
}

pub fn notice_list(notices: &[(&crate::notices::Notice, String)], tz: Tz) -> String {
    if notices.is_empty() {
        return "还没有通知。发送 /notice 发布一条。".into();
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
            let _ = write!(s, "\n    下次：{}", full_moment(t, tz));
        }
        if n.ack {
            s.push_str(" · 需确认");
        }
    }
    s.push_str("\n\n发送 /receipts 编号 查看送达和确认情况。");
    s
}

pub fn notice_status_changed(n: &crate::notices::Notice) -> String {
    format!("通知 #{} {}", n.id, status_label(n.status))
}

pub fn receipts(n: &crate::notices::Notice, r: &crate::store::RunReport, tz: Tz) -> String {
    let first_line: String = n.body.lines().next().unwrap_or("").chars().take(30).collect();
    let mut s = format!("通知 #{} {}\n", n.id, first_line);
    let Some(fired) = r.fired_at else {
        s.push_str("还没有发送过。");
        if let Some(t) = n.next_fire_at {
            let _ = write!(s, "下次发送：{}。", full_moment(t, tz));
        }
        return s;
    };
    let _ = writeln!(s, "最近一次：{}", full_moment(fired, tz));
    let _ = writeln!(
        s,
        "目标 {} 人 · 已送达 {} · 待发送 {} · 失败 {} · 无法送达 {}",
        r.targeted,
        r.sent,
        r.pending,
        r.failed.len(),
        r.blocked.len()
    );
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
        for (name, unit, reason) in &r.failed {
            let _ = write!(s, "\n  {unit} {name}（{reason}）");
        }
        s.push('\n');
    }
    if !r.blocked.is_empty() {
        let _ = writeln!(s, "已屏蔽机器人或账号不可用：{}", group(&r.blocked));
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

pub fn citing_notice(id: i64, body: &str) -> String {
    let excerpt: String = body.chars().take(40).collect();
    format!("登记宣讲通知 #{id}「{excerpt}」的情况（随时可发送 /cancel 退出）。")
}

// ---------------------------------------------------------------- command line

pub fn org_problem(p: &OrgProblem) -> String {
    let what = match &p.kind {
        OrgProblemKind::Syntax(msg) => format!("格式错误：{msg}"),
        OrgProblemKind::EmptyName => "名称不能为空".into(),
        OrgProblemKind::DuplicateUnit(u) => format!("单位「{u}」重复"),
        OrgProblemKind::SiteWithoutUnit { site } => {
            format!("站点「{site}」没有写所属单位（unit = \"…\"）")
        }
        OrgProblemKind::SiteOfUnknownUnit { site, unit } => {
            format!("站点「{site}」的单位「{unit}」不在本文件的 [[units]] 中")
        }
        OrgProblemKind::UnknownLink { site, link } => format!(
            "站点「{site}」的联系类型「{link}」无法识别；可用 village/community/enterprise/chamber（联乡村/联社区/联企业/联商会）"
        ),
        OrgProblemKind::DuplicateSite { unit, site } => {
            format!("单位「{unit}」的站点「{site}」重复")
        }
        OrgProblemKind::SecondDefault { unit, site } => {
            format!("单位「{unit}」已有默认站点，「{site}」不能再设为默认")
        }
    };
    format!("第 {} 行：{}", p.line, what)
}

pub fn org_refused(problems: &[OrgProblem]) -> String {
    let mut s = format!("组织文件有 {} 处问题，未写入任何内容：\n", problems.len());
    for p in problems {
        let _ = writeln!(s, "  {}", org_problem(p));
    }
    s.trim_end().to_owned()
}

pub fn org_loaded(r: &OrgLoadReport) -> String {
    let mut s = String::new();
    if !r.changed_anything() {
        let _ = writeln!(
            s,
            "组织信息已是最新，未做任何改动（单位 {} 个，站点 {} 个）。",
            r.units_unchanged, r.sites_unchanged
        );
    } else {
        let _ = writeln!(
            s,
            "已载入：新增单位 {} 个，新增站点 {} 个，修改站点 {} 处，未变 {} 个单位、{} 个站点。",
            r.units_added.len(),
            r.sites_added.len(),
            r.sites_changed.len(),
            r.units_unchanged,
            r.sites_unchanged
        );
        for u in &r.units_added {
            let _ = writeln!(s, "  + 单位 {u}");
        }
        for x in &r.sites_added {
            let _ = writeln!(s, "  + 站点 {x}");
        }
        for x in &r.sites_changed {
            let _ = writeln!(s, "  ~ 站点 {x}");
        }
    }
    if !r.sites_not_in_file.is_empty() {
        let _ = writeln!(s, "以下站点不在文件中，已保留（已有登记引用）：");
        for x in &r.sites_not_in_file {
            let _ = writeln!(s, "  = {x}");
        }
    }
    s.trim_end().to_owned()
}

pub fn cli_notice_created(
    n: &crate::notices::Notice,
    audience: &str,
    size: i64,
    next: &[DateTime<Utc>],
    tz: Tz,
) -> String {
    let mut s = format!(
        "通知 #{} [{}]\n受众：{}（现有 {} 人）\n发送：{}",
        n.id,
        status_label(n.status),
        audience,
        size,
        schedule_label(&n.schedule, tz)
    );
    if !next.is_empty() {
        let times: Vec<String> = next.iter().map(|t| full_moment(*t, tz)).collect();
        let _ = write!(s, "\n接下来：{}", times.join("；"));
    }
    let mut options = Vec::new();
    if n.ack {
        options.push("需确认");
    }
    if n.remind_after.is_some() {
        options.push("提醒一次");
    }
    if n.policy {
        options.push("政策材料");
    }
    if n.urgent {
        options.push("紧急");
    }
    if let Some(kind) = n.media_kind {
        options.push(if kind == crate::notices::MediaKind::Photo { "附照片" } else { "附文件" });
    }
    if !options.is_empty() {
        let _ = write!(s, "\n选项：{}", options.join("、"));
    }
    s
}

pub fn cli_invite(invite: &Invite, link: Option<&str>, tz: Tz) -> String {
    let mut s = format!(
        "邀请码：{}\n单位：{}　身份：{}　可用：{} 次　有效期至：{}\n",
        invite.code,
        invite.unit_name,
        role_label(invite.role),
        invite.max_uses,
        invite.expires_at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
    );
    match link {
        Some(link) => s.push_str(link),
        None => s.push_str(&format!(
            "https://t.me/<bot username>?start={}\n（还不知道机器人的用户名：请先启动一次机器人，或在配置中设置 bot_username）",
            invite.code
        )),
    }
    s
}

// ---------------------------------------------------------------- message length

/// Telegram's limit is 4,096 characters per message; leave room for its own counting quirks.
pub const MESSAGE_LIMIT: usize = 4000;

/// Splits `text` into pieces of at most `limit` UTF-16 code units (Telegram's unit), at line
/// breaks where possible, never inside a character.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    let units = |s: &str| s.encode_utf16().count();
    if units(text) <= limit {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_units = 0;
    for line in text.split_inclusive('\n') {
        let line_units = units(line);
        if current_units + line_units > limit && !current.is_empty() {
            parts.push(std::mem::take(&mut current).trim_end().to_owned());
            current_units = 0;
        }
        if line_units > limit {
            for c in line.chars() {
                let n = c.len_utf16();
                if current_units + n > limit {
                    parts.push(std::mem::take(&mut current));
                    current_units = 0;
                }
                current.push(c);
                current_units += n;
            }
        } else {
            current.push_str(line);
            current_units += line_units;
        }
    }
    if !current.trim().is_empty() {
        parts.push(current.trim_end().to_owned());
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

// ---------------------------------------------------------------- tallies

/// The row of check-ins that named no site.
pub const NO_SITE: &str = "未指定站点";
pub const TOTAL: &str = "合计";

/// `2026年第47周（11月16日—11月22日）` or `2026-11-01 至 2026-11-30`.
pub fn period_label(p: Period) -> String {
    match p {
        Period::Week(w) => week_title(w),
        Period::Days { from, to } => format!("{from} 至 {to}"),
    }
}

fn scope_label(s: &Scope) -> String {
    s.unit_name.clone().unwrap_or_else(|| "全部单位".into())
}

fn grouping_label(g: Grouping) -> &'static str {
    match g {
        Grouping::Unit => "按单位",
        Grouping::Member => "按成员",
        Grouping::Site => "按联点站点",
        Grouping::Link => "按四联类型",
    }
}

/// `送政策 5 · 送服务 3 · 送温暖 2`.
fn kind_counts(t: &Tally, row: &TallyRow) -> String {
    let mut parts: Vec<String> =
        t.kinds.iter().zip(&row.counts).map(|((_, label), n)| format!("{label} {n}")).collect();
    if row.other > 0 {
        parts.push(format!("其他 {}", row.other));
    }
    parts.join(" · ")
}

fn tally_line(t: &Tally, row: &TallyRow) -> String {
    let head = match (t.by, &row.unit) {
        (Grouping::Member | Grouping::Site, Some(unit)) => format!("{}（{unit}）", row.label),
        _ => row.label.clone(),
    };
    let people = match row.members {
        Some(members) => format!("成员 {members} 人，已登记 {} 人｜", row.active_members),
        None if t.by == Grouping::Member => String::new(),
        None => format!("参与 {} 人｜", row.active_members),
    };
    format!("{head}：{people}{}｜服务 {} 人次｜合计 {}", kind_counts(t, row), row.people_served, row.total)
}

/// The tally as text, one line per row, a total line last. Long tallies are split by the
/// sender (at line breaks, under Telegram's limit), never cut off.
pub fn tally(t: &Tally) -> String {
    let mut out = format!(
        "📊 三送工作统计 · {}\n{}，{}\n\n",
        scope_label(&t.scope),
        period_label(t.period),
        grouping_label(t.by)
    );
    for row in &t.rows {
        let _ = writeln!(out, "{}", tally_line(t, row));
    }
    let _ = write!(out, "\n{}", tally_line(t, &t.total));
    if t.total.total == 0 {
        out.push_str("\n\n这段时间还没有登记。");
    }
    out
}

pub fn missing_members(period: Period, scope: &Scope, groups: &[(String, Vec<MemberRef>)]) -> String {
    let count: usize = groups.iter().map(|(_, m)| m.len()).sum();
    if count == 0 {
        return format!("{} · {}：每位成员都已有登记。", period_label(period), scope_label(scope));
    }
    let mut out = format!(
        "{} · {}：以下 {count} 位成员尚无登记（仅供了解情况，不作考核排名）。\n",
        period_label(period),
        scope_label(scope)
    );
    for (unit, members) in groups {
        let _ = write!(out, "\n{unit}（{} 人）：", members.len());
        // Twenty names a line, so a long list splits between lines, never inside a name.
        for chunk in members.chunks(20) {
            let names: Vec<&str> = chunk.iter().map(|m| m.name.as_str()).collect();
            let _ = write!(out, "\n{}", names.join("、"));
        }
    }
    out
}

pub fn missing_sites(
    period: Period,
    scope: &Scope,
    kind: Option<&str>,
    groups: &[(String, Vec<Site>)],
) -> String {
    let what = kind.map_or_else(|| "登记".to_owned(), |k| format!("「{k}」登记"));
    let count: usize = groups.iter().map(|(_, s)| s.len()).sum();
    if count == 0 {
        return format!("{} · {}：每个联点站点都已有{what}。", period_label(period), scope_label(scope));
    }
    let mut out =
        format!("{} · {}：以下 {count} 个联点站点尚无{what}。\n", period_label(period), scope_label(scope));
    for (unit, sites) in groups {
        let names: Vec<String> =
            sites.iter().map(|s| format!("{}（{}）", s.name, link_label(s.link))).collect();
        let _ = write!(out, "\n{unit}：{}", names.join("、"));
    }
    out
}

/// The caption of a tally too long for chat messages, sent as a CSV file instead.
pub fn tally_as_file(t: &crate::tally::Tally, parts: usize) -> String {
    format!(
        "{} · {}：统计共 {} 行，分条发送需要 {parts} 条消息，已改为 CSV 文件发送（可用 Excel 打开）。",
        period_label(t.period),
        scope_label(&t.scope),
        t.rows.len()
    )
}

pub fn export_caption(period: Period, scope: &Scope, records: usize) -> String {
    format!("{} · {}：共 {records} 条登记记录。", period_label(period), scope_label(scope))
}

pub fn remind_status(on: bool) -> String {
    if on {
        "每周打卡提醒：已开启（仅在所在单位启用提醒时发送）。\n发送 /remind off 可关闭。".into()
    } else {
        "每周打卡提醒：已关闭。发送 /remind on 可重新开启。".into()
    }
}

pub fn remind_changed(on: bool) -> String {
    if on {
        "好的，已开启每周打卡提醒。".into()
    } else {
        "好的，已关闭每周打卡提醒，今后不会再收到。需要时发送 /remind on 重新开启。".into()
    }
}

/// The gentle weekly reminder: a reminder, not an obligation.
pub fn checkin_reminder(week: Week) -> String {
    format!(
        "温馨提醒：{}您还没有登记三送活动。如果本周开展了走访、宣讲或服务，可以发送 /checkin 补充登记；没有开展也没关系，不必为登记而登记。\n\n这只是提醒，不作考核。不想再收到，请发送 /remind off。",
        week_title(week)
    )
}

/// `+3` / `-2` / `持平`.
fn change(now: i64, before: i64) -> String {
    match now - before {
        0 => "持平".into(),
        d if d > 0 => format!("+{d}"),
        d => format!("{d}"),
    }
}

/// The head of the weekly report (the chart's caption: under 1,024 characters).
pub fn report_summary(t: &Tally, previous: &Tally) -> String {
    let mut out = format!("📈 每周三送工作报告 · {}\n{}\n\n", scope_label(&t.scope), period_label(t.period));
    let _ = writeln!(
        out,
        "登记 {} 次（较上周 {}），已登记成员 {} / {} 人（较上周 {}），服务群众 {} 人次。",
        t.total.total,
        change(t.total.total, previous.total.total),
        t.total.active_members,
        t.total.members.unwrap_or(0),
        change(t.total.active_members, previous.total.active_members),
        t.total.people_served
    );
    let _ = write!(out, "{}", kind_counts(t, &t.total));
    out
}

/// The report's detail, after the chart (or after the summary when there is no chart): each
/// unit's line with its change against the week before.
pub fn report_detail(t: &Tally, previous: &Tally) -> String {
    let mut out = String::from("各单位情况（括号内为较上周）：\n");
    for row in &t.rows {
        let before = previous.rows.iter().find(|r| r.label == row.label).map_or(0, |r| r.total);
        let _ = writeln!(out, "{}（{}）", tally_line(t, row), change(row.total, before));
    }
    out.push_str("\n详细记录可发送 /export 导出。");
    out
}

pub const CHART_TITLE: &str = "各单位三送登记（次）";

// ---------------------------------------------------------------- roles

pub fn member_choice(m: &Member) -> String {
    format!(
        "{}（{}，{}{}）",
        m.name,
        m.unit_name,
        role_label(m.role),
        if m.status == crate::domain::MemberStatus::Inactive { "，已停用" } else { "" }
    )
}

pub fn roles_choose(change: crate::members::Change, count: usize) -> String {
    use crate::members::Change;
    let what = match change {
        Change::Promote(_) => "提升身份",
        Change::Demote(_) => "降低身份",
        Change::Deactivate => "停用",
        Change::Activate => "重新启用",
    };
    let more = if count > 30 {
        format!("（共 {count} 人，只列出前 30 位，请写出更完整的姓名）")
    } else {
        String::new()
    };
    format!("请选择要{what}的成员{more}：")
}

pub fn roles_nobody() -> String {
    "没有可以操作的成员。请写出姓名，例如 /promote 张三；也可以回复对方的消息（或转发给我的对方消息）发送 /promote。".into()
}

pub fn member_changed(c: &crate::members::Changed) -> String {
    use crate::members::Change;
    match (c.change, c.roles) {
        (Change::Promote(_) | Change::Demote(_), Some((from, to))) => format!(
            "已将 {}（{}）由{}调整为{}。其命令菜单已随之更新；此操作已记入审计日志。",
            c.member.name,
            c.member.unit_name,
            role_label(from),
            role_label(to)
        ),
        (Change::Deactivate, _) => format!(
            "已停用 {}（{}）：其登记记录保留，今后不再向其发送通知；可用 /activate 重新启用。此操作已记入审计日志。",
            c.member.name, c.member.unit_name
        ),
        _ => format!("已重新启用 {}（{}）。此操作已记入审计日志。", c.member.name, c.member.unit_name),
    }
}
