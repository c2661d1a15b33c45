//! The day a check-in names for the work, as people write it: `今天`, `昨天`, `前天`, `周五`
//! (the latest Friday not in the future), `11月28日`, `11-28`, `2026-11-28`. Pure: reading a
//! word, and resolving it against the day the message was sent.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::normalize::{fold, half_width, is_separator};

/// A day as written, before it is placed in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayWord {
    Today,
    Yesterday,
    DayBeforeYesterday,
    /// The latest such weekday not after today (today itself on that weekday).
    Weekday(Weekday),
    /// The latest such date not after today (this year, or last year's).
    MonthDay {
        month: u32,
        day: u32,
    },
    Date(NaiveDate),
}

/// A day word with the text it was written as (for a polite refusal that quotes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedDay {
    pub word: DayWord,
    pub written: String,
}

/// A day word at the start of `text`, ending where a separator (or the text) does, and the
/// text after it. `昨天下午` is not one: the word must stand alone.
pub fn take_day(text: &str) -> Option<(NamedDay, &str)> {
    let text = text.trim_start();
    let end = text.find(|c: char| is_separator(c) && c != '-').unwrap_or(text.len());
    let token = &text[..end];
    let word = read_day(token)?;
    Some((NamedDay { word, written: token.to_owned() }, &text[end..]))
}

/// A day word glued to what follows (`昨天送服务`): the longest start of `text` (up to six
/// characters) that is a day word, and the rest. The caller decides whether the rest makes the
/// reading sensible (a kind must follow).
pub fn take_day_glued(text: &str) -> Option<(NamedDay, &str)> {
    let text = text.trim_start();
    let ends: Vec<usize> = text.char_indices().map(|(i, _)| i).skip(2).take(5).collect();
    ends.into_iter().rev().find_map(|end| {
        let word = read_day(&text[..end])?;
        Some((NamedDay { word, written: text[..end].to_owned() }, &text[end..]))
    })
}

/// One day word, whole (a guided check-in's typed answer), or `None`.
pub fn read_day(token: &str) -> Option<DayWord> {
    let folded: String = fold(token.trim()).chars().map(half_width).collect();
    let t = folded.as_str();
    Some(match t {
        "今天" | "今日" | "today" => DayWord::Today,
        "昨天" | "昨日" | "yesterday" => DayWord::Yesterday,
        "前天" | "前日" => DayWord::DayBeforeYesterday,
        _ => {
            if let Some(day) =
                t.strip_prefix("周").or_else(|| t.strip_prefix("星期")).or_else(|| t.strip_prefix("礼拜"))
            {
                return weekday(day).map(DayWord::Weekday);
            }
            return date(t);
        }
    })
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "一" | "1" => Weekday::Mon,
        "二" | "2" => Weekday::Tue,
        "三" | "3" => Weekday::Wed,
        "四" | "4" => Weekday::Thu,
        "五" | "5" => Weekday::Fri,
        "六" | "6" => Weekday::Sat,
        "日" | "天" | "7" => Weekday::Sun,
        _ => return None,
    })
}

/// `11月28日`, `11月28号`, `2026年11月28日`, `11-28`, `11/28`, `2026-11-28`, `2026/11/28`.
fn date(t: &str) -> Option<DayWord> {
    let numbers: Vec<&str> = t.trim_end_matches(['日', '号']).split(['年', '月', '-', '/', '.']).collect();
    if numbers.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let chinese = t.contains('月');
    let n = |i: usize| numbers.get(i).and_then(|s| s.parse::<u32>().ok());
    match numbers.len() {
        // `11-28` needs its dash; `11月28日` its 月 and 日.
        2 if chinese == (t.ends_with('日') || t.ends_with('号')) => {
            let (month, day) = (n(0)?, n(1)?);
            ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(DayWord::MonthDay { month, day })
        }
        3 if numbers[0].len() == 4 => {
            NaiveDate::from_ymd_opt(i32::try_from(n(0)?).ok()?, n(1)?, n(2)?).map(DayWord::Date)
        }
        _ => None,
    }
}

impl NamedDay {
    /// Written as a bare `M-D` or `M/D` (no year, no 月/日): a date before the kind, but after
    /// it as likely a range of numbers (`3-5 户`).
    pub fn is_bare_month_day(&self) -> bool {
        matches!(self.word, DayWord::MonthDay { .. }) && !self.written.contains(['月', '日', '号'])
    }
}

impl DayWord {
    /// The date it names for a message sent on `today`, or `None` if there is no such date
    /// (`2月30日`).
    pub fn resolve(self, today: NaiveDate) -> Option<NaiveDate> {
        match self {
            DayWord::Today => Some(today),
            DayWord::Yesterday => today.checked_sub_days(Days::new(1)),
            DayWord::DayBeforeYesterday => today.checked_sub_days(Days::new(2)),
            DayWord::Weekday(w) => {
                let back = (7 + today.weekday().num_days_from_monday() - w.num_days_from_monday()) % 7;
                today.checked_sub_days(Days::new(u64::from(back)))
            }
            DayWord::MonthDay { month, day } => {
                let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
                match this_year {
                    Some(d) if d <= today => Some(d),
                    _ => NaiveDate::from_ymd_opt(today.year() - 1, month, day),
                }
            }
            DayWord::Date(d) => Some(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Tuesday 1 December 2026.
    fn tuesday() -> NaiveDate {
        d(2026, 12, 1)
    }

    fn on(word: &str, today: NaiveDate) -> Option<NaiveDate> {
        read_day(word)?.resolve(today)
    }

    #[test]
    fn relative_days_count_back_from_the_day_the_message_was_sent() {
        assert_eq!(on("今天", tuesday()), Some(tuesday()));
        assert_eq!(on("昨天", tuesday()), Some(d(2026, 11, 30)));
        assert_eq!(on("昨日", tuesday()), Some(d(2026, 11, 30)));
        assert_eq!(on("前天", tuesday()), Some(d(2026, 11, 29)));
    }

    #[test]
    fn a_weekday_is_the_latest_one_not_in_the_future_and_today_on_that_day() {
        assert_eq!(on("周五", tuesday()), Some(d(2026, 11, 27)));
        assert_eq!(on("星期日", tuesday()), Some(d(2026, 11, 29)));
        assert_eq!(on("周天", tuesday()), Some(d(2026, 11, 29)));
        assert_eq!(on("周二", tuesday()), Some(tuesday()), "on a Tuesday, 周二 is today");
        assert_eq!(on("周三", tuesday()), Some(d(2026, 11, 25)), "last Wednesday, not tomorrow");
        assert_eq!(on("禮拜五", tuesday()), Some(d(2026, 11, 27)), "Traditional script");
    }

    #[test]
    fn a_date_without_a_year_is_the_latest_one_not_in_the_future() {
        assert_eq!(on("11月28日", tuesday()), Some(d(2026, 11, 28)));
        assert_eq!(on("11月28号", tuesday()), Some(d(2026, 11, 28)));
        assert_eq!(on("11-28", tuesday()), Some(d(2026, 11, 28)));
        assert_eq!(on("１１-２８", tuesday()), Some(d(2026, 11, 28)), "full-width digits");
        assert_eq!(on("12月25日", tuesday()), Some(d(2025, 12, 25)), "Christmas to come is last year's");
        assert_eq!(on("2026-11-28", tuesday()), Some(d(2026, 11, 28)));
        assert_eq!(on("2026年11月28日", tuesday()), Some(d(2026, 11, 28)));
        assert_eq!(on("2月30日", tuesday()), None);
    }

    #[test]
    fn words_that_are_not_days_are_not_taken_for_days() {
        for word in ["-5", "11", "12人", "昨天下午", "周末", "2026", "11-28-3", "3月", "5度"] {
            assert_eq!(read_day(word), None, "{word}");
        }
    }

    #[test]
    fn a_day_word_must_stand_alone_before_the_rest() {
        let (day, rest) = take_day("昨天 送服务 帮独居老人买药").unwrap();
        assert_eq!(
            (day.word, day.written.as_str(), rest),
            (DayWord::Yesterday, "昨天", " 送服务 帮独居老人买药")
        );
        let (day, rest) = take_day("11-28，送政策").unwrap();
        assert_eq!((day.word, rest), (DayWord::MonthDay { month: 11, day: 28 }, "，送政策"));
        assert!(take_day("昨天下午帮老人").is_none());
        let (day, rest) = take_day_glued("昨天送服务帮老人").unwrap();
        assert_eq!((day.word, rest), (DayWord::Yesterday, "送服务帮老人"));
        let (day, rest) = take_day_glued("11月28日送政策").unwrap();
        assert_eq!((day.word, rest), (DayWord::MonthDay { month: 11, day: 28 }, "送政策"));
        assert!(take_day("送服务 昨天").is_none());
        assert!(take_day("-5 度寒潮提醒").is_none());
    }
}
