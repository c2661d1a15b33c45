//! `sansong check`: each setting and dependency checked on its own, so one run names every
//! problem, with the same words `run` uses when it refuses to start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;

use crate::config::{self, Config, ConfigError, FontChoice, RawConfig};
use crate::schedule::QuietHours;
use crate::schedule::calendar::HolidayCalendar;

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
            items.push(item("配置文件", Ok(config_path.display().to_string())));
            raw
        }
        Err(e) => {
            items.push(item("配置文件", Err(format!("{}: {e}", config_path.display()))));
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
    items.push(item("时区 timezone", tz.map(|z| z.name().to_owned()).map_err(said)));
    for (name, key, text) in [
        ("周报时间 report_cron", "report_cron", &raw.report_cron),
        ("提醒时间 reminder_cron", "reminder_cron", &raw.reminder_cron),
    ] {
        items.push(item(
            name,
            config::recurring_schedule(key, text, zone).map(|_| text.clone()).map_err(said),
        ));
    }
    items.push(item(
        "备份时间 backup_cron",
        config::optional_schedule("backup_cron", &raw.backup_cron, zone)
            .map(|s| s.map_or_else(|| "off".to_owned(), |_| raw.backup_cron.clone()))
            .map_err(said),
    ));
    items.push(item(
        "免打扰时段 quiet_hours",
        QuietHours::parse(&raw.quiet_hours).map(|q| q.map_or("off".to_owned(), |q| q.to_string())),
    ));
    items.push(item(
        "发送速率 broadcast_rate",
        config::check_broadcast_rate(raw.broadcast_rate)
            .map(|()| format!("{} 条/秒", raw.broadcast_rate))
            .map_err(said),
    ));
    let holidays = Path::new(&raw.holidays_dir);
    items.push(item(
        "节假日 holidays_dir",
        if !holidays.is_dir() {
            Err(format!("{} 不存在（没有节假日安排时按周一至周五计算工作日）", holidays.display()))
        } else {
            HolidayCalendar::load_dir(holidays).map_err(|e| e.to_string()).map(|c| {
                let years: Vec<String> = c.holidays_by_year().keys().map(i32::to_string).collect();
                format!("{}：{}", holidays.display(), years.join("、"))
            })
        },
    ));
    items.push(item("备份目录 backup_dir", writable(Path::new(&raw.backup_dir))));
    // Everything else (ranges, kinds) exactly as `run` judges it.
    let config = Config::from_raw(raw.clone());
    items.push(item("其他设置", config.as_ref().map(|_| "OK".to_owned()).map_err(ToString::to_string)));
    if let Ok(config) = &config {
        items.push(item(
            "图表字体 report_font",
            Ok(match crate::reports::chart::font(&config.report_font) {
                Some(path) => path.display().to_string(),
                None if config.report_font == FontChoice::Off => "off（周报为纯文字）".to_owned(),
                None => "未找到中文字体：周报将为纯文字（可安装 fonts-wqy-microhei 或设置 report_font）"
                    .to_owned(),
            }),
        ));
    }
    let Some(Environment { token, api_url }) = env else { return items };
    items.push(item("数据库 database_url", database(&raw.database_url).await));
    match token {
        None => items.push(item(
            "令牌 TELOXIDE_TOKEN",
            Err("未设置：请在环境变量 TELOXIDE_TOKEN 中提供机器人令牌".into()),
        )),
        Some(token) => {
            items.push(item("令牌 TELOXIDE_TOKEN", Ok("已设置".into())));
            items.push(item("Bot API (getMe)", get_me(token, api_url).await));
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
    std::fs::write(&probe, b"ok").map_err(|e| format!("{} 不可写：{e}", existing.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(if existing == dir {
        dir.display().to_string()
    } else {
        format!("{}（尚不存在，需要时创建）", dir.display())
    })
}

/// Reachable, and every migration this binary knows applied (a new binary applies them when
/// it starts; this only reports).
async fn database(url: &str) -> Result<String, String> {
    let path = crate::backup::database_path(url);
    if !path.exists() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        return writable(if dir.as_os_str().is_empty() { Path::new(".") } else { &dir })
            .map(|_| format!("{}：尚不存在，启动时自动创建", path.display()));
    }
    match crate::store::Store::migration_status(url).await {
        Ok((applied, known)) if applied == known => {
            Ok(format!("{}：{applied} 个迁移均已应用", path.display()))
        }
        Ok((applied, known)) => {
            Ok(format!("{}：已应用 {applied}/{known} 个迁移，其余在启动时自动应用", path.display()))
        }
        Err(e) => Err(format!("{}：{e:#}", path.display())),
    }
}

async fn get_me(token: &str, api_url: Option<&str>) -> Result<String, String> {
    let base = api_url.unwrap_or("https://api.telegram.org").trim_end_matches('/');
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
    // The URL holds the token: errors are reported without it.
    let response = client
        .post(format!("{base}/bot{token}/getMe"))
        .send()
        .await
        .map_err(|e| format!("无法连接 {base}：{}", e.without_url()))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    match status.as_u16() {
        200 if body["ok"] == true => Ok(format!("@{}", body["result"]["username"].as_str().unwrap_or("?"))),
        401 | 404 => Err("令牌无效（Telegram 答复 Unauthorized）：请核对 TELOXIDE_TOKEN".into()),
        s => Err(format!("{base} 答复 HTTP {s}：{}", body["description"].as_str().unwrap_or(""))),
    }
}
