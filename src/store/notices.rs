//! Notices and their runs: a run is one firing of a notice, with a delivery per member it
//! targets (the deliveries themselves are in [`super::outbox`]).

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::members::PREFERRED_ACCOUNT;
use super::outbox::{REASON_CANCELLED, close_pending};
use super::{Store, at, ms, ts};
use crate::domain::NewNotice;

/// A notice row as stored (audience and schedule as JSON; the core gives them types).
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRow {
    pub id: i64,
    pub created_by: String,
    pub creator_member_id: Option<i64>,
    pub body: String,
    pub media_kind: Option<String>,
    pub media_file_id: Option<String>,
    pub media_name: Option<String>,
    pub has_upload: bool,
    pub audience: String,
    pub schedule: String,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub ack_required: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind_after_secs: Option<i64>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// Who a run targets: members of these units (all units if `None`), with these roles (any if empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub unit_ids: Option<Vec<i64>>,
    pub roles: Vec<String>,
    /// Only these members (for reminders addressed to people by name), if set.
    pub member_ids: Option<Vec<i64>>,
}

const NOTICE_COLUMNS: &str = "id, created_by, creator_member_id, body, media_kind, media_file_id, media_name,
    media_bytes IS NOT NULL AS has_upload, audience, schedule, next_fire_at, ack_required, policy, urgent,
    remind_after_secs, status, created_at";

fn notice_from_row(r: &SqliteRow) -> sqlx::Result<NoticeRow> {
    Ok(NoticeRow {
        id: r.try_get("id")?,
        created_by: r.try_get("created_by")?,
        creator_member_id: r.try_get("creator_member_id")?,
        body: r.try_get("body")?,
        media_kind: r.try_get("media_kind")?,
        media_file_id: r.try_get("media_file_id")?,
        media_name: r.try_get("media_name")?,
        has_upload: r.try_get::<i64, _>("has_upload")? != 0,
        audience: r.try_get("audience")?,
        schedule: r.try_get("schedule")?,
        next_fire_at: r.try_get::<Option<i64>, _>("next_fire_at")?.map(at),
        ack_required: r.try_get::<i64, _>("ack_required")? != 0,
        policy: r.try_get::<i64, _>("policy")? != 0,
        urgent: r.try_get::<i64, _>("urgent")? != 0,
        remind_after_secs: r.try_get("remind_after_secs")?,
        status: r.try_get("status")?,
        created_at: at(r.try_get("created_at")?),
    })
}

/// Inserts a notice unless its source key was used before; the new id, if it inserted.
pub(super) async fn insert_notice_on(
    conn: &mut sqlx::SqliteConnection,
    n: &NewNotice,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO notices (created_by, creator_member_id, body, media_kind, media_file_id, media_name, media_bytes,
                              audience, schedule, next_fire_at, ack_required, policy, urgent, remind_after_secs,
                              status, created_at, source_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)
         ON CONFLICT (source_key) DO NOTHING RETURNING id",
    )
    .bind(&n.created_by)
    .bind(n.creator_member_id)
    .bind(&n.body)
    .bind(&n.media_kind)
    .bind(&n.media_file_id)
    .bind(&n.media_name)
    .bind(&n.media_bytes)
    .bind(&n.audience)
    .bind(&n.schedule)
    .bind(n.next_fire_at.map(ts))
    .bind(i64::from(n.ack_required))
    .bind(i64::from(n.policy))
    .bind(i64::from(n.urgent))
    .bind(n.remind_after_secs)
    .bind(ts(now))
    .bind(&n.source_key)
    .fetch_optional(&mut *conn)
    .await
}

/// The member filter of a run, as SQL over `members m` with three JSON parameters.
const TARGET_FILTER: &str = "m.status = 'active'
    AND (?1 IS NULL OR m.unit_id IN (SELECT value FROM json_each(?1)))
    AND (json_array_length(?2) = 0 OR m.role IN (SELECT value FROM json_each(?2)))
    AND (?3 IS NULL OR m.id IN (SELECT value FROM json_each(?3)))";

fn target_params(target: &Target) -> (Option<String>, String, Option<String>) {
    let units = target.unit_ids.as_ref().map(|u| serde_json::Value::from(u.clone()).to_string());
    let roles = serde_json::Value::from(target.roles.clone()).to_string();
    let members = target.member_ids.as_ref().map(|m| serde_json::Value::from(m.clone()).to_string());
    (units, roles, members)
}

/// A person's change of a notice's status, as [`Store::change_notice_status`] makes it.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub id: i64,
    /// The status it was read with: nothing changes if another change came first.
    pub from: &'a str,
    pub to: &'a str,
    pub next_fire_at: Option<DateTime<Utc>>,
    /// Hand the notice to this member (`Some(None)`: the command line), as a resume does.
    pub owner: Option<Option<i64>>,
    pub actor: &'a str,
    pub detail: &'a str,
}

impl Store {
    pub async fn insert_notice(&self, n: &NewNotice, now: DateTime<Utc>) -> sqlx::Result<NoticeRow> {
        Ok(self.insert_notice_once(n, now, None).await?.0)
    }

    /// Inserts a notice, or finds the one its `source_key` made before: the row, and whether
    /// it is new (a form sent twice, a redelivered press: not new, nothing to audit again).
    /// With `audit` (the actor), a new notice's audit line is written in the same transaction.
    pub async fn insert_notice_once(
        &self,
        n: &NewNotice,
        now: DateTime<Utc>,
        audit: Option<&str>,
    ) -> sqlx::Result<(NoticeRow, bool)> {
        let mut tx = self.write_tx().await?;
        let id = insert_notice_on(&mut tx, n, now).await?;
        if let (Some(id), Some(actor)) = (id, audit) {
            let detail = format!("notice #{id} created");
            super::audit::insert(&mut tx, now, actor, "notice", None, None, None, Some(&detail)).await?;
        }
        tx.commit().await?;
        let row = match id {
            Some(id) => {
                sqlx::query(&format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?"))
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?
            }
            // Nothing inserted: the same source message made it before.
            None => {
                sqlx::query(&format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE source_key = ?"))
                    .bind(&n.source_key)
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok((notice_from_row(&row)?, id.is_some()))
    }

    pub async fn notice_id_by_key(&self, source_key: &str) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar("SELECT id FROM notices WHERE source_key = ?")
            .bind(source_key)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn notice(&self, id: i64) -> sqlx::Result<Option<NoticeRow>> {
        sqlx::query(&format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(notice_from_row)
            .transpose()
    }

    /// The notices still to send (active or paused), all of them or one member's, oldest
    /// first: what an agenda is made of.
    pub async fn open_notices(&self, creator_member_id: Option<i64>) -> sqlx::Result<Vec<NoticeRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices
             WHERE (?1 IS NULL OR creator_member_id = ?1) AND created_by NOT LIKE 'system:%'
               AND status IN ('active', 'paused')
             ORDER BY id"
        ))
        .bind(creator_member_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice_from_row).collect()
    }

    /// Notices, newest first: all of them, or those one member created.
    pub async fn list_notices(
        &self,
        creator_member_id: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<NoticeRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices
             WHERE (?1 IS NULL OR creator_member_id = ?1) AND created_by NOT LIKE 'system:%'
             ORDER BY id DESC LIMIT ?2"
        ))
        .bind(creator_member_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice_from_row).collect()
    }

    /// Changes a notice's status if it still has the status it was read with, with its new
    /// owner and the audit line, in one transaction. Cancelling also closes its deliveries not
    /// yet sent. `false`: it had changed meanwhile (a firing, another person), nothing written.
    pub async fn change_notice_status(&self, c: &StatusChange<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed =
            sqlx::query("UPDATE notices SET status = ?, next_fire_at = ? WHERE id = ? AND status = ?")
                .bind(c.to)
                .bind(c.next_fire_at.map(ts))
                .bind(c.id)
                .bind(c.from)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !changed {
            return Ok(false);
        }
        if let Some(owner) = c.owner {
            sqlx::query("UPDATE notices SET creator_member_id = ? WHERE id = ?")
                .bind(owner)
                .bind(c.id)
                .execute(&mut *tx)
                .await?;
        }
        if c.to == "cancelled" {
            close_pending(
                &mut tx,
                "run_id IN (SELECT id FROM notice_runs WHERE notice_id = ?)",
                c.id,
                REASON_CANCELLED,
            )
            .await?;
        }
        super::audit::insert(&mut tx, now, c.actor, "notice", None, Some(c.from), Some(c.to), Some(c.detail))
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets a notice's status. Cancelling also closes its deliveries not yet sent, in the same
    /// transaction, so they neither go out later nor wait in the outbox forever.
    pub async fn set_notice_status(
        &self,
        id: i64,
        status: &str,
        next_fire_at: Option<DateTime<Utc>>,
    ) -> sqlx::Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE notices SET status = ?, next_fire_at = ? WHERE id = ?")
            .bind(status)
            .bind(next_fire_at.map(ts))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if status == "cancelled" {
            close_pending(
                &mut tx,
                "run_id IN (SELECT id FROM notice_runs WHERE notice_id = ?)",
                id,
                REASON_CANCELLED,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pauses an active notice whose creator may no longer send it, with the audit line, in
    /// one transaction. `false`: it was no longer active (another tick, or a person, got there
    /// first), and nothing is written.
    pub async fn pause_for_creator(
        &self,
        id: i64,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        detail: &str,
    ) -> sqlx::Result<bool> {
        let mut tx = self.write_tx().await?;
        let paused = sqlx::query(
            "UPDATE notices SET status = 'paused', next_fire_at = ? WHERE id = ? AND status = 'active'",
        )
        .bind(ts(due))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if paused {
            super::audit::insert(
                &mut tx,
                now,
                "system",
                "notice",
                None,
                Some("active"),
                Some("paused"),
                Some(detail),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(paused)
    }

    /// Active notices whose next fire time has come.
    pub async fn due_notices(&self, now: DateTime<Utc>) -> sqlx::Result<Vec<NoticeRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE status = 'active' AND next_fire_at <= ? ORDER BY next_fire_at, id"
        ))
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice_from_row).collect()
    }

    /// How many members a target reaches now.
    pub async fn target_count(&self, target: &Target) -> sqlx::Result<i64> {
        let (units, roles, members) = target_params(target);
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM members m WHERE {TARGET_FILTER}"))
            .bind(units)
            .bind(roles)
            .bind(members)
            .fetch_one(&self.pool)
            .await
    }

    /// Fires one tick of a notice, all in one transaction: the run, one delivery per targeted
    /// member (unreachable members recorded as blocked, not sent to), and the notice's next fire
    /// time or final status. A tick already fired (a crash after commit, two schedulers) adds
    /// nothing. Returns the run id and how many were targeted, if this call fired it.
    #[allow(clippy::too_many_arguments)]
    pub async fn fire_notice(
        &self,
        notice_id: i64,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
        not_before: DateTime<Utc>,
        target: &Target,
        next_fire_at: Option<DateTime<Utc>>,
        status_after: &str,
    ) -> sqlx::Result<Option<(i64, i64)>> {
        let mut tx = self.write_tx().await?;
        let run: Option<i64> = sqlx::query_scalar(
            "INSERT INTO notice_runs (notice_id, due_at, fired_at) VALUES (?, ?, ?)
             ON CONFLICT (notice_id, due_at) DO NOTHING RETURNING id",
        )
        .bind(notice_id)
        .bind(ts(due_at))
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        let mut fired = None;
        if let Some(run_id) = run {
            let (units, roles, members) = target_params(target);
            let targeted = sqlx::query(&format!(
                "INSERT INTO deliveries (run_id, member_id, chat_id, platform, kind, status, not_before_ms, next_attempt_ms)
                 SELECT ?4, m.id, a.person_id, a.platform, 'notice',
                        CASE WHEN m.unreachable_at IS NULL THEN 'pending' ELSE 'blocked' END, ?5, ?5
                 FROM members m JOIN accounts a ON a.person_id = {PREFERRED_ACCOUNT}
                 WHERE {TARGET_FILTER} ORDER BY m.id"
            ))
            .bind(units)
            .bind(roles)
            .bind(members)
            .bind(run_id)
            .bind(ms(not_before))
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
            sqlx::query(
                "UPDATE deliveries SET last_error = 'unreachable' WHERE run_id = ? AND status = 'blocked'",
            )
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE notice_runs SET targeted = ? WHERE id = ?")
                .bind(targeted)
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            fired = Some((run_id, targeted));
        }
        sqlx::query("UPDATE notices SET next_fire_at = ?, status = ? WHERE id = ? AND status = 'active'")
            .bind(next_fire_at.map(ts))
            .bind(status_after)
            .bind(notice_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(fired)
    }

    /// Moves an active notice's next fire time (a missed tick skipped).
    pub async fn skip_notice_tick(
        &self,
        notice_id: i64,
        next: Option<DateTime<Utc>>,
        status: &str,
    ) -> sqlx::Result<()> {
        sqlx::query("UPDATE notices SET next_fire_at = ?, status = ? WHERE id = ? AND status = 'active'")
            .bind(next.map(ts))
            .bind(status)
            .bind(notice_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A notice's file as given (on the command line, or fetched from the chat it was sent in):
    /// kept, since platforms that cannot reuse Telegram's `file_id` upload it themselves.
    pub async fn notice_upload(&self, notice_id: i64) -> sqlx::Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT media_bytes FROM notices WHERE id = ?")
            .bind(notice_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
    }

    /// Telegram has the notice's file: later Telegram deliveries reuse its file_id. The bytes
    /// stay when `keep_bytes` (other platforms, which upload them themselves, run too).
    pub async fn set_notice_file_id(
        &self,
        notice_id: i64,
        file_id: &str,
        keep_bytes: bool,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE notices SET media_file_id = ?1, media_bytes = CASE WHEN ?3 THEN media_bytes END
             WHERE id = ?2 AND media_file_id IS NULL",
        )
        .bind(file_id)
        .bind(notice_id)
        .bind(keep_bytes)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
