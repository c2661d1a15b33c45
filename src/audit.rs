//! The audit log as the core writes and reads it: who did what, and when. Role and status
//! changes are written by [`crate::members`] inside their own transactions (with the before
//! and after); invites, notices, exports and backups are recorded here, so each is written in
//! one place whichever edge (a chat, the command line) asked for it.

use chrono::{DateTime, Utc};

use crate::core::Core;
use crate::error::Result;
use crate::members::{Actor, actor_label};
use crate::store::AuditEntry;

/// Records that `actor` did `action` (`export`, `backup`, …), with a free-text detail.
pub async fn record(core: &Core, actor: &Actor, action: &str, detail: &str) -> Result<()> {
    core.store.audit(core.now(), &actor_label(actor), action, detail).await?;
    Ok(())
}

/// The log from `since` (everything without it), oldest first.
pub async fn since(core: &Core, since: Option<DateTime<Utc>>) -> Result<Vec<AuditEntry>> {
    Ok(core.store.audit_since(since).await?)
}
