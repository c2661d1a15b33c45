//! Backups of the live database, restores, and the lock that tells them whether a bot runs.
//!
//! - A backup is `VACUUM INTO` a temporary file beside the target, checked with
//!   `PRAGMA integrity_check`, then renamed into place: a consistent copy taken inside one read
//!   transaction, so the bot keeps writing while it runs and the file is never half there.
//! - A running bot holds an exclusive advisory lock on `<database>.lock`; `restore` takes the
//!   same lock first and refuses while a bot holds it.
//! - Scheduled backups (`backup_cron`) go to `backup_dir`, keeping the newest `backup_keep`;
//!   an admin's 「立即备份」 on the console ([`take_now`]) is taken the same way, and counts
//!   among them.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::core::Core;
use crate::error::{Result, UserError};
use crate::members::{Actor, require_admin};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::store::Store;

/// The database file of a `sqlite://` URL.
pub fn database_path(url: &str) -> PathBuf {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// The lock a running bot holds; dropped (and released) when the bot stops or dies.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another sansong holds {0}")]
    Held(PathBuf),
    #[error("cannot open {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Takes the instance lock of the database at `url`, or says who has it.
pub fn lock_instance(url: &str) -> Result<InstanceLock, LockError> {
    let mut path = database_path(url).into_os_string();
    path.push(".lock");
    let path = PathBuf::from(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| LockError::Io { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(InstanceLock { _file: file, path }),
        Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Held(path)),
        Err(std::fs::TryLockError::Error(source)) => Err(LockError::Io { path, source }),
    }
}

/// Whether a bot runs on this database now (holds its lock), without creating anything: no
/// lock file, no bot.
pub fn instance_running(url: &str) -> bool {
    let mut path = database_path(url).into_os_string();
    path.push(".lock");
    let Ok(file) = File::options().write(true).open(PathBuf::from(path)) else { return false };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub checkins: i64,
}

/// Writes a consistent copy of the live database to `target` (which must not exist yet).
pub async fn backup(store: &Store, target: &Path) -> anyhow::Result<BackupReport> {
    anyhow::ensure!(!target.exists(), "{} exists already; choose a new file name", target.display());
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let path_text = partial.to_str().context("the backup path must be valid UTF-8")?;
    sqlx::query("VACUUM INTO ?").bind(path_text).execute(store.pool()).await.context("VACUUM INTO")?;
    let checkins = match verify(&partial).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, target).with_context(|| format!("renaming into {}", target.display()))?;
    let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport { path: target.to_owned(), bytes, checkins })
}

/// Checks that a file is a sound sansong database; returns how many check-ins it holds.
pub async fn verify(path: &Path) -> anyhow::Result<i64> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    anyhow::ensure!(check == "ok", "{} fails the integrity check: {check}", path.display());
    let checkins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkins")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a sansong database", path.display()))?;
    conn.close().await?;
    Ok(checkins)
}

/// Replaces the database at `url` with the backup at `source`. Refuses while a bot holds the
/// database; keeps the replaced file as `<database>.before-restore-<time>`.
pub async fn restore(url: &str, source: &Path, now: DateTime<Utc>) -> anyhow::Result<(i64, Option<PathBuf>)> {
    let lock = lock_instance(url)?;
    let checkins = verify(source).await?;
    let db = database_path(url);
    let mut incoming = db.clone().into_os_string();
    incoming.push(".restoring");
    let incoming = PathBuf::from(incoming);
    std::fs::copy(source, &incoming).with_context(|| format!("copying {}", source.display()))?;
    File::open(&incoming).and_then(|f| f.sync_all()).context("syncing the restored copy")?;
    let kept = if db.exists() {
        let mut old = db.clone().into_os_string();
        old.push(format!(".before-restore-{}", now.format("%Y%m%d-%H%M%S")));
        let old = PathBuf::from(old);
        std::fs::rename(&db, &old)
            .with_context(|| format!("keeping the old database as {}", old.display()))?;
        Some(old)
    } else {
        None
    };
    // The old file's write-ahead log belongs to it, not to the restored one.
    for suffix in ["-wal", "-shm"] {
        let mut side = db.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&incoming, &db).with_context(|| format!("moving the backup into {}", db.display()))?;
    drop(lock);
    Ok((checkins, kept))
}

/// A scheduled backup into `dir`, named by the local time, then the oldest beyond `keep` removed.
pub async fn scheduled(
    store: &Store,
    dir: &Path,
    keep: usize,
    now: DateTime<Utc>,
    tz: Tz,
) -> anyhow::Result<BackupReport> {
    let name = format!("sansong-{}.db", now.with_timezone(&tz).format("%Y%m%d-%H%M%S"));
    let report = backup(store, &dir.join(name)).await?;
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(is_backup_name))
        .collect();
    // The names sort by time.
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1));
    for old in &backups[..excess] {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(file = %old.display(), error = %e, "could not remove an old backup");
        }
    }
    Ok(report)
}

/// Whether a file name is one [`scheduled`] gives (`sansong-<local time>.db`).
fn is_backup_name(name: &str) -> bool {
    name.starts_with("sansong-") && name.ends_with(".db")
}

/// A backup in `backup_dir`, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
    pub modified: Option<DateTime<Utc>>,
}

/// The backups in `dir` that [`scheduled`] (or 「立即备份」) took, newest first; none when the
/// folder does not exist yet.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<BackupFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str().filter(|n| is_backup_name(n))?.to_owned();
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            Some(BackupFile { name, bytes: meta.len(), modified: meta.modified().ok().map(DateTime::from) })
        })
        .collect();
    // The names sort by time.
    files.sort_by(|a, b| b.name.cmp(&a.name));
    files
}

/// One 「立即备份」 at a time in this process: a second press waits, then finds the first's.
static TAKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// 「立即备份」 (admins): a backup into `backup_dir` as the scheduled ones are taken (named by
/// the time, the oldest beyond `backup_keep` removed), audited. `seen` is the newest backup the
/// person saw when they asked (`None`: none): when a newer one exists by now (their own form
/// sent twice, another admin's press, the schedule's), nothing is taken and `None` is returned.
pub async fn take_now(core: &Core, actor: &Actor, seen: Option<&str>) -> Result<Option<BackupReport>> {
    require_admin(actor)?;
    let _one_at_a_time = TAKING.lock().await;
    let dir = &core.config.backup_dir;
    let newest = list(dir).into_iter().next().map(|f| f.name);
    if newest.is_some() && newest.as_deref() != seen {
        return Ok(None);
    }
    let report = scheduled(&core.store, dir, core.config.backup_keep, core.now(), core.tz()).await.map_err(|e| {
        tracing::error!(error = format!("{e:#}"), dir = %dir.display(), "a backup asked for on the console failed");
        UserError::BackupFailed(format!("{e:#}"))
    })?;
    let detail = format!("{} ({} bytes, {} check-ins)", report.path.display(), report.bytes, report.checkins);
    crate::audit::record(core, actor, "backup", &detail).await?;
    tracing::info!(file = %report.path.display(), bytes = report.bytes, "backup taken on request");
    Ok(Some(report))
}

/// The backup job's tick: takes the scheduled backup when `backup_cron` comes round (once per
/// tick, recorded like the report's; a tick missed by more than the grace period is skipped).
pub async fn tick(core: &Core) -> Result<()> {
    let Some(schedule) = &core.config.backup_schedule else { return Ok(()) };
    let worth_it = |due, now| now - due <= core.config.notice_grace;
    let Some(tick) = crate::periodic::due(core, "backup", schedule, worth_it).await? else { return Ok(()) };
    let dir = &core.config.backup_dir;
    let outcome = match scheduled(&core.store, dir, core.config.backup_keep, tick.now, core.tz()).await {
        Ok(r) => {
            tracing::info!(file = %r.path.display(), bytes = r.bytes, checkins = r.checkins, "backup taken");
            format!("{} ({} bytes)", r.path.display(), r.bytes)
        }
        Err(e) => {
            // Not retried every tick: the next backup comes at the next time; the log says why.
            tracing::error!(error = format!("{e:#}"), dir = %dir.display(), "the scheduled backup failed");
            format!("failed: {e:#}")
        }
    };
    tick.fire(core, &[], &outcome).await?;
    Ok(())
}
