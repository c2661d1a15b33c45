//! The context every core operation runs in: the store, the settings, the clock, and the
//! holiday calendar (read again when its files change, so a new year's schedule needs no
//! restart).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::checkins::kinds::Kinds;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::schedule::calendar::HolidayCalendar;
use crate::store::Store;
use crate::week::Week;

#[derive(Clone, Debug)]
pub struct Core {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    /// Counters for /metrics and the facts /healthz judges by.
    pub metrics: Arc<Metrics>,
    calendar: Arc<RwLock<Calendar>>,
    /// What every platform declared (see [`crate::limits`]); the strictest applies.
    limits: Arc<[Limits]>,
}

/// The calendar in use, and the state of the files it was read from.
#[derive(Debug)]
struct Calendar {
    current: Arc<HolidayCalendar>,
    files: Option<Vec<(PathBuf, SystemTime, u64)>>,
}

/// The `*.toml` files of the holidays folder with their times and sizes (`None`: no folder).
fn calendar_files(dir: &Path) -> Option<Vec<(PathBuf, SystemTime, u64)>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| {
            let meta = std::fs::metadata(&p).ok()?;
            Some((p, meta.modified().ok()?, meta.len()))
        })
        .collect();
    files.sort();
    Some(files)
}

impl Core {
    /// `limits`: every platform's, usually [`crate::platform_limits`].
    pub fn new(store: Store, config: Config, clock: SharedClock, limits: Vec<Limits>) -> Self {
        // Health is judged on the wall clock (a test or drill may move `clock`).
        let metrics = Arc::new(Metrics::new(chrono::Utc::now().timestamp_millis()));
        let calendar = Calendar {
            current: Arc::new(config.calendar.clone()),
            files: calendar_files(&config.holidays_dir),
        };
        Core {
            store,
            config: Arc::new(config),
            clock,
            metrics,
            calendar: Arc::new(RwLock::new(calendar)),
            limits: limits.into(),
        }
    }

    /// Every platform's limits.
    pub fn limits(&self) -> &[Limits] {
        &self.limits
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn tz(&self) -> Tz {
        self.config.timezone
    }

    /// Today's date on the configured zone's wall clock.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.tz()).date_naive()
    }

    pub fn this_week(&self) -> Week {
        Week::containing(self.today())
    }

    pub fn kinds(&self) -> &Kinds {
        &self.config.kinds
    }

    /// The holiday calendar as last read.
    pub fn calendar(&self) -> Arc<HolidayCalendar> {
        self.calendar.read().unwrap_or_else(|p| p.into_inner()).current.clone()
    }

    /// Reads the holiday files again if any changed since they were read (a new year's file
    /// added, a correction): cheap when nothing changed, so every scheduler tick calls it. A
    /// file that does not parse leaves the calendar as it was, with a log line.
    pub fn refresh_calendar(&self) {
        let dir = &self.config.holidays_dir;
        let files = calendar_files(dir);
        if self.calendar.read().unwrap_or_else(|p| p.into_inner()).files == files {
            return;
        }
        let mut calendar = self.calendar.write().unwrap_or_else(|p| p.into_inner());
        match HolidayCalendar::load_dir(dir) {
            Ok(fresh) => {
                tracing::info!(folder = %dir.display(), years = ?fresh.years(), "holiday calendar read again");
                calendar.current = Arc::new(fresh);
            }
            Err(e) => {
                tracing::warn!(folder = %dir.display(), error = %e, "a changed holiday file does not read; keeping the calendar as it was")
            }
        }
        calendar.files = files;
    }
}
