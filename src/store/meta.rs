//! Small key-value facts learnt at run time.

use super::Store;

/// The bot's @username, recorded when it starts, read by the CLI for invite links.
pub const BOT_USERNAME: &str = "bot_username";

impl Store {
    pub async fn meta(&self, key: &str) -> sqlx::Result<Option<String>> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
