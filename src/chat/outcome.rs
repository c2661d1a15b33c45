//! What handling one message did: what to say, and what becomes of the chat's dialogue. The
//! dialogues' handlers return their next state instead of storing it, so one place (the
//! router in [`super`]) keeps it, once, after the message is handled.

use super::message::Reply;

/// The replies to one message, and what becomes of the dialogue of type `S`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<S> {
    pub replies: Vec<Reply>,
    pub dialogue: Change<S>,
}

/// What becomes of the chat's dialogue.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<S> {
    /// Whatever dialogue there is stays as it was (none stays none).
    Unchanged,
    /// This is the chat's dialogue now, at its new step (replacing any other).
    Save(S),
    /// The dialogue is over (finished or cancelled).
    End,
}

impl<S> Outcome<S> {
    /// Replies that leave the dialogue as it was.
    pub fn unchanged(replies: Vec<Reply>) -> Self {
        Outcome { replies, dialogue: Change::Unchanged }
    }

    pub fn save(replies: Vec<Reply>, state: S) -> Self {
        Outcome { replies, dialogue: Change::Save(state) }
    }

    pub fn end(replies: Vec<Reply>) -> Self {
        Outcome { replies, dialogue: Change::End }
    }

    /// The same outcome for the dialogue type that wraps `S`.
    pub fn map<T>(self, wrap: impl FnOnce(S) -> T) -> Outcome<T> {
        let dialogue = match self.dialogue {
            Change::Unchanged => Change::Unchanged,
            Change::Save(s) => Change::Save(wrap(s)),
            Change::End => Change::End,
        };
        Outcome { replies: self.replies, dialogue }
    }

    /// Replies put before the outcome's own (a press's acknowledgement).
    pub fn after(mut self, first: Vec<Reply>) -> Self {
        self.replies.splice(0..0, first);
        self
    }
}
