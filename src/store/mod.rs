//! Every SQL statement of the application, on one SQLite database.
//!
//! The database is opened through two pools: the main one, whose commits are fsynced, and a
//! small second one on the same file whose commits skip the fsync, used only for the outbox's
//! per-delivery bookkeeping (see [`Store::open`]).
//!
//! The database is created and migrated on open (migrations are embedded in the binary), runs in
//! WAL mode with foreign keys on, and waits for a busy writer instead of failing. Instants are
//! stored as unix seconds (UTC). One file per table group: [`org`], [`members`], [`invites`],
//! [`checkins`], [`inbox`], [`dialogues`], [`meta`], [`notices`] (and their runs),
//! [`outbox`] (deliveries), [`receipts`], [`tally`], [`periodic`], [`audit`], [`departments`]
//! (units' DingTalk departments).

mod audit;
mod checkins;
mod choices;
mod console;
mod departments;
mod dialogues;
mod inbox;
mod invites;
mod members;
pub mod meta;
mod notices;
mod org;
mod org_edit;
mod outages;
mod outbox;
mod periodic;
mod receipts;
mod received_files;
mod replies;
mod tally;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use audit::{AuditEntry, AuditQuery};
pub use checkins::NewCheckin;
pub use console::{LinkPurpose, PhotoRow, RecordFilter, SetupDone, SetupUnit, WebLink};
pub use departments::{DepartmentChange, DepartmentJoined, DepartmentsEdit, UnitDepartments};
pub use inbox::{InboxRow, UpdateKey};
pub use invites::{NewInvite, Redeemed};
pub use members::Linked;
pub use notices::{NoticeRow, StatusChange, Target};
pub use org_edit::{OrgEdit, OrgSite};
pub use outages::{DelayedNotice, Outage, OutageSpan};
pub use outbox::OutboxItem;
pub use receipts::AckOutcome;
pub use replies::KeptReply;
pub use tally::{GroupCounts, Span, TallyCounts};
pub use tokens::{ApiTokenRow, TokenHolder, TokenInsert};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Same database, commits without fsync: only for outbox bookkeeping.
    outbox: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("database url {url:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit survives power loss, which matters because an update is confirmed
            // to Telegram (and so forgotten there) right after its inbox row commits.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(15));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
            && !is_memory(url)
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("opening database {}", display_path(url)))?;
        MIGRATOR.run(&pool).await.context("migrating the database")?;
        // The outbox marks each delivery sent as it goes, up to thousands a second. Those
        // commits skip the fsync (still safe against a crash of the process in WAL mode); a
        // power cut could at worst resend a few notices, never lose one.
        let outbox = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.synchronous(SqliteSynchronous::Normal))
            .await
            .with_context(|| format!("opening database {}", display_path(url)))?;
        Ok(Store { pool, outbox })
    }

    /// How many of the embedded migrations a database has applied, of how many there are,
    /// without changing it (for `sansong check`).
    pub async fn migration_status(url: &str) -> anyhow::Result<(usize, usize)> {
        use sqlx::{ConnectOptions, Connection};
        let mut conn = SqliteConnectOptions::from_str(url)?.read_only(true).connect().await?;
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
        conn.close().await?;
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        Ok((known.iter().filter(|v| applied.contains(v)).count(), known.len()))
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction that takes the write lock up front. A deferred transaction that
    /// reads and then writes can fail with SQLITE_BUSY when another writer got in between;
    /// an immediate one simply waits for the lock.
    pub(crate) async fn write_tx(&self) -> sqlx::Result<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    pub async fn close(&self) {
        self.outbox.close().await;
        self.pool.close().await;
    }
}

fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

fn display_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// Unix seconds of an instant.
pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// Unix milliseconds of an instant (the outbox's timers).
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant of stored unix seconds.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}
