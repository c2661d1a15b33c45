//! The State Council's annual notice of public holidays (国务院办公厅关于YYYY年部分节假日安排的
//! 通知), read as published, and written out as a year file of the holiday calendar.
//!
//! ```text
//! 国务院办公厅关于2026年部分节假日安排的通知
//! 一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
//! 二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
//! 三、清明节：4月4日（周六）至6日（周一）放假，共3天。
//! 六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
//! 一、元旦：1月1日放假，与周末连休。
//! 一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。
//! ```
//! Each numbered line is one holiday: its name, the days off (`M月D日至D日`, `至M月D日`, a
//! year where it differs, or one day), the count (`共N天`, checked against the days), and the
//! weekend days worked instead (`…上班`). Words in brackets (weekdays, lunar dates) and other
//! sentences (`鼓励各单位…`) are read past. Any other line (the title, the preamble, the closing
//! words, the date) is not part of the arrangement. Pure: no I/O.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use crate::normalize::half_width;

/// One year's arrangement as the notice states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    pub year: i32,
    /// The day the notice was issued, if the text gives it.
    pub issued: Option<NaiveDate>,
    pub holidays: Vec<Holiday>,
}

/// One numbered line: a holiday's days off and its make-up working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub workdays: Vec<NaiveDate>,
}

/// Why a notice cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrangementError {
    /// The year is nowhere (no title line, none given).
    NoYear,
    /// No numbered holiday line at all.
    NoHolidays,
    /// Numbered lines that do not read: (line number from 1, the line).
    Lines(Vec<(usize, String)>),
}

/// Reads a notice. `year` is used when the text has no title line naming one.
pub fn parse_arrangement(text: &str, year: Option<i32>) -> Result<Arrangement, ArrangementError> {
    let lines: Vec<String> = text.lines().map(|l| l.chars().map(half_width).collect::<String>()).collect();
    let year = lines.iter().find_map(|l| title_year(l)).or(year).ok_or(ArrangementError::NoYear)?;
    let issued = lines.iter().find_map(|l| issued_on(l.trim()));
    let mut holidays = Vec::new();
    let mut broken = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(body) = numbered(line.trim()) else { continue };
        match holiday(body, year) {
            Some(h) => holidays.push(h),
            None => broken.push((i + 1, text.lines().nth(i).unwrap_or("").trim().to_owned())),
        }
    }
    if !broken.is_empty() {
        return Err(ArrangementError::Lines(broken));
    }
    if holidays.is_empty() {
        return Err(ArrangementError::NoHolidays);
    }
    Ok(Arrangement { year, issued, holidays })
}

/// `…关于2026年部分节假日安排的通知` → 2026.
fn title_year(line: &str) -> Option<i32> {
    let rest = &line[line.find("关于")? + "关于".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[digits.len()..];
    (digits.len() == 4 && after.starts_with('年') && after.contains("节假日")).then(|| digits.parse().ok())?
}

/// A line that is only a date (`2025年11月4日`): when the notice was issued.
fn issued_on(line: &str) -> Option<NaiveDate> {
    let (date, rest) = date_at(line, None, None)?;
    rest.trim().is_empty().then_some(date)
}

/// The text after `一、`, `十二、` and the like.
fn numbered(line: &str) -> Option<&str> {
    let count = line.chars().take_while(|c| "一二三四五六七八九十".contains(*c)).count();
    if count == 0 {
        return None;
    }
    let rest = &line[line.char_indices().nth(count).map_or(line.len(), |(i, _)| i)..];
    rest.strip_prefix('、')
}

/// `元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。`
fn holiday(body: &str, year: i32) -> Option<Holiday> {
    let (name, rest) = body.split_once(['：', ':'])?;
    let text = without_brackets(rest);
    let mut days_off = None;
    let mut workdays = Vec::new();
    for sentence in text.split(['。', '；', ';']).map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(before) = sentence.find("上班").map(|i| &sentence[..i]) {
            for part in before.split(['、', '，', ',']).map(str::trim).filter(|p| !p.is_empty()) {
                let (date, tail) = date_at(part, Some(year), None)?;
                if !tail.trim().is_empty() {
                    return None;
                }
                workdays.push(date);
            }
        } else if sentence.contains("放假") && days_off.is_none() {
            days_off = Some(span(sentence, year)?);
        }
    }
    let (from, to) = days_off?;
    Some(Holiday { name: name.trim().to_owned(), from, to, workdays })
}

/// The days off in `1月1日至3日放假…，共3天` (or one day), checked against the stated count.
fn span(sentence: &str, year: i32) -> Option<(NaiveDate, NaiveDate)> {
    let (from, rest) = date_at(sentence, Some(year), None)?;
    let (to, rest) = match rest.strip_prefix('至') {
        Some(rest) => date_at(rest, Some(from.year()), Some(from.month()))?,
        None => (from, rest),
    };
    let rest = rest.trim_start();
    if !rest.starts_with("放假") || to < from || (to - from).num_days() > 31 {
        return None;
    }
    // `共9天` or `放假1天`: the count the notice gives must be the days it names.
    let stated = ["共", "放假"].iter().find_map(|w| {
        let after = &rest[rest.find(w)? + w.len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty() && after[digits.len()..].starts_with('天')).then(|| digits.parse::<i64>().ok())?
    });
    match stated {
        Some(n) if n != (to - from).num_days() + 1 => None,
        _ => Some((from, to)),
    }
}

/// A date at the start of `text` — `2022年12月31日`, `1月28日`, or `3日` (in `month`) — and the
/// text after it. `year` fills in a missing year; `month` a missing month.
fn date_at(text: &str, year: Option<i32>, month: Option<u32>) -> Option<(NaiveDate, &str)> {
    let mut rest = text.trim_start();
    let mut numbers = Vec::new();
    loop {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        let after = &rest[digits.len()..];
        let unit = after.chars().next()?;
        if !matches!(unit, '年' | '月' | '日' | '号') {
            return None;
        }
        numbers.push((unit, digits.parse::<u32>().ok()?));
        rest = &after[unit.len_utf8()..];
        if matches!(unit, '日' | '号') {
            break;
        }
    }
    let get = |u: char| numbers.iter().find(|(unit, _)| *unit == u).map(|(_, n)| *n);
    let day = get('日').or_else(|| get('号'))?;
    let month = get('月').or(month)?;
    let year = get('年').and_then(|y| i32::try_from(y).ok()).or(year)?;
    Some((NaiveDate::from_ymd_opt(year, month, day)?, rest))
}

/// The text without anything in brackets: `1月1日（周四）` → `1月1日`.
fn without_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

impl Arrangement {
    /// The year file, in the form of `config/holidays/2026.toml`: ranges of days off, and the
    /// working weekend days, each with what it is for.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let issued = self
            .issued
            .map(|d| format!("（{}年{}月{}日）", d.year(), d.month(), d.day()))
            .unwrap_or_default();
        let _ = writeln!(s, "# 国务院办公厅关于{}年部分节假日安排的通知{issued}", self.year);
        s.push_str("# Days off, and the weekend days that are working days (调休上班).\n");
        s.push_str(
            "# Written by `sansong holidays import` from the notice's text; check it against the notice.\n",
        );
        let _ = writeln!(s, "year = {}\n\nholidays = [", self.year);
        for h in &self.holidays {
            let days = if h.from == h.to { format!("{}", h.from) } else { format!("{}..{}", h.from, h.to) };
            let _ = writeln!(s, "  \"{days}\", # {}", h.name);
        }
        s.push_str("]\n\nworkdays = [\n");
        let mut workdays: Vec<(NaiveDate, &str)> =
            self.holidays.iter().flat_map(|h| h.workdays.iter().map(|d| (*d, h.name.as_str()))).collect();
        workdays.sort();
        for (d, name) in workdays {
            let _ = writeln!(s, "  \"{d}\", # {name}调休，{}上班", crate::week::weekday_name(d.weekday()));
        }
        s.push_str("]\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::calendar::HolidayCalendar;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The 2026 notice (国办发明电〔2025〕7号, issued 4 November 2025), as published.
    const NOTICE_2026: &str = include_str!("../../tests/fixtures/holidays/2026-notice.txt");

    /// The 2025 notice (issued 12 November 2024): a one-day 元旦, a holiday across months.
    const NOTICE_2025: &str = include_str!("../../tests/fixtures/holidays/2025-notice.txt");

    /// The 2024 notice (issued 25 October 2023): days without weekdays, 与周末连休, and a
    /// sentence with a date in brackets that is not a day off.
    const NOTICE_2024: &str = include_str!("../../tests/fixtures/holidays/2024-notice.txt");

    /// The 2023 notice (issued 8 December 2022): 元旦 starts in the year before.
    const NOTICE_2023: &str = include_str!("../../tests/fixtures/holidays/2023-notice.txt");

    #[test]
    fn the_2026_notice_writes_exactly_the_shipped_2026_file() {
        let shipped = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/holidays/2026.toml"),
        )
        .unwrap();
        let arrangement = parse_arrangement(NOTICE_2026, None).unwrap();
        assert_eq!(arrangement.issued, Some(d(2025, 11, 4)));
        assert_eq!(arrangement.to_toml(), shipped);
    }

    #[test]
    fn the_2025_notice_reads_one_day_off_and_a_holiday_across_two_months() {
        let a = parse_arrangement(NOTICE_2025, None).unwrap();
        assert_eq!(a.year, 2025);
        let spring = &a.holidays[1];
        assert_eq!((spring.name.as_str(), spring.from, spring.to), ("春节", d(2025, 1, 28), d(2025, 2, 4)));
        assert_eq!(spring.workdays, [d(2025, 1, 26), d(2025, 2, 8)]);
        assert_eq!((a.holidays[0].from, a.holidays[0].to), (d(2025, 1, 1), d(2025, 1, 1)));
        assert_eq!((a.holidays[4].from, a.holidays[4].to), (d(2025, 5, 31), d(2025, 6, 2)));
        assert_eq!(a.holidays[5].name, "国庆节、中秋节");
        assert_eq!(a.holidays[5].workdays, [d(2025, 9, 28), d(2025, 10, 11)]);
    }

    #[test]
    fn the_2024_notice_skips_the_eve_it_only_encourages_as_a_day_off() {
        let a = parse_arrangement(NOTICE_2024, None).unwrap();
        assert_eq!(a.holidays.len(), 7);
        assert_eq!(a.holidays[1].workdays, [d(2024, 2, 4), d(2024, 2, 18)], "除夕（2月9日）is not a workday");
        assert_eq!((a.holidays[1].from, a.holidays[1].to), (d(2024, 2, 10), d(2024, 2, 17)));
        assert_eq!((a.holidays[4].from, a.holidays[4].to), (d(2024, 6, 10), d(2024, 6, 10)));
        let mut calendar = HolidayCalendar::default();
        calendar.add_year("2024.toml", &a.to_toml()).unwrap();
        assert!(!calendar.is_working_day(d(2024, 2, 12)));
        assert!(calendar.is_working_day(d(2024, 2, 4)), "a Sunday worked for 春节");
        assert!(calendar.is_working_day(d(2024, 2, 9)), "除夕 is a working day by the arrangement");
    }

    #[test]
    fn the_2023_notice_reads_a_new_year_holiday_that_starts_in_the_year_before() {
        let a = parse_arrangement(NOTICE_2023, None).unwrap();
        assert_eq!((a.holidays[0].from, a.holidays[0].to), (d(2022, 12, 31), d(2023, 1, 2)));
        assert_eq!((a.holidays[2].from, a.holidays[2].to), (d(2023, 4, 5), d(2023, 4, 5)));
        assert_eq!(a.holidays[5].workdays, [d(2023, 10, 7), d(2023, 10, 8)]);
        assert!(a.to_toml().contains("\"2022-12-31..2023-01-02\", # 元旦"));
    }

    #[test]
    fn a_line_that_does_not_read_is_named_with_its_number_and_nothing_is_returned() {
        let broken = NOTICE_2026
            .replace("五、端午节：6月19日（周五）至21日（周日）放假，共3天。", "五、端午节：六月十九日放假。")
            .replace("共9天", "共8天");
        let Err(ArrangementError::Lines(lines)) = parse_arrangement(&broken, None) else { panic!() };
        let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [5, 8], "春节's count does not match its days; 端午节 has no date: {lines:?}");
        assert!(lines[1].1.starts_with("五、端午节"));
    }

    #[test]
    fn a_notice_without_its_title_needs_the_year_given() {
        let body = NOTICE_2024.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(parse_arrangement(&body, None), Err(ArrangementError::NoYear));
        assert_eq!(parse_arrangement(&body, Some(2024)).unwrap().holidays.len(), 7);
        assert_eq!(
            parse_arrangement("国务院办公厅关于2027年部分节假日安排的通知", None),
            Err(ArrangementError::NoHolidays)
        );
    }

    #[test]
    fn full_width_digits_read_like_ascii_ones() {
        let a =
            parse_arrangement("关于２０２７年部分节假日安排\n一、元旦：１月１日放假１天。", None).unwrap();
        assert_eq!((a.year, a.holidays[0].from), (2027, d(2027, 1, 1)));
    }
}
