//! Conversation tests: `sansong::chat::handle` driven with `Incoming` events against a real
//! SQLite file, asserting on the `Reply` values (and the database where it matters). No HTTP and
//! no Telegram, so they run in milliseconds; the end-to-end suites (`tests/e2e`) cover the wiring.

#[path = "../shared/mod.rs"]
mod shared;
mod support;

mod accounts;
mod backdating;
mod calendar;
mod checkins;
mod dialogue;
mod midway;
mod names;
mod notices;
mod organisers;
mod registration;
mod robustness;
mod words;
