//! The arguments of `/tally`, `/missing` and `/export`, as people type them. Pure.
//!
//! - `/tally [week] [unit:人社局] [by:member|site|link|unit]`
//! - `/missing [week]`, `/missing sites [week] [送温暖]`
//! - `/export [csv|xlsx] [week | 2026-11-01..2026-11-30] [unit:人社局]`
//!
//! A week is anything [`parse_week_arg`] reads (`2026-W47`, `last`, `上周`, a date inside it).

use chrono::NaiveDate;

use super::Period;
use crate::checkins::kinds::Kinds;
use crate::domain::Grouping;
use crate::error::{Usage, UserError};
use crate::normalize::fold;
use crate::week::{parse_date, parse_week_arg};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyArgs {
    pub period: Period,
    pub unit: Option<String>,
    pub by: Grouping,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingArgs {
    pub period: Period,
    pub unit: Option<String>,
    /// `/missing sites`: sites rather than members.
    pub sites: bool,
    /// For sites: only check-ins of this kind count.
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportArgs {
    pub period: Period,
    pub unit: Option<String>,
    pub format: ExportFormat,
}

/// Longest range an export from the chat may cover (the command line has no limit).
pub const CHAT_EXPORT_MAX_DAYS: i64 = 366;

fn unit_word(word: &str) -> Option<String> {
    let folded = fold(word);
    ["unit:", "unit=", "单位:", "单位="]
        .iter()
        .find_map(|p| folded.strip_prefix(p))
        .map(|_| word.split_once([':', '=', '：']).map_or("", |(_, v)| v).trim().to_owned())
        .filter(|u| !u.is_empty())
}

fn grouping_word(word: &str) -> Option<Grouping> {
    let folded = fold(word);
    let value = folded.strip_prefix("by:").or_else(|| folded.strip_prefix("by=")).unwrap_or(&folded);
    match value {
        "unit" | "按单位" => Some(Grouping::Unit),
        "member" | "members" | "person" | "按成员" | "按人" => Some(Grouping::Member),
        "site" | "sites" | "按站点" | "按联系点" => Some(Grouping::Site),
        "link" | "links" | "按四联" | "按联系类型" => Some(Grouping::Link),
        _ => None,
    }
}

/// A week, or `from..to` (also `~`, `至`, `到`) in dates.
fn period_word(word: &str, today: NaiveDate, usage: Usage) -> Result<Period, UserError> {
    let folded = fold(word);
    for sep in ["..", "~", "至", "到"] {
        if let Some((a, b)) = folded.split_once(sep) {
            let (Some(from), Some(to)) = (parse_date(a), parse_date(b)) else {
                return Err(UserError::bad_argument(word, usage));
            };
            if to < from {
                return Err(UserError::bad_argument(word, usage));
            }
            return Ok(Period::Days { from, to });
        }
    }
    Ok(Period::Week(parse_week_arg(word, today)?))
}

fn set_once<T>(slot: &mut Option<T>, value: T, word: &str, usage: Usage) -> Result<(), UserError> {
    if slot.is_some() {
        return Err(UserError::bad_argument(word, usage));
    }
    *slot = Some(value);
    Ok(())
}

pub fn parse_tally(args: &str, today: NaiveDate) -> Result<TallyArgs, UserError> {
    let (mut period, mut unit, mut by) = (None, None, None);
    for word in args.split_whitespace() {
        if let Some(u) = unit_word(word) {
            set_once(&mut unit, u, word, Usage::Tally)?;
        } else if let Some(g) = grouping_word(word) {
            set_once(&mut by, g, word, Usage::Tally)?;
        } else {
            let week =
                parse_week_arg(word, today).map_err(|_| UserError::bad_argument(word, Usage::Tally))?;
            set_once(&mut period, Period::Week(week), word, Usage::Tally)?;
        }
    }
    Ok(TallyArgs {
        period: period.unwrap_or_else(|| Period::Week(crate::week::Week::containing(today))),
        unit,
        by: by.unwrap_or(Grouping::Unit),
    })
}

pub fn parse_missing(args: &str, today: NaiveDate, kinds: &Kinds) -> Result<MissingArgs, UserError> {
    let (mut period, mut unit, mut kind) = (None, None, None);
    let mut sites = false;
    for word in args.split_whitespace() {
        let folded = fold(word);
        if matches!(folded.as_str(), "sites" | "site" | "站点" | "联系点") {
            sites = true;
        } else if let Some(u) = unit_word(word) {
            set_once(&mut unit, u, word, Usage::Missing)?;
        } else if let Some(k) = kinds.lookup(word) {
            set_once(&mut kind, k.key.clone(), word, Usage::Missing)?;
        } else {
            let week =
                parse_week_arg(word, today).map_err(|_| UserError::bad_argument(word, Usage::Missing))?;
            set_once(&mut period, Period::Week(week), word, Usage::Missing)?;
        }
    }
    if kind.is_some() && !sites {
        return Err(UserError::bad_argument(args, Usage::Missing));
    }
    Ok(MissingArgs {
        period: period.unwrap_or_else(|| Period::Week(crate::week::Week::containing(today))),
        unit,
        sites,
        kind,
    })
}

pub fn parse_export(args: &str, today: NaiveDate) -> Result<ExportArgs, UserError> {
    let (mut period, mut unit, mut format) = (None, None, None);
    for word in args.split_whitespace() {
        match fold(word).as_str() {
            "csv" => set_once(&mut format, ExportFormat::Csv, word, Usage::Export)?,
            "xlsx" | "excel" => set_once(&mut format, ExportFormat::Xlsx, word, Usage::Export)?,
            _ => {
                if let Some(u) = unit_word(word) {
                    set_once(&mut unit, u, word, Usage::Export)?;
                } else {
                    let p = period_word(word, today, Usage::Export)
                        .map_err(|_| UserError::bad_argument(word, Usage::Export))?;
                    set_once(&mut period, p, word, Usage::Export)?;
                }
            }
        }
    }
    let period = period.unwrap_or_else(|| Period::Week(crate::week::Week::containing(today)));
    if let Period::Days { from, to } = period
        && (to - from).num_days() >= CHAT_EXPORT_MAX_DAYS
    {
        return Err(UserError::RangeTooLong { days: CHAT_EXPORT_MAX_DAYS });
    }
    Ok(ExportArgs { period, unit, format: format.unwrap_or(ExportFormat::Xlsx) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::week::Week;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap() // Saturday of 2026-W48
    }

    fn week(y: i32, w: u32) -> Period {
        Period::Week(Week::new(y, w).unwrap())
    }

    #[test]
    fn a_bare_tally_is_this_week_by_unit() {
        let a = parse_tally("", today()).unwrap();
        assert_eq!(a, TallyArgs { period: week(2026, 48), unit: None, by: Grouping::Unit });
    }

    #[test]
    fn tally_arguments_come_in_any_order_and_spelling() {
        let a = parse_tally("by:member 2026-W47 unit:人社局", today()).unwrap();
        assert_eq!(a.period, week(2026, 47));
        assert_eq!(a.unit.as_deref(), Some("人社局"));
        assert_eq!(a.by, Grouping::Member);
        assert_eq!(parse_tally("上週 按站点", today()).unwrap().by, Grouping::Site);
        assert_eq!(parse_tally("last by:link", today()).unwrap().period, week(2026, 47));
        assert_eq!(parse_tally("單位：科工局", today()).unwrap().unit.as_deref(), Some("科工局"));
    }

    #[test]
    fn tally_refuses_unknown_words_and_repeats_with_the_usage() {
        for bad in ["soon", "last 2026-W40", "by:member by:site", "by:planet"] {
            let err = parse_tally(bad, today()).unwrap_err();
            assert!(matches!(err, UserError::BadArgument { usage: Usage::Tally, .. }), "{bad}: {err:?}");
        }
    }

    #[test]
    fn missing_takes_sites_and_a_kind_in_any_spelling() {
        let kinds = Config::default().kinds;
        let m = parse_missing("", today(), &kinds).unwrap();
        assert!(!m.sites && m.kind.is_none());
        let m = parse_missing("sites last 送溫暖", today(), &kinds).unwrap();
        assert!(m.sites);
        assert_eq!(m.kind.as_deref(), Some("warmth"));
        assert_eq!(m.period, week(2026, 47));
        assert!(parse_missing("送温暖", today(), &kinds).is_err(), "a kind only makes sense for sites");
    }

    #[test]
    fn export_takes_a_format_a_week_or_a_date_range() {
        let e = parse_export("", today()).unwrap();
        assert_eq!((e.format, e.period), (ExportFormat::Xlsx, week(2026, 48)));
        let e = parse_export("csv 2026-11-01..2026-11-30", today()).unwrap();
        assert_eq!(e.format, ExportFormat::Csv);
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(e.period, Period::Days { from: d(11, 1), to: d(11, 30) });
        let e = parse_export("2026年11月1日至2026年11月15日 unit:人社局", today()).unwrap();
        assert_eq!(e.period, Period::Days { from: d(11, 1), to: d(11, 15) });
        assert!(parse_export("2026-11-30..2026-11-01", today()).is_err());
        assert!(parse_export("2026-11-01..soon", today()).is_err());
        assert!(matches!(
            parse_export("2024-01-01..2026-11-01", today()),
            Err(UserError::RangeTooLong { .. })
        ));
    }

    #[test]
    fn a_date_range_covers_whole_days_in_the_zone() {
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let (from, to) = Period::Days { from: d(11, 1), to: d(11, 30) }.utc_range(chrono_tz::Asia::Shanghai);
        assert_eq!(from.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-11-30T16:00:00+00:00");
    }
}
