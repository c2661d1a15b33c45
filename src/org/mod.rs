//! The organisation: units and the sites they are linked to, as the org file states them
//! (`sansong org load FILE`, or an import on the console).
//!
//! The whole file is checked before anything is written; every problem is reported with its
//! line number (a spreadsheet's: its row number), and a file with any problem writes nothing.
//! [`edit`] changes the organisation one unit or site at a time; [`sheet`] reads and writes it
//! as a spreadsheet and writes it back as an org file.

pub mod edit;
pub mod sheet;

use serde::Deserialize;
use toml::Spanned;

use crate::core::Core;
use crate::domain::LinkKind;
use crate::domain::{OrgLoadReport, SitePlan, UnitDepartments};
use crate::domain::{Site, Unit};
use crate::normalize::fold;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgProblem {
    /// 1-based line in the file.
    pub line: usize,
    pub kind: OrgProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgProblemKind {
    /// Not valid TOML, or a field that does not belong (the parser's own words).
    Syntax(String),
    EmptyName,
    /// A name over 40 characters or with a line break: what no form would accept either.
    BadName(String),
    DuplicateUnit(String),
    SiteWithoutUnit {
        site: String,
    },
    SiteOfUnknownUnit {
        site: String,
        unit: String,
    },
    UnknownLink {
        site: String,
        link: String,
    },
    DuplicateSite {
        unit: String,
        site: String,
    },
    SecondDefault {
        unit: String,
        site: String,
    },
    /// A spreadsheet whose first row lacks these columns.
    MissingColumns(Vec<String>),
    /// A spreadsheet's 默认 cell that is neither yes nor no.
    BadDefault {
        site: String,
        value: String,
    },
    /// A DingTalk department id that cannot be one (DingTalk's ids are positive; the root is 1).
    BadDepartment {
        unit: String,
        department: i64,
    },
    /// A DingTalk department given to two units: its people could not know which to join.
    DuplicateDepartment {
        department: i64,
        unit: String,
        other: String,
    },
}

/// A checked org file, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPlan {
    pub units: Vec<String>,
    pub sites: Vec<SitePlan>,
    /// The units the file gives DingTalk departments (`dingtalk_departments = [..]`), each
    /// exactly those; a unit the file gives none keeps what it has (a spreadsheet carries none).
    pub departments: Vec<UnitDepartments>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    units: Vec<Spanned<UnitEntry>>,
    #[serde(default)]
    sites: Vec<Spanned<SiteEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitEntry {
    name: Spanned<String>,
    /// The DingTalk departments whose people join this unit without an invite.
    #[serde(default)]
    dingtalk_departments: Option<Spanned<Vec<i64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteEntry {
    unit: Option<Spanned<String>>,
    name: Spanned<String>,
    link: Spanned<String>,
    #[serde(default)]
    default: bool,
}

fn line_of(source: &str, offset: usize) -> usize {
    source.get(..offset.min(source.len())).map_or(1, |s| s.matches('\n').count() + 1)
}

/// A unit as a file names it, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitLine {
    pub name: String,
    pub line: usize,
    /// Its DingTalk departments as the file gives them, and where (`None`: not given).
    pub departments: Option<(Vec<i64>, usize)>,
}

/// A site as a file states it, each part with its line (a spreadsheet's parts share a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SiteLine {
    /// Where the entry starts.
    pub line: usize,
    pub unit: Option<(String, usize)>,
    pub name: (String, usize),
    pub link: (String, usize),
    pub default: bool,
}

/// Reads and checks an org file. Returns every problem found, not just the first.
pub fn parse_org(source: &str) -> Result<OrgPlan, Vec<OrgProblem>> {
    let shape: FileShape = toml::from_str(source).map_err(|e| {
        vec![OrgProblem {
            line: e.span().map_or(1, |s| line_of(source, s.start)),
            kind: OrgProblemKind::Syntax(e.message().to_owned()),
        }]
    })?;
    let spanned = |s: &Spanned<String>| (s.get_ref().clone(), line_of(source, s.span().start));
    let units: Vec<UnitLine> = shape
        .units
        .iter()
        .map(|u| UnitLine {
            name: u.get_ref().name.get_ref().clone(),
            line: line_of(source, u.get_ref().name.span().start),
            departments: u
                .get_ref()
                .dingtalk_departments
                .as_ref()
                .map(|d| (d.get_ref().clone(), line_of(source, d.span().start))),
        })
        .collect();
    let sites: Vec<SiteLine> = shape
        .sites
        .iter()
        .map(|entry| {
            let site = entry.get_ref();
            SiteLine {
                line: line_of(source, entry.span().start),
                unit: site.unit.as_ref().map(spanned),
                name: spanned(&site.name),
                link: spanned(&site.link),
                default: site.default,
            }
        })
        .collect();
    check(&units, &sites, Vec::new())
}

/// A name of a unit or site in a file: the problem with it, if any (the same rule as the
/// console's forms, [`crate::logins::checked_name`]).
fn name_problem(name: &str) -> Option<OrgProblemKind> {
    if name.is_empty() {
        Some(OrgProblemKind::EmptyName)
    } else if crate::logins::checked_name(name).is_err() {
        Some(OrgProblemKind::BadName(name.chars().take(crate::logins::MAX_NAME_CHARS).collect()))
    } else {
        None
    }
}

/// Checks the units and sites a file states, whatever its format, adding to `problems` those
/// its reader found: the plan, or every problem in line order.
pub(crate) fn check(
    entries: &[UnitLine],
    site_entries: &[SiteLine],
    mut problems: Vec<OrgProblem>,
) -> Result<OrgPlan, Vec<OrgProblem>> {
    let mut units: Vec<String> = Vec::new();
    let mut departments: Vec<UnitDepartments> = Vec::new();
    for entry in entries {
        let name = entry.name.trim().to_owned();
        let line = entry.line;
        if let Some(kind) = name_problem(&name) {
            problems.push(OrgProblem { line, kind });
        } else if units.iter().any(|u| fold(u) == fold(&name)) {
            problems.push(OrgProblem { line, kind: OrgProblemKind::DuplicateUnit(name) });
        } else {
            if let Some((given, line)) = &entry.departments {
                let mut mine: Vec<i64> = Vec::new();
                for &department in given {
                    let other = departments.iter().find(|d| d.departments.contains(&department));
                    if department < 1 {
                        let kind = OrgProblemKind::BadDepartment { unit: name.clone(), department };
                        problems.push(OrgProblem { line: *line, kind });
                    } else if let Some(other) = other {
                        let kind = OrgProblemKind::DuplicateDepartment {
                            department,
                            unit: name.clone(),
                            other: other.unit.clone(),
                        };
                        problems.push(OrgProblem { line: *line, kind });
                    } else if !mine.contains(&department) {
                        // The same id twice in one unit says nothing more: kept once.
                        mine.push(department);
                    }
                }
                mine.sort_unstable();
                departments.push(UnitDepartments { unit: name.clone(), departments: mine });
            }
            units.push(name);
        }
    }
    let mut sites: Vec<SitePlan> = Vec::new();
    for site in site_entries {
        let name = site.name.0.trim().to_owned();
        let line = site.line;
        if let Some(kind) = name_problem(&name) {
            problems.push(OrgProblem { line: site.name.1, kind });
            continue;
        }
        // Every problem of this entry is reported, not only the first.
        let unit = match &site.unit {
            None => {
                problems
                    .push(OrgProblem { line, kind: OrgProblemKind::SiteWithoutUnit { site: name.clone() } });
                None
            }
            Some((wanted, unit_line)) => {
                let wanted = wanted.trim();
                let known = units.iter().find(|known| fold(known) == fold(wanted)).cloned();
                if known.is_none() {
                    problems.push(OrgProblem {
                        line: *unit_line,
                        kind: if wanted.is_empty() {
                            OrgProblemKind::SiteWithoutUnit { site: name.clone() }
                        } else {
                            OrgProblemKind::SiteOfUnknownUnit { site: name.clone(), unit: wanted.to_owned() }
                        },
                    });
                }
                known
            }
        };
        let link: Option<LinkKind> = site.link.0.parse().ok();
        if link.is_none() {
            problems.push(OrgProblem {
                line: site.link.1,
                kind: OrgProblemKind::UnknownLink { site: name.clone(), link: site.link.0.clone() },
            });
        }
        let (Some(unit), Some(link)) = (unit, link) else {
            continue;
        };
        if sites.iter().any(|s| s.unit == unit && fold(&s.name) == fold(&name)) {
            problems.push(OrgProblem { line, kind: OrgProblemKind::DuplicateSite { unit, site: name } });
            continue;
        }
        if site.default && sites.iter().any(|s| s.unit == unit && s.is_default) {
            problems.push(OrgProblem { line, kind: OrgProblemKind::SecondDefault { unit, site: name } });
            continue;
        }
        sites.push(SitePlan { unit, name, link, is_default: site.default });
    }
    if problems.is_empty() {
        Ok(OrgPlan { units, sites, departments })
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// Applies a checked plan; loading the same plan again changes nothing.
pub async fn apply(core: &Core, plan: &OrgPlan) -> sqlx::Result<OrgLoadReport> {
    core.store.apply_org(&plan.units, &plan.sites, &plan.departments, core.now()).await
}

/// The unit a person names: the exact name in either script, or the only unit whose name
/// contains what they typed (`人社` finds 人社局).
pub fn find_unit<'a>(units: &'a [Unit], wanted: &str) -> Result<&'a Unit, Vec<&'a Unit>> {
    let wanted = fold(wanted.trim());
    if let Some(exact) = units.iter().find(|u| fold(&u.name) == wanted) {
        return Ok(exact);
    }
    let partial: Vec<&Unit> = if wanted.is_empty() {
        Vec::new()
    } else {
        units.iter().filter(|u| fold(&u.name).contains(&wanted)).collect()
    };
    match partial.as_slice() {
        [one] => Ok(one),
        _ => Err(partial),
    }
}

/// The units, in the order they were loaded.
pub async fn units(core: &Core) -> sqlx::Result<Vec<Unit>> {
    core.store.units().await
}

/// A unit's linked sites that its members may check in at (not the archived ones).
pub async fn sites_of(core: &Core, unit_id: i64) -> sqlx::Result<Vec<Site>> {
    core.store.sites_of(unit_id).await
}

/// Every DingTalk department a unit has (按部门加入), with its unit, by department id.
pub async fn dingtalk_departments(core: &Core) -> sqlx::Result<Vec<(i64, Unit)>> {
    core.store.department_units().await
}

/// Every site in the organisation now (archived ones are kept for their check-ins, but are
/// out of it).
pub async fn all_sites(core: &Core) -> sqlx::Result<Vec<Site>> {
    core.store.active_sites().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_org_file_is_valid_and_has_the_four_campaign_units() {
        let plan = parse_org(include_str!("../../config/org.example.toml")).unwrap();
        assert_eq!(plan.units, ["应急管理局", "人社局", "贸促会", "科工局"]);
        let site = |name: &str| plan.sites.iter().find(|s| s.name == name).unwrap().clone();
        assert_eq!(site("五里牌街道新球社区").unit, "人社局");
        assert_eq!(site("五里牌街道新球社区").link, LinkKind::Community);
        assert_eq!(site("桃林镇治水村").unit, "应急管理局");
        assert_eq!(site("桃林镇治水村").link, LinkKind::Village);
        let links: std::collections::BTreeSet<LinkKind> = plan.sites.iter().map(|s| s.link).collect();
        assert_eq!(links.len(), 4, "all four links appear");
    }

    #[test]
    fn an_unknown_link_kind_is_reported_on_its_line() {
        let src = "[[units]]\nname = \"人社局\"\n\n[[sites]]\nunit = \"人社局\"\nname = \"新球社区\"\nlink = \"school\"\n";
        let problems = parse_org(src).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 7);
        assert!(matches!(&problems[0].kind, OrgProblemKind::UnknownLink { link, .. } if link == "school"));
    }

    #[test]
    fn every_problem_of_one_site_is_reported() {
        let src = "[[units]]\nname = \"a\"\n[[sites]]\nname = \"x\"\nlink = \"school\"\n";
        let problems = parse_org(src).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(problems[0].kind, OrgProblemKind::SiteWithoutUnit { .. }));
        assert!(matches!(problems[1].kind, OrgProblemKind::UnknownLink { .. }));
        assert_eq!(problems[1].line, 5);
    }

    #[test]
    fn a_site_without_a_unit_is_reported_on_its_line() {
        let src = "[[units]]\nname = \"人社局\"\n\n[[sites]]\nname = \"新球社区\"\nlink = \"community\"\n\n[[sites]]\nunit = \"财政局\"\nname = \"某村\"\nlink = \"village\"\n";
        let problems = parse_org(src).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(&problems[0].kind, OrgProblemKind::SiteWithoutUnit { site } if site == "新球社区"));
        assert!(problems[0].line >= 4 && problems[0].line <= 6, "{problems:?}");
        assert!(
            matches!(&problems[1].kind, OrgProblemKind::SiteOfUnknownUnit { unit, .. } if unit == "财政局")
        );
        assert_eq!(problems[1].line, 9);
    }

    #[test]
    fn chinese_link_names_and_traditional_unit_names_are_accepted() {
        let src = "[[units]]\nname = \"人社局\"\n[[sites]]\nunit = \"人社局\"\nname = \"新球社區\"\nlink = \"聯社區\"\n";
        let plan = parse_org(src).unwrap();
        assert_eq!(plan.sites[0].link, LinkKind::Community);
    }

    #[test]
    fn syntax_errors_and_stray_fields_carry_a_line_number() {
        let problems = parse_org("[[units]]\nname = \"a\"\ncolour = \"red\"\n").unwrap_err();
        assert_eq!(problems[0].line, 3, "{problems:?}");
        let problems = parse_org("[[units]]\nname = \n").unwrap_err();
        assert_eq!(problems[0].line, 2, "{problems:?}");
    }

    #[test]
    fn two_defaults_in_a_unit_are_refused() {
        let src = "[[units]]\nname = \"u\"\n[[sites]]\nunit = \"u\"\nname = \"a\"\nlink = \"village\"\ndefault = true\n[[sites]]\nunit = \"u\"\nname = \"b\"\nlink = \"village\"\ndefault = true\n";
        let problems = parse_org(src).unwrap_err();
        assert!(matches!(problems[0].kind, OrgProblemKind::SecondDefault { .. }));
    }

    #[test]
    fn a_units_dingtalk_departments_are_read_from_the_file_and_one_department_has_one_unit() {
        let src = "[[units]]\nname = \"人社局\"\ndingtalk_departments = [67890, 12345, 12345]\n\n[[units]]\nname = \"科工局\"\n";
        let plan = parse_org(src).unwrap();
        assert_eq!(
            plan.departments,
            [UnitDepartments { unit: "人社局".into(), departments: vec![12345, 67890] }]
        );
        let twice = "[[units]]\nname = \"甲\"\ndingtalk_departments = [5]\n[[units]]\nname = \"乙\"\ndingtalk_departments = [0, 5]\n";
        let problems = parse_org(twice).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(problems[0].kind, OrgProblemKind::BadDepartment { department: 0, .. }));
        assert!(
            matches!(&problems[1].kind, OrgProblemKind::DuplicateDepartment { department: 5, other, .. } if other == "甲")
        );
        assert_eq!(problems[1].line, 6);
    }

    #[test]
    fn units_are_found_by_exact_or_unique_partial_name() {
        let units = vec![Unit { id: 1, name: "人社局".into() }, Unit { id: 2, name: "科工局".into() }];
        assert_eq!(find_unit(&units, "人社局").unwrap().id, 1);
        assert_eq!(find_unit(&units, "科工").unwrap().id, 2);
        assert_eq!(find_unit(&units, "局").unwrap_err().len(), 2);
        assert!(find_unit(&units, "财政局").unwrap_err().is_empty());
    }
}
