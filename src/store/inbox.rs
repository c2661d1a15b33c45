//! The durable inbox: each update from a platform is written here before the platform is told
//! it arrived, then handled from here. A crash between the two leaves it pending, and the next
//! start finishes it. Rows are keyed by platform and the platform's own id for the update
//! (Telegram's update_id, DingTalk's messageId), so a redelivered update is stored once.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, ts};
use crate::domain::Platform;

/// An update as the inbox knows it: its platform and the platform's id for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateKey<'a> {
    pub platform: Platform,
    pub key: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub seq: i64,
    /// The platform's id for the update.
    pub key: String,
    pub payload: String,
}

impl Store {
    /// Writes a batch of a platform's raw updates (key, payload) in one transaction; an update
    /// already present (the platform redelivering it) is left as it is. Returns how many were new.
    pub async fn inbox_put(
        &self,
        platform: Platform,
        updates: &[(String, String)],
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        let mut tx = self.write_tx().await?;
        let mut added = 0;
        for (key, payload) in updates {
            added += insert(&mut tx, platform, key, payload, now).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Writes one update (or finds it, if already there) and returns its position.
    pub async fn inbox_put_one(
        &self,
        platform: Platform,
        key: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        let mut tx = self.write_tx().await?;
        insert(&mut tx, platform, key, payload, now).await?;
        let seq = sqlx::query_scalar("SELECT seq FROM inbox WHERE platform = ? AND update_key = ?")
            .bind(platform.as_str())
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Marks a platform's unhandled rows whose key starts with `prefix` as abandoned (a
    /// terminal session killed mid-line: nobody is there to answer them any more).
    pub async fn inbox_abandon(
        &self,
        platform: Platform,
        prefix: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<u64> {
        Ok(sqlx::query(
            "UPDATE inbox SET handled_at = ?, outcome = 'abandoned'
             WHERE platform = ? AND handled_at IS NULL AND substr(update_key, 1, length(?)) = ?",
        )
        .bind(ts(now))
        .bind(platform.as_str())
        .bind(prefix)
        .bind(prefix)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// A platform's unhandled updates after position `after_seq`, in arrival order.
    pub async fn inbox_pending(
        &self,
        platform: Platform,
        after_seq: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<InboxRow>> {
        let rows = sqlx::query(
            "SELECT seq, update_key, payload FROM inbox
             WHERE platform = ? AND handled_at IS NULL AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(platform.as_str())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InboxRow {
                    seq: r.try_get("seq")?,
                    key: r.try_get("update_key")?,
                    payload: r.try_get("payload")?,
                })
            })
            .collect()
    }

    /// Records that an update has been dealt with (`outcome`: ok, ignored, skipped, failed).
    pub async fn inbox_finish(
        &self,
        update: &UpdateKey<'_>,
        outcome: &str,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE inbox SET handled_at = ?, outcome = ?, error = ? WHERE platform = ? AND update_key = ?",
        )
        .bind(ts(now))
        .bind(outcome)
        .bind(error)
        .bind(update.platform.as_str())
        .bind(update.key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets handled updates older than `before` (Telegram stops redelivering after 24 h).
    pub async fn inbox_prune(&self, before: DateTime<Utc>) -> sqlx::Result<u64> {
        Ok(sqlx::query("DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ?")
            .bind(ts(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Updates received but not yet handled.
    pub async fn inbox_backlog(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL").fetch_one(&self.pool).await
    }

    /// Whose update a row is (for flood control).
    pub async fn inbox_set_person(&self, update: &UpdateKey<'_>, person: i64) -> sqlx::Result<()> {
        sqlx::query(
            "UPDATE inbox SET person_id = ? WHERE platform = ? AND update_key = ? AND person_id IS NULL",
        )
        .bind(person)
        .bind(update.platform.as_str())
        .bind(update.key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A person's updates handled (not discarded) since `since`: how many, and the first time.
    pub async fn person_handled_since(
        &self,
        person: i64,
        since: DateTime<Utc>,
    ) -> sqlx::Result<(i64, Option<i64>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(handled_at) AS first FROM inbox
             WHERE person_id = ? AND handled_at >= ? AND outcome <> 'discarded'",
        )
        .bind(person)
        .bind(ts(since))
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("first")?))
    }

    /// A person's updates received since `since`, up to and including `update` (the later
    /// ones already in the inbox do not count against it). Rows not yet handled get their
    /// person when their turn comes, so the later ones cannot be counted here anyway.
    pub async fn person_received_since(
        &self,
        person: i64,
        since: DateTime<Utc>,
        update: &UpdateKey<'_>,
    ) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbox WHERE person_id = ? AND received_at >= ?
               AND seq <= (SELECT seq FROM inbox WHERE platform = ? AND update_key = ?)",
        )
        .bind(person)
        .bind(ts(since))
        .bind(update.platform.as_str())
        .bind(update.key)
        .fetch_one(&self.pool)
        .await
    }

    /// A person's updates discarded since the last one of theirs that was handled.
    pub async fn person_discarded_lately(&self, person: i64) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbox WHERE person_id = ?1 AND outcome = 'discarded'
               AND seq > COALESCE((SELECT MAX(seq) FROM inbox WHERE person_id = ?1 AND handled_at IS NOT NULL
                                   AND outcome <> 'discarded'), 0)",
        )
        .bind(person)
        .fetch_one(&self.pool)
        .await
    }
}

/// Writes one update unless the platform's key is already there (a redelivery): rows added.
async fn insert(
    tx: &mut sqlx::SqliteConnection,
    platform: Platform,
    key: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO inbox (platform, update_key, payload, received_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (platform, update_key) DO NOTHING",
    )
    .bind(platform.as_str())
    .bind(key)
    .bind(payload)
    .bind(ts(now))
    .execute(tx)
    .await?
    .rows_affected())
}
