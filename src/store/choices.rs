//! The buttons last offered in each chat (see [`crate::choices`]).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};

impl Store {
    pub async fn choices(&self, chat_id: i64) -> sqlx::Result<Option<(String, DateTime<Utc>)>> {
        let row = sqlx::query("SELECT buttons, offered_at FROM choices WHERE chat_id = ?")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("buttons")?, at(r.try_get("offered_at")?)))).transpose()
    }

    pub async fn put_choices(&self, chat_id: i64, buttons: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO choices (chat_id, buttons, offered_at) VALUES (?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE SET buttons = excluded.buttons, offered_at = excluded.offered_at",
        )
        .bind(chat_id)
        .bind(buttons)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_choices(&self, chat_id: i64) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM choices WHERE chat_id = ?").bind(chat_id).execute(&self.pool).await?;
        Ok(())
    }
}
