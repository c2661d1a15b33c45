//! `sansong run`: the bot itself, until SIGINT or SIGTERM.

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::{CliError, CliResult, open, token_from_env};
use crate::config::Config;
use crate::{telegram, texts};

pub async fn run_bot(config: Config) -> CliResult {
    // First of all, so a SIGTERM during start-up is a clean stop rather than a kill.
    let shutdown = CancellationToken::new();
    stop_on_signal(shutdown.clone())?;
    let Some(token) = token_from_env() else {
        return Err(CliError::Setup(texts::cli::NO_TOKEN.into()));
    };
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let bot = telegram::make_bot(&token, api_url.as_deref(), config.poll_timeout)?;
    // One bot per database; held until the process ends (`restore` checks it).
    let _lock = crate::backup::lock_instance(&config.database_url)
        .map_err(|e| CliError::Setup(texts::cli::already_running(&e.to_string())))?;
    let holidays = super::checks::absolute(&config.holidays_dir);
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
        api = api_url.as_deref().unwrap_or("https://api.telegram.org"),
        "starting"
    );
    telegram::run(core.clone(), bot, shutdown).await?;
    core.store.close().await;
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
