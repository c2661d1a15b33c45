//! Carrying out [`Reply`] values through the Bot API: long texts split under Telegram's limit,
//! flood-control answers (429) waited out, network faults retried a bounded number of times.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, BotCommandScope, CallbackQueryId, FileId, InlineKeyboardButton, InlineKeyboardMarkup,
    InputFile, MessageId, Recipient,
};
use teloxide::{ApiError, RequestError};

use crate::chat::{Keyboard, Reply};
use crate::domain::Platform;
use crate::metrics::Metrics;
use crate::notices::MediaKind;

/// Telegram's limit is 4,096 characters per message; leave room for its own counting quirks.
pub const MESSAGE_LIMIT: usize = 4000;

/// Splits `text` into pieces of at most `limit` UTF-16 code units (Telegram's unit), at line
/// breaks where possible, never inside a character.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    let units = |s: &str| s.encode_utf16().count();
    if units(text) <= limit {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_units = 0;
    for line in text.split_inclusive('\n') {
        let line_units = units(line);
        if current_units + line_units > limit && !current.is_empty() {
            parts.push(std::mem::take(&mut current).trim_end().to_owned());
            current_units = 0;
        }
        if line_units > limit {
            for c in line.chars() {
                let n = c.len_utf16();
                if current_units + n > limit {
                    parts.push(std::mem::take(&mut current));
                    current_units = 0;
                }
                current.push(c);
                current_units += n;
            }
        } else {
            current.push_str(line);
            current_units += line_units;
        }
    }
    if !current.trim().is_empty() {
        parts.push(current.trim_end().to_owned());
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

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

#[derive(Clone)]
pub struct Sender {
    bot: Bot,
    metrics: Arc<Metrics>,
}

impl Sender {
    pub fn new(bot: Bot, metrics: Arc<Metrics>) -> Self {
        Sender { bot, metrics }
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
        let started = std::time::Instant::now();
        let result = match reply {
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
            Reply::MenuFor { .. } => Ok(()),
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
        let answered = match &result {
            Ok(()) | Err(RequestError::Api(_)) => true,
            Err(RequestError::RetryAfter(_)) => {
                Metrics::bump(&self.metrics.rate_limited);
                false
            }
            Err(_) => false,
        };
        self.metrics.api_call(started.elapsed(), answered, chrono::Utc::now().timestamp_millis());
        match result {
            Ok(()) => Delivered::Yes,
            Err(RequestError::Api(ApiError::BotBlocked | ApiError::UserDeactivated)) => {
                tracing::info!(chat = chat_id, "person has blocked the bot or left Telegram; reply dropped");
                Delivered::Blocked
            }
            Err(e) if is_transient(&e) || matches!(e, RequestError::RetryAfter(_)) => {
                tracing::warn!(chat = chat_id, error = %e, "a reply could not be delivered now; kept for later");
                Delivered::Later
            }
            Err(e) => {
                tracing::warn!(chat = chat_id, error = %e, "a reply could not be delivered");
                Delivered::Refused
            }
        }
    }

    async fn send_text(
        &self,
        chat_id: i64,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Result<(), RequestError> {
        self.send_parts(chat_id, &split_message(text, MESSAGE_LIMIT), keyboard).await
    }

    /// Messages already within Telegram's limit, in order; the keyboard goes on the last.
    async fn send_parts(
        &self,
        chat_id: i64,
        parts: &[String],
        keyboard: Option<&Keyboard>,
    ) -> Result<(), RequestError> {
        let last = parts.len().saturating_sub(1);
        for (i, part) in parts.iter().enumerate() {
            let markup = if i == last { keyboard.map(markup) } else { None };
            with_retry(|| {
                let mut request = self.bot.send_message(ChatId(chat_id), part.clone());
                if let Some(m) = &markup {
                    request = request.reply_markup(m.clone());
                }
                request.into_future()
            })
            .await?;
        }
        Ok(())
    }

    async fn edit_text(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Result<(), RequestError> {
        let Ok(id) = i32::try_from(message_id) else {
            return self.send_text(chat_id, text, keyboard).await;
        };
        // A message edited into something longer than Telegram allows keeps the first part in
        // place and continues in new messages, like a long reply: never cut off.
        match split_message(text, MESSAGE_LIMIT).as_slice() {
            [first, rest @ ..] if !rest.is_empty() => {
                self.edit_text_part(chat_id, id, first, None).await?;
                self.send_parts(chat_id, rest, keyboard).await
            }
            _ => self.edit_text_part(chat_id, id, text, keyboard).await,
        }
    }

    /// One edit within Telegram's limit; a message that can no longer be edited is sent anew.
    async fn edit_text_part(
        &self,
        chat_id: i64,
        id: i32,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Result<(), RequestError> {
        let text = text.to_owned();
        let markup = keyboard.map(markup);
        let result = with_retry(|| {
            let mut request = self.bot.edit_message_text(ChatId(chat_id), MessageId(id), text.clone());
            if let Some(m) = &markup {
                request = request.reply_markup(m.clone());
            }
            request.into_future()
        })
        .await;
        match result {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            // Too old to edit, or deleted by the person: say it in a new message instead.
            Err(RequestError::Api(
                ApiError::MessageCantBeEdited | ApiError::MessageToEditNotFound | ApiError::MessageIdInvalid,
            )) => self.send_text(chat_id, &text, keyboard).await,
            Err(e) => Err(e),
        }
    }

    async fn edit_buttons(
        &self,
        chat_id: i64,
        message_id: i64,
        keyboard: &Keyboard,
    ) -> Result<(), RequestError> {
        let Ok(id) = i32::try_from(message_id) else { return Ok(()) };
        let markup = markup(keyboard);
        let result = with_retry(|| {
            self.bot
                .edit_message_reply_markup(ChatId(chat_id), MessageId(id))
                .reply_markup(markup.clone())
                .into_future()
        })
        .await;
        match result {
            // Already showing these buttons (a second press), or the message is gone: nothing to fix.
            Ok(_)
            | Err(RequestError::Api(ApiError::MessageNotModified | ApiError::MessageToEditNotFound)) => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn send_media(
        &self,
        chat_id: i64,
        kind: MediaKind,
        file_id: &str,
        caption: &str,
        keyboard: Option<&Keyboard>,
    ) -> Result<(), RequestError> {
        let file = || InputFile::file_id(FileId(file_id.to_owned()));
        let markup = keyboard.map(markup);
        with_retry(|| {
            let chat = ChatId(chat_id);
            let markup = markup.clone();
            async move {
                match kind {
                    MediaKind::Photo => {
                        let mut r = self.bot.send_photo(chat, file()).caption(caption);
                        if let Some(m) = markup {
                            r = r.reply_markup(m);
                        }
                        r.await
                    }
                    MediaKind::Document => {
                        let mut r = self.bot.send_document(chat, file()).caption(caption);
                        if let Some(m) = markup {
                            r = r.reply_markup(m);
                        }
                        r.await
                    }
                }
            }
        })
        .await?;
        Ok(())
    }

    /// Uploads a file made by the bot (an export) with a caption.
    async fn upload(
        &self,
        chat_id: i64,
        kind: MediaKind,
        name: &str,
        bytes: &[u8],
        caption: &str,
    ) -> Result<(), RequestError> {
        let caption: String = caption.chars().take(1000).collect();
        with_retry(|| {
            let file = InputFile::memory(bytes.to_vec()).file_name(name.to_owned());
            let chat = ChatId(chat_id);
            let caption = caption.clone();
            async move {
                match kind {
                    MediaKind::Photo => self.bot.send_photo(chat, file).caption(caption).await,
                    MediaKind::Document => self.bot.send_document(chat, file).caption(caption).await,
                }
            }
        })
        .await?;
        Ok(())
    }

    /// Sets the command menu of one chat, or the default menu (`None`).
    pub async fn set_menu(
        &self,
        chat_id: Option<i64>,
        entries: &[(&'static str, String)],
    ) -> Result<(), RequestError> {
        let commands: Vec<BotCommand> =
            entries.iter().map(|(name, summary)| BotCommand::new(*name, summary)).collect();
        let scope = match chat_id {
            Some(id) => BotCommandScope::Chat { chat_id: Recipient::Id(ChatId(id)) },
            None => BotCommandScope::Default,
        };
        with_retry(|| self.bot.set_my_commands(commands.clone()).scope(scope.clone()).into_future()).await?;
        Ok(())
    }

    async fn answer(&self, callback_id: &str, text: Option<&str>) -> Result<(), RequestError> {
        let result = with_retry(|| {
            let mut request = self.bot.answer_callback_query(CallbackQueryId(callback_id.to_owned()));
            if let Some(t) = text {
                // Telegram shows at most 200 characters in a callback notice.
                request = request.text(t.chars().take(190).collect::<String>());
            }
            request.into_future()
        })
        .await;
        match result {
            // A press answered late (after a restart) is no longer answerable; harmless.
            Err(RequestError::Api(ApiError::InvalidQueryId)) => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

fn markup(keyboard: &Keyboard) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(keyboard.rows.iter().map(|row| {
        row.iter()
            .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
            .collect::<Vec<_>>()
    }))
}

/// Runs a request, waiting out 429s and retrying transient network faults with backoff.
pub async fn with_retry<T, F, Fut>(mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Err(RequestError::RetryAfter(wait)) if attempt < MAX_ATTEMPTS => {
                tracing::warn!(seconds = wait.seconds(), "Telegram asked us to slow down");
                tokio::time::sleep(wait.duration()).await;
            }
            // One more try at once; beyond that the reply is kept and sent later (see
            // `telegram::resend_kept`), so the person's other messages need not wait.
            Err(e) if attempt < TRANSIENT_ATTEMPTS && is_transient(&e) => {
                tracing::debug!(error = %e, attempt, "transient Bot API failure; retrying");
                tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
            }
            other => return other,
        }
    }
}

/// Failures worth another try: the network, or the Bot API's own server errors (5xx), which
/// teloxide reports as an unknown API error carrying the HTTP reason, or as a non-JSON body
/// from a proxy in front of it.
pub fn is_transient(e: &RequestError) -> bool {
    match e {
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(description)) => {
            ["Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"]
                .iter()
                .any(|reason| description.contains(reason))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_sent_whole() {
        assert_eq!(split_message("你好", 10), vec!["你好"]);
    }

    #[test]
    fn long_texts_split_at_line_breaks_under_the_limit() {
        let text = (0..100).map(|i| format!("第{i}行：三送活动记录")).collect::<Vec<_>>().join("\n");
        let parts = split_message(&text, 200);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.encode_utf16().count() <= 200, "{}", p.len());
            assert!(!p.starts_with('\n'));
        }
        assert_eq!(parts.join("\n"), text, "nothing lost or reordered");
    }

    #[test]
    fn a_single_overlong_line_is_cut_between_characters() {
        let text = "😀".repeat(300);
        let parts = split_message(&text, 101);
        assert!(parts.iter().all(|p| p.encode_utf16().count() <= 101));
        assert_eq!(parts.concat(), text);
    }
}
