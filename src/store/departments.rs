//! Units' DingTalk departments (按部门加入): which departments of the organisation's DingTalk
//! address book belong to which unit, and joining a unit by one of them.
//!
//! A department belongs to at most one unit (the table's key), so a person's department can
//! never name two units by itself; a person in two departments of two units is the core's to
//! judge.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::members::{insert_member_on, member_of_person_on};
use super::{Store, ts};
pub use crate::domain::{DepartmentChange, UnitDepartments};
use crate::domain::{Member, Person, Unit};

/// What setting a unit's departments on the console did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepartmentsEdit {
    Done(DepartmentChange),
    /// The unit had exactly these already: nothing written.
    Already,
    NoUnit,
    /// This department belongs to another unit (named): it is moved only by saying so there.
    Taken {
        department: i64,
        unit: String,
    },
}

/// What joining by department did.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartmentJoined {
    Joined(Member),
    /// The account belongs to a member already (a message that raced another).
    AlreadyMember(Member),
    /// The unit is gone (removed between reading the mapping and joining).
    NoUnit,
}

/// The audit log's words for a set of departments: their ids, comma-separated.
fn listed(departments: &[i64]) -> String {
    departments.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Every mapping: unit id → its departments, sorted.
async fn mapping_in(conn: &mut SqliteConnection) -> sqlx::Result<BTreeMap<i64, Vec<i64>>> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT unit_id, department_id FROM unit_dingtalk_departments ORDER BY department_id")
            .fetch_all(&mut *conn)
            .await?;
    let mut map: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (unit, department) in rows {
        map.entry(unit).or_default().push(department);
    }
    Ok(map)
}

/// Gives each unit of `wanted` (unit id → departments) exactly those departments, moving a
/// department from another unit when it is named here; returns every unit whose set changed
/// (`names`: unit id → name).
pub(super) async fn set_in(
    tx: &mut SqliteConnection,
    wanted: &[(i64, Vec<i64>)],
    names: &BTreeMap<i64, String>,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<DepartmentChange>> {
    let before = mapping_in(tx).await?;
    for (unit_id, departments) in wanted {
        let keep = listed(departments);
        // SQLite has no array binding; the ids are integers, checked by the plan, so the kept
        // set goes as a JSON array read by json_each.
        sqlx::query(
            "DELETE FROM unit_dingtalk_departments WHERE unit_id = ?
             AND department_id NOT IN (SELECT value FROM json_each(?))",
        )
        .bind(unit_id)
        .bind(format!("[{keep}]"))
        .execute(&mut *tx)
        .await?;
        for department in departments {
            sqlx::query(
                "INSERT INTO unit_dingtalk_departments (department_id, unit_id, added_at) VALUES (?, ?, ?)
                 ON CONFLICT (department_id) DO UPDATE SET unit_id = excluded.unit_id, added_at = excluded.added_at
                 WHERE unit_id <> excluded.unit_id",
            )
            .bind(department)
            .bind(unit_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        }
    }
    let after = mapping_in(tx).await?;
    let mut changes = Vec::new();
    let units: std::collections::BTreeSet<i64> = before.keys().chain(after.keys()).copied().collect();
    for unit in units {
        let (b, a) =
            (before.get(&unit).cloned().unwrap_or_default(), after.get(&unit).cloned().unwrap_or_default());
        if b != a {
            let name = names.get(&unit).cloned().unwrap_or_else(|| unit.to_string());
            changes.push(DepartmentChange { unit: name, before: b, after: a });
        }
    }
    Ok(changes)
}

/// Audits each change of departments (`suffix` says how it was done, e.g. an import).
pub(super) async fn audit_changes(
    tx: &mut SqliteConnection,
    changes: &[DepartmentChange],
    actor: &str,
    suffix: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    for c in changes {
        let detail = format!("{}{suffix}", c.unit);
        super::audit::insert(
            tx,
            now,
            actor,
            "org_departments",
            None,
            Some(&listed(&c.before)),
            Some(&listed(&c.after)),
            Some(&detail),
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// Every mapped department with its unit, by department id.
    pub async fn department_units(&self) -> sqlx::Result<Vec<(i64, Unit)>> {
        let rows = sqlx::query(
            "SELECT d.department_id, u.id, u.name FROM unit_dingtalk_departments d
             JOIN units u ON u.id = d.unit_id ORDER BY d.department_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((r.try_get("department_id")?, Unit { id: r.try_get("id")?, name: r.try_get("name")? }))
            })
            .collect()
    }

    /// Whether any unit has a department (without one, nobody is looked up).
    pub async fn any_department_mapped(&self) -> sqlx::Result<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM unit_dingtalk_departments)")
            .fetch_one(&self.pool)
            .await
    }

    /// Gives one unit exactly `departments` (the console's form), audited before and after in
    /// the same transaction. A department of another unit is refused, not moved.
    pub async fn set_unit_departments_audited(
        &self,
        unit_id: i64,
        departments: &[i64],
        actor: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<DepartmentsEdit> {
        let mut tx = self.write_tx().await?;
        let names: BTreeMap<i64, String> =
            sqlx::query_as("SELECT id, name FROM units").fetch_all(&mut *tx).await?.into_iter().collect();
        if !names.contains_key(&unit_id) {
            return Ok(DepartmentsEdit::NoUnit);
        }
        for department in departments {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT unit_id FROM unit_dingtalk_departments WHERE department_id = ?")
                    .bind(department)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(owner) = owner.filter(|o| *o != unit_id) {
                let unit = names.get(&owner).cloned().unwrap_or_default();
                return Ok(DepartmentsEdit::Taken { department: *department, unit });
            }
        }
        let changes = set_in(&mut tx, &[(unit_id, departments.to_vec())], &names, now).await?;
        let Some(change) = changes.into_iter().next() else { return Ok(DepartmentsEdit::Already) };
        audit_changes(&mut tx, std::slice::from_ref(&change), actor, "", now).await?;
        tx.commit().await?;
        Ok(DepartmentsEdit::Done(change))
    }

    /// Makes `person` a member of `unit_id` (role member, no invite) because their DingTalk
    /// department `department` belongs to it, and audits it as `钉钉部门`, in one transaction.
    pub async fn join_by_department(
        &self,
        person: &Person,
        unit_id: i64,
        actor: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<DepartmentJoined> {
        let mut tx = self.write_tx().await?;
        if let Some(member) = member_of_person_on(&mut tx, person.account.person_id).await? {
            return Ok(DepartmentJoined::AlreadyMember(member));
        }
        let unit: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE id = ?")
            .bind(unit_id)
            .fetch_optional(&mut *tx)
            .await?;
        if unit.is_none() {
            return Ok(DepartmentJoined::NoUnit);
        }
        let member_id =
            insert_member_on(&mut tx, person, unit_id, crate::domain::Role::Member, None, now).await?;
        super::audit::insert(
            &mut tx,
            now,
            actor,
            "dingtalk_department",
            Some(member_id),
            None,
            None,
            Some(detail),
        )
        .await?;
        let member = member_of_person_on(&mut tx, person.account.person_id)
            .await?
            .ok_or_else(|| sqlx::Error::RowNotFound)?;
        tx.commit().await?;
        Ok(DepartmentJoined::Joined(member))
    }
}
