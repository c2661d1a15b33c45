//! What `sansong check` checks: each setting and dependency on its own, so one run names every
//! problem, with the same words `run` uses when it refuses to start. Printing is the caller's
//! ([`super::check`]); the words are in [`crate::texts::cli`].

use std::path::{Path, PathBuf};

use figment::Figment;

use crate::config::{self, Config, ConfigError, FontChoice, RawConfig};
use crate::schedule::QuietHours;
use crate::schedule::calendar::HolidayCalendar;
use crate::texts::cli as texts;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: &'static str,
    /// What is fine, or the exact problem.
    pub outcome: Result<String, String>,
}

fn item(name: &'static str, outcome: Result<String, String>) -> Item {
    Item { name, outcome }
}

/// What `check` looks at beyond the config.
#[derive(Debug, Clone, Copy)]
pub struct Environment<'a> {
    pub token: Option<&'a str>,
    pub api_url: Option<&'a str>,
}

/// Checks the config and, given an environment, the token, the database and the Bot API
/// (without one, the config alone: what `run` reports when it refuses to start). The token is
/// never printed.
pub async fn run(figment: Figment, config_path: &Path, env: Option<Environment<'_>>) -> Vec<Item> {
    let mut items = Vec::new();
    let raw: RawConfig = match figment.extract() {
        Ok(raw) => {
            items.push(item(texts::CONFIG_FILE, Ok(config_path.display().to_string())));
            raw
        }
        Err(e) => {
            items.push(item(texts::CONFIG_FILE, Err(format!("{}: {e}", config_path.display()))));
            return items;
        }
    };
    // The same checks, and words, as `run` (config::from_raw), one line each.
    let said = |e: ConfigError| match e {
        ConfigError::BadSchedule { reason, .. } => reason,
        e => e.to_string(),
    };
    let tz = config::parse_timezone(&raw.timezone);
    let zone = tz.as_ref().copied().unwrap_or(chrono_tz::Asia::Shanghai);
    items.push(item(texts::CHECK_TIMEZONE, tz.map(|z| z.name().to_owned()).map_err(said)));
    for (name, key, text) in [
        (texts::CHECK_REPORT_CRON, "report_cron", &raw.report_cron),
        (texts::CHECK_REMINDER_CRON, "reminder_cron", &raw.reminder_cron),
    ] {
        items.push(item(
            name,
            config::recurring_schedule(key, text, zone).map(|_| text.clone()).map_err(said),
        ));
    }
    items.push(item(
        texts::CHECK_BACKUP_CRON,
        config::optional_schedule("backup_cron", &raw.backup_cron, zone)
            .map(|s| s.map_or_else(|| "off".to_owned(), |_| raw.backup_cron.clone()))
            .map_err(said),
    ));
    items.push(item(
        texts::CHECK_QUIET_HOURS,
        QuietHours::parse(&raw.quiet_hours).map(|q| q.map_or("off".to_owned(), |q| q.to_string())),
    ));
    items.push(item(
        texts::CHECK_BROADCAST_RATE,
        config::check_broadcast_rate(raw.broadcast_rate)
            .map(|()| texts::per_second(raw.broadcast_rate))
            .map_err(said),
    ));
    let holidays = Path::new(&raw.holidays_dir);
    items.push(item(
        texts::CHECK_HOLIDAYS,
        if !holidays.is_dir() {
            Err(texts::no_holidays(holidays))
        } else {
            HolidayCalendar::load_dir(holidays).map_err(|e| e.to_string()).map(|c| {
                let years: Vec<String> = c.holidays_by_year().keys().map(i32::to_string).collect();
                texts::holiday_years(holidays, &years)
            })
        },
    ));
    items.push(item(texts::CHECK_BACKUP_DIR, writable(Path::new(&raw.backup_dir))));
    // Everything else (ranges, kinds) exactly as `run` judges it.
    let config = Config::from_raw(raw.clone());
    items.push(item(
        texts::CHECK_OTHER,
        config.as_ref().map(|_| "OK".to_owned()).map_err(ToString::to_string),
    ));
    if let Ok(config) = &config {
        items.push(item(
            texts::CHECK_FONT,
            Ok(match crate::reports::chart::font(&config.report_font) {
                Some(path) => path.display().to_string(),
                None if config.report_font == FontChoice::Off => texts::FONT_OFF.to_owned(),
                None => texts::NO_FONT.to_owned(),
            }),
        ));
    }
    let Some(Environment { token, api_url }) = env else { return items };
    items.push(item(texts::CHECK_DATABASE, database(&raw.database_url).await));
    match token {
        None => items.push(item(texts::CHECK_TOKEN, Err(texts::TOKEN_UNSET.into()))),
        Some(token) => {
            items.push(item(texts::CHECK_TOKEN, Ok(texts::TOKEN_SET.into())));
            items.push(item(texts::CHECK_BOT_API, crate::bot::check_token(token, api_url).await));
        }
    }
    items
}

/// A folder the bot can write in, or one it can create (nothing is created here).
fn writable(dir: &Path) -> Result<String, String> {
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
    std::fs::write(&probe, b"ok").map_err(|e| texts::not_writable(existing, &e.to_string()))?;
    let _ = std::fs::remove_file(probe);
    Ok(if existing == dir { dir.display().to_string() } else { texts::created_when_needed(dir) })
}

/// Reachable, and every migration this binary knows applied (a new binary applies them when
/// it starts; this only reports).
async fn database(url: &str) -> Result<String, String> {
    let path = crate::backup::database_path(url);
    if !path.exists() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        return writable(if dir.as_os_str().is_empty() { Path::new(".") } else { &dir })
            .map(|_| texts::database_created_at_start(&path));
    }
    match crate::store::Store::migration_status(url).await {
        Ok((applied, known)) if applied == known => Ok(texts::migrations_applied(&path, applied)),
        Ok((applied, known)) => Ok(texts::migrations_pending(&path, applied, known)),
        Err(e) => Err(format!("{}：{e:#}", path.display())),
    }
}
