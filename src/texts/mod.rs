//! Every sentence and button label a person reads, in Simplified Chinese, by area: check-ins,
//! members (registration, help, invites), roles, notices, tallies, errors, and the command line.
//!
//! Functions take typed data and return plain text (no HTML or Markdown: a platform escapes or
//! marks it up for itself, so nothing a member types can break a message). Length limits are
//! the platform's business: its sending side splits long texts under its own limit. Nothing in
//! the core imports this module; the edges (the conversation in `chat`, the command line, the
//! reports, the platforms) render with it.
//!
//! This file holds what every area uses: the names of roles and link kinds, and how times,
//! days, weeks and periods read.

pub mod checkins;
pub mod cli;
pub mod dialogues;
pub mod dingtalk;
pub mod errors;
pub mod members;
pub mod notices;
pub mod org;
pub mod roles;
pub mod system;
pub mod tallies;
pub mod web;
pub mod wecom;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::checkins::kinds::Kinds;
use crate::domain::{LinkKind, Role};
use crate::tally::{Period, Scope};
use crate::week::Week;

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Member => "党员",
        Role::Organiser => "组织员",
        Role::Admin => "管理员",
    }
}

/// A platform as people call it.
pub fn platform_label(p: crate::domain::Platform) -> &'static str {
    match p {
        crate::domain::Platform::Telegram => "Telegram",
        crate::domain::Platform::DingTalk => "钉钉",
        crate::domain::Platform::WeCom => "企业微信",
        crate::domain::Platform::Terminal => "终端",
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

pub fn weekday_label(d: Weekday) -> &'static str {
    crate::week::weekday_name(d)
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

/// Before a reply sent late, after the platform came back.
pub const LATE_MARK: &str = "【补发】";

/// `11月28日 周六`: a day without a time.
pub fn date(d: NaiveDate) -> String {
    format!("{}月{}日 {}", d.month(), d.day(), weekday_label(d.weekday()))
}

/// When a check-in's work was done: its time (`11月24日 周二 10:30`), or for one logged on a
/// later day, the day it names (`11月22日 周日`).
pub fn work_moment(c: &crate::domain::Checkin, tz: Tz) -> String {
    match c.done_on {
        Some(d) if c.is_backdated(tz) => date(d),
        _ => moment(c.counts_at, tz),
    }
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

pub fn kinds_list(kinds: &Kinds) -> String {
    kinds.all().iter().map(|k| k.label.as_str()).collect::<Vec<_>>().join("、")
}

pub fn first_kind(kinds: &Kinds) -> &str {
    kinds.all().first().map_or("送政策", |k| k.label.as_str())
}

/// `2026-11-24 周二 10:30`.
pub fn full_moment(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    format!("{} {}", local.format("%Y-%m-%d"), moment(t, tz).split_once(' ').map_or("", |x| x.1))
}

/// A notice's send time: [`full_moment`], with seconds when its schedule has them (a 6-field
/// cron expression), so `30 0 9 * * 1` shows as `… 09:00:30`.
pub fn fire_time(t: DateTime<Utc>, tz: Tz, seconds: bool) -> String {
    if seconds {
        format!("{}{}", full_moment(t, tz), t.with_timezone(&tz).format(":%S"))
    } else {
        full_moment(t, tz)
    }
}

/// `2026年第47周（11月16日—11月22日）` or `2026-11-01 至 2026-11-30`.
pub fn period_label(p: Period) -> String {
    match p {
        Period::Week(w) => week_title(w),
        Period::Days { from, to } => format!("{from} 至 {to}"),
    }
}

pub fn scope_label(s: &Scope) -> String {
    s.unit_name.clone().unwrap_or_else(|| "全部单位".into())
}
