//! The broadcast sender's way to Telegram: plain HTTP to the same Bot API server and with the
//! same HTTP client as the teloxide `Bot`, so that every answer's status code is seen as it is.
//! (teloxide itself waits ten seconds inside any request answered with a 5xx before reporting
//! it, and folds status codes into error types; the outbox needs 429, 403 and 5xx distinctly
//! and at once.) The token is part of the URL and never appears in errors or logs.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use teloxide::Bot;

use super::send::{MESSAGE_LIMIT, split_message};
use crate::chat::buttons::ButtonData;
use crate::domain::Platform;
use crate::metrics::Metrics;
use crate::notices::MediaKind;
use crate::notices::sender::{Messenger, NoticeAction, OutMedia, Outgoing, SendOutcome};
use crate::texts;

pub struct TelegramMessenger {
    client: reqwest::Client,
    metrics: Arc<Metrics>,
    /// Every notice goes out as a paid broadcast (`allow_paid_broadcast`).
    paid: bool,
    /// `<api>/bot<token>/`: secret, never printed.
    base: String,
}

impl TelegramMessenger {
    pub fn new(bot: &Bot, metrics: Arc<Metrics>, paid: bool) -> Self {
        let api = bot.api_url().to_string();
        TelegramMessenger {
            client: bot.client().clone(),
            metrics,
            paid,
            base: format!("{}/bot{}/", api.trim_end_matches('/'), bot.token()),
        }
    }

    /// Sends a delivery: its text rendered (a reminder's wording), its actions as inline
    /// buttons, and a text over Telegram's limit as several messages, the buttons on the last.
    async fn call(&self, chat_id: i64, message: &Outgoing) -> SendOutcome {
        let text = if message.reminder {
            texts::notices::notice_reminder(&message.text)
        } else {
            message.text.clone()
        };
        let markup = (!message.actions.is_empty()).then(|| {
            json!({"inline_keyboard": message.actions.iter().map(|a| {
                let (label, data) = match *a {
                    NoticeAction::Acknowledge { delivery_id } => {
                        (texts::notices::BUTTON_ACK, ButtonData::Ack { delivery_id })
                    }
                    NoticeAction::Spread { notice_id } => {
                        (texts::notices::BUTTON_SPREAD, ButtonData::Spread { notice_id })
                    }
                };
                vec![json!({"text": label, "callback_data": data.encode()})]
            }).collect::<Vec<_>>()})
        });
        let Some(media) = &message.media else {
            return self.send_text(chat_id, &text, markup).await;
        };
        let (method, request) = match media {
            OutMedia::FileId { kind, file_id } => {
                let (method, field) = media_method(*kind);
                let mut body = json!({"chat_id": chat_id, field: file_id, "caption": text});
                if self.paid {
                    body["allow_paid_broadcast"] = json!(true);
                }
                if let Some(m) = &markup {
                    body["reply_markup"] = m.clone();
                }
                (method, self.client.post(format!("{}{method}", self.base)).json(&body))
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
                // An upload may take longer than the client's default timeout for small calls.
                let request = self
                    .client
                    .post(format!("{}{method}", self.base))
                    .multipart(form)
                    .timeout(Duration::from_secs(120));
                (method, request)
            }
        };
        self.answer(method, request).await
    }

    /// A text, split under Telegram's limit; the buttons go on the last part. A part that fails
    /// stops the rest, and the delivery is retried whole.
    async fn send_text(&self, chat_id: i64, text: &str, markup: Option<Value>) -> SendOutcome {
        let parts = split_message(text, MESSAGE_LIMIT);
        let last = parts.len().saturating_sub(1);
        let mut outcome = SendOutcome::Permanent("empty message".into());
        for (i, part) in parts.iter().enumerate() {
            let mut body = json!({"chat_id": chat_id, "text": part});
            if self.paid {
                body["allow_paid_broadcast"] = json!(true);
            }
            if let (true, Some(m)) = (i == last, &markup) {
                body["reply_markup"] = m.clone();
            }
            let request = self.client.post(format!("{}sendMessage", self.base)).json(&body);
            outcome = self.answer("sendMessage", request).await;
            if !matches!(outcome, SendOutcome::Sent { .. }) {
                break;
            }
        }
        outcome
    }

    /// Makes one Bot API call and reads its answer as the outbox needs it.
    async fn answer(&self, method: &str, request: reqwest::RequestBuilder) -> SendOutcome {
        let response = match request.send().await {
            Ok(r) => r,
            // without_url: the URL holds the token.
            Err(e) => return SendOutcome::Transient(format!("network: {}", e.without_url())),
        };
        let status = response.status();
        let body: Value = match response.json().await {
            Ok(v) => v,
            Err(e) if status.is_server_error() => {
                return SendOutcome::Transient(format!("HTTP {status}: {}", e.without_url()));
            }
            Err(e) => {
                return SendOutcome::Transient(format!(
                    "HTTP {status}, unreadable answer: {}",
                    e.without_url()
                ));
            }
        };
        let description = body["description"].as_str().unwrap_or("").to_owned();
        if body["ok"].as_bool() == Some(true) {
            let result = &body["result"];
            return SendOutcome::Sent {
                message_id: result["message_id"].as_i64().unwrap_or(0),
                file_id: uploaded_file_id(method, result),
            };
        }
        match status.as_u16() {
            429 => SendOutcome::RetryAfter(Duration::from_secs(
                body["parameters"]["retry_after"].as_u64().unwrap_or(1).max(1),
            )),
            403 => SendOutcome::Blocked(format!("403 {description}")),
            s if s >= 500 => SendOutcome::Transient(format!("HTTP {s} {description}")),
            s => SendOutcome::Permanent(format!("{s} {description}")),
        }
    }
}

fn media_method(kind: MediaKind) -> (&'static str, &'static str) {
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
            let started = std::time::Instant::now();
            let answer = self
                .client
                .post(format!("{}getMe", self.base))
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            let ok = match answer {
                Some(r) => r.json::<Value>().await.is_ok_and(|v| v["ok"].as_bool() == Some(true)),
                None => false,
            };
            self.metrics.api_call(started.elapsed(), ok, chrono::Utc::now().timestamp_millis());
            ok
        })
    }

    fn send<'a>(&'a self, chat_id: i64, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let outcome = self.call(chat_id, message).await;
            // A 403 or 400 is still Telegram answering: only network faults, 5xx and 429 are not.
            let answered = !matches!(outcome, SendOutcome::Transient(_) | SendOutcome::RetryAfter(_));
            self.metrics.api_call(started.elapsed(), answered, chrono::Utc::now().timestamp_millis());
            if matches!(outcome, SendOutcome::RetryAfter(_)) {
                Metrics::bump(&self.metrics.rate_limited);
            }
            outcome
        })
    }
}
