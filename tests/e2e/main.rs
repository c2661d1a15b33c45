//! End-to-end tests: the real bot over HTTP against a fake Bot API, on a real SQLite file.

mod support;

mod across;
mod admin;
mod both;
mod broadcast;
mod browser;
mod checkins;
mod cli;
mod console;
mod console_notices;
mod console_org;
mod console_system;
mod daily;
mod dialogue;
mod dingtalk;
mod dingtalk_departments;
mod durability;
mod midway;
mod notices;
mod operations;
mod registration;
mod robustness;
mod roles;
mod tallies;
mod terminal;
mod transcript;
mod wecom;
mod wecom_process;
mod weeks;
