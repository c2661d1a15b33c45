//! `sansong check`: every setting, the environment, the database and the chat platforms'
//! APIs (for DingTalk, also the address-book permissions joining by department needs), each on
//! its own ✓/✗ line. The settings, the calendar, the folders and the database
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
        let database = checks::database(&settings.database_url).await;
        let mapped = match &settings.config {
            Some(config) => mapped_departments(config, &database).await,
            None => Vec::new(),
        };
        items.push(database);
        let dingtalk = settings.config.as_ref().and_then(|c| c.dingtalk.clone());
        let wecom = settings.config.as_ref().and_then(|c| c.wecom.clone());
        let mut found =
            platforms(token.as_deref(), api_url.as_deref(), secret.as_deref(), dingtalk, &mapped).await;
        if let Some(wecom) = wecom {
            // WeCom alone is a platform too.
            found.retain(|i| !matches!(i.check, Check::Platforms));
            found.push(check_wecom(wecom, &settings.database_url).await);
        }
        items.extend(found);
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
    mapped: &[(i64, crate::domain::Unit)],
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
                items.extend(check_dingtalk(settings, secret, mapped).await);
            }
        }
    }
    items
}

/// WeCom takes the bot id and secret: one subscribe on the long connection, closed again. Not
/// while this database's bot runs: WeCom keeps one connection per bot, and a second subscribe
/// would take the bot from the running one.
async fn check_wecom(settings: crate::config::WeComConfig, database_url: &str) -> Item {
    let Some(secret) = std::env::var(crate::config::WECOM_SECRET_ENV).ok().filter(|s| !s.trim().is_empty())
    else {
        return item(Check::WeCom, Err(Problem::Text(texts::wecom::NO_SECRET.into())));
    };
    if crate::backup::instance_running(database_url) {
        return item(Check::WeCom, Ok(Fine::Text(texts::wecom::RUNNING_ELSEWHERE.into())));
    }
    match crate::wecom::link::check(settings, &secret).await {
        Ok(()) => item(Check::WeCom, Ok(Fine::Text(texts::wecom::SUBSCRIBED.into()))),
        Err(why) => item(Check::WeCom, Err(Problem::Text(why))),
    }
}

/// DingTalk answers with the credentials: an access token, and a stream connection opened (and
/// closed again).
async fn check_dingtalk(
    settings: crate::config::DingTalkConfig,
    secret: &str,
    mapped: &[(i64, crate::domain::Unit)],
) -> Vec<Item> {
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
    let token_ok = token.is_ok();
    let mut items = vec![item(Check::DingTalkToken, token), item(Check::DingTalkStream, stream)];
    if token_ok {
        items.extend(check_address_book(&api, mapped).await);
    }
    items
}

/// The units' DingTalk departments, when the database is there and up to date (a check
/// changes nothing: an old database is not migrated for it).
async fn mapped_departments(config: &Config, database: &Item) -> Vec<(i64, crate::domain::Unit)> {
    let ready = matches!(&database.outcome, Ok(Fine::Migrations { applied, known, .. }) if applied == known);
    if !ready {
        return Vec::new();
    }
    match super::open(config.clone()).await {
        Ok(core) => {
            let mapped = crate::org::dingtalk_departments(&core).await.unwrap_or_default();
            core.store.close().await;
            mapped
        }
        Err(_) => Vec::new(),
    }
}

/// What joining by department needs of the app: reading the address book's departments and
/// members, and the units' departments within its 通讯录授权范围. A missing permission fails
/// the check only when some unit has departments (else nothing needs it yet); invites and
/// everything else work either way.
async fn check_address_book(
    api: &crate::dingtalk::api::Api,
    mapped: &[(i64, crate::domain::Unit)],
) -> Vec<Item> {
    use crate::dingtalk::api::codes;
    use texts::dingtalk as words;
    let in_use = !mapped.is_empty();
    let permission = |result: Result<(), crate::dingtalk::api::ApiError>, name: &str, code: &str| match result
    {
        Ok(()) => Ok(Fine::Text(words::permission_granted(code))),
        // The permission is there; the scope is another line's business.
        Err(e) if matches!(e.code(), Some(codes::DEPARTMENT_OUT_OF_SCOPE | codes::USER_OUT_OF_SCOPE)) => {
            Ok(Fine::Text(words::permission_granted(code)))
        }
        Err(e) if e.code() == Some(codes::NO_PERMISSION) => {
            if in_use {
                Err(Problem::Text(words::permission_missing(name, code)))
            } else {
                Ok(Fine::Text(words::permission_not_needed_yet(code)))
            }
        }
        Err(e) => Err(Problem::Text(e.to_string())),
    };
    let departments = api.sub_departments(1).await.map(|_| ());
    let may_read_departments =
        departments.as_ref().err().and_then(|e| e.code()) != Some(codes::NO_PERMISSION);
    let members = api.user_count().await.map(|_| ());
    let mut items = vec![
        item(
            Check::DingTalkDepartmentRead,
            permission(departments, "通讯录部门信息读权限", "qyapi_get_department_list"),
        ),
        item(Check::DingTalkMemberRead, permission(members, "成员信息读权限", "qyapi_get_member")),
    ];
    let scope = if !in_use {
        Ok(Fine::Text(words::SCOPE_NOTHING_MAPPED.into()))
    } else if !may_read_departments {
        Err(Problem::Text(words::SCOPE_UNKNOWN.into()))
    } else {
        let (mut outside, mut missing) = (Vec::new(), Vec::new());
        let mut failed = None;
        for (id, unit) in mapped {
            match api.department(*id).await {
                Ok(_) => {}
                Err(e) if e.code() == Some(codes::DEPARTMENT_OUT_OF_SCOPE) => {
                    outside.push((*id, unit.name.clone()))
                }
                Err(e) if e.code() == Some(codes::NO_DEPARTMENT) => missing.push((*id, unit.name.clone())),
                Err(e) => failed = Some(e.to_string()),
            }
        }
        match failed {
            Some(why) => Err(Problem::Text(why)),
            None if outside.is_empty() && missing.is_empty() => {
                Ok(Fine::Text(words::scope_fine(mapped.len())))
            }
            None => Err(Problem::Text(words::scope_problems(&outside, &missing))),
        }
    };
    items.push(item(Check::DingTalkScope, scope));
    items
}
