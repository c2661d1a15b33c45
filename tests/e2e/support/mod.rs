//! Shared test harness: the fake Bot API, the app spawner, and waiting with a deadline.

pub mod app;
pub mod fake_api;
pub mod wait;

pub use app::{Binary, TestApp, beijing, cli, cli_env, default_now, repo_path};
pub use fake_api::{FaultKind, TgUser};
pub use wait::{eventually, eventually_every};

#[allow(dead_code)]
/// Whether a reply reads as a short, polite Chinese sentence (not an error dump).
pub fn is_polite_chinese(text: &str) -> bool {
    let has_cjk = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let polite = ["请", "您", "抱歉", "暂时"].iter().any(|w| text.contains(w));
    let no_internals = !["panic", "error", "Error", "sqlx", "thread"].iter().any(|w| text.contains(w));
    has_cjk && polite && no_internals && text.chars().count() < 400
}
