//! The console's query parameters, read into typed filters. Pure: the same text always reads
//! the same way, and a value that cannot be read is refused with its name and a hint (a polite
//! 400), never guessed at. Empty values mean "not given" (a form submits empty fields).
//!
//! - `week=2026-W49` (or anything the chat's week grammar reads: `上周`, a date in the week),
//!   or `from=2026-11-01&to=2026-11-30` (both, at most 366 days)
//! - `unit=人社局`, `kind=warmth` (a kind's key or label), `site=12`, `member=7`
//! - `by=unit|site|link|member`, `link=village|community|enterprise|chamber`
//! - `page=2` (from 1), `weeks=8` (1 to 26)

use chrono::NaiveDate;

use crate::checkins::kinds::Kinds;
use crate::domain::{Grouping, LinkKind};
use crate::tally::Period;
use crate::tally::args::CHAT_EXPORT_MAX_DAYS;
use crate::texts::web as texts;
use crate::week::{Week, parse_date, parse_week_arg};

/// Everything a page may be filtered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub period: Period,
    /// The week shown (for a date range: the week of its last day), for 上周/下周 and charts.
    pub week: Week,
    /// Whether the person chose a date range rather than a week.
    pub range: bool,
    pub unit: Option<String>,
    /// A kind's key.
    pub kind: Option<String>,
    pub site: Option<i64>,
    pub member: Option<i64>,
    pub by: Grouping,
    pub link: Option<LinkKind>,
    pub page: u32,
    pub weeks: u32,
}

/// A parameter that cannot be read: its name, what was given, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParam {
    pub name: &'static str,
    pub value: String,
    pub hint: &'static str,
}

impl BadParam {
    pub fn message(&self) -> String {
        texts::bad_parameter(self.name, &self.value, self.hint)
    }
}

/// Reads the query's pairs (the last of a repeated name wins) as of `today`.
pub fn parse(query: &[(String, String)], today: NaiveDate, kinds: &Kinds) -> Result<Filters, BadParam> {
    let get = |name: &str| {
        query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    };
    let bad = |name: &'static str, value: &str, hint: &'static str| BadParam {
        name,
        value: value.to_owned(),
        hint,
    };
    let week = match get("week") {
        None => Week::containing(today),
        Some(w) => parse_week_arg(w, today).map_err(|_| bad("week", w, texts::HINT_WEEK))?,
    };
    let day = |name: &'static str| match get(name) {
        None => Ok(None),
        Some(d) => parse_date(d).map(Some).ok_or_else(|| bad(name, d, texts::HINT_DATE)),
    };
    let (period, week, range) = match (day("from")?, day("to")?) {
        (None, None) => (Period::Week(week), week, false),
        (Some(from), Some(to)) if from <= to && (to - from).num_days() < CHAT_EXPORT_MAX_DAYS => {
            (Period::Days { from, to }, Week::containing(to), true)
        }
        (Some(from), Some(to)) => return Err(bad("to", &format!("{from}..{to}"), texts::HINT_DATE)),
        (Some(d), None) | (None, Some(d)) => return Err(bad("from", &d.to_string(), texts::HINT_DATE)),
    };
    let kind = match get("kind") {
        None => None,
        Some(k) => Some(
            kinds
                .all()
                .iter()
                .find(|d| d.key == k || d.label == k)
                .map(|d| d.key.clone())
                .ok_or_else(|| bad("kind", k, texts::HINT_KIND))?,
        ),
    };
    let id = |name: &'static str| match get(name) {
        None => Ok(None),
        Some(v) => {
            v.parse::<i64>().ok().filter(|n| *n > 0).map(Some).ok_or_else(|| bad(name, v, texts::HINT_NUMBER))
        }
    };
    let by = match get("by") {
        None | Some("unit") => Grouping::Unit,
        Some("site") => Grouping::Site,
        Some("link") => Grouping::Link,
        Some("member") => Grouping::Member,
        Some(other) => return Err(bad("by", other, texts::HINT_BY)),
    };
    let link = match get("link") {
        None => None,
        Some(l) => Some(
            LinkKind::ALL
                .into_iter()
                .find(|k| k.as_str() == l)
                .ok_or_else(|| bad("link", l, texts::HINT_LINK))?,
        ),
    };
    let page = match get("page") {
        None => 1,
        Some(p) => page_number(p).ok_or_else(|| bad("page", p, texts::HINT_NUMBER))?,
    };
    let weeks = match get("weeks") {
        None => 8,
        Some(w) => w
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=26).contains(n))
            .ok_or_else(|| bad("weeks", w, texts::HINT_WEEKS))?,
    };
    Ok(Filters {
        period,
        week,
        range,
        unit: get("unit").map(str::to_owned),
        kind,
        site: id("site")?,
        member: id("member")?,
        by,
        link,
        page,
        weeks,
    })
}

/// A page of a list, as `page=` gives it: 1 to a million.
pub fn page_number(value: &str) -> Option<u32> {
    value.parse::<u32>().ok().filter(|n| (1..=1_000_000).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    fn read(q: &str) -> Result<Filters, BadParam> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        parse(&pairs, today(), &Config::default().kinds)
    }

    #[test]
    fn no_parameters_mean_this_week_by_unit_on_the_first_page() {
        let f = read("").unwrap();
        assert_eq!(f.period, Period::Week(Week::new(2026, 49).unwrap()));
        assert_eq!((f.by, f.page, f.weeks, f.range), (Grouping::Unit, 1, 8, false));
        assert_eq!((f.unit, f.kind, f.site, f.member, f.link), (None, None, None, None, None));
    }

    #[test]
    fn a_week_reads_as_the_chat_reads_it() {
        assert_eq!(read("week=2026-W47").unwrap().week, Week::new(2026, 47).unwrap());
        assert_eq!(read("week=上周").unwrap().week, Week::new(2026, 48).unwrap());
        assert_eq!(read("week=2026-11-18").unwrap().week, Week::new(2026, 47).unwrap());
    }

    #[test]
    fn a_week_that_does_not_exist_is_refused_by_name() {
        let e = read("week=2026-W99").unwrap_err();
        assert_eq!((e.name, e.value.as_str()), ("week", "2026-W99"));
        assert!(e.message().contains("2026-W49"), "{}", e.message());
        assert_eq!(read("week=<script>").unwrap_err().name, "week");
    }

    #[test]
    fn a_date_range_needs_both_ends_in_order_and_at_most_a_year() {
        let f = read("from=2026-11-01&to=2026-11-30").unwrap();
        let days = Period::Days {
            from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        };
        assert_eq!(
            (f.period, f.range, f.week),
            (days, true, Week::new(2026, 49).unwrap()),
            "the week of the last day"
        );
        assert_eq!(read("from=2026-11-01").unwrap_err().name, "from");
        assert_eq!(read("from=2026-11-30&to=2026-11-01").unwrap_err().name, "to");
        assert_eq!(read("from=2024-01-01&to=2026-11-01").unwrap_err().name, "to");
        assert_eq!(read("from=2026-13-01&to=2026-11-01").unwrap_err().name, "from");
    }

    #[test]
    fn a_kind_is_its_key_or_its_label() {
        assert_eq!(read("kind=warmth").unwrap().kind.as_deref(), Some("warmth"));
        assert_eq!(read("kind=送温暖").unwrap().kind.as_deref(), Some("warmth"));
        assert_eq!(read("kind=送钱").unwrap_err().name, "kind");
    }

    #[test]
    fn numbers_must_be_positive_whole_numbers() {
        assert_eq!(read("page=-1").unwrap_err().name, "page");
        assert_eq!(read("page=0").unwrap_err().name, "page");
        assert_eq!(read("page=abc").unwrap_err().name, "page");
        assert_eq!(read("page=3").unwrap().page, 3);
        assert_eq!(read("site=0").unwrap_err().name, "site");
        assert_eq!(read("member=7").unwrap().member, Some(7));
        assert_eq!(read("weeks=27").unwrap_err().name, "weeks");
        assert_eq!(read("weeks=12").unwrap().weeks, 12);
    }

    #[test]
    fn grouping_and_link_kind_take_their_names_only() {
        assert_eq!(read("by=member").unwrap().by, Grouping::Member);
        assert_eq!(read("by=score").unwrap_err().name, "by");
        assert_eq!(read("link=community").unwrap().link, Some(LinkKind::Community));
        assert_eq!(read("link=moon").unwrap_err().name, "link");
    }

    #[test]
    fn empty_fields_are_not_given_and_the_last_repeat_wins() {
        let f = read("unit=&kind=&week=&page=").unwrap();
        assert_eq!((f.unit, f.kind, f.page), (None, None, 1));
        assert_eq!(read("unit=人社局&unit=科工局").unwrap().unit.as_deref(), Some("科工局"));
    }
}
