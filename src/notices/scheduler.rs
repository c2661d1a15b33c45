//! Firing due notices, and queueing reminders, on every tick.
//!
//! A tick of a schedule fires at most once (the run is unique per tick) and in one
//! transaction with its deliveries, so a crash at any moment either fired it completely or
//! not at all. A notice whose time passed while the bot was down fires once if it is within
//! the grace period, and is otherwise skipped; the next fire time is always computed from
//! *now*, so missed ticks are never made up one by one.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Notice, check_audience, target_of};
use crate::core::Core;
use crate::domain::{MemberStatus, Role};
use crate::error::Result;
use crate::members::Actor;

/// Fires what is due and queues due reminders. Returns how many runs were fired.
pub async fn tick(core: &Core) -> Result<usize> {
    // Working-day schedules follow the holiday files as they are now.
    core.refresh_calendar();
    // One snapshot for the whole tick, so every decision in it sees the same calendar.
    let calendar = core.calendar();
    let now = core.now();
    let tz = core.tz();
    let mut fired = 0;
    for row in core.store.due_notices(now).await? {
        let id = row.id;
        let notice = match Notice::try_from(row) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(notice = id, error = %e, "cannot read a due notice; pausing it");
                core.store.set_notice_status(id, "paused", None).await?;
                continue;
            }
        };
        let Some(stored_due) = notice.next_fire_at else { continue };
        // After downtime, only the latest missed tick may still fire (once); older ones are gone.
        let due = notice
            .schedule
            .latest_at_or_before(now, tz, &calendar)
            .filter(|latest| *latest >= stored_due)
            .unwrap_or(stored_due);
        let next = notice.schedule.next_after(now.max(due), tz, &calendar);
        let status_after = if next.is_some() { "active" } else { "finished" };
        // Planned before the holiday file was loaded (31 December, no file for the new year
        // yet): a working-day notice whose day turned out to be a day off does not fire.
        if matches!(notice.schedule, crate::schedule::Schedule::Workdays { .. })
            && !calendar.is_working_day(due.with_timezone(&tz).date_naive())
        {
            tracing::info!(notice = id, due = %due, next = ?next, "a working-day notice's day is a day off by the calendar now: skipped");
            core.store.skip_notice_tick(id, next, status_after).await?;
            continue;
        }
        if now - due > core.config.notice_grace {
            tracing::warn!(
                notice = id,
                due = %due,
                late_minutes = (now - due).num_minutes(),
                next = ?next,
                "a notice's time passed while the bot was down, beyond the grace period: skipped"
            );
            core.store.skip_notice_tick(id, next, status_after).await?;
            continue;
        }
        // Quiet hours hold a broadcast until they end, unless it is urgent.
        let not_before = match (&core.config.quiet_hours, notice.urgent) {
            (Some(quiet), false) => quiet.ends_after(now, tz).unwrap_or(now),
            _ => now,
        };
        let target = target_of(core, &notice.audience).await?;
        // Rights are checked when a notice is made, and again at each firing: an organiser who
        // was demoted, deactivated or moved may no longer send to that audience. Paused, not
        // cancelled, so an admin can look at it and resume it (taking it over).
        if let Some(creator) = notice.creator_member_id {
            let may = match core.store.member_by_id(creator).await? {
                Some(m) if m.status == MemberStatus::Active && m.role >= Role::Organiser => {
                    check_audience(&Actor::Member(m), &notice.audience, &target).is_ok()
                }
                _ => false,
            };
            if !may {
                let detail = format!("notice #{id} paused: its creator may no longer send it");
                if core.store.pause_for_creator(id, stored_due, now, &detail).await? {
                    tracing::warn!(
                        notice = id,
                        creator,
                        "the notice's creator may no longer send it: paused"
                    );
                }
                continue;
            }
        }
        if let Some((run, targeted)) =
            core.store.fire_notice(id, due, now, not_before, &target, next, status_after).await?
        {
            fired += 1;
            crate::metrics::Metrics::bump(&core.metrics.notices_fired);
            tracing::info!(notice = id, run, targeted, held_until = %not_before, "notice fired");
        }
    }
    let reminders_not_before = core.config.quiet_hours.and_then(|q| q.ends_after(now, tz)).unwrap_or(now);
    let reminders = core.store.queue_reminders(now, reminders_not_before).await?;
    if reminders > 0 {
        tracing::info!(reminders, "reminders queued for unacknowledged notices");
    }
    Ok(fired + usize::from(reminders > 0))
}

/// The scheduler job: a tick every `scheduler_tick` (or when poked), waking the sender when
/// something was queued.
pub async fn run(
    core: Core,
    wake: Arc<Notify>,
    sender_wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            () = tokio::time::sleep(core.config.scheduler_tick) => {}
            () = wake.notified() => {}
            () = shutdown.cancelled() => return Ok(()),
        }
        match tick(&core).await {
            Ok(0) => {}
            Ok(_) => sender_wake.notify_one(),
            Err(e) => tracing::warn!(error = %e, "scheduler tick failed; trying again next tick"),
        }
    }
}
