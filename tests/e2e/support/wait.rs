//! Waiting, with a deadline, for something the bot does in its own time: the one place the
//! end-to-end tests poll for a condition.
//!
//! Waits on the fake Bot API's own state use [`FakeApi::wait_for`](super::fake_api::FakeApi::wait_for),
//! which wakes on each change instead of polling; everything else (the database, files, the
//! metrics endpoint, a child process) goes through [`eventually`].

// The benches include this harness too, and use only part of it.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

/// How often [`eventually`] asks again.
pub const POLL: Duration = Duration::from_millis(20);

/// Asks `probe` every [`POLL`] until it answers `Some`, and returns that answer. Fails the test
/// with "timed out after {within:?} waiting for {what}" once `within` has passed, so `what`
/// reads as what the test waits for ("the outbox to drain").
///
/// The probe is always asked at least once, and once more after the last pause even if that
/// pause took it past the deadline.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_every(what, within, POLL, probe).await
}

/// [`eventually`], asking every `every` instead of every [`POLL`]: more often where a wait must
/// catch a moment before it passes, less often where each probe costs the bot under test.
pub async fn eventually_every<T, F, Fut>(what: &str, within: Duration, every: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(every).await;
    }
}
