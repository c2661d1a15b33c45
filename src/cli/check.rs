//! `sansong check`: every setting, the environment, the database and the chat platforms'
//! APIs, each on its own ✓/✗ line. The settings, the calendar, the folders and the database
//! are checked by [`crate::system::checks`] (the console's 系统 page shows the same lines);
//! the platforms are probed here, with the credentials of this shell's environment.

use super::{CliError, CliResult, clock_from_env, config_path, token_from_env};
use crate::config::Config;
use crate::system::checks::{self, Check, Fine, Item, Problem, item};
use crate::texts;

pub async fn check(explicit: Option<&std::path::Path>) -> CliResult {
    let path = config_path(explicit);
    if !path.exists() && (explicit.is_some() || std::env::var_os("SANSONG_CONFIG").is_some()) {
        println!("{}", texts::cli::check_failed(texts::cli::CONFIG_FILE, &texts::cli::missing_file(&path)));
        return Err(CliError::Reported);
    }
    let token = token_from_env();
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let secret = std::env::var(crate::config::DINGTALK_SECRET_ENV).ok();
    let now = clock_from_env()?.now();
    let settings =
        checks::settings(Config::figment(&path), &path, Some(now), crate::reports::chart::font).await;
    let mut items = settings.items;
    if settings.readable {
        items.push(checks::database(&settings.database_url).await);
        let dingtalk = settings.config.as_ref().and_then(|c| c.dingtalk.clone());
        items.extend(platforms(token.as_deref(), api_url.as_deref(), secret.as_deref(), dingtalk).await);
    }
    let mut failed = 0;
    for item in &items {
        if item.outcome.is_err() {
            failed += 1;
        }
        println!("{}", texts::cli::check_line(item));
    }
    if failed == 0 {
        println!("{}", texts::cli::ALL_CHECKS_PASSED);
        Ok(())
    } else {
        println!("{}", texts::cli::checks_failed(failed));
        // Already said on stdout, line by line; the exit code says the rest.
        Err(CliError::Reported)
    }
}

/// The platforms: at least one configured, and each answering with its credentials (the token
/// is never printed).
async fn platforms(
    token: Option<&str>,
    api_url: Option<&str>,
    dingtalk_secret: Option<&str>,
    dingtalk: Option<crate::config::DingTalkConfig>,
) -> Vec<Item> {
    let mut items = Vec::new();
    match (token, &dingtalk) {
        (None, None) => items.push(item(Check::Platforms, Err(Problem::NoPlatform))),
        (None, Some(_)) => items.push(item(Check::Token, Ok(Fine::TelegramOff))),
        (Some(token), _) => {
            items.push(item(Check::Token, Ok(Fine::TokenSet)));
            let answer = crate::telegram::check_token(token, api_url).await;
            items.push(item(Check::BotApi, answer.map(Fine::Text).map_err(Problem::Text)));
        }
    }
    if let Some(settings) = dingtalk {
        match dingtalk_secret.filter(|s| !s.trim().is_empty()) {
            None => items.push(item(Check::DingTalkSecret, Err(Problem::NoDingTalkSecret))),
            Some(secret) => {
                items.push(item(Check::DingTalkSecret, Ok(Fine::TokenSet)));
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
        Err(e) => return vec![item(Check::DingTalkToken, Err(Problem::Text(e.to_string())))],
    };
    let token = api.token().await.map(|_| Fine::DingTalkTokenOk).map_err(|e| Problem::Text(e.to_string()));
    let stream = match api.open_connection().await {
        Ok(url) => match tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await
        {
            Ok(Ok((mut socket, _))) => {
                let _ = socket.close(None).await;
                Ok(Fine::DingTalkStreamOk)
            }
            Ok(Err(e)) => Err(Problem::Text(format!("WebSocket: {e}"))),
            Err(_) => Err(Problem::Text("WebSocket: timed out".to_owned())),
        },
        Err(e) => Err(Problem::Text(e.to_string())),
    };
    vec![item(Check::DingTalkToken, token), item(Check::DingTalkStream, stream)]
}
