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

use crate::clock::{SharedClock, ShiftedClock, SystemClock};
use crate::config::Config;
use crate::core::Core;
use crate::domain::LinkKind;
use crate::domain::Role;
use crate::error::Error;
use crate::error::UserError;
use crate::members::{self, Actor, InviteRequest};
use crate::notices::{self, Audience, Management, Media, MediaKind, NoticeDraft};
use crate::store::{Grouping, Store};
use crate::tally::{self, Period, Tally, TallyRow};
use crate::{bot, org, texts};

#[derive(Debug, Parser)]
#[command(name = "sansong", version, about = "“三送”活动登记机器人 (a Telegram bot for 三送 check-ins)")]
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
    /// Scheduled notices: create, list, show, pause, resume, cancel, receipts.
    Notice {
        #[command(subcommand)]
        action: NoticeCommand,
    },
    /// The tally of a week: check-ins per kind, people served, by unit, member, site or link.
    Tally {
        /// 2026-W47, last, this, or a date inside the week (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// One unit only.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = ByArg::Unit)]
        by: ByArg,
        #[arg(long, value_enum, default_value_t = TallyFormat::Table)]
        format: TallyFormat,
    },
    /// Export check-in records (and, in xlsx, the tally) to a file.
    Export {
        /// First day (2026-11-01), in the configured zone.
        #[arg(long, requires = "to", conflicts_with = "week")]
        from: Option<String>,
        /// Last day, included.
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// A week instead of days (default: this week).
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportArg::Xlsx)]
        format: ExportArg,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the config, the environment, the database and the Bot API; print each item.
    Check,
    /// The audit log: role and status changes, invites, notices, exports.
    Audit {
        /// From this day (2026-11-01) in the configured zone.
        #[arg(long)]
        since: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write a consistent copy of the database to FILE (the bot may be running).
    Backup { file: PathBuf },
    /// Replace the database with the backup FILE (refused while a bot runs on it).
    Restore { file: PathBuf },
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

#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// Create a notice; prints its id.
    Add {
        /// The message (the caption, with --photo or --document).
        #[arg(long)]
        text: String,
        #[arg(long, conflicts_with = "document")]
        photo: Option<PathBuf>,
        #[arg(long)]
        document: Option<PathBuf>,
        /// Who: all | unit:人社局 | role:organiser | link:community (repeatable; units and
        /// links add up, roles narrow).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// Once, at this time in the configured zone: "2026-12-01 09:00".
        #[arg(long, group = "when")]
        at: Option<String>,
        /// Recurring: "0 9 * * 1", or 每周一 09:00 / 每天 08:30 / 每月1日 09:00 / 每个工作日 09:00.
        #[arg(long, group = "when")]
        cron: Option<String>,
        /// Right away.
        #[arg(long, group = "when")]
        now: bool,
        /// Members must press 「收到」.
        #[arg(long)]
        ack: bool,
        /// Policy material: a 「去宣讲」 button starts a 送政策 check-in citing it.
        #[arg(long)]
        policy: bool,
        /// Send even in quiet hours.
        #[arg(long)]
        urgent: bool,
        /// With --ack: remind the unacknowledged once after this long (24h by default; "off").
        #[arg(long)]
        remind: Option<String>,
    },
    /// List notices.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one notice.
    Show {
        id: i64,
    },
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
    Cancel {
        id: i64,
    },
    /// Receipts of the latest run: sent, failed, blocked, acknowledged, delivered onward.
    Status {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
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
pub enum ByArg {
    Unit,
    Member,
    Site,
    Link,
}

impl From<ByArg> for Grouping {
    fn from(b: ByArg) -> Grouping {
        match b {
            ByArg::Unit => Grouping::Unit,
            ByArg::Member => Grouping::Member,
            ByArg::Site => Grouping::Site,
            ByArg::Link => Grouping::Link,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TallyFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportArg {
    Xlsx,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Runs a parsed command line. User mistakes are printed politely with exit code 1.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Check = cli.command {
        return check_command(cli.config.as_deref()).await;
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            // The same lines as `sansong check`, for every setting that is wrong.
            let path = cli
                .config
                .clone()
                .or_else(|| std::env::var_os("SANSONG_CONFIG").map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_CONFIG_PATH));
            let items = crate::check::run(Config::figment(&path), &path, None).await;
            let problems: Vec<String> = items
                .iter()
                .filter_map(|i| i.outcome.as_ref().err().map(|p| format!("✗ {}：{p}", i.name)))
                .collect();
            if problems.is_empty() {
                eprintln!("配置有误：{e}");
            } else {
                eprintln!("配置有误，未启动：\n{}", problems.join("\n"));
            }
            return Ok(ExitCode::from(2));
        }
    };
    // For the wording of user errors (kinds, the undo window); the loaded config, since the
    // built-in default would read `config/holidays` from wherever the command runs.
    let wording = config.clone();
    let result = match cli.command {
        Command::Run => run_bot(config).await,
        Command::Org { action: OrgCommand::Load { file } } => org_load(config, file).await,
        Command::Org { action: OrgCommand::Show } => org_show(config).await,
        Command::Invite { unit, role, uses, expires } => {
            invite(config, unit, role.into(), uses, expires).await
        }
        Command::Members { unit, format } => list_members(config, unit, format).await,
        Command::Notice { action } => notice_command(config, action).await,
        Command::Check => unreachable_check(),
        Command::Audit { since, format } => audit_command(config, since, format).await,
        Command::Backup { file } => backup_command(config, file).await,
        Command::Restore { file } => restore_command(config, file).await,
        Command::Tally { week, unit, by, format } => tally_command(config, week, unit, by, format).await,
        Command::Export { from, to, week, unit, format, out } => {
            export_command(config, (from, to, week), unit, format, out).await
        }
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) => match e.downcast_ref::<Error>() {
            Some(Error::User(user)) => {
                eprintln!("{}", texts::user_error(user, &wording, None));
                Ok(ExitCode::FAILURE)
            }
            _ => Err(e),
        },
    }
}

async fn open(config: Config) -> anyhow::Result<Core> {
    let store = Store::open(&config.database_url).await?;
    Ok(Core::new(store, config, clock_from_env()?))
}

/// The real clock, or with `SANSONG_NOW=2026-11-30T08:59:00+08:00` the clock moved to that
/// moment (and running on from it): for drills and tests of schedules.
fn clock_from_env() -> anyhow::Result<SharedClock> {
    match std::env::var("SANSONG_NOW").ok().filter(|s| !s.trim().is_empty()) {
        None => Ok(Arc::new(SystemClock)),
        Some(at) => {
            let at = chrono::DateTime::parse_from_rfc3339(at.trim())
                .with_context(|| format!("SANSONG_NOW {at:?} is not an RFC 3339 time"))?;
            tracing::warn!(now = %at, "running with a moved clock (SANSONG_NOW)");
            Ok(Arc::new(ShiftedClock::starting_at(at.with_timezone(&chrono::Utc))))
        }
    }
}

fn token_from_env() -> Option<String> {
    std::env::var("TELOXIDE_TOKEN").ok().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
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
    // One bot per database; held until the process ends (`restore` checks it).
    let _lock = match crate::backup::lock_instance(&config.database_url) {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("无法启动：{e}（同一个数据库只能运行一个 sansong）。");
            return Ok(ExitCode::from(2));
        }
    };
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
    table.load_preset(UTF8_FULL_CONDENSED).set_header(["单位", "站点", "联系类型", "默认"]);
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
    let request = InviteRequest { unit: Some(unit), role: Some(role), uses, expires_in };
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
    let me = tokio::time::timeout(std::time::Duration::from_secs(10), bot.get_me()).await.ok()?.ok()?;
    let username = me.username.clone()?;
    let _ = core.store.set_meta(crate::store::meta::BOT_USERNAME, &username).await;
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
            let mut table = table_with(["姓名", "Telegram ID", "单位", "身份", "状态", "最近登记"]);
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
                    l.last_checkin_at.map_or_else(|| "—".into(), |t| texts::moment(t, tz)),
                ]);
            }
            println!("{table}");
            println!("共 {} 人", listing.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- notices

/// One `--to` value into the audience.
async fn add_target(core: &Core, audience: &mut Audience, to: &str) -> anyhow::Result<Result<(), String>> {
    let to = to.trim();
    let (kind, value) = to.split_once([':', '：']).unwrap_or((to, ""));
    match kind.trim().to_ascii_lowercase().as_str() {
        "all" | "全体" => audience.all = true,
        "unit" | "单位" => match members::resolve_unit(core, value).await {
            Ok(u) => audience.units.push(u.id),
            Err(Error::User(e)) => return Ok(Err(texts::user_error(&e, &core.config, None))),
            Err(e) => return Err(e.into()),
        },
        "role" | "身份" => match value.parse::<Role>() {
            Ok(r) => audience.roles.push(r),
            Err(()) => return Ok(Err(format!("--to {to}：身份应为 member、organiser 或 admin"))),
        },
        "link" | "联系类型" => match value.parse::<LinkKind>() {
            Ok(l) => audience.links.push(l),
            Err(()) => {
                return Ok(Err(format!("--to {to}：联系类型应为 village、community、enterprise 或 chamber")));
            }
        },
        _ => return Ok(Err(format!("--to {to}：应为 all、unit:单位、role:身份 或 link:联系类型"))),
    }
    Ok(Ok(()))
}

fn action_of(name: &str) -> Option<Management> {
    match name {
        "pause" => Some(Management::Pause),
        "resume" => Some(Management::Resume),
        "cancel" => Some(Management::Cancel),
        _ => None,
    }
}

async fn notice_command(config: Config, action: NoticeCommand) -> anyhow::Result<ExitCode> {
    let action_name = match &action {
        NoticeCommand::Pause { .. } => "pause",
        NoticeCommand::Resume { .. } => "resume",
        NoticeCommand::Cancel { .. } => "cancel",
        _ => "",
    };
    let core = open(config).await?;
    let tz = core.tz();
    match action {
        NoticeCommand::Add { text, photo, document, to, at, cron, now, ack, policy, urgent, remind } => {
            let mut audience = Audience::default();
            for t in &to {
                if let Err(problem) = add_target(&core, &mut audience, t).await? {
                    eprintln!("{problem}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            let when = match (at, cron, now) {
                (Some(at), _, _) => at,
                (_, Some(cron), _) => cron,
                (_, _, true) => "now".to_owned(),
                _ => {
                    eprintln!("请用 --at、--cron 或 --now 之一说明发送时间。");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let schedule = match notices::schedule::parse_schedule(&when, tz, core.now()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{}", texts::user_error(&UserError::BadSchedule(e), &core.config, None));
                    return Ok(ExitCode::FAILURE);
                }
            };
            let media = match (photo, document) {
                (Some(path), _) => Some((MediaKind::Photo, path)),
                (_, Some(path)) => Some((MediaKind::Document, path)),
                _ => None,
            };
            let media = match media {
                None => None,
                Some((kind, path)) => {
                    let bytes =
                        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                    let name = path
                        .file_name()
                        .map_or_else(|| "attachment".into(), |n| n.to_string_lossy().into_owned());
                    Some(Media { kind, file_id: None, upload: Some((name, bytes)) })
                }
            };
            let remind_after = match remind.as_deref().map(str::trim) {
                Some("off" | "no" | "none") => None,
                Some(d) => match members::parse_duration(d) {
                    Some(d) => Some(d),
                    None => {
                        eprintln!("--remind 的格式应为 24h、2d 或 off。");
                        return Ok(ExitCode::FAILURE);
                    }
                },
                None => Some(core.config.remind_after),
            };
            let draft =
                NoticeDraft { body: text, media, audience, schedule, ack, policy, urgent, remind_after };
            let notice = notices::create(&core, &Actor::Cli, &draft, None).await?;
            let size = notices::audience_size(&core, &notice.audience).await?;
            let described = notices::describe_audience(&core, &notice.audience).await?;
            let next = notice.schedule.upcoming(core.now(), 3, tz, core.calendar());
            // The id alone on stdout, for scripts; the rest for people, on stderr.
            println!("{}", notice.id);
            eprintln!("{}", texts::cli_notice_created(&notice, &described, size, &next, tz));
        }
        NoticeCommand::List { format } => {
            let all = notices::list(&core, &Actor::Cli).await?;
            match format {
                Format::Json => {
                    let rows: Vec<serde_json::Value> = all
                        .iter()
                        .map(|n| {
                            serde_json::json!({
                                "id": n.id, "status": n.status.as_str(), "schedule": texts::schedule_label(&n.schedule, tz),
                                "next_fire_at": n.next_fire_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
                                "audience": n.audience, "ack": n.ack, "policy": n.policy, "urgent": n.urgent,
                                "text": n.body,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                }
                Format::Table => {
                    let mut described = Vec::new();
                    for n in &all {
                        described.push((n, notices::describe_audience(&core, &n.audience).await?));
                    }
                    println!("{}", texts::notice_list(&described, tz));
                }
            }
        }
        NoticeCommand::Show { id } => {
            let n = notices::get(&core, &Actor::Cli, id).await?;
            let described = notices::describe_audience(&core, &n.audience).await?;
            let size = notices::audience_size(&core, &n.audience).await?;
            let next = match n.status {
                notices::NoticeStatus::Active | notices::NoticeStatus::Paused => {
                    n.next_fire_at.into_iter().collect()
                }
                _ => Vec::new(),
            };
            println!("{}", texts::cli_notice_created(&n, &described, size, &next, tz));
            println!("\n{}", n.body);
        }
        NoticeCommand::Pause { id } | NoticeCommand::Resume { id } | NoticeCommand::Cancel { id } => {
            let action = match action_of(action_name) {
                Some(a) => a,
                None => return Ok(ExitCode::FAILURE),
            };
            let notice = notices::manage(&core, &Actor::Cli, id, action).await?;
            println!("{}", texts::notice_status_changed(&notice));
        }
        NoticeCommand::Status { id, format } => {
            let (notice, report) = notices::report(&core, &Actor::Cli, id).await?;
            match format {
                Format::Table => println!("{}", texts::receipts(&notice, &report, tz)),
                Format::Json => {
                    println!("{}", serde_json::to_string_pretty(&status_json(&notice, &report, tz))?)
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status_json(n: &notices::Notice, r: &crate::store::RunReport, tz: chrono_tz::Tz) -> serde_json::Value {
    let people = |list: &[(String, String)]| -> Vec<serde_json::Value> {
        list.iter().map(|(name, unit)| serde_json::json!({"name": name, "unit": unit})).collect()
    };
    serde_json::json!({
        "notice_id": n.id,
        "status": n.status.as_str(),
        "next_fire_at": n.next_fire_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
        "run": (r.run_id > 0).then(|| serde_json::json!({
            "id": r.run_id,
            "due_at": r.due_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
            "fired_at": r.fired_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
            "targeted": r.targeted,
            "sent": r.sent,
            "pending": r.pending,
            "failed": r.failed.iter().map(|(name, unit, reason)| serde_json::json!({"name": name, "unit": unit, "reason": reason})).collect::<Vec<_>>(),
            "blocked": people(&r.blocked),
            "acknowledged": r.acknowledged,
            "not_acknowledged": people(&r.not_acknowledged),
            "reminded": r.reminded,
        })),
        "delivered_onward": {"members": r.onward_members, "sites": r.onward_sites},
    })
}

// ---------------------------------------------------------------- tallies and exports

/// A table for the terminal, fitted to its width.
fn table_with<T: Into<comfy_table::Row>>(header: T) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    table
}

/// A day given on the command line, or the polite refusal.
fn date_arg(s: &str) -> Result<chrono::NaiveDate, Error> {
    crate::week::parse_date(s)
        .ok_or_else(|| UserError::Week(crate::week::WeekError::NoSuchDate(s.to_owned())).into())
}

fn week_of(core: &Core, week: Option<&str>) -> Result<Period, UserError> {
    Ok(Period::Week(crate::week::parse_week_arg(week.unwrap_or(""), core.today())?))
}

async fn tally_command(
    config: Config,
    week: Option<String>,
    unit: Option<String>,
    by: ByArg,
    format: TallyFormat,
) -> anyhow::Result<ExitCode> {
    let core = open(config).await?;
    let period = week_of(&core, week.as_deref())?;
    let scope = tally::scope_for(&core, &Actor::Cli, unit.as_deref()).await?;
    let t = tally::tally(&core, &scope, period, by.into()).await?;
    match format {
        TallyFormat::Json => println!("{}", serde_json::to_string_pretty(&tally_json(&t, core.tz()))?),
        TallyFormat::Csv => print!("{}", tally::export::table_csv(&t)?),
        TallyFormat::Table => {
            let mut table = table_with(tally::export::table_header(&t));
            for row in t.rows.iter().chain(std::iter::once(&t.total)) {
                table.add_row(tally::export::table_cells(&t, row));
            }
            println!("{}", texts::period_label(t.period));
            println!("{table}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Rows keyed for scripts: per-kind counts under the kinds' config keys (policy, service, warmth).
fn tally_json(t: &Tally, tz: chrono_tz::Tz) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let row_json = |row: &TallyRow, is_total: bool| {
        let mut m = Map::new();
        match (t.by, is_total) {
            (_, true) => {
                m.insert("members".into(), json!(row.members.unwrap_or(0)));
            }
            (Grouping::Unit, _) => {
                m.insert("unit".into(), json!(row.label));
                m.insert("members".into(), json!(row.members.unwrap_or(0)));
            }
            (Grouping::Member, _) => {
                m.insert("telegram_id".into(), json!(row.telegram_id));
                m.insert("name".into(), json!(row.label));
                m.insert("unit".into(), json!(row.unit));
            }
            (Grouping::Site, _) => {
                m.insert("site".into(), json!(row.label));
                m.insert("unit".into(), json!(row.unit));
                m.insert("link".into(), json!(row.link.map(|l| l.as_str())));
            }
            (Grouping::Link, _) => {
                m.insert("link".into(), json!(row.link.map(|l| l.as_str())));
                m.insert("label".into(), json!(row.label));
            }
        }
        m.insert("active_members".into(), json!(row.active_members));
        for ((key, _), n) in t.kinds.iter().zip(&row.counts) {
            m.insert(key.clone(), json!(n));
        }
        if t.total.other > 0 {
            m.insert("other".into(), json!(row.other));
        }
        m.insert("people_served".into(), json!(row.people_served));
        m.insert("total".into(), json!(row.total));
        Value::Object(m)
    };
    let (from, to) = t.period.utc_range(tz);
    json!({
        "period": match t.period { Period::Week(w) => w.to_string(), p => p.slug() },
        "from": from.with_timezone(&tz).to_rfc3339(),
        "to": to.with_timezone(&tz).to_rfc3339(),
        "unit": t.scope.unit_name,
        "by": t.by.as_str(),
        "rows": t.rows.iter().map(|r| row_json(r, false)).collect::<Vec<_>>(),
        "total": row_json(&t.total, true),
    })
}

async fn export_command(
    config: Config,
    (from, to, week): (Option<String>, Option<String>, Option<String>),
    unit: Option<String>,
    format: ExportArg,
    out: PathBuf,
) -> anyhow::Result<ExitCode> {
    let core = open(config).await?;
    let period = match (from, to) {
        (Some(from), Some(to)) => {
            let (from, to) = (date_arg(&from)?, date_arg(&to)?);
            if to < from {
                eprintln!("--to ({to}) 早于 --from ({from})。");
                return Ok(ExitCode::FAILURE);
            }
            Period::Days { from, to }
        }
        _ => week_of(&core, week.as_deref())?,
    };
    let scope = tally::scope_for(&core, &Actor::Cli, unit.as_deref()).await?;
    let format = match format {
        ExportArg::Xlsx => tally::args::ExportFormat::Xlsx,
        ExportArg::Csv => tally::args::ExportFormat::Csv,
    };
    let file = tally::export::export(&core, &scope, period, format).await?;
    // Written beside the target and renamed, so a reader never sees half a file.
    let partial = out.with_extension("partial");
    std::fs::write(&partial, &file.bytes).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &out).with_context(|| format!("writing {}", out.display()))?;
    let detail = format!("{} ({} records) -> {}", file.name, file.records, out.display());
    core.store.audit(core.now(), &members::actor_label(&Actor::Cli), "export", &detail).await?;
    println!("{}：{} 条记录已写入 {}", texts::period_label(period), file.records, out.display());
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- backups

async fn backup_command(config: Config, file: PathBuf) -> anyhow::Result<ExitCode> {
    let core = open(config).await?;
    match crate::backup::backup(&core.store, &file).await {
        Ok(r) => {
            let detail = format!("{} ({} bytes, {} check-ins)", r.path.display(), r.bytes, r.checkins);
            core.store.audit(core.now(), &members::actor_label(&Actor::Cli), "backup", &detail).await?;
            println!(
                "备份完成：{}（{} 字节，{} 条登记，已通过完整性检查）",
                r.path.display(),
                r.bytes,
                r.checkins
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("备份失败：{e:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn restore_command(config: Config, file: PathBuf) -> anyhow::Result<ExitCode> {
    let now = clock_from_env()?.now();
    match crate::backup::restore(&config.database_url, &file, now).await {
        Ok((checkins, kept)) => {
            // Logged in the restored database: the log then says where its contents came from.
            let store = Store::open(&config.database_url).await?;
            let detail = format!("from {} ({checkins} check-ins)", file.display());
            store.audit(now, &members::actor_label(&Actor::Cli), "restore", &detail).await?;
            store.close().await;
            println!("已从 {} 恢复数据库（{checkins} 条登记）。", file.display());
            if let Some(old) = kept {
                println!("原数据库保留为 {}。", old.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if e.downcast_ref::<crate::backup::LockError>()
                .is_some_and(|l| matches!(l, crate::backup::LockError::Held(_)))
            {
                eprintln!(
                    "机器人正在使用这个数据库，不能恢复：请先停止机器人（systemctl stop sansong），再运行 restore。"
                );
            } else {
                eprintln!("恢复失败：{e:#}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

// ---------------------------------------------------------------- check

/// `check` is dispatched before the config is loaded (it reports on the config itself).
fn unreachable_check() -> anyhow::Result<ExitCode> {
    anyhow::bail!("the check command is handled before the config is loaded")
}

async fn check_command(explicit: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let path = explicit
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os("SANSONG_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_CONFIG_PATH));
    if !path.exists() && (explicit.is_some() || std::env::var_os("SANSONG_CONFIG").is_some()) {
        println!("✗ 配置文件：{} 不存在", path.display());
        return Ok(ExitCode::FAILURE);
    }
    let token = token_from_env();
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let env = crate::check::Environment { token: token.as_deref(), api_url: api_url.as_deref() };
    let items = crate::check::run(Config::figment(&path), &path, Some(env)).await;
    let mut failed = 0;
    for item in &items {
        match &item.outcome {
            Ok(what) => println!("✓ {}：{what}", item.name),
            Err(problem) => {
                failed += 1;
                println!("✗ {}：{problem}", item.name);
            }
        }
    }
    if failed == 0 {
        println!("全部检查通过。");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{failed} 项有问题。");
        Ok(ExitCode::FAILURE)
    }
}

// ---------------------------------------------------------------- audit

async fn audit_command(config: Config, since: Option<String>, format: Format) -> anyhow::Result<ExitCode> {
    let core = open(config).await?;
    let since = match since.as_deref() {
        None => None,
        Some(day) => Some(crate::week::local_midnight(date_arg(day)?, core.tz())),
    };
    let entries = core.store.audit_since(since).await?;
    let tz = core.tz();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "at": e.at.with_timezone(&tz).to_rfc3339(),
                        "actor": e.actor, "action": e.action, "member": e.member,
                        "before": e.before, "after": e.after, "detail": e.detail,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Table => {
            let mut table = table_with(["时间", "操作人", "操作", "对象", "之前", "之后", "说明"]);
            for e in &entries {
                table.add_row([
                    e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.member.clone().unwrap_or_default(),
                    e.before.clone().unwrap_or_default(),
                    e.after.clone().unwrap_or_default(),
                    e.detail.clone().unwrap_or_default(),
                ]);
            }
            println!("{table}");
            println!("共 {} 条", entries.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
