//! The web console's tables: one-time links, sessions, kept check-in photos; and the reads only
//! the console makes (check-in records page by page, site coverage by week, the trend of kinds).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::members::{MEMBER_COLUMNS, member_from_row};
use super::tally::units_param;
use super::{Store, at, ts};
use crate::domain::ExportRow;
use crate::domain::{Member, Role};

/// What a one-time link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A session for a member.
    Login,
    /// The first admin's set-up.
    Setup,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Login => "login",
            LinkPurpose::Setup => "setup",
        }
    }
}

/// A one-time link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebLink {
    pub purpose: LinkPurpose,
    pub member_id: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// Where the first admin belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupUnit {
    Existing(i64),
    New(String),
}

/// What spending the set-up link did.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupDone {
    Created(Member),
    /// Spent already, expired, or not a set-up link.
    LinkGone,
    /// Someone is admin already: set-up is over.
    AdminExists,
    /// The account (the name's terminal account) belongs to a member already.
    NameTaken,
}

/// The filters of the check-in records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFilter {
    pub units: Option<Vec<i64>>,
    pub site: Option<i64>,
    pub kind: Option<String>,
    pub member: Option<i64>,
}

impl Store {
    pub async fn web_link_insert(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        member_id: Option<i64>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO web_links (token_hash, purpose, member_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(member_id)
        .bind(ts(now))
        .bind(ts(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A link by its token's hash, read without changing it (opening a link spends nothing).
    pub async fn web_link(&self, token_hash: &str) -> sqlx::Result<Option<WebLink>> {
        let row =
            sqlx::query("SELECT purpose, member_id, expires_at, used_at FROM web_links WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            let purpose: String = r.try_get("purpose")?;
            Ok(WebLink {
                purpose: if purpose == "setup" { LinkPurpose::Setup } else { LinkPurpose::Login },
                member_id: r.try_get("member_id")?,
                expires_at: at(r.try_get("expires_at")?),
                used: r.try_get::<Option<i64>, _>("used_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// Whether an unspent, unexpired set-up link exists.
    pub async fn open_setup_link_exists(&self, now: DateTime<Utc>) -> sqlx::Result<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM web_links WHERE purpose = 'setup' AND used_at IS NULL AND expires_at > ?)",
        )
        .bind(ts(now))
        .fetch_one(&self.pool)
        .await
    }

    /// Spends a login link and opens a session with `session_hash`, in one transaction: the
    /// member it was for, or `None` when it was spent, expired or unknown (nothing written).
    pub async fn spend_login_link(
        &self,
        token_hash: &str,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        let member: Option<i64> = sqlx::query_scalar(
            "UPDATE web_links SET used_at = ?1
             WHERE token_hash = ?2 AND purpose = 'login' AND used_at IS NULL AND expires_at > ?1
             RETURNING member_id",
        )
        .bind(ts(now))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(member_id) = member else { return Ok(None) };
        insert_session(&mut tx, session_hash, member_id, now).await?;
        tx.commit().await?;
        Ok(Some(member_id))
    }

    /// Opens a session for a member whose identity a platform vouched for (DingTalk's
    /// workbench login): no link to spend.
    pub async fn open_session(
        &self,
        session_hash: &str,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.write_tx().await?;
        insert_session(&mut tx, session_hash, member_id, now).await?;
        tx.commit().await
    }

    /// Spends the set-up link, creates the first admin on the account `person_id` (the name's
    /// terminal account) in `unit`, and opens a session, all in one transaction.
    pub async fn setup_first_admin(
        &self,
        token_hash: &str,
        name: &str,
        unit: &SetupUnit,
        person_id: i64,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<SetupDone> {
        let mut tx = self.write_tx().await?;
        let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE role = 'admin'")
            .fetch_one(&mut *tx)
            .await?;
        if admins > 0 {
            return Ok(SetupDone::AdminExists);
        }
        let spent = sqlx::query(
            "UPDATE web_links SET used_at = ?1
             WHERE token_hash = ?2 AND purpose = 'setup' AND used_at IS NULL AND expires_at > ?1",
        )
        .bind(ts(now))
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() == 0 {
            return Ok(SetupDone::LinkGone);
        }
        let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE person_id = ?)")
            .bind(person_id)
            .fetch_one(&mut *tx)
            .await?;
        if taken {
            return Ok(SetupDone::NameTaken);
        }
        let unit_id: i64 = match unit {
            SetupUnit::Existing(id) => *id,
            SetupUnit::New(name) => {
                sqlx::query_scalar(
                    "INSERT INTO units (name, created_at) VALUES (?, ?)
                     ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
                )
                .bind(name)
                .bind(ts(now))
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let member_id: i64 = sqlx::query_scalar(
            "INSERT INTO members (registered_as, reached_on, name, unit_id, role, registered_at)
             VALUES (?1, ?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .bind(person_id)
        .bind(name)
        .bind(unit_id)
        .bind(Role::Admin.as_str())
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO accounts (person_id, platform, member_id, linked_at) VALUES (?, 'terminal', ?, ?)",
        )
        .bind(person_id)
        .bind(member_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        super::audit::insert(
            &mut tx,
            now,
            &format!("web {name}"),
            "setup",
            Some(member_id),
            None,
            Some(Role::Admin.as_str()),
            Some("网页：首位管理员"),
        )
        .await?;
        insert_session(&mut tx, session_hash, member_id, now).await?;
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id WHERE m.id = ?"
        ))
        .bind(member_id)
        .fetch_one(&mut *tx)
        .await?;
        let member = member_from_row(&row)?;
        tx.commit().await?;
        Ok(SetupDone::Created(member))
    }

    /// The member of a live session (not ended, used within `idle`), marking it used now.
    /// Their role and status are read afresh: a change applies to the next request. The mark
    /// is written at most once a minute, so reading pages does not wait on a commit each time.
    pub async fn session_member(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> sqlx::Result<Option<Member>> {
        let session: Option<(i64, i64)> = sqlx::query_as(
            "SELECT member_id, last_seen_at FROM web_sessions
             WHERE token_hash = ? AND ended_at IS NULL AND last_seen_at > ?",
        )
        .bind(session_hash)
        .bind(ts(now - idle))
        .fetch_optional(&self.pool)
        .await?;
        let Some((member_id, last_seen)) = session else { return Ok(None) };
        if ts(now) - last_seen >= SESSION_MARK_SECS {
            sqlx::query("UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?")
                .bind(ts(now))
                .bind(session_hash)
                .execute(&self.pool)
                .await?;
        }
        self.member_by_id(member_id).await
    }

    pub async fn end_session(&self, session_hash: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE web_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL")
            .bind(ts(now))
            .bind(session_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn admin_exists(&self) -> sqlx::Result<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE role = 'admin')")
            .fetch_one(&self.pool)
            .await
    }

    /// A check-in's photo: its platform file id, its unit, and the bytes if kept already.
    pub async fn checkin_photo(&self, checkin_id: i64) -> sqlx::Result<Option<PhotoRow>> {
        let row = sqlx::query(
            "SELECT c.photo_file_id, c.unit_id, p.content_type, p.bytes
             FROM checkins c LEFT JOIN checkin_photos p ON p.checkin_id = c.id
             WHERE c.id = ? AND c.photo_file_id IS NOT NULL AND c.deleted_at IS NULL",
        )
        .bind(checkin_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let content_type: Option<String> = r.try_get("content_type")?;
            let bytes: Option<Vec<u8>> = r.try_get("bytes")?;
            Ok(PhotoRow {
                file_id: r.try_get("photo_file_id")?,
                unit_id: r.try_get("unit_id")?,
                kept: content_type.zip(bytes),
            })
        })
        .transpose()
    }

    pub async fn keep_checkin_photo(
        &self,
        checkin_id: i64,
        content_type: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO checkin_photos (checkin_id, content_type, bytes, fetched_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (checkin_id) DO NOTHING",
        )
        .bind(checkin_id)
        .bind(content_type)
        .bind(bytes)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counted check-ins sent in `[from, to)` that pass `filter`, newest first, `limit` from
    /// `offset`; and how many there are in all.
    pub async fn checkin_records(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &RecordFilter,
        offset: i64,
        limit: i64,
    ) -> sqlx::Result<(Vec<ExportRow>, i64)> {
        const WHERE: &str = "WHERE c.sent_at >= ?1 AND c.sent_at < ?2 AND c.deleted_at IS NULL
               AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3)))
               AND (?4 IS NULL OR c.site_id = ?4) AND (?5 IS NULL OR c.kind = ?5)
               AND (?6 IS NULL OR c.member_id = ?6)";
        let units = units_param(filter.units.as_deref());
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM checkins c {WHERE}"))
            .bind(ts(from))
            .bind(ts(to))
            .bind(&units)
            .bind(filter.site)
            .bind(&filter.kind)
            .bind(filter.member)
            .fetch_one(&self.pool)
            .await?;
        let sql = format!(
            "{} {WHERE} ORDER BY c.sent_at DESC, c.id DESC LIMIT ?7 OFFSET ?8",
            super::tally::EXPORT_SELECT
        );
        let rows = sqlx::query(&sql)
            .bind(ts(from))
            .bind(ts(to))
            .bind(&units)
            .bind(filter.site)
            .bind(&filter.kind)
            .bind(filter.member)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let rows = rows.iter().map(super::tally::export_row).collect::<sqlx::Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// Counted check-ins at each site, week and kind for the weeks `first..=last` (keys), in
    /// the units (all if `None`): (site, week key, kind, count).
    pub async fn site_weeks(
        &self,
        first: i64,
        last: i64,
        units: Option<&[i64]>,
    ) -> sqlx::Result<Vec<(i64, i64, String, i64)>> {
        sqlx::query_as(
            "SELECT c.site_id, c.week, c.kind, COUNT(*) FROM checkins c
             WHERE c.week BETWEEN ?1 AND ?2 AND c.deleted_at IS NULL AND c.site_id IS NOT NULL
               AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3)))
             GROUP BY c.site_id, c.week, c.kind",
        )
        .bind(first)
        .bind(last)
        .bind(units_param(units))
        .fetch_all(&self.pool)
        .await
    }

    /// Counted check-ins of each week and kind for the weeks `first..=last` (keys), in the
    /// units (all if `None`): (week key, kind, count).
    pub async fn week_kinds(
        &self,
        first: i64,
        last: i64,
        units: Option<&[i64]>,
    ) -> sqlx::Result<Vec<(i64, String, i64)>> {
        sqlx::query_as(
            "SELECT c.week, c.kind, COUNT(*) FROM checkins c
             WHERE c.week BETWEEN ?1 AND ?2 AND c.deleted_at IS NULL
               AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3)))
             GROUP BY c.week, c.kind",
        )
        .bind(first)
        .bind(last)
        .bind(units_param(units))
        .fetch_all(&self.pool)
        .await
    }
}

/// How stale a session's last use may be before a request marks it again.
const SESSION_MARK_SECS: i64 = 60;

/// A check-in's photo (see [`Store::checkin_photo`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub file_id: String,
    pub unit_id: i64,
    /// (content type, bytes), once fetched.
    pub kept: Option<(String, Vec<u8>)>,
}

async fn insert_session(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    session_hash: &str,
    member_id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO web_sessions (token_hash, member_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
    )
    .bind(session_hash)
    .bind(member_id)
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
