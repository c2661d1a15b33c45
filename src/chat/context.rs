//! What the conversation needs beyond the core, per platform: the bot's own username, how the
//! platform's people write commands, how it counts messages, where its files can be fetched,
//! and a short memory of photo albums already answered.

use super::message::FileSource;
use crate::texts::members::CommandStyle;

/// What the conversation needs beyond the core: the bot's own username, and a short memory
/// of photo albums already answered (an album arrives as one update per photo).
pub struct ChatContext {
    pub username: Option<String>,
    albums: std::sync::Mutex<std::collections::VecDeque<(i64, String)>>,
    /// Poked when a notice is created, so the scheduler looks at once.
    scheduler_wake: std::sync::Arc<tokio::sync::Notify>,
    /// How many messages the platform needs to carry a text (its own limit and splitting).
    /// Decides when a tally is better sent as a file.
    pub message_parts: fn(&str) -> usize,
    /// How the platform's people write commands (help shows that form).
    pub commands: CommandStyle,
    /// Every group message that reaches the bot was addressed to it (DingTalk delivers only
    /// those that @ the robot): each gets the pointer to the private chat.
    pub groups_address_the_bot: bool,
    /// Where files people send on this platform can be fetched (none: they cannot).
    pub files: Option<std::sync::Arc<dyn FileSource>>,
    /// The platform tells the bot only an account id, not a person's name (WeCom): a newcomer
    /// is asked to give theirs.
    pub names_unknown: bool,
}

impl std::fmt::Debug for ChatContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatContext")
            .field("username", &self.username)
            .field("commands", &self.commands)
            .field("files", &self.files.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ChatContext {
    fn default() -> Self {
        ChatContext {
            username: None,
            albums: Default::default(),
            scheduler_wake: Default::default(),
            message_parts: |_| 1,
            commands: CommandStyle::default(),
            groups_address_the_bot: false,
            files: None,
            names_unknown: false,
        }
    }
}

impl ChatContext {
    pub fn new(username: Option<String>, scheduler_wake: std::sync::Arc<tokio::sync::Notify>) -> Self {
        ChatContext { username, scheduler_wake, ..ChatContext::default() }
    }

    /// How the platform's people write commands (see [`Self::commands`]).
    pub fn with_commands(mut self, style: CommandStyle) -> Self {
        self.commands = style;
        self
    }

    /// Group messages reach the bot only when addressed to it (see
    /// [`Self::groups_address_the_bot`]).
    pub fn groups_address_the_bot(mut self) -> Self {
        self.groups_address_the_bot = true;
        self
    }

    /// The platform gives no names (see [`Self::names_unknown`]).
    pub fn names_unknown(mut self) -> Self {
        self.names_unknown = true;
        self
    }

    /// Where this platform's files can be fetched (see [`Self::files`]).
    pub fn with_files(mut self, files: std::sync::Arc<dyn FileSource>) -> Self {
        self.files = Some(files);
        self
    }

    /// The platform's way of counting the messages a text needs (see [`Self::message_parts`]).
    pub fn with_message_parts(mut self, parts: fn(&str) -> usize) -> Self {
        self.message_parts = parts;
        self
    }

    /// A notice was created: the scheduler should look now.
    pub fn notices_changed(&self) {
        self.scheduler_wake.notify_one();
    }

    /// True the first time a photo of this album is seen (in this process).
    pub(super) fn first_of_album(&self, chat_id: i64, album: &str) -> bool {
        let mut seen = self.albums.lock().unwrap_or_else(|p| p.into_inner());
        if seen.iter().any(|(c, a)| *c == chat_id && a == album) {
            return false;
        }
        if seen.len() >= 1024 {
            seen.pop_front();
        }
        seen.push_back((chat_id, album.to_owned()));
        true
    }
}
