//! When something recurring happens, as people write it, and the fire times that follow: the
//! grammar of notice schedules (and of the config's report, reminder and backup times), quiet
//! hours, and the holiday calendar that `每个工作日` follows. Pure: no I/O beyond reading the
//! holiday files, so both `config` and `notices` can use it without depending on each other.

//!
//! ```text
//! now | 立即                     once, right away
//! 2026-12-01 09:00              once, at that wall-clock time in the configured zone
//! 每天 08:30 | 每周一 09:00 | 每月1日 09:00 | 每个工作日 09:00
//! 0 9 * * 1 | 30 0 9 * * Mon   cron, 5 fields (Unix) or 6 with seconds first
//! ```
//! Cron follows Unix semantics (weekday 0 or 7 = Sunday, names allowed, and a day-of-month
//! and a day-of-week *both* restricted means either matches) — `croner` implements exactly
//! that, where the `cron` crate would want seconds first, Sunday = 1 and AND semantics.
//! `每个工作日` follows the holiday calendar (调休 included).

pub mod arrangement;
pub mod calendar;

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use self::calendar::HolidayCalendar;
use crate::normalize::fold;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Schedule {
    /// Once, as soon as it is created.
    Now,
    /// Once, at this instant.
    Once { at: DateTime<Utc> },
    /// Recurring by a cron expression (`text` is how the person wrote it).
    Cron { expr: String, text: String },
    /// Every Chinese working day at this wall-clock time.
    Workdays { time: NaiveTime },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("empty schedule")]
    Empty,
    #[error("{0} is in the past")]
    InThePast(String),
    #[error("no such time {0:?}")]
    BadTime(String),
    #[error("cron {expr:?}: {reason}")]
    BadCron { expr: String, reason: CronProblem },
    #[error("not a schedule: {0:?}")]
    Unrecognised(String),
    /// A valid expression no date can match (`0 0 30 2 *`: 30 February).
    #[error("cron {0:?} never fires")]
    NeverFires(String),
}

/// What is wrong with a cron expression (worded for people by `texts::errors`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronProblem {
    /// Not 5 fields (or 6, seconds first): how many there were.
    #[error("{0} fields, not 5 or 6")]
    FieldCount(usize),
    /// A field's value or form the parser refused, in its own (English) words.
    #[error("{0}")]
    Field(String),
}

fn cron_parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).dom_and_dow(false).build()
}

/// Parses a cron expression with Unix semantics, or says why not.
pub fn parse_cron(expr: &str) -> Result<Cron, ScheduleError> {
    let fields = expr.split_whitespace().count();
    if !expr.trim_start().starts_with('@') && !(5..=6).contains(&fields) {
        return Err(ScheduleError::BadCron {
            expr: expr.to_owned(),
            reason: CronProblem::FieldCount(fields),
        });
    }
    cron_parser()
        .parse(&unwrap_ranges(expr))
        // The parser's own words are English: lead with ours, keep theirs for the detail.
        .map_err(|e| ScheduleError::BadCron {
            expr: expr.to_owned(),
            reason: CronProblem::Field(e.to_string()),
        })
}

/// Ranges that wrap round, as Unix cron users write them (`22-2` hours: 22, 23, 0, 1, 2;
/// `5-1` weekdays: Friday to Monday), as the plain lists the parser takes. Other fields pass
/// through unchanged, so the parser still judges (and explains) anything else.
fn unwrap_ranges(expr: &str) -> String {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    // (lowest, highest) of each field, seconds first when there are six.
    let bounds: &[(u32, u32)] = match fields.len() {
        5 => &[(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)],
        6 => &[(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7)],
        _ => return expr.to_owned(),
    };
    let weekday_field = fields.len() - 1;
    let month_field = fields.len() - 2;
    let unwrap_part = |i: usize, part: &str| -> String {
        let number = |s: &str| -> Option<u32> {
            s.parse().ok().or_else(|| {
                let names: &[&str] = if i == weekday_field {
                    &["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
                } else if i == month_field {
                    &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
                } else {
                    &[]
                };
                let first = u32::from(i == month_field);
                names.iter().position(|n| s.eq_ignore_ascii_case(n)).map(|p| p as u32 + first)
            })
        };
        let Some((a, b)) = part.split_once('-') else { return part.to_owned() };
        let (Some(a), Some(b)) = (number(a), number(b)) else { return part.to_owned() };
        let (low, high) = bounds[i];
        // Sunday is 0 and 7: a weekday range wraps at Saturday.
        let high = if i == weekday_field { 6 } else { high };
        if a <= b || a > high || b < low {
            return part.to_owned();
        }
        let b = if i == weekday_field && b == 7 { 0 } else { b };
        let span = |from: u32, to: u32| if from == to { from.to_string() } else { format!("{from}-{to}") };
        format!("{},{}", span(a, high), span(low, b))
    };
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| field.split(',').map(|part| unwrap_part(i, part)).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads how a person says when a notice should go out. `now` and `tz` place dates and times.
pub fn parse_schedule(input: &str, tz: Tz, now: DateTime<Utc>) -> Result<Schedule, ScheduleError> {
    let folded = fold(input.trim());
    let s = folded.trim();
    if s.is_empty() {
        return Err(ScheduleError::Empty);
    }
    if matches!(s, "now" | "立即" | "立刻" | "马上" | "现在" | "立即发送") {
        return Ok(Schedule::Now);
    }
    if let Some(schedule) = shortcut(s)? {
        return Ok(schedule);
    }
    if let Some(local) = date_time(s) {
        let at = local_to_utc(local, tz).ok_or_else(|| ScheduleError::BadTime(input.trim().to_owned()))?;
        if at <= now {
            return Err(ScheduleError::InThePast(input.trim().to_owned()));
        }
        return Ok(Schedule::Once { at });
    }
    let looks_like_cron = s.starts_with('@')
        || s.split_whitespace().count() >= 2
            && s.split_whitespace()
                .all(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || "*/,-?#".contains(c)));
    if looks_like_cron {
        let expr = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let cron = parse_cron(&expr)?;
        // Valid but impossible (30 February) is not the same as "already past".
        if cron.find_next_occurrence(&now.with_timezone(&tz), false).is_err() {
            return Err(ScheduleError::NeverFires(input.trim().to_owned()));
        }
        return Ok(Schedule::Cron { text: input.trim().to_owned(), expr });
    }
    Err(ScheduleError::Unrecognised(input.trim().to_owned()))
}

/// `每天 08:30`, `每周一 09:00`, `每月1日 09:00`, `每个工作日 09:00`.
fn shortcut(s: &str) -> Result<Option<Schedule>, ScheduleError> {
    let Some(rest) = s.strip_prefix('每') else {
        return Ok(None);
    };
    let (when, time) = match rest.rsplit_once(char::is_whitespace) {
        Some((w, t)) => (w.trim(), t.trim()),
        None => return Err(ScheduleError::Unrecognised(s.to_owned())),
    };
    let time = parse_time(time).ok_or_else(|| ScheduleError::BadTime(time.to_owned()))?;
    let cron = |dom: &str, dow: &str, text: &str| {
        Ok(Some(Schedule::Cron {
            expr: format!("{} {} {dom} * {dow}", time.minute(), time.hour()),
            text: text.to_owned(),
        }))
    };
    match when {
        "天" | "日" => cron("*", "*", s),
        "个工作日" | "工作日" => Ok(Some(Schedule::Workdays { time })),
        _ => {
            if let Some(day) = when.strip_prefix("周").or_else(|| when.strip_prefix("星期")) {
                let dow = match day {
                    "一" => 1,
                    "二" => 2,
                    "三" => 3,
                    "四" => 4,
                    "五" => 5,
                    "六" => 6,
                    "日" | "天" => 0,
                    _ => return Err(ScheduleError::Unrecognised(s.to_owned())),
                };
                return cron("*", &dow.to_string(), s);
            }
            if let Some(day) = when.strip_prefix("月").map(|d| d.trim_end_matches(['日', '号'])) {
                return match day.parse::<u32>() {
                    Ok(n) if (1..=31).contains(&n) => cron(&n.to_string(), "*", s),
                    _ => Err(ScheduleError::Unrecognised(s.to_owned())),
                };
            }
            Err(ScheduleError::Unrecognised(s.to_owned()))
        }
    }
}

/// `09:00`, `9:00`, `9:00:30`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S")).ok()
}

/// `2026-12-01 09:00`, `2026/12/01 09:00`, `2026-12-01t09:00`, seconds optional.
fn date_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.replace('/', "-").replace('t', " ");
    let (date, time) = s.split_once(char::is_whitespace)?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_time(parse_time(time)?))
}

/// A wall-clock time in `tz` as an instant (the earlier one where clocks go back; the first
/// valid minute after a gap where they jump forward).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    for minutes in 0..=120 {
        let t = local + chrono::Duration::minutes(minutes);
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return Some(at.with_timezone(&Utc));
        }
    }
    None
}

impl Schedule {
    pub fn is_recurring(&self) -> bool {
        matches!(self, Schedule::Cron { .. } | Schedule::Workdays { .. })
    }

    /// Whether its times have seconds (a 6-field cron expression), so they are shown with them.
    pub fn has_seconds(&self) -> bool {
        matches!(self, Schedule::Cron { expr, .. } if expr.split_whitespace().count() == 6)
    }

    /// The first fire time of a new notice created at `now`.
    pub fn first_fire(
        &self,
        now: DateTime<Utc>,
        tz: Tz,
        calendar: &HolidayCalendar,
    ) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Now => Some(now),
            _ => self.next_after(now, tz, calendar),
        }
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(
        &self,
        after: DateTime<Utc>,
        tz: Tz,
        calendar: &HolidayCalendar,
    ) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Now => None,
            Schedule::Once { at } => (*at > after).then_some(*at),
            Schedule::Cron { expr, .. } => {
                let cron = parse_cron(expr).ok()?;
                cron.find_next_occurrence(&after.with_timezone(&tz), false)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
            Schedule::Workdays { time } => {
                let mut day = after.with_timezone(&tz).date_naive();
                // A year always holds working days; 400 days bounds a broken calendar.
                for _ in 0..400 {
                    if calendar.is_working_day(day)
                        && let Some(at) = local_to_utc(day.and_time(*time), tz).filter(|at| *at > after)
                    {
                        return Some(at);
                    }
                    day = day.checked_add_days(Days::new(1))?;
                }
                None
            }
        }
    }

    /// The latest tick at or before `t` (recurring schedules only): after downtime, the one
    /// tick that might still be worth firing.
    pub fn latest_at_or_before(
        &self,
        t: DateTime<Utc>,
        tz: Tz,
        calendar: &HolidayCalendar,
    ) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Now | Schedule::Once { .. } => None,
            Schedule::Cron { expr, .. } => {
                let cron = parse_cron(expr).ok()?;
                cron.find_previous_occurrence(&t.with_timezone(&tz), true).ok().map(|x| x.with_timezone(&Utc))
            }
            Schedule::Workdays { time } => {
                let mut day = t.with_timezone(&tz).date_naive();
                for _ in 0..400 {
                    if calendar.is_working_day(day)
                        && let Some(at) = local_to_utc(day.and_time(*time), tz).filter(|at| *at <= t)
                    {
                        return Some(at);
                    }
                    day = day.checked_sub_days(Days::new(1))?;
                }
                None
            }
        }
    }

    /// The next `n` fire times from `now` (for previews).
    pub fn upcoming(
        &self,
        now: DateTime<Utc>,
        n: usize,
        tz: Tz,
        calendar: &HolidayCalendar,
    ) -> Vec<DateTime<Utc>> {
        let mut times = Vec::with_capacity(n);
        let mut next = self.first_fire(now, tz, calendar);
        while let Some(t) = next {
            times.push(t);
            if times.len() >= n {
                break;
            }
            next = self.next_after(t, tz, calendar);
        }
        times
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Now => f.write_str("立即"),
            Schedule::Once { at } => write!(f, "{}", at.format("%Y-%m-%d %H:%M UTC")),
            Schedule::Cron { text, .. } => f.write_str(text),
            Schedule::Workdays { time } => write!(f, "每个工作日 {}", time.format("%H:%M")),
        }
    }
}

/// Quiet hours: a daily window (e.g. 22:00–07:00, across midnight) in which broadcasts wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// `22:00-07:00`, or `off` (None).
    pub fn parse(s: &str) -> Result<Option<QuietHours>, String> {
        let s = fold(s.trim());
        if matches!(s.as_str(), "off" | "none" | "no" | "关闭" | "") {
            return Ok(None);
        }
        let (a, b) = s.split_once('-').ok_or_else(|| format!("{s:?} is not like 22:00-07:00 or off"))?;
        let start = parse_time(a).ok_or_else(|| format!("{a:?} is not a time"))?;
        let end = parse_time(b).ok_or_else(|| format!("{b:?} is not a time"))?;
        if start == end {
            return Err("quiet hours must not start and end at the same time".into());
        }
        Ok(Some(QuietHours { start, end }))
    }

    /// If `at` falls inside the window, the instant the window ends; otherwise `None`.
    pub fn ends_after(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        let t = local.time();
        let inside = if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        };
        if !inside {
            return None;
        }
        let mut day = local.date_naive();
        if self.start > self.end && t >= self.start {
            day = day.checked_add_days(Days::new(1))?;
        }
        local_to_utc(day.and_time(self.end), tz)
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Weekday};

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn bj(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        SH.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap().with_timezone(&Utc)
    }

    fn cal() -> HolidayCalendar {
        let mut c = HolidayCalendar::default();
        c.add_year("2026", include_str!("../../config/holidays/2026.toml")).unwrap();
        c
    }

    fn parse(s: &str) -> Result<Schedule, ScheduleError> {
        parse_schedule(s, SH, bj(2026, 11, 28, 12, 0))
    }

    fn next3(s: &str) -> Vec<DateTime<Utc>> {
        parse(s).unwrap().upcoming(bj(2026, 11, 28, 12, 0), 3, SH, &cal())
    }

    #[test]
    fn unix_cron_weekday_1_is_monday_in_the_configured_zone() {
        let times = next3("0 9 * * 1");
        assert_eq!(times, [bj(2026, 11, 30, 9, 0), bj(2026, 12, 7, 9, 0), bj(2026, 12, 14, 9, 0)]);
        for t in times {
            assert_eq!(t.with_timezone(&SH).weekday(), Weekday::Mon);
        }
    }

    #[test]
    fn weekday_0_and_7_and_names_all_mean_sunday() {
        let sunday = bj(2026, 11, 29, 9, 0);
        for expr in ["0 9 * * 0", "0 9 * * 7", "0 9 * * Sun", "0 9 * * SUN"] {
            assert_eq!(next3(expr)[0], sunday, "{expr}");
        }
        assert_eq!(next3("0 9 * * Mon")[0], bj(2026, 11, 30, 9, 0));
    }

    #[test]
    fn day_of_month_and_day_of_week_together_mean_either_as_in_unix_cron() {
        // Every 13th *and* every Friday: Fri 4 Dec, Fri 11 Dec, Sun 13 Dec.
        let times = next3("0 9 13 * 5");
        assert_eq!(times, [bj(2026, 12, 4, 9, 0), bj(2026, 12, 11, 9, 0), bj(2026, 12, 13, 9, 0)]);
    }

    #[test]
    fn six_fields_put_seconds_first() {
        let times = next3("30 0 9 * * 1");
        assert_eq!(times[0], bj(2026, 11, 30, 9, 0) + chrono::Duration::seconds(30));
    }

    #[test]
    fn invalid_cron_is_refused_with_the_reason() {
        for bad in ["61 9 * * 1", "0 9 * * 8", "0 9 * *", "* * * * * * * *", "0 9 31 2 * x"] {
            let err = parse(bad).unwrap_err();
            assert!(
                matches!(err, ScheduleError::BadCron { .. } | ScheduleError::Unrecognised(_)),
                "{bad}: {err:?}"
            );
        }
        let ScheduleError::BadCron { reason, .. } = parse("0 9 * *").unwrap_err() else { panic!() };
        assert_eq!(reason, CronProblem::FieldCount(4));
    }

    #[test]
    fn ranges_that_wrap_round_are_read_as_unix_cron_reads_them() {
        assert_eq!(unwrap_ranges("0 22-2 * * *"), "0 22-23,0-2 * * *");
        assert_eq!(unwrap_ranges("0 9 * * 5-1"), "0 9 * * 5-6,0-1");
        assert_eq!(unwrap_ranges("0 9 * * fri-mon"), "0 9 * * 5-6,0-1");
        assert_eq!(unwrap_ranges("0 9 * * 6-0"), "0 9 * * 6,0");
        assert_eq!(unwrap_ranges("0 9 * nov-feb *"), "0 9 * 11-12,1-2 *");
        assert_eq!(unwrap_ranges("30 0 23-1 * * *"), "30 0 23,0-1 * * *");
        assert_eq!(unwrap_ranges("0 9-17 * * 1-5"), "0 9-17 * * 1-5", "ordinary ranges are left alone");
    }

    #[test]
    fn a_wrapping_hour_range_fires_at_the_hours_unix_cron_would() {
        // From Wednesday 25 November 2026 12:00 Beijing: 22:00, 23:00, then 00:00, 01:00, 02:00
        // on Thursday, then 22:00 again - computed by hand.
        let schedule = parse_schedule("0 22-2 * * *", SH, bj(2026, 11, 25, 12, 0)).unwrap();
        let times = schedule.upcoming(bj(2026, 11, 25, 12, 0), 6, SH, &HolidayCalendar::default());
        let expected = [
            bj(2026, 11, 25, 22, 0),
            bj(2026, 11, 25, 23, 0),
            bj(2026, 11, 26, 0, 0),
            bj(2026, 11, 26, 1, 0),
            bj(2026, 11, 26, 2, 0),
            bj(2026, 11, 26, 22, 0),
        ];
        assert_eq!(times, expected);
    }

    #[test]
    fn a_wrapping_weekday_range_fires_friday_to_monday() {
        // Wednesday 25 November 2026: Friday 27, Saturday 28, Sunday 29, Monday 30 November,
        // then Friday 4 December.
        let schedule = parse_schedule("0 9 * * 5-1", SH, bj(2026, 11, 25, 12, 0)).unwrap();
        let times = schedule.upcoming(bj(2026, 11, 25, 12, 0), 5, SH, &HolidayCalendar::default());
        let days: Vec<u32> = times.iter().map(|t| t.with_timezone(&SH).day()).collect();
        assert_eq!(days, [27, 28, 29, 30, 4]);
    }

    #[test]
    fn an_expression_that_can_never_fire_is_called_that_not_past() {
        assert_eq!(
            parse_schedule("0 0 30 2 *", SH, bj(2026, 11, 25, 12, 0)),
            Err(ScheduleError::NeverFires("0 0 30 2 *".into()))
        );
        assert!(
            parse_schedule("0 0 29 2 *", SH, bj(2026, 11, 25, 12, 0)).is_ok(),
            "29 February comes in 2028"
        );
    }

    #[test]
    fn six_field_schedules_have_seconds_and_five_field_ones_do_not() {
        assert!(parse_schedule("30 0 9 * * 1", SH, bj(2026, 11, 25, 12, 0)).unwrap().has_seconds());
        assert!(!parse_schedule("0 9 * * 1", SH, bj(2026, 11, 25, 12, 0)).unwrap().has_seconds());
    }

    #[test]
    fn chinese_shortcuts_become_schedules() {
        assert_eq!(next3("每周一 09:00")[0], bj(2026, 11, 30, 9, 0));
        assert_eq!(
            next3("每天 08:30"),
            [bj(2026, 11, 29, 8, 30), bj(2026, 11, 30, 8, 30), bj(2026, 12, 1, 8, 30)]
        );
        assert_eq!(
            next3("每月1日 09:00"),
            [bj(2026, 12, 1, 9, 0), bj(2027, 1, 1, 9, 0), bj(2027, 2, 1, 9, 0)]
        );
        assert_eq!(next3("每週日 10:00")[0], bj(2026, 11, 29, 10, 0), "Traditional input");
        assert!(matches!(parse("每周八 09:00"), Err(ScheduleError::Unrecognised(_))));
        assert!(matches!(parse("每天 25:00"), Err(ScheduleError::BadTime(_))));
    }

    #[test]
    fn working_days_skip_holidays_and_include_make_up_days() {
        let c = cal();
        let workdays = parse_schedule("每个工作日 09:00", SH, bj(2026, 9, 18, 12, 0)).unwrap();
        let times = workdays.upcoming(bj(2026, 9, 18, 12, 0), 5, SH, &c);
        // Sat 19 off, Sun 20 worked (调休), Mon 21, Tue 22, Wed 23, Thu 24; Fri 25 is 中秋.
        assert_eq!(times[0], bj(2026, 9, 20, 9, 0));
        assert_eq!(times[4], bj(2026, 9, 24, 9, 0));
        let after = workdays.next_after(bj(2026, 9, 24, 10, 0), SH, &c).unwrap();
        assert_eq!(after, bj(2026, 9, 28, 9, 0), "the Mid-Autumn weekend is skipped");
        let national = workdays.next_after(bj(2026, 9, 30, 10, 0), SH, &c).unwrap();
        assert_eq!(national, bj(2026, 10, 8, 9, 0));
    }

    #[test]
    fn a_date_and_time_is_once_and_must_be_in_the_future() {
        assert_eq!(parse("2026-12-01 09:00").unwrap(), Schedule::Once { at: bj(2026, 12, 1, 9, 0) });
        assert_eq!(parse("2026/12/01 9:00").unwrap(), Schedule::Once { at: bj(2026, 12, 1, 9, 0) });
        assert!(matches!(parse("2026-11-01 09:00"), Err(ScheduleError::InThePast(_))));
        assert!(matches!(parse("2026-02-30 09:00"), Err(ScheduleError::Unrecognised(_))));
        assert_eq!(parse("立即").unwrap(), Schedule::Now);
        assert_eq!(parse("now").unwrap(), Schedule::Now);
    }

    #[test]
    fn the_latest_tick_before_a_moment_is_found_for_catching_up_once() {
        let c = cal();
        let daily = parse("每天 08:30").unwrap();
        assert_eq!(daily.latest_at_or_before(bj(2026, 12, 3, 8, 45), SH, &c), Some(bj(2026, 12, 3, 8, 30)));
        assert_eq!(daily.latest_at_or_before(bj(2026, 12, 3, 8, 30), SH, &c), Some(bj(2026, 12, 3, 8, 30)));
        let workdays = parse_schedule("每个工作日 09:00", SH, bj(2026, 9, 18, 12, 0)).unwrap();
        assert_eq!(workdays.latest_at_or_before(bj(2026, 10, 5, 12, 0), SH, &c), Some(bj(2026, 9, 30, 9, 0)));
        assert_eq!(Schedule::Now.latest_at_or_before(bj(2026, 12, 3, 8, 45), SH, &c), None);
    }

    #[test]
    fn quiet_hours_across_midnight_end_the_next_morning() {
        let q = QuietHours::parse("22:00-07:00").unwrap().unwrap();
        assert_eq!(q.ends_after(bj(2026, 11, 28, 23, 30), SH), Some(bj(2026, 11, 29, 7, 0)));
        assert_eq!(q.ends_after(bj(2026, 11, 29, 6, 59), SH), Some(bj(2026, 11, 29, 7, 0)));
        assert_eq!(q.ends_after(bj(2026, 11, 29, 7, 0), SH), None);
        assert_eq!(q.ends_after(bj(2026, 11, 28, 21, 59), SH), None);
        let day = QuietHours::parse("12:00-13:30").unwrap().unwrap();
        assert_eq!(day.ends_after(bj(2026, 11, 28, 12, 10), SH), Some(bj(2026, 11, 28, 13, 30)));
        assert_eq!(QuietHours::parse("off").unwrap(), None);
        assert!(QuietHours::parse("22:00").is_err());
    }
}
