//! Weekly tallies: how many check-ins of each kind, by unit, member, site or link kind, in a
//! week or a date range; who and which sites are missing; the records an export holds.
//! Everything here returns data: how it reads (texts, tables, files, the weekly report's chart)
//! is decided at the edge, in `texts` and `reports`.
//!
//! One path computes every number: [`tally`] over [`crate::store::Store::tally_counts`]. The
//! chat's `/tally`, `sansong tally`, the export's summary sheet and the weekly report all call
//! it, so they always agree.
//!
//! No ranking (国办函〔2026〕12号): rows are ordered by unit and name, never by how much
//! someone did, and nothing here scores or compares people.

pub mod args;
pub mod views;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::core::Core;
use crate::domain::{ExportRow, MemberRef};
use crate::domain::{Grouping, Site};
use crate::domain::{LinkKind, Role};
use crate::error::{Result, UserError};
use crate::members::{Actor, require_role, resolve_unit};
use crate::store::{GroupCounts, Span};
use crate::week::{Week, local_midnight};

/// The time a tally covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week(Week),
    /// Whole days, both ends included, in the configured zone.
    Days {
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl Period {
    /// The instants `[start, end)` in `tz`.
    pub fn utc_range(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            Period::Week(w) => w.utc_range(tz),
            Period::Days { from, to } => (
                local_midnight(from, tz),
                local_midnight(to.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX), tz),
            ),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        match self {
            Period::Week(w) => w.monday(),
            Period::Days { from, .. } => from,
        }
    }

    pub fn last_day(self) -> NaiveDate {
        match self {
            Period::Week(w) => w.sunday(),
            Period::Days { to, .. } => to,
        }
    }

    /// A name for files: `2026-W47` or `2026-11-01_2026-11-30`.
    pub fn slug(self) -> String {
        match self {
            Period::Week(w) => w.to_string(),
            Period::Days { from, to } => format!("{from}_{to}"),
        }
    }
}

/// Which units a caller's tally covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `None`: every unit.
    pub units: Option<Vec<i64>>,
    /// The unit's name when the scope is one unit.
    pub unit_name: Option<String>,
}

impl Scope {
    pub fn all() -> Scope {
        Scope { units: None, unit_name: None }
    }

    pub fn unit(id: i64, name: &str) -> Scope {
        Scope { units: Some(vec![id]), unit_name: Some(name.to_owned()) }
    }

    pub fn includes(&self, unit_id: i64) -> bool {
        self.units.as_ref().is_none_or(|u| u.contains(&unit_id))
    }
}

/// What `actor` may see: organisers their own unit, admins and the command line any unit or
/// all. Members may not see tallies at all. Checked on every call.
pub async fn scope_for(core: &Core, actor: &Actor, unit: Option<&str>) -> Result<Scope> {
    // The role first: a member learns nothing, not even which unit names exist.
    if let Actor::Member(m) = actor {
        require_role(m, Role::Organiser)?;
    }
    let wanted = match unit {
        Some(name) => Some(resolve_unit(core, name).await?),
        None => None,
    };
    match actor {
        Actor::Cli => Ok(wanted.map_or_else(Scope::all, |u| Scope::unit(u.id, &u.name))),
        Actor::Member(m) => {
            require_role(m, Role::Organiser)?;
            match wanted {
                Some(u) if m.role == Role::Admin || u.id == m.unit_id => Ok(Scope::unit(u.id, &u.name)),
                Some(_) => Err(UserError::OtherUnit.into()),
                None if m.role == Role::Admin => Ok(Scope::all()),
                None => Ok(Scope::unit(m.unit_id, &m.unit_name)),
            }
        }
    }
}

/// One row of a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TallyRow {
    /// What the row counts: a unit, member or site by name, a link kind, or the rest.
    pub name: RowName,
    /// The unit's, member's or site's id (none for link kinds and the rest).
    pub id: Option<i64>,
    /// The unit a member or site belongs to.
    pub unit: Option<String>,
    /// A member's accounts (member rows only).
    pub telegram_id: Option<i64>,
    pub dingtalk_id: Option<String>,
    pub link: Option<LinkKind>,
    /// Active members (unit rows and the total only).
    pub members: Option<i64>,
    /// Members with at least one counted check-in.
    pub active_members: i64,
    /// Check-ins per configured kind, in the configured order.
    pub counts: Vec<i64>,
    /// Check-ins of kinds no longer configured (still counted in `total`).
    pub other: i64,
    pub people_served: i64,
    pub total: i64,
}

/// What a tally row stands for. Names of units, members and sites are data; the other rows
/// are named by the edge that shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RowName {
    /// A unit, member or site.
    Named(String),
    /// One of the four link kinds.
    Link(LinkKind),
    /// Check-ins that named no site.
    NoSite,
    /// Check-ins of a group that no longer exists (its id).
    Gone(i64),
    /// The total row.
    #[default]
    Total,
}

/// A whole tally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub period: Period,
    pub by: Grouping,
    pub scope: Scope,
    /// (key, label) of each count column.
    pub kinds: Vec<(String, String)>,
    pub rows: Vec<TallyRow>,
    pub total: TallyRow,
}

/// The counted check-ins of `period` within `scope`, one record each, oldest first: what an
/// export holds.
pub async fn records(core: &Core, scope: &Scope, period: Period) -> Result<Vec<ExportRow>> {
    let (from, to) = period.utc_range(core.tz());
    Ok(core.store.export_rows(from, to, scope.units.as_deref()).await?)
}

/// How many of `week`'s counted check-ins within `scope` were logged at or after `after`: the
/// weekly report's 补登 (logged after the week ended, or after the report on it went out).
pub async fn logged_since(core: &Core, scope: &Scope, week: Week, after: DateTime<Utc>) -> Result<i64> {
    Ok(core.store.logged_since(week.key(), after, scope.units.as_deref()).await?)
}

/// The members of `units` to remind in the week `[from, to)`: active, reminders on, and no
/// counted check-in yet.
pub async fn reminder_targets(
    core: &Core,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    units: &[i64],
) -> Result<Vec<i64>> {
    Ok(core.store.reminder_targets(from, to, units).await?)
}

/// The tally of counted check-ins in `period` within `scope`, grouped `by`.
pub async fn tally(core: &Core, scope: &Scope, period: Period, by: Grouping) -> Result<Tally> {
    let (from, to) = period.utc_range(core.tz());
    let units = scope.units.as_deref();
    let kinds: Vec<(String, String)> =
        core.kinds().all().iter().map(|k| (k.key.clone(), k.label.clone())).collect();
    let keys: Vec<String> = kinds.iter().map(|(k, _)| k.clone()).collect();
    let span = match period {
        Period::Week(w) => {
            crate::checkins::ensure_weeks(core).await?;
            Span::Week(w.key())
        }
        Period::Days { .. } => Span::Range(from, to),
    };
    // Independent reads, each on its own connection: a by-member tally's two big queries
    // (counts, and the member list) then run side by side on SQLite's worker threads.
    let members = async {
        match by {
            Grouping::Member => core.store.tally_members(span, units).await,
            _ => Ok(Vec::new()),
        }
    };
    let (counts, members, member_counts, all_units) = tokio::try_join!(
        core.store.tally_counts(span, units, by, &keys),
        members,
        core.store.member_counts(),
        core.store.units(),
    )?;
    let member_counts: HashMap<i64, i64> = member_counts.into_iter().collect();
    let as_row = |g: GroupCounts| TallyRow {
        active_members: g.active,
        counts: g.per_kind,
        other: g.other,
        people_served: g.people,
        total: g.total,
        ..TallyRow::default()
    };
    let mut total = as_row(counts.total);
    // The groups stay in their (small) vector, found through an index of positions: a by-member
    // tally has tens of thousands, and moving whole rows through a map costs more than counting.
    let mut groups: Vec<Option<GroupCounts>> = counts.groups.into_iter().map(Some).collect();
    let index: HashMap<Option<i64>, usize> =
        groups.iter().enumerate().filter_map(|(i, g)| Some((g.as_ref()?.key, i))).collect();
    let empty = || TallyRow { counts: vec![0; kinds.len()], ..TallyRow::default() };
    let mut take =
        |key: i64| index.get(&Some(key)).and_then(|&i| groups[i].take()).map_or_else(empty, as_row);

    let mut rows = Vec::with_capacity(members.len().max(all_units.len()) + 1);
    match by {
        Grouping::Unit => {
            for unit in all_units.iter().filter(|u| scope.includes(u.id)) {
                let mut row = take(unit.id);
                row.name = RowName::Named(unit.name.clone());
                row.id = Some(unit.id);
                row.members = Some(member_counts.get(&unit.id).copied().unwrap_or(0));
                rows.push(row);
            }
        }
        Grouping::Member => {
            for m in members {
                let mut row = take(m.id);
                row.name = RowName::Named(m.name);
                row.id = Some(m.id);
                row.unit = Some(m.unit_name);
                row.telegram_id = m.telegram_id;
                row.dingtalk_id = m.dingtalk_id;
                rows.push(row);
            }
        }
        Grouping::Site => {
            let unit_names: HashMap<i64, &str> = all_units.iter().map(|u| (u.id, u.name.as_str())).collect();
            // An archived site has a row while it has check-ins in the period, as before.
            let archived = core.store.archived_site_ids().await?;
            let mut sites: Vec<Site> = core
                .store
                .all_sites()
                .await?
                .into_iter()
                .filter(|s| scope.includes(s.unit_id))
                .filter(|s| !archived.contains(&s.id) || index.contains_key(&Some(s.id)))
                .collect();
            sites.sort_by(|a, b| (unit_names.get(&a.unit_id), a.id).cmp(&(unit_names.get(&b.unit_id), b.id)));
            for site in sites {
                let mut row = take(site.id);
                row.name = RowName::Named(site.name.clone());
                row.id = Some(site.id);
                row.unit = unit_names.get(&site.unit_id).map(|n| (*n).to_owned());
                row.link = Some(site.link);
                rows.push(row);
            }
        }
        Grouping::Link => {
            for (i, link) in LinkKind::ALL.into_iter().enumerate() {
                let mut row = take(i as i64);
                row.name = RowName::Link(link);
                row.link = Some(link);
                rows.push(row);
            }
        }
    }
    // Check-ins without a site (or whose group vanished) are still counted, in a row of their own.
    let mut leftovers: Vec<GroupCounts> = groups.into_iter().flatten().collect();
    leftovers.sort_by_key(|g| g.key);
    for g in leftovers {
        let key = g.key;
        let mut row = as_row(g);
        row.name = match key {
            None => RowName::NoSite,
            Some(k) => RowName::Gone(k),
        };
        rows.push(row);
    }

    total.name = RowName::Total;
    total.members = Some(
        all_units
            .iter()
            .filter(|u| scope.includes(u.id))
            .map(|u| member_counts.get(&u.id).unwrap_or(&0))
            .sum(),
    );
    Ok(Tally { period, by, scope: scope.clone(), kinds, rows, total })
}

/// Members of the scope without a check-in in the period, grouped by unit (in unit order).
pub async fn missing_members(
    core: &Core,
    scope: &Scope,
    period: Period,
) -> Result<Vec<(String, Vec<MemberRef>)>> {
    let (from, to) = period.utc_range(core.tz());
    let mut grouped: BTreeMap<(i64, String), Vec<MemberRef>> = BTreeMap::new();
    for m in core.store.members_without_checkin(from, to, scope.units.as_deref()).await? {
        grouped.entry((m.unit_id, m.unit_name.clone())).or_default().push(m);
    }
    Ok(grouped.into_iter().map(|((_, name), members)| (name, members)).collect())
}

/// Sites of the scope's units with no check-in (of `kind`, if given) in the period, by unit.
pub async fn missing_sites(
    core: &Core,
    scope: &Scope,
    period: Period,
    kind: Option<&str>,
) -> Result<Vec<(String, Vec<Site>)>> {
    let (from, to) = period.utc_range(core.tz());
    let visited: HashSet<i64> = core.store.visited_sites(from, to, kind).await?.into_iter().collect();
    let units = core.store.units().await?;
    let mut grouped: BTreeMap<i64, Vec<Site>> = BTreeMap::new();
    // Archived sites are no longer to be visited.
    for site in core.store.active_sites().await? {
        if scope.includes(site.unit_id) && !visited.contains(&site.id) {
            grouped.entry(site.unit_id).or_default().push(site);
        }
    }
    Ok(grouped
        .into_iter()
        .map(|(unit_id, sites)| {
            let name = units.iter().find(|u| u.id == unit_id).map_or_else(String::new, |u| u.name.clone());
            (name, sites)
        })
        .collect())
}
