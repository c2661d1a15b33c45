//! Registered people.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};
use crate::domain::{Account, Member, MemberListing, Person, Platform, Role};

/// The person id of the account member `m` is reached on (one copy of a notice goes there).
pub(super) const PREFERRED_ACCOUNT: &str = "COALESCE(m.reached_on, m.registered_as)";

/// A member's columns, with the account they are reached on: the one they last wrote from
/// (a new link counts as writing).
pub(super) const MEMBER_COLUMNS: &str = "m.id, COALESCE(m.reached_on, m.registered_as) AS account_person, \
    (SELECT a.platform FROM accounts a WHERE a.person_id = COALESCE(m.reached_on, m.registered_as)) AS account_platform, \
    m.name, m.username, m.unit_id, u.name AS unit_name, m.role, m.status, m.reminders, m.registered_at, m.unreachable_at";

/// An account read from its columns.
pub(super) fn account_from(platform: &str, person_id: i64) -> sqlx::Result<Account> {
    let platform =
        platform.parse().map_err(|()| sqlx::Error::Decode(format!("platform {platform:?}").into()))?;
    Ok(Account { platform, person_id })
}

pub(super) fn member_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Member> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(Member {
        id: row.try_get("id")?,
        account: account_from(
            &row.try_get::<String, _>("account_platform")?,
            row.try_get("account_person")?,
        )?,
        name: row.try_get("name")?,
        username: row.try_get("username")?,
        unit_id: row.try_get("unit_id")?,
        unit_name: row.try_get("unit_name")?,
        role: role.parse().map_err(|()| sqlx::Error::Decode(format!("role {role:?}").into()))?,
        status: status.parse().map_err(|()| sqlx::Error::Decode(format!("status {status:?}").into()))?,
        reminders: row.try_get::<i64, _>("reminders")? != 0,
        registered_at: at(row.try_get("registered_at")?),
        unreachable: row.try_get::<Option<i64>, _>("unreachable_at")?.is_some(),
        on_web: false,
    })
}

impl Store {
    /// The member a person's account belongs to, whatever their status.
    pub async fn member_by_person(&self, person_id: i64) -> sqlx::Result<Option<Member>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id
             WHERE m.id = (SELECT member_id FROM accounts WHERE person_id = ?)"
        );
        sqlx::query(&sql)
            .bind(person_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(member_from_row)
            .transpose()
    }

    /// The person wrote from this account: notices now reach them here.
    pub async fn account_seen(&self, person_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE accounts SET last_seen_at = ? WHERE person_id = ?")
            .bind(ts(now))
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE members SET reached_on = ?1 WHERE id = (SELECT member_id FROM accounts WHERE person_id = ?1)")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
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
                    (SELECT MAX(c.sent_at) FROM checkins c WHERE c.member_id = m.id AND c.deleted_at IS NULL) AS last_checkin,
                    (SELECT a.person_id FROM accounts a WHERE a.member_id = m.id AND a.platform = 'telegram') AS telegram_id,
                    (SELECT h.external_id FROM accounts a JOIN handles h ON h.id = a.person_id
                     WHERE a.member_id = m.id AND a.platform = 'dingtalk') AS dingtalk_id
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
                    telegram_id: row.try_get("telegram_id")?,
                    dingtalk_id: row.try_get("dingtalk_id")?,
                })
            })
            .collect()
    }

    /// The member wrote to the bot (or unblocked it): reachable again.
    pub async fn mark_reachable(&self, member_id: i64) -> sqlx::Result<bool> {
        Ok(sqlx::query(
            "UPDATE members SET unreachable_at = NULL WHERE id = ? AND unreachable_at IS NOT NULL",
        )
        .bind(member_id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    pub async fn mark_unreachable(&self, member_id: i64, now: DateTime<Utc>) -> sqlx::Result<()> {
        sqlx::query("UPDATE members SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL")
            .bind(ts(now))
            .bind(member_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The core's id for a platform's string id (a DingTalk staff id, a conversation id): the
    /// same id every time, from 2^60 up (see migration 10).
    pub async fn handle(&self, platform: Platform, external_id: &str) -> sqlx::Result<i64> {
        if let Some(id) = self.handle_of(platform, external_id).await? {
            return Ok(id);
        }
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO handles (id, platform, external_id)
             VALUES ((SELECT COALESCE(MAX(id), 1152921504606846975) + 1 FROM handles), ?, ?)
             ON CONFLICT (platform, external_id) DO NOTHING",
        )
        .bind(platform.as_str())
        .bind(external_id)
        .execute(&mut *tx)
        .await?;
        let id = sqlx::query_scalar("SELECT id FROM handles WHERE platform = ? AND external_id = ?")
            .bind(platform.as_str())
            .bind(external_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn handle_of(&self, platform: Platform, external_id: &str) -> sqlx::Result<Option<i64>> {
        sqlx::query_scalar("SELECT id FROM handles WHERE platform = ? AND external_id = ?")
            .bind(platform.as_str())
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The platform's own string id behind a handle.
    pub async fn external_id(&self, handle: i64) -> sqlx::Result<Option<String>> {
        sqlx::query_scalar("SELECT external_id FROM handles WHERE id = ?")
            .bind(handle)
            .fetch_optional(&self.pool)
            .await
    }
}

/// What redeeming a binding code did.
#[derive(Debug, Clone, PartialEq)]
pub enum Linked {
    /// The account now belongs to the member.
    Linked(Member),
    /// It already did.
    Already(Member),
    Unknown,
    /// The account belongs to another member.
    Taken,
    /// The member already has another account on this platform.
    PlatformTaken,
}

impl Store {
    /// Keeps a one-time code that binds another platform's account to `member_id` until `expires_at`.
    pub async fn create_link_code(
        &self,
        member_id: i64,
        code: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO link_codes (code, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
            .bind(code)
            .bind(member_id)
            .bind(ts(now))
            .bind(ts(expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Binds `account` to the member a code was made for, once, in one transaction.
    pub async fn redeem_link_code(
        &self,
        code: &str,
        account: Account,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Linked> {
        let mut tx = self.write_tx().await?;
        let target: Option<i64> = sqlx::query_scalar(
            "SELECT member_id FROM link_codes WHERE code = ? AND used_at IS NULL AND expires_at > ?",
        )
        .bind(code)
        .bind(ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(member_id) = target else { return Ok(Linked::Unknown) };
        let owner: Option<i64> = sqlx::query_scalar("SELECT member_id FROM accounts WHERE person_id = ?")
            .bind(account.person_id)
            .fetch_optional(&mut *tx)
            .await?;
        let member_sql =
            format!("SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id WHERE m.id = ?");
        match owner {
            Some(owner) if owner == member_id => {
                let row = sqlx::query(&member_sql).bind(member_id).fetch_one(&mut *tx).await?;
                return Ok(Linked::Already(member_from_row(&row)?));
            }
            // Someone already a member elsewhere who wrote to the DingTalk robot first was made a
            // member by their department: binding brings that account home, and the member made
            // for it (nothing of its own yet) is closed. One with records of its own stays.
            Some(other) if joined_by_department_alone(&mut tx, other).await? => {
                sqlx::query("DELETE FROM accounts WHERE person_id = ? AND member_id = ?")
                    .bind(account.person_id)
                    .bind(other)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE members SET status = 'inactive' WHERE id = ?")
                    .bind(other)
                    .execute(&mut *tx)
                    .await?;
                let detail = format!(
                    "account bound to member #{member_id}: member #{other} (joined by department) closed"
                );
                super::audit::insert(
                    &mut tx,
                    now,
                    "system",
                    "status",
                    Some(other),
                    Some("active"),
                    Some("inactive"),
                    Some(&detail),
                )
                .await?;
            }
            Some(_) => return Ok(Linked::Taken),
            None => {}
        }
        let on_platform: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE member_id = ? AND platform = ?")
                .bind(member_id)
                .bind(account.platform.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if on_platform > 0 {
            return Ok(Linked::PlatformTaken);
        }
        sqlx::query(
            "INSERT INTO accounts (person_id, platform, member_id, linked_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(account.person_id)
        .bind(account.platform.as_str())
        .bind(member_id)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE link_codes SET used_at = ? WHERE code = ?")
            .bind(ts(now))
            .bind(code)
            .execute(&mut *tx)
            .await?;
        // Bound just now, from the platform they are writing on: reached there from now on (a
        // terminal session is a try-out, never where notices go instead).
        sqlx::query("UPDATE members SET reached_on = ?1 WHERE id = ?2 AND ?3 <> 'terminal'")
            .bind(account.person_id)
            .bind(member_id)
            .bind(account.platform.as_str())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(&member_sql).bind(member_id).fetch_one(&mut *tx).await?;
        let member = member_from_row(&row)?;
        tx.commit().await?;
        Ok(Linked::Linked(member))
    }
}

/// The member `person_id` already is (through any of their accounts), inside a transaction.
pub(super) async fn member_of_person_on(
    conn: &mut sqlx::SqliteConnection,
    person_id: i64,
) -> sqlx::Result<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM members m JOIN units u ON u.id = m.unit_id
         WHERE m.id = (SELECT member_id FROM accounts WHERE person_id = ?)"
    );
    sqlx::query(&sql)
        .bind(person_id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(member_from_row)
        .transpose()
}

/// Makes `person` a member of `unit_id` as `role` (by `invite_id`, if an invite brought them),
/// with their account, inside the caller's transaction; the new member's id.
pub(super) async fn insert_member_on(
    conn: &mut sqlx::SqliteConnection,
    person: &Person,
    unit_id: i64,
    role: Role,
    invite_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let person_id = person.account.person_id;
    let member_id: i64 = sqlx::query_scalar(
        "INSERT INTO members (registered_as, reached_on, name, username, unit_id, role, invite_id, registered_at)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    )
    .bind(person_id)
    .bind(&person.name)
    .bind(&person.username)
    .bind(unit_id)
    .bind(role.as_str())
    .bind(invite_id)
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO accounts (person_id, platform, member_id, linked_at) VALUES (?, ?, ?, ?)")
        .bind(person_id)
        .bind(person.account.platform.as_str())
        .bind(member_id)
        .bind(ts(now))
        .execute(&mut *conn)
        .await?;
    Ok(member_id)
}

/// Whether member `id` was made by a DingTalk department (no invite) and has nothing of its own
/// yet: no check-in, no acknowledgement, no other account.
async fn joined_by_department_alone(conn: &mut sqlx::SqliteConnection, id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM members m WHERE m.id = ?1 AND m.invite_id IS NULL AND m.status = 'active'
            AND EXISTS (SELECT 1 FROM audit_log a WHERE a.member_id = m.id AND a.action = 'dingtalk_department')
            AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = m.id)
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.member_id = m.id AND d.acked_at IS NOT NULL)
            AND (SELECT COUNT(*) FROM accounts a WHERE a.member_id = m.id) = 1)",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await
}
