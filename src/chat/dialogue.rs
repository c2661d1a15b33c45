//! The one in-progress dialogue a chat may have — a guided check-in or a notice being
//! composed — stored as tagged JSON in the `dialogues` table so it survives a restart.

use serde::{Deserialize, Serialize};

use super::composer::Composer;
use super::wizard::Wizard;
use crate::core::Core;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dialogue", rename_all = "lowercase")]
pub enum Dialogue {
    Checkin(Wizard),
    Notice(Composer),
}

/// The chat's dialogue, unless it is absent, abandoned past its TTL, or unreadable (then dropped).
pub async fn load(core: &Core, chat_id: i64) -> Result<Option<Dialogue>> {
    let Some((json, updated_at)) = core.store.dialogue(chat_id).await? else {
        return Ok(None);
    };
    if core.now() - updated_at > core.config.dialogue_ttl {
        core.store.delete_dialogue(chat_id).await?;
        return Ok(None);
    }
    match serde_json::from_str(&json) {
        Ok(d) => Ok(Some(d)),
        Err(e) => {
            tracing::warn!(chat = chat_id, error = %e, "dropping an unreadable dialogue state");
            core.store.delete_dialogue(chat_id).await?;
            Ok(None)
        }
    }
}

pub async fn save(core: &Core, chat_id: i64, dialogue: &Dialogue) -> Result<()> {
    let json = serde_json::to_string(dialogue).map_err(anyhow::Error::from)?;
    core.store.put_dialogue(chat_id, &json, core.now()).await?;
    Ok(())
}

/// Ends whatever dialogue the chat has; whether there was one.
pub async fn cancel(core: &Core, chat_id: i64) -> Result<bool> {
    let had = core.store.dialogue(chat_id).await?.is_some();
    core.store.delete_dialogue(chat_id).await?;
    Ok(had)
}
