//! The delivery outbox: one row per message the bot owes a member (a notice or a reminder of
//! it), sent by the sender and marked as it goes.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, ms, ts};
use crate::domain::Platform;

/// One delivery ready to go, with what to send.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub chat_id: i64,
    pub member_id: i64,
    pub kind: String,
    pub attempts: i64,
    /// When it could first go: a delivery is given up this long after, at the earliest.
    pub due_since: DateTime<Utc>,
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

impl Store {
    /// Queues one reminder for each delivered, unacknowledged notice whose reminder delay has
    /// passed. Returns how many were queued.
    pub async fn queue_reminders(&self, now: DateTime<Utc>, not_before: DateTime<Utc>) -> sqlx::Result<u64> {
        let mut tx = self.write_tx().await?;
        let queued = queue_reminders_on(&mut tx, now, not_before, None).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Queues a reminder now for every delivered, unacknowledged delivery of one run (of a
    /// notice that asks for 「收到」) not reminded before: what the automatic reminder does,
    /// sooner. Returns how many were queued, and how many not acknowledging have had a reminder.
    pub async fn remind_run_now(
        &self,
        run_id: i64,
        now: DateTime<Utc>,
        not_before: DateTime<Utc>,
        actor: &str,
    ) -> sqlx::Result<(u64, i64)> {
        let mut tx = self.write_tx().await?;
        let queued = queue_reminders_on(&mut tx, now, not_before, Some(run_id)).await?;
        // Those still waiting who have had their reminder (this time or before).
        let before: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE run_id = ? AND kind = 'notice' AND status = 'sent'
             AND acked_at IS NULL AND reminded_at IS NOT NULL",
        )
        .bind(run_id)
        .fetch_one(&mut *tx)
        .await?;
        if queued > 0 {
            let detail = format!("notice run #{run_id}: {queued} reminders sent now");
            super::audit::insert(&mut tx, now, actor, "notice_remind", None, None, None, Some(&detail))
                .await?;
        }
        tx.commit().await?;
        Ok((queued, before))
    }

    /// How many deliveries to one chat on a platform are pending and due.
    pub async fn pending_deliveries_to(
        &self,
        platform: Platform,
        chat_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             WHERE d.status = 'pending' AND d.platform = ? AND d.chat_id = ? AND d.not_before_ms <= ?
               AND d.next_attempt_ms <= ? AND n.status <> 'cancelled'",
        )
        .bind(platform.as_str())
        .bind(chat_id)
        .bind(ms(now))
        .bind(ms(now))
        .fetch_one(&self.pool)
        .await
    }

    /// A platform's pending deliveries that may go now, after outbox position `after_id`,
    /// oldest first.
    pub async fn due_deliveries(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        after_id: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<OutboxItem>> {
        let rows = sqlx::query(
            "SELECT d.id, d.chat_id, d.member_id, d.kind, d.attempts, d.not_before_ms, d.reminder_of, n.id AS notice_id, n.body,
                    n.media_kind, n.media_file_id, n.media_name,
                    (n.media_kind IS NOT NULL AND n.media_file_id IS NULL) AS needs_upload, n.ack_required, n.policy
             FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             WHERE d.status = 'pending' AND d.platform = ? AND d.id > ? AND d.next_attempt_ms <= ? AND d.not_before_ms <= ?
                   AND n.status <> 'cancelled'
             ORDER BY d.id LIMIT ?",
        )
        .bind(platform.as_str())
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
                    due_since: DateTime::from_timestamp_millis(r.try_get("not_before_ms")?)
                        .unwrap_or_default(),
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
        // One platform's refusal is that account's: a member with another account (not the
        // terminal) is reached there from now on, and stays reachable.
        let other: Option<i64> = sqlx::query_scalar(
            "SELECT a.person_id FROM accounts a
             WHERE a.member_id = ?1 AND a.platform <> 'terminal'
               AND a.platform <> (SELECT platform FROM deliveries WHERE id = ?2)
             ORDER BY COALESCE(a.last_seen_at, a.linked_at) DESC, a.person_id LIMIT 1",
        )
        .bind(member_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(other) = other {
            sqlx::query("UPDATE members SET reached_on = ? WHERE id = ?")
                .bind(other)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            // What else waits for that platform would meet the same answer.
            sqlx::query(
                "UPDATE deliveries SET status = 'blocked', last_error = 'unreachable'
                 WHERE member_id = ? AND status = 'pending' AND platform = (SELECT platform FROM deliveries WHERE id = ?)",
            )
            .bind(member_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            return tx.commit().await;
        }
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

/// Queues a reminder for each delivered, unacknowledged delivery of a notice asking for 「收到」
/// that has had none, and marks them reminded: those whose reminder delay has passed (`run`:
/// `None`, the automatic reminder), or every one of a run (`Some`, 「提醒未确认的人」).
async fn queue_reminders_on(
    tx: &mut sqlx::SqliteConnection,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
    run: Option<i64>,
) -> sqlx::Result<u64> {
    // ?1 now, ?2 not before, ?3 the run (by hand) or NULL (when the delay has passed).
    let due = "d.kind = 'notice' AND d.status = 'sent' AND d.acked_at IS NULL AND d.reminded_at IS NULL
               AND n.ack_required = 1 AND n.status <> 'cancelled'
               AND EXISTS (SELECT 1 FROM members m WHERE m.id = d.member_id AND m.status = 'active')
               AND CASE WHEN ?3 IS NULL
                        THEN n.remind_after_secs IS NOT NULL AND d.sent_at + n.remind_after_secs <= ?1
                        ELSE d.run_id = ?3 END";
    let queued = sqlx::query(&format!(
        "INSERT INTO deliveries (run_id, member_id, chat_id, platform, kind, status, not_before_ms, next_attempt_ms, reminder_of)
         SELECT d.run_id, d.member_id, d.chat_id, d.platform, 'reminder', 'pending', ?2, ?2, d.id
         FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
         WHERE {due}
         ON CONFLICT (run_id, member_id, kind) DO NOTHING"
    ))
    .bind(ts(now))
    .bind(ms(not_before))
    .bind(run)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(&format!(
        "UPDATE deliveries SET reminded_at = ?1 WHERE id IN (
            SELECT d.id FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
            WHERE {due})"
    ))
    .bind(ts(now))
    .bind(ms(not_before))
    .bind(run)
    .execute(&mut *tx)
    .await?;
    Ok(queued)
}
