//! The options on offer in each chat: the buttons of the latest message the bot sent there,
//! kept so a person may type an option's number or label instead of pressing it. On a
//! platform whose buttons cannot call back (or a terminal), typing is the only way; elsewhere
//! it is a convenience. The conversation decides what is on offer; the core keeps it for as
//! long as a dialogue lives (`dialogue_ttl`).

use crate::core::Core;
use crate::error::Result;

/// One option: its label and the data its button carries.
pub type Choice = (String, String);

/// Puts `choices` on offer in the chat (an empty list takes the offer away).
pub async fn offer(core: &Core, chat_id: i64, choices: &[Choice]) -> Result<()> {
    if choices.is_empty() {
        core.store.delete_choices(chat_id).await?;
    } else {
        let json = serde_json::to_string(choices).map_err(anyhow::Error::from)?;
        core.store.put_choices(chat_id, &json, core.now()).await?;
    }
    Ok(())
}

/// The options on offer in the chat, unless they are older than a dialogue may be.
pub async fn offered(core: &Core, chat_id: i64) -> Result<Vec<Choice>> {
    let Some((json, at)) = core.store.choices(chat_id).await? else {
        return Ok(vec![]);
    };
    if core.now() - at > core.config.dialogue_ttl {
        return Ok(vec![]);
    }
    // A list written by an older release that no longer reads is simply no offer.
    Ok(serde_json::from_str(&json).unwrap_or_default())
}

/// What a typed text does with the options on offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick<'a> {
    Chosen(&'a Choice),
    /// A tapped link of an older message (its token is not the offer's): nothing is pressed.
    Stale,
    None,
}

/// A short mark of a set of options (their data), sent back by links that choose one
/// (`2·k3f9`), so a tap on an older message's link cannot press the newest message's option.
pub fn token(choices: &[Choice]) -> String {
    // FNV-1a: stable across builds and platforms, which is all this needs.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (_, data) in choices {
        for b in data.bytes().chain(std::iter::once(0)) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..4).map(|i| char::from(DIGITS[((hash >> (i * 8)) % 36) as usize])).collect()
}

/// What a link to option `number` of `choices` sends back.
pub fn link_answer(number: usize, choices: &[Choice]) -> String {
    format!("{number}·{}", token(choices))
}

/// Each option of `choices` with what a link or button choosing it sends back (its number and
/// the set's mark), for platforms whose buttons answer as a typed message (DingTalk, WeCom).
pub fn answers(choices: &[Choice]) -> Vec<(String, String)> {
    choices.iter().enumerate().map(|(i, (label, _))| (label.clone(), link_answer(i + 1, choices))).collect()
}

/// What a typed text picks: a tapped link (`2·k3f9`, checked against the offer), the option's
/// number (`2`, `２`, `第2个`) when there are several, or its label (`昨天`, `確認登記`), compared
/// without marks and emoji.
pub fn pick<'a>(choices: &'a [Choice], text: &str) -> Pick<'a> {
    if let Some((number, mark)) = text.trim().split_once('·')
        && let Ok(n) = number.trim().parse::<usize>()
    {
        return match n.checked_sub(1).and_then(|i| choices.get(i)) {
            Some(choice) if mark.trim() == token(choices) => Pick::Chosen(choice),
            _ => Pick::Stale,
        };
    }
    match pick_typed(choices, text) {
        Some(choice) => Pick::Chosen(choice),
        None => Pick::None,
    }
}

fn pick_typed<'a>(choices: &'a [Choice], text: &str) -> Option<&'a Choice> {
    let typed = letters(text);
    if typed.is_empty() {
        return None;
    }
    let number = typed.strip_prefix('第').unwrap_or(&typed);
    let number = number.strip_suffix('个').or_else(|| number.strip_suffix('项')).unwrap_or(number);
    if choices.len() > 1
        && let Ok(n) = number.parse::<usize>()
    {
        return n.checked_sub(1).and_then(|i| choices.get(i));
    }
    choices.iter().find(|(label, _)| letters(label) == typed || letters(&without_asides(label)) == typed)
}

/// A label without what it says in brackets (`☐ 需确认（「收到」按钮）` → `☐ 需确认`): people
/// type the option, not its explanation.
fn without_asides(label: &str) -> String {
    let mut depth = 0usize;
    label
        .chars()
        .filter(|c| match c {
            '（' | '(' => {
                depth += 1;
                false
            }
            '）' | ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

/// The letters and digits of `s` in matching form (Simplified, half-width, lower case).
fn letters(s: &str) -> String {
    crate::normalize::fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed<'a>(c: &'a [Choice], text: &str) -> Option<&'a Choice> {
        match pick(c, text) {
            Pick::Chosen(choice) => Some(choice),
            _ => None,
        }
    }

    #[test]
    fn a_tapped_link_picks_its_option_only_while_its_message_is_the_newest() {
        let c = choices();
        let answer = link_answer(2, &c);
        assert_eq!(pick(&c, &answer), Pick::Chosen(&c[1]));
        let newer: Vec<Choice> = vec![("暂停 #3".into(), "m:p:3".into()), ("取消 #3".into(), "m:c:3".into())];
        assert_eq!(pick(&newer, &answer), Pick::Stale, "an older message's link presses nothing");
        assert_eq!(pick(&c, "9·zzzz"), Pick::Stale);
        assert_ne!(token(&c), token(&newer));
    }

    fn choices() -> Vec<Choice> {
        ["今天", "昨天", "前天", "其他日期", "✖ 取消"]
            .iter()
            .map(|l| ((*l).to_owned(), format!("d:{l}")))
            .collect()
    }

    #[test]
    fn a_number_picks_the_option_shown_with_it() {
        let c = choices();
        assert_eq!(typed(&c, "2").map(|c| c.0.as_str()), Some("昨天"));
        assert_eq!(typed(&c, "２").map(|c| c.0.as_str()), Some("昨天"));
        assert_eq!(typed(&c, "第1个").map(|c| c.0.as_str()), Some("今天"));
        assert_eq!(typed(&c, "5").map(|c| c.0.as_str()), Some("✖ 取消"));
        assert_eq!(typed(&c, "6"), None);
        assert_eq!(typed(&c, "0"), None);
    }

    #[test]
    fn a_label_picks_its_option_in_either_script_without_its_marks() {
        let c = choices();
        assert_eq!(typed(&c, "其他日期").map(|c| c.0.as_str()), Some("其他日期"));
        assert_eq!(typed(&c, "取消").map(|c| c.0.as_str()), Some("✖ 取消"));
        assert_eq!(typed(&c, "其他日期。").map(|c| c.0.as_str()), Some("其他日期"));
        let confirm = vec![("✅ 确认登记".to_owned(), "c".to_owned()), ("取消".to_owned(), "x".to_owned())];
        assert_eq!(typed(&confirm, "確認登記").map(|c| c.1.as_str()), Some("c"));
        let toggle = vec![
            ("☐ 需确认（「收到」按钮）".to_owned(), "t".to_owned()),
            ("预览".to_owned(), "p".to_owned()),
        ];
        assert_eq!(
            typed(&toggle, "需确认").map(|c| c.1.as_str()),
            Some("t"),
            "the explanation need not be typed"
        );
    }

    #[test]
    fn a_lone_option_is_not_picked_by_a_number_and_other_text_picks_nothing() {
        let only_cancel = vec![("取消".to_owned(), "x".to_owned())];
        assert_eq!(typed(&only_cancel, "1"), None, "a notice's text may well be a number");
        assert_eq!(typed(&choices(), "看望五保户"), None);
        assert_eq!(typed(&choices(), "   "), None);
    }
}
