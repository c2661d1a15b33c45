//! Units and their linked sites.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::{Store, ts};
use crate::domain::{LinkKind, OrgLoadReport, Site, SiteChange, SitePlan, SiteState, Unit};
use crate::normalize::fold;

pub(super) fn site_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Site> {
    let link: String = row.try_get("link")?;
    Ok(Site {
        id: row.try_get("id")?,
        unit_id: row.try_get("unit_id")?,
        name: row.try_get("name")?,
        link: link.parse().map_err(|()| sqlx::Error::Decode(format!("link {link:?}").into()))?,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
    })
}

impl Store {
    /// Makes the database hold every unit and site of a validated org file, in one transaction:
    /// either all of it lands or none.
    pub async fn apply_org(
        &self,
        units: &[String],
        sites: &[SitePlan],
        departments: &[super::UnitDepartments],
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgLoadReport> {
        let mut tx = self.write_tx().await?;
        let report = apply_in(&mut tx, units, sites, departments, now).await?;
        tx.commit().await?;
        Ok(report)
    }

    pub async fn units(&self) -> sqlx::Result<Vec<Unit>> {
        let rows = sqlx::query("SELECT id, name FROM units ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(Unit { id: r.try_get("id")?, name: r.try_get("name")? })).collect()
    }

    pub async fn unit(&self, id: i64) -> sqlx::Result<Option<Unit>> {
        let row = sqlx::query("SELECT id, name FROM units WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Unit { id: r.try_get("id")?, name: r.try_get("name")? })).transpose()
    }

    /// The sites a unit's members may check in at: its active ones (an archived site is no
    /// longer offered), the default first, then in the order they were loaded.
    pub async fn sites_of(&self, unit_id: i64) -> sqlx::Result<Vec<Site>> {
        let rows = sqlx::query(
            "SELECT id, unit_id, name, link, is_default FROM sites
             WHERE unit_id = ? AND archived_at IS NULL ORDER BY is_default DESC, id",
        )
        .bind(unit_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(site_from_row).collect()
    }

    /// Every site of every unit, archived ones too (their check-ins stay in the tallies).
    pub async fn all_sites(&self) -> sqlx::Result<Vec<Site>> {
        let rows = sqlx::query(
            "SELECT id, unit_id, name, link, is_default FROM sites ORDER BY unit_id, is_default DESC, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(site_from_row).collect()
    }
}

/// The work of [`Store::apply_org`] on an open transaction, which the caller commits (a load),
/// commits with its audit entries (an import from the console), or rolls back (its preview).
/// A site the file names that was archived is brought back.
///
/// Units and sites are found by name in folded form ([`fold`]), as the console's edits find
/// them: a file that spells a unit or site in the other script (or width, or case) names the
/// one there, whose spelling is kept, rather than adding a second one.
pub(super) async fn apply_in(
    tx: &mut SqliteConnection,
    units: &[String],
    sites: &[SitePlan],
    departments: &[super::UnitDepartments],
    now: DateTime<Utc>,
) -> sqlx::Result<OrgLoadReport> {
    let mut report = OrgLoadReport::default();
    let mut known: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM units ORDER BY id").fetch_all(&mut *tx).await?;
    for name in units {
        if by_name(&known, name, |(_, n)| n).is_some() {
            report.units_unchanged += 1;
            continue;
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO units (name, created_at) VALUES (?, ?) RETURNING id")
            .bind(name)
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
        known.push((id, name.clone()));
        report.units_added.push(name.clone());
    }
    // The sites the file names, by id, and the defaults it chooses: (unit id, unit, site id, site).
    let mut planned: Vec<i64> = Vec::new();
    let mut defaults: Vec<(i64, String, i64, String)> = Vec::new();
    for site in sites {
        let (unit_id, unit) =
            by_name(&known, &site.unit, |(_, n)| n).cloned().ok_or(sqlx::Error::RowNotFound)?;
        let rows = sqlx::query(
            "SELECT id, unit_id, name, link, is_default, archived_at FROM sites WHERE unit_id = ? ORDER BY id",
        )
        .bind(unit_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut existing = Vec::with_capacity(rows.len());
        for row in &rows {
            let archived = row.try_get::<Option<i64>, _>("archived_at")?.is_some();
            existing.push((site_from_row(row)?, archived));
        }
        let after = SiteState { link: site.link, is_default: site.is_default, archived: false };
        let Some((old, archived)) = by_name(&existing, &site.name, |(s, _)| &s.name) else {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sites (unit_id, name, link, is_default, created_at) VALUES (?, ?, ?, ?, ?)
                 RETURNING id",
            )
            .bind(unit_id)
            .bind(&site.name)
            .bind(site.link.as_str())
            .bind(i64::from(site.is_default))
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
            planned.push(id);
            if site.is_default {
                defaults.push((unit_id, unit.clone(), id, site.name.clone()));
            }
            report.sites_added.push(format!("{unit} → {}", site.name));
            report.added_sites.push(SitePlan { unit, ..site.clone() });
            continue;
        };
        planned.push(old.id);
        if site.is_default {
            defaults.push((unit_id, unit.clone(), old.id, old.name.clone()));
        }
        let before = SiteState { link: old.link, is_default: old.is_default, archived: *archived };
        if before == after {
            report.sites_unchanged += 1;
            continue;
        }
        sqlx::query("UPDATE sites SET link = ?, is_default = ?, archived_at = NULL WHERE id = ?")
            .bind(site.link.as_str())
            .bind(i64::from(site.is_default))
            .bind(old.id)
            .execute(&mut *tx)
            .await?;
        report.sites_changed.push(format!("{unit} → {}", old.name));
        report.site_changes.push(SiteChange { unit, site: old.name.clone(), before, after });
    }
    // A unit has one default site: the file's choice displaces an older one it does not list.
    for (unit_id, unit, site_id, site) in defaults {
        let cleared: Vec<(String, String)> = sqlx::query_as(
            "UPDATE sites SET is_default = 0 WHERE is_default = 1 AND id <> ? AND unit_id = ?
             RETURNING name, link",
        )
        .bind(site_id)
        .bind(unit_id)
        .fetch_all(&mut *tx)
        .await?;
        for (name, link) in &cleared {
            let link: LinkKind =
                link.parse().map_err(|()| sqlx::Error::Decode(format!("link {link:?}").into()))?;
            report.site_changes.push(SiteChange {
                unit: unit.clone(),
                site: name.clone(),
                before: SiteState { link, is_default: true, archived: false },
                after: SiteState { link, is_default: false, archived: false },
            });
        }
        if !cleared.is_empty() {
            report.defaults_moved.push((unit, site));
        }
    }
    let all = sqlx::query(
        "SELECT s.id, s.name, u.name AS unit FROM sites s JOIN units u ON u.id = s.unit_id
         WHERE s.archived_at IS NULL ORDER BY u.name, s.name",
    )
    .fetch_all(&mut *tx)
    .await?;
    for row in all {
        if !planned.contains(&row.try_get("id")?) {
            let (unit, name): (String, String) = (row.try_get("unit")?, row.try_get("name")?);
            report.sites_not_in_file.push(format!("{unit} → {name}"));
        }
    }
    // The units the file gives departments have exactly those (found by name as above).
    let mut wanted: Vec<(i64, Vec<i64>)> = Vec::new();
    for d in departments {
        let (unit_id, _) = by_name(&known, &d.unit, |(_, n)| n).cloned().ok_or(sqlx::Error::RowNotFound)?;
        wanted.push((unit_id, d.departments.clone()));
    }
    if !wanted.is_empty() {
        let names = known.iter().cloned().collect();
        report.departments_changed = super::departments::set_in(tx, &wanted, &names, now).await?;
    }
    Ok(report)
}

/// The one of `items` that `wanted` names: the exact spelling if there is one (a database
/// loaded before names were folded may hold two spellings), else the first equal when folded.
fn by_name<'a, T>(items: &'a [T], wanted: &str, name: impl Fn(&T) -> &String) -> Option<&'a T> {
    items.iter().find(|i| name(i) == wanted).or_else(|| {
        let wanted = fold(wanted);
        items.iter().find(|i| fold(name(i)) == wanted)
    })
}
