//! What `sansong check` checks: each setting and dependency on its own, so one run names every
//! problem, with the same words `run` uses when it refuses to start. Printing is the caller's
//! ([`super::check`]); the words are in [`crate::texts::cli`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use figment::Figment;
use figment::providers::Serialized;

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
    /// DingTalk's AppSecret, from the environment.
    pub dingtalk_secret: Option<&'a str>,
}

/// Checks the config and, given an environment, the token, the database and the Bot API
/// (without one, the config alone: what `run` reports when it refuses to start). `now` decides
/// whether next year's holidays should be loaded by now. The
/// token is never printed. Each problem is named once, on the line of its setting.
pub async fn run(
    figment: Figment,
    config_path: &Path,
    env: Option<Environment<'_>>,
    now: Option<DateTime<Utc>>,
) -> Vec<Item> {
    let mut items = Vec::new();
    // A setting of the wrong type (a word where a number goes, a negative count) gets a line of
    // its own, and the rest is checked with its default in its place.
    let mut figment = figment;
    let mut raw: RawConfig = loop {
        match figment.extract() {
            Ok(raw) => {
                items.insert(0, item(texts::CONFIG_FILE, Ok(absolute(config_path).display().to_string())));
                break raw;
            }
            Err(e) => {
                let mut wrong = Vec::new();
                for err in e.clone() {
                    let key = err.path.join(".");
                    if key.is_empty() || wrong.contains(&key) {
                        continue;
                    }
                    items.push(item(texts::CHECK_SETTING, Err(texts::wrong_type(&key, &err.kind))));
                    wrong.push(key);
                }
                let defaults = serde_json::to_value(RawConfig::default()).unwrap_or_default();
                let known: Vec<&String> =
                    wrong.iter().filter(|k| defaults.get(k.as_str()).is_some()).collect();
                if known.is_empty() {
                    items.insert(
                        0,
                        item(
                            texts::CONFIG_FILE,
                            Err(texts::config_unreadable(&absolute(config_path), &e.to_string())),
                        ),
                    );
                    return items;
                }
                for key in known {
                    figment = figment.merge(Serialized::default(key, defaults[key.as_str()].clone()));
                }
            }
        }
    };
    let defaults = RawConfig::default();
    // The same checks, and words, as `run` (config::from_raw), one line each. A setting found
    // wrong here is set back to its default for the last, catch-all check, so that check names
    // only what no line above has named.
    let said = |e: ConfigError| texts::config_error(&e);
    let tz = config::parse_timezone(&raw.timezone);
    let zone = tz.as_ref().copied().unwrap_or(chrono_tz::Asia::Shanghai);
    if tz.is_err() {
        raw.timezone = defaults.timezone.clone();
    }
    items.push(item(texts::CHECK_TIMEZONE, tz.map(|z| z.name().to_owned()).map_err(said)));
    for (name, key) in
        [(texts::CHECK_REPORT_CRON, "report_cron"), (texts::CHECK_REMINDER_CRON, "reminder_cron")]
    {
        let (text, default) = match key {
            "report_cron" => (&mut raw.report_cron, &defaults.report_cron),
            _ => (&mut raw.reminder_cron, &defaults.reminder_cron),
        };
        let outcome = config::recurring_schedule(key, text, zone).map(|_| text.clone()).map_err(said);
        if outcome.is_err() {
            *text = default.clone();
        }
        items.push(item(name, outcome));
    }
    let backup = config::optional_schedule("backup_cron", &raw.backup_cron, zone)
        .map(|s| s.map_or_else(|| "off".to_owned(), |_| raw.backup_cron.clone()))
        .map_err(said);
    if backup.is_err() {
        raw.backup_cron = defaults.backup_cron.clone();
    }
    items.push(item(texts::CHECK_BACKUP_CRON, backup));
    let quiet = QuietHours::parse(&raw.quiet_hours)
        .map(|q| q.map_or("off".to_owned(), |q| q.to_string()))
        .map_err(|reason| said(ConfigError::BadQuietHours { value: raw.quiet_hours.clone(), reason }));
    if quiet.is_err() {
        raw.quiet_hours = defaults.quiet_hours.clone();
    }
    items.push(item(texts::CHECK_QUIET_HOURS, quiet));
    let rate = config::check_broadcast_rate(raw.broadcast_rate)
        .map(|()| texts::per_second(raw.broadcast_rate))
        .map_err(said);
    if rate.is_err() {
        raw.broadcast_rate = defaults.broadcast_rate;
    }
    items.push(item(texts::CHECK_BROADCAST_RATE, rate));
    if raw.broadcast_paid {
        let members = active_members(&raw.database_url).await;
        items.push(item(texts::CHECK_PAID, Ok(texts::paid_broadcasts(members))));
    }
    let holidays = absolute(Path::new(&raw.holidays_dir));
    let calendar = if holidays.is_dir() {
        HolidayCalendar::load_dir(&holidays).map_err(|e| said(ConfigError::Holidays(e)))
    } else {
        Err(texts::no_holidays(&holidays))
    };
    items.push(item(
        texts::CHECK_HOLIDAYS,
        calendar.as_ref().map(|c| texts::holiday_years(&holidays, &c.years())).map_err(Clone::clone),
    ));
    match (&calendar, now.map(|t| t.with_timezone(&zone).date_naive())) {
        (Ok(c), Some(today)) => {
            if let Some(year) = crate::schedule::calendar::missing_next_year(c, today) {
                items.push(item(texts::CHECK_NEXT_YEAR, Err(texts::next_year_missing(year, &holidays))));
            }
        }
        (Err(_), _) => raw.holidays_dir = defaults.holidays_dir.clone(),
        _ => {}
    }
    items.push(item(texts::CHECK_BACKUP_DIR, writable(Path::new(&raw.backup_dir))));
    // Everything else (ranges, kinds, addresses) exactly as `run` judges it, every problem
    // named: each found is set back to its default and the rest judged again.
    let mut others = Vec::new();
    let config = loop {
        match Config::from_raw(raw.clone()) {
            Ok(config) => break Ok(config),
            Err(e) => {
                others.push(texts::config_error(&e));
                if others.len() > 64 || !reset(&mut raw, &e, &defaults) {
                    break Err(e);
                }
            }
        }
    };
    if others.is_empty() {
        items.push(item(texts::CHECK_OTHER, Ok("OK".to_owned())));
    }
    for problem in others {
        items.push(item(texts::CHECK_OTHER, Err(problem)));
    }
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
    let Some(Environment { token, api_url, dingtalk_secret }) = env else { return items };
    items.push(item(texts::CHECK_DATABASE, database(&raw.database_url).await));
    let dingtalk = config.as_ref().ok().and_then(|c| c.dingtalk.clone());
    match (token, &dingtalk) {
        (None, None) => items.push(item(texts::CHECK_PLATFORMS, Err(texts::NO_PLATFORM.into()))),
        (None, Some(_)) => items.push(item(texts::CHECK_TOKEN, Ok(texts::TELEGRAM_OFF.into()))),
        (Some(token), _) => {
            items.push(item(texts::CHECK_TOKEN, Ok(texts::TOKEN_SET.into())));
            items.push(item(texts::CHECK_BOT_API, crate::telegram::check_token(token, api_url).await));
        }
    }
    if let Some(settings) = dingtalk {
        match dingtalk_secret.filter(|s| !s.trim().is_empty()) {
            None => items.push(item(texts::CHECK_DINGTALK_SECRET, Err(texts::NO_DINGTALK_SECRET.into()))),
            Some(secret) => {
                items.push(item(texts::CHECK_DINGTALK_SECRET, Ok(texts::TOKEN_SET.into())));
                items.extend(check_dingtalk(settings, secret).await);
            }
        }
    }
    items
}

/// DingTalk answers with the credentials: an access token, and a stream connection opened (and
/// closed again).
async fn check_dingtalk(settings: crate::config::DingTalkConfig, secret: &str) -> Vec<Item> {
    let api = match crate::dingtalk::api::Api::new(settings, secret.to_owned()) {
        Ok(api) => api,
        Err(e) => return vec![item(texts::CHECK_DINGTALK_TOKEN, Err(e.to_string()))],
    };
    let token = api.token().await.map(|_| texts::DINGTALK_TOKEN_OK.to_owned()).map_err(|e| e.to_string());
    let stream = match api.open_connection().await {
        Ok(url) => match tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await
        {
            Ok(Ok((mut socket, _))) => {
                let _ = socket.close(None).await;
                Ok(texts::DINGTALK_STREAM_OK.to_owned())
            }
            Ok(Err(e)) => Err(format!("WebSocket: {e}")),
            Err(_) => Err("WebSocket: timed out".to_owned()),
        },
        Err(e) => Err(e.to_string()),
    };
    vec![item(texts::CHECK_DINGTALK_TOKEN, token), item(texts::CHECK_DINGTALK_STREAM, stream)]
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
