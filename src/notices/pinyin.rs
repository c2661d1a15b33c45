//! Text pasted from mirror sites often carries pinyin after characters, as in 發(fā)展 or
//! 關(guān), and has been converted to Traditional characters. [`clean`] removes such
//! annotations and converts back to Simplified, for the organiser to choose in the preview.

/// Vowels with tone marks, as pinyin writes them.
const TONED: &str = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ";

/// Neutral-tone syllables that carry no tone mark.
const NEUTRAL: &[&str] =
    &["de", "le", "me", "ne", "ma", "ba", "zi", "men", "zhe", "guo", "li", "tou", "shang"];

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Whether `inner` (what stood between the brackets) reads as one pinyin syllable.
fn is_pinyin(inner: &str) -> bool {
    let n = inner.chars().count();
    if n == 0 || n > 7 {
        return false;
    }
    let letters = inner.chars().all(|c| c.is_ascii_lowercase() || c == 'ü' || TONED.contains(c));
    letters && (inner.chars().any(|c| TONED.contains(c)) || NEUTRAL.contains(&inner))
}

/// The text without pinyin annotations, in Simplified characters, if there was any pinyin to
/// remove; `None` when the text has none (then there is nothing to offer).
pub fn clean(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = matches!(c, '(' | '（');
        if opens && i > 0 {
            let close = chars[i + 1..].iter().take(9).position(|&x| matches!(x, ')' | '）'));
            if let Some(len) = close {
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                // A tone-marked syllable in brackets is an annotation wherever it stands (mirror
                // sites also garble some characters before it); a toneless one only after Han.
                let toned = inner.chars().any(|c| TONED.contains(c));
                if is_pinyin(&inner) && (toned || is_han(chars[i - 1])) {
                    removed += 1;
                    i += len + 2;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    (removed > 0).then(|| fast2s::convert(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_after_characters_is_removed_and_the_text_made_simplified() {
        assert_eq!(clean("發(fā)展").as_deref(), Some("发展"));
        assert_eq!(clean("關(guān)于").as_deref(), Some("关于"));
        assert_eq!(clean("聯(lián)鄉(xiāng)村、聯(lián)社區(qū)").as_deref(), Some("联乡村、联社区"));
        assert_eq!(clean("全角（fā）括號").as_deref(), Some("全角括号"));
    }

    #[test]
    fn ordinary_brackets_are_kept() {
        assert_eq!(clean("三亚长沙(湖南)商会"), None);
        assert_eq!(clean("1月1日(周四)至3日(周六)放假"), None);
        assert_eq!(clean("数字新基建(ABC)项目"), None);
        assert_eq!(clean("no chinese (de) here"), None);
        assert_eq!(clean(""), None);
    }

    #[test]
    fn the_campaign_article_as_pasted_comes_out_clean() {
        let article = include_str!("../../tests/fixtures/campaign-article.txt");
        let cleaned = clean(article).expect("the article carries pinyin");
        assert!(!cleaned.contains("(lián)") && !cleaned.contains("(fā)"));
        assert!(cleaned.contains("联乡村、联社区、联企业、联商会"), "{}", &cleaned[..300]);
        assert!(cleaned.contains("发展"));
        assert!(cleaned.contains("三亚长沙(湖南)商会"), "real brackets survive");
        // The mirror also garbled a few characters beyond repair ("當?shù)禺a業"); what the
        // cleaner promises is that no bracketed annotation survives.
        let bracketed = cleaned.split(['(', '（']).skip(1).filter(|rest| {
            let inner: String = rest.chars().take_while(|c| !matches!(c, ')' | '）')).collect();
            is_pinyin(&inner)
        });
        assert_eq!(bracketed.count(), 0);
    }
}
