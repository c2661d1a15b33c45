//! Receipts: acknowledgements (「收到」) of delivered notices and the numbers and names of a
//! notice's latest run.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};
use crate::domain::{Platform, RunReport, UnitReceipts};

/// What a press of 「收到」 did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    Recorded,
    AlreadyRecorded,
    NotFound,
}

impl Store {
    /// Records 「收到」 for a delivery, once, if it was sent to this Telegram account. A press on
    /// a reminder counts for the delivery it reminds of.
    pub async fn acknowledge(
        &self,
        delivery_id: i64,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<AckOutcome> {
        let target: Option<i64> = sqlx::query_scalar(
            "SELECT COALESCE(d.reminder_of, d.id) FROM deliveries d WHERE d.id = ? AND d.member_id = ?",
        )
        .bind(delivery_id)
        .bind(member_id)
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

    /// The newest notice delivered to this member that asks for 「收到」 and has not had it
    /// (of notice `notice` only, when given): what a typed `收到` acknowledges. The delivery's
    /// id and the notice's body. One going out at this moment counts too (the member may
    /// answer before its send is recorded); one held back (quiet hours) does not.
    pub async fn newest_unacknowledged(
        &self,
        member_id: i64,
        notice: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT d.id, n.body FROM deliveries d
               JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             WHERE d.member_id = ?1 AND d.kind = 'notice' AND d.acked_at IS NULL AND n.ack_required = 1
               AND (d.status = 'sent' OR (d.status = 'pending' AND d.not_before_ms <= ?2))
               AND (?3 IS NULL OR n.id = ?3)
             ORDER BY d.id DESC LIMIT 1",
        )
        .bind(member_id)
        .bind(now.timestamp_millis())
        .bind(notice)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("body")?))).transpose()
    }

    /// Whether this member has acknowledged notice `notice_id` (any of its runs).
    pub async fn acknowledged(&self, member_id: i64, notice_id: i64) -> sqlx::Result<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM deliveries d JOIN notice_runs r ON r.id = d.run_id
             WHERE d.member_id = ? AND r.notice_id = ? AND d.kind = 'notice' AND d.acked_at IS NOT NULL)",
        )
        .bind(member_id)
        .bind(notice_id)
        .fetch_one(&self.pool)
        .await
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

    /// Whether a notice was delivered to this member (so they may act on its buttons).
    pub async fn notice_reached(&self, notice_id: i64, member_id: i64) -> sqlx::Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries d JOIN notice_runs r ON r.id = d.run_id
             WHERE r.notice_id = ? AND d.member_id = ?",
        )
        .bind(notice_id)
        .bind(member_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// A run's figures by unit, in the organisation's order.
    pub async fn run_receipts_by_unit(&self, run_id: i64, notice_id: i64) -> sqlx::Result<Vec<UnitReceipts>> {
        let rows = sqlx::query(
            "SELECT u.id AS unit_id, u.name AS unit, COUNT(*) AS targeted,
                    COALESCE(SUM(d.status = 'sent'), 0) AS sent, COALESCE(SUM(d.status = 'pending'), 0) AS pending,
                    COALESCE(SUM(d.status = 'failed'), 0) AS failed, COALESCE(SUM(d.status = 'blocked'), 0) AS blocked,
                    COALESCE(SUM(d.acked_at IS NOT NULL), 0) AS acked,
                    (SELECT COUNT(DISTINCT c.member_id) FROM checkins c JOIN members cm ON cm.id = c.member_id
                     WHERE c.notice_id = ?2 AND c.deleted_at IS NULL AND cm.unit_id = u.id) AS spread
             FROM deliveries d JOIN members m ON m.id = d.member_id JOIN units u ON u.id = m.unit_id
             WHERE d.run_id = ?1 AND d.kind = 'notice'
             GROUP BY u.id ORDER BY u.id",
        )
        .bind(run_id)
        .bind(notice_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnitReceipts {
                    unit_id: r.try_get("unit_id")?,
                    unit: r.try_get("unit")?,
                    targeted: r.try_get("targeted")?,
                    sent: r.try_get("sent")?,
                    pending: r.try_get("pending")?,
                    failed: r.try_get("failed")?,
                    blocked: r.try_get("blocked")?,
                    acknowledged: r.try_get("acked")?,
                    spread: r.try_get("spread")?,
                })
            })
            .collect()
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
                        MAX(sent_at) AS last_sent,
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
            report.last_sent_at = counts.try_get::<Option<i64>, _>("last_sent")?.map(at);
            let people = |status_sql: &'static str| {
                format!(
                    "SELECT m.name, u.name AS unit, COALESCE(d.last_error, '') AS reason, d.platform
                     FROM deliveries d JOIN members m ON m.id = d.member_id JOIN units u ON u.id = m.unit_id
                     WHERE d.run_id = ? AND d.kind = 'notice' AND {status_sql} ORDER BY u.id, m.name, m.id"
                )
            };
            for row in
                sqlx::query(&people("d.status = 'failed'")).bind(report.run_id).fetch_all(&self.pool).await?
            {
                report.failed.push((
                    row.try_get("name")?,
                    row.try_get("unit")?,
                    row.try_get("reason")?,
                    platform_of(&row)?,
                ));
            }
            for row in
                sqlx::query(&people("d.status = 'blocked'")).bind(report.run_id).fetch_all(&self.pool).await?
            {
                report.blocked.push((row.try_get("name")?, row.try_get("unit")?, platform_of(&row)?));
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
}

pub(super) fn platform_of(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Platform> {
    let p: String = row.try_get("platform")?;
    p.parse().map_err(|()| sqlx::Error::Decode(format!("platform {p:?}").into()))
}
