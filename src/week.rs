//! ISO weeks (Monday first) in the configured zone, and the grammar people use to name one:
//! `2026-W47`, `W47`, `47`, `last`/`上周`, `this`/`本周`, or a date inside the week.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::normalize::fold;

/// One ISO week: `year` is the ISO week-numbering year, which differs from the calendar year
/// around New Year (2026-12-31 is in 2026-W53, 2027-01-01 too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Week {
    year: i32,
    week: u32,
}

impl Week {
    /// The week, if `year` has one numbered `week` (52 or 53 weeks a year).
    pub fn new(year: i32, week: u32) -> Option<Week> {
        (week >= 1 && week <= weeks_in_year(year)?).then_some(Week { year, week })
    }

    pub fn containing(date: NaiveDate) -> Week {
        let iso = date.iso_week();
        Week { year: iso.year(), week: iso.week() }
    }

    /// The week in which `at` falls, as seen on a wall clock in `tz`.
    pub fn of_instant(at: DateTime<Utc>, tz: Tz) -> Week {
        Week::containing(at.with_timezone(&tz).date_naive())
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u32 {
        self.week
    }

    pub fn monday(self) -> NaiveDate {
        // Valid by construction: `new` and `containing` only make weeks that exist.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday().checked_add_days(Days::new(6)).unwrap_or(NaiveDate::MAX)
    }

    pub fn previous(self) -> Week {
        Week::containing(self.monday().checked_sub_days(Days::new(7)).unwrap_or(NaiveDate::MIN))
    }

    pub fn next(self) -> Week {
        Week::containing(self.monday().checked_add_days(Days::new(7)).unwrap_or(NaiveDate::MAX))
    }

    /// The week as one number, `year * 100 + week` (202647): how the database keys it.
    pub fn key(self) -> i64 {
        i64::from(self.year) * 100 + i64::from(self.week)
    }

    /// The instants `[start, end)` of this week in `tz`: Monday 00:00 to the next Monday 00:00.
    pub fn utc_range(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (local_midnight(self.monday(), tz), local_midnight(self.next().monday(), tz))
    }
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

impl FromStr for Week {
    type Err = WeekError;
    /// Only the canonical `2026-W47` form (any case); see [`parse_week_arg`] for the rest.
    fn from_str(s: &str) -> Result<Self, WeekError> {
        let folded = fold(s.trim());
        match iso_week_form(&folded) {
            Some((year, week)) => make_week(year, week),
            None => Err(WeekError::Unrecognised(s.trim().to_owned())),
        }
    }
}

/// `周一` … `周日`: how a weekday is written (in texts, and in the holiday files' comments).
pub fn weekday_name(d: Weekday) -> &'static str {
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

/// How many ISO weeks `year` has: the week of 28 December is always its last.
pub fn weeks_in_year(year: i32) -> Option<u32> {
    NaiveDate::from_ymd_opt(year, 12, 28).map(|d| d.iso_week().week())
}

/// Midnight at the start of `date` in `tz`, as an instant. Where a zone skips midnight
/// (a daylight-saving jump), the first instant of the day that exists.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    for hour in 0..=23 {
        let Some(time) = NaiveTime::from_hms_opt(hour, 0, 0) else {
            continue;
        };
        if let Some(t) = tz.from_local_datetime(&date.and_time(time)).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    // No zone skips a whole day's hours; fall back to UTC midnight rather than fail.
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekError {
    #[error("not a week: {0:?}")]
    Unrecognised(String),
    #[error("{year} has no week {week} (it has {weeks})")]
    NoSuchWeek { year: i32, week: u32, weeks: u32 },
    #[error("not a date: {0:?}")]
    NoSuchDate(String),
}

/// Reads the week a person names, relative to `today` (a date in the configured zone).
pub fn parse_week_arg(input: &str, today: NaiveDate) -> Result<Week, WeekError> {
    let folded = fold(input.trim());
    let s = folded.trim();
    let current = Week::containing(today);
    match s {
        "" | "this" | "current" | "本周" | "这周" | "本星期" | "这星期" | "这个星期" => {
            return Ok(current);
        }
        "last" | "prev" | "previous" | "上周" | "上星期" | "上个星期" | "上一周" => {
            return Ok(current.previous());
        }
        _ => {}
    }
    if let Some((year, week)) = iso_week_form(s) {
        return make_week(year, week);
    }
    if let Some(week) = bare_week_form(s) {
        return make_week(current.year(), week);
    }
    if let Some((y, m, d)) = date_form(s) {
        return NaiveDate::from_ymd_opt(y, m, d)
            .map(Week::containing)
            .ok_or_else(|| WeekError::NoSuchDate(input.trim().to_owned()));
    }
    Err(WeekError::Unrecognised(input.trim().to_owned()))
}

fn make_week(year: i32, week: u32) -> Result<Week, WeekError> {
    Week::new(year, week).ok_or(WeekError::NoSuchWeek {
        year,
        week,
        weeks: weeks_in_year(year).unwrap_or(52),
    })
}

/// `2026-w47`, `2026w47`, `2026-w7` (already folded to lower case).
fn iso_week_form(s: &str) -> Option<(i32, u32)> {
    let (year, week) = s.split_once('w')?;
    let year = year.strip_suffix('-').unwrap_or(year);
    if year.len() != 4 || !all_digits(year) || week.is_empty() || week.len() > 2 || !all_digits(week) {
        return None;
    }
    Some((year.parse().ok()?, week.parse().ok()?))
}

/// `w47`, `47`, `第47周`.
fn bare_week_form(s: &str) -> Option<u32> {
    let s = s.strip_prefix('w').unwrap_or(s);
    let s = s.strip_prefix('第').and_then(|r| r.strip_suffix('周')).unwrap_or(s);
    (!s.is_empty() && s.len() <= 2 && all_digits(s)).then(|| s.parse().ok())?
}

/// A date as people write it: `2026-11-20`, `2026/11/20`, `2026.11.20`, `2026年11月20日`.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let folded = fold(input.trim());
    let (y, m, d) = date_form(folded.trim())?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `2026-11-20`, `2026/11/20`, `2026.11.20`, `2026年11月20日`.
fn date_form(s: &str) -> Option<(i32, u32, u32)> {
    let s = s.strip_suffix('日').unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).collect();
    match parts.as_slice() {
        [y, m, d]
            if y.len() == 4 && [y, m, d].iter().all(|p| !p.is_empty() && p.len() <= 4 && all_digits(p)) =>
        {
            Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?))
        }
        _ => None,
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let w = Week::new(2026, 48).unwrap();
        assert_eq!(w.monday(), date(2026, 11, 23));
        assert_eq!(w.sunday(), date(2026, 11, 29));
        assert_eq!(w.to_string(), "2026-W48");
    }

    #[test]
    fn the_iso_year_differs_from_the_calendar_year_at_new_year() {
        assert_eq!(Week::containing(date(2026, 12, 31)).to_string(), "2026-W53");
        assert_eq!(Week::containing(date(2027, 1, 3)).to_string(), "2026-W53");
        assert_eq!(Week::containing(date(2027, 1, 4)).to_string(), "2027-W01");
        assert_eq!(Week::containing(date(2024, 12, 30)).to_string(), "2025-W01");
        assert_eq!(Week::new(2026, 53).unwrap().next().to_string(), "2027-W01");
        assert_eq!(Week::new(2027, 1).unwrap().previous().to_string(), "2026-W53");
    }

    #[test]
    fn weeks_that_do_not_exist_are_refused() {
        assert_eq!(Week::new(2025, 53), None);
        assert!(Week::new(2026, 53).is_some());
        assert_eq!(Week::new(2026, 0), None);
        assert_eq!(
            "2025-W53".parse::<Week>(),
            Err(WeekError::NoSuchWeek { year: 2025, week: 53, weeks: 52 })
        );
    }

    #[test]
    fn sunday_2359_in_beijing_is_still_that_week_though_it_is_monday_nowhere_else_yet() {
        // Sunday 2026-11-29 23:59 in Shanghai is 15:59 UTC the same Sunday.
        let sunday_late = Utc.with_ymd_and_hms(2026, 11, 29, 15, 59, 0).unwrap();
        assert_eq!(Week::of_instant(sunday_late, SHANGHAI).to_string(), "2026-W48");
        // Monday 00:00 in Shanghai is Sunday 16:00 UTC: already the next week here.
        let monday_midnight = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        assert_eq!(Week::of_instant(monday_midnight, SHANGHAI).to_string(), "2026-W49");
    }

    #[test]
    fn the_utc_range_of_a_week_starts_at_local_monday_midnight() {
        let (start, end) = Week::new(2026, 48).unwrap().utc_range(SHANGHAI);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap());
    }

    #[test]
    fn local_midnight_survives_a_zone_that_skips_it() {
        // Chile moves clocks from 00:00 to 01:00 on the first Sunday of September.
        let t = local_midnight(date(2026, 9, 6), chrono_tz::America::Santiago);
        assert_eq!(t.with_timezone(&chrono_tz::America::Santiago).date_naive(), date(2026, 9, 6));
    }

    #[test]
    fn people_name_weeks_in_many_ways() {
        let today = date(2026, 11, 28); // Saturday of 2026-W48
        let w = |s: &str| parse_week_arg(s, today).map(|w| w.to_string());
        assert_eq!(w("").unwrap(), "2026-W48");
        assert_eq!(w("本周").unwrap(), "2026-W48");
        assert_eq!(w("last").unwrap(), "2026-W47");
        assert_eq!(w("上週").unwrap(), "2026-W47");
        assert_eq!(w("2026-W47").unwrap(), "2026-W47");
        assert_eq!(w("2026w7").unwrap(), "2026-W07");
        assert_eq!(w("２０２６－Ｗ４７").unwrap(), "2026-W47");
        assert_eq!(w("W45").unwrap(), "2026-W45");
        assert_eq!(w("45").unwrap(), "2026-W45");
        assert_eq!(w("第45周").unwrap(), "2026-W45");
        assert_eq!(w("2026-11-18").unwrap(), "2026-W47");
        assert_eq!(w("2026/11/18").unwrap(), "2026-W47");
        assert_eq!(w("2026年11月18日").unwrap(), "2026-W47");
    }

    #[test]
    fn nonsense_weeks_are_refused_with_the_reason() {
        let today = date(2026, 11, 28);
        assert!(matches!(parse_week_arg("soon", today), Err(WeekError::Unrecognised(_))));
        assert!(matches!(parse_week_arg("2026-W60", today), Err(WeekError::NoSuchWeek { .. })));
        assert!(matches!(parse_week_arg("2026-02-30", today), Err(WeekError::NoSuchDate(_))));
        assert!(matches!(parse_week_arg("123", today), Err(WeekError::Unrecognised(_))));
        assert!(matches!(parse_week_arg("99", today), Err(WeekError::NoSuchWeek { .. })));
    }
}
