//! The keeping of replies a platform could not take: stored in the outbox as they were (the
//! conversation's own form, as JSON), tried again with doubling waits, each chat's in order,
//! and dropped with a log line and a metric once older than `reply_give_up_minutes`.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::core::Core;
use crate::domain::Platform;

/// How a try of a kept reply went.
pub enum Outcome {
    Sent,
    Later,
    Dropped,
    /// It no longer reads (an older release's form): dropped.
    Unreadable,
}

/// Keeps replies (as JSON) for a chat, to be sent in order from now on.
pub async fn keep(core: &Core, platform: Platform, chat_id: i64, replies: &[String]) {
    if replies.is_empty() {
        return;
    }
    if let Err(e) = core.store.keep_replies(platform, chat_id, replies, core.now()).await {
        tracing::error!(chat = chat_id, error = %e, "could not keep replies for later; they are lost");
    }
}

/// Tries the platform's due kept replies with `send` until shutdown.
pub async fn resend<F, Fut>(
    core: Core,
    platform: Platform,
    shutdown: CancellationToken,
    send: F,
) -> anyhow::Result<()>
where
    F: Fn(i64, String) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let give_up = chrono::Duration::minutes(i64::from(core.config.reply_give_up_minutes));
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            () = shutdown.cancelled() => return Ok(()),
        }
        let now = core.now();
        for kept in core.store.due_replies(platform, now, 50).await? {
            let outcome = if now - kept.created_at > give_up {
                Outcome::Unreadable
            } else {
                send(kept.chat_id, kept.reply.clone()).await
            };
            match outcome {
                Outcome::Sent => core.store.reply_done(kept.id, "sent").await?,
                Outcome::Later => {
                    let wait =
                        chrono::Duration::seconds(2i64.saturating_pow(kept.attempts.clamp(0, 5) as u32));
                    core.store.reply_retry(kept.id, now + wait).await?;
                }
                Outcome::Dropped => core.store.reply_done(kept.id, "dropped").await?,
                Outcome::Unreadable => {
                    tracing::warn!(chat = kept.chat_id, kept_since = %kept.created_at, "a kept reply is too old (or unreadable): dropped");
                    crate::metrics::Metrics::bump(&core.metrics.replies_dropped);
                    core.store.reply_done(kept.id, "dropped").await?;
                }
            }
        }
    }
}
