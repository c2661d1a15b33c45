//! What the bot writes on its own, and the files it hands out: the weekly report to organisers
//! and admins (with its [`chart`]), the gentle check-in reminder (off unless units are listed in
//! `reminder_units`), and the [`export`] files and tally tables that the chat and the command
//! line give out. Like `chat`, this is an edge: it takes the core's data and renders it with
//! [`crate::texts`].
//!
//! A tick fires at most once ([`crate::store::Store::fire_periodic`]: the run and the notices
//! it queues in one transaction). The messages themselves go out as ordinary notices through
//! the scheduler and the outbox, so they share its durability, rate limits and quiet hours.
//! A report due on a day off waits for the next working day; a reminder due on a day off is
//! skipped. As with notices, a tick missed while the bot was down fires once within the grace
//! period and is skipped (and logged) beyond it.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Utc};

pub mod chart;
pub mod export;

use crate::core::Core;
use crate::domain::Grouping;
use crate::domain::NewNotice;
use crate::domain::Role;
use crate::error::Result;
use crate::notices::{Audience, Schedule};
use crate::periodic;
use crate::tally::{Period, Scope, tally};
use crate::texts;
use crate::week::Week;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Report,
    Reminder,
}

impl Job {
    pub const ALL: [Job; 2] = [Job::Report, Job::Reminder];

    pub fn name(self) -> &'static str {
        match self {
            Job::Report => "weekly_report",
            Job::Reminder => "checkin_reminder",
        }
    }

    /// `None` when the job is turned off (`report_cron = "off"`).
    fn schedule(self, core: &Core) -> Option<&Schedule> {
        match self {
            Job::Report => core.config.report_schedule.as_ref(),
            Job::Reminder => Some(&core.config.reminder_schedule),
        }
    }
}

/// When a report due at `due` goes out: then, or on a day off the next working day at the same
/// time.
fn delivery_time(core: &Core, due: DateTime<Utc>) -> DateTime<Utc> {
    let (tz, calendar) = (core.tz(), &core.calendar());
    let local = due.with_timezone(&tz).naive_local();
    (0..=31u64)
        .filter_map(|d| local.checked_add_days(Days::new(d)))
        .find(|t| calendar.is_working_day(t.date()))
        .and_then(|t| crate::schedule::local_to_utc(t, tz))
        .unwrap_or(due)
}

/// Whether a tick missed while the bot was down may still fire. A reminder: within the grace
/// period. A report (what the department hands upward): any time in the same week.
fn still_worth_it(core: &Core, job: Job, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    match job {
        Job::Reminder => now - due <= core.config.notice_grace,
        Job::Report => Week::of_instant(now, core.tz()) == Week::of_instant(due, core.tz()),
    }
}

/// Fires the jobs that are due. Returns how many queued messages (the scheduler should look).
pub async fn tick(core: &Core) -> Result<usize> {
    core.refresh_calendar();
    let mut queued = 0;
    for job in Job::ALL {
        queued += tick_job(core, job).await?;
    }
    Ok(queued + outage_notes(core).await?)
}

/// Tells the creator of each notice a long outage held up: which notice, how long, and whether
/// everyone has it now. Once per outage and notice.
async fn outage_notes(core: &Core) -> Result<usize> {
    let mut queued = 0;
    for (outage, delayed) in crate::notices::delayed_by_outages(core).await? {
        let minutes = (outage.ended_at - outage.started_at).num_minutes().max(1);
        for d in delayed {
            let body =
                texts::notices::outage_delay(outage.platform, d.notice_id, &d.body, minutes, d.pending);
            let key = format!("{}:{}", outage.id, d.notice_id);
            crate::notices::queue_system(core, "outage", &key, body, vec![d.creator_member_id]).await?;
            queued += 1;
        }
        crate::notices::outage_told(core, outage.id).await?;
    }
    Ok(queued)
}

async fn tick_job(core: &Core, job: Job) -> Result<usize> {
    let Some(schedule) = job.schedule(core) else { return Ok(0) };
    let worth_it = |due, now| still_worth_it(core, job, due, now);
    let Some(tick) = periodic::due(core, job.name(), schedule, worth_it).await? else {
        return Ok(0);
    };
    let (notices, outcome) = match job {
        Job::Report => report_notices(core, job, tick.due).await?,
        Job::Reminder => reminder_notices(core, job, tick.due).await?,
    };
    Ok(if tick.fire(core, &notices, &outcome).await? { notices.len() } else { 0 })
}

/// A notice from the bot itself, sent at `at` (now, or a later working day).
fn system_notice(
    job: Job,
    due: DateTime<Utc>,
    at: DateTime<Utc>,
    key: String,
    body: String,
    audience: &Audience,
) -> Result<NewNotice> {
    let source_key = format!("{}:{}:{key}", job.name(), due.timestamp());
    crate::notices::system_notice(job.name(), source_key, body, audience, at)
}

/// Last week's tally for each organiser's unit (to its organisers) and for all units (to the
/// admins), each a chart with a short caption and the per-unit detail, or text alone.
async fn report_notices(core: &Core, job: Job, due: DateTime<Utc>) -> Result<(Vec<NewNotice>, String)> {
    // The week before the tick, whenever it is delivered.
    let week = Week::of_instant(due, core.tz()).previous();
    let at = delivery_time(core, due).max(core.now());
    let mut scopes: BTreeMap<String, (Scope, Audience)> = BTreeMap::new();
    for m in crate::members::privileged(core).await? {
        match m.role {
            Role::Admin => {
                let audience = Audience { roles: vec![Role::Admin], ..Audience::default() };
                scopes.entry("all".into()).or_insert((Scope::all(), audience));
            }
            _ => {
                let audience =
                    Audience { units: vec![m.unit_id], roles: vec![Role::Organiser], ..Audience::default() };
                scopes
                    .entry(format!("unit{}", m.unit_id))
                    .or_insert((Scope::unit(m.unit_id, &m.unit_name), audience));
            }
        }
    }
    let font = chart::font(&core.config.report_font).is_some();
    // Admins are told, week after week until it is loaded, that a year's holidays are missing.
    let missing_year = crate::schedule::calendar::missing_next_year(&core.calendar(), core.today());
    // The previous report: entries of its week logged after it went out are 补登 it could not count.
    let previous_report = periodic::last_fired(core, job.name(), due).await?;
    let week_end = week.utc_range(core.tz()).1;
    let mut notices = Vec::new();
    let mut charts = 0;
    for (key, (scope, audience)) in &scopes {
        let this = tally(core, scope, Period::Week(week), Grouping::Unit).await?;
        let before = tally(core, scope, Period::Week(week.previous()), Grouping::Unit).await?;
        let summary = texts::tallies::report_summary(&this, &before);
        let late = texts::tallies::LateEntries {
            this_week: crate::tally::logged_since(core, scope, week, week_end).await?,
            since_last_report: match previous_report {
                Some(sent) => Some((
                    week.previous(),
                    crate::tally::logged_since(core, scope, week.previous(), sent).await?,
                )),
                None => None,
            },
        };
        let mut detail = texts::tallies::report_detail(&this, &before, &late);
        if let (Some(year), true) = (missing_year, key == "all") {
            detail.push_str("\n\n");
            detail.push_str(&texts::tallies::holidays_missing(year));
        }
        // The chart goes with the summary as its caption: only if that fits every platform.
        let png = if font && crate::limits::too_long(core.limits(), &summary, true).is_none() {
            match chart::render(&this) {
                Ok(png) => Some(png),
                Err(e) => {
                    tracing::warn!(error = %e, "could not draw the report chart; sending text");
                    None
                }
            }
        } else {
            None
        };
        // A long report is one notice all the same: the platform's sending side splits a text
        // over its message limit into as many messages as it needs.
        let text = match png {
            Some(png) => {
                charts += 1;
                let mut n = system_notice(job, due, at, format!("{key}:chart"), summary, audience)?;
                n.media_kind = Some("photo".into());
                n.media_name = Some(format!("tally-{week}.png"));
                n.media_bytes = Some(png);
                notices.push(n);
                detail
            }
            None => format!("{summary}\n\n{detail}"),
        };
        notices.push(system_notice(job, due, at, format!("{key}:text0"), text, audience)?);
    }
    Ok((notices, format!("week {week}: {} reports, {charts} with a chart", scopes.len())))
}

/// The gentle reminder, for members of the listed units who have not checked in this week
/// and have not turned reminders off. Nothing on days off.
async fn reminder_notices(core: &Core, job: Job, due: DateTime<Utc>) -> Result<(Vec<NewNotice>, String)> {
    let local_day = due.with_timezone(&core.tz()).date_naive();
    if !core.calendar().is_working_day(local_day) {
        return Ok((vec![], format!("{local_day} is a day off: skipped")));
    }
    let names = &core.config.reminder_units;
    if names.is_empty() {
        return Ok((vec![], "off (no units in reminder_units)".into()));
    }
    let all = crate::org::units(core).await?;
    let units: Vec<i64> = if names.iter().any(|n| n == "*") {
        all.iter().map(|u| u.id).collect()
    } else {
        names
            .iter()
            .filter_map(|name| match crate::org::find_unit(&all, name) {
                Ok(u) => Some(u.id),
                Err(_) => {
                    tracing::warn!(unit = %name, "reminder_units names a unit that does not exist");
                    None
                }
            })
            .collect()
    };
    let week = Week::of_instant(due, core.tz());
    let (from, to) = week.utc_range(core.tz());
    let members = crate::tally::reminder_targets(core, from, to, &units).await?;
    if members.is_empty() {
        return Ok((vec![], "nobody to remind".into()));
    }
    let outcome = format!("{} reminded", members.len());
    let audience = Audience { members, ..Audience::default() };
    let notice = system_notice(
        job,
        due,
        core.now(),
        "all".into(),
        texts::checkins::checkin_reminder(week),
        &audience,
    )?;
    Ok((vec![notice], outcome))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;

    use super::*;
    use crate::clock::ManualClock;
    use crate::config::Config;
    use crate::schedule::calendar::HolidayCalendar;
    use crate::store::Store;

    fn beijing(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Shanghai.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    async fn core_at(now: DateTime<Utc>) -> (Core, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let calendar =
            HolidayCalendar::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/holidays"))
                .unwrap();
        let config = Config {
            calendar,
            reminder_units: vec!["人社局".into()],
            database_url: url.clone(),
            report_font: crate::config::FontChoice::Off,
            ..Config::default()
        };
        let core = Core::new(
            Store::open(&url).await.unwrap(),
            config,
            Arc::new(ManualClock::new(now)),
            crate::platform_limits(),
        );
        (core, dir)
    }

    #[tokio::test]
    async fn a_report_due_on_a_holiday_reports_its_own_week_on_the_next_working_day() {
        // Monday 5 October 2026 is in the National Day holiday (1-7 October).
        let (core, _dir) = core_at(beijing(10, 5, 9)).await;
        assert_eq!(delivery_time(&core, beijing(10, 5, 9)), beijing(10, 8, 9));
        assert_eq!(delivery_time(&core, beijing(11, 30, 9)), beijing(11, 30, 9), "an ordinary Monday");
        let admin = sqlx::query(
            "INSERT INTO units (id, name, created_at) VALUES (1, '人社局', 0);
             INSERT INTO members (id, registered_as, name, unit_id, role, registered_at) VALUES (1, 1, '管理员', 1, 'admin', 0);
             INSERT INTO accounts (person_id, platform, member_id, linked_at) VALUES (1, 'telegram', 1, 0)",
        );
        admin.execute(core.store.pool()).await.unwrap();
        let (notices, outcome) = report_notices(&core, Job::Report, beijing(10, 5, 9)).await.unwrap();
        assert!(outcome.starts_with("week 2026-W40"), "the week before the tick: {outcome}");
        assert!(!notices.is_empty());
        assert!(notices.iter().all(|n| n.next_fire_at == Some(beijing(10, 8, 9))), "sent on Thursday");
        // Spring Festival: both 16 and 23 February are days off; each tick reports its own week.
        let (_, w07) = report_notices(&core, Job::Report, beijing(2, 16, 9)).await.unwrap();
        let (_, w08) = report_notices(&core, Job::Report, beijing(2, 23, 9)).await.unwrap();
        assert!(w07.starts_with("week 2026-W07") && w08.starts_with("week 2026-W08"), "{w07} / {w08}");
    }

    #[tokio::test]
    async fn a_missed_report_still_goes_out_later_that_week_but_a_reminder_only_within_the_grace() {
        let (core, _dir) = core_at(beijing(11, 30, 9)).await;
        let due = beijing(11, 30, 9);
        assert!(still_worth_it(&core, Job::Report, due, beijing(12, 3, 18)));
        assert!(!still_worth_it(&core, Job::Report, due, beijing(12, 7, 9)));
        assert!(still_worth_it(
            &core,
            Job::Reminder,
            due,
            beijing(11, 30, 9) + chrono::Duration::minutes(59)
        ));
        assert!(!still_worth_it(&core, Job::Reminder, due, beijing(11, 30, 11)));
    }

    #[tokio::test]
    async fn a_reminder_due_on_a_day_off_is_skipped_not_moved() {
        let (core, _dir) = core_at(beijing(9, 30, 10)).await;
        // Friday 2 October is a holiday: the tick stays there, and firing it sends nothing.
        let next = core.config.reminder_schedule.next_after(core.now(), core.tz(), &core.calendar());
        assert_eq!(next, Some(beijing(10, 2, 16)));
        let (notices, outcome) = reminder_notices(&core, Job::Reminder, beijing(10, 2, 16)).await.unwrap();
        assert!(notices.is_empty());
        assert!(outcome.contains("day off"), "{outcome}");
    }
}
