//! What each messaging platform declares about itself, so that the core can respect every
//! platform without knowing any: how long a message and a caption may be (and how the platform
//! counts), and how many bytes a button may carry back. Each platform folder defines its own
//! `LIMITS`; [`crate::platform_limits`] lists them, and the core applies the strictest, because
//! a notice composed today may reach a member on any platform (one who binds a second account
//! tomorrow included).

use crate::domain::Platform;

/// How a platform counts a text's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// UTF-16 code units (Telegram: an emoji counts 2).
    Utf16,
    /// Characters (Unicode scalar values).
    Chars,
    /// UTF-8 bytes (WeCom: a Chinese character counts 3).
    Bytes,
}

impl Measure {
    pub fn length(self, text: &str) -> usize {
        match self {
            Measure::Utf16 => text.encode_utf16().count(),
            Measure::Chars => text.chars().count(),
            Measure::Bytes => text.len(),
        }
    }

    fn of(self, c: char) -> usize {
        match self {
            Measure::Utf16 => c.len_utf16(),
            Measure::Chars => 1,
            Measure::Bytes => c.len_utf8(),
        }
    }
}

/// `text` as the messages that carry it, each at most `limit` long as `measure` counts: whole
/// when it fits; otherwise cut between lines, and a line longer than a message between
/// characters. No part ends in a line break or is blank (a long text of nothing but blank lines
/// is no message at all), and the parts joined by line breaks are the text, but for blank lines
/// where it was cut. Every platform's sender splits with
/// this, each counting its own way.
pub fn split(text: &str, limit: usize, measure: Measure) -> Vec<String> {
    if measure.length(text) <= limit {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let (mut part, mut length) = (String::new(), 0);
    for line in text.split('\n') {
        let mut line = line;
        let mut n = measure.length(line);
        // The line break that would join it to the part counts too.
        let joined = usize::from(!part.is_empty());
        if !part.is_empty() && length + joined + n > limit {
            parts.push(std::mem::take(&mut part));
            length = 0;
        }
        if n > limit {
            if !part.is_empty() {
                parts.push(std::mem::take(&mut part));
                length = 0;
            }
            // A line longer than a message: whole messages of it, the rest begins the next part.
            while n > limit {
                let (mut cut, mut taken) = (0, 0);
                for c in line.chars() {
                    let width = measure.of(c);
                    // A character wider than a whole message still goes, alone: the cut
                    // always moves on.
                    if taken + width > limit && cut > 0 {
                        break;
                    }
                    taken += width;
                    cut += c.len_utf8();
                }
                parts.push(line[..cut].to_owned());
                line = &line[cut..];
                n -= taken;
            }
        }
        if !part.is_empty() {
            part.push('\n');
            length += 1;
        }
        part.push_str(line);
        length += n;
    }
    parts.push(part);
    parts.into_iter().map(|p| p.trim_end_matches('\n').to_owned()).filter(|p| !p.trim().is_empty()).collect()
}

/// One platform's limits. `None`: the platform has no such limit the core must keep (its
/// sending side splits a long text into several messages, or sends a file and its words
/// apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub platform: Platform,
    pub measure: Measure,
    /// The longest text one message carries (a notice must fit one message, so its buttons
    /// stay with it).
    pub text: Option<usize>,
    /// The longest caption of a photo or file.
    pub caption: Option<usize>,
    /// The most bytes a button's data may have, where the platform carries it.
    pub button_data: Option<usize>,
    /// The largest photo and the largest file it takes from the bot, in bytes.
    pub photo_bytes: Option<usize>,
    pub file_bytes: Option<usize>,
}

/// Where a text does not fit: the platform, its limit, and the text's length as it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    pub platform: Platform,
    pub limit: usize,
    pub length: usize,
}

/// The first platform (in `limits`' order) on which `text` does not fit as one message, or as
/// one caption when `caption`.
pub fn too_long(limits: &[Limits], text: &str, caption: bool) -> Option<TooLong> {
    limits.iter().find_map(|l| {
        let limit = if caption { l.caption } else { l.text }?;
        let length = l.measure.length(text);
        (length > limit).then_some(TooLong { platform: l.platform, limit, length })
    })
}

/// The first platform (in `limits`' order) that would refuse a photo (`photo`) or a file of
/// `bytes` bytes, with its limit.
pub fn too_big(limits: &[Limits], photo: bool, bytes: usize) -> Option<(Platform, usize)> {
    limits.iter().find_map(|l| {
        let limit = if photo { l.photo_bytes } else { l.file_bytes }?;
        (bytes > limit).then_some((l.platform, limit))
    })
}

/// The fewest bytes any platform allows a button's data (`None`: no platform limits it).
pub fn button_data(limits: &[Limits]) -> Option<usize> {
    limits.iter().filter_map(|l| l.button_data).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NARROW: Limits = Limits {
        platform: Platform::Telegram,
        measure: Measure::Utf16,
        text: Some(10),
        caption: Some(4),
        button_data: Some(64),
        photo_bytes: Some(10),
        file_bytes: None,
    };
    const WIDE: Limits = Limits {
        platform: Platform::DingTalk,
        measure: Measure::Chars,
        text: Some(12),
        caption: None,
        button_data: None,
        photo_bytes: Some(20),
        file_bytes: Some(20),
    };

    #[test]
    fn a_text_must_fit_the_strictest_platform_counted_its_way() {
        // Six emoji: 6 characters, 12 UTF-16 units.
        let emoji = "😀".repeat(6);
        assert_eq!(
            too_long(&[WIDE, NARROW], &emoji, false),
            Some(TooLong { platform: Platform::Telegram, limit: 10, length: 12 })
        );
        assert_eq!(too_long(&[WIDE], &emoji, false), None);
        assert_eq!(too_long(&[WIDE, NARROW], "五个汉字啊", false), None);
    }

    #[test]
    fn a_platform_without_a_caption_limit_does_not_limit_captions() {
        assert_eq!(too_long(&[WIDE], &"字".repeat(100), true), None);
        assert_eq!(too_long(&[WIDE, NARROW], "五个汉字啊", true).map(|t| t.limit), Some(4));
    }

    #[test]
    fn a_text_that_fits_is_one_message_as_written() {
        assert_eq!(split("你好\n", 10, Measure::Chars), ["你好\n"]);
        assert_eq!(split("", 10, Measure::Bytes), [""]);
    }

    #[test]
    fn a_long_text_is_cut_between_lines_each_part_as_long_as_its_platform_counts() {
        let text = (1..=30).map(|i| format!("第{i}行：😀{}", "字".repeat(8))).collect::<Vec<_>>().join("\n");
        for measure in [Measure::Utf16, Measure::Chars, Measure::Bytes] {
            let parts = split(&text, 60, measure);
            assert!(parts.len() > 1, "{measure:?}");
            assert!(parts.iter().all(|p| measure.length(p) <= 60), "{measure:?}: {parts:?}");
            assert_eq!(parts.join("\n"), text, "{measure:?}: nothing lost or reordered");
        }
        // Exactly full parts: lines of 9 characters, 5 to a part of 49 (4 line breaks).
        let lines = "一二三四五六七八九\n".repeat(10);
        let parts = split(&lines, 49, Measure::Chars);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [49, 49]);
    }

    #[test]
    fn a_line_longer_than_a_message_is_cut_between_characters_never_inside_one() {
        let parts = split(&"长".repeat(120), 50, Measure::Chars);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [50, 50, 20]);
        // 3 bytes a character: 16 of them in 50 bytes, never half of one.
        let parts = split(&"策".repeat(40), 50, Measure::Bytes);
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [48, 48, 24]);
        // 2 units an emoji: 50 of them in 101 units.
        let parts = split(&"😀".repeat(120), 101, Measure::Utf16);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [50, 50, 20]);
        // The rest of a long line begins the next part, and the next line joins it.
        assert_eq!(
            split(&format!("{}\n尾", "长".repeat(12)), 5, Measure::Chars),
            ["长长长长长", "长长长长长", "长长\n尾"]
        );
    }

    #[test]
    fn a_character_wider_than_the_limit_goes_alone_and_the_split_ends() {
        assert_eq!(split("😀😀a", 1, Measure::Utf16), ["😀", "😀", "a"]);
        assert_eq!(split("政策", 2, Measure::Bytes), ["政", "策"]);
    }

    #[test]
    fn no_part_is_blank_or_ends_in_a_line_break() {
        let text = format!("{}\n\n\n\n\n\n{}\n\n", "甲".repeat(8), "乙".repeat(8));
        let parts = split(&text, 9, Measure::Chars);
        assert_eq!(parts, ["甲".repeat(8), "乙".repeat(8)]);
    }

    #[test]
    fn button_data_is_bounded_by_the_platforms_that_carry_it() {
        assert_eq!(button_data(&[WIDE, NARROW]), Some(64));
        assert_eq!(button_data(&[WIDE]), None);
    }

    #[test]
    fn a_file_must_fit_the_strictest_platform_of_its_kind() {
        assert_eq!(too_big(&[WIDE, NARROW], true, 11), Some((Platform::Telegram, 10)));
        assert_eq!(too_big(&[WIDE, NARROW], true, 10), None);
        assert_eq!(too_big(&[WIDE, NARROW], false, 21), Some((Platform::DingTalk, 20)));
        assert_eq!(too_big(&[NARROW], false, 1 << 30), None, "no limit: nothing to refuse");
    }
}
