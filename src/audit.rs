//! The audit log as the core writes and reads it: who did what, and when. Role and status
//! changes are written by [`crate::members`] inside their own transactions (with the before
//! and after); invites, notices, exports and backups are recorded here, so each is written in
//! one place whichever edge (a chat, the command line, the console) asked for it.
//!
//! Admins read it on the console's 审计 page ([`search`]), filtered by day, actor, action and
//! unit.

use chrono::{DateTime, NaiveDate, Utc};

use crate::core::Core;
use crate::error::Result;
use crate::members::{Actor, actor_label, require_admin, resolve_unit};
use crate::store::{AuditEntry, AuditQuery};

/// Records that `actor` did `action` (`export`, `backup`, …), with a free-text detail.
pub async fn record(core: &Core, actor: &Actor, action: &str, detail: &str) -> Result<()> {
    core.store.audit(core.now(), &actor_label(actor), action, detail).await?;
    Ok(())
}

/// The log from `since` (everything without it), oldest first.
pub async fn since(core: &Core, since: Option<DateTime<Utc>>) -> Result<Vec<AuditEntry>> {
    Ok(core.store.audit_since(since).await?)
}

/// What the 审计 page filters by; each `None` (or empty) is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// From this day (in the configured zone), included.
    pub from: Option<NaiveDate>,
    /// To this day, included.
    pub to: Option<NaiveDate>,
    /// Part of who did it: a name, `网页`, `cli`, an account such as `tg:42`.
    pub actor: Option<String>,
    /// An action as logged (`role`, `invite`, `backup`, …).
    pub action: Option<String>,
    /// A unit's name: entries about one of its members, or done by one of them (as their
    /// unit is now).
    pub unit: Option<String>,
}

/// A page of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// How many entries pass the filter in all.
    pub total: i64,
}

/// Where an action was done, as its actor is logged (see [`actor_label`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The web console (`网页 …`; the first admin's set-up is `web <name>`).
    Web,
    /// The command line on the server.
    Cli,
    /// The bot itself (a schedule, the outage watch).
    System,
    /// A chat on one of the platforms.
    Chat,
}

/// Where the actor `label` acted.
pub fn via(label: &str) -> Via {
    if label.starts_with("网页 ") || label.starts_with("web ") {
        Via::Web
    } else if label == "cli" {
        Via::Cli
    } else if label == "system" || label.starts_with("system:") {
        Via::System
    } else {
        Via::Chat
    }
}

/// Admins (and the command line): the entries that pass `filter`, newest first, `per_page` a
/// page from page `page` (from 1). An unknown unit is a polite refusal naming it.
pub async fn search(
    core: &Core,
    actor: &Actor,
    filter: &AuditFilter,
    page: u32,
    per_page: u32,
) -> Result<AuditPage> {
    require_admin(actor)?;
    let tz = core.tz();
    let unit = match filter.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(name) => Some(resolve_unit(core, name).await?.id),
        None => None,
    };
    let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let query = AuditQuery {
        from: filter.from.map(|d| crate::week::local_midnight(d, tz)),
        to: filter.to.and_then(|d| d.succ_opt()).map(|d| crate::week::local_midnight(d, tz)),
        actor: given(&filter.actor),
        action: given(&filter.action),
        unit,
    };
    let per_page = i64::from(per_page.max(1));
    let offset = i64::from(page.max(1) - 1) * per_page;
    let (entries, total) = core.store.audit_search(&query, offset, per_page).await?;
    Ok(AuditPage { entries, total })
}

/// Admins: every action the log holds, for the filter's choices.
pub async fn actions(core: &Core, actor: &Actor) -> Result<Vec<String>> {
    require_admin(actor)?;
    Ok(core.store.audit_actions().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_an_action_was_done_is_read_from_how_its_actor_is_logged() {
        assert_eq!(via("网页 tg:42 韩管理"), Via::Web);
        assert_eq!(via("web 钱管理"), Via::Web);
        assert_eq!(via("cli"), Via::Cli);
        assert_eq!(via("system"), Via::System);
        assert_eq!(via("tg:42 韩管理"), Via::Chat);
        assert_eq!(via("dt:1152921504606846977 王五"), Via::Chat);
    }
}
