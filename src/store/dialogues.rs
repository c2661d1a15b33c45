//! Guided-dialogue state, one row per chat, stored as JSON so it survives a restart.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};

impl Store {
    pub async fn dialogue(&self, chat_id: i64) -> sqlx::Result<Option<(String, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT state, updated_at FROM dialogues WHERE chat_id = ?")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("state")?, at(r.try_get("updated_at")?)))).transpose()
    }

    pub async fn put_dialogue(&self, chat_id: i64, state: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(state)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces the state of an existing dialogue, keeping when it was last touched.
    pub async fn rewrite_dialogue(&self, chat_id: i64, state: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE dialogues SET state = ? WHERE chat_id = ?")
            .bind(state)
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_dialogue(&self, chat_id: i64) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = ?").bind(chat_id).execute(&self.pool).await?;
        Ok(())
    }

    /// Drops dialogues nobody touched since `before`.
    pub async fn prune_dialogues(&self, before: DateTime<Utc>) -> sqlx::Result<u64> {
        Ok(sqlx::query("DELETE FROM dialogues WHERE updated_at < ?")
            .bind(ts(before))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
