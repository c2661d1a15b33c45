//! The built-in recurring jobs' clock (the weekly report, the check-in reminder, the backup):
//! when each fires next is kept in the database, so a restart neither repeats nor forgets a
//! tick. A tick missed while the bot was down fires late only if the job says it is still worth
//! it; otherwise it is skipped and logged, and the job moves on to its next tick from now.

use chrono::{DateTime, Utc};

use crate::core::Core;
use crate::domain::NewNotice;
use crate::error::Result;
use crate::notices::Schedule;

/// A tick that has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub job: &'static str,
    /// When it was due, by the schedule.
    pub due: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// The tick after this one.
    pub next: DateTime<Utc>,
    /// The schedule as text, stored with the next tick so a changed config re-plans.
    schedule: String,
}

impl Tick {
    /// Records the tick as fired, with the notices it sends, in one transaction (see
    /// [`crate::store::Store::fire_periodic`]). False if it had fired before.
    pub async fn fire(&self, core: &Core, notices: &[NewNotice], outcome: &str) -> Result<bool> {
        let fresh = core
            .store
            .fire_periodic(self.job, self.due, self.now, self.next, &self.schedule, notices, outcome)
            .await?;
        if fresh {
            tracing::info!(job = self.job, due = %self.due, next = %self.next, %outcome, "periodic job fired");
        }
        Ok(fresh)
    }
}

/// The tick of `job` that has come, if one has. Plans the first tick (or re-plans when the
/// config names another schedule); skips a tick for which `worth_it(due, now)` is false.
pub async fn due(
    core: &Core,
    job: &'static str,
    schedule: &Schedule,
    worth_it: impl Fn(DateTime<Utc>, DateTime<Utc>) -> bool,
) -> Result<Option<Tick>> {
    let now = core.now();
    let text = schedule.to_string();
    let next_after = |t| schedule.next_after(t, core.tz(), &core.calendar());
    let due = match core.store.periodic_next(job).await? {
        Some((due, stored)) if stored == text => due,
        _ => {
            if let Some(next) = next_after(now) {
                core.store.set_periodic_next(job, next, &text).await?;
                tracing::info!(job, next = %next, "periodic job scheduled");
            }
            return Ok(None);
        }
    };
    if due > now {
        return Ok(None);
    }
    let Some(next) = next_after(now) else { return Ok(None) };
    if !worth_it(due, now) {
        tracing::warn!(
            job,
            due = %due,
            late_minutes = (now - due).num_minutes(),
            next = %next,
            "a periodic job's time passed while the bot was down, too long ago: skipped"
        );
        core.store.set_periodic_next(job, next, &text).await?;
        return Ok(None);
    }
    Ok(Some(Tick { job, due, now, next, schedule: text }))
}

/// When `job` last fired for a tick due before `before` (the weekly report's previous one).
pub async fn last_fired(core: &Core, job: &str, before: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    Ok(core.store.periodic_fired_before(job, before).await?)
}
