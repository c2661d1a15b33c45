//! What both test suites share: the test calendar's moments, the repository's files, a core on
//! a fresh database with the example organisation, and checks on replies and the database.
//! Included by `tests/e2e` and `tests/conversation` with `#[path]`, so each suite stays one
//! test binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use sansong::clock::ShiftedClock;
use sansong::config::Config;
use sansong::schedule::calendar::HolidayCalendar;
use sansong::store::Store;
use sansong::{Core, org};

/// Beijing wall-clock time as an instant.
pub fn beijing(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
}

/// Wednesday 25 November 2026, 10:00 in Beijing: inside ISO week 2026-W48.
pub fn default_now() -> DateTime<Utc> {
    beijing(2026, 11, 25, 10, 0)
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The settings every test starts from: the database at `db_url`, the shipped holiday
/// calendar, and no metrics endpoint (tests that want one pick a free port).
pub fn test_config(db_url: &str) -> Config {
    Config {
        database_url: db_url.to_owned(),
        metrics_addr: None,
        web_addr: None,
        calendar: HolidayCalendar::load_dir(&repo_path("config/holidays")).unwrap(),
        ..Config::default()
    }
}

/// A core on the config's database (created and migrated) with the example organisation loaded.
pub async fn core_with_org(config: Config, clock: &ShiftedClock) -> Core {
    let store = Store::open(&config.database_url).await.unwrap();
    let core = Core::new(store, config, Arc::new(clock.clone()), sansong::platform_limits());
    let plan =
        org::parse_org(&std::fs::read_to_string(repo_path("config/org.example.toml")).unwrap()).unwrap();
    org::apply(&core, &plan).await.unwrap();
    core
}

/// Counted (not undone) check-ins of a Telegram account: (id, kind, description).
pub async fn counted_checkins(core: &Core, telegram_id: i64) -> Vec<(i64, String, String)> {
    sqlx::query_as(
        "SELECT c.id, c.kind, c.description FROM checkins c JOIN members m ON m.id = c.member_id
         WHERE m.registered_as = ? AND c.deleted_at IS NULL ORDER BY c.id",
    )
    .bind(telegram_id)
    .fetch_all(core.store.pool())
    .await
    .unwrap()
}

pub async fn scalar(core: &Core, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(core.store.pool()).await.unwrap()
}

/// Whether a reply reads as a short, polite Chinese sentence (not an error dump).
pub fn is_polite_chinese(text: &str) -> bool {
    let has_cjk = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let polite = ["请", "您", "抱歉", "暂时"].iter().any(|w| text.contains(w));
    let no_internals = !["panic", "error", "Error", "sqlx", "thread"].iter().any(|w| text.contains(w));
    has_cjk && polite && no_internals && text.chars().count() < 400
}

/// The commands a `/help` text lists, in order.
pub fn listed_commands(help: &str) -> Vec<&str> {
    help.lines()
        .filter(|l| l.contains(" — "))
        .filter_map(|l| l.strip_prefix('/'))
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// Gives every member inserted by hand (with `registered_as`, their Telegram id) the Telegram
/// account registration would have made.
pub const ACCOUNTS_FOR_NEW_MEMBERS: &str = "INSERT INTO accounts (person_id, platform, member_id, linked_at)
     SELECT registered_as, 'telegram', id, registered_at FROM members m
     WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.member_id = m.id)";
