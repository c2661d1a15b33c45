//! Invite codes and redeeming them, which is how a member comes to exist.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::members::{insert_member_on, member_of_person_on};
use super::{Store, at, ts};
use crate::domain::{Invite, Member, Person, Role};

#[derive(Debug, Clone)]
pub struct NewInvite {
    pub code: String,
    pub unit_id: i64,
    pub role: Role,
    pub max_uses: u32,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    /// Set when a chat message asked for it: asking again with the same message returns it.
    pub source_key: Option<String>,
}

/// What happened when someone presented a code.
#[derive(Debug, Clone, PartialEq)]
pub enum Redeemed {
    Registered(Member),
    AlreadyMember(Member),
    Unknown,
    Expired,
    UsedUp,
}

fn invite_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Invite> {
    let role: String = row.try_get("role")?;
    Ok(Invite {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        unit_id: row.try_get("unit_id")?,
        unit_name: row.try_get("unit_name")?,
        role: role.parse().map_err(|()| sqlx::Error::Decode(format!("role {role:?}").into()))?,
        max_uses: u32::try_from(row.try_get::<i64, _>("max_uses")?).unwrap_or(0),
        uses: u32::try_from(row.try_get::<i64, _>("uses")?).unwrap_or(0),
        expires_at: at(row.try_get("expires_at")?),
    })
}

const INVITE_SELECT: &str = "SELECT i.id, i.code, i.unit_id, u.name AS unit_name, i.role, i.max_uses, i.uses, i.expires_at FROM invites i JOIN units u ON u.id = i.unit_id";

impl Store {
    pub async fn create_invite(&self, invite: &NewInvite, now: DateTime<Utc>) -> sqlx::Result<Invite> {
        sqlx::query(
            "INSERT INTO invites (code, unit_id, role, max_uses, expires_at, created_at, created_by, source_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING",
        )
        .bind(&invite.code)
        .bind(invite.unit_id)
        .bind(invite.role.as_str())
        .bind(i64::from(invite.max_uses))
        .bind(ts(invite.expires_at))
        .bind(ts(now))
        .bind(&invite.created_by)
        .bind(&invite.source_key)
        .execute(&self.pool)
        .await?;
        let row = match &invite.source_key {
            Some(key) => {
                sqlx::query(&format!("{INVITE_SELECT} WHERE i.source_key = ?"))
                    .bind(key)
                    .fetch_one(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(&format!("{INVITE_SELECT} WHERE i.code = ?"))
                    .bind(&invite.code)
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        invite_from_row(&row)
    }

    /// Registers `person` with the invite `code`, all in one transaction: the use is counted
    /// only if the member row is written, and two people racing for the last use cannot both win.
    pub async fn redeem_invite(
        &self,
        code: &str,
        person: &Person,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Redeemed> {
        let mut tx = self.write_tx().await?;
        if let Some(member) = member_of_person_on(&mut tx, person.account.person_id).await? {
            return Ok(Redeemed::AlreadyMember(member));
        }
        let Some(row) = sqlx::query(&format!("{INVITE_SELECT} WHERE i.code = ?"))
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(Redeemed::Unknown);
        };
        let invite = invite_from_row(&row)?;
        let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at FROM invites WHERE id = ?")
            .bind(invite.id)
            .fetch_one(&mut *tx)
            .await?;
        // A withdrawn invite reads to its holder as one past its time: ask for a new one.
        if invite.expires_at <= now || revoked.is_some() {
            return Ok(Redeemed::Expired);
        }
        if invite.uses >= invite.max_uses {
            return Ok(Redeemed::UsedUp);
        }
        sqlx::query("UPDATE invites SET uses = uses + 1 WHERE id = ?")
            .bind(invite.id)
            .execute(&mut *tx)
            .await?;
        insert_member_on(&mut tx, person, invite.unit_id, invite.role, Some(invite.id), now).await?;
        let member = member_of_person_on(&mut tx, person.account.person_id)
            .await?
            .ok_or_else(|| sqlx::Error::RowNotFound)?;
        tx.commit().await?;
        Ok(Redeemed::Registered(member))
    }

    /// The invites still open (not withdrawn, not past their time, with uses left), newest
    /// first; of one unit, or all.
    pub async fn open_invites(&self, unit_id: Option<i64>, now: DateTime<Utc>) -> sqlx::Result<Vec<Invite>> {
        let rows = sqlx::query(&format!(
            "{INVITE_SELECT} WHERE i.revoked_at IS NULL AND i.expires_at > ?1 AND i.uses < i.max_uses
             AND (?2 IS NULL OR i.unit_id = ?2) ORDER BY i.id DESC LIMIT 500"
        ))
        .bind(ts(now))
        .bind(unit_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invite_from_row).collect()
    }

    pub async fn invite(&self, id: i64) -> sqlx::Result<Option<Invite>> {
        let row = sqlx::query(&format!("{INVITE_SELECT} WHERE i.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(invite_from_row).transpose()
    }

    /// Withdraws an invite and audits it, in one transaction. False when it was withdrawn before.
    pub async fn revoke_invite(&self, id: i64, actor: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if done > 0 {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, 'invite_revoked', ?)",
            )
            .bind(ts(now))
            .bind(actor)
            .bind(format!("invite #{id} revoked"))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done > 0)
    }
}
