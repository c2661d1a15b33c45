//! Shared test harness: the fake Bot API, the app spawner, and waiting with a deadline.

pub mod app;
pub mod both_app;
pub mod browser;
pub mod console;
pub mod dingtalk_app;
pub mod driver;
pub mod fake_api;
pub mod fake_dingtalk;
pub mod fake_wecom;
#[path = "../../shared/mod.rs"]
pub mod shared;
pub mod terminal;
pub mod terminal_app;
pub mod wait;
pub mod wecom_app;

pub use app::{Binary, TestApp, cli, cli_env};
pub use fake_api::{FaultKind, Outage, TgUser};
pub use shared::{beijing, default_now, is_polite_chinese, listed_commands, repo_path};
pub use wait::{eventually, eventually_every};
