//! 系统 (admins): each platform's health, the deliveries waiting, recent outages, the backups
//! and 「立即备份」, the holiday calendar's years, the lines of `sansong check`, and the JSON
//! API's read-only tokens (create, shown once; list with their last use; revoke).
//!
//! Every change is a POST (origin-checked by the router's middleware) that the core carries
//! out and audits, and none does anything twice: 「立即备份」 names the newest backup the page
//! showed (a newer one by now means it was taken already), and the token form carries a
//! one-time key (the same form sent again makes no second token, and shows none). A new token
//! is shown only in the answer to the POST that made it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, core_error, render};
use crate::error::Error;
use crate::system::checks::Item;
use crate::texts::cli::{check_fine, check_name, check_problem};
use crate::texts::system as texts;
use crate::texts::web::page_url;
use crate::tokens::{self, Created};
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// A sentence on the page: news, or a problem (red).
struct Said {
    text: String,
    error: bool,
}

impl Said {
    fn of((text, error): (String, bool)) -> Said {
        Said { text, error }
    }
}

struct PlatformRow {
    name: &'static str,
    state: String,
    trouble: bool,
    last_ok: String,
    api_errors: u64,
    rate_limited: u64,
    outages: u64,
}

struct OutageRow {
    platform: &'static str,
    started: String,
    ended: String,
    length: String,
}

struct BackupRow {
    name: String,
    size: String,
    modified: String,
}

struct CheckRow {
    ok: bool,
    name: &'static str,
    said: String,
}

struct TokenRow {
    id: i64,
    name: String,
    creator: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "system.html", config = "src/web/askama.toml")]
struct SystemPage {
    chrome: Chrome,
    /// What the last POST did (after its redirect), or a problem with the token form.
    message: Option<Said>,
    platforms: Vec<PlatformRow>,
    no_platforms: &'static str,
    backlog: String,
    outages: Vec<OutageRow>,
    no_outages: &'static str,
    backup_plan: String,
    last_scheduled: Option<Said>,
    backups: Vec<BackupRow>,
    no_backups: &'static str,
    /// The newest backup listed, which 「立即备份」 names.
    newest: String,
    holiday_years: String,
    holiday_missing: Option<String>,
    checks: Vec<CheckRow>,
    checks_note: &'static str,
    tokens: Vec<TokenRow>,
    no_tokens: &'static str,
    tokens_note: &'static str,
    /// The token form's one-time key.
    form: String,
    /// The name typed, when the form comes back with a problem.
    name: String,
}

#[derive(Template)]
#[template(path = "system_token.html", config = "src/web/askama.toml")]
struct TokenPage {
    chrome: Chrome,
    /// The new token (shown this once), or why none is shown.
    token: Option<String>,
    name: String,
    said: String,
    usage: String,
}

fn check_row(item: &Item) -> CheckRow {
    let (ok, said) = match &item.outcome {
        Ok(fine) => (true, check_fine(fine)),
        Err(problem) => (false, check_problem(problem)),
    };
    CheckRow { ok, name: check_name(item.check), said }
}

/// The page, with `message` on top and the token form's name as typed.
async fn system_page(
    web: &Web,
    viewer: &Viewer,
    message: Option<(String, bool)>,
    name: String,
) -> Result<Html<String>, WebError> {
    let actor = viewer.actor();
    let core = &web.core;
    let facts = crate::system::facts(core, &actor, crate::reports::chart::font)
        .await
        .map_err(|e| core_error(web, e))?;
    let tokens = tokens::list(core, &actor).await.map_err(|e| core_error(web, e))?;
    let tz = core.tz();
    let platforms = facts
        .platforms
        .iter()
        .map(|p| PlatformRow {
            name: crate::texts::platform_label(p.platform),
            state: texts::platform_state(p.state, tz),
            trouble: texts::platform_trouble(p.state),
            last_ok: p.last_ok.map(|t| texts::local(t, tz)).unwrap_or_default(),
            api_errors: p.api_errors,
            rate_limited: p.rate_limited,
            outages: p.outages,
        })
        .collect();
    let outages = facts
        .outages
        .iter()
        .map(|o| OutageRow {
            platform: crate::texts::platform_label(o.platform),
            started: texts::local(o.started_at, tz),
            ended: o.ended_at.map(|t| texts::local(t, tz)).unwrap_or_default(),
            length: texts::outage_length(o.started_at, o.ended_at),
        })
        .collect();
    let b = &facts.backups;
    let page = SystemPage {
        chrome: Chrome::plain(viewer, "system"),
        message: message.map(Said::of),
        platforms,
        no_platforms: texts::NO_PLATFORMS,
        backlog: texts::backlog(facts.backlog),
        outages,
        no_outages: texts::NO_OUTAGES,
        backup_plan: texts::backup_plan(&b.dir, b.schedule.as_deref(), b.keep),
        last_scheduled: b
            .last_scheduled
            .as_ref()
            .map(|(due, outcome)| Said::of(texts::last_scheduled(*due, outcome, tz))),
        newest: b.files.first().map(|f| f.name.clone()).unwrap_or_default(),
        backups: b
            .files
            .iter()
            .map(|f| BackupRow {
                name: f.name.clone(),
                size: texts::size(f.bytes),
                modified: f.modified.map(|t| texts::local(t, tz)).unwrap_or_default(),
            })
            .collect(),
        no_backups: texts::NO_BACKUPS,
        holiday_years: texts::holiday_years(&facts.holidays.dir, &facts.holidays.years),
        holiday_missing: facts.holidays.missing.map(|year| texts::holiday_missing(year, &facts.holidays.dir)),
        checks: facts.checks.iter().map(check_row).collect(),
        checks_note: texts::CHECKS_NOTE,
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                creator: t.creator,
                created: texts::local(t.created_at, tz),
                last_used: t.last_used_at.map(|u| texts::local(u, tz)).unwrap_or_default(),
                revoked: t.revoked_at.map(|r| texts::local(r, tz)),
            })
            .collect(),
        no_tokens: texts::NO_TOKENS,
        tokens_note: texts::TOKENS_NOTE,
        form: tokens::form_key(),
        name,
    };
    render(&page)
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    // What the POST before the redirect did.
    let done = url::form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned());
    let message = match done.as_deref() {
        Some("backup") => Some((texts::BACKUP_DONE.to_owned(), false)),
        Some("newer") => Some((texts::BACKUP_NEWER.to_owned(), false)),
        Some("revoked") => Some((texts::TOKEN_REVOKED.to_owned(), false)),
        _ => None,
    };
    system_page(&web, &viewer, message, String::new()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct BackupForm {
    /// The newest backup the page listed (empty: none).
    #[serde(default)]
    seen: String,
}

/// 「立即备份」.
pub async fn backup(
    viewer: Viewer,
    State(web): State<Web>,
    Form(form): Form<BackupForm>,
) -> Result<Redirect, WebError> {
    let seen = Some(form.seen.trim()).filter(|s| !s.is_empty());
    let taken =
        crate::backup::take_now(&web.core, &viewer.actor(), seen).await.map_err(|e| core_error(&web, e))?;
    Ok(Redirect::to(if taken.is_some() {
        "/system?done=backup#backups"
    } else {
        "/system?done=newer#backups"
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// The form's one-time key.
    #[serde(default)]
    form: String,
}

/// 「创建令牌」: the token, shown in this answer only.
pub async fn create_token(
    viewer: Viewer,
    State(web): State<Web>,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    let created = match tokens::create(&web.core, &viewer.actor(), &form.name, &form.form).await {
        Ok(created) => created,
        // A name that cannot be one: the page again, as typed, with what to change.
        Err(Error::User(e @ crate::UserError::BadName(_))) => {
            let problem = crate::texts::errors::user_error(&e, &web.core.config, None);
            return Ok(system_page(&web, &viewer, Some((problem, true)), form.name).await?.into_response());
        }
        Err(e) => return Err(core_error(&web, e)),
    };
    let usage = texts::token_usage(&page_url(&web.core.config.public_url, "api/v1/tally"));
    let page = match created {
        Created::New { token, .. } => TokenPage {
            chrome: Chrome::plain(&viewer, "system"),
            token: Some(token),
            name: form.name.trim().to_owned(),
            said: texts::TOKEN_SHOWN_ONCE.to_owned(),
            usage,
        },
        Created::Repeated { id } => TokenPage {
            chrome: Chrome::plain(&viewer, "system"),
            token: None,
            name: form.name.trim().to_owned(),
            said: texts::token_repeated(id),
            usage,
        },
    };
    Ok(render(&page)?.into_response())
}

/// 「吊销」.
pub async fn revoke_token(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Result<Redirect, WebError> {
    // No token has id 0: an id that is not a number is "no such token" (after the role check).
    let id = id.parse::<i64>().unwrap_or(0);
    tokens::revoke(&web.core, &viewer.actor(), id).await.map_err(|e| core_error(&web, e))?;
    Ok(Redirect::to("/system?done=revoked#tokens"))
}
