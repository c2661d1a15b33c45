//! Registered people.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};
use crate::domain::{Member, MemberListing};

pub(super) const MEMBER_COLUMNS: &str = "m.id, m.telegram_id, m.name, m.username, m.unit_id, u.name AS unit_name, m.role, m.status, m.reminders, m.registered_at, m.unreachable_at";

pub(super) fn member_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Member> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(Member {
        id: row.try_get("id")?,
        telegram_id: row.try_get("telegram_id")?,
        name: row.try_get("name")?,
        username: row.try_get("username")?,
        unit_id: row.try_get("unit_id")?,
        unit_name: row.try_get("unit_name")?,
        role: role.parse().map_err(|()| sqlx::Error::Decode(format!("role {role:?}").into()))?,
        status: status.parse().map_err(|()| sqlx::Error::Decode(format!("status {status:?}").into()))?,
        reminders: row.try_get::<i64, _>("reminders")? != 0,
        registered_at: at(row.try_get("registered_at")?),
        unreachable: row.try_get::<Option<i64>, _>("unreachable_at")?.is_some(),
    })
}

impl Store {
    pub async fn member_by_telegram_id(&self, telegram_id: i64) -> sqlx::Result<Option<Member>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id WHERE m.telegram_id = ?"
        );
        sqlx::query(&sql)
            .bind(telegram_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(member_from_row)
            .transpose()
    }

    pub async fn member_by_id(&self, id: i64) -> sqlx::Result<Option<Member>> {
        let sql =
            format!("SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id WHERE m.id = ?");
        sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?.as_ref().map(member_from_row).transpose()
    }

    /// Active organisers and admins (for their command menus): a few rows, however many
    /// members there are.
    pub async fn privileged_members(&self) -> sqlx::Result<Vec<Member>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id
             WHERE m.role <> 'member' AND m.status = 'active' ORDER BY m.id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(member_from_row).collect()
    }

    /// Members, optionally of one unit, by unit then name, with their latest counted check-in.
    pub async fn list_members(&self, unit_id: Option<i64>) -> sqlx::Result<Vec<MemberListing>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS},
                    (SELECT MAX(c.sent_at) FROM checkins c WHERE c.member_id = m.id AND c.deleted_at IS NULL) AS last_checkin
             FROM members m JOIN units u ON u.id = m.unit_id
             WHERE (?1 IS NULL OR m.unit_id = ?1)
             ORDER BY u.id, m.name, m.id"
        );
        let rows = sqlx::query(&sql).bind(unit_id).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(MemberListing {
                    member: member_from_row(row)?,
                    last_checkin_at: row.try_get::<Option<i64>, _>("last_checkin")?.map(at),
                })
            })
            .collect()
    }

    /// The member wrote to the bot (or unblocked it): reachable again.
    pub async fn mark_reachable(&self, telegram_id: i64) -> sqlx::Result<bool> {
        Ok(sqlx::query(
            "UPDATE members SET unreachable_at = NULL WHERE telegram_id = ? AND unreachable_at IS NOT NULL",
        )
        .bind(telegram_id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    pub async fn mark_unreachable(&self, telegram_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE members SET unreachable_at = ? WHERE telegram_id = ? AND unreachable_at IS NULL")
            .bind(ts(now))
            .bind(telegram_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
