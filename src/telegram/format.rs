//! How Telegram's messages are shaped: texts split under its length limit (counted as it
//! counts, in UTF-16), and keyboards as its inline `reply_markup`. Pure; used by the replies'
//! sending side ([`super::send`]) and the notices' ([`super::api`]) alike.

use serde_json::{Value, json};

use crate::chat::Keyboard;

/// Telegram's limit is 4,096 characters per message; leave room for its own counting quirks.
pub const MESSAGE_LIMIT: usize = 4000;

/// Splits `text` into pieces of at most `limit` UTF-16 code units (Telegram's unit), at line
/// breaks where possible, never inside a character.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    crate::limits::split(text, limit, crate::limits::Measure::Utf16)
}

/// A keyboard as Telegram's `reply_markup`: inline buttons carrying their data back.
pub fn markup(keyboard: &Keyboard) -> Value {
    let rows: Vec<Vec<Value>> = keyboard
        .rows
        .iter()
        .map(|row| row.iter().map(|b| json!({"text": b.label, "callback_data": b.data})).collect())
        .collect();
    json!({"inline_keyboard": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_sent_whole() {
        assert_eq!(split_message("你好", 10), vec!["你好"]);
    }

    #[test]
    fn long_texts_split_at_line_breaks_under_the_limit() {
        let text = (0..100).map(|i| format!("第{i}行：三送活动记录")).collect::<Vec<_>>().join("\n");
        let parts = split_message(&text, 200);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.encode_utf16().count() <= 200, "{}", p.len());
            assert!(!p.starts_with('\n'));
        }
        assert_eq!(parts.join("\n"), text, "nothing lost or reordered");
    }

    #[test]
    fn a_single_overlong_line_is_cut_between_characters() {
        let text = "😀".repeat(300);
        let parts = split_message(&text, 101);
        assert!(parts.iter().all(|p| p.encode_utf16().count() <= 101));
        assert_eq!(parts.concat(), text);
    }
}
