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

/// What the console's 审计 page filters the log by; `None`: not filtered by it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// From this instant (included).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (excluded).
    pub to: Option<DateTime<Utc>>,
    /// Part of who did it, as the log names them: a name, an account (`tg:42`), `网页`, `cli`.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// A unit: entries about one of its members, or by one of them.
    pub unit: Option<i64>,
}

/// The member columns the audited setters may change (never a name from outside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberField {
    Role,
    Status,
    Name,
}

impl MemberField {
    /// The column, which is also the audit log's action.
    fn column(self) -> &'static str {
        match self {
            MemberField::Role => "role",
            MemberField::Status => "status",
            MemberField::Name => "name",
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

    /// Sets a member's name and logs it, in one transaction: the name before.
    pub async fn set_name_audited(
        &self,
        member_id: i64,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<String>> {
        self.set_member_audited(member_id, MemberField::Name, name, actor, now).await
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
        rows.iter().map(entry_from_row).collect()
    }
}

impl Store {
    /// The entries that pass `q`, newest first, `limit` from `offset`; and how many pass in all.
    /// An offset at or past the end is taken back to the last page's first entry (offsets are
    /// whole pages of `limit`), as the console's pager takes a page past the end back to the last.
    ///
    /// The unit is matched on the member acted on, or on the acting member: an actor is logged
    /// by name with one of their accounts (`tg:42 张三`, `网页 tg:42 张三`, see
    /// `members::actor_label`), and the number after the first `:` is that account's person id,
    /// which names its member in `accounts` (0 for `cli` and `system`, which have none).
    pub async fn audit_search(
        &self,
        q: &AuditQuery,
        offset: i64,
        limit: i64,
    ) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        const WHERE: &str = "WHERE (?1 IS NULL OR a.at >= ?1) AND (?2 IS NULL OR a.at < ?2)
               AND (?3 IS NULL OR a.actor LIKE '%' || ?3 || '%' ESCAPE '\\')
               AND (?4 IS NULL OR a.action = ?4)
               AND (?5 IS NULL OR m.unit_id = ?5 OR EXISTS (
                    SELECT 1 FROM accounts ac JOIN members am ON am.id = ac.member_id
                    WHERE am.unit_id = ?5
                      AND ac.person_id = CAST(substr(a.actor, instr(a.actor, ':') + 1) AS INTEGER)))";
        const FROM: &str = "FROM audit_log a LEFT JOIN members m ON m.id = a.member_id";
        let actor = q.actor.as_deref().map(like_escaped);
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {FROM} {WHERE}"))
            .bind(q.from.map(ts))
            .bind(q.to.map(ts))
            .bind(&actor)
            .bind(&q.action)
            .bind(q.unit)
            .fetch_one(&self.pool)
            .await?;
        // A page past the end is the last page, as the pager shows it: counted first, so that
        // the rows shown are those of the page the pager names.
        let limit = limit.max(1);
        let offset = if offset >= total && total > 0 { (total - 1) / limit * limit } else { offset.max(0) };
        let rows = sqlx::query(&format!(
            "SELECT a.at, a.actor, a.action, m.name AS member, a.before, a.after, a.detail {FROM} {WHERE}
             ORDER BY a.at DESC, a.id DESC LIMIT ?6 OFFSET ?7"
        ))
        .bind(q.from.map(ts))
        .bind(q.to.map(ts))
        .bind(&actor)
        .bind(&q.action)
        .bind(q.unit)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(entry_from_row).collect::<sqlx::Result<Vec<_>>>()?;
        Ok((entries, total))
    }

    /// Every action the log holds, for the page's filter.
    pub async fn audit_actions(&self) -> sqlx::Result<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
            .fetch_all(&self.pool)
            .await
    }
}

/// Text to find inside a `LIKE … ESCAPE '\'` pattern, its wildcards taken literally.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn entry_from_row(r: &sqlx::sqlite::SqliteRow) -> sqlx::Result<AuditEntry> {
    Ok(AuditEntry {
        at: at(r.try_get("at")?),
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        member: r.try_get("member")?,
        before: r.try_get("before")?,
        after: r.try_get("after")?,
        detail: r.try_get("detail")?,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_searched_for_in_the_actor_matches_its_wildcards_literally() {
        assert_eq!(like_escaped("网页"), "网页");
        assert_eq!(like_escaped("50%_a\\"), "50\\%\\_a\\\\");
    }
}
