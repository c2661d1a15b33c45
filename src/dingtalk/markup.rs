//! What the bot says, in DingTalk's message types: plain text as `sampleText`; a message with
//! at most five options (or a notice's 「收到」) as an ActionCard whose buttons send the option
//! back as the person's own message (`dtmd://dingtalkclient/sendMessage?content=…`, the link
//! DingTalk's client follows in a robot's message); more options as `sampleMarkdown`, each a
//! numbered link sending the same. Typing the number or the label works as well: a choice is
//! never only a button. Links in a text (the console's) open in DingTalk: in the PC client's
//! sidebar, in the in-app browser on a phone. DingTalk cannot edit a message, so an edit
//! arrives as a new one.
//!
//! Message types and parameters: DingTalk's robot message types page ("消息发送与接收类型",
//! open.dingtalk.com/document/development/robot-message-type, mirrored in
//! apolloyyu/kb-dingtalk-open-platform `…/0699-robot-message-type.md`): `sampleText {content}`,
//! `sampleMarkdown {title, text}`, `sampleActionCard {title, text, singleTitle, singleURL}`,
//! `sampleActionCard2`…`5 {title, text, actionTitle1, actionURL1, …}` (two to five buttons one
//! under another), `sampleActionCard6 {title, text, buttonTitle1, buttonUrl1, buttonTitle2,
//! buttonUrl2}` (two side by side), and `sampleFile {mediaId, fileName, fileType}`. The link
//! that opens a page in the sidebar: DingTalk's "消息链接说明" page
//! (`dingtalk://dingtalkclient/page/link?url=<encoded>&pc_slide=true`, `…/0776-message-link-description.md`).

use serde_json::{Map, Value, json};

use crate::chat::Keyboard;

/// DingTalk's limit for a message's parameters is 15,000 bytes (the group send page); a text
/// stays well under it, counted in characters.
pub const TEXT_LIMIT: usize = 4000;

/// The most buttons an ActionCard has (`sampleActionCard5`); more options are a list.
pub const MOST_BUTTONS: usize = 5;

/// Two buttons this short (in characters) sit side by side (`sampleActionCard6`).
const SIDE_BY_SIDE: usize = 10;

/// One outgoing robot message: its template key and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotMessage {
    pub key: &'static str,
    pub param: Value,
}

/// A text, with its options (if any) as buttons or links that answer with their number, and
/// `extra_links` (label, what it sends) after them.
pub fn message(text: &str, keyboard: Option<&Keyboard>, extra_links: &[(&str, &str)]) -> RobotMessage {
    // Each option answers with its number and the mark of this set of options, so a press on
    // an older message's button presses nothing (see `crate::choices::pick`).
    let options: Vec<(String, String)> = keyboard
        .map(|k| crate::choices::answers(&k.choices()))
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, (label, answer))| (format!("{}. {label}", i + 1), answer))
        .collect();
    let title: String = text.lines().next().unwrap_or("").chars().take(30).collect();
    if options.is_empty() && extra_links.is_empty() {
        if !has_link(text) {
            return RobotMessage { key: "sampleText", param: json!({ "content": text }) };
        }
        return RobotMessage { key: "sampleMarkdown", param: json!({ "title": title, "text": lines(text) }) };
    }
    let buttons: Vec<(&str, &str)> =
        options.iter().map(|(l, a)| (l.as_str(), a.as_str())).chain(extra_links.iter().copied()).collect();
    let mut body = lines(text);
    if !options.is_empty() {
        body.push_str("\n\n");
        body.push_str(crate::texts::checkins::TYPED_OPTIONS_HINT);
    }
    if buttons.len() <= MOST_BUTTONS {
        return action_card(&title, &body, &buttons);
    }
    let mut body = lines(text);
    body.push_str("\n\n");
    for (label, answer) in &buttons {
        body.push_str(&format!("[{}]({})  \n", escape(label), send_back(answer)));
    }
    body.push_str(crate::texts::checkins::TYPED_OPTIONS_HINT);
    RobotMessage { key: "sampleMarkdown", param: json!({ "title": title, "text": body }) }
}

/// An ActionCard of one to five buttons, each sending its answer back: one button alone, two
/// short ones side by side, else one under another.
fn action_card(title: &str, text: &str, buttons: &[(&str, &str)]) -> RobotMessage {
    let mut param = Map::new();
    param.insert("title".into(), json!(title));
    param.insert("text".into(), json!(text));
    let key = match buttons {
        [(label, answer)] => {
            param.insert("singleTitle".into(), json!(label));
            param.insert("singleURL".into(), json!(send_back(answer)));
            "sampleActionCard"
        }
        [(a, a_answer), (b, b_answer)]
            if a.chars().count() <= SIDE_BY_SIDE && b.chars().count() <= SIDE_BY_SIDE =>
        {
            param.insert("buttonTitle1".into(), json!(a));
            param.insert("buttonUrl1".into(), json!(send_back(a_answer)));
            param.insert("buttonTitle2".into(), json!(b));
            param.insert("buttonUrl2".into(), json!(send_back(b_answer)));
            "sampleActionCard6"
        }
        several => {
            for (i, (label, answer)) in several.iter().enumerate() {
                param.insert(format!("actionTitle{}", i + 1), json!(label));
                param.insert(format!("actionURL{}", i + 1), json!(send_back(answer)));
            }
            match several.len() {
                2 => "sampleActionCard2",
                3 => "sampleActionCard3",
                4 => "sampleActionCard4",
                _ => "sampleActionCard5",
            }
        }
    };
    RobotMessage { key, param: Value::Object(param) }
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
    crate::limits::split(text, limit, crate::limits::Measure::Chars)
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

/// The link that opens `url` inside DingTalk: in the PC client's sidebar, in the in-app
/// browser on a phone.
pub fn sidebar(url: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    format!("dingtalk://dingtalkclient/page/link?url={encoded}&pc_slide=true")
}

/// Whether a text holds a web address.
fn has_link(text: &str) -> bool {
    text.contains("http://") || text.contains("https://")
}

/// The web address starting `text` (which starts with `http`), without the punctuation that
/// ends a sentence after it.
fn address_at(text: &str) -> &str {
    let end =
        text.find(|c: char| !c.is_ascii_graphic() || matches!(c, '<' | '>' | '"')).unwrap_or(text.len());
    text[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\''])
}

/// Markdown line breaks for a plain text (a single newline would join the lines), escaped;
/// each web address a link that opens inside DingTalk, showing the address.
fn lines(text: &str) -> String {
    text.lines().map(|l| unlisted(&linked_line(l))).collect::<Vec<_>>().join("  \n")
}

/// A line as written, not a list item: a leading `-`, `+` or `1.` (a notice's own numbering)
/// is escaped, so markdown shows it instead of turning the lines into a list.
fn unlisted(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    if body.starts_with(['-', '+']) {
        format!("{indent}\\{body}")
    } else if digits > 0 && body[digits..].starts_with('.') {
        format!("{indent}{}\\{}", &body[..digits], &body[digits..])
    } else {
        line.to_owned()
    }
}

fn linked_line(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        out.push_str(&escape(&rest[..at]));
        let address = address_at(&rest[at..]);
        if address.len() <= "https://".len() {
            out.push_str(&escape(address));
        } else {
            out.push_str(&format!("[{}]({})", escape(address), sidebar(address)));
        }
        rest = &rest[at + address.len().max(1)..];
    }
    out.push_str(&escape(rest));
    out
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

    fn keyboard(labels: &[&str]) -> Keyboard {
        Keyboard { rows: vec![labels.iter().map(|l| Button::new(l, format!("data:{l}"))).collect()] }
    }

    #[test]
    fn two_short_options_are_two_buttons_side_by_side_that_send_their_number_back() {
        let k = keyboard(&["送政策", "送服务"]);
        let m = message("请选择活动类型：", Some(&k), &[]);
        let token = crate::choices::token(&k.choices());
        assert_eq!(m.key, "sampleActionCard6");
        assert_eq!(m.param["buttonTitle1"], "1. 送政策");
        assert_eq!(
            m.param["buttonUrl1"],
            format!("dtmd://dingtalkclient/sendMessage?content=1%C2%B7{token}")
        );
        assert_eq!(
            m.param["buttonUrl2"],
            format!("dtmd://dingtalkclient/sendMessage?content=2%C2%B7{token}")
        );
        assert_eq!(m.param["title"], "请选择活动类型：");
        assert!(m.param["text"].as_str().unwrap().ends_with(crate::texts::checkins::TYPED_OPTIONS_HINT));
    }

    #[test]
    fn up_to_five_options_are_buttons_one_under_another_and_more_are_a_numbered_list() {
        let labels = ["今天", "昨天", "前天", "更早的日期（输入日期）", "取消", "帮助"];
        for n in 2..=5 {
            let k = keyboard(&labels[..n]);
            let m = message("选一个：", Some(&k), &[]);
            // Two long labels do not fit side by side.
            let expected = if n == 2 {
                "sampleActionCard6"
            } else {
                ["", "", "", "sampleActionCard3", "sampleActionCard4", "sampleActionCard5"][n]
            };
            assert_eq!(m.key, expected, "{n} options");
            if n > 2 {
                assert_eq!(m.param[format!("actionTitle{n}")], format!("{n}. {}", labels[n - 1]));
                assert!(m.param[format!("actionURL{n}")].as_str().unwrap().starts_with("dtmd://"));
            }
        }
        let long = keyboard(&["更早的日期（输入日期）", "今天"]);
        assert_eq!(message("选一个：", Some(&long), &[]).key, "sampleActionCard2");
        let six = message("选一个：", Some(&keyboard(&labels)), &[]);
        assert_eq!(six.key, "sampleMarkdown");
        let text = six.param["text"].as_str().unwrap();
        let token = crate::choices::token(&keyboard(&labels).choices());
        assert!(
            text.contains(&format!("[6. 帮助](dtmd://dingtalkclient/sendMessage?content=6%C2%B7{token})")),
            "{text}"
        );
    }

    #[test]
    fn a_notices_shou_dao_is_one_button_and_its_text_keeps_its_lines_escaped() {
        let m = message("第一行 *a*\n[第二行](x)", None, &[("收到", "收到")]);
        assert_eq!(m.key, "sampleActionCard");
        assert_eq!(m.param["singleTitle"], "收到");
        assert_eq!(m.param["singleURL"], "dtmd://dingtalkclient/sendMessage?content=%E6%94%B6%E5%88%B0");
        let text = m.param["text"].as_str().unwrap();
        assert!(text.starts_with("第一行 \\*a\\*  \n\\[第二行\\]\\(x\\)"), "{text}");
    }

    #[test]
    fn a_web_address_opens_in_dingtalks_sidebar_showing_the_address() {
        let m =
            message("管理后台登录链接：\nhttps://console.example.org/login/AbC123。\n请勿转发", None, &[]);
        assert_eq!(m.key, "sampleMarkdown");
        let text = m.param["text"].as_str().unwrap();
        assert!(
            text.contains("[https://console.example.org/login/AbC123](dingtalk://dingtalkclient/page/link?url=https%3A%2F%2Fconsole.example.org%2Flogin%2FAbC123&pc_slide=true)。"),
            "{text}"
        );
        assert_eq!(
            sidebar("http://a/b?c=d"),
            "dingtalk://dingtalkclient/page/link?url=http%3A%2F%2Fa%2Fb%3Fc%3Dd&pc_slide=true"
        );
    }

    #[test]
    fn a_notices_own_numbering_and_dashes_stay_as_written_in_markdown() {
        assert_eq!(lines("通知：\n1. 周五前报送\n- 附件见下"), "通知：  \n1\\. 周五前报送  \n\\- 附件见下");
        assert_eq!(unlisted("2026年"), "2026年", "a number that is no list item is left alone");
    }
}
