//! The steps every platform runs for each message taken from its inbox, written once: wait for
//! the person's turn (flood control delays a burst, discards only beyond the hard cap), hand the
//! event to the conversation (a passing failure tried again, a panic contained), send the
//! replies through the platform's sending side, keep what the platform could not take now, and
//! mark the inbox row done. A platform only turns its payload into an [`Incoming`] and says
//! how its replies are sent.
//!
//! Replies go out before the row is marked, so a crash in between repeats the (idempotent)
//! handling rather than losing the reply.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;

use crate::chat::{self, ChatContext, Content, Incoming, Reply};
use crate::core::Core;
use crate::domain::Platform;
use crate::flood::{self, Admit};
use crate::metrics::Metrics;
use crate::store::UpdateKey;
use crate::texts;

pub mod address;
pub mod inbox;

/// How often an event is handled when it keeps failing transiently (the database busy).
const HANDLE_ATTEMPTS: u32 = 4;

/// What a platform's message handling runs with.
pub struct Handler<'a> {
    pub core: &'a Core,
    pub context: &'a ChatContext,
    pub platform: Platform,
    /// A message waiting for its turn stops waiting on shutdown; it stays in the inbox and is
    /// handled after the restart.
    pub shutdown: &'a CancellationToken,
    /// Whether one person's burst is paced (not for the terminal: one person, typing or piping
    /// lines on purpose).
    pub flood_control: bool,
}

impl Handler<'_> {
    /// Handles the inbox row `key` (read as `incoming`) and marks it done. `deliver` sends
    /// replies in order and returns those the platform could not take now, to be kept.
    pub async fn handle<F, Fut>(&self, key: &str, incoming: &Incoming, deliver: F)
    where
        F: Fn(Vec<Reply>) -> Fut,
        Fut: Future<Output = Vec<Reply>>,
    {
        let update = UpdateKey { platform: self.platform, key };
        // One person's flood waits for its turn here; other chats go on meanwhile.
        let mut discarded_before = 0;
        if self.flood_control && !matches!(incoming.content, Content::Membership { .. }) {
            match self.turn(&update, incoming.from.account.person_id).await {
                Turn::Now(discarded) => discarded_before = discarded,
                Turn::Discard => {
                    // A press must still be answered, or the person's client keeps spinning.
                    if let Content::Button { callback_id, .. } = &incoming.content {
                        deliver(vec![Reply::Answer { callback_id: callback_id.clone(), text: None }]).await;
                    }
                    return finish(self.core, &update, "discarded", None).await;
                }
                Turn::Stopped => return,
            }
        }
        let mut handled = self.handle_with_retries(key, incoming).await;
        if discarded_before > 0 {
            let note = texts::errors::discarded(discarded_before, self.core.config.flood_cap);
            handled.replies.insert(0, Reply::send(note));
        }
        let left = deliver(handled.replies).await;
        chat::kept::keep(self.core, self.platform, incoming.chat.id, &left).await;
        match handled.failure {
            None => finish(self.core, &update, "ok", None).await,
            Some(e) => finish(self.core, &update, "failed", Some(&e)).await,
        }
    }

    /// Waits until this person's message may be handled (see [`crate::flood`]).
    async fn turn(&self, update: &UpdateKey<'_>, person: i64) -> Turn {
        loop {
            let admit = match flood::admit(self.core, person, update).await {
                Ok(a) => a,
                Err(e) => {
                    // Flood control must not lose a message: when it cannot tell, handle it.
                    tracing::warn!(update = update.key, error = %e, "flood control could not count; handling the message");
                    return Turn::Now(0);
                }
            };
            match admit {
                Admit::Now { discarded } => return Turn::Now(discarded),
                Admit::Discard => {
                    tracing::info!(
                        update = update.key,
                        person,
                        "flood control: over the hard cap, not handled"
                    );
                    return Turn::Discard;
                }
                Admit::Wait(wait) => {
                    tracing::debug!(
                        update = update.key,
                        person,
                        ?wait,
                        "flood control: waiting for this person's turn"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.shutdown.cancelled() => return Turn::Stopped,
                    }
                }
            }
        }
    }

    /// Handles an event, trying again a few times when the failure looks passing (the database
    /// busy) before settling for the apology. A panic (a bug) is contained to this event.
    async fn handle_with_retries(&self, key: &str, incoming: &Incoming) -> chat::Handled {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let handled = AssertUnwindSafe(chat::handle(self.core, self.context, incoming))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    tracing::error!(update = key, platform = self.platform.as_str(), "handler panicked");
                    chat::Handled {
                        replies: chat::apology(incoming),
                        failure: Some("panic".into()),
                        transient: false,
                    }
                });
            if !handled.transient || attempt >= HANDLE_ATTEMPTS {
                return handled;
            }
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt - 1))).await;
        }
    }
}

/// What flood control decided for a message.
enum Turn {
    /// Handle it; this many of the person's were discarded before it.
    Now(i64),
    Discard,
    /// Shutting down while it waited: left in the inbox.
    Stopped,
}

/// Marks an inbox row done, with its outcome (`ok`, `ignored`, `discarded`, `skipped`,
/// `failed`), counted for /metrics.
pub async fn finish(core: &Core, update: &UpdateKey<'_>, outcome: &str, error: Option<&str>) {
    let m = &core.metrics;
    Metrics::bump(match outcome {
        "ok" => &m.updates_ok,
        "ignored" | "discarded" => &m.updates_ignored,
        _ => &m.updates_failed,
    });
    if let Err(e) = core.store.inbox_finish(update, outcome, error, core.now()).await {
        tracing::error!(update = update.key, error = %e, "could not mark a message handled; it will be handled again");
    }
}
