//! sansong: a chat bot for the 四联四促 campaign's 三送 work — invites, check-ins, weekly
//! views, notices with receipts, tallies and exports.
//!
//! One core, with the messaging platform at the edge. Layers, each using only those above it
//! (one exception: `config` reads the kinds with [`checkins::kinds`], a leaf module with no
//! other dependency):
//!
//! 1. Building blocks, no database and no network: [`domain`] (the types every layer shares,
//!    the records the store returns and the edges render among them),
//!    [`limits`] (what a platform declares), [`normalize`], [`week`], [`schedule`] (the schedule grammar, the holiday calendar and its
//!    files, the State Council notice's grammar), [`clock`], [`config`] (reads its file and the
//!    environment), [`error`].
//! 2. [`store`]: every SQL statement, on one SQLite database.
//! 3. The core, called with typed inputs, returning data: [`core`] (the context), [`members`],
//!    [`org`], [`checkins`], [`notices`], [`tally`], [`dialogues`], [`audit`], [`periodic`], [`flood`],
//!    [`backup`], [`metrics`], [`tokens`] (the JSON API's tokens), [`system`] (what the console's
//!    系统 page shows, and `sansong check`'s checks). It owns the rules (roles are checked here, on every call) and the
//!    audit log, and never imports `texts`, `chat`, `reports`, `cli` or a platform.
//! 4. The edges, which render core data for people with [`texts`] (every sentence and button
//!    label, by area): [`chat`] (the platform-neutral conversation: an `Incoming` in, `Reply`
//!    values out; it never touches the store), [`reports`] (the weekly report, its chart, the
//!    export files), [`cli`] (the `sansong` command line), [`http`] (health and metrics).
//! 5. The platform: [`telegram`], Telegram (teloxide and the Bot API: the durable inbox, the
//!    dispatcher, sending replies and deliveries, splitting texts under its message limit).
//!    Each platform declares its limits ([`limits::Limits`]); the core keeps to the strictest
//!    of [`platform_limits`] without knowing whose they are. `telegram` is the only
//!    module that imports teloxide. [`jobs`] declares the background jobs and runs them under
//!    one shutdown token; the platform's receiving side is one of them, behind
//!    [`jobs::Updates`]. [`dingtalk`] (Stream mode), [`wecom`] (the 智能机器人's long connection) and [`terminal`] (`sansong chat`) are the
//!    other platforms, each in one folder:
//!    people and chats of every platform are the core's integer ids ([`domain::Account`]),
//!    and the core knows a platform only as [`domain::Platform`], a name.

pub mod audit;
pub mod backup;
pub mod chat;
pub mod checkins;
pub mod choices;
pub mod cli;
pub mod clock;
pub mod config;
pub mod core;
pub mod dialogues;
pub mod dingtalk;
pub mod domain;
pub mod error;
pub mod flood;
pub mod handling;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod logins;
pub mod members;
pub mod metrics;
pub mod normalize;
pub mod notices;
pub mod org;
pub mod periodic;
pub mod replies;
pub mod reports;
pub mod schedule;
pub mod store;
pub mod system;
pub mod tally;
pub mod telegram;
pub mod terminal;
pub mod texts;
pub mod tokens;
pub mod web;
pub mod wecom;
pub mod week;

pub use crate::core::Core;

/// Every platform's declared limits (see [`limits`]), which the core keeps to: the strictest
/// of them applies, so what is composed once can be sent on each.
pub fn platform_limits() -> Vec<limits::Limits> {
    vec![telegram::LIMITS, dingtalk::LIMITS, wecom::LIMITS, terminal::LIMITS]
}
pub use crate::error::{Error, Result, UserError};
