//! Flood control that delays instead of dropping. Each person's messages are handled at most
//! [`RATE`] per [`WINDOW`]; beyond that, a message waits in the inbox (durable) for its turn,
//! in order, while other people are answered at once. Only beyond a hard cap (`flood_cap`
//! messages in ten minutes) is a message discarded, and the person is told once, when they are
//! next answered, how many were not handled. The counts are read from the inbox itself, so a
//! restart neither forgets nor resets them.

use std::time::Duration;

use crate::core::Core;
use crate::error::Result;
use crate::store::UpdateKey;

/// At most this many messages of one person are handled in [`WINDOW`].
pub const RATE: i64 = 20;
pub const WINDOW: Duration = Duration::from_secs(10);
/// The hard cap counts messages received in this long.
pub const CAP_WINDOW: Duration = Duration::from_secs(600);

/// What to do with a person's message now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Handle it; `discarded` of theirs were dropped before it (tell them, once).
    Now { discarded: i64 },
    /// Their turn comes after this wait.
    Wait(Duration),
    /// Over the hard cap: not handled.
    Discard,
}

/// Whether `person`'s update may be handled now.
pub async fn admit(core: &Core, person: i64, update: &UpdateKey<'_>) -> Result<Admit> {
    core.store.inbox_set_person(update, person).await?;
    let now = core.now();
    let chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or_default();
    let received = core.store.person_received_since(person, now - chrono(CAP_WINDOW), update).await?;
    if received > i64::from(core.config.flood_cap) {
        return Ok(Admit::Discard);
    }
    let (handled, first) = core.store.person_handled_since(person, now - chrono(WINDOW)).await?;
    if handled >= RATE {
        // Handled times are whole seconds: wait until the oldest leaves the window.
        let free_at = first.unwrap_or(now.timestamp()) + WINDOW.as_secs() as i64;
        let wait_ms = (free_at * 1000 - now.timestamp_millis()).clamp(100, 10_000);
        return Ok(Admit::Wait(Duration::from_millis(wait_ms as u64)));
    }
    Ok(Admit::Now { discarded: core.store.person_discarded_lately(person).await? })
}
