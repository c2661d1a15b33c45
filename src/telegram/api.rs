//! Telegram's one sending side: every call the bot makes to say something (replies, edits,
//! button answers, menus, uploads, broadcast deliveries, the `getMe` probe) goes through
//! [`BotApi`], plain HTTP to the Bot API server with the teloxide `Bot`'s own HTTP client.
//! teloxide keeps the receiving side (long polling, the webhook) and the update types.
//!
//! Why not teloxide's request methods: teloxide waits ten seconds inside any request answered
//! with a 5xx before reporting it, and folds status codes into error types, while replies and
//! the outbox both need 429, 403 and 5xx distinctly and at once. Every answer is read here, in
//! one place, into an [`Answer`]. The token is part of the URL and never appears in errors or
//! logs.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use teloxide::Bot;

use super::format::{MESSAGE_LIMIT, markup, split_message};
use crate::chat::buttons::ButtonData;
use crate::chat::{Button, Keyboard};
use crate::domain::Platform;
use crate::metrics::Metrics;
use crate::notices::MediaKind;
use crate::notices::sender::{Messenger, NoticeAction, OutMedia, Outgoing, SendOutcome};
use crate::texts;

/// How the Bot API answered one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `ok: true`, with the call's `result`.
    Done(Value),
    /// 429: nothing more may be sent for this long.
    RetryAfter(Duration),
    /// 403: the person blocked the bot, left Telegram, or never started a chat with it.
    Blocked(String),
    /// Refused for good (400, 404 and the like): the HTTP status and Telegram's description.
    Refused { status: u16, description: String },
    /// Might work later: no connection, a timeout, a 5xx, an unreadable answer.
    Transient(String),
}

impl Answer {
    /// Whether Telegram itself answered (a refusal is an answer; a 429, 5xx or timeout is not).
    pub fn answered(&self) -> bool {
        !matches!(self, Answer::RetryAfter(_) | Answer::Transient(_))
    }

    /// A refusal whose description contains `text` (Telegram's descriptions are stable).
    pub fn refused_for(&self, text: &str) -> bool {
        matches!(self, Answer::Refused { description, .. } if description.contains(text))
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Done(_) => write!(f, "ok"),
            Answer::RetryAfter(wait) => write!(f, "429 retry after {} s", wait.as_secs()),
            Answer::Blocked(d) | Answer::Transient(d) => write!(f, "{d}"),
            Answer::Refused { status, description } => write!(f, "{status} {description}"),
        }
    }
}

/// The Bot API, as the bot's sending side calls it.
#[derive(Clone)]
pub struct BotApi {
    client: reqwest::Client,
    metrics: Arc<Metrics>,
    /// `<api>/bot<token>/`: secret, never printed.
    base: Arc<str>,
    /// `<api>/file/bot<token>/`, where files are downloaded from: secret too.
    files: Arc<str>,
}

impl BotApi {
    /// The API `bot` talks to, with its HTTP client.
    pub fn new(bot: &Bot, metrics: Arc<Metrics>) -> Self {
        let api = bot.api_url().to_string();
        BotApi {
            client: bot.client().clone(),
            metrics,
            base: format!("{}/bot{}/", api.trim_end_matches('/'), bot.token()).into(),
            files: format!("{}/file/bot{}/", api.trim_end_matches('/'), bot.token()).into(),
        }
    }

    /// A file a person sent, by its `file_id`: `getFile`, then the download. Its name (the
    /// last part of Telegram's path) and bytes.
    pub async fn fetch_file(&self, file_id: &str) -> Result<(String, Vec<u8>), String> {
        let path = match self.call("getFile", &json!({ "file_id": file_id })).await {
            Answer::Done(file) => file["file_path"].as_str().map(str::to_owned),
            other => return Err(format!("getFile: {other}")),
        };
        let path = path.ok_or_else(|| "getFile gave no file_path".to_owned())?;
        let started = std::time::Instant::now();
        let answer = self
            .client
            .get(format!("{}{path}", self.files))
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(|e| format!("download: {}", e.without_url()));
        let bytes = match answer {
            Ok(r) if r.status().is_success() => {
                r.bytes().await.map(|b| b.to_vec()).map_err(|e| format!("download: {}", e.without_url()))
            }
            Ok(r) => Err(format!("download: HTTP {}", r.status())),
            Err(e) => Err(e),
        };
        self.metrics.api_call(
            Platform::Telegram,
            started.elapsed(),
            bytes.is_ok(),
            chrono::Utc::now().timestamp_millis(),
        );
        let name = path.rsplit('/').next().unwrap_or("file").to_owned();
        Ok((name, bytes?))
    }

    /// One call with a JSON body.
    pub async fn call(&self, method: &str, body: &Value) -> Answer {
        let request = self.client.post(format!("{}{method}", self.base)).json(body);
        self.send(method, request).await
    }

    /// One call that must be answered within `timeout` (the probe's).
    pub async fn call_within(&self, method: &str, body: &Value, timeout: Duration) -> Answer {
        let request = self.client.post(format!("{}{method}", self.base)).json(body).timeout(timeout);
        self.send(method, request).await
    }

    /// One call carrying a file: `form` holds the file part and the other parameters.
    pub async fn upload(&self, method: &str, form: Form) -> Answer {
        // An upload may take longer than the client's timeout for small calls.
        let request = self
            .client
            .post(format!("{}{method}", self.base))
            .multipart(form)
            .timeout(Duration::from_secs(120));
        self.send(method, request).await
    }

    /// Makes the call, reads its answer, and counts it for /metrics and /healthz.
    async fn send(&self, method: &str, request: reqwest::RequestBuilder) -> Answer {
        let started = std::time::Instant::now();
        let answer = read(request.send().await).await;
        self.metrics.api_call(
            Platform::Telegram,
            started.elapsed(),
            answer.answered(),
            chrono::Utc::now().timestamp_millis(),
        );
        if matches!(answer, Answer::RetryAfter(_)) {
            self.metrics.rate_limited(Platform::Telegram);
        }
        if let Answer::Refused { .. } | Answer::Transient(_) = &answer {
            tracing::debug!(method, %answer, "the Bot API did not take a call");
        }
        answer
    }
}

/// Reads an answer as the bot needs it.
async fn read(response: reqwest::Result<reqwest::Response>) -> Answer {
    let response = match response {
        Ok(r) => r,
        // without_url: the URL holds the token.
        Err(e) => return Answer::Transient(format!("network: {}", e.without_url())),
    };
    let status = response.status();
    let body: Value = match response.json().await {
        Ok(v) => v,
        Err(e) => return Answer::Transient(format!("HTTP {status}, unreadable answer: {}", e.without_url())),
    };
    if body["ok"].as_bool() == Some(true) {
        return Answer::Done(body["result"].clone());
    }
    let description = body["description"].as_str().unwrap_or("").to_owned();
    match status.as_u16() {
        429 => Answer::RetryAfter(Duration::from_secs(
            body["parameters"]["retry_after"].as_u64().unwrap_or(1).max(1),
        )),
        403 => Answer::Blocked(format!("403 {description}")),
        // The token itself refused (revoked, or wrong): Telegram's failure for everyone, not
        // this member's, so not a refusal of this message.
        s @ (401 | 404) => Answer::Transient(format!("HTTP {s} {description}: the token was refused")),
        s if s >= 500 => Answer::Transient(format!("HTTP {s} {description}")),
        // A proxy's 200 that is not the Bot API's answer: not Telegram refusing.
        s if s < 400 => Answer::Transient(format!("HTTP {s}, not a Bot API answer")),
        s => Answer::Refused { status: s, description },
    }
}

/// The files people send on Telegram, for passing a notice's file on to other platforms.
pub struct TelegramFiles {
    pub api: BotApi,
}

impl crate::chat::FileSource for TelegramFiles {
    fn fetch<'a>(
        &'a self,
        _kind: MediaKind,
        file_id: &'a str,
    ) -> BoxFuture<'a, Result<(String, Vec<u8>), String>> {
        Box::pin(self.api.fetch_file(file_id))
    }
}

/// Delivers the outbox's messages (notices, reminders, reports) through [`BotApi`].
pub struct TelegramMessenger {
    api: BotApi,
    /// Every notice goes out as a paid broadcast (`allow_paid_broadcast`).
    paid: bool,
}

impl TelegramMessenger {
    pub fn new(api: BotApi, paid: bool) -> Self {
        TelegramMessenger { api, paid }
    }

    /// Sends a delivery: its text rendered (a reminder's wording), its actions as inline
    /// buttons, and a text over Telegram's limit as several messages, the buttons on the last.
    async fn deliver(&self, chat_id: i64, message: &Outgoing) -> SendOutcome {
        let text = if message.reminder {
            texts::notices::notice_reminder(&message.text)
        } else {
            message.text.clone()
        };
        // One button a row, as the chat's own keyboards are drawn.
        let rows: Vec<Vec<Button>> = message
            .actions
            .iter()
            .map(|a| {
                let (label, data) = match *a {
                    NoticeAction::Acknowledge { delivery_id, .. } => {
                        (texts::notices::BUTTON_ACK, ButtonData::Ack { delivery_id })
                    }
                    NoticeAction::Spread { notice_id } => {
                        (texts::notices::BUTTON_SPREAD, ButtonData::Spread { notice_id })
                    }
                };
                vec![Button::new(label, data.encode())]
            })
            .collect();
        let markup = (!rows.is_empty()).then(|| markup(&Keyboard { rows }));
        let Some(media) = &message.media else {
            return self.send_text(chat_id, &text, markup).await;
        };
        let (method, answer) = match media {
            OutMedia::FileId { kind, file_id } => {
                let (method, field) = media_method(*kind);
                let mut body = json!({"chat_id": chat_id, field: file_id, "caption": text});
                if self.paid {
                    body["allow_paid_broadcast"] = json!(true);
                }
                if let Some(m) = &markup {
                    body["reply_markup"] = m.clone();
                }
                (method, self.api.call(method, &body).await)
            }
            OutMedia::Upload { kind, name, bytes } => {
                let (method, field) = media_method(*kind);
                let mut form = Form::new()
                    .text("chat_id", chat_id.to_string())
                    .text("caption", text)
                    .part(field, Part::bytes(bytes.as_ref().clone()).file_name(name.clone()));
                if let Some(m) = &markup {
                    form = form.text("reply_markup", m.to_string());
                }
                if self.paid {
                    form = form.text("allow_paid_broadcast", "true");
                }
                (method, self.api.upload(method, form).await)
            }
        };
        outcome(method, answer)
    }

    /// A text, split under Telegram's limit (a notice fits one message: the core keeps its body
    /// within [`super::LIMITS`]; a reminder's wording may add a line); the buttons go on the
    /// last part. A part that fails stops the rest, and the delivery is retried whole.
    async fn send_text(&self, chat_id: i64, text: &str, markup: Option<Value>) -> SendOutcome {
        let parts = split_message(text, super::LIMITS.text.unwrap_or(MESSAGE_LIMIT));
        let last = parts.len().saturating_sub(1);
        let mut result = SendOutcome::Permanent("empty message".into());
        for (i, part) in parts.iter().enumerate() {
            let mut body = json!({"chat_id": chat_id, "text": part});
            if self.paid {
                body["allow_paid_broadcast"] = json!(true);
            }
            if let (true, Some(m)) = (i == last, &markup) {
                body["reply_markup"] = m.clone();
            }
            result = outcome("sendMessage", self.api.call("sendMessage", &body).await);
            if !matches!(result, SendOutcome::Sent { .. }) {
                break;
            }
        }
        result
    }
}

/// A Bot API answer as the outbox needs it.
fn outcome(method: &str, answer: Answer) -> SendOutcome {
    match answer {
        Answer::Done(result) => SendOutcome::Sent {
            message_id: result["message_id"].as_i64().unwrap_or(0),
            file_id: uploaded_file_id(method, &result),
        },
        Answer::RetryAfter(wait) => SendOutcome::RetryAfter(wait),
        Answer::Blocked(d) => SendOutcome::Blocked(d),
        Answer::Transient(d) => SendOutcome::Transient(d),
        refused @ Answer::Refused { .. } => SendOutcome::Permanent(refused.to_string()),
    }
}

/// The method and its file field for a photo or a document.
pub(super) fn media_method(kind: MediaKind) -> (&'static str, &'static str) {
    match kind {
        MediaKind::Photo => ("sendPhoto", "photo"),
        MediaKind::Document => ("sendDocument", "document"),
    }
}

/// The file_id Telegram gave an uploaded photo (its largest size) or document.
fn uploaded_file_id(method: &str, result: &Value) -> Option<String> {
    match method {
        "sendPhoto" => result["photo"].as_array()?.last()?["file_id"].as_str().map(str::to_owned),
        "sendDocument" => result["document"]["file_id"].as_str().map(str::to_owned),
        _ => None,
    }
}

impl Messenger for TelegramMessenger {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    /// `getMe`: the cheapest call that proves the Bot API answers (and the token still works).
    fn probe(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            matches!(
                self.api.call_within("getMe", &json!({}), Duration::from_secs(10)).await,
                Answer::Done(_)
            )
        })
    }

    fn send<'a>(&'a self, chat_id: i64, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(self.deliver(chat_id, message))
    }

    fn reuses_file_ids(&self) -> bool {
        true
    }
}
