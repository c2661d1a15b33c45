//! The check-in grammar: `[#][<day>] <kind> [<day>] [@<site>] <what was done, maybe with "N人">`.
//!
//! ```text
//! /checkin 送政策 为新球社区居民宣讲社保政策
//! #送温暖 @治水村 看望五保户3户，服务12人
//! 送服務：幫助辦理社保卡
//! 昨天 送服务 帮独居老人买药
//! 送温暖 周五 看望五保户
//! ```
//! The day of the work may come before or after the kind (see [`super::day`]); without one the
//! work counts when the message was sent.
//! The kind may be a label, short form, Traditional form or English word (see
//! [`crate::checkins::kinds::Kinds`]); `@站点` picks a site of the member's unit; the first `N人`
//! records how many people were served. The description is kept exactly as written.

use super::day::{NamedDay, take_day, take_day_glued};
use crate::checkins::kinds::Kinds;
use crate::error::UserError;
use crate::normalize::{clean_control, half_width, is_separator, strip_prefix_folded};

/// A description longer than this is refused rather than stored: it keeps receipts and
/// week views within one Telegram message and exports readable.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCheckin {
    /// The kind's key.
    pub kind: String,
    /// The site named with `@`, as typed.
    pub site: Option<String>,
    pub description: String,
    pub people_served: Option<u32>,
    /// The day named for the work, if one was.
    pub day: Option<NamedDay>,
}

pub fn parse_checkin(text: &str, kinds: &Kinds) -> Result<ParsedCheckin, UserError> {
    let cleaned = clean_control(text);
    let body = cleaned.trim().trim_start_matches(['#', '＃']).trim_start();
    if body.is_empty() {
        return Err(UserError::EmptyCheckin);
    }
    // The day before the kind (`昨天 送服务 …`), or right after it (`送服务 昨天 …`).
    let glued = || take_day_glued(body).filter(|(_, rest)| kinds.match_prefix(rest).is_some());
    let (mut day, body) = match take_day(body).or_else(glued) {
        Some((day, rest)) => {
            (Some(day), rest.trim_start_matches(|c: char| is_separator(c) || c == '#' || c == '＃'))
        }
        None => (None, body),
    };
    let Some((kind, rest)) = kinds.match_prefix(body) else {
        return Err(if body.is_empty() {
            UserError::EmptyCheckin
        } else {
            UserError::UnknownKind(first_word(body))
        });
    };
    let mut rest = after_kind(rest);
    // After the kind a bare `3-5` is more likely a number range (`3-5 户`) than a date: only the
    // unmistakable forms (`昨天`, `周五`, `11月28日`, `2026-11-28`) name a day there.
    if day.is_none()
        && let Some((named, after)) = take_day(rest).filter(|(d, _)| !d.is_bare_month_day())
    {
        day = Some(named);
        rest = after_kind(after);
    }
    let (site, description) = take_site(rest);
    let description = description.trim().to_owned();
    if description.is_empty() {
        return Err(UserError::MissingDescription);
    }
    let length = description.chars().count();
    if length > MAX_DESCRIPTION_CHARS {
        return Err(UserError::DescriptionTooLong(length));
    }
    Ok(ParsedCheckin {
        kind: kind.key.clone(),
        site,
        people_served: people_served(&description),
        description,
        day,
    })
}

/// Whether a plain message, with no command, is meant as a check-in: it starts with `#` or
/// with a kind's label (`送温暖 看望五保户`, `昨天送服务 …`, `送溫暖：…`). A short form alone does
/// not count (`政策怎么落实？` is a question, not a 送政策 check-in); after `/checkin` it does.
pub fn reads_as_checkin(text: &str, kinds: &Kinds) -> bool {
    let body = text.trim_start();
    if body.starts_with(['#', '＃']) {
        return true;
    }
    let starts_with_label = |t: &str| {
        kinds.all().iter().any(|k| strip_prefix_folded(t, &crate::normalize::fold(&k.label)).is_some())
    };
    let glued = || take_day_glued(body).filter(|(_, rest)| starts_with_label(rest));
    match take_day(body).or_else(glued) {
        Some((_, rest)) => starts_with_label(rest.trim_start_matches(is_separator)),
        None => starts_with_label(body),
    }
}

/// The text after the kind (or a day, or a site) without the separators between them
/// (`送政策：宣讲`, `送服务，@村`), but a sign that belongs to a number stays: `送政策 -5 度寒潮提醒`
/// keeps its `-5`.
pub fn after_kind(rest: &str) -> &str {
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts_number = matches!(c, '-' | '—' | '－' | '.' | '+' | '＋')
            && chars.peek().is_some_and(|(_, next)| half_width(*next).is_ascii_digit());
        if starts_number || !(is_separator(c) || c == '#' || c == '＃') {
            return &rest[i..];
        }
    }
    ""
}

/// A description typed on its own (in the guided dialogue): checked like the tail of a line.
pub fn parse_description(text: &str) -> Result<(String, Option<u32>), UserError> {
    let description = clean_control(text).trim().to_owned();
    if description.is_empty() {
        return Err(UserError::MissingDescription);
    }
    let length = description.chars().count();
    if length > MAX_DESCRIPTION_CHARS {
        return Err(UserError::DescriptionTooLong(length));
    }
    let people = people_served(&description);
    Ok((description, people))
}

/// The first `@site` token, and the text without it.
fn take_site(text: &str) -> (Option<String>, String) {
    // Only an @ that starts a word names a site: "a@b.cn" in a description is not one.
    let start = text.char_indices().find(|&(i, c)| {
        matches!(c, '@' | '＠')
            && text[..i].chars().next_back().is_none_or(|p| p.is_whitespace() || is_separator(p))
    });
    let Some((start, _)) = start else {
        return (None, text.to_owned());
    };
    let at_len = text[start..].chars().next().map_or(1, char::len_utf8);
    let name_start = start + at_len;
    let name_end = text[name_start..]
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '。' | '；' | ';' | '：' | ':' | '、'))
        .map_or(text.len(), |i| name_start + i);
    let name = text[name_start..name_end].trim();
    if name.is_empty() {
        return (None, text.to_owned());
    }
    let mut rest = String::with_capacity(text.len());
    rest.push_str(text[..start].trim_end());
    let tail = after_kind(&text[name_end..]);
    if !rest.is_empty() && !tail.is_empty() {
        rest.push(' ');
    }
    rest.push_str(tail);
    (Some(name.to_owned()), rest)
}

/// The number in the first `N人` (`服务12人`, `１２人次`), if any.
pub fn people_served(text: &str) -> Option<u32> {
    let chars: Vec<char> = text.chars().map(half_width).collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if chars.get(i) == Some(&'人') {
                let digits: String = chars[start..i].iter().collect();
                // An absurd number is more likely a typo than a head count; ignore it.
                return digits.parse().ok().filter(|n: &u32| *n <= 1_000_000);
            }
        } else {
            i += 1;
        }
    }
    None
}

fn first_word(text: &str) -> String {
    text.split(is_separator).next().unwrap_or("").chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Result<ParsedCheckin, UserError> {
        parse_checkin(text, &Config::default().kinds)
    }

    #[test]
    fn the_day_of_the_work_may_come_before_or_after_the_kind() {
        use crate::checkins::day::DayWord;
        let p = parse("昨天 送服务 帮独居老人买药").unwrap();
        assert_eq!((p.kind.as_str(), p.description.as_str()), ("service", "帮独居老人买药"));
        assert_eq!(p.day.map(|d| d.word), Some(DayWord::Yesterday));
        let p = parse("送温暖 周五 看望五保户").unwrap();
        assert_eq!(
            p.day.map(|d| (d.word, d.written)),
            Some((DayWord::Weekday(chrono::Weekday::Fri), "周五".into()))
        );
        assert_eq!(p.description, "看望五保户");
        let p = parse("#11月28日 #送政策 @治水村 宣讲").unwrap();
        assert_eq!((p.site.as_deref(), p.description.as_str()), (Some("治水村"), "宣讲"));
        assert!(p.day.is_some());
        let p = parse("2026-11-28 送政策：宣讲").unwrap();
        assert_eq!(p.description, "宣讲");
        let p = parse("送政策 昨天下午为居民宣讲").unwrap();
        assert_eq!(
            (p.day, p.description.as_str()),
            (None, "昨天下午为居民宣讲"),
            "a day glued to words is text"
        );
        assert_eq!(parse("昨天"), Err(UserError::EmptyCheckin));
        let p = parse("昨天送服务帮独居老人买药").unwrap();
        assert_eq!((p.kind.as_str(), p.description.as_str()), ("service", "帮独居老人买药"));
        assert!(p.day.is_some(), "a day glued to the kind");
    }

    #[test]
    fn a_number_range_after_the_kind_stays_in_the_description() {
        let p = parse("送温暖 3-5 户困难家庭").unwrap();
        assert_eq!((p.day, p.description.as_str()), (None, "3-5 户困难家庭"));
        let p = parse("送服务 10-15 分钟帮老人办卡").unwrap();
        assert_eq!((p.day, p.description.as_str()), (None, "10-15 分钟帮老人办卡"));
        assert!(parse("11-28 送服务 修水管").unwrap().day.is_some(), "before the kind it is a date");
        assert!(parse("送服务 11月28日 修水管").unwrap().day.is_some());
    }

    #[test]
    fn a_signed_number_after_a_site_keeps_its_sign() {
        let p = parse("送政策 @治水村 -5 度寒潮提醒").unwrap();
        assert_eq!((p.site.as_deref(), p.description.as_str()), (Some("治水村"), "-5 度寒潮提醒"));
    }

    #[test]
    fn a_description_starting_with_a_signed_number_keeps_its_sign() {
        assert_eq!(parse("送政策 -5 度寒潮提醒").unwrap().description, "-5 度寒潮提醒");
        assert_eq!(parse("送温暖 -10℃ 看望独居老人").unwrap().description, "-10℃ 看望独居老人");
        assert_eq!(parse("送温暖 －３℃ 送棉被").unwrap().description, "－３℃ 送棉被");
        assert_eq!(
            parse("送政策 - 宣讲").unwrap().description,
            "宣讲",
            "a dash between words is a separator"
        );
        assert_eq!(parse("送政策：-5 度").unwrap().description, "-5 度");
    }

    #[test]
    fn kind_then_description() {
        let p = parse("送政策 为新球社区居民宣讲社保政策").unwrap();
        assert_eq!(p.kind, "policy");
        assert_eq!(p.description, "为新球社区居民宣讲社保政策");
        assert_eq!(p.site, None);
        assert_eq!(p.people_served, None);
    }

    #[test]
    fn short_traditional_and_english_kinds_are_accepted() {
        assert_eq!(parse("政策 宣讲").unwrap().kind, "policy");
        assert_eq!(parse("送服務 幫辦社保卡").unwrap().kind, "service");
        assert_eq!(parse("送溫暖 看望").unwrap().kind, "warmth");
        assert_eq!(parse("Warmth visited elders").unwrap().kind, "warmth");
        assert_eq!(parse("service: fixed the roof").unwrap().description, "fixed the roof");
    }

    #[test]
    fn a_hashtag_and_no_space_after_the_kind_are_fine() {
        let p = parse("#送温暖 看望五保户").unwrap();
        assert_eq!((p.kind.as_str(), p.description.as_str()), ("warmth", "看望五保户"));
        let p = parse("送温暖看望五保户").unwrap();
        assert_eq!(p.description, "看望五保户");
        let p = parse("＃送政策：宣讲").unwrap();
        assert_eq!(p.description, "宣讲");
    }

    #[test]
    fn the_description_is_kept_as_written_in_traditional() {
        let p = parse("送服務 幫助辦理社保卡").unwrap();
        assert_eq!(p.description, "幫助辦理社保卡");
    }

    #[test]
    fn at_names_a_site_anywhere_in_the_text() {
        let p = parse("送政策 @治水村 宣讲惠农政策").unwrap();
        assert_eq!(p.site.as_deref(), Some("治水村"));
        assert_eq!(p.description, "宣讲惠农政策");
        let p = parse("送政策 宣讲惠农政策 ＠治水村，效果好").unwrap();
        assert_eq!(p.site.as_deref(), Some("治水村"));
        assert_eq!(p.description, "宣讲惠农政策 效果好");
    }

    #[test]
    fn an_at_inside_a_word_is_not_a_site() {
        let p = parse("送服务 帮助注册邮箱 li@example.cn 并登录").unwrap();
        assert_eq!(p.site, None);
        assert_eq!(p.description, "帮助注册邮箱 li@example.cn 并登录");
        let p = parse("送服务，@治水村 修路").unwrap();
        assert_eq!(p.site.as_deref(), Some("治水村"));
    }

    #[test]
    fn people_served_is_the_first_number_before_ren() {
        assert_eq!(parse("送服务 服务12人").unwrap().people_served, Some(12));
        assert_eq!(parse("送服务 为3户家庭共１０人次服务").unwrap().people_served, Some(10));
        assert_eq!(parse("送服务 2024年的工作").unwrap().people_served, None);
        assert_eq!(people_served("99999999999人"), None);
    }

    #[test]
    fn missing_parts_are_reported_precisely() {
        assert_eq!(parse(""), Err(UserError::EmptyCheckin));
        assert_eq!(parse("   #  "), Err(UserError::EmptyCheckin));
        assert_eq!(parse("送政策"), Err(UserError::MissingDescription));
        assert_eq!(parse("送政策 @治水村"), Err(UserError::MissingDescription));
        assert_eq!(parse("开会 学习文件"), Err(UserError::UnknownKind("开会".into())));
    }

    #[test]
    fn an_overlong_description_is_refused_not_truncated() {
        let long = format!("送政策 {}", "字".repeat(MAX_DESCRIPTION_CHARS + 1));
        assert_eq!(parse(&long), Err(UserError::DescriptionTooLong(MAX_DESCRIPTION_CHARS + 1)));
    }

    #[test]
    fn control_characters_and_odd_unicode_do_not_break_parsing() {
        let p = parse("送政策 \u{0}宣讲 🇨🇳 \u{202e}abc").unwrap();
        assert_eq!(p.kind, "policy");
        assert!(!p.description.contains('\u{0}'));
        assert!(parse("🙂🙂🙂").is_err());
        assert!(parse("@").is_err());
    }

    #[test]
    fn a_message_starting_with_a_kind_label_reads_as_a_check_in() {
        let k = Config::default().kinds;
        assert!(reads_as_checkin("送温暖 看望五保户王大爷", &k));
        assert!(reads_as_checkin("送溫暖：看望五保戶", &k));
        assert!(reads_as_checkin("#政策 宣讲", &k));
        assert!(reads_as_checkin("昨天 送服务 帮独居老人买药", &k));
        assert!(reads_as_checkin("昨天送服务 帮独居老人买药", &k));
        assert!(reads_as_checkin("送政策", &k), "the parser then asks what was done");
    }

    #[test]
    fn questions_and_chat_that_merely_mention_a_kind_do_not() {
        let k = Config::default().kinds;
        assert!(!reads_as_checkin("政策怎么落实？", &k));
        assert!(!reads_as_checkin("服务大厅几点开门", &k));
        assert!(!reads_as_checkin("你好", &k));
        assert!(!reads_as_checkin("明天送温暖吗", &k));
        assert!(!reads_as_checkin("", &k));
    }
}
