//! Tallies, missing members and sites, and export rows.
//!
//! Every count of check-ins in the application comes from [`Store::tally_counts`]: `/tally`,
//! `sansong tally`, the export's summary sheet and the weekly report all call it, so they
//! cannot disagree. Counted means not deleted, and sent within `[from, to)`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, at, ts};

use crate::domain::{ExportRow, Grouping, MemberRef};

/// The SQL expression for the group of a check-in `c`, as an integer (NULL: no site):
/// the unit, member or site id, or the link kind's position in [`LinkKind::ALL`].
fn group_expr(by: Grouping) -> &'static str {
    match by {
        Grouping::Unit => "c.unit_id",
        Grouping::Member => "c.member_id",
        Grouping::Site => "c.site_id",
        Grouping::Link => {
            "(SELECT CASE s.link WHEN 'village' THEN 0 WHEN 'community' THEN 1
                                 WHEN 'enterprise' THEN 2 WHEN 'chamber' THEN 3 END
              FROM sites s WHERE s.id = c.site_id)"
        }
    }
}

/// The counted check-ins of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupCounts {
    /// The unit, member or site id, or the link kind's position in `LinkKind::ALL`; `None`
    /// for check-ins without a site.
    pub key: Option<i64>,
    /// Distinct members with a check-in in the group.
    pub active: i64,
    /// Per kind asked for, in that order.
    pub per_kind: Vec<i64>,
    /// Check-ins of other kinds.
    pub other: i64,
    pub people: i64,
    pub total: i64,
}

/// The raw numbers of a tally, before the core gives them names and rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TallyCounts {
    pub groups: Vec<GroupCounts>,
    /// Everything together; `active` counts each member once, however many groups they are in.
    pub total: GroupCounts,
}

/// A member as `tally_members` reads it from JSON: id, Telegram id, DingTalk id, name, unit.
type MemberTuple = (i64, Option<i64>, Option<String>, String, i64);

/// The check-ins a tally covers: those counted in one ISO week (by the stored week key, a
/// covering index range), or those sent in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Week(i64),
    Range(DateTime<Utc>, DateTime<Utc>),
}

impl Span {
    /// The condition on `checkins c` with its two parameters (?1, ?2).
    fn sql(self) -> (&'static str, i64, i64) {
        match self {
            // ?2 is bound (to 0) only so every query binds the same parameters.
            Span::Week(key) => ("c.week = ?1 AND ?2 = 0", key, 0),
            Span::Range(from, to) => ("c.sent_at >= ?1 AND c.sent_at < ?2", ts(from), ts(to)),
        }
    }
}

/// The unit filter as a JSON parameter: `None` means every unit.
pub(super) fn units_param(units: Option<&[i64]>) -> Option<String> {
    units.map(|u| serde_json::Value::from(u.to_vec()).to_string())
}

impl Store {
    /// Counts counted check-ins in `span` in the given units (all if `None`), per group and
    /// per kind (`kinds`, in order). Three passes over one covering index range: counts by
    /// (group, kind), distinct members by group, distinct members in all. Many groups (a
    /// by-member tally) come back as one JSON row, far quicker than thousands of rows.
    pub async fn tally_counts(
        &self,
        span: Span,
        units: Option<&[i64]>,
        by: Grouping,
        kinds: &[String],
    ) -> sqlx::Result<TallyCounts> {
        let (filter, a, b) = span.sql();
        let scope = "c.deleted_at IS NULL AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3)))";
        let group = group_expr(by);
        let units = units_param(units);
        let mut conn = self.pool.acquire().await?;
        // One row per group with a column per kind (`SUM(c.kind = ?)`), not a row per group and
        // kind: fewer, flatter rows to build and parse, which is most of a by-member tally's cost.
        let sums: String = (0..kinds.len()).map(|i| format!(", SUM(c.kind = ?{}) AS k{i}", i + 4)).collect();
        let columns: String = (0..kinds.len()).map(|i| format!(", k{i}")).collect();
        let sql = format!(
            "SELECT json_group_array(json_array(g, n, p{columns})) FROM (
                SELECT {group} AS g, COUNT(*) AS n, COALESCE(SUM(c.people_served), 0) AS p{sums}
                FROM checkins c WHERE {filter} AND {scope} GROUP BY g)"
        );
        let mut query = sqlx::query_scalar(&sql).bind(a).bind(b).bind(&units);
        for kind in kinds {
            query = query.bind(kind);
        }
        let json: Option<String> = query.fetch_one(&mut *conn).await?;
        // Each row: [group (null: no site), count, people served, count per kind...].
        let rows: Vec<Vec<Option<i64>>> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let mut groups: Vec<GroupCounts> = Vec::with_capacity(rows.len());
        let mut total = GroupCounts { per_kind: vec![0; kinds.len()], ..GroupCounts::default() };
        for row in rows {
            let value = |i: usize| row.get(i).copied().flatten().unwrap_or(0);
            let (key, n, people) = (row.first().copied().flatten(), value(1), value(2));
            let per_kind: Vec<i64> = (0..kinds.len()).map(|k| value(3 + k)).collect();
            let known: i64 = per_kind.iter().sum();
            let g = GroupCounts { key, active: 0, other: n - known, people, total: n, per_kind };
            for (t, k) in total.per_kind.iter_mut().zip(&g.per_kind) {
                *t += k;
            }
            total.other += g.other;
            total.people += g.people;
            total.total += g.total;
            groups.push(g);
        }
        if by == Grouping::Member {
            // A member's own row: active if it has any check-in.
            for g in &mut groups {
                g.active = i64::from(g.total > 0);
            }
        } else {
            let active = sqlx::query(&format!(
                "SELECT {group} AS g, COUNT(DISTINCT c.member_id) AS n FROM checkins c
                 WHERE {filter} AND {scope} GROUP BY g"
            ))
            .bind(a)
            .bind(b)
            .bind(&units)
            .fetch_all(&mut *conn)
            .await?;
            let index: HashMap<Option<i64>, usize> =
                groups.iter().enumerate().map(|(i, g)| (g.key, i)).collect();
            for r in active {
                let key: Option<i64> = r.try_get("g")?;
                if let Some(&i) = index.get(&key) {
                    groups[i].active = r.try_get("n")?;
                }
            }
        }
        total.active = if by == Grouping::Member {
            groups.len() as i64
        } else {
            sqlx::query_scalar(&format!(
                "SELECT COUNT(DISTINCT c.member_id) FROM checkins c WHERE {filter} AND {scope}"
            ))
            .bind(a)
            .bind(b)
            .bind(&units)
            .fetch_one(&mut *conn)
            .await?
        };
        Ok(TallyCounts { groups, total })
    }

    /// Active members per unit: (unit id, count).
    pub async fn member_counts(&self) -> sqlx::Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT unit_id, COUNT(*) AS n FROM members INDEXED BY members_active_by_unit
             WHERE status = 'active' GROUP BY unit_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("unit_id")?, r.try_get("n")?))).collect()
    }

    /// Members for a by-member tally: the active members of the units (all if `None`), and
    /// anyone else who has a counted check-in in those units in `span`; by unit name, then name.
    pub async fn tally_members(&self, span: Span, units: Option<&[i64]>) -> sqlx::Result<Vec<MemberRef>> {
        let (filter, a, b) = span.sql();
        let mut conn = self.pool.acquire().await?;
        // The CASE keeps the check-in subquery for inactive members only: with none (the usual
        // case) it never runs. Unit names are joined here rather than in SQL: quicker for tens of
        // thousands of members, and the sort wants each unit's rank anyway.
        let json: Option<String> = sqlx::query_scalar(&format!(
            "SELECT json_group_array(json_array(m.id, (SELECT a.person_id FROM accounts a WHERE a.member_id = m.id AND a.platform = 'telegram'), (SELECT h.external_id FROM accounts a JOIN handles h ON h.id = a.person_id WHERE a.member_id = m.id AND a.platform = 'dingtalk'), m.name, m.unit_id)) FROM members m
             WHERE CASE WHEN m.status = 'active'
                        THEN ?3 IS NULL OR m.unit_id IN (SELECT value FROM json_each(?3))
                        ELSE m.id IN (SELECT c.member_id FROM checkins c
                                      WHERE {filter} AND c.deleted_at IS NULL
                                        AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3))))
                   END"
        ))
        .bind(a)
        .bind(b)
        .bind(units_param(units))
        .fetch_one(&mut *conn)
        .await?;
        let mut unit_names: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM units").fetch_all(&mut *conn).await?;
        unit_names.sort_unstable_by(|x, y| (&x.1, x.0).cmp(&(&y.1, y.0)));
        let rank: HashMap<i64, usize> = unit_names.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
        let rows: Vec<MemberTuple> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let mut ranked: Vec<(usize, MemberTuple)> =
            rows.into_iter().map(|r| (rank.get(&r.4).copied().unwrap_or(usize::MAX), r)).collect();
        // Sorted here: quicker than SQLite's sorter for tens of thousands of names.
        ranked.sort_unstable_by(|(ra, a), (rb, b)| (ra, &a.3, a.0).cmp(&(rb, &b.3, b.0)));
        Ok(ranked
            .into_iter()
            .map(|(r, (id, telegram_id, dingtalk_id, name, unit_id))| MemberRef {
                id,
                telegram_id,
                dingtalk_id,
                name,
                unit_id,
                unit_name: unit_names.get(r).map(|u| u.1.clone()).unwrap_or_default(),
            })
            .collect())
    }

    /// Active members of the units (all if `None`) with no counted check-in in `[from, to)`,
    /// by unit then name.
    pub async fn members_without_checkin(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[i64]>,
    ) -> sqlx::Result<Vec<MemberRef>> {
        let rows = sqlx::query(
            "SELECT m.id, (SELECT a.person_id FROM accounts a WHERE a.member_id = m.id AND a.platform = 'telegram') AS telegram_id,
                    (SELECT h.external_id FROM accounts a JOIN handles h ON h.id = a.person_id WHERE a.member_id = m.id AND a.platform = 'dingtalk') AS dingtalk_id, m.name, m.unit_id, u.name AS unit_name
             FROM members m JOIN units u ON u.id = m.unit_id
             WHERE m.status = 'active' AND (?3 IS NULL OR m.unit_id IN (SELECT value FROM json_each(?3)))
               AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = m.id
                               AND c.sent_at >= ?1 AND c.sent_at < ?2 AND c.deleted_at IS NULL)
             ORDER BY u.name, m.name, m.id",
        )
        .bind(ts(from))
        .bind(ts(to))
        .bind(units_param(units))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_ref).collect()
    }

    /// The sites that had a counted check-in (of `kind`, if given) in `[from, to)`.
    pub async fn visited_sites(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        kind: Option<&str>,
    ) -> sqlx::Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT c.site_id FROM checkins c
             WHERE c.sent_at >= ?1 AND c.sent_at < ?2 AND c.deleted_at IS NULL AND c.site_id IS NOT NULL
               AND (?3 IS NULL OR c.kind = ?3)",
        )
        .bind(ts(from))
        .bind(ts(to))
        .bind(kind)
        .fetch_all(&self.pool)
        .await
    }

    /// Members with reminders on, in the units, active and reachable, with no counted
    /// check-in in `[from, to)`: who a check-in reminder goes to.
    pub async fn reminder_targets(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: &[i64],
    ) -> sqlx::Result<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT m.id FROM members m
             WHERE m.status = 'active' AND m.reminders = 1 AND m.unreachable_at IS NULL
               AND m.unit_id IN (SELECT value FROM json_each(?3))
               AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = m.id
                               AND c.sent_at >= ?1 AND c.sent_at < ?2 AND c.deleted_at IS NULL)
             ORDER BY m.id",
        )
        .bind(ts(from))
        .bind(ts(to))
        .bind(units_param(Some(units)))
        .fetch_all(&self.pool)
        .await
    }

    /// Turns a member's check-in reminders on or off.
    pub async fn set_reminders(&self, member_id: i64, on: bool) -> sqlx::Result<()> {
        sqlx::query("UPDATE members SET reminders = ? WHERE id = ?")
            .bind(i64::from(on))
            .bind(member_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many counted check-ins of the week `week` (its key) in the units (all if `None`)
    /// were logged at or after `after`.
    pub async fn logged_since(
        &self,
        week: i64,
        after: DateTime<Utc>,
        units: Option<&[i64]>,
    ) -> sqlx::Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM checkins c
             WHERE c.week = ?1 AND c.logged_at >= ?2 AND c.deleted_at IS NULL
               AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3)))",
        )
        .bind(week)
        .bind(ts(after))
        .bind(units_param(units))
        .fetch_one(&self.pool)
        .await
    }

    /// Counted check-ins sent in `[from, to)` in the units (all if `None`), oldest first.
    pub async fn export_rows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[i64]>,
    ) -> sqlx::Result<Vec<ExportRow>> {
        let sql = format!(
            "{EXPORT_SELECT}
             WHERE c.sent_at >= ?1 AND c.sent_at < ?2 AND c.deleted_at IS NULL
               AND (?3 IS NULL OR c.unit_id IN (SELECT value FROM json_each(?3)))
             ORDER BY c.sent_at, c.id"
        );
        let rows = sqlx::query(&sql)
            .bind(ts(from))
            .bind(ts(to))
            .bind(units_param(units))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(export_row).collect()
    }
}

/// The columns of an [`ExportRow`], from `checkins c` and what it refers to.
pub(super) const EXPORT_SELECT: &str = "SELECT c.id, m.name AS member, (SELECT a.person_id FROM accounts a WHERE a.member_id = m.id AND a.platform = 'telegram') AS telegram_id, u.name AS unit, s.name AS site, s.link, c.kind,
                    c.sent_at, COALESCE(c.logged_at, c.sent_at) AS logged_at, c.done_on,
                    c.people_served, c.description, c.photo_file_id IS NOT NULL AS photo,
                    c.latitude, c.longitude
             FROM checkins c JOIN members m ON m.id = c.member_id JOIN units u ON u.id = c.unit_id
                  LEFT JOIN sites s ON s.id = c.site_id";

/// An [`ExportRow`] read from [`EXPORT_SELECT`]'s columns.
pub(super) fn export_row(r: &sqlx::sqlite::SqliteRow) -> sqlx::Result<ExportRow> {
    let lat: Option<f64> = r.try_get("latitude")?;
    let lon: Option<f64> = r.try_get("longitude")?;
    Ok(ExportRow {
        id: r.try_get("id")?,
        member: r.try_get("member")?,
        telegram_id: r.try_get("telegram_id")?,
        unit: r.try_get("unit")?,
        site: r.try_get("site")?,
        link: r.try_get("link")?,
        kind: r.try_get("kind")?,
        counts_at: at(r.try_get("sent_at")?),
        logged_at: at(r.try_get("logged_at")?),
        done_on: super::checkins::day(r.try_get("done_on")?),
        people_served: r.try_get("people_served")?,
        description: r.try_get("description")?,
        photo: r.try_get::<i64, _>("photo")? != 0,
        location: lat.zip(lon),
    })
}

fn member_ref(r: &sqlx::sqlite::SqliteRow) -> sqlx::Result<MemberRef> {
    Ok(MemberRef {
        id: r.try_get("id")?,
        telegram_id: r.try_get("telegram_id")?,
        dingtalk_id: r.try_get("dingtalk_id")?,
        name: r.try_get("name")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
    })
}
