//! Recording 三送 activities, undoing them, and a member's own week.
//!
//! A check-in is keyed by the message it came from, so handling the same message twice (a
//! redelivered update, a restart mid-way) records it once and returns the same receipt.

pub mod day;
pub mod kinds;
pub mod parse;

use chrono::{DateTime, NaiveDate, Utc};

use crate::checkins::kinds::KindDef;
use crate::core::Core;
use crate::domain::MemberStatus;
use crate::domain::{Checkin, Member, Site};
use crate::error::{Result, UserError};
use crate::normalize::fold;
use crate::store::NewCheckin;
use crate::week::Week;

pub use day::NamedDay;
pub use parse::{ParsedCheckin, parse_checkin, parse_description, reads_as_checkin};

/// The message a check-in comes from: its id is the check-in's identity, and its date the
/// moment the work counts at unless the member named another day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub chat_id: i64,
    pub message_id: i64,
    pub sent_at: DateTime<Utc>,
}

/// Optional evidence: never required.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub photo_file_id: Option<String>,
    pub location: Option<(f64, f64)>,
    /// The policy notice this activity passed on (「去宣讲」).
    pub cites_notice: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Line,
    Photo,
    Dialogue,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Line => "line",
            Via::Photo => "photo",
            Via::Dialogue => "dialogue",
        }
    }
}

/// What the member is told after checking in.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub checkin: Checkin,
    /// False when this message had been recorded before (a redelivery).
    pub fresh: bool,
    /// The week the check-in counts in, and the member's count in it so far.
    pub week: Week,
    pub week_count: i64,
}

/// Records a check-in whose site is named (or not) as parsed.
pub async fn record(
    core: &Core,
    member: &Member,
    parsed: &ParsedCheckin,
    source: Source,
    evidence: Evidence,
    via: Via,
) -> Result<Receipt> {
    let sites = core.store.sites_of(member.unit_id).await?;
    let site = resolve_site(&sites, parsed.site.as_deref())?.map(|s| s.id);
    record_at_site(core, member, parsed, site, source, evidence, via).await
}

/// Records a check-in at an already chosen site (the guided dialogue picks it by button).
pub async fn record_at_site(
    core: &Core,
    member: &Member,
    parsed: &ParsedCheckin,
    site_id: Option<i64>,
    source: Source,
    evidence: Evidence,
    via: Via,
) -> Result<Receipt> {
    if member.status == MemberStatus::Inactive {
        return Err(UserError::Deactivated.into());
    }
    if core.kinds().get(&parsed.kind).is_none() {
        return Err(UserError::UnknownKind(parsed.kind.clone()).into());
    }
    // Whoever calls this, a check-in only ever goes to a site of the member's own unit.
    if let Some(id) = site_id {
        let sites = core.store.sites_of(member.unit_id).await?;
        if !sites.iter().any(|s| s.id == id) {
            return Err(UserError::UnknownSite {
                name: format!("#{id}"),
                choices: sites.into_iter().map(|s| s.name).collect(),
            }
            .into());
        }
    }
    let (counts_at, done_on) = day_of_work(core, parsed.day.as_ref(), source.sent_at)?;
    let new = NewCheckin {
        member_id: member.id,
        unit_id: member.unit_id,
        site_id,
        kind: parsed.kind.clone(),
        description: parsed.description.clone(),
        people_served: parsed.people_served,
        photo_file_id: evidence.photo_file_id,
        location: evidence.location,
        counts_at,
        logged_at: source.sent_at,
        done_on,
        source_chat_id: source.chat_id,
        source_message_id: source.message_id,
        via: via.as_str(),
        notice_id: evidence.cites_notice,
        week: Week::of_instant(counts_at, core.tz()).key(),
    };
    // A back-dated check-in is audited with the day of the work and when it was logged.
    let detail = match done_on {
        Some(day) if counts_at != source.sent_at => {
            let logged =
                source.sent_at.with_timezone(&core.tz()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
            Some(format!("done_on {day} logged_at {logged}"))
        }
        _ => None,
    };
    let actor =
        detail.as_ref().map(|_| crate::members::actor_label(&crate::members::Actor::Member(member.clone())));
    let audit = actor.as_deref().zip(detail.as_deref());
    let (checkin, fresh) = core.store.insert_checkin(&new, core.now(), audit).await?;
    if fresh {
        crate::metrics::Metrics::bump(&core.metrics.checkins);
        tracing::info!(checkin = checkin.id, member = member.id, kind = %checkin.kind, "check-in recorded");
    } else {
        tracing::info!(checkin = checkin.id, member = member.id, "check-in already recorded; not duplicated");
    }
    let week = Week::of_instant(checkin.counts_at, core.tz());
    let (from, to) = week.utc_range(core.tz());
    let week_count = core.store.member_checkin_count(member.id, from, to).await?;
    Ok(Receipt { checkin, fresh, week, week_count })
}

/// When a check-in counts, and the day it names: without a day, the moment it was sent; with
/// one, noon of that day (so it falls in that day's week), within `backdate_days` of the day
/// it was sent and never after it. The day is placed from the message's own date, so a message
/// handled late (a backlog, a redelivery) means the same day.
pub fn day_of_work(
    core: &Core,
    day: Option<&NamedDay>,
    sent_at: DateTime<Utc>,
) -> Result<(DateTime<Utc>, Option<NaiveDate>), UserError> {
    let Some(day) = day else { return Ok((sent_at, None)) };
    let tz = core.tz();
    let sent_on = sent_at.with_timezone(&tz).date_naive();
    let date = day.word.resolve(sent_on).ok_or_else(|| UserError::NoSuchDay(day.written.clone()))?;
    let back = i64::from(core.config.backdate_days);
    let earliest = sent_on - chrono::Duration::days(back);
    if date > sent_on || date < earliest {
        return Err(if back == 0 {
            UserError::BackdatingOff(day.written.clone())
        } else {
            UserError::DayOutOfRange { written: day.written.clone(), earliest, latest: sent_on }
        });
    }
    if date == sent_on {
        return Ok((sent_at, Some(date)));
    }
    let noon = date.and_hms_opt(12, 0, 0).and_then(|t| crate::schedule::local_to_utc(t, tz));
    Ok((noon.unwrap_or(sent_at), Some(date)))
}

/// Makes sure every check-in carries the week it counts in, in the configured zone: fills in
/// rows written before the week was stored, and recomputes them all if the zone changed. Cheap
/// when there is nothing to do (two small reads); run at start and before tallies.
pub async fn ensure_weeks(core: &Core) -> Result<()> {
    const ZONE_KEY: &str = "checkin_week_zone";
    let zone = core.tz().name();
    let stored = core.store.meta(ZONE_KEY).await?;
    let zone_changed = stored.as_deref().is_some_and(|z| z != zone);
    if let Some((first, last)) = core.store.checkin_span(zone_changed).await? {
        let tz = core.tz();
        let (mut week, end) = (Week::of_instant(first, tz), Week::of_instant(last, tz));
        let mut weeks = Vec::new();
        loop {
            let (from, to) = week.utc_range(tz);
            weeks.push((week.key(), from, to));
            if week >= end {
                break;
            }
            week = week.next();
        }
        let filled = core.store.set_checkin_weeks(&weeks, zone_changed).await?;
        if zone_changed {
            tracing::warn!(from = ?stored, to = zone, checkins = filled, "the zone changed: recomputed every check-in's week");
        } else {
            tracing::info!(checkins = filled, "filled in the week of earlier check-ins");
        }
    }
    if stored.as_deref() != Some(zone) {
        core.store.set_meta(ZONE_KEY, zone).await?;
    }
    Ok(())
}

/// The site a check-in goes to. Named: the exact name (either script) or the only site whose
/// name contains it (`@新球` finds 五里牌街道新球社区). Unnamed: the unit's default site, or its
/// only one; a unit with several and no default must name one.
pub fn resolve_site<'a>(sites: &'a [Site], wanted: Option<&str>) -> Result<Option<&'a Site>, UserError> {
    let choices = || sites.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    match wanted {
        Some(name) => {
            let folded = fold(name.trim());
            if let Some(exact) = sites.iter().find(|s| fold(&s.name) == folded) {
                return Ok(Some(exact));
            }
            let partial: Vec<&Site> = sites.iter().filter(|s| fold(&s.name).contains(&folded)).collect();
            match partial.as_slice() {
                [one] => Ok(Some(one)),
                [] => Err(UserError::UnknownSite { name: name.trim().to_owned(), choices: choices() }),
                many => Err(UserError::AmbiguousSite {
                    name: name.trim().to_owned(),
                    choices: many.iter().map(|s| s.name.clone()).collect(),
                }),
            }
        }
        None => {
            if let Some(default) = sites.iter().find(|s| s.is_default) {
                return Ok(Some(default));
            }
            match sites {
                [] => Ok(None),
                [only] => Ok(Some(only)),
                _ => Err(UserError::SiteRequired { choices: choices() }),
            }
        }
    }
}

/// Deletes (marks) one of the member's own check-ins sent within the undo window: the most
/// recent by default, or the numbered one. `by_message` identifies the request, so handling it
/// twice deletes one check-in, not two.
pub async fn undo(core: &Core, member: &Member, target: Option<i64>, by_message: i64) -> Result<Checkin> {
    if let Some(done) = core.store.checkin_undone_by(member.id, by_message).await? {
        return Ok(done);
    }
    let checkin = match target {
        Some(id) => {
            let Some(c) = core.store.checkin(id).await?.filter(|c| c.member_id == member.id) else {
                tracing::info!(
                    member = member.id,
                    checkin = id,
                    "refused undo of a check-in that is not theirs"
                );
                return Err(UserError::NotYourCheckin(id).into());
            };
            if c.deleted_at.is_some() {
                return Err(UserError::AlreadyUndone(id).into());
            }
            c
        }
        None => core.store.latest_counted_checkin(member.id).await?.ok_or(UserError::NothingToUndo)?,
    };
    // The window runs from when it was logged, whatever day it names.
    if core.now() - checkin.logged_at > core.config.undo_window {
        return Err(UserError::UndoTooOld(checkin.id).into());
    }
    if !core.store.mark_checkin_undone(checkin.id, member.id, by_message, core.now()).await? {
        return Err(UserError::AlreadyUndone(checkin.id).into());
    }
    tracing::info!(checkin = checkin.id, member = member.id, "check-in undone");
    Ok(Checkin { deleted_at: Some(core.now()), ..checkin })
}

/// One member's week: counts by kind (every configured kind, zeros included) and the list.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekView {
    pub week: Week,
    pub is_current: bool,
    pub counts: Vec<(KindDef, usize)>,
    pub people_served: u64,
    pub items: Vec<Checkin>,
}

/// How many counted check-ins the member has this week.
pub async fn this_week_count(core: &Core, member: &Member) -> Result<i64> {
    let (from, to) = core.this_week().utc_range(core.tz());
    Ok(core.store.member_checkin_count(member.id, from, to).await?)
}

pub async fn week_view(core: &Core, member: &Member, week: Week) -> Result<WeekView> {
    let (from, to) = week.utc_range(core.tz());
    let items = core.store.member_checkins_between(member.id, from, to).await?;
    let mut counts: Vec<(KindDef, usize)> = core
        .kinds()
        .all()
        .iter()
        .map(|k| (k.clone(), items.iter().filter(|c| c.kind == k.key).count()))
        .collect();
    // Kinds no longer configured still show, so the total always adds up.
    for c in &items {
        if core.kinds().get(&c.kind).is_none() && !counts.iter().any(|(k, _)| k.key == c.kind) {
            let n = items.iter().filter(|x| x.kind == c.kind).count();
            counts.push((KindDef::new(&c.kind, &c.kind, &[]), n));
        }
    }
    Ok(WeekView {
        week,
        is_current: week == core.this_week(),
        counts,
        people_served: items.iter().filter_map(|c| c.people_served).map(u64::from).sum(),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LinkKind;

    fn site(id: i64, name: &str, is_default: bool) -> Site {
        Site { id, unit_id: 1, name: name.into(), link: LinkKind::Chamber, is_default }
    }

    #[test]
    fn the_default_site_is_used_when_none_is_named() {
        let sites = [site(1, "广东临湘商会", false), site(2, "长沙临湘商会", true)];
        assert_eq!(resolve_site(&sites, None).unwrap().unwrap().id, 2);
    }

    #[test]
    fn a_single_site_needs_no_default_flag_and_no_sites_means_no_site() {
        assert_eq!(resolve_site(&[site(7, "治水村", false)], None).unwrap().unwrap().id, 7);
        assert_eq!(resolve_site(&[], None).unwrap(), None);
    }

    #[test]
    fn several_sites_without_a_default_must_be_named() {
        let sites = [site(1, "甲村", false), site(2, "乙村", false)];
        assert!(
            matches!(resolve_site(&sites, None), Err(UserError::SiteRequired { choices }) if choices.len() == 2)
        );
    }

    #[test]
    fn a_named_site_matches_exactly_partially_or_in_traditional() {
        let sites = [site(1, "广东临湘商会", false), site(2, "长沙临湘商会", true)];
        assert_eq!(resolve_site(&sites, Some("广东")).unwrap().unwrap().id, 1);
        assert_eq!(resolve_site(&sites, Some("長沙臨湘商會")).unwrap().unwrap().id, 2);
        assert!(matches!(resolve_site(&sites, Some("临湘")), Err(UserError::AmbiguousSite { .. })));
        assert!(matches!(resolve_site(&sites, Some("北京")), Err(UserError::UnknownSite { .. })));
    }
}
