//! sansong: a Telegram bot for the 四联四促 campaign's 三送 work.
//!
//! The crate is split so that everything except `bot` is free of Telegram:
//! - [`config`], [`clock`], [`week`], [`normalize`], [`domain`]: settings and pure building blocks;
//! - [`store`]: every SQL statement, on one SQLite pool;
//! - [`members`], [`org`], [`checkins`]: the core capabilities, called with typed inputs;
//! - [`chat`]: the conversation (commands, dialogues, replies) as platform-neutral data;
//! - [`texts`]: every sentence a person reads;
//! - [`bot`]: teloxide wiring (durable inbox, dispatcher, sending), [`jobs`]: background tasks;
//! - [`cli`]: the `sansong` command line.

pub mod audit;
pub mod backup;
pub mod bot;
pub mod chat;
pub mod check;
pub mod checkins;
pub mod cli;
pub mod clock;
pub mod config;
pub mod core;
pub mod dialogues;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod members;
pub mod metrics;
pub mod normalize;
pub mod notices;
pub mod org;
pub mod periodic;
pub mod reports;
pub mod schedule;
pub mod store;
pub mod tally;
pub mod texts;
pub mod week;

pub use crate::core::Core;
pub use crate::error::{Error, Result, UserError};
