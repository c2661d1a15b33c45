//! What the bot says, in WeCom's message types: text as `markdown` (the long connection takes
//! no `text`: `40008 invalid message type`), in parts of at most 20,480 UTF-8 bytes; a message
//! with at most six options (or a notice's 「收到」) as a `template_card` of type
//! `button_interaction` whose buttons' keys are what a typed answer would be; more options as
//! a numbered list. Typing the number or the label works as well: a choice is never only a
//! button, and a key carries the mark of its set of options, so a press on an older card
//! presses nothing (see [`crate::choices::pick`]).
//!
//! Shapes: WeCom's 「智能机器人长连接」 and 「模板卡片类型」 pages; the SDK's
//! `src/types/api.ts:332-402` (a card: `main_title {title, desc}`, `sub_title_text`,
//! `button_list [{text, style 1-4, key ≤ 1024 bytes}]` of at most 6, `task_id` of
//! `[0-9A-Za-z_\-@]` ≤ 128 bytes, unique per bot) and README.md:675-702.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::link::SentCard;
use crate::chat::Keyboard;
use crate::texts;

/// The most UTF-8 bytes of a markdown message (WeCom's page, the SDK's `api.ts:97`).
pub const CONTENT_LIMIT: usize = 20_480;
/// The most buttons a card has.
pub const MOST_BUTTONS: usize = 6;
/// A card's title is shown in full up to about this many characters (WeCom's advice).
const TITLE_CHARS: usize = 26;
/// A card's text under its title is shown in full up to about this many characters.
const SUB_TITLE_CHARS: usize = 112;

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Markdown(String),
    Card(Card),
}

/// A `button_interaction` card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub title: String,
    pub sub_title: Option<String>,
    /// (text, key): the key is what the press sends back.
    pub buttons: Vec<(String, String)>,
}

impl Out {
    /// The message's body as `aibot_respond_msg` and `aibot_send_msg` take it; a card gets a
    /// fresh task id, remembered through `remember` for its presses.
    pub fn body(&self, remember: impl FnOnce(&str, SentCard)) -> Value {
        match self {
            Out::Markdown(content) => json!({ "msgtype": "markdown", "markdown": { "content": content } }),
            Out::Card(card) => {
                let task_id = task_id();
                remember(&task_id, SentCard { title: card.title.clone(), buttons: card.buttons.clone() });
                json!({ "msgtype": "template_card", "template_card": card.json(&task_id) })
            }
        }
    }

    /// The text it shows (for the logs and the tests' reading).
    pub fn text(&self) -> String {
        match self {
            Out::Markdown(content) => content.clone(),
            Out::Card(card) => format!("{}\n{}", card.title, card.sub_title.as_deref().unwrap_or("")),
        }
    }
}

impl Card {
    fn json(&self, task_id: &str) -> Value {
        let buttons: Vec<Value> = self
            .buttons
            .iter()
            .enumerate()
            // The first option stands out (style 1), the others plain (style 2).
            .map(|(i, (text, key))| json!({ "text": text, "style": if i == 0 { 1 } else { 2 }, "key": key }))
            .collect();
        let mut card = json!({
            "card_type": "button_interaction",
            "main_title": { "title": self.title },
            "button_list": buttons,
            "task_id": task_id,
        });
        if let Some(sub) = &self.sub_title {
            card["sub_title_text"] = json!(sub);
        }
        card
    }
}

/// A task id unique to this bot (the time and a counter).
fn task_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("ss_{}_{n}", chrono::Utc::now().timestamp_millis())
}

/// A text with its options (if any) as buttons or a numbered list, and `extra` buttons (label,
/// what a press sends) after them.
pub fn messages(text: &str, keyboard: Option<&Keyboard>, extra: &[(&str, &str)]) -> Vec<Out> {
    // Each key answers as typing would (see `crate::choices::pick`).
    let options: Vec<(String, String)> =
        keyboard.map(|k| crate::choices::answers(&k.choices())).unwrap_or_default();
    let buttons: Vec<(String, String)> = options
        .iter()
        .cloned()
        .chain(extra.iter().map(|(l, a)| ((*l).to_owned(), (*a).to_owned())))
        .collect();
    if buttons.is_empty() {
        return split(text).into_iter().map(Out::Markdown).collect();
    }
    if buttons.len() > MOST_BUTTONS {
        let mut body = text.to_owned();
        body.push_str("\n\n");
        for (i, (label, _)) in options.iter().enumerate() {
            body.push_str(&format!("{}. {label}\n", i + 1));
        }
        body.push_str(texts::checkins::TYPED_OPTIONS_HINT);
        return split(&body).into_iter().map(Out::Markdown).collect();
    }
    let (first, rest) = text.trim().split_once('\n').unwrap_or((text.trim(), ""));
    let rest = rest.trim();
    if first.chars().count() <= TITLE_CHARS && rest.chars().count() <= SUB_TITLE_CHARS {
        let sub_title = (!rest.is_empty()).then(|| rest.to_owned());
        return vec![Out::Card(Card { title: first.to_owned(), sub_title, buttons })];
    }
    // Too much for a card: the words as a message, the buttons on a card under it.
    let mut out: Vec<Out> = split(text).into_iter().map(Out::Markdown).collect();
    let title = if options.is_empty() { texts::wecom::CARD_TITLE } else { texts::wecom::CHOOSE_TITLE };
    out.push(Out::Card(Card { title: title.to_owned(), sub_title: None, buttons }));
    out
}

/// `text` in parts of at most [`CONTENT_LIMIT`] bytes, cut at line ends where it can be.
pub fn split(text: &str) -> Vec<String> {
    crate::limits::split(text, CONTENT_LIMIT, crate::limits::Measure::Bytes)
}

/// The key of the one button an answered card keeps: it presses nothing.
pub const PRESSED_KEY: &str = "pressed";

/// The card a press updates to, and the card as it then stands: the same title, and only the
/// pressed option, shown as chosen (its key now presses nothing; pressed again, the card stays
/// as it is). A card no longer remembered (the bot restarted) shows the choice under a plain
/// title.
pub fn pressed(task_id: &str, card: Option<&SentCard>, key: &str) -> (Value, SentCard) {
    let title = card.map_or(texts::wecom::CARD_TITLE, |c| c.title.as_str()).to_owned();
    let label = match card.and_then(|c| c.buttons.iter().find(|(_, k)| k == key)) {
        Some((text, _)) if key == PRESSED_KEY => text.clone(),
        Some((text, _)) => texts::wecom::pressed(text),
        None => texts::wecom::PRESSED.to_owned(),
    };
    let json = json!({
        "card_type": "button_interaction",
        "main_title": { "title": title },
        "button_list": [{ "text": label, "style": 2, "key": PRESSED_KEY }],
        "task_id": task_id,
    });
    (json, SentCard { title, buttons: vec![(label, PRESSED_KEY.to_owned())] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Button;

    fn keyboard(labels: &[&str]) -> Keyboard {
        Keyboard { rows: labels.iter().map(|l| vec![Button::new(l, format!("d:{l}"))]).collect() }
    }

    #[test]
    fn a_plain_text_is_one_markdown_message() {
        assert_eq!(messages("本周共 3 次", None, &[]), vec![Out::Markdown("本周共 3 次".into())]);
    }

    #[test]
    fn a_short_prompt_with_few_options_is_one_card_whose_keys_answer_with_their_number() {
        let k = keyboard(&["送政策", "送服务", "送温暖"]);
        let out = messages("请选择活动类型：", Some(&k), &[]);
        let token = crate::choices::token(&k.choices());
        let [Out::Card(card)] = out.as_slice() else { panic!("{out:?}") };
        assert_eq!(card.title, "请选择活动类型：");
        assert_eq!(card.buttons[1], ("送服务".to_owned(), format!("2·{token}")));
    }

    #[test]
    fn a_long_text_with_options_goes_as_words_then_a_card() {
        let text = format!("预览：\n{}", "字".repeat(300));
        let out = messages(&text, Some(&keyboard(&["确认发布", "取消"])), &[]);
        assert!(matches!(&out[0], Out::Markdown(t) if t == &text), "{out:?}");
        assert!(matches!(&out[1], Out::Card(c) if c.buttons.len() == 2), "{out:?}");
    }

    #[test]
    fn seven_options_are_a_numbered_list() {
        let labels = ["一", "二", "三", "四", "五", "六", "七"];
        let out = messages("请选择：", Some(&keyboard(&labels)), &[]);
        let [Out::Markdown(text)] = out.as_slice() else { panic!("{out:?}") };
        assert!(text.contains("7. 七") && text.contains("1. 一"), "{text}");
    }

    #[test]
    fn a_text_over_20480_bytes_is_cut_at_line_ends_under_the_limit() {
        let line = format!("{}\n", "政".repeat(1000));
        let text = line.repeat(10);
        let parts = split(&text);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.len() <= CONTENT_LIMIT));
        assert_eq!(parts.concat().chars().filter(|c| *c == '政').count(), 10_000);
    }

    #[test]
    fn one_line_longer_than_a_message_is_cut_between_characters() {
        let parts = split(&"策".repeat(10_000));
        assert!(parts.iter().all(|p| p.len() <= CONTENT_LIMIT && !p.is_empty()));
        assert_eq!(parts.concat(), "策".repeat(10_000));
    }

    #[test]
    fn a_pressed_card_shows_the_choice_and_its_key_presses_nothing() {
        let card =
            SentCard { title: "请选择".into(), buttons: vec![("送温暖".into(), "3·abcd".into())] };
        let (v, answered) = pressed("t1", Some(&card), "3·abcd");
        assert_eq!(v["button_list"][0]["text"], "✓ 送温暖");
        assert_eq!(v["button_list"][0]["key"], "pressed");
        assert_eq!(v["task_id"], "t1");
        let (again, _) = pressed("t1", Some(&answered), "pressed");
        assert_eq!(again["button_list"], v["button_list"], "pressed again, it stays as it is");
    }

    #[test]
    fn a_card_has_its_task_id_and_at_most_six_buttons() {
        let out = messages("请选择：", Some(&keyboard(&["1", "2", "3", "4", "5", "6"])), &[]);
        let mut remembered = None;
        let body = out[0].body(|id, _| remembered = Some(id.to_owned()));
        assert_eq!(body["template_card"]["button_list"].as_array().map(Vec::len), Some(6));
        let task = body["template_card"]["task_id"].as_str().unwrap_or_default();
        assert_eq!(Some(task.to_owned()), remembered);
        assert!(task.chars().all(|c| c.is_ascii_alphanumeric() || "_-@".contains(c)));
    }
}
