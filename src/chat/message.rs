//! What goes in and out of the conversation: an [`Incoming`] event from a chat (its
//! [`Content`]), and the [`Reply`] values the conversation answers with (texts, their
//! [`Keyboard`] of buttons, edits, files). Plain data: every platform turns its own payloads
//! into these and carries these out in its own way.

use chrono::{DateTime, Utc};

use crate::domain::Person;
use crate::notices::MediaKind;

/// One event from a chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub update_id: i64,
    pub chat: ChatRef,
    pub from: Person,
    /// The message itself, or for a button press the message carrying the button.
    pub message_id: i64,
    /// When the person sent it (for a button press, when it arrived).
    pub sent_at: DateTime<Utc>,
    pub content: Content,
    /// The person whose message this one replies to (for a reply to a forwarded message, the
    /// original author when Telegram reveals them): how an admin names someone by pointing.
    pub reply_to: Option<Person>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatRef {
    pub id: i64,
    pub private: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    /// `album`: Telegram's media group id when several photos were sent together.
    Photo {
        file_id: String,
        caption: Option<String>,
        album: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
    },
    Button {
        callback_id: String,
        data: String,
    },
    /// A file, with its caption (organisers can send one as a notice).
    Document {
        file_id: String,
        name: Option<String>,
        caption: Option<String>,
    },
    /// The person blocked (`true`) or unblocked the bot.
    Membership {
        blocked: bool,
    },
    /// A sticker, voice note, file, …: named for the logs only.
    Other(&'static str),
}

/// Something to do in the chat the event came from. Serializable: a reply the platform could
/// not take is kept (as JSON) and sent later.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    Send {
        text: String,
        keyboard: Option<Keyboard>,
    },
    /// Replace the text (and buttons) of a message the bot sent earlier.
    Edit {
        message_id: i64,
        text: String,
        keyboard: Option<Keyboard>,
    },
    /// Acknowledge a button press (stops the spinner; an optional short notice).
    Answer {
        callback_id: String,
        text: Option<String>,
    },
    /// Replace only the buttons of an earlier message (works for photos and files too).
    EditButtons {
        message_id: i64,
        keyboard: Keyboard,
    },
    /// A photo or file already on Telegram, with a caption.
    Media {
        kind: crate::notices::MediaKind,
        file_id: String,
        caption: String,
        keyboard: Option<Keyboard>,
    },
    /// A file made here (an export), uploaded with a caption.
    Upload {
        kind: crate::notices::MediaKind,
        name: String,
        bytes: Vec<u8>,
        caption: String,
    },
    /// Set this chat's command menu (an organiser or admin sees more than the default).
    /// Never kept for later: menus are set again at every start.
    #[serde(skip)]
    Menu {
        entries: Vec<(&'static str, String)>,
    },
    /// Set another person's command menu (their role changed).
    #[serde(skip)]
    MenuFor {
        account: crate::domain::Account,
        entries: Vec<(&'static str, String)>,
    },
}

impl Reply {
    pub fn send(text: impl Into<String>) -> Reply {
        Reply::Send { text: text.into(), keyboard: None }
    }

    pub fn send_with(text: impl Into<String>, keyboard: Keyboard) -> Reply {
        Reply::Send { text: text.into(), keyboard: Some(keyboard) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Keyboard {
    pub rows: Vec<Vec<Button>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Button {
    pub label: String,
    pub data: String,
}

impl Keyboard {
    /// The options in the order they are numbered, as the core keeps them on offer.
    pub fn choices(&self) -> Vec<crate::choices::Choice> {
        self.rows.iter().flatten().map(|b| (b.label.clone(), b.data.clone())).collect()
    }
}

impl Button {
    pub fn new(label: &str, data: String) -> Button {
        Button { label: label.to_owned(), data }
    }
}

/// The bytes of a file a person sent on one platform (named by that platform's id for it),
/// so that a notice's picture or file can be passed on to people on every platform.
pub trait FileSource: Send + Sync {
    /// The file's name and bytes, or why not (in a log line, never to the person).
    fn fetch<'a>(
        &'a self,
        kind: MediaKind,
        file_id: &'a str,
    ) -> futures::future::BoxFuture<'a, std::result::Result<(String, Vec<u8>), String>>;
}

/// The most bytes a notice's file may have to be passed on (Telegram's bots may fetch 20 MB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
