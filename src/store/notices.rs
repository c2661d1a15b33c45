//! Notices, their runs and the delivery outbox.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Store, at, ts};

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

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub created_by: String,
    pub creator_member_id: Option<i64>,
    pub body: String,
    pub media_kind: Option<String>,
    pub media_file_id: Option<String>,
    pub media_name: Option<String>,
    pub media_bytes: Option<Vec<u8>>,
    pub audience: String,
    pub schedule: String,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub ack_required: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind_after_secs: Option<i64>,
    pub source_key: Option<String>,
}

/// Who a run targets: members of these units (all units if `None`), with these roles (any if empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub unit_ids: Option<Vec<i64>>,
    pub roles: Vec<String>,
    /// Only these members (for reminders addressed to people by name), if set.
    pub member_ids: Option<Vec<i64>>,
}

/// One delivery ready to go, with what to send.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub chat_id: i64,
    pub member_id: i64,
    pub kind: String,
    pub attempts: i64,
    pub reminder_of: Option<i64>,
    pub notice_id: i64,
    pub body: String,
    pub media_kind: Option<String>,
    pub media_file_id: Option<String>,
    pub media_name: Option<String>,
    pub needs_upload: bool,
    pub ack_required: bool,
    pub policy: bool,
}

/// A run's numbers and names, for `/receipts` and `sansong notice status`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub run_id: i64,
    pub notice_id: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub fired_at: Option<DateTime<Utc>>,
    pub targeted: i64,
    pub sent: i64,
    pub pending: i64,
    pub acknowledged: i64,
    pub reminded: i64,
    /// (name, unit, reason)
    pub failed: Vec<(String, String, String)>,
    /// (name, unit)
    pub blocked: Vec<(String, String)>,
    /// (name, unit) of delivered but not acknowledged, by unit then name.
    pub not_acknowledged: Vec<(String, String)>,
    /// Members who checked in a 送政策 citing this notice, and the sites they went to.
    pub onward_members: i64,
    pub onward_sites: Vec<String>,
}

/// What a press of 「收到」 did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    Recorded,
    AlreadyRecorded,
    NotFound,
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

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
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

impl Store {
    pub async fn insert_notice(&self, n: &NewNotice, now: DateTime<Utc>) -> sqlx::Result<NoticeRow> {
        let mut conn = self.pool.acquire().await?;
        let id = insert_notice_on(&mut conn, n, now).await?;
        drop(conn);
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
        notice_from_row(&row)
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

    /// Hands a notice to another member (`None`: the command line).
    pub async fn set_notice_creator(&self, id: i64, member_id: Option<i64>) -> sqlx::Result<()> {
        sqlx::query("UPDATE notices SET creator_member_id = ? WHERE id = ?")
            .bind(member_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
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
                "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms)
                 SELECT ?4, m.id, m.telegram_id, 'notice',
                        CASE WHEN m.unreachable_at IS NULL THEN 'pending' ELSE 'blocked' END, ?5, ?5
                 FROM members m WHERE {TARGET_FILTER} ORDER BY m.id"
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

    /// Queues one reminder for each delivered, unacknowledged notice whose reminder delay has
    /// passed. Returns how many were queued.
    pub async fn queue_reminders(&self, now: DateTime<Utc>, not_before: DateTime<Utc>) -> sqlx::Result<u64> {
        let mut tx = self.write_tx().await?;
        let due = "d.kind = 'notice' AND d.status = 'sent' AND d.acked_at IS NULL AND d.reminded_at IS NULL
                   AND n.ack_required = 1 AND n.remind_after_secs IS NOT NULL AND n.status <> 'cancelled'
                   AND EXISTS (SELECT 1 FROM members m WHERE m.id = d.member_id AND m.status = 'active')
                   AND d.sent_at + n.remind_after_secs <= ?1";
        let queued = sqlx::query(&format!(
            "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms, reminder_of)
             SELECT d.run_id, d.member_id, d.chat_id, 'reminder', 'pending', ?2, ?2, d.id
             FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             WHERE {due}
             ON CONFLICT (run_id, member_id, kind) DO NOTHING"
        ))
        .bind(ts(now))
        .bind(ms(not_before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(&format!(
            "UPDATE deliveries SET reminded_at = ?1 WHERE id IN (
                SELECT d.id FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
                WHERE {due})"
        ))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Pending deliveries that may go now, after outbox position `after_id`, oldest first.
    pub async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        after_id: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<OutboxItem>> {
        let rows = sqlx::query(
            "SELECT d.id, d.chat_id, d.member_id, d.kind, d.attempts, d.reminder_of, n.id AS notice_id, n.body,
                    n.media_kind, n.media_file_id, n.media_name,
                    (n.media_kind IS NOT NULL AND n.media_file_id IS NULL) AS needs_upload, n.ack_required, n.policy
             FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             WHERE d.status = 'pending' AND d.id > ? AND d.next_attempt_ms <= ? AND d.not_before_ms <= ?
                   AND n.status <> 'cancelled'
             ORDER BY d.id LIMIT ?",
        )
        .bind(after_id)
        .bind(ms(now))
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxItem {
                    id: r.try_get("id")?,
                    chat_id: r.try_get("chat_id")?,
                    member_id: r.try_get("member_id")?,
                    kind: r.try_get("kind")?,
                    attempts: r.try_get("attempts")?,
                    reminder_of: r.try_get("reminder_of")?,
                    notice_id: r.try_get("notice_id")?,
                    body: r.try_get("body")?,
                    media_kind: r.try_get("media_kind")?,
                    media_file_id: r.try_get("media_file_id")?,
                    media_name: r.try_get("media_name")?,
                    needs_upload: r.try_get::<i64, _>("needs_upload")? != 0,
                    ack_required: r.try_get::<i64, _>("ack_required")? != 0,
                    policy: r.try_get::<i64, _>("policy")? != 0,
                })
            })
            .collect()
    }

    /// The file given on the command line for a notice, until Telegram has it.
    pub async fn notice_upload(&self, notice_id: i64) -> sqlx::Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT media_bytes FROM notices WHERE id = ?")
            .bind(notice_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
    }

    /// Telegram has the notice's file: later deliveries reuse its file_id.
    pub async fn set_notice_file_id(&self, notice_id: i64, file_id: &str) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE notices SET media_file_id = ?, media_bytes = NULL WHERE id = ? AND media_file_id IS NULL",
        )
        .bind(file_id)
        .bind(notice_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether a delivery is still waiting to be sent (not closed by a cancel or a deactivation
    /// while the sender waited for its slot).
    pub async fn delivery_pending(&self, id: i64) -> sqlx::Result<bool> {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM deliveries WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.outbox)
            .await?;
        Ok(status.as_deref() == Some("pending"))
    }

    /// Deliveries of a notice still waiting to be sent.
    pub async fn pending_deliveries_of(&self, notice_id: i64) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'
               AND run_id IN (SELECT id FROM notice_runs WHERE notice_id = ?)",
        )
        .bind(notice_id)
        .fetch_one(&self.pool)
        .await
    }

    pub async fn delivery_sent(&self, id: i64, message_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1, last_error = NULL
             WHERE id = ?",
        )
        .bind(message_id)
        .bind(ts(now))
        .bind(id)
        .execute(&self.outbox)
        .await?;
        Ok(())
    }

    /// Puts a delivery back in the queue until `retry_at`; `counts` says whether this was a
    /// failed attempt (a 429 pause is not the delivery's fault and does not count).
    pub async fn delivery_retry(
        &self,
        id: i64,
        retry_at: DateTime<Utc>,
        error: &str,
        counts: bool,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_ms = ?, last_error = ?, attempts = attempts + ? WHERE id = ? AND status = 'pending'",
        )
        .bind(ms(retry_at))
        .bind(error)
        .bind(i64::from(counts))
        .bind(id)
        .execute(&self.outbox)
        .await?;
        Ok(())
    }

    pub async fn delivery_failed(&self, id: i64, error: &str) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE deliveries SET status = 'failed', last_error = ?, attempts = attempts + 1 WHERE id = ?",
        )
        .bind(error)
        .bind(id)
        .execute(&self.outbox)
        .await?;
        Ok(())
    }

    /// Telegram refused with 403: the delivery is blocked and the member unreachable.
    pub async fn delivery_blocked(
        &self,
        id: i64,
        member_id: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE deliveries SET status = 'blocked', last_error = ?, attempts = attempts + 1 WHERE id = ?",
        )
        .bind(error)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE members SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL")
            .bind(ts(now))
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        // Whatever else is queued for this member would meet the same answer.
        sqlx::query(
            "UPDATE deliveries SET status = 'blocked', last_error = 'unreachable' WHERE member_id = ? AND status = 'pending'",
        )
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The member wrote to the bot (or unblocked it): reachable again.
    pub async fn mark_reachable(&self, telegram_id: i64) -> sqlx::Result<bool> {
        Ok(sqlx::query(
            "UPDATE members SET unreachable_at = NULL WHERE telegram_id = ? AND unreachable_at IS NOT NULL",
        )
        .bind(telegram_id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    pub async fn mark_unreachable(&self, telegram_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE members SET unreachable_at = ? WHERE telegram_id = ? AND unreachable_at IS NULL")
            .bind(ts(now))
            .bind(telegram_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records 「收到」 for a delivery, once, if it was sent to this Telegram account. A press on
    /// a reminder counts for the delivery it reminds of.
    pub async fn acknowledge(
        &self,
        delivery_id: i64,
        telegram_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<AckOutcome> {
        let target: Option<i64> = sqlx::query_scalar(
            "SELECT COALESCE(d.reminder_of, d.id) FROM deliveries d JOIN members m ON m.id = d.member_id
             WHERE d.id = ? AND m.telegram_id = ?",
        )
        .bind(delivery_id)
        .bind(telegram_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(target) = target else {
            return Ok(AckOutcome::NotFound);
        };
        let n = sqlx::query("UPDATE deliveries SET acked_at = ? WHERE id = ? AND acked_at IS NULL")
            .bind(ts(now))
            .bind(target)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(if n == 1 { AckOutcome::Recorded } else { AckOutcome::AlreadyRecorded })
    }

    /// The notice a delivery belongs to, and whether it is policy material.
    pub async fn delivery_notice(&self, delivery_id: i64) -> sqlx::Result<Option<(i64, bool)>> {
        let row = sqlx::query(
            "SELECT n.id, n.policy FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             WHERE d.id = ?",
        )
        .bind(delivery_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get::<i64, _>("policy")? != 0))).transpose()
    }

    /// Whether a notice was delivered to this Telegram account (so it may act on its buttons).
    pub async fn notice_reached(&self, notice_id: i64, telegram_id: i64) -> sqlx::Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN members m ON m.id = d.member_id
             WHERE r.notice_id = ? AND m.telegram_id = ?",
        )
        .bind(notice_id)
        .bind(telegram_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The latest run of a notice, with its numbers and names.
    pub async fn latest_run_report(&self, notice_id: i64) -> sqlx::Result<RunReport> {
        let mut report = RunReport { notice_id, ..RunReport::default() };
        let run = sqlx::query("SELECT id, due_at, fired_at, targeted FROM notice_runs WHERE notice_id = ? ORDER BY id DESC LIMIT 1")
            .bind(notice_id)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(run) = run {
            report.run_id = run.try_get("id")?;
            report.due_at = Some(at(run.try_get("due_at")?));
            report.fired_at = Some(at(run.try_get("fired_at")?));
            report.targeted = run.try_get("targeted")?;
            let counts = sqlx::query(
                "SELECT COALESCE(SUM(status = 'sent'), 0) AS sent, COALESCE(SUM(status = 'pending'), 0) AS pending,
                        COALESCE(SUM(acked_at IS NOT NULL), 0) AS acked, COALESCE(SUM(reminded_at IS NOT NULL), 0) AS reminded
                 FROM deliveries WHERE run_id = ? AND kind = 'notice'",
            )
            .bind(report.run_id)
            .fetch_one(&self.pool)
            .await?;
            report.sent = counts.try_get("sent")?;
            report.pending = counts.try_get("pending")?;
            report.acknowledged = counts.try_get("acked")?;
            report.reminded = counts.try_get("reminded")?;
            let people = |status_sql: &'static str| {
                format!(
                    "SELECT m.name, u.name AS unit, COALESCE(d.last_error, '') AS reason
                     FROM deliveries d JOIN members m ON m.id = d.member_id JOIN units u ON u.id = m.unit_id
                     WHERE d.run_id = ? AND d.kind = 'notice' AND {status_sql} ORDER BY u.id, m.name, m.id"
                )
            };
            for row in
                sqlx::query(&people("d.status = 'failed'")).bind(report.run_id).fetch_all(&self.pool).await?
            {
                report.failed.push((row.try_get("name")?, row.try_get("unit")?, row.try_get("reason")?));
            }
            for row in
                sqlx::query(&people("d.status = 'blocked'")).bind(report.run_id).fetch_all(&self.pool).await?
            {
                report.blocked.push((row.try_get("name")?, row.try_get("unit")?));
            }
            for row in sqlx::query(&people("d.status = 'sent' AND d.acked_at IS NULL"))
                .bind(report.run_id)
                .fetch_all(&self.pool)
                .await?
            {
                report.not_acknowledged.push((row.try_get("name")?, row.try_get("unit")?));
            }
        }
        report.onward_members = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT member_id) FROM checkins WHERE notice_id = ? AND deleted_at IS NULL",
        )
        .bind(notice_id)
        .fetch_one(&self.pool)
        .await?;
        report.onward_sites = sqlx::query_scalar(
            "SELECT DISTINCT s.name FROM checkins c JOIN sites s ON s.id = c.site_id
             WHERE c.notice_id = ? AND c.deleted_at IS NULL ORDER BY s.name",
        )
        .bind(notice_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(report)
    }

    /// Deliveries not yet sent (for metrics and tests).
    pub async fn outbox_backlog(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await
    }
}

/// Why a delivery was closed without being sent (shown in receipts as its failure reason).
pub(crate) const REASON_CANCELLED: &str = "通知已取消，未发送";
pub(crate) const REASON_INACTIVE: &str = "成员已停用，未发送";

/// Marks the pending deliveries matching `filter` (one `?`, bound to `value`) failed with
/// `reason`, inside the caller's transaction.
pub(crate) async fn close_pending(
    tx: &mut sqlx::SqliteConnection,
    filter: &str,
    value: i64,
    reason: &str,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(&format!(
        "UPDATE deliveries SET status = 'failed', last_error = ? WHERE status = 'pending' AND {filter}"
    ))
    .bind(reason)
    .bind(value)
    .execute(tx)
    .await?
    .rows_affected())
}
