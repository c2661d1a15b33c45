//! The `sansong` command line: run the bot, load the organisation, make invites, list members,
//! manage notices, tally and export, back up and restore, check the setup, read the audit log.
//! Every command works on the same database as a running bot (SQLite WAL allows it).
//!
//! One file per verb group; this one holds the grammar (clap) and the dispatch. Each command
//! returns `Result<(), CliError>`, and [`run`] alone prints a failure and picks the exit code:
//! a person's mistake is worded as in a chat ([`crate::texts::errors::user_error`]) or by
//! [`crate::texts::cli`] and exits 1; a setup that cannot run (the config, the token, a bot
//! already on the database) exits 2; anything else is an internal error for `main` to report.

mod audit;
mod backup;
mod chat;
mod check;
mod holidays;
mod members;
mod notice;
mod org;
mod run;
mod tally;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::clock::{SharedClock, ShiftedClock, SystemClock};
use crate::config::Config;
use crate::core::Core;
use crate::domain::{Grouping, Role};
use crate::error::{Error, UserError};
use crate::store::Store;
use crate::texts;

#[derive(Debug, Parser)]
#[command(
    name = "sansong",
    version,
    about = "“三送”活动登记助手：a chat bot (DingTalk, WeCom, Telegram, the terminal) and a web console for the 三送 campaign"
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
    /// Run sansong: the web console (web_addr, default 127.0.0.1:8080) and every configured
    /// chat platform — DingTalk (SANSONG_DINGTALK_CLIENT_ID and _SECRET), WeCom
    /// (SANSONG_WECOM_BOT_ID and _SECRET), Telegram (TELOXIDE_TOKEN). With no platform set, the
    /// console alone.
    Run,
    /// A one-time link (10 minutes) that logs the organiser or admin NAME in to the console.
    Login { name: String },
    /// Chat with the bot in this terminal, as the person NAME (no account, no network):
    /// type as in a chat app; a number picks an option. Exports are saved in --files.
    Chat {
        #[arg(long = "as", value_name = "NAME")]
        name: String,
        /// Where exported files are saved.
        #[arg(long, default_value = ".")]
        files: PathBuf,
    },
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
    /// The official holiday calendar: show a year, or import the State Council's notice.
    Holidays {
        #[command(subcommand)]
        action: HolidaysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum HolidaysCommand {
    /// List a year's days off and make-up working days (调休上班); this year by default.
    Show { year: Option<i32> },
    /// Read the State Council's notice (国务院办公厅关于YYYY年部分节假日安排的通知, pasted as plain
    /// text), print what it says, and write YYYY.toml into holidays_dir once confirmed.
    Import {
        file: PathBuf,
        /// Write without asking.
        #[arg(long)]
        yes: bool,
        /// The year, when the text has no title line naming it.
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Load units and sites from a TOML file (see config/org.example.toml).
    Load { file: PathBuf },
    /// Show the units and sites in the database.
    Show,
    /// List the DingTalk address book's departments (ids, member counts, those already a
    /// unit's), to write a unit's `dingtalk_departments`.
    Dingtalk,
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

/// Why a command did not succeed: the command line's one error path.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The person's mistake, as the core reports it (exit 1).
    #[error("{0}")]
    User(UserError),
    /// Something the command line itself refused or could not do, worded for the person
    /// (exit 1): a malformed option, a file with problems, a backup that failed its check.
    #[error("{0}")]
    Refused(String),
    /// The setup does not allow running at all (exit 2): the config, the token, a bot already
    /// running on the database.
    #[error("{0}")]
    Setup(String),
    /// The command has already said what went wrong (`check`'s ✗ lines): exit 1.
    #[error("reported")]
    Reported,
    /// Anything else: a bug or the machine (reported by `main` with its context).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        match e {
            Error::User(u) => CliError::User(u),
            other => CliError::Internal(other.into()),
        }
    }
}

impl From<UserError> for CliError {
    fn from(e: UserError) -> Self {
        CliError::User(e)
    }
}

impl From<sqlx::Error> for CliError {
    fn from(e: sqlx::Error) -> Self {
        CliError::Internal(e.into())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Internal(e.into())
    }
}

/// What a command returns.
pub type CliResult = Result<(), CliError>;

/// Runs a parsed command line: the one place a failure is printed and turned into an exit code.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let result = match cli.command {
        // `check` reports on the config itself, so it runs before (and without) loading it.
        Command::Check => check::check(cli.config.as_deref()).await,
        command => match load_config(cli.config.clone()).await {
            Ok(config) => {
                // For the wording of user errors (kinds, the undo window): the loaded config.
                let wording = config.clone();
                let result = dispatch(config, command).await;
                if let Err(CliError::User(e)) = &result {
                    eprintln!("{}", texts::errors::user_error(e, &wording, None));
                    return Ok(ExitCode::FAILURE);
                }
                result
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // Without a loaded config (only `check` gets here), the built-in wording.
        Err(CliError::User(e)) => {
            eprintln!("{}", texts::errors::user_error(&e, &Config::default(), None));
            Ok(ExitCode::FAILURE)
        }
        Err(CliError::Refused(why)) => {
            eprintln!("{why}");
            Ok(ExitCode::FAILURE)
        }
        Err(CliError::Reported) => Ok(ExitCode::FAILURE),
        Err(CliError::Setup(why)) => {
            eprintln!("{why}");
            Ok(ExitCode::from(2))
        }
        Err(CliError::Internal(e)) => Err(e),
    }
}

async fn dispatch(config: Config, command: Command) -> CliResult {
    match command {
        Command::Run => run::run_bot(config).await,
        Command::Chat { name, files } => chat::chat(config, name, files).await,
        Command::Org { action: OrgCommand::Load { file } } => org::load(config, file).await,
        Command::Org { action: OrgCommand::Show } => org::show(config).await,
        Command::Org { action: OrgCommand::Dingtalk } => org::dingtalk(config).await,
        Command::Invite { unit, role, uses, expires } => {
            members::invite(config, unit, role.into(), uses, expires).await
        }
        Command::Members { unit, format } => members::list(config, unit, format).await,
        Command::Login { name } => members::login(config, name).await,
        Command::Notice { action } => notice::notice(config, action).await,
        Command::Audit { since, format } => audit::audit(config, since, format).await,
        Command::Backup { file } => backup::backup(config, file).await,
        Command::Restore { file } => backup::restore(config, file).await,
        Command::Tally { week, unit, by, format } => tally::tally(config, week, unit, by, format).await,
        Command::Export { from, to, week, unit, format, out } => {
            tally::export(config, (from, to, week), unit, format, out).await
        }
        Command::Holidays { action: HolidaysCommand::Show { year } } => holidays::show(config, year).await,
        Command::Holidays { action: HolidaysCommand::Import { file, yes, year } } => {
            holidays::import(config, file, yes, year).await
        }
        Command::Check => check::check(None).await,
    }
}

/// The config file named on the command line or in `SANSONG_CONFIG`, or the default one.
fn config_path(explicit: Option<&std::path::Path>) -> PathBuf {
    explicit
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os("SANSONG_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_CONFIG_PATH))
}

/// The config, or the same lines as `sansong check` for every setting that is wrong.
async fn load_config(explicit: Option<PathBuf>) -> Result<Config, CliError> {
    match Config::load(explicit.as_deref()) {
        Ok(c) => Ok(c),
        Err(e) => {
            let path = config_path(explicit.as_deref());
            let font = crate::reports::chart::font;
            let checked = crate::system::checks::settings(Config::figment(&path), &path, None, font).await;
            let problems: Vec<String> =
                checked.items.iter().filter(|i| i.outcome.is_err()).map(texts::cli::check_line).collect();
            Err(CliError::Setup(texts::cli::config_refused(&e.to_string(), &problems)))
        }
    }
}

async fn open(config: Config) -> Result<Core, CliError> {
    let store = Store::open(&config.database_url).await?;
    Ok(Core::new(store, config, clock_from_env()?, crate::platform_limits()))
}

/// The real clock, or with `SANSONG_NOW=2026-11-30T08:59:00+08:00` the clock moved to that
/// moment (and running on from it): for drills and tests of schedules.
fn clock_from_env() -> Result<SharedClock, CliError> {
    match std::env::var("SANSONG_NOW").ok().filter(|s| !s.trim().is_empty()) {
        None => Ok(Arc::new(SystemClock)),
        Some(at) => {
            let at = chrono::DateTime::parse_from_rfc3339(at.trim())
                .map_err(|_| CliError::Setup(texts::cli::bad_now(&at)))?;
            tracing::warn!(now = %at, "running with a moved clock (SANSONG_NOW)");
            Ok(Arc::new(ShiftedClock::starting_at(at.with_timezone(&chrono::Utc))))
        }
    }
}

/// The Telegram token from the environment (never from a file, never printed).
fn token_from_env() -> Option<String> {
    std::env::var("TELOXIDE_TOKEN").ok().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

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
fn date_arg(s: &str) -> Result<chrono::NaiveDate, CliError> {
    crate::week::parse_date(s)
        .ok_or_else(|| UserError::Week(crate::week::WeekError::NoSuchDate(s.to_owned())).into())
}
