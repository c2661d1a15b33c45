//! Webhook mode (`webhook_url`): Telegram POSTs updates to us instead of our polling.
//!
//! On start the bot registers the URL with `setWebhook` and a fresh random `secret_token`;
//! requests without that secret in `X-Telegram-Bot-Api-Secret-Token` get 401 and are not
//! processed. An update is answered 200 only after its inbox row has committed (a failure to
//! store answers 500, and Telegram sends it again), so none is lost; from the inbox on,
//! everything is as in polling mode. The secret, like the token, never appears in logs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use teloxide::Bot;
use teloxide::prelude::*;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::core::Core;
use crate::domain::Platform;

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

#[derive(Clone)]
struct Hook {
    core: Core,
    secret: Arc<str>,
    notify: Arc<Notify>,
}

/// A random secret of 48 letters and digits (Telegram allows 1-256 of A-Z, a-z, 0-9, _ and -).
fn new_secret() -> String {
    crate::members::random_token(48)
}

/// Registers the webhook and serves it on `listen` until `shutdown`.
pub async fn serve(
    bot: Bot,
    core: Core,
    url: url::Url,
    listen: SocketAddr,
    notify: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let secret = new_secret();
    let path = url.path().to_owned();
    // Registered after the listener is up, so Telegram's first POST finds it.
    let mut attempt = 0u32;
    loop {
        let started = std::time::Instant::now();
        let result = bot.set_webhook(url.clone()).secret_token(secret.clone()).await;
        core.metrics.api_call(
            crate::domain::Platform::Telegram,
            started.elapsed(),
            result.is_ok(),
            chrono::Utc::now().timestamp_millis(),
        );
        match result {
            Ok(_) => break,
            Err(e) => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "setWebhook failed; trying again");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(u64::from(attempt.min(30)))) => {}
                    () = shutdown.cancelled() => return Ok(()),
                }
            }
        }
    }
    tracing::info!(listen = %listen, path = %path, "webhook registered; receiving updates");
    let hook = Hook { core: core.clone(), secret: secret.into(), notify };
    let app = Router::new().route(&path, post(receive)).with_state(hook);
    let server = async {
        axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned()).await?;
        anyhow::Ok(())
    };
    tokio::try_join!(server, heartbeat(bot, core, shutdown.clone()))?;
    Ok(())
}

/// Polling calls the Bot API all the time, but a webhook only receives, and may rightly stay
/// quiet for hours: without a call of its own, `/healthz` would report a healthy bot as down.
/// A light `getWebhookInfo` every third of the health window keeps it truthful, and logs
/// Telegram's own report when it cannot deliver to us.
async fn heartbeat(bot: Bot, core: Core, shutdown: CancellationToken) -> anyhow::Result<()> {
    let every = (core.config.health_window / 3).max(Duration::from_secs(1));
    let mut reported: Option<String> = None;
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = shutdown.cancelled() => return Ok(()),
        }
        let started = std::time::Instant::now();
        let result = bot.get_webhook_info().await;
        core.metrics.api_call(
            crate::domain::Platform::Telegram,
            started.elapsed(),
            result.is_ok(),
            chrono::Utc::now().timestamp_millis(),
        );
        match result {
            Ok(info) => {
                if info.last_error_message != reported {
                    if let Some(message) = &info.last_error_message {
                        tracing::warn!(%message, pending = info.pending_update_count, "Telegram cannot deliver to the webhook");
                    }
                    reported = info.last_error_message;
                }
            }
            // RequestError's Display never contains the token (teloxide redacts it from URLs).
            Err(e) => tracing::warn!(error = %e, "getWebhookInfo failed"),
        }
    }
}

/// Constant-time comparison, so the secret cannot be guessed by timing.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same(given, hook.secret.as_bytes()) {
        tracing::warn!("a webhook request without the right secret was refused");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(update) = serde_json::from_slice::<serde_json::Value>(&body) else {
        tracing::warn!("a webhook request that is not JSON was ignored");
        // Not an update Telegram can send again usefully: accept it so it is not retried.
        return StatusCode::OK;
    };
    let Some(update_id) = update.get("update_id").and_then(serde_json::Value::as_i64) else {
        tracing::warn!("a webhook update without an update_id was ignored");
        return StatusCode::OK;
    };
    let row = [(update_id.to_string(), update.to_string())];
    match hook.core.store.inbox_put(Platform::Telegram, &row, hook.core.now()).await {
        Ok(_) => {
            hook.notify.notify_one();
            StatusCode::OK
        }
        Err(e) => {
            tracing::error!(update = update_id, error = %e, "could not store a webhook update; Telegram will send it again");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
