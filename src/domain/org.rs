//! The organisation as a file or a form states it, and what loading it changed: what the
//! store writes and reports, the core checks, and the edges show (the command line, the
//! console's preview, the audit log).

use super::LinkKind;

/// A site as an org file states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePlan {
    pub unit: String,
    pub name: String,
    pub link: LinkKind,
    pub is_default: bool,
}

/// A site's state as a load compares it: what an org file can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteState {
    pub link: LinkKind,
    pub is_default: bool,
    pub archived: bool,
}

/// One site a load changed (its link or default flag, or brought back from the archive),
/// before and after: what the audit log and the console's preview show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteChange {
    pub unit: String,
    pub site: String,
    pub before: SiteState,
    pub after: SiteState,
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgLoadReport {
    pub units_added: Vec<String>,
    pub units_unchanged: usize,
    pub sites_added: Vec<String>,
    pub sites_changed: Vec<String>,
    /// (unit, site): units whose default site the file moved to another site.
    pub defaults_moved: Vec<(String, String)>,
    pub sites_unchanged: usize,
    /// Sites in the database that the file does not mention: kept, since check-ins refer to them.
    /// (Archived sites are not listed: they are out of the organisation already.)
    pub sites_not_in_file: Vec<String>,
    /// Every site changed, with its state before and after: those of `sites_changed`, and the
    /// older defaults the file displaced.
    pub site_changes: Vec<SiteChange>,
    /// The sites of `sites_added` as the file states them, under their unit's name as the
    /// database spells it.
    pub added_sites: Vec<SitePlan>,
    /// Units whose DingTalk departments the file changed (a unit the file gives none keeps its own).
    pub departments_changed: Vec<DepartmentChange>,
}

impl OrgLoadReport {
    pub fn changed_anything(&self) -> bool {
        !self.units_added.is_empty()
            || !self.sites_added.is_empty()
            || !self.sites_changed.is_empty()
            || !self.defaults_moved.is_empty()
            || !self.departments_changed.is_empty()
    }
}

/// The departments an org file gives one unit (`dingtalk_departments = [..]`), exactly: a load
/// makes the unit have these and no others. A unit the file gives none of is left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDepartments {
    pub unit: String,
    pub departments: Vec<i64>,
}

/// A unit whose departments a load or an edit changed, before and after (sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentChange {
    pub unit: String,
    pub before: Vec<i64>,
    pub after: Vec<i64>,
}
