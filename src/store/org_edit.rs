//! Editing the organisation one change at a time (the console's 组织 page), and importing a
//! whole org file with its audit entries or as a preview that writes nothing.
//!
//! Each edit runs in one write transaction: it reads what is there, decides, writes, and logs
//! the change with its before and after, so a change is never half-written and a form sent
//! twice finds its work done ([`OrgEdit::Already`]). Names are compared in folded form
//! ([`crate::normalize::fold`]), as people's input is everywhere.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::org::{apply_in, site_from_row};
use super::{Store, at, ts};
use crate::domain::{LinkKind, Site, Unit};
use crate::domain::{OrgLoadReport, SitePlan, SiteState};
use crate::normalize::fold;

/// A site with whether it is archived: what the organisation's page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSite {
    pub site: Site,
    /// Set when the site was archived: kept with its check-ins, no longer offered.
    pub archived_at: Option<DateTime<Utc>>,
}

/// What an edit did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgEdit {
    /// Done and audited; the unit's or site's id.
    Done(i64),
    /// It was so already (a form sent twice): nothing written.
    Already(i64),
    /// An archived site of that name was brought back (adding it again), and audited.
    Restored(i64),
    /// Another unit has that name.
    UnitTaken(String),
    /// Another site of the unit has that name.
    SiteTaken {
        unit: String,
        site: String,
    },
    NoUnit,
    NoSite,
    /// The site is archived (it cannot be the default).
    Archived(String),
}

/// A site as the edits read it, with its unit's name.
struct Current {
    site: Site,
    unit: String,
    archived: bool,
}

impl Current {
    fn state(&self) -> SiteState {
        SiteState { link: self.site.link, is_default: self.site.is_default, archived: self.archived }
    }
}

/// A site's state as the audit log records it: `新球社区 [community default]`.
fn audit_state(name: &str, s: SiteState) -> String {
    let mut words = vec![s.link.as_str()];
    if s.is_default {
        words.push("default");
    }
    if s.archived {
        words.push("archived");
    }
    format!("{name} [{}]", words.join(" "))
}

fn label(unit: &str, site: &str) -> String {
    format!("{unit} → {site}")
}

const SITE_COLUMNS: &str = "s.id, s.unit_id, s.name, s.link, s.is_default, s.archived_at, u.name AS unit FROM sites s JOIN units u ON u.id = s.unit_id";

fn current_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Current> {
    Ok(Current {
        site: site_from_row(row)?,
        unit: row.try_get("unit")?,
        archived: row.try_get::<Option<i64>, _>("archived_at")?.is_some(),
    })
}

async fn site_in(conn: &mut SqliteConnection, site_id: i64) -> sqlx::Result<Option<Current>> {
    let row = sqlx::query(&format!("SELECT {SITE_COLUMNS} WHERE s.id = ?"))
        .bind(site_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(current_from_row).transpose()
}

async fn sites_of_unit_in(conn: &mut SqliteConnection, unit_id: i64) -> sqlx::Result<Vec<Current>> {
    let rows = sqlx::query(&format!("SELECT {SITE_COLUMNS} WHERE s.unit_id = ? ORDER BY s.id"))
        .bind(unit_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(current_from_row).collect()
}

async fn units_in(conn: &mut SqliteConnection) -> sqlx::Result<Vec<Unit>> {
    let rows = sqlx::query("SELECT id, name FROM units ORDER BY id").fetch_all(conn).await?;
    rows.iter().map(|r| Ok(Unit { id: r.try_get("id")?, name: r.try_get("name")? })).collect()
}

async fn audit(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    before: Option<&str>,
    after: Option<&str>,
    detail: &str,
) -> sqlx::Result<()> {
    super::audit::insert(conn, now, actor, action, None, before, after, Some(detail)).await
}

impl Store {
    /// Every site with whether it is archived, by unit and in the order they were added.
    pub async fn org_sites(&self) -> sqlx::Result<Vec<OrgSite>> {
        let rows = sqlx::query(
            "SELECT id, unit_id, name, link, is_default, archived_at FROM sites ORDER BY unit_id, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrgSite {
                    site: site_from_row(r)?,
                    archived_at: r.try_get::<Option<i64>, _>("archived_at")?.map(at),
                })
            })
            .collect()
    }

    /// The sites still in the organisation (not archived), the default of each unit first:
    /// the sites to visit.
    pub async fn active_sites(&self) -> sqlx::Result<Vec<Site>> {
        let rows = sqlx::query(
            "SELECT id, unit_id, name, link, is_default FROM sites
             WHERE archived_at IS NULL ORDER BY unit_id, is_default DESC, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(site_from_row).collect()
    }

    /// The ids of archived sites.
    pub async fn archived_site_ids(&self) -> sqlx::Result<HashSet<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE archived_at IS NOT NULL")
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().collect())
    }

    /// Adds a unit named `name` (checked by the caller) unless one of that name exists.
    pub async fn add_unit_audited(
        &self,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        let mut tx = self.write_tx().await?;
        if let Some(same) = units_in(&mut tx).await?.into_iter().find(|u| fold(&u.name) == fold(name)) {
            return Ok(OrgEdit::Already(same.id));
        }
        let id: i64 = sqlx::query_scalar("INSERT INTO units (name, created_at) VALUES (?, ?) RETURNING id")
            .bind(name)
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await?;
        audit(&mut tx, now, actor, "org_unit_added", None, Some(name), &format!("#{id}")).await?;
        tx.commit().await?;
        Ok(OrgEdit::Done(id))
    }

    /// Renames a unit, unless another unit has that name.
    pub async fn rename_unit_audited(
        &self,
        unit_id: i64,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        let mut tx = self.write_tx().await?;
        let units = units_in(&mut tx).await?;
        let Some(unit) = units.iter().find(|u| u.id == unit_id) else { return Ok(OrgEdit::NoUnit) };
        if unit.name == name {
            return Ok(OrgEdit::Already(unit_id));
        }
        if let Some(other) = units.iter().find(|u| u.id != unit_id && fold(&u.name) == fold(name)) {
            return Ok(OrgEdit::UnitTaken(other.name.clone()));
        }
        sqlx::query("UPDATE units SET name = ? WHERE id = ?")
            .bind(name)
            .bind(unit_id)
            .execute(&mut *tx)
            .await?;
        audit(&mut tx, now, actor, "org_unit_renamed", Some(&unit.name), Some(name), &format!("#{unit_id}"))
            .await?;
        tx.commit().await?;
        Ok(OrgEdit::Done(unit_id))
    }

    /// Adds a site to a unit. A site of that name there already is left as it is; an archived
    /// one is brought back with the link given.
    pub async fn add_site_audited(
        &self,
        unit_id: i64,
        name: &str,
        link: LinkKind,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        let mut tx = self.write_tx().await?;
        let unit: Option<String> = sqlx::query_scalar("SELECT name FROM units WHERE id = ?")
            .bind(unit_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(unit) = unit else { return Ok(OrgEdit::NoUnit) };
        let same =
            sites_of_unit_in(&mut tx, unit_id).await?.into_iter().find(|s| fold(&s.site.name) == fold(name));
        match same {
            Some(s) if !s.archived => Ok(OrgEdit::Already(s.site.id)),
            Some(s) => {
                sqlx::query("UPDATE sites SET link = ?, archived_at = NULL WHERE id = ?")
                    .bind(link.as_str())
                    .bind(s.site.id)
                    .execute(&mut *tx)
                    .await?;
                let after = SiteState { link, is_default: false, archived: false };
                let (before, after) =
                    (audit_state(&s.site.name, s.state()), audit_state(&s.site.name, after));
                let detail = label(&unit, &s.site.name);
                audit(&mut tx, now, actor, "org_site_restored", Some(&before), Some(&after), &detail).await?;
                tx.commit().await?;
                Ok(OrgEdit::Restored(s.site.id))
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO sites (unit_id, name, link, is_default, created_at) VALUES (?, ?, ?, 0, ?) RETURNING id",
                )
                .bind(unit_id)
                .bind(name)
                .bind(link.as_str())
                .bind(ts(now))
                .fetch_one(&mut *tx)
                .await?;
                let after = audit_state(name, SiteState { link, is_default: false, archived: false });
                audit(&mut tx, now, actor, "org_site_added", None, Some(&after), &label(&unit, name)).await?;
                tx.commit().await?;
                Ok(OrgEdit::Done(id))
            }
        }
    }

    /// Renames a site, unless another site of its unit (archived ones too) has that name.
    pub async fn rename_site_audited(
        &self,
        site_id: i64,
        name: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        let mut tx = self.write_tx().await?;
        let Some(current) = site_in(&mut tx, site_id).await? else { return Ok(OrgEdit::NoSite) };
        if current.site.name == name {
            return Ok(OrgEdit::Already(site_id));
        }
        let siblings = sites_of_unit_in(&mut tx, current.site.unit_id).await?;
        if let Some(other) =
            siblings.iter().find(|s| s.site.id != site_id && fold(&s.site.name) == fold(name))
        {
            return Ok(OrgEdit::SiteTaken { unit: current.unit, site: other.site.name.clone() });
        }
        sqlx::query("UPDATE sites SET name = ? WHERE id = ?")
            .bind(name)
            .bind(site_id)
            .execute(&mut *tx)
            .await?;
        let detail = format!("{} (#{site_id})", label(&current.unit, name));
        audit(&mut tx, now, actor, "org_site_renamed", Some(&current.site.name), Some(name), &detail).await?;
        tx.commit().await?;
        Ok(OrgEdit::Done(site_id))
    }

    /// Makes a site its unit's default (where a check-in goes when the member names none);
    /// the unit's former default stops being one.
    pub async fn set_default_site_audited(
        &self,
        site_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        let mut tx = self.write_tx().await?;
        let Some(current) = site_in(&mut tx, site_id).await? else { return Ok(OrgEdit::NoSite) };
        if current.archived {
            return Ok(OrgEdit::Archived(current.site.name));
        }
        if current.site.is_default {
            return Ok(OrgEdit::Already(site_id));
        }
        let before: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sites WHERE unit_id = ? AND is_default = 1 ORDER BY id LIMIT 1",
        )
        .bind(current.site.unit_id)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE sites SET is_default = (id = ?1) WHERE unit_id = ?2 AND (is_default = 1 OR id = ?1)",
        )
        .bind(site_id)
        .bind(current.site.unit_id)
        .execute(&mut *tx)
        .await?;
        let detail = current.unit.clone();
        audit(&mut tx, now, actor, "org_default_site", before.as_deref(), Some(&current.site.name), &detail)
            .await?;
        tx.commit().await?;
        Ok(OrgEdit::Done(site_id))
    }

    /// Archives a site: it keeps its check-ins and stays in old tallies, but is no longer
    /// offered for check-ins nor listed among the sites to visit. It is never deleted.
    pub async fn archive_site_audited(
        &self,
        site_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        self.set_archived(site_id, true, actor, now).await
    }

    /// Brings an archived site back into the organisation.
    pub async fn restore_site_audited(
        &self,
        site_id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        self.set_archived(site_id, false, actor, now).await
    }

    async fn set_archived(
        &self,
        site_id: i64,
        archived: bool,
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgEdit> {
        let mut tx = self.write_tx().await?;
        let Some(current) = site_in(&mut tx, site_id).await? else { return Ok(OrgEdit::NoSite) };
        if current.archived == archived {
            return Ok(OrgEdit::Already(site_id));
        }
        // An archived site is nobody's default: check-ins without a site go elsewhere.
        let sql = if archived {
            "UPDATE sites SET archived_at = ?, is_default = 0 WHERE id = ?"
        } else {
            "UPDATE sites SET archived_at = ? WHERE id = ?"
        };
        sqlx::query(sql).bind(archived.then(|| ts(now))).bind(site_id).execute(&mut *tx).await?;
        let before = current.state();
        let after = SiteState { archived, is_default: before.is_default && !archived, ..before };
        let action = if archived { "org_site_archived" } else { "org_site_restored" };
        let (b, a) = (audit_state(&current.site.name, before), audit_state(&current.site.name, after));
        audit(&mut tx, now, actor, action, Some(&b), Some(&a), &label(&current.unit, &current.site.name))
            .await?;
        tx.commit().await?;
        Ok(OrgEdit::Done(site_id))
    }

    /// What loading a validated org file would do, computed by doing it in a transaction that
    /// is then rolled back: the preview is exactly what the load does.
    pub async fn preview_org(
        &self,
        units: &[String],
        sites: &[SitePlan],
        departments: &[super::UnitDepartments],
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgLoadReport> {
        let mut tx = self.write_tx().await?;
        let report = apply_in(&mut tx, units, sites, departments, now).await?;
        tx.rollback().await?;
        Ok(report)
    }

    /// Loads a validated org file as [`Store::apply_org`] does, and logs each change with its
    /// before and after, in the same transaction.
    pub async fn apply_org_audited(
        &self,
        units: &[String],
        sites: &[SitePlan],
        departments: &[super::UnitDepartments],
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgLoadReport> {
        let mut tx = self.write_tx().await?;
        let report = apply_in(&mut tx, units, sites, departments, now).await?;
        const IMPORT: &str = "（导入）";
        for unit in &report.units_added {
            audit(&mut tx, now, actor, "org_unit_added", None, Some(unit), IMPORT).await?;
        }
        for site in &report.added_sites {
            let after = audit_state(
                &site.name,
                SiteState { link: site.link, is_default: site.is_default, archived: false },
            );
            let detail = format!("{}{IMPORT}", label(&site.unit, &site.name));
            audit(&mut tx, now, actor, "org_site_added", None, Some(&after), &detail).await?;
        }
        for c in &report.site_changes {
            let (before, after) = (audit_state(&c.site, c.before), audit_state(&c.site, c.after));
            let detail = format!("{}{IMPORT}", label(&c.unit, &c.site));
            audit(&mut tx, now, actor, "org_site_changed", Some(&before), Some(&after), &detail).await?;
        }
        super::departments::audit_changes(&mut tx, &report.departments_changed, actor, IMPORT, now).await?;
        tx.commit().await?;
        Ok(report)
    }
}
