//! China's working-day calendar: Monday to Friday, minus the official holidays, plus the
//! weekend days declared working days (调休). One TOML file per year in `config/holidays/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// Years with a published schedule; other years fall back to Monday–Friday.
    years: BTreeSet<i32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: {value:?} is not a date")]
    BadDate { file: String, value: String },
    #[error("{file}: holiday range {spec:?} is reversed or longer than a month")]
    BadRange { file: String, spec: String },
    #[error("{0}: cannot read the holidays folder: {1}")]
    Folder(String, String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

impl HolidayCalendar {
    /// Reads every `*.toml` in `dir`. A missing folder is an empty calendar (Monday–Friday).
    pub fn load_dir(dir: &Path) -> Result<HolidayCalendar, CalendarError> {
        let mut calendar = HolidayCalendar::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(calendar),
            Err(e) => return Err(CalendarError::Folder(dir.display().to_string(), e.to_string())),
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| CalendarError::Invalid { file: name.clone(), message: e.to_string() })?;
            calendar.add_year(&name, &text)?;
        }
        Ok(calendar)
    }

    /// Adds one year's file (its text; `name` is for error messages).
    pub fn add_year(&mut self, name: &str, text: &str) -> Result<(), CalendarError> {
        let file: YearFile = toml::from_str(text)
            .map_err(|e| CalendarError::Invalid { file: name.to_owned(), message: e.message().to_owned() })?;
        let date = |s: &str| {
            parse_date(s)
                .map_err(|_| CalendarError::BadDate { file: name.to_owned(), value: s.trim().to_owned() })
        };
        for spec in &file.holidays {
            let (from, to) = match spec.split_once("..") {
                Some((a, b)) => (date(a)?, date(b)?),
                None => {
                    let d = date(spec)?;
                    (d, d)
                }
            };
            if to < from || (to - from).num_days() > 31 {
                return Err(CalendarError::BadRange { file: name.to_owned(), spec: spec.clone() });
            }
            for d in from.iter_days().take_while(|d| *d <= to) {
                self.holidays.insert(d);
            }
        }
        for spec in &file.workdays {
            self.workdays.insert(date(spec)?);
        }
        self.years.insert(file.year);
        Ok(())
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// Whether the official schedule of `year` is loaded (otherwise only weekends are off).
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years whose official schedule is loaded, in order.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// The days off and the make-up working days (调休上班) of `year`, in order.
    pub fn year(&self, year: i32) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
        let of_year = |set: &BTreeSet<NaiveDate>| set.iter().copied().filter(|d| d.year() == year).collect();
        (of_year(&self.holidays), of_year(&self.workdays))
    }

    /// For reports: holidays by year.
    pub fn holidays_by_year(&self) -> BTreeMap<i32, usize> {
        let mut m = BTreeMap::new();
        for d in &self.holidays {
            *m.entry(d.year()).or_default() += 1;
        }
        m
    }
}

/// The year whose schedule should be loaded by `today` and is not: this year's, or from 1
/// November (the State Council publishes the next year's in the autumn) next year's.
pub fn missing_next_year(calendar: &HolidayCalendar, today: NaiveDate) -> Option<i32> {
    if !calendar.knows_year(today.year()) {
        return Some(today.year());
    }
    (today.month() >= 11 && !calendar.knows_year(today.year() + 1)).then_some(today.year() + 1)
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| format!("{s:?} is not a date: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> HolidayCalendar {
        let mut c = HolidayCalendar::default();
        c.add_year("2026.toml", include_str!("../../config/holidays/2026.toml")).unwrap();
        c
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn the_2026_spring_festival_is_off_and_its_make_up_saturdays_are_working_days() {
        let c = shipped();
        for day in 15..=23 {
            assert!(!c.is_working_day(d(2, day)), "2026-02-{day} is off");
        }
        assert!(c.is_working_day(d(2, 14)), "Saturday 14 February is worked");
        assert!(c.is_working_day(d(2, 28)), "Saturday 28 February is worked");
        assert!(c.is_working_day(d(2, 24)), "Tuesday after the holiday");
    }

    #[test]
    fn national_day_and_its_make_up_days() {
        let c = shipped();
        assert!(!c.is_working_day(d(10, 1)));
        assert!(!c.is_working_day(d(10, 7)));
        assert!(c.is_working_day(d(9, 20)), "Sunday 20 September is worked");
        assert!(c.is_working_day(d(10, 10)), "Saturday 10 October is worked");
        assert!(!c.is_working_day(d(10, 11)), "an ordinary Sunday");
    }

    #[test]
    fn ordinary_weeks_are_monday_to_friday_and_unknown_years_fall_back_to_that() {
        let c = shipped();
        assert!(c.is_working_day(d(11, 27)));
        assert!(!c.is_working_day(d(11, 28)));
        assert!(c.knows_year(2026) && !c.knows_year(2027));
        assert!(c.is_working_day(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()));
    }

    #[test]
    fn a_bad_file_is_refused_with_its_name() {
        let mut c = HolidayCalendar::default();
        let err = c.add_year("2027.toml", "year = 2027\nholidays = [\"2027-13-01\"]").unwrap_err();
        assert!(err.to_string().contains("2027.toml"), "{err}");
        assert!(c.add_year("x", "year = 2027\nholidays = [\"2027-02-10..2027-01-01\"]").is_err());
    }
}
