//! Where a chat's messages go on the platforms that address a person and a group apart
//! (DingTalk, WeCom): a chat is the person's handle, or the handle of `group:<the group's id>`.
//! Written once for both, with what a database that cannot answer now means: try later, never
//! "nobody to send to".

use crate::core::Core;
use crate::domain::Platform;

/// A person (their id on the platform) or a group (its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Person(String),
    Group(String),
}

impl Address {
    /// The platform's id of the person or the group.
    pub fn id(&self) -> &str {
        match self {
            Address::Person(id) | Address::Group(id) => id,
        }
    }
}

const GROUP: &str = "group:";

/// The chat (its handle) of the group `group` on `platform`, made the first time.
pub async fn group_chat(core: &Core, platform: Platform, group: &str) -> sqlx::Result<i64> {
    core.store.handle(platform, &format!("{GROUP}{group}")).await
}

/// Where chat `chat_id`'s messages go: `None` for a chat without an id on the platform; an
/// error when the database cannot say now (the messages are then tried again later).
pub async fn address(core: &Core, chat_id: i64) -> sqlx::Result<Option<Address>> {
    Ok(core.store.external_id(chat_id).await?.map(|external| match external.strip_prefix(GROUP) {
        Some(group) => Address::Group(group.to_owned()),
        None => Address::Person(external),
    }))
}
