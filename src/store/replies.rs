//! Replies kept for later: those the platform could not take when they were made.

use super::{Store, at, ms, ts};
use crate::domain::Platform;
use chrono::{DateTime, Utc};

/// A kept reply, due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptReply {
    pub id: i64,
    pub chat_id: i64,
    /// The reply as JSON.
    pub reply: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
}

impl Store {
    /// Keeps replies for `chat_id` on `platform`, in order, to be sent from `now` on.
    pub async fn keep_replies(
        &self,
        platform: Platform,
        chat_id: i64,
        replies: &[String],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        let mut tx = self.write_tx().await?;
        for reply in replies {
            sqlx::query(
                "INSERT INTO reply_outbox (platform, chat_id, reply, created_at, next_attempt_ms) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(platform.as_str())
            .bind(chat_id)
            .bind(reply)
            .bind(ts(now))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// The oldest kept reply of each chat that has one due, oldest chats first: a chat's
    /// replies go in order, one at a time.
    pub async fn due_replies(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        limit: i64,
    ) -> sqlx::Result<Vec<KeptReply>> {
        let rows: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
            "SELECT r.id, r.chat_id, r.reply, r.created_at, r.attempts FROM reply_outbox r
             WHERE r.status = 'pending' AND r.platform = ? AND r.next_attempt_ms <= ?
               AND r.id = (SELECT MIN(o.id) FROM reply_outbox o WHERE o.chat_id = r.chat_id AND o.status = 'pending')
             ORDER BY r.id LIMIT ?",
        )
        .bind(platform.as_str())
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, chat_id, reply, created_at, attempts)| KeptReply {
                id,
                chat_id,
                reply,
                created_at: at(created_at),
                attempts,
            })
            .collect())
    }

    /// A kept reply's end: 'sent' or 'dropped'.
    pub async fn reply_done(&self, id: i64, status: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE reply_outbox SET status = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(status)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A kept reply failed again: tried next at `next`.
    pub async fn reply_retry(&self, id: i64, next: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE reply_outbox SET next_attempt_ms = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(ms(next))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
