//! Settings, loaded once at start into typed structs.
//!
//! Layers, later ones winning: built-in defaults (identical to `config/default.toml`), the
//! config file (`SANSONG_CONFIG`, default `config/default.toml`), then `SANSONG_<KEY>`
//! environment variables. The bot token is *not* a setting: it is read from `TELOXIDE_TOKEN`
//! by the binary alone and never stored in these structs, so it cannot end up in a log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::checkins::kinds::{KindDef, Kinds};
use crate::schedule::calendar::HolidayCalendar;
use crate::schedule::parse_schedule;
use crate::schedule::{QuietHours, Schedule, ScheduleError};

pub const DEFAULT_CONFIG_PATH: &str = "config/default.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("{0}")]
    Invalid(Box<figment::Error>),
    #[error("{0:?} is not an IANA time zone name (e.g. Asia/Shanghai)")]
    BadTimezone(String),
    #[error("kinds: {0}")]
    BadKinds(crate::checkins::kinds::KindsError),
    /// A number outside what the setting allows (`low`..=`high`).
    #[error("{key} = {value} must be between {low} and {high}")]
    OutOfRange { key: &'static str, value: String, low: String, high: String },
    #[error("quiet_hours: {value:?}: {reason}")]
    BadQuietHours { value: String, reason: String },
    #[error("{key}: {value:?}: {reason}")]
    BadSchedule { key: &'static str, value: String, reason: ScheduleError },
    /// A schedule setting that must recur (the weekly report) given a one-off time.
    #[error("{key}: {value:?} is not a recurring schedule")]
    NotRecurring { key: &'static str, value: String },
    #[error(
        "{key}: {value:?} is not a valid address (e.g. 127.0.0.1:9898, https://bot.example.org/tg, or off)"
    )]
    BadAddress { key: &'static str, value: String },
    #[error(transparent)]
    Holidays(#[from] crate::schedule::calendar::CalendarError),
}

/// The file's shape, with the same defaults as `config/default.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawConfig {
    pub database_url: String,
    pub timezone: String,
    pub bot_username: Option<String>,
    pub poll_timeout_secs: u64,
    pub undo_window_hours: u32,
    pub backdate_days: u32,
    pub invite_uses: u32,
    pub invite_days: u32,
    pub inbox_retention_hours: u32,
    pub dialogue_ttl_hours: u32,
    pub broadcast_rate: f64,
    pub broadcast_paid: bool,
    pub quiet_hours: String,
    pub notice_grace_minutes: u32,
    pub remind_after_hours: u32,
    pub holidays_dir: String,
    pub delivery_retry_ms: u64,
    pub delivery_give_up_hours: f64,
    pub outage_after_failures: u32,
    pub outage_probe_ms: u64,
    pub outage_notify_minutes: u32,
    pub flood_cap: u32,
    /// A reply the platform could not take is tried again for this long.
    pub reply_give_up_minutes: u32,
    pub scheduler_tick_ms: u64,
    pub report_cron: String,
    pub reminder_cron: String,
    pub reminder_units: UnitList,
    pub report_font: String,
    pub backup_cron: String,
    pub backup_dir: String,
    pub backup_keep: u32,
    pub metrics_addr: String,
    pub health_window_secs: u64,
    /// Where the web console listens (`off`: no console).
    pub web_addr: String,
    /// The console's address as people reach it (links in chats and on the command line).
    pub public_url: String,
    /// A console session ends after this many hours without use.
    pub web_session_hours: u32,
    pub webhook_url: Option<String>,
    pub webhook_listen: String,
    /// DingTalk (Stream mode): the app's AppKey; the AppSecret comes from the environment only
    /// (`SANSONG_DINGTALK_CLIENT_SECRET`).
    pub dingtalk_client_id: Option<String>,
    /// The robot's code; DingTalk gives an internal app's robot the app's client id.
    pub dingtalk_robot_code: Option<String>,
    /// Every DingTalk OpenAPI call (token, stream connection, sending) goes here.
    pub dingtalk_api_url: String,
    /// The older API host that takes file uploads (`/media/upload`).
    pub dingtalk_oapi_url: String,
    /// Robot send calls a second (each to up to 20 people).
    pub dingtalk_rate: f64,
    /// WeCom (企业微信 / 政务微信), the 智能机器人's long connection: its Bot ID; the Secret
    /// comes from the environment only (`SANSONG_WECOM_SECRET`).
    pub wecom_bot_id: Option<String>,
    /// The long connection's address (a private 政务微信 deployment has its own).
    pub wecom_ws_url: String,
    /// A private deployment's own CA certificate (PEM), trusted for that connection only.
    pub wecom_ca_file: Option<String>,
    /// Messages a second the bot sends at most, all conversations together (learned lower
    /// from WeCom's 45009 refusals).
    pub wecom_rate: f64,
    pub kinds: Vec<KindDef>,
}

/// A list of unit names: a TOML list, or one string with commas (handy in the environment:
/// `SANSONG_REMINDER_UNITS=人社局,科工局`). `*` means every unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum UnitList {
    #[default]
    None,
    List(Vec<String>),
    Text(String),
}

impl UnitList {
    pub fn names(&self) -> Vec<String> {
        let raw: Vec<&str> = match self {
            UnitList::None => vec![],
            UnitList::List(l) => l.iter().map(String::as_str).collect(),
            UnitList::Text(t) => t.split([',', '，', '、']).collect(),
        };
        raw.into_iter().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect()
    }
}

/// Which font draws the weekly report's chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FontChoice {
    /// Look for a CJK font where Debian's fonts-wqy-microhei or fonts-noto-cjk put one.
    Auto,
    /// This file.
    File(PathBuf),
    /// No chart: text-only reports.
    Off,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            database_url: "sqlite://data/sansong.db".into(),
            timezone: "Asia/Shanghai".into(),
            bot_username: None,
            poll_timeout_secs: 10,
            undo_window_hours: 24,
            backdate_days: 7,
            invite_uses: 50,
            invite_days: 14,
            inbox_retention_hours: 72,
            dialogue_ttl_hours: 24,
            broadcast_rate: 25.0,
            broadcast_paid: false,
            quiet_hours: "22:00-07:00".into(),
            notice_grace_minutes: 60,
            remind_after_hours: 24,
            holidays_dir: "config/holidays".into(),
            delivery_retry_ms: 2000,
            delivery_give_up_hours: 24.0,
            outage_after_failures: 3,
            outage_probe_ms: 5000,
            outage_notify_minutes: 5,
            flood_cap: 200,
            reply_give_up_minutes: 60,
            scheduler_tick_ms: 1000,
            report_cron: "0 9 * * 1".into(),
            reminder_cron: "0 16 * * 5".into(),
            reminder_units: UnitList::List(vec![]),
            report_font: String::new(),
            backup_cron: "0 3 * * *".into(),
            backup_dir: "data/backups".into(),
            backup_keep: 14,
            metrics_addr: "127.0.0.1:9898".into(),
            health_window_secs: 180,
            web_addr: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            web_session_hours: 8,
            webhook_url: None,
            webhook_listen: "127.0.0.1:8443".into(),
            dingtalk_client_id: None,
            dingtalk_robot_code: None,
            dingtalk_api_url: "https://api.dingtalk.com".into(),
            dingtalk_oapi_url: "https://oapi.dingtalk.com".into(),
            dingtalk_rate: 20.0,
            wecom_bot_id: None,
            wecom_ws_url: "wss://openws.work.weixin.qq.com".into(),
            wecom_ca_file: None,
            wecom_rate: 10.0,
            kinds: vec![
                KindDef::new("policy", "送政策", &["政策", "policy"]),
                KindDef::new("service", "送服务", &["服务", "service"]),
                KindDef::new("warmth", "送温暖", &["温暖", "warmth"]),
            ],
        }
    }
}

/// Settings in typed form.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub timezone: Tz,
    pub bot_username: Option<String>,
    pub poll_timeout: Duration,
    pub undo_window: chrono::Duration,
    /// How many days back a check-in may name as the day of the work (0: only today).
    pub backdate_days: u32,
    pub invite_uses: u32,
    pub invite_days: u32,
    pub inbox_retention: chrono::Duration,
    pub dialogue_ttl: chrono::Duration,
    /// Broadcast messages per second, all chats together (0 = no limit, for benchmarks).
    pub broadcast_rate: f64,
    /// Notices go out as Telegram paid broadcasts (`allow_paid_broadcast`, 0.1 Star a message),
    /// which Telegram lets go up to 1,000 messages a second.
    pub broadcast_paid: bool,
    pub quiet_hours: Option<QuietHours>,
    /// A notice whose time passed while the bot was down still fires if it is at most this late.
    pub notice_grace: chrono::Duration,
    pub remind_after: chrono::Duration,
    pub calendar: HolidayCalendar,
    /// Where the calendar's files are (read again when they change), as configured.
    pub holidays_dir: PathBuf,
    /// The first wait before a delivery is tried again (doubling, up to five minutes).
    pub delivery_retry: Duration,
    /// How long a delivery keeps being tried while the platform fails it (5xx, timeouts).
    pub delivery_give_up: chrono::Duration,
    /// Consecutive failures for this many different members mean the platform is down.
    pub outage_after_failures: u32,
    /// The first wait between probes of a platform that is down (doubling, up to 30 s).
    pub outage_probe: Duration,
    /// An outage at least this long is told to the creators of the notices it held up.
    pub outage_notify_minutes: u32,
    /// Messages of one person in ten minutes beyond which they are discarded (below it they
    /// are only slowed to the per-person rate).
    pub flood_cap: u32,
    /// A reply the platform could not take is tried again for this long.
    pub reply_give_up_minutes: u32,
    pub scheduler_tick: Duration,
    /// When every organiser and admin gets last week's tally (`None`: "off").
    pub report_schedule: Option<Schedule>,
    /// When members of `reminder_units` without a check-in this week get a gentle reminder.
    pub reminder_schedule: Schedule,
    /// Units where the check-in reminder is on (none by default; `*` for all).
    pub reminder_units: Vec<String>,
    pub report_font: FontChoice,
    /// When the bot backs the database up into `backup_dir` (`None`: "off").
    pub backup_schedule: Option<Schedule>,
    pub backup_dir: PathBuf,
    /// How many scheduled backups are kept.
    pub backup_keep: usize,
    /// Where /healthz and /metrics are served (`None`: off).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// /healthz fails when no Bot API call has succeeded for this long.
    pub health_window: Duration,
    /// Where the web console is served (`None`: off).
    pub web_addr: Option<std::net::SocketAddr>,
    /// The console's address as people reach it: login links are built on it, and its cookie
    /// is `Secure` when it is https.
    pub public_url: url::Url,
    /// A console session ends after this long without use.
    pub web_session: chrono::Duration,
    /// Webhook mode: Telegram POSTs updates to this public https URL (`None`: long polling).
    pub webhook_url: Option<url::Url>,
    /// Where the webhook server listens (behind the reverse proxy that serves `webhook_url`).
    pub webhook_listen: std::net::SocketAddr,
    /// DingTalk, when its client id is set (the secret is read from the environment at start).
    pub dingtalk: Option<DingTalkConfig>,
    /// WeCom, when its bot id is set (the secret is read from the environment at start).
    pub wecom: Option<WeComConfig>,
    pub kinds: Kinds,
    /// The file the settings were read from (`None`: made in code, as tests do), which the
    /// console's 系统 page checks again as `sansong check` would.
    pub file: Option<PathBuf>,
}

/// A listening address, or `None` for "off" (or nothing).
fn optional_addr(key: &'static str, value: &str) -> Result<Option<std::net::SocketAddr>, ConfigError> {
    match value.trim() {
        "off" | "" => Ok(None),
        addr => addr.parse().map(Some).map_err(|_| ConfigError::BadAddress { key, value: addr.to_owned() }),
    }
}

/// DingTalk's settings (no secret: that stays in the environment).
#[derive(Debug, Clone, PartialEq)]
pub struct DingTalkConfig {
    pub client_id: String,
    pub robot_code: String,
    pub api_url: url::Url,
    pub oapi_url: url::Url,
    /// Robot send calls a second.
    pub rate: f64,
}

/// The environment variable holding DingTalk's AppSecret.
pub const DINGTALK_SECRET_ENV: &str = "SANSONG_DINGTALK_CLIENT_SECRET";

/// WeCom's settings (no secret: that stays in the environment).
#[derive(Debug, Clone, PartialEq)]
pub struct WeComConfig {
    pub bot_id: String,
    /// `wss://` (or `ws://`, for tests and a private deployment's intranet).
    pub ws_url: url::Url,
    /// A private deployment's CA certificate (PEM), added to the trusted roots.
    pub ca_file: Option<PathBuf>,
    /// Messages a second, all conversations together.
    pub rate: f64,
}

/// The environment variable holding the WeCom bot's Secret.
pub const WECOM_SECRET_ENV: &str = "SANSONG_WECOM_SECRET";

impl Default for Config {
    fn default() -> Self {
        // The built-in defaults are valid by construction (a unit test checks it).
        Config::from_raw(RawConfig::default()).unwrap_or_else(|e| panic!("built-in config: {e}"))
    }
}

impl Config {
    /// Loads the layers: defaults, the file, the environment. `explicit` (from `--config`)
    /// wins over `SANSONG_CONFIG`; a named file that does not exist is an error, while the
    /// default path may be absent (defaults and environment then suffice).
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let named =
            explicit.map(Path::to_path_buf).or_else(|| std::env::var_os("SANSONG_CONFIG").map(PathBuf::from));
        let path = match named {
            Some(p) if !p.exists() => return Err(ConfigError::MissingFile(p)),
            Some(p) => p,
            None => PathBuf::from(DEFAULT_CONFIG_PATH),
        };
        let mut config = Config::from_figment(Config::figment(&path))?;
        config.file = Some(path);
        Ok(config)
    }

    pub fn figment(path: &Path) -> Figment {
        Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::file(path))
            // The secret is read where it is used, never kept in the config (or shown by it).
            .merge(Env::prefixed("SANSONG_").ignore(&["config", "dingtalk_client_secret", "wecom_secret"]))
    }

    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        let raw: RawConfig = figment.extract().map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        Config::from_raw(raw)
    }

    pub fn from_raw(raw: RawConfig) -> Result<Config, ConfigError> {
        let timezone = parse_timezone(&raw.timezone)?;
        if !(1..=50).contains(&raw.poll_timeout_secs) {
            return Err(out_of_range("poll_timeout_secs", raw.poll_timeout_secs, 1, 50));
        }
        let ranges: [(&'static str, u32, u32, u32); 9] = [
            ("web_session_hours", raw.web_session_hours, 1, 720),
            ("invite_uses", raw.invite_uses, 1, 10_000),
            ("invite_days", raw.invite_days, 1, 366),
            ("undo_window_hours", raw.undo_window_hours, 1, 720),
            ("inbox_retention_hours", raw.inbox_retention_hours, 48, 8760),
            ("dialogue_ttl_hours", raw.dialogue_ttl_hours, 1, 720),
            ("backdate_days", raw.backdate_days, 0, 366),
            ("flood_cap", raw.flood_cap, 20, 100_000),
            ("reply_give_up_minutes", raw.reply_give_up_minutes, 1, 1440),
        ];
        for (key, value, low, high) in ranges {
            if !(low..=high).contains(&value) {
                return Err(out_of_range(key, value, low, high));
            }
        }
        check_broadcast_rate(raw.broadcast_rate)?;
        // A few seconds (tests, drills) to a month.
        if !(0.0005..=720.0).contains(&raw.delivery_give_up_hours) {
            return Err(out_of_range("delivery_give_up_hours", raw.delivery_give_up_hours, 0.0005, 720));
        }
        let more: [(&'static str, u64, u64, u64); 8] = [
            ("notice_grace_minutes", raw.notice_grace_minutes.into(), 0, 10_080),
            ("remind_after_hours", raw.remind_after_hours.into(), 1, 720),
            ("outage_after_failures", raw.outage_after_failures.into(), 1, 100),
            ("delivery_retry_ms", raw.delivery_retry_ms, 10, 600_000),
            ("outage_probe_ms", raw.outage_probe_ms, 10, 600_000),
            ("scheduler_tick_ms", raw.scheduler_tick_ms, 10, 60_000),
            ("backup_keep", raw.backup_keep.into(), 1, 10_000),
            ("health_window_secs", raw.health_window_secs, 5, 86_400),
        ];
        for (key, value, low, high) in more {
            if !(low..=high).contains(&value) {
                return Err(out_of_range(key, value, low, high));
            }
        }
        let hours = |h: u32| chrono::Duration::hours(i64::from(h));
        let recurring = |key, text: &str| recurring_schedule(key, text, timezone);
        let report_font = match raw.report_font.trim() {
            "" | "auto" => FontChoice::Auto,
            "off" | "none" => FontChoice::Off,
            path => FontChoice::File(PathBuf::from(path)),
        };
        let dingtalk = dingtalk_config(&raw)?;
        let wecom = wecom_config(&raw)?;
        Ok(Config {
            file: None,
            dingtalk,
            wecom,
            report_schedule: optional_schedule("report_cron", &raw.report_cron, timezone)?,
            reminder_schedule: recurring("reminder_cron", &raw.reminder_cron)?,
            reminder_units: raw.reminder_units.names(),
            report_font,
            backup_schedule: optional_schedule("backup_cron", &raw.backup_cron, timezone)?,
            backup_dir: PathBuf::from(raw.backup_dir),
            backup_keep: raw.backup_keep as usize,
            metrics_addr: optional_addr("metrics_addr", &raw.metrics_addr)?,
            health_window: Duration::from_secs(raw.health_window_secs),
            web_addr: optional_addr("web_addr", &raw.web_addr)?,
            public_url: url::Url::parse(raw.public_url.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
                .ok_or_else(|| ConfigError::BadAddress {
                    key: "public_url",
                    value: raw.public_url.clone(),
                })?,
            web_session: hours(raw.web_session_hours),
            webhook_url: match raw
                .webhook_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty() && *u != "off")
            {
                None => None,
                Some(u) => Some(
                    url::Url::parse(u)
                        .ok()
                        .filter(|p| matches!(p.scheme(), "https" | "http"))
                        .ok_or_else(|| ConfigError::BadAddress { key: "webhook_url", value: u.to_owned() })?,
                ),
            },
            webhook_listen: raw.webhook_listen.trim().parse().map_err(|_| ConfigError::BadAddress {
                key: "webhook_listen",
                value: raw.webhook_listen.clone(),
            })?,
            database_url: raw.database_url,
            timezone,
            bot_username: raw
                .bot_username
                .map(|u| u.trim().trim_start_matches('@').to_owned())
                .filter(|u| !u.is_empty()),
            poll_timeout: Duration::from_secs(raw.poll_timeout_secs),
            undo_window: hours(raw.undo_window_hours),
            backdate_days: raw.backdate_days,
            invite_uses: raw.invite_uses,
            invite_days: raw.invite_days,
            inbox_retention: hours(raw.inbox_retention_hours),
            dialogue_ttl: hours(raw.dialogue_ttl_hours),
            broadcast_rate: raw.broadcast_rate,
            broadcast_paid: raw.broadcast_paid,
            quiet_hours: QuietHours::parse(&raw.quiet_hours)
                .map_err(|reason| ConfigError::BadQuietHours { value: raw.quiet_hours.clone(), reason })?,
            notice_grace: chrono::Duration::minutes(i64::from(raw.notice_grace_minutes)),
            remind_after: hours(raw.remind_after_hours),
            calendar: HolidayCalendar::load_dir(Path::new(&raw.holidays_dir))?,
            holidays_dir: PathBuf::from(&raw.holidays_dir),
            delivery_retry: Duration::from_millis(raw.delivery_retry_ms),
            delivery_give_up: chrono::Duration::milliseconds(
                (raw.delivery_give_up_hours * 3_600_000.0) as i64,
            ),
            outage_after_failures: raw.outage_after_failures,
            outage_probe: Duration::from_millis(raw.outage_probe_ms),
            outage_notify_minutes: raw.outage_notify_minutes,
            flood_cap: raw.flood_cap,
            reply_give_up_minutes: raw.reply_give_up_minutes,
            scheduler_tick: Duration::from_millis(raw.scheduler_tick_ms),
            kinds: Kinds::new(raw.kinds).map_err(ConfigError::BadKinds)?,
        })
    }
}

fn dingtalk_config(raw: &RawConfig) -> Result<Option<DingTalkConfig>, ConfigError> {
    let Some(client_id) = raw.dingtalk_client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let url = |key: &'static str, value: &str| {
        url::Url::parse(value.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| ConfigError::BadAddress { key, value: value.to_owned() })
    };
    if !(0.1..=1000.0).contains(&raw.dingtalk_rate) {
        return Err(out_of_range("dingtalk_rate", raw.dingtalk_rate, 0.1, 1000));
    }
    Ok(Some(DingTalkConfig {
        client_id: client_id.to_owned(),
        robot_code: raw
            .dingtalk_robot_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or(client_id)
            .to_owned(),
        api_url: url("dingtalk_api_url", &raw.dingtalk_api_url)?,
        oapi_url: url("dingtalk_oapi_url", &raw.dingtalk_oapi_url)?,
        rate: raw.dingtalk_rate,
    }))
}

fn wecom_config(raw: &RawConfig) -> Result<Option<WeComConfig>, ConfigError> {
    let Some(bot_id) = raw.wecom_bot_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let ws_url = url::Url::parse(raw.wecom_ws_url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "wss" | "ws") && u.host().is_some())
        .ok_or_else(|| ConfigError::BadAddress { key: "wecom_ws_url", value: raw.wecom_ws_url.clone() })?;
    if !(0.1..=1000.0).contains(&raw.wecom_rate) {
        return Err(out_of_range("wecom_rate", raw.wecom_rate, 0.1, 1000));
    }
    Ok(Some(WeComConfig {
        bot_id: bot_id.to_owned(),
        ws_url,
        ca_file: raw.wecom_ca_file.as_deref().map(str::trim).filter(|f| !f.is_empty()).map(PathBuf::from),
        rate: raw.wecom_rate,
    }))
}

/// The zone a setting names (the same check for `run` and `sansong check`).
pub fn parse_timezone(text: &str) -> Result<Tz, ConfigError> {
    text.trim().parse().map_err(|_| ConfigError::BadTimezone(text.to_owned()))
}

fn out_of_range(
    key: &'static str,
    value: impl ToString,
    low: impl ToString,
    high: impl ToString,
) -> ConfigError {
    ConfigError::OutOfRange { key, value: value.to_string(), low: low.to_string(), high: high.to_string() }
}

/// Messages a second: 0 (no limit) to 100000.
pub fn check_broadcast_rate(rate: f64) -> Result<(), ConfigError> {
    if (0.0..=100_000.0).contains(&rate) {
        Ok(())
    } else {
        Err(out_of_range("broadcast_rate", rate, 0, 100_000))
    }
}

/// A recurring schedule setting: cron or a shortcut such as 每周一 09:00, never a one-off.
pub fn recurring_schedule(key: &'static str, text: &str, tz: Tz) -> Result<Schedule, ConfigError> {
    let schedule = parse_schedule(text, tz, chrono::Utc::now())
        .map_err(|reason| ConfigError::BadSchedule { key, value: text.to_owned(), reason })?;
    if !schedule.is_recurring() {
        return Err(ConfigError::NotRecurring { key, value: text.to_owned() });
    }
    Ok(schedule)
}

/// [`recurring_schedule`], or `None` for "off".
pub fn optional_schedule(key: &'static str, text: &str, tz: Tz) -> Result<Option<Schedule>, ConfigError> {
    match text.trim() {
        "off" | "" => Ok(None),
        text => recurring_schedule(key, text, tz).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_toml_says_exactly_what_the_built_in_defaults_say() {
        let from_file: RawConfig =
            Figment::new().merge(Toml::string(include_str!("../config/default.toml"))).extract().unwrap();
        assert_eq!(from_file, RawConfig::default());
    }

    #[test]
    fn an_unknown_zone_is_refused_with_its_name() {
        let raw = RawConfig { timezone: "Mars/Olympus".into(), ..RawConfig::default() };
        let err = Config::from_raw(raw).unwrap_err().to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn values_outside_their_range_are_refused_with_the_key() {
        for toml in [
            "invite_days = 10000",
            "undo_window_hours = 0",
            "dialogue_ttl_hours = 4000000000",
            "inbox_retention_hours = 1",
        ] {
            let fig = Figment::from(Serialized::defaults(RawConfig::default())).merge(Toml::string(toml));
            let err = Config::from_figment(fig).unwrap_err().to_string();
            let key = toml.split(' ').next().unwrap();
            assert!(err.contains(key), "{toml}: {err}");
        }
    }

    #[test]
    fn file_values_override_defaults() {
        let fig = Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::string("timezone = \"Europe/Berlin\"\npoll_timeout_secs = 3"));
        let cfg = Config::from_figment(fig).unwrap();
        assert_eq!(cfg.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(cfg.poll_timeout, Duration::from_secs(3));
    }

    #[test]
    fn kinds_match_label_short_form_traditional_and_english() {
        let kinds = Config::default().kinds;
        for word in ["送政策", "政策", "policy", "POLICY", "#送政策"] {
            assert_eq!(kinds.lookup(word).map(|k| k.key.as_str()), Some("policy"), "{word}");
        }
        assert_eq!(kinds.lookup("送服務").map(|k| k.key.as_str()), Some("service"));
        assert_eq!(kinds.lookup("送溫暖").map(|k| k.key.as_str()), Some("warmth"));
        assert_eq!(kinds.lookup("送温"), None);
    }

    #[test]
    fn the_longest_spelling_wins_and_latin_words_need_a_boundary() {
        let kinds = Config::default().kinds;
        let (k, rest) = kinds.match_prefix("送政策为居民宣讲").unwrap();
        assert_eq!((k.key.as_str(), rest), ("policy", "为居民宣讲"));
        assert!(kinds.match_prefix("policymaker visit").is_none());
        let (k, rest) = kinds.match_prefix("service: fixed").unwrap();
        assert_eq!((k.key.as_str(), rest), ("service", ": fixed"));
    }

    #[test]
    fn report_and_reminder_times_take_cron_or_shortcuts_and_refuse_one_offs() {
        let fig = Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::string("report_cron = \"每周一 08:30\"\nreminder_units = \"人社局, 科工局\""));
        let cfg = Config::from_figment(fig).unwrap();
        assert!(cfg.report_schedule.as_ref().is_some_and(Schedule::is_recurring));
        assert_eq!(cfg.reminder_units, vec!["人社局".to_owned(), "科工局".to_owned()]);
        for toml in ["report_cron = \"soon\"", "reminder_cron = \"now\"", "report_cron = \"0 9 * *\""] {
            let fig = Figment::from(Serialized::defaults(RawConfig::default())).merge(Toml::string(toml));
            let err = Config::from_figment(fig).unwrap_err().to_string();
            assert!(err.contains(toml.split(' ').next().unwrap()), "{toml}: {err}");
        }
    }

    #[test]
    fn the_weekly_report_can_be_turned_off() {
        let fig = Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::string("report_cron = \"off\""));
        assert!(Config::from_figment(fig).unwrap().report_schedule.is_none());
        let default = Figment::from(Serialized::defaults(RawConfig::default()));
        assert!(Config::from_figment(default).unwrap().report_schedule.is_some(), "on by default");
    }
}
