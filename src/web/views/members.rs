//! 成员: the members the viewer may see (organisers their own unit, admins all, or one unit),
//! with unit, role, status, platform accounts and latest check-in; role changes (admins) and
//! 停用 / 启用 under exactly `/promote`, `/demote`, `/deactivate` and `/activate`'s rules —
//! each a POST calling [`crate::members::change`], audited there.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, core_error, render, unit_choices};
use crate::domain::{MemberStatus, Role, Unit};
use crate::error::{Error, UserError};
use crate::members::{self, Change};
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

pub struct Line {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub role: Role,
    pub role_label: &'static str,
    pub active: bool,
    pub accounts: String,
    pub latest: String,
    /// The viewer may change this member's status (not their own; organisers: members of
    /// their unit).
    pub may_status: bool,
}

#[derive(Template)]
#[template(path = "members.html", config = "src/web/askama.toml")]
struct MembersPage {
    chrome: Chrome,
    done: Option<&'static str>,
    admin: bool,
    units: Vec<Unit>,
    unit: String,
    lines: Vec<Line>,
    roles: Vec<(Role, &'static str)>,
}

#[derive(Deserialize)]
pub struct MembersQuery {
    #[serde(default)]
    unit: String,
    done: Option<String>,
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    Query(q): Query<MembersQuery>,
) -> Result<Html<String>, WebError> {
    let core = &web.core;
    let unit = q.unit.trim();
    let listings = members::list(core, &viewer.actor(), (!unit.is_empty()).then_some(unit))
        .await
        .map_err(|e| core_error(&web, e))?;
    let me = &viewer.member;
    let admin = me.role == Role::Admin;
    let lines = listings
        .into_iter()
        .map(|l| {
            let m = l.member;
            let mut accounts = Vec::new();
            if let Some(id) = l.telegram_id {
                accounts.push(format!("Telegram {id}"));
            }
            if let Some(id) = l.dingtalk_id {
                accounts.push(format!("钉钉 {id}"));
            }
            Line {
                id: m.id,
                may_status: m.id != me.id && (admin || m.role == Role::Member),
                name: m.name,
                unit: m.unit_name,
                role: m.role,
                role_label: crate::texts::role_label(m.role),
                active: m.status == MemberStatus::Active,
                accounts: if accounts.is_empty() { "—".into() } else { accounts.join("；") },
                latest: l.last_checkin_at.map_or_else(|| "—".into(), |t| crate::texts::moment(t, core.tz())),
            }
        })
        .collect();
    let page = MembersPage {
        chrome: Chrome::plain(&viewer, "members"),
        done: q.done.as_deref().and_then(texts::done_message),
        admin,
        units: unit_choices(&web, &viewer).await?,
        unit: unit.to_owned(),
        lines,
        roles: Role::ALL.iter().map(|r| (*r, crate::texts::role_label(*r))).collect(),
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /members/{id}/role`: to the role chosen (admins only, as `/promote` and `/demote`).
pub async fn set_role(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    // The role first: who may not change roles learns nothing of which members exist.
    members::require_role(&viewer.member, Role::Admin).map_err(|e| core_error(&web, e.into()))?;
    let to: Role = form.role.parse().map_err(|()| WebError::bad_request(texts::BAD_ROLE.to_owned()))?;
    let target = web
        .core
        .store
        .member_by_id(id)
        .await
        .map_err(|e| core_error(&web, e.into()))?
        .ok_or_else(|| core_error(&web, UserError::NoSuchMember(id.to_string()).into()))?;
    let change = if to > target.role { Change::Promote(Some(to)) } else { Change::Demote(Some(to)) };
    changed(&web, members::change(&web.core, &viewer.actor(), id, change).await)
}

/// `POST /members/{id}/deactivate` and `/activate`.
pub async fn set_status(
    viewer: Viewer,
    State(web): State<Web>,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let change = match action.as_str() {
        "deactivate" => Change::Deactivate,
        "activate" => Change::Activate,
        _ => return Err(WebError::new(axum::http::StatusCode::NOT_FOUND, texts::NOT_FOUND.to_owned())),
    };
    changed(&web, members::change(&web.core, &viewer.actor(), id, change).await)
}

/// Back to the list after a change. A change already made (a form sent twice) is no error:
/// the person sees the list as it now is.
fn changed(web: &Web, outcome: crate::error::Result<members::Changed>) -> Result<Response, WebError> {
    match outcome {
        Ok(_) | Err(Error::User(UserError::RoleUnchanged { .. } | UserError::StatusUnchanged { .. })) => {
            Ok(Redirect::to("/members?done=changed").into_response())
        }
        Err(e) => Err(core_error(web, e)),
    }
}
