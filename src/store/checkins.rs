//! Check-ins: written once per source message, never erased (an undo marks them deleted).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Store, at, ts};
use crate::domain::Checkin;

/// A stored `YYYY-MM-DD`.
pub(super) fn day(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCheckin {
    pub member_id: i64,
    pub unit_id: i64,
    pub site_id: Option<i64>,
    pub kind: String,
    pub description: String,
    pub people_served: Option<u32>,
    pub photo_file_id: Option<String>,
    pub location: Option<(f64, f64)>,
    /// When it counts (the `sent_at` column): see [`Checkin::counts_at`].
    pub counts_at: DateTime<Utc>,
    /// When the member sent it.
    pub logged_at: DateTime<Utc>,
    pub done_on: Option<NaiveDate>,
    pub source_chat_id: i64,
    pub source_message_id: i64,
    /// 'line', 'photo' or 'dialogue'.
    pub via: &'static str,
    pub notice_id: Option<i64>,
    /// The ISO week it counts in, as [`crate::week::Week::key`].
    pub week: i64,
}

const CHECKIN_SELECT: &str =
    "SELECT c.id, c.member_id, c.unit_id, c.site_id, s.name AS site_name, c.kind, c.description,
        c.people_served, c.photo_file_id, c.latitude, c.longitude, c.sent_at,
        COALESCE(c.logged_at, c.sent_at) AS logged_at, c.done_on, c.deleted_at
    FROM checkins c LEFT JOIN sites s ON s.id = c.site_id";

fn checkin_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Checkin> {
    let lat: Option<f64> = row.try_get("latitude")?;
    let lon: Option<f64> = row.try_get("longitude")?;
    Ok(Checkin {
        id: row.try_get("id")?,
        member_id: row.try_get("member_id")?,
        unit_id: row.try_get("unit_id")?,
        site_id: row.try_get("site_id")?,
        site_name: row.try_get("site_name")?,
        kind: row.try_get("kind")?,
        description: row.try_get("description")?,
        people_served: row.try_get::<Option<i64>, _>("people_served")?.and_then(|n| u32::try_from(n).ok()),
        photo_file_id: row.try_get("photo_file_id")?,
        location: lat.zip(lon),
        counts_at: at(row.try_get("sent_at")?),
        logged_at: at(row.try_get("logged_at")?),
        done_on: day(row.try_get("done_on")?),
        deleted_at: row.try_get::<Option<i64>, _>("deleted_at")?.map(at),
    })
}

impl Store {
    /// Records a check-in unless its source message was recorded before. Returns the stored
    /// check-in and whether this call wrote it. `audit` (actor, detail), given for a back-dated
    /// one, is logged in the same transaction, with the new check-in's id in front.
    pub async fn insert_checkin(
        &self,
        new: &NewCheckin,
        now: DateTime<Utc>,
        audit: Option<(&str, &str)>,
    ) -> sqlx::Result<(Checkin, bool)> {
        let mut tx = self.write_tx().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO checkins (member_id, unit_id, site_id, kind, description, people_served, photo_file_id,
                                   latitude, longitude, sent_at, source_chat_id, source_message_id, via, created_at, notice_id,
                                   week, logged_at, done_on)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (source_chat_id, source_message_id) DO NOTHING
             RETURNING id",
        )
        .bind(new.member_id)
        .bind(new.unit_id)
        .bind(new.site_id)
        .bind(&new.kind)
        .bind(&new.description)
        .bind(new.people_served.map(i64::from))
        .bind(&new.photo_file_id)
        .bind(new.location.map(|l| l.0))
        .bind(new.location.map(|l| l.1))
        .bind(ts(new.counts_at))
        .bind(new.source_chat_id)
        .bind(new.source_message_id)
        .bind(new.via)
        .bind(ts(now))
        .bind(new.notice_id)
        .bind(new.week)
        .bind(ts(new.logged_at))
        .bind(new.done_on.map(|d| d.to_string()))
        .fetch_optional(&mut *tx)
        .await?;
        if let (Some(id), Some((actor, detail))) = (inserted, audit) {
            let detail = format!("#{id} {detail}");
            super::audit::insert(
                &mut tx,
                now,
                actor,
                "backdate",
                Some(new.member_id),
                None,
                None,
                Some(&detail),
            )
            .await?;
        }
        let row =
            sqlx::query(&format!("{CHECKIN_SELECT} WHERE c.source_chat_id = ? AND c.source_message_id = ?"))
                .bind(new.source_chat_id)
                .bind(new.source_message_id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok((checkin_from_row(&row)?, inserted.is_some()))
    }

    pub async fn checkin(&self, id: i64) -> sqlx::Result<Option<Checkin>> {
        sqlx::query(&format!("{CHECKIN_SELECT} WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(checkin_from_row)
            .transpose()
    }

    /// A member's counted check-ins sent in `[from, to)`, oldest first.
    pub async fn member_checkins_between(
        &self,
        member_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> sqlx::Result<Vec<Checkin>> {
        let rows = sqlx::query(&format!(
            "{CHECKIN_SELECT} WHERE c.member_id = ? AND c.sent_at >= ? AND c.sent_at < ? AND c.deleted_at IS NULL
             ORDER BY c.sent_at, c.id"
        ))
        .bind(member_id)
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(checkin_from_row).collect()
    }

    /// How many counted check-ins a member sent in `[from, to)`.
    pub async fn member_checkin_count(
        &self,
        member_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM checkins WHERE member_id = ? AND sent_at >= ? AND sent_at < ? AND deleted_at IS NULL",
        )
        .bind(member_id)
        .bind(ts(from))
        .bind(ts(to))
        .fetch_one(&self.pool)
        .await
    }

    /// The member's most recently recorded check-in that still counts.
    pub async fn latest_counted_checkin(&self, member_id: i64) -> sqlx::Result<Option<Checkin>> {
        sqlx::query(&format!(
            "{CHECKIN_SELECT} WHERE c.member_id = ? AND c.deleted_at IS NULL ORDER BY c.id DESC LIMIT 1"
        ))
        .bind(member_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(checkin_from_row)
        .transpose()
    }

    /// The check-in that the member's undo message `message_id` deleted, if it did.
    pub async fn checkin_undone_by(&self, member_id: i64, message_id: i64) -> sqlx::Result<Option<Checkin>> {
        sqlx::query(&format!("{CHECKIN_SELECT} WHERE c.member_id = ? AND c.deleted_by_message = ?"))
            .bind(member_id)
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(checkin_from_row)
            .transpose()
    }

    /// Marks a check-in deleted, if it belongs to `member_id` and still counts.
    pub async fn mark_checkin_undone(
        &self,
        id: i64,
        member_id: i64,
        by_message: i64,
        now: DateTime<Utc>,
    ) -> sqlx::Result<bool> {
        let n = sqlx::query(
            "UPDATE checkins SET deleted_at = ?, deleted_by_message = ?
             WHERE id = ? AND member_id = ? AND deleted_at IS NULL",
        )
        .bind(ts(now))
        .bind(by_message)
        .bind(id)
        .bind(member_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// The first and last `sent_at` of check-ins whose week is not filled in yet (or of all
    /// check-ins, with `all`).
    pub async fn checkin_span(&self, all: bool) -> sqlx::Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let sql = if all {
            "SELECT MIN(sent_at), MAX(sent_at) FROM checkins"
        } else {
            "SELECT MIN(sent_at), MAX(sent_at) FROM checkins WHERE week IS NULL"
        };
        let row: (Option<i64>, Option<i64>) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
        Ok(row.0.zip(row.1).map(|(a, b)| (at(a), at(b))))
    }

    /// Writes the week of the check-ins sent in each `[from, to)` (only where missing, unless
    /// `all`), in one transaction: a tally never sees half of it.
    pub async fn set_checkin_weeks(
        &self,
        weeks: &[(i64, DateTime<Utc>, DateTime<Utc>)],
        all: bool,
    ) -> sqlx::Result<u64> {
        let sql = if all {
            "UPDATE checkins SET week = ? WHERE sent_at >= ? AND sent_at < ? AND week IS NOT ?1"
        } else {
            "UPDATE checkins SET week = ? WHERE sent_at >= ? AND sent_at < ? AND week IS NULL"
        };
        let mut tx = self.write_tx().await?;
        let mut n = 0;
        for (week, from, to) in weeks {
            n += sqlx::query(sql)
                .bind(week)
                .bind(ts(*from))
                .bind(ts(*to))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Every check-in ever written, deleted ones included (for tests and audits).
    pub async fn checkin_rows_total(&self) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM checkins").fetch_one(&self.pool).await
    }
}
