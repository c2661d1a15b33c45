//! The one in-progress dialogue a chat may have (a guided check-in, a notice being composed),
//! kept in the database as JSON so it survives a restart. The conversation decides what a
//! dialogue holds; the core keeps it, forgets it after `dialogue_ttl` of silence, and drops a
//! state it can no longer read (after an upgrade changed its shape) instead of failing on it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::core::Core;
use crate::error::Result;

/// The chat's dialogue, unless it is absent, abandoned past its TTL, or unreadable (then dropped).
pub async fn load<T: DeserializeOwned>(core: &Core, chat_id: i64) -> Result<Option<T>> {
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

/// Keeps `dialogue` as the chat's, replacing any other.
pub async fn save<T: Serialize>(core: &Core, chat_id: i64, dialogue: &T) -> Result<()> {
    let json = serde_json::to_string(dialogue).map_err(anyhow::Error::from)?;
    core.store.put_dialogue(chat_id, &json, core.now()).await?;
    Ok(())
}

/// Rewrites the chat's dialogue without touching it: it is still forgotten `dialogue_ttl`
/// after its last step. Nothing happens if the chat has none (it ended meanwhile).
pub async fn rewrite<T: Serialize>(core: &Core, chat_id: i64, dialogue: &T) -> Result<()> {
    let json = serde_json::to_string(dialogue).map_err(anyhow::Error::from)?;
    core.store.rewrite_dialogue(chat_id, &json).await?;
    Ok(())
}

/// Ends whatever dialogue the chat has (none is fine).
pub async fn end(core: &Core, chat_id: i64) -> Result<()> {
    core.store.delete_dialogue(chat_id).await?;
    Ok(())
}
