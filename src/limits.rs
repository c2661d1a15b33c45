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
}

impl Measure {
    pub fn length(self, text: &str) -> usize {
        match self {
            Measure::Utf16 => text.encode_utf16().count(),
            Measure::Chars => text.chars().count(),
        }
    }
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
