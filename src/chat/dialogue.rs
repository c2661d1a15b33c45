//! The one in-progress dialogue a chat may have — a guided check-in or a notice being
//! composed — as tagged JSON, kept by the core ([`crate::dialogues`]) so it survives a restart.

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

/// The chat's dialogue, if it has one still worth continuing (see [`crate::dialogues::load`]).
pub async fn load(core: &Core, chat_id: i64) -> Result<Option<Dialogue>> {
    crate::dialogues::load(core, chat_id).await
}

pub async fn save(core: &Core, chat_id: i64, dialogue: &Dialogue) -> Result<()> {
    crate::dialogues::save(core, chat_id, dialogue).await
}

/// Ends whatever dialogue the chat has (none is fine).
pub async fn cancel(core: &Core, chat_id: i64) -> Result<()> {
    crate::dialogues::end(core, chat_id).await
}
