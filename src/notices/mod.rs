//! Scheduled policy notices: composing them, firing them on time, delivering them through a
//! durable outbox within each platform's limits, and counting who received and acknowledged
//! them.
//!
//! - [`create`], [`manage`], [`list`], [`report`], [`acknowledge`]: the core operations, each
//!   checking the caller's role (organisers act for their own unit and their own notices).
//! - [`scheduler`]: fires due notices (one transaction per tick: run + deliveries), queues
//!   reminders. [`sender`]: works through the outbox at the configured rate.
//! - [`pinyin`]: cleaning pinyin annotations out of a text (pure). The schedule grammar and
//!   the holiday calendar are [`crate::schedule`]'s, shared with the config.
//!
//! A body must fit one message (one caption, with a file) on every platform: the limits are
//! the platforms' own ([`crate::limits`]), held by the [`Core`].

pub mod agenda;
pub mod pace;
pub mod pinyin;
pub mod scheduler;
pub mod sender;
pub mod uploads;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::core::Core;
use crate::domain::NewNotice;
use crate::domain::{LinkKind, Member, Role};
pub use crate::domain::{RunReport, UnitReceipts};
use crate::error::{Error, Result, UserError};
use crate::limits::{Limits, TooLong};
use crate::members::Actor;
pub use crate::store::AckOutcome;
use crate::store::{DelayedNotice, NoticeRow, Outage, StatusChange, Target};

pub use crate::schedule::{QuietHours, Schedule, ScheduleError};

/// Who a notice goes to. Unit selectors (`all`, `units`, `links`) make a set of units; `roles`
/// then narrows to those roles. Only roles given means those roles in every unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub units: Vec<i64>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub links: Vec<LinkKind>,
    /// Named members only (the bot's own check-in reminders); never offered to organisers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<i64>,
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.units.is_empty()
            && self.roles.is_empty()
            && self.links.is_empty()
            && self.members.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Photo,
    Document,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Document => "document",
        }
    }

    fn parse(s: &str) -> Option<MediaKind> {
        match s {
            "photo" => Some(MediaKind::Photo),
            "document" => Some(MediaKind::Document),
            _ => None,
        }
    }
}

/// A photo or document: already on Telegram (a file_id from the chat), or a file from the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    pub file_id: Option<String>,
    pub upload: Option<(String, Vec<u8>)>,
}

/// Everything needed to create a notice.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeDraft {
    pub body: String,
    pub media: Option<Media>,
    pub audience: Audience,
    pub schedule: Schedule,
    pub ack: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind_after: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeStatus {
    Active,
    Paused,
    Cancelled,
    Finished,
}

impl NoticeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeStatus::Active => "active",
            NoticeStatus::Paused => "paused",
            NoticeStatus::Cancelled => "cancelled",
            NoticeStatus::Finished => "finished",
        }
    }

    fn parse(s: &str) -> NoticeStatus {
        match s {
            "paused" => NoticeStatus::Paused,
            "cancelled" => NoticeStatus::Cancelled,
            "finished" => NoticeStatus::Finished,
            _ => NoticeStatus::Active,
        }
    }
}

/// A stored notice, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: i64,
    pub created_by: String,
    pub creator_member_id: Option<i64>,
    pub body: String,
    pub media_kind: Option<MediaKind>,
    pub media_name: Option<String>,
    pub audience: Audience,
    pub schedule: Schedule,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub ack: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind_after: Option<Duration>,
    pub status: NoticeStatus,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<NoticeRow> for Notice {
    type Error = Error;
    fn try_from(r: NoticeRow) -> Result<Notice> {
        let bad = |what: &str, e: serde_json::Error| {
            anyhow::anyhow!("notice {}: stored {what} unreadable: {e}", r.id)
        };
        Ok(Notice {
            audience: serde_json::from_str(&r.audience).map_err(|e| bad("audience", e))?,
            schedule: serde_json::from_str(&r.schedule).map_err(|e| bad("schedule", e))?,
            id: r.id,
            created_by: r.created_by,
            creator_member_id: r.creator_member_id,
            body: r.body,
            media_kind: r.media_kind.as_deref().and_then(MediaKind::parse),
            media_name: r.media_name,
            next_fire_at: r.next_fire_at,
            ack: r.ack_required,
            policy: r.policy,
            urgent: r.urgent,
            remind_after: r.remind_after_secs.map(Duration::seconds),
            status: NoticeStatus::parse(&r.status),
            created_at: r.created_at,
        })
    }
}

/// Refuses a body some platform in `limits` would refuse (too long for one message, or for
/// one caption with a file), rather than cutting it at send time.
pub fn check_body(limits: &[Limits], body: &str, has_media: bool) -> Result<(), UserError> {
    if !has_media && body.trim().is_empty() {
        return Err(UserError::EmptyNotice);
    }
    match crate::limits::too_long(limits, body, has_media) {
        Some(TooLong { platform, limit, length }) => {
            Err(UserError::NoticeTooLong { platform, limit, length, caption: has_media })
        }
        None => Ok(()),
    }
}

/// The members an audience means, as a store target. An organiser's audience must stay
/// within their own unit.
pub async fn target_of(core: &Core, audience: &Audience) -> Result<Target> {
    let unit_ids = if audience.all || (audience.units.is_empty() && audience.links.is_empty()) {
        None
    } else {
        let mut ids: BTreeSet<i64> = audience.units.iter().copied().collect();
        if !audience.links.is_empty() {
            // A unit is linked so by a site it still visits, not one archived.
            for site in core.store.active_sites().await? {
                if audience.links.contains(&site.link) {
                    ids.insert(site.unit_id);
                }
            }
        }
        Some(ids.into_iter().collect())
    };
    Ok(Target {
        unit_ids,
        roles: audience.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        member_ids: (!audience.members.is_empty()).then(|| audience.members.clone()),
    })
}

/// Whether `actor` may address `audience`: admins and the CLI anyone, organisers their own unit.
fn check_audience(actor: &Actor, audience: &Audience, target: &Target) -> Result<(), UserError> {
    if audience.is_empty() {
        return Err(UserError::EmptyAudience);
    }
    match actor {
        Actor::Cli => Ok(()),
        Actor::Member(m) if m.role == Role::Admin => Ok(()),
        Actor::Member(m) => match &target.unit_ids {
            Some(units) if units.iter().all(|u| *u == m.unit_id) && !units.is_empty() => Ok(()),
            _ => Err(UserError::OtherUnit),
        },
    }
}

/// How many members an audience reaches now.
pub async fn audience_size(core: &Core, audience: &Audience) -> Result<i64> {
    let target = target_of(core, audience).await?;
    Ok(core.store.target_count(&target).await?)
}

/// Whether `actor` may publish `draft` as it stands, and when it would first go: every check
/// [`create`] makes, without writing anything (a preview refuses what publishing would).
/// `has_media` stands for a file not yet attached to the draft.
pub async fn check(
    core: &Core,
    actor: &Actor,
    draft: &NoticeDraft,
    has_media: bool,
) -> Result<Option<DateTime<Utc>>> {
    if let Actor::Member(m) = actor {
        crate::members::require_role(m, Role::Organiser)?;
    }
    check_body(core.limits(), &draft.body, has_media || draft.media.is_some())?;
    let target = target_of(core, &draft.audience).await?;
    check_audience(actor, &draft.audience, &target)?;
    let next = draft.schedule.first_fire(core.now(), core.tz(), &core.calendar());
    if next.is_none() {
        return Err(UserError::BadSchedule(ScheduleError::InThePast(draft.schedule.to_string())).into());
    }
    Ok(next)
}

/// Creates a notice. Organisers and admins only; an organiser only for their own unit.
pub async fn create(
    core: &Core,
    actor: &Actor,
    draft: &NoticeDraft,
    source_key: Option<String>,
) -> Result<Notice> {
    let next = check(core, actor, draft, false).await?;
    let now = core.now();
    let (created_by, creator) = match actor {
        Actor::Cli => ("cli".to_owned(), None),
        Actor::Member(m) => (m.account.label(), Some(m.id)),
    };
    let (row, new) = core
        .store
        .insert_notice_once(
            &NewNotice {
                created_by,
                creator_member_id: creator,
                body: draft.body.clone(),
                media_kind: draft.media.as_ref().map(|m| m.kind.as_str().to_owned()),
                media_file_id: draft.media.as_ref().and_then(|m| m.file_id.clone()),
                media_name: draft.media.as_ref().and_then(|m| m.upload.as_ref().map(|u| u.0.clone())),
                media_bytes: draft.media.as_ref().and_then(|m| m.upload.as_ref().map(|u| u.1.clone())),
                audience: serde_json::to_string(&draft.audience).map_err(anyhow::Error::from)?,
                schedule: serde_json::to_string(&draft.schedule).map_err(anyhow::Error::from)?,
                next_fire_at: next,
                ack_required: draft.ack,
                policy: draft.policy,
                urgent: draft.urgent,
                remind_after_secs: if draft.ack {
                    draft.remind_after.map(|d| d.num_seconds().max(60))
                } else {
                    None
                },
                source_key,
            },
            now,
            Some(&crate::members::actor_label(actor)),
        )
        .await?;
    let notice = Notice::try_from(row)?;
    // Not new: the same composer, form or message made it before, and nothing happens twice.
    if new {
        tracing::info!(notice = notice.id, next = ?notice.next_fire_at, "notice created");
    }
    Ok(notice)
}

/// A notice `actor` may see: admins and the CLI all, organisers those they created.
pub async fn get(core: &Core, actor: &Actor, id: i64) -> Result<Notice> {
    let row = core.store.notice(id).await?.ok_or(UserError::NoSuchNotice(id))?;
    let notice = Notice::try_from(row)?;
    match actor {
        Actor::Cli => Ok(notice),
        Actor::Member(m) => {
            crate::members::require_role(m, Role::Organiser)?;
            if m.role == Role::Admin || notice.creator_member_id == Some(m.id) {
                Ok(notice)
            } else {
                Err(UserError::NoSuchNotice(id).into())
            }
        }
    }
}

/// The notice a form or message with `source_key` made, if any (and `actor` may see it).
pub async fn made_by_key(core: &Core, actor: &Actor, source_key: &str) -> Result<Option<Notice>> {
    match core.store.notice_id_by_key(source_key).await? {
        Some(id) => Ok(Some(get(core, actor, id).await?)),
        None => Ok(None),
    }
}

/// The notices `actor` may see that are still to send (active or paused), however many.
pub async fn open(core: &Core, actor: &Actor) -> Result<Vec<Notice>> {
    let creator = match actor {
        Actor::Cli => None,
        Actor::Member(m) => {
            crate::members::require_role(m, Role::Organiser)?;
            (m.role < Role::Admin).then_some(m.id)
        }
    };
    core.store.open_notices(creator).await?.into_iter().map(Notice::try_from).collect()
}

/// The notices `actor` may see, newest first.
pub async fn list(core: &Core, actor: &Actor) -> Result<Vec<Notice>> {
    let creator = match actor {
        Actor::Cli => None,
        Actor::Member(m) => {
            crate::members::require_role(m, Role::Organiser)?;
            (m.role < Role::Admin).then_some(m.id)
        }
    };
    core.store.list_notices(creator, 50).await?.into_iter().map(Notice::try_from).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Management {
    Pause,
    Resume,
    Cancel,
}

/// Pauses, resumes or cancels a notice. Resuming a recurring notice continues from its next
/// tick after now (missed ticks are not made up); resuming a one-off that was paused past its
/// time sends it now, since it was never sent. Cancelling closes deliveries not yet sent.
pub async fn manage(core: &Core, actor: &Actor, id: i64, action: Management) -> Result<Notice> {
    let notice = get(core, actor, id).await?;
    // A one-off has finished firing as soon as its run is queued, but its broadcast may still be
    // under way: that can still be cancelled.
    let sending = notice.status == NoticeStatus::Finished
        && action == Management::Cancel
        && core.store.pending_deliveries_of(id).await? > 0;
    let (status, next) = match (action, notice.status) {
        (_, NoticeStatus::Finished) if sending => (NoticeStatus::Cancelled, None),
        (_, NoticeStatus::Cancelled | NoticeStatus::Finished) => {
            return Err(UserError::NoticeClosed(id).into());
        }
        // Already so (a form sent twice, a second tap): nothing to do, nothing to audit.
        (Management::Pause, NoticeStatus::Paused) | (Management::Resume, NoticeStatus::Active) => {
            return Ok(notice);
        }
        (Management::Pause, _) => (NoticeStatus::Paused, notice.next_fire_at),
        (Management::Cancel, _) => (NoticeStatus::Cancelled, None),
        (Management::Resume, _) => {
            let next = match (notice.next_fire_at, &notice.schedule) {
                (Some(t), _) if t > core.now() => Some(t),
                (Some(_), Schedule::Now | Schedule::Once { .. }) => Some(core.now()),
                _ => notice.schedule.next_after(core.now(), core.tz(), &core.calendar()),
            };
            match next {
                Some(t) => (NoticeStatus::Active, Some(t)),
                None => (NoticeStatus::Finished, None),
            }
        }
    };
    // Whoever resumes a notice answers for it from now on (the scheduler checks its creator's
    // rights at each firing): an admin taking over a demoted organiser's notice.
    let owner = match actor {
        Actor::Member(m) => Some(m.id),
        Actor::Cli => None,
    };
    let detail = format!("notice #{id} {}", status.as_str());
    let label = crate::members::actor_label(actor);
    let change = StatusChange {
        id,
        from: notice.status.as_str(),
        to: status.as_str(),
        next_fire_at: next,
        owner: (action == Management::Resume && owner != notice.creator_member_id).then_some(owner),
        actor: &label,
        detail: &detail,
    };
    if core.store.change_notice_status(&change, core.now()).await? {
        tracing::info!(notice = id, status = status.as_str(), "notice status changed");
    } else {
        // It changed meanwhile (it fired, or someone else acted): say how it stands now.
        let now_is = get(core, actor, id).await?;
        if now_is.status != status {
            return Err(UserError::NoticeChanged(id).into());
        }
    }
    get(core, actor, id).await
}

/// The latest run's receipts.
pub async fn report(core: &Core, actor: &Actor, id: i64) -> Result<(Notice, RunReport)> {
    let notice = get(core, actor, id).await?;
    let mut report = core.store.latest_run_report(id).await?;
    if let Some(fired) = report.fired_at {
        // Held until now if some deliveries still wait, else until the last went out.
        let last = if report.pending > 0 { core.now() } else { report.last_sent_at.unwrap_or(fired) };
        let (delay, platforms) = core.store.outage_delay(report.run_id, fired, last).await?;
        report.outage_delay = (delay > chrono::Duration::zero()).then_some(delay);
        report.outage_platforms = platforms;
    }
    Ok((notice, report))
}

/// The latest run's receipts with its figures by unit. An organiser sees only their own
/// unit's part and names.
pub async fn receipts(core: &Core, actor: &Actor, id: i64) -> Result<(Notice, RunReport, Vec<UnitReceipts>)> {
    let (notice, mut report) = report(core, actor, id).await?;
    let mut units = core.store.run_receipts_by_unit(report.run_id, id).await?;
    if let Actor::Member(m) = actor
        && m.role < Role::Admin
    {
        units.retain(|u| u.unit_id == m.unit_id);
        report.not_acknowledged.retain(|(_, unit)| *unit == m.unit_name);
        report.failed.retain(|(_, unit, _, _)| *unit == m.unit_name);
        report.blocked.retain(|(_, unit, _)| *unit == m.unit_name);
    }
    Ok((notice, report, units))
}

/// What 「提醒未确认的人」 did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminded {
    /// This many reminders are on their way.
    Queued(u64),
    /// Everyone not yet acknowledging was reminded before, this run: once is enough.
    Already,
    /// Nobody is waiting for one (all acknowledged, or nothing delivered yet).
    Nobody,
}

/// Reminds, now, the people of the latest run who have not acknowledged: once per person and
/// run, as the automatic reminder does (a person it already reached is not reminded again).
/// Quiet hours hold the reminders as they hold the automatic ones.
pub async fn remind_now(core: &Core, actor: &Actor, id: i64) -> Result<Reminded> {
    let (notice, report) = report(core, actor, id).await?;
    if !notice.ack {
        return Err(UserError::NoAckAsked(id).into());
    }
    if report.run_id == 0 {
        return Ok(Reminded::Nobody);
    }
    let now = core.now();
    let not_before = core.config.quiet_hours.and_then(|q| q.ends_after(now, core.tz())).unwrap_or(now);
    let label = crate::members::actor_label(actor);
    let (queued, before) = core.store.remind_run_now(report.run_id, now, not_before, &label).await?;
    if queued == 0 {
        return Ok(if before > 0 { Reminded::Already } else { Reminded::Nobody });
    }
    tracing::info!(notice = id, run = report.run_id, queued, "reminders queued by hand");
    Ok(Reminded::Queued(queued))
}

/// The notices that ended outages held up long enough to tell their creators about, once each
/// outage is over and its deliveries are done (or a quarter of an hour has passed since). Each
/// outage is reported once: the caller queues the messages, then calls [`outage_told`].
pub async fn delayed_by_outages(core: &Core) -> Result<Vec<(Outage, Vec<DelayedNotice>)>> {
    let mut out = Vec::new();
    let threshold = chrono::Duration::minutes(i64::from(core.config.outage_notify_minutes));
    for outage in core.store.unreported_outages().await? {
        let delay = outage.ended_at - outage.started_at;
        if delay < threshold {
            core.store.outage_reported(outage.id).await?;
            continue;
        }
        let delayed = core.store.notices_delayed_by(&outage).await?;
        let settled = core.now() - outage.ended_at > chrono::Duration::minutes(15);
        if delayed.iter().any(|d| d.pending > 0) && !settled {
            continue;
        }
        out.push((outage, delayed));
    }
    Ok(out)
}

/// A message from the bot itself (`system:<source>`), to go out at `at` to `audience`, once
/// per `source_key`: the weekly report, the check-in reminder, an outage's note.
pub fn system_notice(
    source: &str,
    source_key: String,
    body: String,
    audience: &Audience,
    at: DateTime<Utc>,
) -> Result<NewNotice> {
    Ok(NewNotice {
        created_by: format!("system:{source}"),
        creator_member_id: None,
        body,
        media_kind: None,
        media_file_id: None,
        media_name: None,
        media_bytes: None,
        audience: serde_json::to_string(audience).map_err(anyhow::Error::from)?,
        schedule: serde_json::to_string(&Schedule::Once { at }).map_err(anyhow::Error::from)?,
        next_fire_at: Some(at),
        ack_required: false,
        policy: false,
        urgent: false,
        remind_after_secs: None,
        source_key: Some(source_key),
    })
}

/// Queues a message from the bot itself to `members`, now, once per `key` (a repeat adds
/// nothing): it goes out through the scheduler and the outbox like any notice.
pub async fn queue_system(
    core: &Core,
    source: &str,
    key: &str,
    body: String,
    members: Vec<i64>,
) -> Result<()> {
    let now = core.now();
    let audience = Audience { members, ..Audience::default() };
    let notice = system_notice(source, format!("{source}:{key}"), body, &audience, now)?;
    core.store.insert_notice(&notice, now).await?;
    Ok(())
}

/// The creators of an outage's delayed notices have been told.
pub async fn outage_told(core: &Core, outage_id: i64) -> Result<()> {
    Ok(core.store.outage_reported(outage_id).await?)
}

/// Records 「收到」 from `member` for a delivery (theirs only: button data is not trusted).
pub async fn acknowledge(core: &Core, member: &Member, delivery_id: i64) -> Result<AckOutcome> {
    let outcome = core.store.acknowledge(delivery_id, member.id, core.now()).await?;
    if outcome == AckOutcome::Recorded {
        tracing::info!(delivery = delivery_id, "notice acknowledged");
    }
    Ok(outcome)
}

/// What a typed `收到` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedAck {
    /// Recorded for the notice with this text.
    Recorded { body: String },
    /// The notice named was acknowledged before.
    Already,
    /// No notice waits for it (none named: none at all; named: not one that reached this
    /// member and asks for 「收到」).
    Nothing,
}

/// A typed `收到`: acknowledges the newest notice delivered to `member` that asks for it and
/// has not had it, or, with `notice`, that notice (what a tapped 「收到」 link names).
pub async fn acknowledge_typed(core: &Core, member: &Member, notice: Option<i64>) -> Result<TypedAck> {
    if let Some((delivery_id, body)) = core.store.newest_unacknowledged(member.id, notice, core.now()).await?
    {
        acknowledge(core, member, delivery_id).await?;
        return Ok(TypedAck::Recorded { body });
    }
    Ok(match notice {
        Some(id) if core.store.acknowledged(member.id, id).await? => TypedAck::Already,
        _ => TypedAck::Nothing,
    })
}

/// The policy notice a delivery belongs to (its message keeps the 「去宣讲」 button after
/// 「收到」), or `None` for any other notice.
pub async fn policy_notice_of(core: &Core, delivery_id: i64) -> Result<Option<i64>> {
    Ok(match core.store.delivery_notice(delivery_id).await? {
        Some((notice_id, true)) => Some(notice_id),
        _ => None,
    })
}

/// A policy notice `member` received, to cite in a 送政策 check-in.
pub async fn notice_for_checkin(core: &Core, member: &Member, notice_id: i64) -> Result<Notice> {
    if !core.store.notice_reached(notice_id, member.id).await? {
        return Err(UserError::NoSuchNotice(notice_id).into());
    }
    let row = core.store.notice(notice_id).await?.ok_or(UserError::NoSuchNotice(notice_id))?;
    let notice = Notice::try_from(row)?;
    // Only a notice marked as policy material carries 「去宣讲」; button data is not trusted.
    if !notice.policy {
        return Err(UserError::NoSuchNotice(notice_id).into());
    }
    Ok(notice)
}

/// An audience with its units named, for showing to people (see
/// `texts::notices::audience`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceNames {
    pub all: bool,
    pub units: Vec<String>,
    pub links: Vec<LinkKind>,
    pub roles: Vec<Role>,
}

/// The audience with the names of its units (units deleted since are left out).
pub async fn audience_names(core: &Core, audience: &Audience) -> Result<AudienceNames> {
    let units = core.store.units().await?;
    let names = audience
        .units
        .iter()
        .filter_map(|id| units.iter().find(|u| u.id == *id).map(|u| u.name.clone()))
        .collect();
    Ok(AudienceNames {
        all: audience.all,
        units: names,
        links: audience.links.clone(),
        roles: audience.roles.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_measured_as_the_strictest_platform_counts_and_refused_not_cut() {
        let all = crate::platform_limits();
        let check = |body: &str, media| check_body(&all, body, media);
        assert!(check(&"字".repeat(4096), false).is_ok());
        assert_eq!(
            check(&"字".repeat(4097), false),
            Err(UserError::NoticeTooLong {
                platform: crate::domain::Platform::Telegram,
                limit: 4096,
                length: 4097,
                caption: false
            })
        );
        // An emoji is two UTF-16 units on Telegram.
        assert!(matches!(
            check(&"😀".repeat(513), true),
            Err(UserError::NoticeTooLong { limit: 1024, length: 1026, .. })
        ));
        assert!(check("", true).is_ok(), "a photo may have no caption");
        assert_eq!(check("  ", false), Err(UserError::EmptyNotice));
        // Without Telegram, DingTalk splits long texts itself: nothing to refuse but emptiness.
        let others: Vec<_> =
            all.into_iter().filter(|l| l.platform != crate::domain::Platform::Telegram).collect();
        assert!(check_body(&others, &"字".repeat(20_000), false).is_ok());
    }
}
