//! What an admin sees of the running bot on the console's 系统 page, gathered in one place from
//! what already knows it: each platform's health (judged as `/healthz` judges it, see
//! [`crate::metrics::PlatformState`]), the deliveries waiting, recent outages, the backups in
//! `backup_dir` and how the last scheduled one went, the holiday calendar's years (with the
//! year that should be loaded and is not), and the lines of `sansong check` ([`checks`]).

pub mod checks;

use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;

use chrono::{DateTime, Utc};

use crate::backup::BackupFile;
use crate::core::Core;
use crate::domain::Platform;
use crate::error::Result;
use crate::members::{Actor, require_admin};
use crate::metrics::PlatformState;
use crate::store::OutageSpan;

/// How many outages and backups the page lists.
const RECENT_OUTAGES: i64 = 10;
const LISTED_BACKUPS: usize = 20;

/// A platform the bot runs on, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformHealth {
    pub platform: Platform,
    pub state: PlatformState,
    /// When it last answered (`None`: not yet, since the start).
    pub last_ok: Option<DateTime<Utc>>,
    pub api_errors: u64,
    /// Flood-control answers since the start.
    pub rate_limited: u64,
    /// Outages the sender found since the start.
    pub outages: u64,
}

/// The backups, and how they are taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Backups {
    pub dir: PathBuf,
    /// `backup_cron` as configured (`None`: off).
    pub schedule: Option<String>,
    pub keep: usize,
    /// Newest first.
    pub files: Vec<BackupFile>,
    /// The last scheduled backup: when it was due and what came of it (a file, or `failed: …`).
    pub last_scheduled: Option<(DateTime<Utc>, String)>,
}

/// The holiday calendar as loaded now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holidays {
    pub dir: PathBuf,
    pub years: Vec<i32>,
    /// The year whose official schedule should be loaded by today and is not.
    pub missing: Option<i32>,
}

/// Everything the 系统 page shows, but the API tokens.
#[derive(Debug)]
pub struct Facts {
    pub platforms: Vec<PlatformHealth>,
    /// Deliveries waiting to be sent.
    pub backlog: i64,
    /// The latest outages, the newest first.
    pub outages: Vec<OutageSpan>,
    pub backups: Backups,
    pub holidays: Holidays,
    /// The lines of `sansong check` about the settings, the folders, the database (the
    /// platforms' own probes are the command line's; their health is above).
    pub checks: Vec<checks::Item>,
}

/// Admins: the facts of the 系统 page. `font` finds the chart font, for its check line.
pub async fn facts(core: &Core, actor: &Actor, font: checks::FontFinder) -> Result<Facts> {
    require_admin(actor)?;
    let config = &core.config;
    let now_ms = Utc::now().timestamp_millis();
    let started = core.metrics.started_ms.load(Relaxed);
    let from_ms = |ms: i64| (ms > 0).then(|| DateTime::from_timestamp_millis(ms)).flatten();
    // The terminal has no server to lose (as for /healthz).
    let platforms = core
        .metrics
        .serving()
        .filter(|(p, _)| *p != Platform::Terminal)
        .map(|(platform, m)| PlatformHealth {
            platform,
            // Health is judged on the wall clock, as /healthz judges it (a drill may move `core`'s).
            state: m.state(started, now_ms, config.health_window),
            last_ok: from_ms(m.last_ok_ms.load(Relaxed)),
            api_errors: m.api_errors.load(Relaxed),
            rate_limited: m.rate_limited.load(Relaxed),
            outages: m.outages.load(Relaxed),
        })
        .collect();
    let backlog = core.store.outbox_backlog().await?;
    let outages = core.store.recent_outages(RECENT_OUTAGES).await?;
    let mut files = crate::backup::list(&config.backup_dir);
    files.truncate(LISTED_BACKUPS);
    let backups = Backups {
        dir: checks::absolute(&config.backup_dir),
        schedule: config.backup_schedule.as_ref().map(ToString::to_string),
        keep: config.backup_keep,
        files,
        last_scheduled: core.store.periodic_runs("backup").await?.into_iter().next(),
    };
    // A year's file added since the last scheduler tick counts already.
    core.refresh_calendar();
    let calendar = core.calendar();
    let holidays = Holidays {
        dir: checks::absolute(&config.holidays_dir),
        years: calendar.years(),
        missing: crate::schedule::calendar::missing_next_year(&calendar, core.today()),
    };
    let file = config.file.clone().unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_CONFIG_PATH));
    let settings =
        checks::settings(crate::config::Config::figment(&file), &file, Some(core.now()), font).await;
    let mut checks = settings.items;
    if settings.readable {
        checks.push(checks::database(&settings.database_url).await);
    }
    Ok(Facts { platforms, backlog, outages, backups, holidays, checks })
}
