//! What `sansong check` checks and the console's 系统 page shows: each setting and dependency on
//! its own, so one run names every problem, with the same judgement `run` uses when it refuses
//! to start.
//!
//! The items are typed ([`Check`], [`Fine`], [`Problem`]): the edges word them
//! (`texts::cli::check_line`), so the command line and the page say the same thing. What only an
//! edge can probe is the edge's: the chart font is looked for by `reports` (passed in as a
//! [`FontFinder`]), a platform's API by the command line. Nothing here shows a token.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use figment::Figment;
use figment::providers::Serialized;

use crate::config::{self, Config, ConfigError, FontChoice, RawConfig};
use crate::schedule::QuietHours;
use crate::schedule::calendar::HolidayCalendar;

/// What a line of the report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    ConfigFile,
    /// A setting of the wrong type.
    Setting,
    Timezone,
    ReportCron,
    ReminderCron,
    BackupCron,
    QuietHours,
    BroadcastRate,
    Paid,
    Holidays,
    NextYear,
    BackupDir,
    /// Everything `run` judges beyond the lines above.
    Other,
    Font,
    Database,
    Token,
    BotApi,
    Platforms,
    DingTalkSecret,
    DingTalkToken,
    DingTalkStream,
    /// The app may read the address book's departments (按部门加入).
    DingTalkDepartmentRead,
    /// The app may read its members.
    DingTalkMemberRead,
    /// The units' departments are within the app's 通讯录授权范围.
    DingTalkScope,
    /// WeCom's bot id and secret: a subscribe on the long connection answered.
    WeCom,
}

/// What is fine.
#[derive(Debug, Clone, PartialEq)]
pub enum Fine {
    /// A value as configured (a zone, a schedule, a path), or what a probe answered.
    Text(String),
    /// Switched off by the setting.
    Off,
    /// Nothing more to say.
    Ok,
    PerSecond(f64),
    PaidBroadcasts {
        members: i64,
    },
    HolidayYears {
        dir: PathBuf,
        years: Vec<i32>,
    },
    /// A folder that does not exist yet, which the bot can create.
    CreatedWhenNeeded(PathBuf),
    FontOff,
    NoFont,
    DatabaseCreatedAtStart(PathBuf),
    Migrations {
        path: PathBuf,
        applied: usize,
        known: usize,
    },
    TokenSet,
    TelegramOff,
    DingTalkTokenOk,
    DingTalkStreamOk,
}

/// The exact problem.
#[derive(Debug)]
pub enum Problem {
    WrongType {
        key: String,
        kind: figment::error::Kind,
    },
    ConfigUnreadable {
        path: PathBuf,
        why: String,
    },
    /// A setting `run` refuses, as it refuses it.
    Config(ConfigError),
    NoHolidays(PathBuf),
    /// The official schedule of `year` is due by now and not loaded.
    NextYearMissing {
        year: i32,
        dir: PathBuf,
    },
    NotWritable {
        dir: PathBuf,
        why: String,
    },
    /// The database cannot be opened or read.
    Database {
        path: PathBuf,
        why: String,
    },
    NoPlatform,
    NoDingTalkSecret,
    /// In the words of what was probed (the database, a platform's API).
    Text(String),
}

/// One line of the report.
#[derive(Debug)]
pub struct Item {
    pub check: Check,
    pub outcome: Result<Fine, Problem>,
}

pub fn item(check: Check, outcome: Result<Fine, Problem>) -> Item {
    Item { check, outcome }
}

/// Where the chart font is, for a choice (`reports::chart::font`).
pub type FontFinder = fn(&FontChoice) -> Option<PathBuf>;

/// The settings' report: its lines, and what the rest of a check needs.
#[derive(Debug)]
pub struct Settings {
    pub items: Vec<Item>,
    /// False when the file could not be read at all: nothing else can be checked then.
    pub readable: bool,
    /// The config `run` would start with, if it would.
    pub config: Option<Config>,
    /// The database as configured (for [`database`]).
    pub database_url: String,
}

/// Checks the config: the file, each setting on its own line (with the same words `run` uses
/// when it refuses to start), the holiday calendar, the backup folder and the chart font.
/// `now` decides whether next year's holidays should be loaded by now. Each problem is named
/// once, on the line of its setting.
pub async fn settings(
    figment: Figment,
    config_path: &Path,
    now: Option<DateTime<Utc>>,
    font: FontFinder,
) -> Settings {
    let mut items = Vec::new();
    // A setting of the wrong type (a word where a number goes, a negative count) gets a line of
    // its own, and the rest is checked with its default in its place.
    let mut figment = figment;
    let mut raw: RawConfig = loop {
        match figment.extract() {
            Ok(raw) => {
                items.insert(
                    0,
                    item(Check::ConfigFile, Ok(Fine::Text(absolute(config_path).display().to_string()))),
                );
                break raw;
            }
            Err(e) => {
                let mut wrong = Vec::new();
                for err in e.clone() {
                    let key = err.path.join(".");
                    if key.is_empty() || wrong.contains(&key) {
                        continue;
                    }
                    items.push(item(
                        Check::Setting,
                        Err(Problem::WrongType { key: key.clone(), kind: err.kind }),
                    ));
                    wrong.push(key);
                }
                let defaults = serde_json::to_value(RawConfig::default()).unwrap_or_default();
                let known: Vec<&String> =
                    wrong.iter().filter(|k| defaults.get(k.as_str()).is_some()).collect();
                if known.is_empty() {
                    let unreadable =
                        Problem::ConfigUnreadable { path: absolute(config_path), why: e.to_string() };
                    items.insert(0, item(Check::ConfigFile, Err(unreadable)));
                    return Settings { items, readable: false, config: None, database_url: String::new() };
                }
                for key in known {
                    figment = figment.merge(Serialized::default(key, defaults[key.as_str()].clone()));
                }
            }
        }
    };
    let defaults = RawConfig::default();
    // The same checks as `run` (config::from_raw), one line each. A setting found wrong here is
    // set back to its default for the last, catch-all check, so that check names only what no
    // line above has named.
    let tz = config::parse_timezone(&raw.timezone);
    let zone = tz.as_ref().copied().unwrap_or(chrono_tz::Asia::Shanghai);
    if tz.is_err() {
        raw.timezone = defaults.timezone.clone();
    }
    items.push(item(Check::Timezone, tz.map(|z| Fine::Text(z.name().to_owned())).map_err(Problem::Config)));
    for (check, key) in [(Check::ReportCron, "report_cron"), (Check::ReminderCron, "reminder_cron")] {
        let (text, default) = match key {
            "report_cron" => (&mut raw.report_cron, &defaults.report_cron),
            _ => (&mut raw.reminder_cron, &defaults.reminder_cron),
        };
        // The report may be turned off; the reminder is off by its units instead.
        let outcome = if key == "report_cron" {
            config::optional_schedule(key, text, zone)
                .map(|s| s.map_or(Fine::Off, |_| Fine::Text(text.clone())))
        } else {
            config::recurring_schedule(key, text, zone).map(|_| Fine::Text(text.clone()))
        }
        .map_err(Problem::Config);
        if outcome.is_err() {
            *text = default.clone();
        }
        items.push(item(check, outcome));
    }
    let backup = config::optional_schedule("backup_cron", &raw.backup_cron, zone)
        .map(|s| s.map_or(Fine::Off, |_| Fine::Text(raw.backup_cron.clone())))
        .map_err(Problem::Config);
    if backup.is_err() {
        raw.backup_cron = defaults.backup_cron.clone();
    }
    items.push(item(Check::BackupCron, backup));
    let quiet = QuietHours::parse(&raw.quiet_hours)
        .map(|q| q.map_or(Fine::Off, |q| Fine::Text(q.to_string())))
        .map_err(|reason| {
            Problem::Config(ConfigError::BadQuietHours { value: raw.quiet_hours.clone(), reason })
        });
    if quiet.is_err() {
        raw.quiet_hours = defaults.quiet_hours.clone();
    }
    items.push(item(Check::QuietHours, quiet));
    let rate = config::check_broadcast_rate(raw.broadcast_rate)
        .map(|()| Fine::PerSecond(raw.broadcast_rate))
        .map_err(Problem::Config);
    if rate.is_err() {
        raw.broadcast_rate = defaults.broadcast_rate;
    }
    items.push(item(Check::BroadcastRate, rate));
    if raw.broadcast_paid {
        let members = active_members(&raw.database_url).await;
        items.push(item(Check::Paid, Ok(Fine::PaidBroadcasts { members })));
    }
    let holidays = absolute(Path::new(&raw.holidays_dir));
    let calendar = if holidays.is_dir() {
        HolidayCalendar::load_dir(&holidays).map_err(|e| Problem::Config(ConfigError::Holidays(e)))
    } else {
        Err(Problem::NoHolidays(holidays.clone()))
    };
    let (years, calendar) = match calendar {
        Ok(c) => (Ok(Fine::HolidayYears { dir: holidays.clone(), years: c.years() }), Some(c)),
        Err(problem) => (Err(problem), None),
    };
    items.push(item(Check::Holidays, years));
    match (&calendar, now.map(|t| t.with_timezone(&zone).date_naive())) {
        (Some(c), Some(today)) => {
            if let Some(year) = crate::schedule::calendar::missing_next_year(c, today) {
                items.push(item(
                    Check::NextYear,
                    Err(Problem::NextYearMissing { year, dir: holidays.clone() }),
                ));
            }
        }
        (None, _) => raw.holidays_dir = defaults.holidays_dir.clone(),
        _ => {}
    }
    items.push(item(Check::BackupDir, writable(Path::new(&raw.backup_dir))));
    // Everything else (ranges, kinds, addresses) exactly as `run` judges it, every problem
    // named: each found is set back to its default and the rest judged again.
    let mut others = Vec::new();
    let config = loop {
        match Config::from_raw(raw.clone()) {
            Ok(config) => break Some(config),
            Err(e) => {
                let again = others.len() < 64 && reset(&mut raw, &e, &defaults);
                others.push(e);
                if !again {
                    break None;
                }
            }
        }
    };
    if others.is_empty() {
        items.push(item(Check::Other, Ok(Fine::Ok)));
    }
    for problem in others {
        items.push(item(Check::Other, Err(Problem::Config(problem))));
    }
    if let Some(config) = &config {
        let found = match font(&config.report_font) {
            Some(path) => Fine::Text(path.display().to_string()),
            None if config.report_font == FontChoice::Off => Fine::FontOff,
            None => Fine::NoFont,
        };
        items.push(item(Check::Font, Ok(found)));
    }
    Settings { items, readable: true, config, database_url: raw.database_url }
}

/// Sets the setting `e` is about back to its default; false when no one setting is to blame.
fn reset(raw: &mut RawConfig, e: &ConfigError, defaults: &RawConfig) -> bool {
    let key = match e {
        ConfigError::OutOfRange { key, .. }
        | ConfigError::BadSchedule { key, .. }
        | ConfigError::NotRecurring { key, .. }
        | ConfigError::BadAddress { key, .. } => *key,
        ConfigError::BadTimezone(_) => "timezone",
        ConfigError::BadQuietHours { .. } => "quiet_hours",
        ConfigError::BadKinds(_) => "kinds",
        ConfigError::Holidays(_) => "holidays_dir",
        ConfigError::MissingFile(_) | ConfigError::Invalid(_) => return false,
    };
    let (Ok(mut value), Ok(default)) = (serde_json::to_value(&*raw), serde_json::to_value(defaults)) else {
        return false;
    };
    let Some(slot) = value.get_mut(key) else { return false };
    *slot = default[key].clone();
    match serde_json::from_value(value) {
        Ok(fixed) => {
            *raw = fixed;
            true
        }
        Err(_) => false,
    }
}

/// A path as the bot would look for it from here: relative paths are relative to the folder
/// `sansong` runs in, which is what a person needs to see when a relative folder is not found.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A folder the bot can write in, or one it can create (nothing is created here).
fn writable(dir: &Path) -> Result<Fine, Problem> {
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    let probe = existing.join(".sansong-check");
    std::fs::write(&probe, b"ok")
        .map_err(|e| Problem::NotWritable { dir: existing.to_path_buf(), why: e.to_string() })?;
    let _ = std::fs::remove_file(probe);
    Ok(if existing == dir {
        Fine::Text(dir.display().to_string())
    } else {
        Fine::CreatedWhenNeeded(dir.to_path_buf())
    })
}

/// How many active members a broadcast to everyone would reach now (0 without a database).
async fn active_members(url: &str) -> i64 {
    use sqlx::{ConnectOptions, Connection};
    let Ok(options) = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url) else {
        return 0;
    };
    let Ok(mut conn) = options.read_only(true).connect().await else { return 0 };
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE status = 'active'")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(0);
    let _ = conn.close().await;
    n
}

/// The database: reachable, and every migration this binary knows applied (a new binary
/// applies them when it starts; this only reports).
pub async fn database(url: &str) -> Item {
    let path = crate::backup::database_path(url);
    let outcome = if !path.exists() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        writable(if dir.as_os_str().is_empty() { Path::new(".") } else { &dir })
            .map(|_| Fine::DatabaseCreatedAtStart(path.clone()))
    } else {
        match crate::store::Store::migration_status(url).await {
            Ok((applied, known)) => Ok(Fine::Migrations { path: path.clone(), applied, known }),
            Err(e) => Err(Problem::Database { path: path.clone(), why: format!("{e:#}") }),
        }
    };
    item(Check::Database, outcome)
}
