//! The one dialogue a chat may have open — a guided check-in or a notice being composed — as
//! tagged JSON kept by the core ([`crate::dialogues`]) so it survives a restart; and what its
//! step takes, which is all the decision ([`super::decide`]) needs to know of it.
//!
//! It is loaded once per message, by the router, and kept once, after the message is handled
//! (see [`super::outcome`]): the dialogues' handlers never load or store it themselves.

use serde::{Deserialize, Serialize};

use super::buttons::ButtonData;
use super::composer::{self, Composer};
use super::outcome::Change;
use super::wizard::{self, Wizard};
use crate::core::Core;
use crate::error::Result;
use crate::texts::dialogues::{self as texts, DialogueName, GoOn};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dialogue", rename_all = "lowercase")]
pub enum Dialogue {
    Checkin(Wizard),
    Notice(Composer),
}

/// What the open dialogue's step takes from a typed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expects {
    /// One of the options shown. `reads_text`: the step also reads a typed answer of its own
    /// (a kind or a site written out); otherwise anything else gets the options again.
    Choice { reads_text: bool },
    /// Free text (a description, a notice's text), or one of the options shown.
    Text,
}

impl Dialogue {
    /// What the step takes from a typed message.
    pub fn expects(&self) -> Expects {
        use composer::Step as N;
        use wizard::Step as C;
        match self {
            Dialogue::Checkin(w) => match w.step {
                C::Kind | C::Site => Expects::Choice { reads_text: true },
                C::Description => Expects::Text,
                C::Extras | C::Confirm => Expects::Choice { reads_text: false },
            },
            Dialogue::Notice(c) => match c.step {
                N::Content => Expects::Text,
                // A time is typed here, but 立即 is an option too, and no time starts with a
                // command word: `提醒 关` here is the command.
                N::When => Expects::Choice { reads_text: true },
                N::Audience | N::Units | N::Links | N::Roles | N::Options | N::Preview => {
                    Expects::Choice { reads_text: false }
                }
            },
        }
    }

    /// Whether `button` is one of this dialogue's (its nonce) and its step's main option: what
    /// a confirmation (确认, 好, 下一步) presses when it is the only one shown.
    pub fn is_main(&self, button: &ButtonData) -> bool {
        match (self, button) {
            (Dialogue::Checkin(w), ButtonData::Checkin { nonce, action }) => {
                *nonce == w.nonce && wizard::is_main(action)
            }
            (Dialogue::Notice(c), ButtonData::Compose { nonce, action }) => {
                *nonce == c.nonce && composer::is_main(*action)
            }
            _ => false,
        }
    }

    /// A photo goes to the dialogue (a check-in's evidence, a notice's picture) rather than
    /// being read on its own.
    pub fn takes_photo(&self) -> bool {
        match self {
            Dialogue::Checkin(w) => wizard::wants_evidence(w),
            Dialogue::Notice(_) => true,
        }
    }

    /// Whether the person was already told, under a command's answer, that it is still open.
    pub fn told(&self) -> bool {
        match self {
            Dialogue::Checkin(w) => w.told,
            Dialogue::Notice(c) => c.told,
        }
    }

    pub fn set_told(&mut self, told: bool) {
        match self {
            Dialogue::Checkin(w) => w.told = told,
            Dialogue::Notice(c) => c.told = told,
        }
    }

    /// The line that says the dialogue is still open and how to go on with it; `resume`: the
    /// answer it ends carries options of its own, so numbers no longer reach the dialogue.
    pub fn still_open(&self, resume: bool) -> String {
        let name = match self {
            Dialogue::Checkin(_) => DialogueName::Checkin,
            Dialogue::Notice(_) => DialogueName::Notice,
        };
        let how = match self {
            _ if resume => GoOn::Resume,
            Dialogue::Checkin(w) if w.asking_day => GoOn::Send(texts::DAY_OF_WORK),
            Dialogue::Checkin(w) if w.step == wizard::Step::Description => GoOn::Send(texts::DESCRIPTION),
            Dialogue::Notice(c) if c.step == composer::Step::Content => GoOn::Send(texts::NOTICE_TEXT),
            Dialogue::Notice(c) if c.step == composer::Step::When => GoOn::NumberOrTime,
            _ => GoOn::Number,
        };
        texts::still_open(name, how)
    }
}

/// The chat's dialogue, if it has one still worth continuing (see [`crate::dialogues::load`]).
pub async fn load(core: &Core, chat_id: i64) -> Result<Option<Dialogue>> {
    crate::dialogues::load(core, chat_id).await
}

/// Keeps what handling a message did to the chat's dialogue. A dialogue saved at a new step
/// starts afresh: the person is told again, under a later command, that it is open.
pub async fn keep(core: &Core, chat_id: i64, change: Change<Dialogue>) -> Result<()> {
    match change {
        Change::Unchanged => Ok(()),
        Change::Save(mut d) => {
            d.set_told(false);
            crate::dialogues::save(core, chat_id, &d).await
        }
        Change::End => crate::dialogues::end(core, chat_id).await,
    }
}

/// Notes that the person was told the dialogue is still open. Not a step of it: the time it
/// was last touched, from which it is forgotten, stays as it was.
pub async fn mark_told(core: &Core, chat_id: i64, mut d: Dialogue) -> Result<()> {
    d.set_told(true);
    crate::dialogues::rewrite(core, chat_id, &d).await
}
