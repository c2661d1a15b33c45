//! `sansong run`: the bot itself, until SIGINT or SIGTERM.

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::{CliError, CliResult, open, token_from_env};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::{Config, DINGTALK_SECRET_ENV, WECOM_SECRET_ENV};
use crate::jobs;
use crate::{telegram, texts};

pub async fn run_bot(config: Config) -> CliResult {
    // First of all, so a SIGTERM during start-up is a clean stop rather than a kill.
    let shutdown = CancellationToken::new();
    stop_on_signal(shutdown.clone())?;
    // Every platform that is configured runs: Telegram with a token, DingTalk with its client id
    // and secret, both when both are.
    let token = token_from_env();
    let dingtalk = match config.dingtalk.clone() {
        None => None,
        Some(d) => match std::env::var(DINGTALK_SECRET_ENV).ok().filter(|s| !s.trim().is_empty()) {
            Some(secret) => Some((d, secret)),
            None => return Err(CliError::Setup(texts::cli::NO_DINGTALK_SECRET.into())),
        },
    };
    let wecom = match config.wecom.clone() {
        None => None,
        Some(w) => match std::env::var(WECOM_SECRET_ENV).ok().filter(|s| !s.trim().is_empty()) {
            Some(secret) => Some((w, secret)),
            None => return Err(CliError::Setup(texts::wecom::NO_SECRET.into())),
        },
    };
    let console = config.web_addr.map(|_| texts::web::page_url(&config.public_url, ""));
    if token.is_none() && dingtalk.is_none() && wecom.is_none() {
        // The console alone: a fresh machine's way in. Without it there is nothing to serve.
        eprintln!("{}", texts::web::console_only(console.as_deref()));
        if console.is_none() {
            return Err(CliError::Setup(texts::cli::NO_PLATFORM.into()));
        }
    }
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let bot = match &token {
        Some(token) => Some(telegram::make_bot(token, api_url.as_deref(), config.poll_timeout)?),
        None => None,
    };
    // One bot per database; held until the process ends (`restore` checks it).
    let _lock = crate::backup::lock_instance(&config.database_url)
        .map_err(|e| CliError::Setup(texts::cli::already_running(&e.to_string())))?;
    let holidays = crate::system::checks::absolute(&config.holidays_dir);
    if !holidays.is_dir() {
        // The bot still runs; working-day schedules then fall back to Monday to Friday.
        tracing::warn!(folder = %holidays.display(), "the holidays folder does not exist: 每个工作日 counts Monday to Friday");
    }
    let core = open(config).await?;
    let today = core.today();
    if let Some(year) = crate::schedule::calendar::missing_next_year(&core.calendar(), today) {
        tracing::warn!(year, folder = %holidays.display(), "the official holiday schedule of this year is not loaded");
    }
    tracing::info!(
        database = %core.config.database_url,
        timezone = %core.config.timezone,
        telegram = bot.is_some(),
        dingtalk = dingtalk.is_some(),
        wecom = wecom.is_some(),
        "starting"
    );
    // Before anything counts: every check-in carries its week (after an upgrade or a new zone).
    crate::checkins::ensure_weeks(&core).await?;
    if let Some(url) = &console {
        announce_console(&core, url).await?;
    }
    let scheduler_wake = Arc::new(Notify::new());
    let mut platforms = Vec::new();
    if let Some(bot) = bot {
        platforms.push(telegram::start(core.clone(), bot, scheduler_wake.clone(), shutdown.clone()));
    }
    if let Some((settings, secret)) = dingtalk {
        let api =
            Arc::new(crate::dingtalk::api::Api::new(settings, secret)?.with_metrics(core.metrics.clone()));
        platforms.push(crate::dingtalk::start(core.clone(), api, scheduler_wake.clone(), shutdown.clone()));
    }
    if let Some((settings, secret)) = wecom {
        let link =
            Arc::new(crate::wecom::link::Link::new(settings, secret)?.with_metrics(core.metrics.clone()));
        platforms.push(crate::wecom::start(core.clone(), link, scheduler_wake.clone(), shutdown.clone()));
    }
    jobs::serve(core.clone(), platforms, scheduler_wake, shutdown).await;
    tracing::info!("stopped");
    core.store.close().await;
    Ok(())
}

/// Says where the console is; while no admin exists, prints a one-time set-up link on this
/// process's own standard output (never into the log, which others may read).
async fn announce_console(core: &crate::Core, url: &str) -> anyhow::Result<()> {
    println!("{}", texts::web::console_at(url));
    if let Some(link) = crate::logins::setup_link(core).await? {
        let url = texts::web::setup_url(&core.config.public_url, &link.token);
        println!("{}", texts::web::setup_banner(&url, crate::logins::SETUP_LINK_HOURS));
    }
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM (systemd, containers) both mean: stop taking updates, finish
/// what is in hand, exit 0. The handlers are registered before this returns.
fn stop_on_signal(shutdown: CancellationToken) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        tokio::spawn(async move {
            tokio::select! {
                _ = int.recv() => tracing::info!("SIGINT received"),
                _ = term.recv() => tracing::info!("SIGTERM received"),
            }
            shutdown.cancel();
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
    });
    Ok(())
}
