//! Carrying out [`Reply`] values through the Bot API (the one [`BotApi`] the broadcasts use
//! too): long texts split under Telegram's limit, flood-control answers (429) waited out, a
//! network fault or 5xx tried once more and then left to the kept-replies outbox.

use std::future::Future;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::api::{Answer, BotApi, media_method};
use super::format::{MESSAGE_LIMIT, markup, split_message};
use crate::chat::{Keyboard, Reply};
use crate::domain::Platform;
use crate::notices::MediaKind;

const MAX_ATTEMPTS: u32 = 5;
/// Tries of a request that meets a network fault or a 5xx, before the reply is kept for later.
const TRANSIENT_ATTEMPTS: u32 = 2;

/// What became of one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Yes,
    /// Refused for good (a 400): logged, the rest go on.
    Refused,
    /// The person blocked the bot.
    Blocked,
    /// The platform could not take it now: to be kept and sent later.
    Later,
}

/// Sends replies through the one [`BotApi`] (see [`super::api`]).
#[derive(Clone)]
pub struct Sender {
    api: BotApi,
}

impl Sender {
    pub fn new(api: BotApi) -> Self {
        Sender { api }
    }

    /// Sends the replies in order. A reply the platform cannot take now (5xx, timeouts, no
    /// connection, after the retries) stops the rest: it and those after it are returned, to be
    /// kept and sent later in the same order. A reply refused for good is logged and the rest
    /// still tried, except after a 403 (the person blocked the bot): then nothing more is sent.
    pub async fn deliver(&self, chat_id: i64, replies: &[Reply]) -> Vec<Reply> {
        for (i, reply) in replies.iter().enumerate() {
            match self.deliver_one(chat_id, reply).await {
                Delivered::Yes | Delivered::Refused => {}
                Delivered::Blocked => return Vec::new(),
                Delivered::Later => return replies[i..].to_vec(),
            }
        }
        Vec::new()
    }

    /// One reply: whether it went, or what stopped it.
    pub async fn deliver_one(&self, chat_id: i64, reply: &Reply) -> Delivered {
        let answer = match reply {
            Reply::Send { text, keyboard } => self.send_text(chat_id, text, keyboard.as_ref()).await,
            Reply::Edit { message_id, text, keyboard } => {
                self.edit_text(chat_id, *message_id, text, keyboard.as_ref()).await
            }
            Reply::Answer { callback_id, text } => self.answer(callback_id, text.as_deref()).await,
            Reply::Menu { entries } => self.set_menu(Some(chat_id), entries).await,
            // A member on another platform has no Telegram menu to set.
            Reply::MenuFor { account, entries } if account.platform == Platform::Telegram => {
                self.set_menu(Some(account.person_id), entries).await
            }
            Reply::MenuFor { .. } => DONE,
            Reply::EditButtons { message_id, keyboard } => {
                self.edit_buttons(chat_id, *message_id, keyboard).await
            }
            Reply::Media { kind, file_id, caption, keyboard } => {
                self.send_media(chat_id, *kind, file_id, caption, keyboard.as_ref()).await
            }
            Reply::Upload { kind, name, bytes, caption } => {
                self.upload(chat_id, *kind, name, bytes, caption).await
            }
        };
        match answer {
            Answer::Done(_) => Delivered::Yes,
            Answer::Blocked(_) => {
                tracing::info!(chat = chat_id, "person has blocked the bot or left Telegram; reply dropped");
                Delivered::Blocked
            }
            Answer::Transient(_) | Answer::RetryAfter(_) => {
                tracing::warn!(chat = chat_id, error = %answer, "a reply could not be delivered now; kept for later");
                Delivered::Later
            }
            Answer::Refused { .. } => {
                tracing::warn!(chat = chat_id, error = %answer, "a reply could not be delivered");
                Delivered::Refused
            }
        }
    }

    async fn send_text(&self, chat_id: i64, text: &str, keyboard: Option<&Keyboard>) -> Answer {
        self.send_parts(chat_id, &split_message(text, MESSAGE_LIMIT), keyboard).await
    }

    /// Messages already within Telegram's limit, in order; the keyboard goes on the last.
    async fn send_parts(&self, chat_id: i64, parts: &[String], keyboard: Option<&Keyboard>) -> Answer {
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate() {
            let mut body = json!({"chat_id": chat_id, "text": part});
            if let (true, Some(k)) = (i == last, keyboard) {
                body["reply_markup"] = markup(k);
            }
            let answer = self.call("sendMessage", &body).await;
            if !matches!(answer, Answer::Done(_)) {
                return answer;
            }
        }
        DONE
    }

    async fn edit_text(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Answer {
        // A message edited into something longer than Telegram allows keeps the first part in
        // place and continues in new messages, like a long reply: never cut off.
        match split_message(text, MESSAGE_LIMIT).as_slice() {
            [first, rest @ ..] if !rest.is_empty() => {
                let answer = self.edit_text_part(chat_id, message_id, first, None).await;
                if !matches!(answer, Answer::Done(_)) {
                    return answer;
                }
                self.send_parts(chat_id, rest, keyboard).await
            }
            _ => self.edit_text_part(chat_id, message_id, text, keyboard).await,
        }
    }

    /// One edit within Telegram's limit; a message that can no longer be edited is sent anew.
    async fn edit_text_part(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Answer {
        let mut body = json!({"chat_id": chat_id, "message_id": message_id, "text": text});
        if let Some(k) = keyboard {
            body["reply_markup"] = markup(k);
        }
        let answer = self.call("editMessageText", &body).await;
        if answer.refused_for(NOT_MODIFIED) {
            return DONE;
        }
        // Too old to edit, or deleted by the person: say it in a new message instead.
        if GONE.iter().any(|d| answer.refused_for(d)) {
            return self.send_text(chat_id, text, keyboard).await;
        }
        answer
    }

    async fn edit_buttons(&self, chat_id: i64, message_id: i64, keyboard: &Keyboard) -> Answer {
        let body = json!({"chat_id": chat_id, "message_id": message_id, "reply_markup": markup(keyboard)});
        let answer = self.call("editMessageReplyMarkup", &body).await;
        // Already showing these buttons (a second press), or the message is gone: nothing to fix.
        if answer.refused_for(NOT_MODIFIED) || GONE.iter().any(|d| answer.refused_for(d)) {
            return DONE;
        }
        answer
    }

    async fn send_media(
        &self,
        chat_id: i64,
        kind: MediaKind,
        file_id: &str,
        caption: &str,
        keyboard: Option<&Keyboard>,
    ) -> Answer {
        let (method, field) = media_method(kind);
        let mut body = json!({"chat_id": chat_id, field: file_id, "caption": caption});
        if let Some(k) = keyboard {
            body["reply_markup"] = markup(k);
        }
        self.call(method, &body).await
    }

    /// Uploads a file made by the bot (an export) with a caption.
    async fn upload(&self, chat_id: i64, kind: MediaKind, name: &str, bytes: &[u8], caption: &str) -> Answer {
        let caption: String = caption.chars().take(1000).collect();
        let (method, field) = media_method(kind);
        with_retry(|| {
            let form = Form::new()
                .text("chat_id", chat_id.to_string())
                .text("caption", caption.clone())
                .part(field, Part::bytes(bytes.to_vec()).file_name(name.to_owned()));
            self.api.upload(method, form)
        })
        .await
    }

    /// Sets the command menu of one chat, or the default menu (`None`).
    pub async fn set_menu(&self, chat_id: Option<i64>, entries: &[(&'static str, String)]) -> Answer {
        let commands: Vec<Value> =
            entries.iter().map(|(name, summary)| json!({"command": name, "description": summary})).collect();
        let scope = match chat_id {
            Some(id) => json!({"type": "chat", "chat_id": id}),
            None => json!({"type": "default"}),
        };
        self.call("setMyCommands", &json!({"commands": commands, "scope": scope})).await
    }

    async fn answer(&self, callback_id: &str, text: Option<&str>) -> Answer {
        let mut body = json!({"callback_query_id": callback_id});
        if let Some(t) = text {
            // Telegram shows at most 200 characters in a callback notice.
            body["text"] = json!(t.chars().take(190).collect::<String>());
        }
        let answer = self.call("answerCallbackQuery", &body).await;
        // A press answered late (after a restart) is no longer answerable; harmless.
        if answer.refused_for(QUERY_TOO_OLD) {
            return DONE;
        }
        answer
    }

    /// One call, 429s waited out and a transient fault tried once more.
    async fn call(&self, method: &str, body: &Value) -> Answer {
        with_retry(|| self.api.call(method, body)).await
    }
}

const DONE: Answer = Answer::Done(Value::Bool(true));

/// The Bot API's descriptions (teloxide-core's `ApiError` lists them): the edit changes nothing;
/// the message can no longer be edited; a button press too old to answer.
const NOT_MODIFIED: &str = "message is not modified";
const GONE: [&str; 3] = ["message can't be edited", "message to edit not found", "MESSAGE_ID_INVALID"];
const QUERY_TOO_OLD: &str = "query is too old";

/// Runs a call, waiting out 429s and retrying a transient fault once with a short pause;
/// beyond that the reply is kept and sent later (see `telegram::resend_kept`), so the person's
/// other messages need not wait.
async fn with_retry<F, Fut>(mut call: F) -> Answer
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Answer>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Answer::RetryAfter(wait) if attempt < MAX_ATTEMPTS => {
                tracing::warn!(seconds = wait.as_secs(), "Telegram asked us to slow down");
                tokio::time::sleep(wait).await;
            }
            Answer::Transient(e) if attempt < TRANSIENT_ATTEMPTS => {
                tracing::debug!(error = %e, attempt, "transient Bot API failure; retrying");
                tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
            }
            other => return other,
        }
    }
}
