//! Scheduled policy notices: composing them, firing them on time, delivering them through a
//! durable outbox within Telegram's limits, and counting who received and acknowledged them.

pub mod calendar;
pub mod pinyin;
pub mod schedule;
