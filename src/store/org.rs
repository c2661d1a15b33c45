//! Units and their linked sites.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, ts};
use crate::domain::{LinkKind, Site, Unit};

/// A site as an org file states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePlan {
    pub unit: String,
    pub name: String,
    pub link: LinkKind,
    pub is_default: bool,
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
    pub sites_not_in_file: Vec<String>,
}

impl OrgLoadReport {
    pub fn changed_anything(&self) -> bool {
        !self.units_added.is_empty()
            || !self.sites_added.is_empty()
            || !self.sites_changed.is_empty()
            || !self.defaults_moved.is_empty()
    }
}

fn site_from_row(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Site> {
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
        now: DateTime<Utc>,
    ) -> sqlx::Result<OrgLoadReport> {
        let mut report = OrgLoadReport::default();
        let mut tx = self.write_tx().await?;
        for name in units {
            let added = sqlx::query(
                "INSERT INTO units (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added > 0 {
                report.units_added.push(name.clone());
            } else {
                report.units_unchanged += 1;
            }
        }
        let mut planned: Vec<(i64, &str)> = Vec::new();
        for site in sites {
            let unit_id: i64 = sqlx::query_scalar("SELECT id FROM units WHERE name = ?")
                .bind(&site.unit)
                .fetch_one(&mut *tx)
                .await?;
            planned.push((unit_id, site.name.as_str()));
            let existing = sqlx::query(
                "SELECT id, unit_id, name, link, is_default FROM sites WHERE unit_id = ? AND name = ?",
            )
            .bind(unit_id)
            .bind(&site.name)
            .fetch_optional(&mut *tx)
            .await?;
            let label = format!("{} → {}", site.unit, site.name);
            match existing.as_ref().map(site_from_row).transpose()? {
                None => {
                    sqlx::query("INSERT INTO sites (unit_id, name, link, is_default, created_at) VALUES (?, ?, ?, ?, ?)")
                        .bind(unit_id)
                        .bind(&site.name)
                        .bind(site.link.as_str())
                        .bind(i64::from(site.is_default))
                        .bind(ts(now))
                        .execute(&mut *tx)
                        .await?;
                    report.sites_added.push(label);
                }
                Some(old) if old.link != site.link || old.is_default != site.is_default => {
                    sqlx::query("UPDATE sites SET link = ?, is_default = ? WHERE id = ?")
                        .bind(site.link.as_str())
                        .bind(i64::from(site.is_default))
                        .bind(old.id)
                        .execute(&mut *tx)
                        .await?;
                    report.sites_changed.push(label);
                }
                Some(_) => report.sites_unchanged += 1,
            }
        }
        // A unit has one default site: the file's choice displaces an older one it does not list.
        for site in sites.iter().filter(|s| s.is_default) {
            let cleared = sqlx::query(
                "UPDATE sites SET is_default = 0
                 WHERE is_default = 1 AND name <> ? AND unit_id = (SELECT id FROM units WHERE name = ?)",
            )
            .bind(&site.name)
            .bind(&site.unit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if cleared > 0 {
                report.defaults_moved.push((site.unit.clone(), site.name.clone()));
            }
        }
        let all = sqlx::query("SELECT s.unit_id, s.name, u.name AS unit FROM sites s JOIN units u ON u.id = s.unit_id ORDER BY u.name, s.name")
            .fetch_all(&mut *tx)
            .await?;
        for row in all {
            let unit_id: i64 = row.try_get("unit_id")?;
            let name: String = row.try_get("name")?;
            if !planned.iter().any(|(u, n)| *u == unit_id && *n == name) {
                let unit: String = row.try_get("unit")?;
                report.sites_not_in_file.push(format!("{unit} → {name}"));
            }
        }
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

    /// A unit's sites, the default first, then in the order they were loaded.
    pub async fn sites_of(&self, unit_id: i64) -> sqlx::Result<Vec<Site>> {
        let rows = sqlx::query("SELECT id, unit_id, name, link, is_default FROM sites WHERE unit_id = ? ORDER BY is_default DESC, id")
            .bind(unit_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(site_from_row).collect()
    }

    pub async fn all_sites(&self) -> sqlx::Result<Vec<Site>> {
        let rows = sqlx::query(
            "SELECT id, unit_id, name, link, is_default FROM sites ORDER BY unit_id, is_default DESC, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(site_from_row).collect()
    }
}
