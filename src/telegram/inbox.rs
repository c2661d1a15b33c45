//! The durable inbox between Telegram and the dispatcher.
//!
//! teloxide's own polling confirms a batch (the next `getUpdates` offset) as soon as the
//! dispatcher has *taken* it, before any handler ran: a crash then loses every queued update.
//! Here the [`poll`] job writes each raw update to the `inbox` table and only then asks for the
//! next batch (which confirms the previous one). The dispatcher reads from the table through
//! [`InboxListener`]; a handler marks its row done when it has finished. On start, whatever the
//! table still holds is handled first.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use serde::Serialize;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::requests::{JsonRequest, Payload};
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::core::Core;
use crate::domain::Platform;
use crate::store::{InboxRow, Store, UpdateKey};

/// The update kinds the bot asks for.
pub const ALLOWED_UPDATES: &[&str] = &["message", "callback_query", "my_chat_member"];

/// `getUpdates`, answered as raw JSON values: an update teloxide cannot parse is then still
/// stored (and skipped later with a log line) instead of breaking the whole batch.
#[derive(Debug, Clone, Serialize)]
struct RawGetUpdates {
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
    limit: u8,
    timeout: u32,
    allowed_updates: &'static [&'static str],
}

impl Payload for RawGetUpdates {
    type Output = Vec<serde_json::Value>;
    const NAME: &'static str = "GetUpdates";

    fn timeout_hint(&self) -> Option<Duration> {
        Some(Duration::from_secs(self.timeout.into()))
    }
}

async fn get_updates(
    bot: &Bot,
    offset: Option<i64>,
    timeout: u32,
) -> Result<Vec<serde_json::Value>, RequestError> {
    JsonRequest::new(
        bot.clone(),
        RawGetUpdates { offset, limit: 100, timeout, allowed_updates: ALLOWED_UPDATES },
    )
    .send()
    .await
}

/// Long-polls Telegram into the inbox until `shutdown`. Never confirms an update before its
/// inbox row has committed.
pub async fn poll(
    bot: Bot,
    core: Core,
    notify: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // A webhook set by an earlier deployment makes getUpdates fail with 409 Conflict.
    if let Err(e) = bot.delete_webhook().await {
        tracing::warn!(error = %e, "could not remove a webhook before polling");
    }
    let timeout = u32::try_from(core.config.poll_timeout.as_secs()).unwrap_or(10);
    let mut offset: Option<i64> = None;
    let mut failures: u32 = 0;
    loop {
        let started = std::time::Instant::now();
        let result = tokio::select! {
            r = get_updates(&bot, offset, timeout) => r,
            () = shutdown.cancelled() => break,
        };
        core.metrics.api_call(
            crate::domain::Platform::Telegram,
            started.elapsed(),
            result.is_ok(),
            chrono::Utc::now().timestamp_millis(),
        );
        if matches!(result, Err(RequestError::RetryAfter(_))) {
            core.metrics.rate_limited(crate::domain::Platform::Telegram);
        }
        match result {
            Ok(values) => {
                failures = 0;
                let batch: Vec<(i64, String)> = values
                    .iter()
                    .filter_map(|v| Some((v.get("update_id")?.as_i64()?, v.to_string())))
                    .collect();
                if batch.len() != values.len() {
                    tracing::warn!(
                        count = values.len() - batch.len(),
                        "updates without an update_id ignored"
                    );
                }
                let Some(max_id) = batch.iter().map(|(id, _)| *id).max() else {
                    continue;
                };
                if !persist(&core.store, &batch, &core, &shutdown).await {
                    // Shutting down before the batch was stored: it stays unconfirmed at
                    // Telegram and comes again on the next start.
                    return Ok(());
                }
                offset = Some(max_id + 1);
                notify.notify_one();
            }
            Err(RequestError::RetryAfter(wait)) => {
                tracing::warn!(seconds = wait.seconds(), "getUpdates: Telegram asked us to wait");
                if sleep_or_shutdown(wait.duration(), &shutdown).await {
                    break;
                }
            }
            Err(e) => {
                failures += 1;
                let backoff =
                    Duration::from_millis(500 * 2u64.pow(failures.min(6))).min(Duration::from_secs(30));
                // RequestError's Display never contains the token (teloxide redacts it from URLs).
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "getUpdates failed");
                if sleep_or_shutdown(backoff, &shutdown).await {
                    break;
                }
            }
        }
    }
    // Confirm the last stored batch now, so Telegram does not redeliver it on the next start.
    if let Some(offset) = offset {
        let confirm = get_updates(&bot, Some(offset), 0);
        if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(3), confirm).await {
            tracing::debug!(error = %e, "final offset confirmation failed; updates will be redelivered and deduplicated");
        }
    }
    Ok(())
}

/// Stores a batch, retrying while the database is unavailable. False if shutdown came first.
async fn persist(store: &Store, batch: &[(i64, String)], core: &Core, shutdown: &CancellationToken) -> bool {
    let keyed: Vec<(String, String)> =
        batch.iter().map(|(id, payload)| (id.to_string(), payload.clone())).collect();
    let mut attempt = 0u32;
    loop {
        match store.inbox_put(Platform::Telegram, &keyed, core.now()).await {
            Ok(added) => {
                tracing::debug!(received = batch.len(), new = added, "updates stored in the inbox");
                return true;
            }
            Err(e) => {
                attempt += 1;
                tracing::error!(error = %e, attempt, "could not store updates; not confirming them");
                if sleep_or_shutdown(Duration::from_secs(u64::from(attempt.min(10))), shutdown).await {
                    return false;
                }
            }
        }
    }
}

/// Sleeps; true if shutdown was requested meanwhile.
async fn sleep_or_shutdown(d: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        () = shutdown.cancelled() => true,
    }
}

/// Feeds the dispatcher from the inbox table, oldest first, each pending row once per run.
pub struct InboxListener {
    core: Core,
    notify: Arc<Notify>,
    token: StopToken,
    flag: StopFlag,
    /// The last inbox position handed to the dispatcher in this run.
    cursor: i64,
    buffer: VecDeque<InboxRow>,
}

impl InboxListener {
    pub fn new(core: Core, notify: Arc<Notify>) -> Self {
        let (token, flag) = mk_stop_token();
        InboxListener { core, notify, token, flag, cursor: 0, buffer: VecDeque::new() }
    }

    async fn next_update(&mut self) -> Option<Update> {
        loop {
            if self.flag.is_stopped() {
                return None;
            }
            if let Some(row) = self.buffer.pop_front() {
                self.cursor = row.seq;
                match parse_update(&row.payload) {
                    Ok(update) => return Some(update),
                    Err(reason) => {
                        // Logged and skipped; the updates after it go on as usual.
                        tracing::warn!(update = %row.key, %reason, "skipping an update the bot cannot read");
                        let key = UpdateKey { platform: Platform::Telegram, key: &row.key };
                        if let Err(e) = self
                            .core
                            .store
                            .inbox_finish(&key, "skipped", Some(&reason), self.core.now())
                            .await
                        {
                            tracing::error!(update = %row.key, error = %e, "could not mark an update skipped");
                        }
                        continue;
                    }
                }
            }
            match self.core.store.inbox_pending(Platform::Telegram, self.cursor, 100).await {
                Ok(rows) if !rows.is_empty() => self.buffer.extend(rows),
                Ok(_) => {
                    // Woken by the poller; the timeout also picks up rows written by another
                    // process (a webhook receiver, or a previous run's leftovers).
                    let flag = self.flag.clone();
                    tokio::select! {
                        () = self.notify.notified() => {}
                        () = flag => return None,
                        () = tokio::time::sleep(Duration::from_secs(2)) => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not read the inbox; retrying");
                    let flag = self.flag.clone();
                    tokio::select! {
                        () = flag => return None,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }
}

/// An update teloxide can act on, or why not.
pub fn parse_update(payload: &str) -> Result<Update, String> {
    match serde_json::from_str::<Update>(payload) {
        Ok(update) if matches!(update.kind, UpdateKind::Error(_)) => {
            Err("unknown or malformed update kind".into())
        }
        Ok(update) => Ok(update),
        Err(e) => Err(e.to_string()),
    }
}

impl<'a> AsUpdateStream<'a> for InboxListener {
    type StreamErr = Infallible;
    type Stream = BoxStream<'a, Result<Update, Infallible>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        Box::pin(futures::stream::unfold(self, |this| async move {
            this.next_update().await.map(|u| (Ok(u), this))
        }))
    }
}

impl UpdateListener for InboxListener {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_update_kinds_are_refused_with_a_reason_not_a_panic() {
        assert!(parse_update(r#"{"update_id": 5, "future_thing": {"x": 1}}"#).is_err());
        assert!(parse_update("not json").is_err());
        assert!(parse_update(r#"{"update_id": 5, "message": {"nonsense": true}}"#).is_err());
    }

    #[test]
    fn a_plain_message_update_parses() {
        let json = r#"{"update_id": 7, "message": {"message_id": 1, "date": 1764300000,
            "chat": {"id": 42, "type": "private", "first_name": "张"},
            "from": {"id": 42, "is_bot": false, "first_name": "张"}, "text": "/help"}}"#;
        let update = parse_update(json).unwrap();
        assert_eq!(update.id.0, 7);
    }
}
