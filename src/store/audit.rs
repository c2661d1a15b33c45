//! The audit log: privileged actions, written in the same transaction as the change itself.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};
use crate::domain::{MemberStatus, Role};

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub member: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: Option<String>,
}

/// The member columns the audited setters may change (never a name from outside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberField {
    Role,
    Status,
}

impl MemberField {
    /// The column, which is also the audit log's action.
    fn column(self) -> &'static str {
        match self {
            MemberField::Role => "role",
            MemberField::Status => "status",
        }
    }
}

impl Store {
    /// Sets a member's role and logs it, in one transaction: the roles before and after, or
    /// `None` if the member is gone.
    pub async fn set_role_audited(
        &self,
        member_id: i64,
        role: Role,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<(Role, Role)>> {
        let before = self.set_member_audited(member_id, MemberField::Role, role.as_str(), actor, now).await?;
        Ok(before.map(|b| (b.parse().unwrap_or(Role::Member), role)))
    }

    /// Sets a member's status and logs it, in one transaction: the status before.
    pub async fn set_status_audited(
        &self,
        member_id: i64,
        status: MemberStatus,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<String>> {
        self.set_member_audited(member_id, MemberField::Status, status.as_str(), actor, now).await
    }

    async fn set_member_audited(
        &self,
        member_id: i64,
        field: MemberField,
        value: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<String>> {
        let column = field.column();
        let mut tx = self.write_tx().await?;
        let before: Option<String> =
            sqlx::query_scalar(&format!("SELECT {column} FROM members WHERE id = ?"))
                .bind(member_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(before) = before else { return Ok(None) };
        sqlx::query(&format!("UPDATE members SET {column} = ? WHERE id = ?"))
            .bind(value)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        insert(&mut tx, now, actor, column, Some(member_id), Some(&before), Some(value), None).await?;
        if field == MemberField::Status && value == MemberStatus::Inactive.as_str() {
            // A deactivated member gets no more notices: not even those already queued.
            super::outbox::close_pending(&mut tx, "member_id = ?", member_id, super::outbox::REASON_INACTIVE)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(before))
    }

    /// Logs an action that is not a member change (an invite, a notice, an export).
    pub async fn audit(
        &self,
        now: DateTime<Utc>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> sqlx::Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, now, actor, action, None, None, None, Some(detail)).await
    }

    /// Logs a change of something other than a member (a notice's status): before and after.
    pub async fn audit_change(
        &self,
        now: DateTime<Utc>,
        actor: &str,
        action: &str,
        before: &str,
        after: &str,
        detail: &str,
    ) -> sqlx::Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, now, actor, action, None, Some(before), Some(after), Some(detail)).await
    }

    /// The log since `since` (all if `None`), oldest first.
    pub async fn audit_since(&self, since: Option<DateTime<Utc>>) -> sqlx::Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT a.at, a.actor, a.action, m.name AS member, a.before, a.after, a.detail
             FROM audit_log a LEFT JOIN members m ON m.id = a.member_id
             WHERE a.at >= ? ORDER BY a.at, a.id",
        )
        .bind(since.map_or(0, ts))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: at(r.try_get("at")?),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    member: r.try_get("member")?,
                    before: r.try_get("before")?,
                    after: r.try_get("after")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert(
    conn: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    member_id: Option<i64>,
    before: Option<&str>,
    after: Option<&str>,
    detail: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, member_id, before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(ts(now))
    .bind(actor)
    .bind(action)
    .bind(member_id)
    .bind(before)
    .bind(after)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}
