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

/// The option a typed text picks: its number (`2`, `２`, `第2个`) when there are several, or
/// its label (`昨天`, `確認登記`), compared without marks and emoji. `None` if it picks none.
pub fn pick<'a>(choices: &'a [Choice], text: &str) -> Option<&'a Choice> {
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

    fn choices() -> Vec<Choice> {
        ["今天", "昨天", "前天", "其他日期", "✖ 取消"]
            .iter()
            .map(|l| ((*l).to_owned(), format!("d:{l}")))
            .collect()
    }

    #[test]
    fn a_number_picks_the_option_shown_with_it() {
        let c = choices();
        assert_eq!(pick(&c, "2").map(|c| c.0.as_str()), Some("昨天"));
        assert_eq!(pick(&c, "２").map(|c| c.0.as_str()), Some("昨天"));
        assert_eq!(pick(&c, "第1个").map(|c| c.0.as_str()), Some("今天"));
        assert_eq!(pick(&c, "5").map(|c| c.0.as_str()), Some("✖ 取消"));
        assert_eq!(pick(&c, "6"), None);
        assert_eq!(pick(&c, "0"), None);
    }

    #[test]
    fn a_label_picks_its_option_in_either_script_without_its_marks() {
        let c = choices();
        assert_eq!(pick(&c, "其他日期").map(|c| c.0.as_str()), Some("其他日期"));
        assert_eq!(pick(&c, "取消").map(|c| c.0.as_str()), Some("✖ 取消"));
        assert_eq!(pick(&c, "其他日期。").map(|c| c.0.as_str()), Some("其他日期"));
        let confirm = vec![("✅ 确认登记".to_owned(), "c".to_owned()), ("取消".to_owned(), "x".to_owned())];
        assert_eq!(pick(&confirm, "確認登記").map(|c| c.1.as_str()), Some("c"));
        let toggle = vec![
            ("☐ 需确认（「收到」按钮）".to_owned(), "t".to_owned()),
            ("预览".to_owned(), "p".to_owned()),
        ];
        assert_eq!(
            pick(&toggle, "需确认").map(|c| c.1.as_str()),
            Some("t"),
            "the explanation need not be typed"
        );
    }

    #[test]
    fn a_lone_option_is_not_picked_by_a_number_and_other_text_picks_nothing() {
        let only_cancel = vec![("取消".to_owned(), "x".to_owned())];
        assert_eq!(pick(&only_cancel, "1"), None, "a notice's text may well be a number");
        assert_eq!(pick(&choices(), "看望五保户"), None);
        assert_eq!(pick(&choices(), "   "), None);
    }
}
