//! The built-in recurring jobs' clock: when each fires next, and the ticks that fired.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::notices::insert_notice_on;
use super::{Store, at, ts};
use crate::domain::NewNotice;

impl Store {
    /// When a periodic job last fired for a tick due before `before`, if it ever did.
    pub async fn periodic_fired_before(
        &self,
        job: &str,
        before: DateTime<Utc>,
    ) -> sqlx::Result<Option<DateTime<Utc>>> {
        let fired: Option<i64> = sqlx::query_scalar(
            "SELECT fired_at FROM periodic_runs WHERE job = ? AND due_at < ? ORDER BY due_at DESC LIMIT 1",
        )
        .bind(job)
        .bind(ts(before))
        .fetch_optional(&self.pool)
        .await?;
        Ok(fired.map(at))
    }

    /// When a periodic job fires next, and the schedule that was computed from.
    pub async fn periodic_next(&self, job: &str) -> sqlx::Result<Option<(DateTime<Utc>, String)>> {
        let row = sqlx::query("SELECT next_fire_at, schedule FROM periodic_jobs WHERE job = ?")
            .bind(job)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((at(r.try_get("next_fire_at")?), r.try_get("schedule")?))).transpose()
    }

    /// Sets when a periodic job fires next (first start, a changed schedule, a skipped tick).
    pub async fn set_periodic_next(
        &self,
        job: &str,
        next: DateTime<Utc>,
        schedule: &str,
    ) -> sqlx::Result<()> {
        let mut conn = self.pool.acquire().await?;
        plan(&mut conn, job, next, schedule).await
    }

    /// Fires one tick of a periodic job in one transaction: records the run, inserts the
    /// notices it sends (the scheduler delivers them like any other) and moves the job on.
    /// A tick already fired adds nothing. Returns whether this call fired it.
    #[allow(clippy::too_many_arguments)]
    pub async fn fire_periodic(
        &self,
        job: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
        schedule: &str,
        notices: &[NewNotice],
        outcome: &str,
    ) -> sqlx::Result<bool> {
        let mut tx = self.write_tx().await?;
        let fresh = sqlx::query(
            "INSERT INTO periodic_runs (job, due_at, fired_at, outcome) VALUES (?, ?, ?, ?)
             ON CONFLICT (job, due_at) DO NOTHING",
        )
        .bind(job)
        .bind(ts(due_at))
        .bind(ts(now))
        .bind(outcome)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if fresh {
            for n in notices {
                insert_notice_on(&mut tx, n, now).await?;
            }
        }
        plan(&mut tx, job, next, schedule).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// The runs of a periodic job, newest first: (due, outcome).
    pub async fn periodic_runs(&self, job: &str) -> sqlx::Result<Vec<(DateTime<Utc>, String)>> {
        let rows =
            sqlx::query("SELECT due_at, outcome FROM periodic_runs WHERE job = ? ORDER BY due_at DESC")
                .bind(job)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok((at(r.try_get("due_at")?), r.try_get("outcome")?))).collect()
    }
}

/// Sets when `job` fires next, and the schedule that was computed from.
async fn plan(
    conn: &mut sqlx::SqliteConnection,
    job: &str,
    next: DateTime<Utc>,
    schedule: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO periodic_jobs (job, next_fire_at, schedule) VALUES (?, ?, ?)
         ON CONFLICT (job) DO UPDATE SET next_fire_at = excluded.next_fire_at, schedule = excluded.schedule",
    )
    .bind(job)
    .bind(ts(next))
    .bind(schedule)
    .execute(conn)
    .await?;
    Ok(())
}
