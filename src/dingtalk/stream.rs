//! DingTalk's receiving side: the Stream-mode WebSocket. The bot opens it itself (no public
//! URL), writes each robot message into the inbox and only then acknowledges it, answers
//! DingTalk's pings, and opens a new connection (with a new ticket, with backoff) whenever one
//! ends: a `disconnect` frame, a network loss, the gateway restarting.
//!
//! The frame format, from DingTalk's protocol description (open-dingtalk/developerpedia
//! `docs/learn/stream/protocol.md`) and its SDKs (dingtalk-stream-sdk-go `payload/data_frame.go`,
//! `client/client.go`; -python `frames.py`, `handlers.py`):
//! - down: `{specVersion, type: SYSTEM|EVENT|CALLBACK, headers: {topic, messageId, contentType,
//!   time, …} (all strings), data: "<JSON as a string>"}`;
//! - acknowledgement: `{code: 200, headers: {contentType, messageId}, message: "OK", data}` where
//!   `data` is `{"response": null}` for a callback, the ping's own data for a ping, and
//!   `{"status": "SUCCESS"}` for an event; a `disconnect` needs no answer.
//!
//! A robot message is keyed in the inbox by its `msgId` (falling back to the frame's
//! `messageId`), so a redelivered frame, or the same message in a new frame, is stored once.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::api::{Api, ApiError, BOT_MESSAGE_TOPIC};
use crate::core::Core;
use crate::domain::Platform;

/// How long a connection may say nothing (our pings are answered, so a live one never does).
const SILENCE: Duration = Duration::from_secs(95);

/// A frame DingTalk pushes.
#[derive(Debug, Clone, Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    headers: std::collections::HashMap<String, String>,
    #[serde(default)]
    data: String,
}

/// How a connection ended.
enum Ended {
    Shutdown,
    /// Closed (by DingTalk or the network); `useful`: frames came through it.
    Closed {
        useful: bool,
    },
}

/// Keeps a stream connection open until shutdown, storing robot messages in the inbox.
pub async fn receive(
    core: Core,
    api: std::sync::Arc<Api>,
    inbox_notify: std::sync::Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut backoff = Duration::from_millis(500);
    loop {
        match connect_once(&core, &api, &inbox_notify, &shutdown).await {
            Ok(Ended::Shutdown) => return Ok(()),
            Ok(Ended::Closed { useful }) => {
                tracing::info!("the DingTalk stream closed; opening a new one");
                if useful {
                    backoff = Duration::from_millis(500);
                }
            }
            Err(ApiError::Credentials(why)) => {
                tracing::error!(%why, "DingTalk refused the client id and secret: check SANSONG_DINGTALK_CLIENT_ID and SANSONG_DINGTALK_CLIENT_SECRET");
                backoff = Duration::from_secs(60);
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "the DingTalk stream failed")
            }
        }
        // A little jitter, so many bots do not come back in step.
        let jitter = Duration::from_millis(rand::random::<u64>() % (backoff.as_millis() as u64 / 5 + 1));
        tokio::select! {
            () = tokio::time::sleep(backoff + jitter) => {}
            () = shutdown.cancelled() => return Ok(()),
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

async fn connect_once(
    core: &Core,
    api: &Api,
    inbox_notify: &Notify,
    shutdown: &CancellationToken,
) -> Result<Ended, ApiError> {
    let url = api.open_connection().await?;
    let connect =
        tokio::time::timeout(Duration::from_secs(15), tokio_tungstenite::connect_async(url.as_str()));
    let (socket, _) = tokio::select! {
        connected = connect => match connected {
            Ok(Ok(socket)) => socket,
            Ok(Err(e)) => return Err(ApiError::Transient(format!("WebSocket: {e}"))),
            Err(_) => return Err(ApiError::Transient("WebSocket: the handshake timed out".into())),
        },
        () = shutdown.cancelled() => return Ok(Ended::Shutdown),
    };
    tracing::info!("DingTalk stream connected");
    let (mut write, mut read) = socket.split();
    let mut keepalive = tokio::time::interval(Duration::from_secs(30));
    keepalive.tick().await;
    let mut useful = false;
    let mut heard = tokio::time::Instant::now();
    loop {
        let message = tokio::select! {
            m = read.next() => m,
            _ = keepalive.tick() => {
                // Nothing at all (not even the pong of our ping) for this long: a half-open
                // connection, given up for a new one.
                if heard.elapsed() > SILENCE {
                    tracing::warn!("the DingTalk stream went silent; opening a new one");
                    return Ok(Ended::Closed { useful });
                }
                // A WebSocket ping keeps NAT and proxies from dropping an idle connection.
                if write.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return Ok(Ended::Closed { useful });
                }
                continue;
            }
            () = shutdown.cancelled() => {
                let _ = write.send(Message::Close(None)).await;
                return Ok(Ended::Shutdown);
            }
        };
        heard = tokio::time::Instant::now();
        // Any frame, a pong included, shows DingTalk is there (for /healthz).
        core.metrics.heard(crate::domain::Platform::DingTalk, chrono::Utc::now().timestamp_millis());
        let text = match message {
            Some(Ok(Message::Text(t))) => t.to_string(),
            Some(Ok(Message::Close(_))) | None => return Ok(Ended::Closed { useful }),
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "DingTalk stream read failed");
                return Ok(Ended::Closed { useful });
            }
        };
        useful = true;
        let frame: Frame = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "a DingTalk frame that does not read was ignored");
                continue;
            }
        };
        let topic = frame.headers.get("topic").map(String::as_str).unwrap_or("");
        let message_id = frame.headers.get("messageId").cloned().unwrap_or_default();
        let ack = match (frame.kind.as_str(), topic) {
            ("SYSTEM", "ping") => Some(ack(&message_id, frame.data.clone())),
            ("SYSTEM", "disconnect") => {
                tracing::info!(reason = %frame.data, "DingTalk asks to reconnect");
                let _ = write.send(Message::Close(None)).await;
                return Ok(Ended::Closed { useful });
            }
            ("CALLBACK", BOT_MESSAGE_TOPIC) => {
                // Stored before it is acknowledged: unacknowledged, DingTalk sends it again.
                if !store(core, &frame, &message_id, shutdown).await {
                    return Ok(Ended::Shutdown);
                }
                inbox_notify.notify_one();
                Some(ack(&message_id, json!({ "response": null }).to_string()))
            }
            ("CALLBACK", _) => Some(ack(&message_id, json!({ "response": null }).to_string())),
            ("EVENT", _) => {
                Some(ack(&message_id, json!({ "status": "SUCCESS", "message": "ignored" }).to_string()))
            }
            _ => None,
        };
        if let Some(ack) = ack
            && write.send(Message::Text(ack.to_string().into())).await.is_err()
        {
            return Ok(Ended::Closed { useful });
        }
    }
}

fn ack(message_id: &str, data: String) -> Value {
    json!({
        "code": 200,
        "headers": { "contentType": "application/json", "messageId": message_id },
        "message": "OK",
        "data": data,
    })
}

/// Writes a robot message to the inbox, retrying while the database is busy. False if
/// shutdown came first (the frame is then not acknowledged and comes again).
async fn store(core: &Core, frame: &Frame, message_id: &str, shutdown: &CancellationToken) -> bool {
    let msg_id = serde_json::from_str::<Value>(&frame.data)
        .ok()
        .and_then(|d| d["msgId"].as_str().map(str::to_owned))
        .filter(|m| !m.is_empty());
    let key = msg_id.unwrap_or_else(|| format!("frame:{message_id}"));
    let row = [(key, frame.data.clone())];
    let mut attempt = 0u32;
    loop {
        match core.store.inbox_put(Platform::DingTalk, &row, core.now()).await {
            Ok(_) => return true,
            Err(e) => {
                attempt += 1;
                let wait = Duration::from_millis(100 * 2u64.pow(attempt.min(6)));
                tracing::error!(error = %e, "could not store a DingTalk message; not acknowledging it yet");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => return false,
                }
            }
        }
    }
}
