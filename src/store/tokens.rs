//! The JSON API's read-only tokens: only the SHA-256 of each is kept; a revoked token stays
//! listed, refused. Creating and revoking one are audited in the same transaction as the
//! change.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: i64,
    pub name: String,
    /// The admin who created it, whose rights it carries.
    pub created_by: i64,
    pub creator: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What inserting a token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenInsert {
    Created(i64),
    /// The form (its one-time key) made this token before: nothing new was made.
    Repeated(i64),
}

/// A token found by its hash, for checking a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenHolder {
    pub id: i64,
    pub created_by: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

const TOKEN_SELECT: &str = "SELECT t.id, t.name, t.created_by, m.name AS creator, t.created_at,
        t.last_used_at, t.revoked_at
     FROM api_tokens t JOIN members m ON m.id = t.created_by";

fn token_from_row(r: &sqlx::sqlite::SqliteRow) -> sqlx::Result<ApiTokenRow> {
    Ok(ApiTokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        created_by: r.try_get("created_by")?,
        creator: r.try_get("creator")?,
        created_at: at(r.try_get("created_at")?),
        last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(at),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(at),
    })
}

impl Store {
    /// Inserts a token made by the form `form` and audits it, in one transaction; when that
    /// form made one before, nothing is written and that token's id is returned.
    /// `detail(id)` is the audit log's detail.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_api_token(
        &self,
        name: &str,
        token_hash: &str,
        created_by: i64,
        form: &str,
        actor: &str,
        detail: impl FnOnce(i64) -> String,
        now: DateTime<Utc>,
    ) -> sqlx::Result<TokenInsert> {
        let mut tx = self.write_tx().await?;
        let before: Option<i64> = sqlx::query_scalar("SELECT id FROM api_tokens WHERE form_key = ?")
            .bind(form)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(before) = before {
            return Ok(TokenInsert::Repeated(before));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, token_hash, created_by, created_at, form_key) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(created_by)
        .bind(ts(now))
        .bind(form)
        .fetch_one(&mut *tx)
        .await?;
        super::audit::insert(&mut tx, now, actor, "api_token", None, None, None, Some(&detail(id))).await?;
        tx.commit().await?;
        Ok(TokenInsert::Created(id))
    }

    /// Every token, the newest first.
    pub async fn api_tokens(&self) -> sqlx::Result<Vec<ApiTokenRow>> {
        let rows = sqlx::query(&format!("{TOKEN_SELECT} ORDER BY t.id DESC")).fetch_all(&self.pool).await?;
        rows.iter().map(token_from_row).collect()
    }

    pub async fn api_token(&self, id: i64) -> sqlx::Result<Option<ApiTokenRow>> {
        let row = sqlx::query(&format!("{TOKEN_SELECT} WHERE t.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Revokes a token and audits it, in one transaction. False when it was revoked before.
    pub async fn revoke_api_token(
        &self,
        id: i64,
        actor: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if done {
            super::audit::insert(&mut tx, now, actor, "api_token_revoked", None, None, None, Some(detail))
                .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// The live (not revoked) token with this hash.
    pub async fn api_token_holder(&self, token_hash: &str) -> sqlx::Result<Option<TokenHolder>> {
        let row = sqlx::query(
            "SELECT id, created_by, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TokenHolder {
                id: r.try_get("id")?,
                created_by: r.try_get("created_by")?,
                last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(at),
            })
        })
        .transpose()
    }

    pub async fn api_token_used(&self, id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(ts(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
