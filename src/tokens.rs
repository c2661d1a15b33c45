//! Read-only tokens for the JSON API (`/api/v1/…`), for a city's own platform to read the
//! tallies without a browser session.
//!
//! An admin creates one on the console's 系统 page; it is shown once, and kept only as its
//! SHA-256 (as login links are, see [`crate::logins::hash`]). A request carrying it reads the API
//! as the admin who created it, whose role and status are read afresh on every request: when
//! they are demoted or deactivated, their tokens stop working at once, as does a revoked one.
//! A token changes nothing: the console accepts it only on the API's GET routes.

use chrono::Duration;

use crate::core::Core;
use crate::domain::{Member, MemberStatus, Role};
use crate::error::{Result, UserError};
use crate::logins::{checked_name, hash};
use crate::members::{Actor, actor_label, random_token, require_admin};
use crate::store::{ApiTokenRow, TokenInsert};

/// Random letters and digits after the prefix: about 238 bits.
const TOKEN_CHARS: usize = 40;
/// What every token starts with, so one pasted in the wrong place is recognisable.
pub const PREFIX: &str = "sansong_";
/// The longest token a request may present (anything longer is refused unread).
const MAX_TOKEN_LEN: usize = 128;
/// How stale a token's last use may be before a request marks it again.
const MARK_EVERY: Duration = Duration::minutes(1);

/// What creating a token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new token: the only time it is seen.
    New { id: i64, token: String },
    /// The same form was sent again: its token was made before and is not shown again.
    Repeated { id: i64 },
}

/// Whether a form's one-time key looks like one the console gave (16 to 64 letters and digits).
fn valid_form_key(form: &str) -> bool {
    (16..=64).contains(&form.len()) && form.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A fresh one-time key for a form that creates a token.
pub fn form_key() -> String {
    random_token(24)
}

/// Admins: a new read-only token named `name`, created by the form with one-time key `form`
/// (the same form sent twice makes one token). Audited.
pub async fn create(core: &Core, actor: &Actor, name: &str, form: &str) -> Result<Created> {
    require_admin(actor)?;
    // Tokens carry an admin's rights: the command line has none to lend.
    let Actor::Member(admin) = actor else { return Err(UserError::Forbidden { needed: Role::Admin }.into()) };
    let name = checked_name(name)?;
    if !valid_form_key(form) {
        return Err(UserError::StaleForm.into());
    }
    let token = format!("{PREFIX}{}", random_token(TOKEN_CHARS));
    let inserted = core
        .store
        .insert_api_token(
            &name,
            &hash(&token),
            admin.id,
            form,
            &actor_label(actor),
            |id| format!("API 令牌 #{id}「{name}」（只读）"),
            core.now(),
        )
        .await?;
    Ok(match inserted {
        TokenInsert::Created(id) => {
            tracing::info!(token = id, by = admin.id, "API token created");
            Created::New { id, token }
        }
        TokenInsert::Repeated(id) => Created::Repeated { id },
    })
}

/// Admins: every token, the newest first, with its last use (never the token).
pub async fn list(core: &Core, actor: &Actor) -> Result<Vec<ApiTokenRow>> {
    require_admin(actor)?;
    Ok(core.store.api_tokens().await?)
}

/// Admins: revokes a token; it is refused from the next request on. Revoking one twice
/// changes nothing. Audited.
pub async fn revoke(core: &Core, actor: &Actor, id: i64) -> Result<ApiTokenRow> {
    require_admin(actor)?;
    let token = core.store.api_token(id).await?.ok_or(UserError::NoSuchApiToken)?;
    let detail = format!("API 令牌 #{id}「{}」", token.name);
    if core.store.revoke_api_token(id, &actor_label(actor), &detail, core.now()).await? {
        tracing::info!(token = id, "API token revoked");
    }
    Ok(token)
}

/// The admin a request's token reads as: `None` when the token is unknown or revoked, or its
/// creator is no longer an active admin. Marks its use, at most once a minute.
pub async fn verify(core: &Core, token: &str) -> Result<Option<Member>> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(None);
    }
    let Some(holder) = core.store.api_token_holder(&hash(token)).await? else { return Ok(None) };
    let creator = core.store.member_by_id(holder.created_by).await?;
    let Some(admin) = creator.filter(|m| m.status == MemberStatus::Active && m.role == Role::Admin) else {
        return Ok(None);
    };
    let now = core.now();
    // Marked at most once a minute, so reading does not wait on a commit every time.
    if holder.last_used_at.is_none_or(|t| now - t >= MARK_EVERY) {
        core.store.api_token_used(holder.id, now).await?;
    }
    Ok(Some(admin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_key_is_letters_and_digits_of_a_sensible_length() {
        assert!(valid_form_key(&form_key()));
        assert!(!valid_form_key(""));
        assert!(!valid_form_key("short"));
        assert!(!valid_form_key("abc'; DROP TABLE api_tokens; --xx"));
        assert!(!valid_form_key(&"a".repeat(65)));
    }
}
