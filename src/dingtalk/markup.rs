//! What the bot says, in DingTalk's message types: plain text as `sampleText`; a message with
//! buttons as `sampleMarkdown`, each option a link that sends its number back as the person's
//! own message (`dtmd://dingtalkclient/sendMessage?content=…`, the link DingTalk's client
//! follows in a robot's markdown). Typing the number or the label works as well: a choice is
//! never only a link. DingTalk cannot edit a message, so an edit arrives as a new one.
//!
//! Message types and parameters: DingTalk's robot message types page (`sampleText {content}`,
//! `sampleMarkdown {title, text}`) and `sampleFile {mediaId, fileName, fileType}` as DingTalk's
//! callers send it (see the fake's notes in `tests/e2e/support/fake_dingtalk.rs`).

use serde_json::{Value, json};

use crate::chat::Keyboard;

/// DingTalk's limit for a message's parameters is 15,000 bytes (the group send page); a text
/// stays well under it, counted in characters.
pub const TEXT_LIMIT: usize = 4000;

/// One outgoing robot message: its template key and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotMessage {
    pub key: &'static str,
    pub param: Value,
}

/// A text, with its options (if any) as links that answer with their number.
pub fn message(text: &str, keyboard: Option<&Keyboard>, extra_links: &[(&str, &str)]) -> RobotMessage {
    // Each link answers with its number and the mark of this set of options, so a tap on an
    // older message's link presses nothing (see `crate::choices::pick`).
    let options: Vec<(String, String)> = keyboard
        .map(|k| {
            let choices = k.choices();
            choices
                .iter()
                .enumerate()
                .map(|(i, (label, _))| {
                    (format!("{}. {label}", i + 1), crate::choices::link_answer(i + 1, &choices))
                })
                .collect()
        })
        .unwrap_or_default();
    if options.is_empty() && extra_links.is_empty() {
        return RobotMessage { key: "sampleText", param: json!({ "content": text }) };
    }
    let mut body = lines(text);
    body.push_str("\n\n");
    for (label, answer) in
        options.iter().map(|(l, a)| (l.as_str(), a.as_str())).chain(extra_links.iter().copied())
    {
        body.push_str(&format!("[{}]({})  \n", escape(label), send_back(answer)));
    }
    if !options.is_empty() {
        body.push_str(crate::texts::checkins::TYPED_OPTIONS_HINT);
    }
    let title: String = text.lines().next().unwrap_or("").chars().take(30).collect();
    RobotMessage { key: "sampleMarkdown", param: json!({ "title": title, "text": body }) }
}

/// A text of any length as the messages that carry it: in parts under [`TEXT_LIMIT`], split
/// between lines, the options and links with the last part.
pub fn messages(text: &str, keyboard: Option<&Keyboard>, extra_links: &[(&str, &str)]) -> Vec<RobotMessage> {
    let mut parts = split(text, TEXT_LIMIT);
    let last = parts.pop().unwrap_or_default();
    let mut out: Vec<RobotMessage> = parts.iter().map(|p| message(p, None, &[])).collect();
    out.push(message(&last, keyboard, extra_links));
    out
}

/// A long text in parts of at most `limit` characters, split between lines where it can.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut length = 0;
    for line in text.split('\n') {
        let mut line_chars: Vec<char> = line.chars().collect();
        // A line longer than a part is cut where it must be.
        while line_chars.len() > limit {
            if !part.is_empty() {
                parts.push(std::mem::take(&mut part));
                length = 0;
            }
            parts.push(line_chars.drain(..limit).collect());
        }
        let n = line_chars.len();
        if length > 0 && length + 1 + n > limit {
            parts.push(std::mem::take(&mut part));
            length = 0;
        }
        if length > 0 {
            part.push('\n');
            length += 1;
        }
        part.extend(line_chars);
        length += n;
    }
    if !part.is_empty() || parts.is_empty() {
        parts.push(part);
    }
    parts
}

/// A notice's picture or file, already uploaded: a picture as an image message (its
/// `photoURL` may be the media id, DingTalk's message types page says), anything else as a
/// file.
pub fn media(kind: crate::notices::MediaKind, media_id: &str, name: &str) -> RobotMessage {
    match kind {
        crate::notices::MediaKind::Photo => {
            RobotMessage { key: "sampleImageMsg", param: json!({ "photoURL": media_id }) }
        }
        crate::notices::MediaKind::Document => file(media_id, name),
    }
}

/// A file already uploaded.
pub fn file(media_id: &str, name: &str) -> RobotMessage {
    let kind = name.rsplit_once('.').map_or("file", |(_, ext)| ext);
    RobotMessage {
        key: "sampleFile",
        param: json!({ "mediaId": media_id, "fileName": name, "fileType": kind }),
    }
}

/// The link that makes DingTalk's client send `text` as the person's message.
fn send_back(text: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
    format!("dtmd://dingtalkclient/sendMessage?content={encoded}")
}

/// Markdown line breaks for a plain text (a single newline would join the lines), escaped.
fn lines(text: &str) -> String {
    text.lines().map(escape).collect::<Vec<_>>().join("  \n")
}

/// The characters markdown gives a meaning, backslashed, so people's words show as written.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '`' | '>' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Button;

    #[test]
    fn a_long_text_is_split_between_lines_into_parts_under_the_limit() {
        let text = (1..=30).map(|i| format!("第{i}行：{}", "字".repeat(8))).collect::<Vec<_>>().join("\n");
        let parts = split(&text, 50);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= 50), "{parts:?}");
        assert_eq!(parts.join("\n"), text, "nothing lost or reordered");
        let long_line = "长".repeat(120);
        let parts = split(&long_line, 50);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [50, 50, 20]);
        assert_eq!(split("短", 50), ["短"]);
    }

    #[test]
    fn a_plain_text_goes_as_text_exactly_as_written() {
        let m = message("<送温暖> & *重点*", None, &[]);
        assert_eq!(m.key, "sampleText");
        assert_eq!(m.param["content"], "<送温暖> & *重点*");
    }

    #[test]
    fn options_become_numbered_links_that_send_their_number_back() {
        let k = Keyboard {
            rows: vec![vec![Button::new("送政策", "a".into()), Button::new("送服务", "b".into())]],
        };
        let m = message("请选择活动类型：", Some(&k), &[]);
        assert_eq!(m.key, "sampleMarkdown");
        let text = m.param["text"].as_str().unwrap();
        let token = crate::choices::token(&k.choices());
        assert!(
            text.contains(&format!("[1. 送政策](dtmd://dingtalkclient/sendMessage?content=1%C2%B7{token})")),
            "{text}"
        );
        assert!(
            text.contains(&format!("[2. 送服务](dtmd://dingtalkclient/sendMessage?content=2%C2%B7{token})")),
            "{text}"
        );
        assert_eq!(m.param["title"], "请选择活动类型：");
    }

    #[test]
    fn markdown_characters_in_the_text_are_escaped_and_lines_kept() {
        let m = message("第一行 *a*\n[第二行](x)", None, &[("收到", "收到")]);
        let text = m.param["text"].as_str().unwrap();
        assert!(text.starts_with("第一行 \\*a\\*  \n\\[第二行\\]\\(x\\)"), "{text}");
        assert!(text.contains("(dtmd://dingtalkclient/sendMessage?content=%E6%94%B6%E5%88%B0)"), "{text}");
    }
}
