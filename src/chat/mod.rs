//! The conversation, as platform-neutral data: an [`Incoming`] event goes in, a list of
//! [`Reply`] values comes out. Platform specifics live in the platforms' folders; this module
//! only reads messages, calls the core and renders texts, so it can be tested and reused
//! without any of them.
//!
//! Each message is read once. [`decide`], a pure function of the message and the open
//! dialogue's step (with the options on offer in the chat), says what it is — an option chosen
//! (pressed, or typed as its number or label), the step's own text, a command with its
//! arguments, a cancel, … — as one [`Decision`]; `route` hands that decision to the one
//! handler for it (in [`commands`], [`wizard`], [`composer`], [`notices`], [`roles`]). The
//! dialogue is loaded once before and kept once after ([`outcome`]); a command run while a
//! dialogue is open ends with one line saying so.
//!
//! Errors end here: a [`UserError`] becomes its polite text, anything else is logged with the
//! update it came from and answered with a generic apology.

pub mod buttons;
pub mod command;
pub mod commands;
pub mod composer;
pub mod context;
pub mod dialogue;
pub mod kept;
pub mod menu;
pub mod message;
pub mod notices;
pub mod outcome;
pub mod roles;
pub mod tallies;
pub mod wizard;

pub use context::ChatContext;
pub use menu::menu_entries;
pub use message::{Button, ChatRef, Content, FileSource, Incoming, Keyboard, MAX_FILE_BYTES, Reply};

use crate::checkins::kinds::Kinds;
use crate::choices::{self, Choice, Pick};
use crate::core::Core;
use crate::domain::Member;
use crate::error::{Error, Result, UserError};
use crate::members;
use crate::notices::MediaKind;
use crate::texts::errors;

use buttons::{ButtonData, CheckinAction, ComposeAction};
use command::{Command, parse_command, read_word};
use dialogue::{Dialogue, Expects};
use outcome::{Change, Outcome};

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

/// What one message is, decided once by [`decide`]; each goes to one handler.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// `/cmd@other_bot` in a group: meant for another bot.
    NotForUs,
    /// A role command written as a reply to someone's message in a group: it names them.
    RoleByReply(Command),
    /// Anything else in a group: the bot keeps quiet, or points to the private chat.
    InGroup {
        command: bool,
    },
    /// The person blocked (`true`) or unblocked the bot.
    Blocked(bool),
    /// `/start`, `加入 <code>`: joining with a code, or (without one) where one stands.
    Join(Option<String>),
    /// `绑定 <code>`: this account bound to the member who asked for the code.
    LinkAccount(String),
    /// A member's command, with its arguments.
    Command(Command),
    /// 「取消」: leave the open dialogue.
    Cancel,
    /// A button of the open guided check-in.
    Checkin {
        action: CheckinAction,
        how: How,
    },
    /// A button of the open notice composer.
    Compose {
        action: ComposeAction,
        how: How,
    },
    /// Any other button: a notice's 「收到」 or 「去宣讲」, a notice managed, a member picked.
    Press {
        button: ButtonData,
        how: How,
    },
    /// A button of a dialogue no longer open (`notice`: a composer's), or data never written.
    Expired {
        notice: bool,
        how: How,
    },
    /// A tapped option link of an older message.
    StaleOption,
    /// The open dialogue's own text at its step (a description, a notice's text, a time, a
    /// kind or a site written out).
    Answer(String),
    /// Not what the open dialogue's step takes: its question and options again.
    Reprompt,
    /// A kind said alone with no dialogue open: the guided check-in, that kind chosen.
    StartWithKind(String),
    /// A line that starts with a kind: a check-in.
    CheckinLine(String),
    /// Text that is none of the above: how to check in.
    TextHint,
    /// A photo for the guided check-in (evidence; its caption may be the description).
    WizardPhoto {
        file_id: String,
        caption: Option<String>,
        album: Option<String>,
    },
    /// A photo or file for the notice being composed (its content).
    NoticeMedia {
        kind: MediaKind,
        file_id: String,
        name: Option<String>,
        caption: Option<String>,
    },
    /// A photo outside a dialogue: a check-in by its caption.
    PhotoCheckin {
        file_id: String,
        caption: Option<String>,
        album: Option<String>,
    },
    /// A location for the guided check-in.
    WizardLocation {
        latitude: f64,
        longitude: f64,
    },
    LocationHint,
    Unsupported,
}

/// How an option was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// Its button pressed (the platform's id for the press, to answer it).
    Pressed(String),
    /// Typed: its number, its label, a confirmation of the step's main option, or a tapped link.
    Typed,
}

impl How {
    /// The id a press's answer names; a typed choice's answers become messages (see [`typed`]).
    fn callback_id(&self) -> &str {
        match self {
            How::Pressed(id) => id,
            How::Typed => TYPED,
        }
    }
}

/// The callback id a typed choice is handled with, as if pressed.
const TYPED: &str = "typed";

impl Decision {
    /// A command, run whatever dialogue is open (which then stays open).
    fn is_command(&self) -> bool {
        matches!(self, Decision::Command(_) | Decision::Join(_) | Decision::LinkAccount(_))
    }
}

/// What [`decide`] reads beside the message: the chat's open dialogue and the options on offer
/// (the newest message's buttons), and what the bot is configured with.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub dialogue: Option<&'a Dialogue>,
    pub offered: &'a [Choice],
    pub kinds: &'a Kinds,
    /// The bot's username, which `/cmd@name` may address.
    pub username: Option<&'a str>,
}

/// Words that say yes to what a step asks: they press its main option (预览, 确认发布, 下一步,
/// 确认登记) when it shows exactly one, and show the options again anywhere else.
const CONFIRMATIONS: &[&str] =
    &["确认", "确定", "好", "好的", "是", "是的", "对", "可以", "下一步", "ok", "yes"];

/// What the message is: decided once, from the message and where the chat stands. Pure.
pub fn decide(msg: &Incoming, at: &Situation<'_>) -> Decision {
    let slash = match &msg.content {
        Content::Text(t) => parse_command(t, at.username),
        _ => None,
    };
    if !msg.chat.private {
        return match slash {
            // `/cmd@other_bot` in a group is for another bot; in a private chat it can only mean us.
            Some(c) if c.for_another_bot => Decision::NotForUs,
            // An admin may point at someone in a group they share with the bot: `/promote`
            // written as a reply to that person's message. Everything else is for the private chat.
            Some(c) if msg.reply_to.is_some() && roles::role_command(&c.command).is_some() => {
                Decision::RoleByReply(c.command)
            }
            slash => Decision::InGroup { command: slash.is_some() },
        };
    }
    let dialogue = at.dialogue;
    match &msg.content {
        Content::Membership { blocked } => Decision::Blocked(*blocked),
        Content::Text(text) => match slash {
            Some(c) => of_command(c.command),
            None => decide_text(text, at),
        },
        Content::Button { callback_id, data } => press(data, How::Pressed(callback_id.clone()), dialogue),
        Content::Photo { file_id, caption, album } => match dialogue {
            Some(Dialogue::Notice(c)) if c.step == composer::Step::Content => Decision::NoticeMedia {
                kind: MediaKind::Photo,
                file_id: file_id.clone(),
                name: None,
                caption: caption.clone(),
            },
            Some(Dialogue::Notice(_)) => Decision::Reprompt,
            Some(d) if d.takes_photo() => Decision::WizardPhoto {
                file_id: file_id.clone(),
                caption: caption.clone(),
                album: album.clone(),
            },
            _ => Decision::PhotoCheckin {
                file_id: file_id.clone(),
                caption: caption.clone(),
                album: album.clone(),
            },
        },
        Content::Document { file_id, name, caption } => match dialogue {
            Some(Dialogue::Notice(c)) if c.step == composer::Step::Content => Decision::NoticeMedia {
                kind: MediaKind::Document,
                file_id: file_id.clone(),
                name: name.clone(),
                caption: caption.clone(),
            },
            Some(Dialogue::Notice(_)) => Decision::Reprompt,
            _ => Decision::Unsupported,
        },
        Content::Location { latitude, longitude } => match dialogue {
            Some(Dialogue::Checkin(w)) if wizard::wants_evidence(w) => {
                Decision::WizardLocation { latitude: *latitude, longitude: *longitude }
            }
            _ => Decision::LocationHint,
        },
        Content::Other(_) => Decision::Unsupported,
    }
}

/// A text without a slash: a code to join or bind with, an option on offer, a confirmation,
/// a command word, or what the step (or no dialogue) makes of text.
fn decide_text(text: &str, at: &Situation<'_>) -> Decision {
    // Typed as words, 加入 and 绑定 count only with a code (or alone): 「绑定政务钉钉账号的通知」
    // in a notice being composed is its text, not a command.
    let word = read_word(text).filter(|w| match &w.command {
        // The code, and the name the person gives with it (`加入 <code> 张三`).
        Command::Start(Some(code)) => {
            code.split_whitespace().next().is_some_and(members::looks_like_invite_code)
        }
        Command::Link(code) => code.trim().is_empty() || members::looks_like_link_code(code),
        _ => true,
    });
    // Joining and binding come from people who may have no dialogue (or membership) yet, and a
    // code is never a step's answer.
    if let Some(w) = &word
        && matches!(&w.command, Command::Start(_) | Command::Link(_))
        && !matches!(&w.command, Command::Link(code) if code.trim().is_empty())
    {
        return of_command(w.command.clone());
    }
    match choices::pick(at.offered, text) {
        Pick::Chosen((_, data)) => return press(data, How::Typed, at.dialogue),
        Pick::Stale => return Decision::StaleOption,
        Pick::None => {}
    }
    let Some(dialogue) = at.dialogue else {
        if let Some(w) = word {
            return of_command(w.command);
        }
        // A kind alone starts the guided check-in with it chosen; `送温暖 看望五保户王大爷` is a
        // check-in without any command.
        if let Some(kind) = at.kinds.lookup(text) {
            return Decision::StartWithKind(kind.key.clone());
        }
        if crate::checkins::reads_as_checkin(text, at.kinds) {
            return Decision::CheckinLine(text.to_owned());
        }
        return Decision::TextHint;
    };
    let confirming = said(text, CONFIRMATIONS);
    let resuming = said(text, &[crate::texts::dialogues::RESUME_WORD]);
    match dialogue.expects() {
        Expects::Choice { reads_text } => {
            if confirming {
                return main_option(at.offered, dialogue)
                    .map_or(Decision::Reprompt, |data| press(data, How::Typed, Some(dialogue)));
            }
            if resuming {
                return Decision::Reprompt;
            }
            // Where an option is expected, a command is a command, with or without arguments —
            // but where the step also reads a name, text glued to a command word (「统计局」,
            // 「登记处」) is the name.
            if let Some(w) = word.filter(|w| !(reads_text && w.glued)) {
                return of_command(w.command);
            }
            if reads_text { Decision::Answer(text.to_owned()) } else { Decision::Reprompt }
        }
        Expects::Text => {
            // Where text is expected, only a word said alone is a command: 「撤销了原定的讲座」
            // is a description.
            if let Some(w) = word.filter(|w| w.alone) {
                return of_command(w.command);
            }
            if confirming || resuming {
                return Decision::Reprompt;
            }
            Decision::Answer(text.to_owned())
        }
    }
}

/// A command read from a slash or a word, as its decision.
fn of_command(command: Command) -> Decision {
    match command {
        Command::Cancel => Decision::Cancel,
        Command::Start(code) => Decision::Join(code),
        Command::Link(code) if !code.trim().is_empty() => Decision::LinkAccount(code),
        command => Decision::Command(command),
    }
}

/// A button's data, pressed or typed: the open dialogue's (when its nonce is the dialogue's),
/// a dialogue's no longer open, or another button.
fn press(data: &str, how: How, dialogue: Option<&Dialogue>) -> Decision {
    match ButtonData::decode(data) {
        Some(ButtonData::Checkin { nonce, action }) => match dialogue {
            Some(Dialogue::Checkin(w)) if w.nonce == nonce => Decision::Checkin { action, how },
            _ => Decision::Expired { notice: false, how },
        },
        Some(ButtonData::Compose { nonce, action }) => match dialogue {
            Some(Dialogue::Notice(c)) if c.nonce == nonce => Decision::Compose { action, how },
            _ => Decision::Expired { notice: true, how },
        },
        Some(button) => Decision::Press { button, how },
        None => Decision::Expired { notice: false, how },
    }
}

/// The data of the step's main option, when the options on offer show exactly one.
fn main_option<'a>(offered: &'a [Choice], dialogue: &Dialogue) -> Option<&'a str> {
    let mut main = offered
        .iter()
        .filter(|(_, data)| ButtonData::decode(data).is_some_and(|b| dialogue.is_main(&b)))
        .map(|(_, data)| data.as_str());
    match (main.next(), main.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Whether `text` is one of `words`, in either script, with or without closing marks.
fn said(text: &str, words: &[&str]) -> bool {
    let letters =
        |s: &str| -> String { crate::normalize::fold(s).chars().filter(|c| c.is_alphanumeric()).collect() };
    let typed = letters(text);
    !typed.is_empty() && words.iter().any(|w| letters(w) == typed)
}

/// Handles one event. Never fails: every error has become a reply (or a log line) here.
pub async fn handle(core: &Core, me: &ChatContext, msg: &Incoming) -> Handled {
    // Flood control is the platform's, before this (see `crate::flood`): it delays, never drops.
    match converse(core, me, msg).await {
        Ok(replies) => Handled { replies, failure: None, transient: false },
        Err(Error::User(e)) => {
            Handled { replies: user_error_replies(core, me, msg, &e), failure: None, transient: false }
        }
        Err(e) => {
            let transient = e.is_transient();
            tracing::error!(update = msg.update_id, chat = msg.chat.id, error = %e, transient, "handling an update failed");
            Handled { replies: error_replies(msg, errors::sorry()), failure: Some(e.to_string()), transient }
        }
    }
}

/// Reads the chat's state once, decides, routes, and keeps the state once.
async fn converse(core: &Core, me: &ChatContext, msg: &Incoming) -> Result<Vec<Reply>> {
    let (dialogue, offered) = if msg.chat.private {
        (
            readable(msg, "dialogue", dialogue::load(core, msg.chat.id).await)?,
            readable(msg, "options on offer", choices::offered(core, msg.chat.id).await)?,
        )
    } else {
        (None, Vec::new())
    };
    let situation = Situation {
        dialogue: dialogue.as_ref(),
        offered: &offered,
        kinds: core.kinds(),
        username: me.username.as_deref(),
    };
    let decision = decide(msg, &situation);
    let command = decision.is_command();
    let mut outcome = match route(core, me, msg, decision, dialogue.clone()).await {
        Ok(outcome) => outcome,
        // A command refused is still the command's answer: it too ends with the line below.
        Err(Error::User(e)) if command && dialogue.is_some() => {
            Outcome::unchanged(user_error_replies(core, me, msg, &e))
        }
        Err(e) => return Err(e),
    };
    let open_after = match &outcome.dialogue {
        Change::Unchanged => dialogue.is_some(),
        Change::Save(_) => true,
        Change::End => false,
    };
    // A command run while a dialogue is open says, once, that the dialogue still is.
    if command
        && matches!(outcome.dialogue, Change::Unchanged)
        && let Some(d) = dialogue.filter(|d| !d.told())
    {
        let own_options = outcome.replies.iter().any(has_options);
        end_with(&mut outcome.replies, d.still_open(own_options));
        dialogue::mark_told(core, msg.chat.id, d).await?;
    }
    dialogue::keep(core, msg.chat.id, outcome.dialogue).await?;
    if msg.chat.private
        && let Err(e) = remember_choices(core, msg.chat.id, &outcome.replies, open_after).await
    {
        // The replies still go out: only typing an option instead of pressing it fails.
        tracing::warn!(update = msg.update_id, error = %e, "could not keep the options on offer");
    }
    Ok(outcome.replies)
}

/// The chat's state as read, or none when it cannot be read for good (a broken table): the
/// message is then answered as in a chat without a dialogue, so what needs none (a check-in in
/// one line, a command) still works, and what needs one fails where it is kept, with an
/// apology. A passing failure (a busy database) is an error, so the message is tried again.
fn readable<T: Default>(msg: &Incoming, what: &str, read: Result<T>) -> Result<T> {
    match read {
        Err(e) if !e.is_transient() => {
            tracing::error!(update = msg.update_id, chat = msg.chat.id, error = %e, "could not read the chat's {what}; answering without it");
            Ok(T::default())
        }
        read => read,
    }
}

/// Hands the decision to its handler.
async fn route(
    core: &Core,
    me: &ChatContext,
    msg: &Incoming,
    decision: Decision,
    dialogue: Option<Dialogue>,
) -> Result<Outcome<Dialogue>> {
    let same = |replies: Vec<Reply>| Ok(Outcome::unchanged(replies));
    match decision {
        Decision::NotForUs => return same(vec![]),
        Decision::InGroup { command } => return same(commands::in_group(core, me, msg, command)),
        Decision::Blocked(blocked) => return same(commands::blocked(core, msg, blocked).await?),
        Decision::Join(code) => return same(commands::join(core, me, msg, code.as_deref()).await?),
        Decision::LinkAccount(code) => return same(commands::link_account(core, msg, &code).await?),
        _ => {}
    }
    let member = match members::require_member(core, msg.from.account.person_id).await {
        Ok(mut member) => {
            if member.unreachable {
                // They wrote to us, so they can be written to again.
                members::set_reachable(core, member.id, true).await?;
            }
            members::wrote_from(core, &mut member, msg.from.account).await?;
            member
        }
        Err(Error::User(UserError::NotRegistered)) => {
            return same(commands::not_registered(core, me, msg).await?);
        }
        Err(e) => return Err(e),
    };
    let member = &member;
    match (decision, dialogue) {
        (Decision::RoleByReply(command), _) => match roles::role_command(&command) {
            Some((make, args)) => {
                same(roles::command(core, member, args, msg.reply_to.as_ref(), make).await?)
            }
            None => same(vec![]),
        },
        (Decision::Command(command), _) => commands::on_command(core, me, member, msg, command).await,
        (Decision::Cancel, dialogue) => Ok(commands::cancel(dialogue.as_ref())),
        (Decision::Checkin { action, how }, Some(Dialogue::Checkin(w))) => {
            let outcome = wizard::on_button(core, member, msg, how.callback_id(), w, action).await?;
            Ok(typed(&how, msg, outcome.map(Dialogue::Checkin)))
        }
        (Decision::Compose { action, how }, Some(Dialogue::Notice(c))) => {
            let outcome = composer::on_button(core, me, member, msg, how.callback_id(), c, action).await?;
            Ok(typed(&how, msg, outcome.map(Dialogue::Notice)))
        }
        (Decision::Checkin { how, .. }, _) => {
            Ok(typed(&how, msg, Outcome::unchanged(wizard::expired(how.callback_id()))))
        }
        (Decision::Compose { how, .. }, _) => {
            Ok(typed(&how, msg, Outcome::unchanged(composer::expired(how.callback_id()))))
        }
        (Decision::Expired { notice, how }, _) => {
            let id = how.callback_id();
            let replies = if notice { composer::expired(id) } else { wizard::expired(id) };
            Ok(typed(&how, msg, Outcome::unchanged(replies)))
        }
        (Decision::Press { button, how }, _) => {
            let outcome = on_button(core, member, msg, how.callback_id(), button).await?;
            Ok(typed(&how, msg, outcome))
        }
        (Decision::StaleOption, _) => same(commands::stale_option()),
        (Decision::Answer(text), Some(Dialogue::Checkin(w))) => {
            Ok(wizard::on_text(core, member, msg, w, &text).await?.map(Dialogue::Checkin))
        }
        (Decision::Answer(text), Some(Dialogue::Notice(c))) => {
            Ok(composer::on_text(core, member, msg, c, &text).await?.map(Dialogue::Notice))
        }
        (Decision::Reprompt, Some(Dialogue::Checkin(w))) => same(wizard::reprompt(core, member, &w).await?),
        (Decision::Reprompt, Some(Dialogue::Notice(c))) => same(composer::reprompt(core, member, &c).await?),
        (Decision::StartWithKind(key), _) => {
            Ok(wizard::start_with_kind(core, member, &key).await?.map(Dialogue::Checkin))
        }
        (Decision::CheckinLine(line), _) => same(commands::checkin_line(core, member, msg, &line).await?),
        (Decision::WizardPhoto { file_id, caption, album }, Some(Dialogue::Checkin(w))) => {
            let answer = album.as_deref().is_none_or(|a| me.first_of_album(msg.chat.id, a));
            let outcome = wizard::on_photo(core, msg, w, &file_id, caption.as_deref(), answer).await?;
            Ok(outcome.map(Dialogue::Checkin))
        }
        (
            Decision::PhotoCheckin { file_id, caption, album }
            | Decision::WizardPhoto { file_id, caption, album },
            _,
        ) => {
            let first = album.as_deref().is_none_or(|a| me.first_of_album(msg.chat.id, a));
            same(commands::photo_checkin(core, member, msg, &file_id, caption.as_deref(), first).await?)
        }
        (Decision::NoticeMedia { kind, file_id, name, caption }, Some(Dialogue::Notice(c))) => {
            let media = (kind, file_id.as_str(), name.as_deref());
            Ok(composer::on_media(core, me, member, msg, c, media, caption.as_deref())
                .await?
                .map(Dialogue::Notice))
        }
        (Decision::WizardLocation { latitude, longitude }, Some(Dialogue::Checkin(w))) => {
            Ok(wizard::on_location(core, w, latitude, longitude).map(Dialogue::Checkin))
        }
        (Decision::LocationHint | Decision::WizardLocation { .. }, _) => same(commands::location_hint()),
        (Decision::Unsupported | Decision::NoticeMedia { .. }, _) => same(commands::unsupported()),
        // The decision was made from this same dialogue, so these are only reached without one.
        (Decision::TextHint | Decision::Answer(_) | Decision::Reprompt, _) => same(commands::text_hint(core)),
        (
            Decision::NotForUs
            | Decision::InGroup { .. }
            | Decision::Blocked(_)
            | Decision::Join(_)
            | Decision::LinkAccount(_),
            _,
        ) => same(vec![]),
    }
}

/// A button that is no dialogue's step.
async fn on_button(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    button: ButtonData,
) -> Result<Outcome<Dialogue>> {
    let replies = match button {
        ButtonData::Manage { action, notice_id } => {
            notices::on_manage(core, member, msg, callback_id, action, notice_id).await?
        }
        ButtonData::Roles { change, member_id } => {
            roles::on_button(core, member, msg, callback_id, change, member_id).await?
        }
        ButtonData::Ack { delivery_id } => {
            notices::on_ack(core, member, msg, callback_id, delivery_id).await?
        }
        ButtonData::Spread { notice_id } => {
            return Ok(notices::on_spread(core, member, callback_id, notice_id)
                .await?
                .map(Dialogue::Checkin));
        }
        ButtonData::Preview => notices::on_preview(callback_id),
        // Decided as the dialogues' own buttons, or as expired ones.
        ButtonData::Checkin { .. } => wizard::expired(callback_id),
        ButtonData::Compose { .. } => composer::expired(callback_id),
    };
    Ok(Outcome::unchanged(replies))
}

/// An option typed instead of pressed is handled as the press, with what the press would have
/// edited in place sent as new messages, since the person's own message cannot be edited.
fn typed(how: &How, msg: &Incoming, outcome: Outcome<Dialogue>) -> Outcome<Dialogue> {
    if *how != How::Typed {
        return outcome;
    }
    // A press's short notice (a toast) becomes a message only when nothing else says anything.
    let mut toasts = Vec::new();
    let mut out: Vec<Reply> = outcome
        .replies
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
    Outcome { replies: out, dialogue: outcome.dialogue }
}

/// Whether a reply shows options of its own.
fn has_options(reply: &Reply) -> bool {
    match reply {
        Reply::Send { keyboard, .. } | Reply::Edit { keyboard, .. } | Reply::Media { keyboard, .. } => {
            keyboard.is_some()
        }
        Reply::EditButtons { .. } => true,
        _ => false,
    }
}

/// Ends the answer with `line`: the last message's last line, or a message of its own after a
/// file.
fn end_with(replies: &mut Vec<Reply>, line: String) {
    match replies.last_mut() {
        Some(Reply::Send { text, .. }) => {
            text.push_str("\n\n");
            text.push_str(&line);
        }
        _ => replies.push(Reply::send(line)),
    }
}

/// The apology for an event whose handling broke down entirely (a bug).
pub fn apology(msg: &Incoming) -> Vec<Reply> {
    error_replies(msg, errors::sorry())
}

/// A user error's polite text, as the answer to `msg`.
fn user_error_replies(core: &Core, me: &ChatContext, msg: &Incoming, e: &UserError) -> Vec<Reply> {
    error_replies(msg, errors::user_error(e, &core.config, me.username.as_deref()))
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

/// Keeps the options of the newest message among `replies` on offer in the chat, so they can be
/// typed. Replies without buttons leave an open dialogue's options on offer (a hint to use
/// them) and take any other away.
async fn remember_choices(core: &Core, chat_id: i64, replies: &[Reply], dialogue_open: bool) -> Result<()> {
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
        Some(Some(keyboard)) => choices::offer(core, chat_id, &keyboard.choices()).await,
        Some(None) if dialogue_open => Ok(()),
        Some(None) => choices::offer(core, chat_id, &[]).await,
    }
}

#[cfg(test)]
mod decide_tests;
