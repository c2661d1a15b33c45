//! Changing the organisation, for admins: add a unit, add a site to a unit with its link kind,
//! rename either, choose a unit's default site, archive a site (it keeps its check-ins and
//! stays in old tallies; it is never deleted) or bring it back, and import a whole org file
//! after a preview of what it would do.
//!
//! Every operation takes the [`Actor`] asking and checks the role here, on every call; names
//! are checked as everywhere (`logins::checked_name`: trimmed, 1 to 40 characters, one line)
//! and compared in folded form. The store does each change in one transaction with its audit
//! entry (before and after), and a change asked for twice (a form sent twice) does nothing
//! the second time.

use std::collections::HashMap;

use super::OrgPlan;
use crate::core::Core;
use crate::domain::{LinkKind, Role, Unit};
use crate::domain::{OrgLoadReport, SitePlan, UnitDepartments};
use crate::error::{Result, UserError};
use crate::logins::checked_name;
use crate::members::{Actor, actor_label, require_role};
use crate::store::{DepartmentsEdit, OrgEdit, OrgSite};

/// Refuses anyone but an admin (or the command line, whose operator can read the database).
pub fn require_admin(actor: &Actor) -> Result<(), UserError> {
    match actor {
        Actor::Cli => Ok(()),
        Actor::Member(m) => require_role(m, Role::Admin),
    }
}

/// What an edit did: the id of the unit or site it was about, for the page to point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done(i64),
    /// It was so already: nothing written (a form sent twice, or by two people).
    Already(i64),
    /// Adding a site brought back an archived one of that name.
    Restored(i64),
}

impl Outcome {
    pub fn id(self) -> i64 {
        match self {
            Outcome::Done(id) | Outcome::Already(id) | Outcome::Restored(id) => id,
        }
    }
}

/// A unit and all its sites, archived ones too, as the organisation's page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitListing {
    pub unit: Unit,
    pub sites: Vec<OrgSite>,
    /// The DingTalk departments whose people join this unit by themselves, sorted.
    pub departments: Vec<i64>,
}

/// The units in the organisation's order (the order they were added, never another) with
/// their sites in the order they were added.
pub async fn listing(core: &Core, actor: &Actor) -> Result<Vec<UnitListing>> {
    require_admin(actor)?;
    let (units, sites, mapped) =
        tokio::try_join!(core.store.units(), core.store.org_sites(), core.store.department_units())?;
    let mut by_unit: HashMap<i64, Vec<OrgSite>> = HashMap::new();
    for s in sites {
        by_unit.entry(s.site.unit_id).or_default().push(s);
    }
    let mut departments: HashMap<i64, Vec<i64>> = HashMap::new();
    for (department, unit) in mapped {
        departments.entry(unit.id).or_default().push(department);
    }
    Ok(units
        .into_iter()
        .map(|unit| UnitListing {
            sites: by_unit.remove(&unit.id).unwrap_or_default(),
            departments: departments.remove(&unit.id).unwrap_or_default(),
            unit,
        })
        .collect())
}

/// The organisation as it is now, as a plan (archived sites left out): what an export writes,
/// and what importing that export back would leave unchanged.
pub async fn current_plan(core: &Core, actor: &Actor) -> Result<OrgPlan> {
    let listed = listing(core, actor).await?;
    Ok(plan_of(&listed))
}

/// The plan of a listing: every unit, and its sites that are not archived.
pub fn plan_of(listed: &[UnitListing]) -> OrgPlan {
    let units = listed.iter().map(|l| l.unit.name.clone()).collect();
    let sites = listed
        .iter()
        .flat_map(|l| {
            l.sites.iter().filter(|s| s.archived_at.is_none()).map(|s| SitePlan {
                unit: l.unit.name.clone(),
                name: s.site.name.clone(),
                link: s.site.link,
                is_default: s.site.is_default,
            })
        })
        .collect();
    // Only the units that have departments: importing the export back leaves the others as
    // they are, which is none.
    let departments = listed
        .iter()
        .filter(|l| !l.departments.is_empty())
        .map(|l| UnitDepartments { unit: l.unit.name.clone(), departments: l.departments.clone() })
        .collect();
    OrgPlan { units, sites, departments }
}

/// A link kind as a form or a person gives it (`community`, `联社区`, `社区`).
pub fn parse_link(given: &str) -> Result<LinkKind, UserError> {
    given.parse().map_err(|()| UserError::UnknownLinkKind(given.trim().chars().take(20).collect()))
}

/// The store's answer as the core's: done, already so, or why not.
fn outcome(edit: OrgEdit, asked: i64) -> Result<Outcome> {
    match edit {
        OrgEdit::Done(id) => Ok(Outcome::Done(id)),
        OrgEdit::Already(id) => Ok(Outcome::Already(id)),
        OrgEdit::Restored(id) => Ok(Outcome::Restored(id)),
        OrgEdit::UnitTaken(name) => Err(UserError::UnitNameTaken(name).into()),
        OrgEdit::SiteTaken { unit, site } => Err(UserError::SiteNameTaken { unit, site }.into()),
        OrgEdit::NoUnit => Err(UserError::NoSuchUnit(asked).into()),
        OrgEdit::NoSite => Err(UserError::NoSuchSite(asked).into()),
        OrgEdit::Archived(name) => Err(UserError::SiteArchived(name).into()),
    }
}

fn logged(what: &str, result: Result<Outcome>) -> Result<Outcome> {
    if let Ok(Outcome::Done(id) | Outcome::Restored(id)) = &result {
        tracing::info!(id, "organisation changed: {what}");
    }
    result
}

/// Adds a unit. A unit of that name (in either script) is left as it is.
pub async fn add_unit(core: &Core, actor: &Actor, name: &str) -> Result<Outcome> {
    require_admin(actor)?;
    let name = checked_name(name)?;
    let edit = core.store.add_unit_audited(&name, &actor_label(actor), core.now()).await?;
    logged("unit added", outcome(edit, 0))
}

/// Renames a unit, unless another unit has that name.
pub async fn rename_unit(core: &Core, actor: &Actor, unit_id: i64, name: &str) -> Result<Outcome> {
    require_admin(actor)?;
    let name = checked_name(name)?;
    let edit = core.store.rename_unit_audited(unit_id, &name, &actor_label(actor), core.now()).await?;
    logged("unit renamed", outcome(edit, unit_id))
}

/// Adds a site to a unit with its link kind. A site of that name in the unit is left as it
/// is; an archived one is brought back.
pub async fn add_site(
    core: &Core,
    actor: &Actor,
    unit_id: i64,
    name: &str,
    link: LinkKind,
) -> Result<Outcome> {
    require_admin(actor)?;
    let name = checked_name(name)?;
    let edit = core.store.add_site_audited(unit_id, &name, link, &actor_label(actor), core.now()).await?;
    logged("site added", outcome(edit, unit_id))
}

/// Renames a site, unless another site of its unit has that name. Its check-ins follow it.
pub async fn rename_site(core: &Core, actor: &Actor, site_id: i64, name: &str) -> Result<Outcome> {
    require_admin(actor)?;
    let name = checked_name(name)?;
    let edit = core.store.rename_site_audited(site_id, &name, &actor_label(actor), core.now()).await?;
    logged("site renamed", outcome(edit, site_id))
}

/// Makes a site its unit's default: where a check-in goes when the member names no site.
pub async fn set_default_site(core: &Core, actor: &Actor, site_id: i64) -> Result<Outcome> {
    require_admin(actor)?;
    let edit = core.store.set_default_site_audited(site_id, &actor_label(actor), core.now()).await?;
    logged("default site set", outcome(edit, site_id))
}

/// Archives a site: no longer offered for check-ins nor counted among the sites to visit; its
/// check-ins stay, and so does it in the tallies of when they were done.
pub async fn archive_site(core: &Core, actor: &Actor, site_id: i64) -> Result<Outcome> {
    require_admin(actor)?;
    let edit = core.store.archive_site_audited(site_id, &actor_label(actor), core.now()).await?;
    logged("site archived", outcome(edit, site_id))
}

/// Brings an archived site back.
pub async fn restore_site(core: &Core, actor: &Actor, site_id: i64) -> Result<Outcome> {
    require_admin(actor)?;
    let edit = core.store.restore_site_audited(site_id, &actor_label(actor), core.now()).await?;
    logged("site restored", outcome(edit, site_id))
}

/// The most DingTalk departments one unit may have (a form is not a place for thousands).
pub const MAX_UNIT_DEPARTMENTS: usize = 200;

/// DingTalk department ids as a person types them: numbers separated by commas (either
/// width), 、 or spaces; empty is none.
pub fn parse_departments(given: &str) -> Result<Vec<i64>, UserError> {
    let mut ids: Vec<i64> = Vec::new();
    let bad = || UserError::BadDepartments(given.trim().chars().take(40).collect());
    for part in given.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；')) {
        let part: String = part.chars().map(crate::normalize::half_width).collect();
        if part.is_empty() {
            continue;
        }
        let id: i64 = part.parse().ok().filter(|id| *id >= 1).ok_or_else(bad)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_UNIT_DEPARTMENTS {
        return Err(bad());
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Gives a unit exactly these DingTalk departments (the 组织 page): their people join it
/// without an invite. A department of another unit is refused; audited before and after.
pub async fn set_departments(
    core: &Core,
    actor: &Actor,
    unit_id: i64,
    departments: &[i64],
) -> Result<Outcome> {
    require_admin(actor)?;
    let edit = core
        .store
        .set_unit_departments_audited(unit_id, departments, &actor_label(actor), core.now())
        .await?;
    match edit {
        DepartmentsEdit::Done(change) => {
            tracing::info!(unit = unit_id, before = ?change.before, after = ?change.after, "a unit's DingTalk departments changed");
            Ok(Outcome::Done(unit_id))
        }
        DepartmentsEdit::Already => Ok(Outcome::Already(unit_id)),
        DepartmentsEdit::NoUnit => Err(UserError::NoSuchUnit(unit_id).into()),
        DepartmentsEdit::Taken { department, unit } => {
            Err(UserError::DepartmentTaken { department, unit }.into())
        }
    }
}

/// What importing a checked plan would do, without writing anything.
pub async fn preview(core: &Core, actor: &Actor, plan: &OrgPlan) -> Result<OrgLoadReport> {
    require_admin(actor)?;
    Ok(core.store.preview_org(&plan.units, &plan.sites, &plan.departments, core.now()).await?)
}

/// Imports a checked plan as `sansong org load` does (one transaction; the same plan again
/// changes nothing), with each change audited.
pub async fn import(core: &Core, actor: &Actor, plan: &OrgPlan) -> Result<OrgLoadReport> {
    require_admin(actor)?;
    let report = core
        .store
        .apply_org_audited(&plan.units, &plan.sites, &plan.departments, &actor_label(actor), core.now())
        .await?;
    if report.changed_anything() {
        tracing::info!(
            units = report.units_added.len(),
            sites = report.sites_added.len(),
            changed = report.site_changes.len(),
            "organisation imported"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Site;

    #[test]
    fn link_kinds_are_read_in_either_language_and_a_wrong_one_is_named() {
        assert_eq!(parse_link("联商会"), Ok(LinkKind::Chamber));
        assert_eq!(parse_link(" village "), Ok(LinkKind::Village));
        assert_eq!(parse_link("学校"), Err(UserError::UnknownLinkKind("学校".into())));
    }

    #[test]
    fn a_plan_of_the_listing_leaves_archived_sites_out_and_keeps_the_order() {
        let site = |id, unit_id, name: &str, archived: bool| OrgSite {
            site: Site { id, unit_id, name: name.into(), link: LinkKind::Village, is_default: id == 3 },
            archived_at: archived.then(chrono::Utc::now),
        };
        let listed = vec![
            UnitListing {
                unit: Unit { id: 2, name: "乙局".into() },
                sites: vec![site(3, 2, "甲村", false)],
                departments: vec![12345],
            },
            UnitListing {
                unit: Unit { id: 1, name: "甲局".into() },
                sites: vec![site(1, 1, "乙村", true), site(2, 1, "丙村", false)],
                departments: vec![],
            },
            UnitListing { unit: Unit { id: 5, name: "丙局".into() }, sites: vec![], departments: vec![] },
        ];
        let plan = plan_of(&listed);
        assert_eq!(plan.units, ["乙局", "甲局", "丙局"]);
        let names: Vec<(&str, &str, bool)> =
            plan.sites.iter().map(|s| (s.unit.as_str(), s.name.as_str(), s.is_default)).collect();
        assert_eq!(names, [("乙局", "甲村", true), ("甲局", "丙村", false)]);
        assert_eq!(
            plan.departments,
            [UnitDepartments { unit: "乙局".into(), departments: vec![12345] }],
            "only the units with departments"
        );
    }

    #[test]
    fn department_ids_are_read_as_people_type_them_and_anything_else_is_named() {
        assert_eq!(parse_departments(" 67890，12345 、12345  "), Ok(vec![12345, 67890]));
        assert_eq!(parse_departments("１２３"), Ok(vec![123]));
        assert_eq!(parse_departments(""), Ok(vec![]));
        assert_eq!(parse_departments("人社局"), Err(UserError::BadDepartments("人社局".into())));
        assert!(parse_departments("0").is_err());
        assert!(parse_departments("-5").is_err());
    }
}
