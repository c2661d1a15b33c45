//! The conversation, as platform-neutral data: an [`Incoming`] event goes in, a list of
//! [`Reply`] values comes out. Telegram specifics live in [`crate::telegram`]; this module only
//! parses, calls the core and renders texts, so it can be tested and reused without teloxide.
//!
//! Errors end here: a [`UserError`] becomes its polite text, anything else is logged with the
//! update it came from and answered with a generic apology.

pub mod buttons;
pub mod command;
pub mod composer;
pub mod dialogue;
pub mod kept;
pub mod notices;
pub mod roles;
pub mod tallies;
pub mod wizard;

use chrono::{DateTime, Utc};

use crate::checkins::{self, Evidence, Source, Via};
use crate::core::Core;
use crate::domain::Member;
use crate::domain::{Person, Role};
use crate::error::{Error, Result, Usage, UserError};
use crate::members::{self, Actor, InviteRequest, Registration};
use crate::org;
use crate::texts::members::{CommandName, CommandStyle};
use crate::texts::{self, checkins as checkin_texts, errors, members as member_texts};
use crate::week::parse_week_arg;

use buttons::ButtonData;
use command::{Command, commands_for, parse_command, read_word};
use dialogue::Dialogue;

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
    fn first_of_album(&self, chat_id: i64, album: &str) -> bool {
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

/// The outcome of handling one event: what to send, and the internal failure (if any) that
/// the person was apologised to for.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    pub replies: Vec<Reply>,
    pub failure: Option<String>,
    /// The failure may pass (a busy database): handling the event again is worth a try.
    /// Every effect is idempotent, so a repeat cannot double anything.
    pub transient: bool,
}

/// Handles one event. Never fails: every error has become a reply (or a log line) here.
pub async fn handle(core: &Core, me: &ChatContext, msg: &Incoming) -> Handled {
    // Flood control is the platform's, before this (see `crate::flood`): it delays, never drops.
    let routed = match route(core, me, msg).await {
        Ok(replies) if msg.chat.private => match remember_choices(core, msg.chat.id, &replies).await {
            Ok(()) => Ok(replies),
            Err(e) => {
                // The replies still go out: only typing an option instead of pressing it fails.
                tracing::warn!(update = msg.update_id, error = %e, "could not keep the options on offer");
                Ok(replies)
            }
        },
        other => other,
    };
    match routed {
        Ok(replies) => Handled { replies, failure: None, transient: false },
        Err(Error::User(e)) => Handled {
            replies: error_replies(msg, errors::user_error(&e, &core.config, me.username.as_deref())),
            failure: None,
            transient: false,
        },
        Err(e) => {
            let transient = e.is_transient();
            tracing::error!(update = msg.update_id, chat = msg.chat.id, error = %e, transient, "handling an update failed");
            Handled { replies: error_replies(msg, errors::sorry()), failure: Some(e.to_string()), transient }
        }
    }
}

/// The apology for an event whose handling broke down entirely (a bug).
pub fn apology(msg: &Incoming) -> Vec<Reply> {
    error_replies(msg, errors::sorry())
}

/// A button press must always be answered, or the person's client shows a spinner.
fn error_replies(msg: &Incoming, text: String) -> Vec<Reply> {
    match &msg.content {
        Content::Button { callback_id, .. } => {
            vec![Reply::Answer { callback_id: callback_id.clone(), text: None }, Reply::send(text)]
        }
        _ => vec![Reply::send(text)],
    }
}

async fn route(core: &Core, me: &ChatContext, msg: &Incoming) -> Result<Vec<Reply>> {
    let command = match &msg.content {
        Content::Text(t) => parse_command(t, me.username.as_deref()),
        _ => None,
    };
    // `/cmd@other_bot` in a group is for another bot; in a private chat it can only mean us.
    if !msg.chat.private && command.as_ref().is_some_and(|c| c.for_another_bot) {
        return Ok(vec![]);
    }
    if !msg.chat.private {
        // An admin may point at someone in a group they share with the bot: `/promote` written
        // as a reply to that person's message. Everything else is for the private chat.
        if let (Some(c), Some(target)) = (&command, &msg.reply_to)
            && let Some((make, args)) = roles::role_command(&c.command)
        {
            let member = members::require_member(core, msg.from.account.person_id).await?;
            return roles::command(core, &member, args, Some(target), make).await;
        }
        return Ok(in_group(core, me, msg, command.is_some()));
    }
    if let Content::Membership { blocked } = msg.content {
        // Someone blocked or unblocked the bot: notices skip (or resume) them. Nothing to say.
        if let Some(member) = members::member_of(core, msg.from.account.person_id).await? {
            members::set_reachable(core, member.id, !blocked).await?;
        }
        return Ok(vec![]);
    }
    // Without a slash: the command's Chinese word (`本周`, `统计 上周`, `加入 <code>`).
    let word = match (&command, &msg.content) {
        (None, Content::Text(t)) => read_word(t),
        _ => None,
    };
    // Typed as words, 加入 and 绑定 count only with a code (or alone): 「绑定政务钉钉账号的通知」 in a
    // notice being composed is its text, not a command.
    let word = word.filter(|w| match &w.command {
        Command::Start(Some(code)) => members::looks_like_invite_code(code),
        Command::Link(code) => code.trim().is_empty() || members::looks_like_link_code(code),
        _ => true,
    });
    let start_code = match (command.as_ref().map(|c| &c.command), word.as_ref().map(|w| &w.command)) {
        (Some(Command::Start(code)), _) | (None, Some(Command::Start(code))) => Some(code.as_deref()),
        _ => None,
    };
    if let Some(code) = start_code {
        return start(core, me, msg, code).await;
    }
    // `绑定 <code>` comes from an account that is not yet a member's.
    let link_code = match (command.as_ref().map(|c| &c.command), word.as_ref().map(|w| &w.command)) {
        (Some(Command::Link(code)), _) | (None, Some(Command::Link(code))) if !code.trim().is_empty() => {
            Some(code.clone())
        }
        _ => None,
    };
    if let Some(code) = link_code {
        let (member, new) = members::link(core, &msg.from, &code).await?;
        return Ok(vec![Reply::send(member_texts::linked(&member, new))]);
    }
    let mut member = match members::require_member(core, msg.from.account.person_id).await {
        Ok(m) => m,
        Err(Error::User(UserError::NotRegistered)) => {
            // Someone not yet a member may send the invite code on its own.
            if let Content::Text(t) = &msg.content
                && members::looks_like_invite_code(t)
            {
                return start(core, me, msg, Some(t.trim())).await;
            }
            return Ok(error_replies(msg, member_texts::not_registered()));
        }
        Err(e) => return Err(e),
    };
    if member.unreachable {
        // They wrote to us, so they can be written to again.
        members::set_reachable(core, member.id, true).await?;
    }
    members::wrote_from(core, &mut member, msg.from.account).await?;
    match (command, &msg.content) {
        (Some(c), _) => on_command(core, me, &member, msg, c.command).await,
        (None, Content::Text(text)) => {
            let offered = crate::choices::offered(core, msg.chat.id).await?;
            match crate::choices::pick(&offered, text) {
                crate::choices::Pick::Chosen((_, data)) => {
                    return on_typed_choice(core, me, &member, msg, data).await;
                }
                crate::choices::Pick::Stale => return Ok(vec![Reply::send(checkin_texts::option_expired())]),
                crate::choices::Pick::None => {}
            }
            let dialogue = dialogue::load(core, msg.chat.id).await?;
            // In a dialogue, only a word said alone is a command; a longer text is its answer.
            if let Some(w) = word.filter(|w| w.alone || dialogue.is_none()) {
                return on_command(core, me, &member, msg, w.command).await;
            }
            match dialogue {
                Some(Dialogue::Checkin(w)) => wizard::on_text(core, &member, msg, w, text).await,
                Some(Dialogue::Notice(c)) => composer::on_text(core, &member, msg, c, text).await,
                // A kind alone starts the guided check-in with it chosen; `送温暖 看望五保户王大爷`
                // is a check-in without any command.
                None if let Some(kind) = core.kinds().lookup(text) => {
                    let key = kind.key.clone();
                    wizard::start_with_kind(core, &member, msg, &key).await
                }
                None if checkins::reads_as_checkin(text, core.kinds()) => {
                    checkin_line(core, &member, msg, text).await
                }
                None => Ok(vec![Reply::send(checkin_texts::text_hint(core.kinds()))]),
            }
        }
        (None, Content::Photo { file_id, caption, album }) => {
            if let Some(Dialogue::Notice(c)) = dialogue::load(core, msg.chat.id).await? {
                return composer::on_media(
                    core,
                    me,
                    &member,
                    msg,
                    c,
                    (MediaKind::Photo, file_id, None),
                    caption.as_deref(),
                )
                .await;
            }
            let first = album.as_deref().is_none_or(|a| me.first_of_album(msg.chat.id, a));
            on_photo(core, &member, msg, file_id, caption.as_deref(), first).await
        }
        (None, Content::Document { file_id, caption, name }) => {
            match dialogue::load(core, msg.chat.id).await? {
                Some(Dialogue::Notice(c)) => {
                    composer::on_media(
                        core,
                        me,
                        &member,
                        msg,
                        c,
                        (MediaKind::Document, file_id, name.as_deref()),
                        caption.as_deref(),
                    )
                    .await
                }
                _ => Ok(vec![Reply::send(errors::unsupported_message())]),
            }
        }
        (None, Content::Membership { .. }) => Ok(vec![]),
        (None, Content::Location { latitude, longitude }) => match wizard::load(core, msg.chat.id).await? {
            Some(w) if wizard::wants_evidence(&w) => {
                wizard::on_location(core, msg, w, *latitude, *longitude).await
            }
            _ => Ok(vec![Reply::send(checkin_texts::location_hint())]),
        },
        (None, Content::Button { callback_id, data }) => {
            on_button(core, me, &member, msg, callback_id, data).await
        }
        (None, Content::Other(_)) => Ok(vec![Reply::send(errors::unsupported_message())]),
    }
}

/// A button press, decoded once here.
async fn on_button(
    core: &Core,
    me: &ChatContext,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    data: &str,
) -> Result<Vec<Reply>> {
    match ButtonData::decode(data) {
        Some(ButtonData::Checkin { nonce, action }) => {
            wizard::on_button(core, member, msg, callback_id, &nonce, action).await
        }
        Some(ButtonData::Compose { nonce, action }) => {
            composer::on_button(core, me, member, msg, callback_id, &nonce, action).await
        }
        Some(ButtonData::Manage { action, notice_id }) => {
            notices::on_manage(core, member, msg, callback_id, action, notice_id).await
        }
        Some(ButtonData::Roles { change, member_id }) => {
            roles::on_button(core, member, msg, callback_id, change, member_id).await
        }
        Some(ButtonData::Ack { delivery_id }) => {
            notices::on_ack(core, member, msg, callback_id, delivery_id).await
        }
        Some(ButtonData::Spread { notice_id }) => {
            notices::on_spread(core, member, msg, callback_id, notice_id).await
        }
        Some(ButtonData::Preview) => Ok(notices::on_preview(callback_id)),
        None => Ok(vec![Reply::Answer {
            callback_id: callback_id.to_owned(),
            text: Some(checkin_texts::wizard_button_expired()),
        }]),
    }
}

/// An option typed instead of pressed (its number or label, see [`crate::choices`]): handled
/// as the press, with what the press would have edited in place sent as new messages, since
/// the person's own message cannot be edited.
async fn on_typed_choice(
    core: &Core,
    me: &ChatContext,
    member: &Member,
    msg: &Incoming,
    data: &str,
) -> Result<Vec<Reply>> {
    const TYPED: &str = "typed";
    let replies = on_button(core, me, member, msg, TYPED, data).await?;
    // A press's short notice (a toast) becomes a message only when nothing else says anything.
    let mut toasts = Vec::new();
    let mut out: Vec<Reply> = replies
        .into_iter()
        .filter_map(|r| match r {
            Reply::Answer { callback_id, text } if callback_id == TYPED => {
                toasts.extend(text.map(Reply::send));
                None
            }
            Reply::Edit { message_id, text, keyboard } if message_id == msg.message_id => {
                Some(Reply::Send { text, keyboard })
            }
            Reply::EditButtons { message_id, .. } if message_id == msg.message_id => None,
            other => Some(other),
        })
        .collect();
    if !out.iter().any(|r| matches!(r, Reply::Send { .. } | Reply::Media { .. } | Reply::Upload { .. })) {
        out.splice(0..0, toasts);
    }
    Ok(out)
}

/// Keeps the options of the newest message among `replies` on offer in the chat, so they can be
/// typed. Replies without buttons leave a dialogue's options on offer (a hint to use them) and
/// take any other away.
async fn remember_choices(core: &Core, chat_id: i64, replies: &[Reply]) -> Result<()> {
    let newest = replies.iter().rev().find_map(|r| match r {
        Reply::Send { keyboard, .. } | Reply::Edit { keyboard, .. } | Reply::Media { keyboard, .. } => {
            Some(keyboard.as_ref())
        }
        Reply::EditButtons { keyboard, .. } => Some(Some(keyboard)),
        Reply::Upload { .. } => Some(None),
        Reply::Answer { .. } | Reply::Menu { .. } | Reply::MenuFor { .. } => None,
    });
    match newest {
        None => Ok(()),
        Some(Some(keyboard)) => crate::choices::offer(core, chat_id, &keyboard.choices()).await,
        Some(None) if dialogue::load(core, chat_id).await?.is_some() => Ok(()),
        Some(None) => crate::choices::offer(core, chat_id, &[]).await,
    }
}

/// In a group the bot keeps quiet, except to send people who try to use it to a private chat.
fn in_group(core: &Core, me: &ChatContext, msg: &Incoming, is_command: bool) -> Vec<Reply> {
    let looks_like_checkin = match &msg.content {
        Content::Photo { caption: Some(c), .. } => checkins::parse_checkin(c, core.kinds()).is_ok(),
        _ => false,
    };
    match &msg.content {
        Content::Button { callback_id, .. } => {
            vec![Reply::Answer { callback_id: callback_id.clone(), text: None }]
        }
        Content::Text(_) | Content::Photo { .. } if me.groups_address_the_bot => {
            vec![Reply::send(member_texts::private_only(me.username.as_deref()))]
        }
        _ if is_command || looks_like_checkin => {
            vec![Reply::send(member_texts::private_only(me.username.as_deref()))]
        }
        _ => vec![],
    }
}

async fn start(core: &Core, me: &ChatContext, msg: &Incoming, code: Option<&str>) -> Result<Vec<Reply>> {
    let registration = match code {
        Some(code) => members::register(core, &msg.from, code).await?,
        None => match members::member_of(core, msg.from.account.person_id).await? {
            Some(m) => Registration::Existing(m),
            None => return Ok(vec![Reply::send(member_texts::start_without_code())]),
        },
    };
    Ok(match registration {
        Registration::New(m) => {
            let sites = org::sites_of(core, m.unit_id).await?;
            let welcome =
                member_texts::welcome(&m, &sites, &command_names(m.role), me.commands, core.kinds());
            let mut replies = vec![Reply::send(welcome)];
            if m.role > Role::Member {
                replies.push(Reply::Menu { entries: menu_entries(m.role, core.kinds()) });
            }
            replies
        }
        Registration::Existing(m) => {
            let sites = org::sites_of(core, m.unit_id).await?;
            let n = checkins::this_week_count(core, &m).await?;
            vec![Reply::send(member_texts::status(
                &m,
                &sites,
                n,
                &command_names(m.role),
                me.commands,
                core.kinds(),
            ))]
        }
    })
}

async fn on_command(
    core: &Core,
    me: &ChatContext,
    member: &Member,
    msg: &Incoming,
    command: Command,
) -> Result<Vec<Reply>> {
    if let Some((make, args)) = roles::role_command(&command) {
        return roles::command(core, member, args, msg.reply_to.as_ref(), make).await;
    }
    match command {
        Command::Start(_) => unreachable_start(),
        // Handled above (they also work as replies in a group).
        Command::Promote(_) | Command::Demote(_) | Command::Deactivate(_) | Command::Activate(_) => {
            Ok(vec![])
        }
        Command::Help => {
            Ok(vec![Reply::send(member_texts::help(&command_names(member.role), me.commands, core.kinds()))])
        }
        Command::Checkin(args) if args.trim().is_empty() => wizard::start(core, msg).await,
        Command::Checkin(args) => checkin_line(core, member, msg, &args).await,
        Command::Acknowledge(notice) => notices::ack_typed(core, member, notice).await,
        Command::Link(_) => {
            let code = members::link_code(core, member).await?;
            Ok(vec![Reply::send(member_texts::link_code(&code, members::LINK_CODE_MINUTES))])
        }
        Command::Week(args) => {
            let week = parse_week_arg(&args, core.today()).map_err(UserError::from)?;
            let view = checkins::week_view(core, member, week).await?;
            Ok(vec![Reply::send(checkin_texts::week_view(&view, core.tz()))])
        }
        Command::Undo(args) => {
            let target = parse_checkin_number(&args)?;
            let undone = checkins::undo(core, member, target, msg.message_id).await?;
            Ok(vec![Reply::send(checkin_texts::undone(&undone, core.kinds(), core.tz()))])
        }
        Command::Cancel => {
            // Said in the words of what was cancelled: a check-in, or a notice not published.
            let text = match dialogue::load(core, msg.chat.id).await? {
                Some(Dialogue::Checkin(_)) => checkin_texts::wizard_cancelled(),
                Some(Dialogue::Notice(_)) => texts::notices::compose_cancelled(),
                None => errors::nothing_to_cancel(),
            };
            dialogue::cancel(core, msg.chat.id).await?;
            Ok(vec![Reply::send(text)])
        }
        Command::Invite(args) => {
            // Checked here for a prompt answer and again inside create_invite, which is the rule.
            members::require_role(member, Role::Organiser)?;
            let request = parse_invite_args(&args)?;
            let key = format!("tg:{}:{}", msg.chat.id, msg.message_id);
            let invite =
                members::create_invite(core, &Actor::Member(member.clone()), &request, Some(key)).await?;
            let link = members::bot_username(core).await?.map(|u| members::deep_link(&u, &invite.code));
            Ok(vec![Reply::send(member_texts::invite_created(&invite, link.as_deref(), core.tz()))])
        }
        Command::Members(args) => {
            let unit = Some(args.trim()).filter(|a| !a.is_empty());
            let listing = members::list(core, &Actor::Member(member.clone()), unit).await?;
            Ok(vec![Reply::send(member_texts::member_list(&listing, core.tz()))])
        }
        Command::Notice => {
            let _ = me;
            composer::start(core, member, msg).await
        }
        Command::Notices => {
            members::require_role(member, Role::Organiser)?;
            notices::list(core, member).await
        }
        Command::Receipts(args) => notices::receipts(core, member, &args).await,
        Command::Tally(args) => tallies::tally(core, me, member, &args).await,
        Command::Missing(args) => tallies::missing(core, member, &args).await,
        Command::Export(args) => tallies::export(core, member, &args).await,
        Command::Web => tallies::console_link(core, member, msg).await,
        Command::Remind(args) => tallies::remind(core, member, &args).await,
        Command::Unknown(name) => Ok(vec![Reply::send(errors::unknown_command(&name))]),
    }
}

/// A check-in in one line (`/checkin 送政策 …`, `登记 送政策 …`, or `送政策 …` alone).
async fn checkin_line(core: &Core, member: &Member, msg: &Incoming, line: &str) -> Result<Vec<Reply>> {
    let parsed = checkins::parse_checkin(line, core.kinds())?;
    let receipt =
        checkins::record(core, member, &parsed, source_of(msg), Evidence::default(), Via::Line).await?;
    Ok(vec![Reply::send(checkin_texts::receipt(&receipt, core.kinds(), &core.config))])
}

/// The names of the commands someone with `role` may use, in the order help lists them.
fn command_names(role: Role) -> Vec<CommandName> {
    commands_for(role).map(|c| CommandName { name: c.name, word: c.word }).collect()
}

/// The command menu for someone with `role`: each command with its short description.
pub fn menu_entries(role: Role, kinds: &crate::checkins::kinds::Kinds) -> Vec<(&'static str, String)> {
    member_texts::menu_entries(&command_names(role), kinds)
}

/// `/start` is routed before membership is checked; reaching here would be a routing bug,
/// which is reported as an internal error rather than a panic.
fn unreachable_start() -> Result<Vec<Reply>> {
    Err(anyhow::anyhow!("/start reached the member command router").into())
}

async fn on_photo(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    file_id: &str,
    caption: Option<&str>,
    first_of_album: bool,
) -> Result<Vec<Reply>> {
    let caption = caption.map(str::trim).filter(|c| !c.is_empty());
    if let Some(w) = wizard::load(core, msg.chat.id).await?
        && wizard::wants_evidence(&w)
    {
        let replies = wizard::on_photo(core, msg, w, file_id, caption).await?;
        // The rest of an album updates the draft quietly: one answer per album.
        return Ok(if first_of_album || caption.is_some() { replies } else { vec![] });
    }
    let Some(caption) = caption else {
        return Ok(if first_of_album {
            vec![Reply::send(checkin_texts::photo_needs_caption(core.kinds()))]
        } else {
            vec![]
        });
    };
    let parsed = checkins::parse_checkin(caption, core.kinds())?;
    let evidence = Evidence { photo_file_id: Some(file_id.to_owned()), location: None, cites_notice: None };
    let receipt = checkins::record(core, member, &parsed, source_of(msg), evidence, Via::Photo).await?;
    Ok(vec![Reply::send(checkin_texts::receipt(&receipt, core.kinds(), &core.config))])
}

fn source_of(msg: &Incoming) -> Source {
    Source { chat_id: msg.chat.id, message_id: msg.message_id, sent_at: msg.sent_at }
}

/// `/undo`, `/undo 12`, `/undo #12`.
fn parse_checkin_number(args: &str) -> Result<Option<i64>, UserError> {
    let a = crate::normalize::fold(args.trim());
    let a = a.trim_start_matches('#').trim_start_matches('第').trim_end_matches('号');
    if a.is_empty() {
        return Ok(None);
    }
    a.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| UserError::bad_argument(args, Usage::Undo))
}

/// `/invite [单位] [member|organiser|admin] [N | N次] [7d | 12h | 2w]`, in any order.
pub fn parse_invite_args(args: &str) -> Result<InviteRequest, UserError> {
    let mut request = InviteRequest::default();
    for word in args.split_whitespace() {
        let folded = crate::normalize::fold(word);
        let bare = folded.trim_end_matches(['次', '人']);
        if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
            request.uses = Some(bare.parse().map_err(|_| UserError::bad_argument(word, Usage::InviteUses))?);
        } else if let Some(d) = members::parse_duration(word) {
            request.expires_in = Some(d);
        } else if let Ok(role) = word.parse::<Role>() {
            request.role = Some(role);
        } else {
            let unit = word.strip_prefix("unit:").or_else(|| word.strip_prefix("单位:")).unwrap_or(word);
            if request.unit.is_some() {
                return Err(UserError::bad_argument(word, Usage::Invite));
            }
            request.unit = Some(unit.to_owned());
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn undo_takes_nothing_or_a_number_in_several_spellings() {
        assert_eq!(parse_checkin_number(""), Ok(None));
        assert_eq!(parse_checkin_number("12"), Ok(Some(12)));
        assert_eq!(parse_checkin_number("#12"), Ok(Some(12)));
        assert_eq!(parse_checkin_number("第１２号"), Ok(Some(12)));
        assert!(parse_checkin_number("all").is_err());
        assert!(parse_checkin_number("-3").is_err());
    }

    #[test]
    fn invite_arguments_come_in_any_order() {
        let r = parse_invite_args("organiser 人社局 5次 7d").unwrap();
        assert_eq!(r.role, Some(Role::Organiser));
        assert_eq!(r.unit.as_deref(), Some("人社局"));
        assert_eq!(r.uses, Some(5));
        assert_eq!(r.expires_in, Some(Duration::days(7)));
        assert_eq!(parse_invite_args("").unwrap(), InviteRequest::default());
        assert!(parse_invite_args("人社局 科工局").is_err());
    }
}
