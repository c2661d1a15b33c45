//! Files people sent, kept as received where their platform keeps them only briefly (WeCom).

use chrono::{DateTime, Utc};

use super::{Store, ts};
use crate::domain::Platform;

impl Store {
    /// Keeps a received file; the same file again (a message handled twice) keeps the first.
    pub async fn put_received_file(
        &self,
        platform: Platform,
        file_id: &str,
        name: &str,
        bytes: &[u8],
        at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO received_files (platform, file_id, name, bytes, received_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (platform, file_id) DO NOTHING",
        )
        .bind(platform.as_str())
        .bind(file_id)
        .bind(name)
        .bind(bytes)
        .bind(ts(at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A received file's name and bytes.
    pub async fn received_file(
        &self,
        platform: Platform,
        file_id: &str,
    ) -> sqlx::Result<Option<(String, Vec<u8>)>> {
        sqlx::query_as("SELECT name, bytes FROM received_files WHERE platform = ? AND file_id = ?")
            .bind(platform.as_str())
            .bind(file_id)
            .fetch_optional(self.pool())
            .await
    }
}
