//! `sansong invite` and `sansong members`.

use serde::Serialize;

use super::{CliError, CliResult, Format, open, table_with, token_from_env};
use crate::config::Config;
use crate::core::Core;
use crate::domain::{MemberStatus, Role};
use crate::members::{self, Actor, InviteRequest};
use crate::texts;

pub async fn invite(
    config: Config,
    unit: String,
    role: Role,
    uses: Option<u32>,
    expires: Option<String>,
) -> CliResult {
    let expires_in = match expires.as_deref() {
        None => None,
        Some(e) => Some(
            members::parse_duration(e).ok_or_else(|| CliError::Refused(texts::cli::BAD_EXPIRES.into()))?,
        ),
    };
    let core = open(config).await?;
    let request = InviteRequest { unit: Some(unit), role: Some(role), uses, expires_in };
    let invite = members::create_invite(&core, &Actor::Cli, &request, None).await?;
    let username = match members::bot_username(&core).await? {
        Some(u) => Some(u),
        None => ask_telegram_for_username(&core).await,
    };
    let link = username.map(|u| members::deep_link(&u, &invite.code));
    println!("{}", texts::cli::invite(&invite, link.as_deref(), core.tz(), core.config.wecom.is_some()));
    Ok(())
}

/// With a token in the environment, the command line can learn the bot's username itself.
async fn ask_telegram_for_username(core: &Core) -> Option<String> {
    let token = token_from_env()?;
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let username =
        crate::telegram::fetch_username(&token, api_url.as_deref(), core.config.poll_timeout).await?;
    if let Err(e) = members::remember_bot_username(core, &username).await {
        tracing::warn!(error = %e, "could not keep the bot's username");
    }
    Some(username)
}

#[derive(Serialize)]
struct MemberRow<'a> {
    /// The platform they are reached on; their Telegram user id and DingTalk staff id, for
    /// each platform they have an account on.
    platform: &'a str,
    telegram_id: Option<i64>,
    dingtalk_id: Option<&'a str>,
    name: &'a str,
    username: Option<&'a str>,
    unit: &'a str,
    role: &'a str,
    status: &'a str,
    registered_at: String,
    last_checkin_at: Option<String>,
}

pub async fn list(config: Config, unit: Option<String>, format: Format) -> CliResult {
    let core = open(config).await?;
    let listing = members::list(&core, &Actor::Cli, unit.as_deref()).await?;
    let tz = core.tz();
    match format {
        Format::Json => {
            let rows: Vec<MemberRow<'_>> = listing
                .iter()
                .map(|l| MemberRow {
                    platform: l.member.account.platform.as_str(),
                    telegram_id: l.telegram_id,
                    dingtalk_id: l.dingtalk_id.as_deref(),
                    name: &l.member.name,
                    username: l.member.username.as_deref(),
                    unit: &l.member.unit_name,
                    role: l.member.role.as_str(),
                    status: l.member.status.as_str(),
                    registered_at: l.member.registered_at.with_timezone(&tz).to_rfc3339(),
                    last_checkin_at: l.last_checkin_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Table => {
            let mut table = table_with(texts::cli::MEMBER_HEADERS);
            for l in &listing {
                let m = &l.member;
                table.add_row([
                    m.name.clone(),
                    m.account.label(),
                    m.unit_name.clone(),
                    texts::role_label(m.role).to_owned(),
                    texts::cli::status_word(m.status == MemberStatus::Active).to_owned(),
                    l.last_checkin_at.map_or_else(|| "—".into(), |t| texts::moment(t, tz)),
                ]);
            }
            println!("{table}");
            println!("{}", texts::cli::member_count(listing.len()));
        }
    }
    Ok(())
}

/// `sansong login <姓名>`: a console login link for that organiser or admin.
pub async fn login(config: Config, name: String) -> CliResult {
    let core = open(config).await?;
    let link = crate::logins::login_link(&core, &Actor::Cli, Some(&name)).await?;
    let url = texts::web::login_url(&core.config.public_url, &link.token);
    println!("{}", texts::web::login_link_cli(&name, &url));
    Ok(())
}
