//! The `sansong` command line: run the bot, load the organisation, make invites, list members.
//! Every command works on the same database as a running bot (SQLite WAL allows it).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use teloxide::prelude::Requester;
use tokio_util::sync::CancellationToken;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::core::Core;
use crate::domain::Role;
use crate::error::Error;
use crate::members::{self, Actor, InviteRequest};
use crate::store::Store;
use crate::{bot, org, texts};

#[derive(Debug, Parser)]
#[command(
    name = "sansong",
    version,
    about = "“三送”活动登记机器人 (a Telegram bot for 三送 check-ins)"
)]
pub struct Cli {
    /// Config file (default config/default.toml).
    #[arg(long, global = true, env = "SANSONG_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot (long polling). Token from TELOXIDE_TOKEN.
    Run,
    /// The organisation: units and linked sites.
    Org {
        #[command(subcommand)]
        action: OrgCommand,
    },
    /// Create an invite and print its deep link.
    Invite {
        /// The unit the new members join.
        #[arg(long)]
        unit: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
        /// How many people may use it (default from config: 50).
        #[arg(long)]
        uses: Option<u32>,
        /// How long it stays valid: 7d, 12h, 2w (default from config: 14d).
        #[arg(long)]
        expires: Option<String>,
    },
    /// List members.
    Members {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Load units and sites from a TOML file (see config/org.example.toml).
    Load { file: PathBuf },
    /// Show the units and sites in the database.
    Show,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Member,
    #[value(alias = "organizer")]
    Organiser,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Member => Role::Member,
            RoleArg::Organiser => Role::Organiser,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Runs a parsed command line. User mistakes are printed politely with exit code 1.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("配置有误：{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let result = match cli.command {
        Command::Run => run_bot(config).await,
        Command::Org {
            action: OrgCommand::Load { file },
        } => org_load(config, file).await,
        Command::Org {
            action: OrgCommand::Show,
        } => org_show(config).await,
        Command::Invite {
            unit,
            role,
            uses,
            expires,
        } => invite(config, unit, role.into(), uses, expires).await,
        Command::Members { unit, format } => list_members(config, unit, format).await,
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) => match e.downcast_ref::<Error>() {
            Some(Error::User(user)) => {
                eprintln!("{}", texts::user_error(user, &Config::default(), None));
                Ok(ExitCode::FAILURE)
            }
            _ => Err(e),
        },
    }
}

async fn open(config: Config) -> anyhow::Result<Core> {
    let store = Store::open(&config.database_url).await?;
    Ok(Core::new(store, config, Arc::new(SystemClock)))
}

fn token_from_env() -> Option<String> {
    std::env::var("TELOXIDE_TOKEN")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

async fn run_bot(config: Config) -> anyhow::Result<ExitCode> {
    // First of all, so a SIGTERM during start-up is a clean stop rather than a kill.
    let shutdown = CancellationToken::new();
    stop_on_signal(shutdown.clone())?;
    let Some(token) = token_from_env() else {
        eprintln!("未设置 TELOXIDE_TOKEN：请把机器人的令牌放在环境变量 TELOXIDE_TOKEN 中。");
        return Ok(ExitCode::from(2));
    };
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let bot = bot::make_bot(&token, api_url.as_deref(), config.poll_timeout)?;
    let core = open(config).await?;
    tracing::info!(
        database = %core.config.database_url,
        timezone = %core.config.timezone,
        api = api_url.as_deref().unwrap_or("https://api.telegram.org"),
        "starting"
    );
    bot::run(core.clone(), bot, shutdown).await?;
    core.store.close().await;
    Ok(ExitCode::SUCCESS)
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

async fn org_load(config: Config, file: PathBuf) -> anyhow::Result<ExitCode> {
    let source = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let plan = match org::parse_org(&source) {
        Ok(plan) => plan,
        Err(problems) => {
            eprintln!("{}：\n{}", file.display(), texts::org_refused(&problems));
            return Ok(ExitCode::FAILURE);
        }
    };
    let core = open(config).await?;
    let report = org::apply(&core, &plan).await?;
    println!("{}", texts::org_loaded(&report));
    Ok(ExitCode::SUCCESS)
}

async fn org_show(config: Config) -> anyhow::Result<ExitCode> {
    let core = open(config).await?;
    let units = core.store.units().await?;
    let sites = core.store.all_sites().await?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["单位", "站点", "联系类型", "默认"]);
    for unit in &units {
        let mine: Vec<_> = sites.iter().filter(|s| s.unit_id == unit.id).collect();
        if mine.is_empty() {
            table.add_row([unit.name.as_str(), "—", "", ""]);
        }
        for s in mine {
            table.add_row([
                unit.name.as_str(),
                &s.name,
                texts::link_label(s.link),
                if s.is_default { "是" } else { "" },
            ]);
        }
    }
    println!("{table}");
    Ok(ExitCode::SUCCESS)
}

async fn invite(
    config: Config,
    unit: String,
    role: Role,
    uses: Option<u32>,
    expires: Option<String>,
) -> anyhow::Result<ExitCode> {
    let expires_in = match expires.as_deref().map(members::parse_duration) {
        None => None,
        Some(Some(d)) => Some(d),
        Some(None) => {
            eprintln!("--expires 的格式应为 7d、12h 或 2w。");
            return Ok(ExitCode::FAILURE);
        }
    };
    let core = open(config).await?;
    let request = InviteRequest {
        unit: Some(unit),
        role: Some(role),
        uses,
        expires_in,
    };
    let invite = members::create_invite(&core, &Actor::Cli, &request, None).await?;
    let username = match members::bot_username(&core).await? {
        Some(u) => Some(u),
        None => ask_telegram_for_username(&core).await,
    };
    let link = username.map(|u| members::deep_link(&u, &invite.code));
    println!("{}", texts::cli_invite(&invite, link.as_deref(), core.tz()));
    Ok(ExitCode::SUCCESS)
}

/// With a token in the environment, the CLI can learn the bot's username itself.
async fn ask_telegram_for_username(core: &Core) -> Option<String> {
    let token = token_from_env()?;
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let bot = bot::make_bot(&token, api_url.as_deref(), core.config.poll_timeout).ok()?;
    let me = tokio::time::timeout(std::time::Duration::from_secs(10), bot.get_me())
        .await
        .ok()?
        .ok()?;
    let username = me.username.clone()?;
    let _ = core
        .store
        .set_meta(crate::store::meta::BOT_USERNAME, &username)
        .await;
    Some(username)
}

#[derive(Serialize)]
struct MemberRow<'a> {
    telegram_id: i64,
    name: &'a str,
    username: Option<&'a str>,
    unit: &'a str,
    role: &'a str,
    status: &'a str,
    registered_at: String,
    last_checkin_at: Option<String>,
}

async fn list_members(config: Config, unit: Option<String>, format: Format) -> anyhow::Result<ExitCode> {
    let core = open(config).await?;
    let listing = members::list(&core, &Actor::Cli, unit.as_deref()).await?;
    let tz = core.tz();
    match format {
        Format::Json => {
            let rows: Vec<MemberRow<'_>> = listing
                .iter()
                .map(|l| MemberRow {
                    telegram_id: l.member.telegram_id,
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
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(["姓名", "Telegram ID", "单位", "身份", "状态", "最近登记"]);
            for l in &listing {
                let m = &l.member;
                table.add_row([
                    m.name.clone(),
                    m.telegram_id.to_string(),
                    m.unit_name.clone(),
                    texts::role_label(m.role).to_owned(),
                    if m.status == crate::domain::MemberStatus::Active {
                        "在用".into()
                    } else {
                        "停用".into()
                    },
                    l.last_checkin_at
                        .map_or_else(|| "—".into(), |t| texts::moment(t, tz)),
                ]);
            }
            println!("{table}");
            println!("共 {} 人", listing.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
