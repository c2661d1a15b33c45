//! Folding what people type into one form for matching: Traditional characters become
//! Simplified (送服務 → 送服务), full-width ASCII becomes half-width (＠１２ → @12), and Latin
//! letters are lower-cased. Only used to *match* input; what members wrote is stored as written.

/// Full-width ASCII (U+FF01..U+FF5E) and the ideographic space to their half-width forms.
pub fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The matching form of `s`: half-width, Simplified, lower-case.
pub fn fold(s: &str) -> String {
    let half: String = s.chars().map(half_width).collect();
    fast2s::convert(&half).to_lowercase()
}

/// Separators people put between a keyword and the rest of a line.
pub fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ':' | '：' | ',' | '，' | '、' | '-' | '—' | '；' | ';' | '.' | '。')
}

/// If `text` starts with `word` (compared in folded form), the rest of `text` after it.
/// Compares character by character so a conversion that changes byte lengths cannot misalign.
pub fn strip_prefix_folded<'a>(text: &'a str, word_folded: &str) -> Option<&'a str> {
    let n = word_folded.chars().count();
    let end = text.char_indices().nth(n).map(|(i, _)| i).unwrap_or(text.len());
    if text[..end].chars().count() != n {
        return None;
    }
    (fold(&text[..end]) == word_folded).then(|| &text[end..])
}

/// Telegram and Excel misbehave on some control characters; keep newlines and tabs only.
pub fn clean_control(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_and_full_width_fold_to_simplified_half_width() {
        assert_eq!(fold("送服務"), "送服务");
        assert_eq!(fold("送溫暖"), "送温暖");
        assert_eq!(fold("＠新球社區　１２人"), "@新球社区 12人");
        assert_eq!(fold("Policy"), "policy");
    }

    #[test]
    fn prefix_is_stripped_only_when_the_whole_word_matches() {
        assert_eq!(strip_prefix_folded("送服務 掃地", "送服务"), Some(" 掃地"));
        assert_eq!(strip_prefix_folded("送服", "送服务"), None);
        assert_eq!(strip_prefix_folded("POLICY talk", "policy"), Some(" talk"));
    }

    #[test]
    fn control_characters_are_removed_but_lines_kept() {
        assert_eq!(clean_control("a\u{0}b\nc\u{7}"), "ab\nc");
    }
}
