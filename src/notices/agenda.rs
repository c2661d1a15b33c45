//! When notices will go out: each notice's next send times (what `sansong notice show` prints)
//! and the agenda of every send in the coming days, with quiet hours and the holiday calendar
//! applied exactly as the scheduler will apply them.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::{Notice, NoticeStatus};
use crate::core::Core;
use crate::error::Result;
use crate::members::Actor;
use crate::schedule::QuietHours;
use crate::schedule::calendar::HolidayCalendar;

/// The most sends of one notice an agenda lists (a notice every minute would fill pages).
pub const MOST_PER_NOTICE: usize = 100;

/// The times `notice` will fire, in order, up to `count` of them and none after `until`: from
/// its stored next time (which the scheduler fires at), then by its schedule. A paused notice
/// shows only when it would have gone next; a finished or cancelled one, nothing.
pub fn next_sends(
    notice: &Notice,
    count: usize,
    until: Option<DateTime<Utc>>,
    tz: Tz,
    calendar: &HolidayCalendar,
) -> Vec<DateTime<Utc>> {
    let within = |t: &DateTime<Utc>| until.is_none_or(|u| *t <= u);
    match (notice.status, notice.next_fire_at) {
        (NoticeStatus::Active, Some(first)) => {
            let mut times = Vec::new();
            let mut next = Some(first);
            while let Some(t) = next.filter(within) {
                if times.len() == count {
                    break;
                }
                times.push(t);
                next = notice.schedule.next_after(t, tz, calendar);
            }
            times
        }
        (NoticeStatus::Paused, Some(t)) if within(&t) => vec![t],
        _ => Vec::new(),
    }
}

/// When a send at `at` reaches people: at once if urgent or outside quiet hours, else when
/// they end (the scheduler holds the broadcast until then).
pub fn goes_out(at: DateTime<Utc>, urgent: bool, quiet: Option<QuietHours>, tz: Tz) -> DateTime<Utc> {
    match quiet {
        Some(q) if !urgent => q.ends_after(at, tz).unwrap_or(at),
        _ => at,
    }
}

/// One send in the agenda.
#[derive(Debug, Clone, PartialEq)]
pub struct Send {
    /// When the notice fires.
    pub at: DateTime<Utc>,
    /// When it reaches people (later than `at` when quiet hours hold it).
    pub goes_out: DateTime<Utc>,
    pub notice: Notice,
    /// How many members its audience reaches now.
    pub size: i64,
    /// True for a notice that is paused: this send happens only if it is resumed.
    pub paused: bool,
}

/// Every send of the notices `actor` may see in the next `days` days, in time order, and
/// whether some notice had more than [`MOST_PER_NOTICE`] (the rest left out).
pub async fn agenda(core: &Core, actor: &Actor, days: i64) -> Result<(Vec<Send>, bool)> {
    let now = core.now();
    let until = now + Duration::days(days);
    let (tz, calendar, quiet) = (core.tz(), core.calendar(), core.config.quiet_hours);
    let mut sends = Vec::new();
    let mut cut = false;
    for notice in super::open(core, actor).await? {
        if notice.created_by.starts_with("system:") {
            continue;
        }
        let times = next_sends(&notice, MOST_PER_NOTICE + 1, Some(until), tz, &calendar);
        if times.is_empty() {
            continue;
        }
        cut |= times.len() > MOST_PER_NOTICE;
        let size = super::audience_size(core, &notice.audience).await?;
        for at in times.into_iter().take(MOST_PER_NOTICE) {
            sends.push(Send {
                at,
                goes_out: goes_out(at, notice.urgent, quiet, tz),
                size,
                paused: notice.status == NoticeStatus::Paused,
                notice: notice.clone(),
            });
        }
    }
    sends.sort_by_key(|s| (s.goes_out, s.notice.id));
    Ok((sends, cut))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::notices::{Audience, Schedule};

    fn notice(schedule: Schedule, next: Option<DateTime<Utc>>, status: NoticeStatus) -> Notice {
        Notice {
            id: 1,
            created_by: "cli".into(),
            creator_member_id: None,
            body: "会议".into(),
            media_kind: None,
            media_name: None,
            audience: Audience { all: true, ..Audience::default() },
            schedule,
            next_fire_at: next,
            ack: false,
            policy: false,
            urgent: false,
            remind_after: None,
            status,
            created_at: Utc::now(),
        }
    }

    fn beijing(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_working_day_notice_goes_out_on_working_days_only_from_its_stored_next_time() {
        let tz = chrono_tz::Asia::Shanghai;
        let calendar = HolidayCalendar::default();
        let time = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        // Friday 4 December 2026 at 09:00, then Monday and Tuesday.
        let n = notice(Schedule::Workdays { time }, Some(beijing(4, 9, 0)), NoticeStatus::Active);
        assert_eq!(
            next_sends(&n, 3, None, tz, &calendar),
            vec![beijing(4, 9, 0), beijing(7, 9, 0), beijing(8, 9, 0)]
        );
        assert_eq!(next_sends(&n, 10, Some(beijing(7, 12, 0)), tz, &calendar).len(), 2, "none after `until`");
    }

    #[test]
    fn a_paused_notice_shows_when_it_would_have_gone_and_a_closed_one_nothing() {
        let tz = chrono_tz::Asia::Shanghai;
        let calendar = HolidayCalendar::default();
        let once = Schedule::Once { at: beijing(5, 10, 0) };
        let paused = notice(once.clone(), Some(beijing(5, 10, 0)), NoticeStatus::Paused);
        assert_eq!(next_sends(&paused, 3, None, tz, &calendar), vec![beijing(5, 10, 0)]);
        let done = notice(once, None, NoticeStatus::Finished);
        assert!(next_sends(&done, 3, None, tz, &calendar).is_empty());
    }

    #[test]
    fn quiet_hours_hold_a_send_until_they_end_unless_it_is_urgent() {
        let tz = chrono_tz::Asia::Shanghai;
        let quiet = QuietHours::parse("22:00-07:00").unwrap();
        assert_eq!(goes_out(beijing(4, 23, 0), false, quiet, tz), beijing(5, 7, 0));
        assert_eq!(goes_out(beijing(4, 23, 0), true, quiet, tz), beijing(4, 23, 0));
        assert_eq!(goes_out(beijing(4, 9, 0), false, quiet, tz), beijing(4, 9, 0));
    }
}
