//! Outages of a platform as the sender saw them, and the notices they delayed.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};
use crate::domain::Platform;

/// An outage that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub id: i64,
    /// The platform that was down.
    pub platform: Platform,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

/// An outage, ended or still lasting, for the console's 系统 page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutageSpan {
    pub platform: Platform,
    pub started_at: DateTime<Utc>,
    /// `None` while it lasts.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A notice whose latest run an outage held up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayedNotice {
    pub notice_id: i64,
    pub creator_member_id: i64,
    pub body: String,
    /// Its deliveries still waiting.
    pub pending: i64,
}

impl Store {
    pub async fn outage_started(&self, platform: &str, now: DateTime<Utc>) -> sqlx::Result<i64> {
        sqlx::query_scalar("INSERT INTO outages (platform, started_at) VALUES (?, ?) RETURNING id")
            .bind(platform)
            .bind(ts(now))
            .fetch_one(&self.pool)
            .await
    }

    pub async fn outage_ended(&self, id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE outages SET ended_at = ? WHERE id = ? AND ended_at IS NULL")
            .bind(ts(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ended outages whose delayed notices' creators have not been told yet.
    pub async fn unreported_outages(&self) -> sqlx::Result<Vec<Outage>> {
        let rows = sqlx::query(
            "SELECT id, platform, started_at, ended_at FROM outages
             WHERE reported = 0 AND ended_at IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Outage {
                    id: r.try_get("id")?,
                    platform: super::receipts::platform_of(r)?,
                    started_at: at(r.try_get("started_at")?),
                    ended_at: at(r.try_get("ended_at")?),
                })
            })
            .collect()
    }

    /// The latest `limit` outages, the newest first (one still lasting among them).
    pub async fn recent_outages(&self, limit: i64) -> sqlx::Result<Vec<OutageSpan>> {
        let rows = sqlx::query(
            "SELECT platform, started_at, ended_at FROM outages ORDER BY started_at DESC, id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutageSpan {
                    platform: super::receipts::platform_of(r)?,
                    started_at: at(r.try_get("started_at")?),
                    ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(at),
                })
            })
            .collect()
    }

    pub async fn outage_reported(&self, id: i64) -> sqlx::Result<()> {
        sqlx::query("UPDATE outages SET reported = 1 WHERE id = ?").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// The people's notices (not the bot's own) whose runs, fired before the outage ended, had
    /// deliveries waiting while it lasted: sent after it began, or still pending.
    pub async fn notices_delayed_by(&self, outage: &Outage) -> sqlx::Result<Vec<DelayedNotice>> {
        let rows = sqlx::query(
            "SELECT n.id, n.creator_member_id, n.body,
                    SUM(d.status = 'pending') AS pending
             FROM notices n JOIN notice_runs r ON r.notice_id = n.id JOIN deliveries d ON d.run_id = r.id
             WHERE n.creator_member_id IS NOT NULL AND n.created_by NOT LIKE 'system:%' AND d.kind = 'notice'
               AND r.fired_at <= ?2 AND d.platform = (SELECT platform FROM outages WHERE id = ?3)
             GROUP BY n.id
             HAVING SUM(d.status = 'pending' OR (d.status = 'sent' AND d.sent_at >= ?1)) > 0
             ORDER BY n.id",
        )
        .bind(ts(outage.started_at))
        .bind(ts(outage.ended_at))
        .bind(outage.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DelayedNotice {
                    notice_id: r.try_get("id")?,
                    creator_member_id: r.try_get("creator_member_id")?,
                    body: r.try_get("body")?,
                    pending: r.try_get("pending")?,
                })
            })
            .collect()
    }

    /// How long outages of the platforms a run went out on held it up, the run fired at
    /// `fired_at` and its last delivery gone at `last` (or still waiting: `last` is now): the
    /// overlap of each such outage with that span, and which platforms they were.
    pub async fn outage_delay(
        &self,
        run_id: i64,
        fired_at: DateTime<Utc>,
        last: DateTime<Utc>,
    ) -> sqlx::Result<(chrono::Duration, Vec<Platform>)> {
        let rows = sqlx::query(
            "SELECT platform, SUM(MIN(COALESCE(ended_at, ?2), ?2) - MAX(started_at, ?1)) AS secs FROM outages
             WHERE started_at < ?2 AND COALESCE(ended_at, ?2) > ?1
               AND platform IN (SELECT DISTINCT platform FROM deliveries WHERE run_id = ?3)
             GROUP BY platform ORDER BY platform",
        )
        .bind(ts(fired_at))
        .bind(ts(last))
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        let mut secs = 0i64;
        let mut platforms = Vec::new();
        for r in &rows {
            secs += r.try_get::<i64, _>("secs")?.max(0);
            platforms.push(super::receipts::platform_of(r)?);
        }
        Ok((chrono::Duration::seconds(secs), platforms))
    }
}
