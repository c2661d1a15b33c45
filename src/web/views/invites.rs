//! 邀请: making an invite (unit, role, uses, expiry, within what the viewer's role allows, as
//! `/invite` in the chat), showing it with its code, how to use it on each platform in use and
//! a QR code of its Telegram link (drawn on the server as SVG), listing the open ones with
//! their uses left, and withdrawing one. Making one is keyed by the form's nonce: a form sent
//! twice makes one invite.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, core_error, render, unit_choices};
use crate::domain::{Invite, Platform, Role, Unit};
use crate::error::Error;
use crate::members::{self, InviteRequest};
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

pub struct OpenInvite {
    pub id: i64,
    pub unit: String,
    pub role: &'static str,
    pub left: u32,
    pub max: u32,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "invites.html", config = "src/web/askama.toml")]
struct InvitesPage {
    chrome: Chrome,
    done: Option<&'static str>,
    problem: Option<String>,
    nonce: String,
    units: Vec<Unit>,
    f: InviteForm,
    roles: Vec<(Role, &'static str)>,
    open: Vec<OpenInvite>,
    default_uses: u32,
    default_days: u32,
}

#[derive(Template)]
#[template(path = "invite.html", config = "src/web/askama.toml")]
struct InvitePage {
    chrome: Chrome,
    invite: OpenInvite,
    code: String,
    ways: Vec<(&'static str, String)>,
    link: Option<String>,
    qr: Option<String>,
    open: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    uses: String,
    #[serde(default)]
    days: String,
}

fn open_line(i: &Invite, tz: chrono_tz::Tz) -> OpenInvite {
    OpenInvite {
        id: i.id,
        unit: i.unit_name.clone(),
        role: crate::texts::role_label(i.role),
        left: i.max_uses.saturating_sub(i.uses),
        max: i.max_uses,
        expires: crate::texts::moment(i.expires_at, tz),
    }
}

async fn list_page(
    web: &Web,
    viewer: &Viewer,
    f: InviteForm,
    problem: Option<String>,
    done: Option<&'static str>,
) -> Result<Response, WebError> {
    let core = &web.core;
    let open = members::open_invites(core, &viewer.actor()).await.map_err(|e| core_error(web, e))?;
    let admin = viewer.member.role == Role::Admin;
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = InvitesPage {
        chrome: Chrome::plain(viewer, "members"),
        done,
        problem,
        nonce: crate::members::random_token(16),
        units: unit_choices(web, viewer).await?,
        roles: if admin { Role::ALL.to_vec() } else { vec![Role::Member] }
            .into_iter()
            .map(|r| (r, crate::texts::role_label(r)))
            .collect(),
        open: open.iter().map(|i| open_line(i, core.tz())).collect(),
        default_uses: core.config.invite_uses,
        default_days: core.config.invite_days,
        f,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    axum::extract::Query(q): axum::extract::Query<super::notices::Done>,
) -> Result<Response, WebError> {
    members::require_role(&viewer.member, Role::Organiser).map_err(|e| core_error(&web, e.into()))?;
    let done = q.done.as_deref().and_then(texts::done_message);
    list_page(&web, &viewer, InviteForm::default(), None, done).await
}

/// `POST /invites`: makes the invite, then shows it.
pub async fn create(
    viewer: Viewer,
    State(web): State<Web>,
    Form(f): Form<InviteForm>,
) -> Result<Response, WebError> {
    let number = |s: &str| s.trim().parse::<u32>().ok();
    let uses = if f.uses.trim().is_empty() { None } else { Some(number(&f.uses).unwrap_or(0)) };
    let days = if f.days.trim().is_empty() { None } else { Some(number(&f.days).unwrap_or(0)) };
    let request = InviteRequest {
        unit: Some(f.unit.trim().to_owned()).filter(|u| !u.is_empty()),
        role: f.role.parse().ok(),
        uses,
        expires_in: days.map(|d| chrono::Duration::days(i64::from(d))),
    };
    let nonce: String = f.nonce.chars().filter(char::is_ascii_alphanumeric).take(32).collect();
    let key = (nonce.len() >= 16).then(|| format!("web:{}:{nonce}", viewer.member.id));
    match members::create_invite(&web.core, &viewer.actor(), &request, key).await {
        Ok(invite) => Ok(Redirect::to(&format!("/invites/{}", invite.id)).into_response()),
        Err(Error::User(e)) => {
            let problem = crate::texts::errors::user_error(&e, &web.core.config, None);
            list_page(&web, &viewer, f, Some(problem), None).await
        }
        Err(e) => Err(core_error(&web, e)),
    }
}

/// `GET /invites/{id}`: the invite with its code, how to use it, its QR code.
pub async fn show(viewer: Viewer, State(web): State<Web>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let core = &web.core;
    let invite = members::invite(core, &viewer.actor(), id).await.map_err(|e| core_error(&web, e))?;
    let open = members::open_invites(core, &viewer.actor())
        .await
        .map_err(|e| core_error(&web, e))?
        .iter()
        .any(|i| i.id == id);
    let link = if core.limits().iter().any(|l| l.platform == Platform::Telegram) {
        members::bot_username(core)
            .await
            .map_err(|e| core_error(&web, e))?
            .map(|bot| members::deep_link(&bot, &invite.code))
    } else {
        None
    };
    let platforms: Vec<Platform> = core.limits().iter().map(|l| l.platform).collect();
    let page = InvitePage {
        chrome: Chrome::plain(&viewer, "members"),
        ways: texts::invite_ways(&platforms, &invite.code, link.as_deref()),
        qr: link.as_deref().and_then(qr_svg),
        link,
        code: invite.code.clone(),
        invite: open_line(&invite, core.tz()),
        open,
    };
    Ok(render(&page)?.into_response())
}

/// `POST /invites/{id}/revoke`.
pub async fn revoke(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    members::revoke_invite(&web.core, &viewer.actor(), id).await.map_err(|e| core_error(&web, e))?;
    Ok(Redirect::to("/invites?done=revoked").into_response())
}

/// A QR code of `link`, as an SVG element to put in the page.
pub fn qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::new(link.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(220, 220).quiet_zone(true).build();
    // The XML declaration belongs to a file, not to an element inside a page.
    Some(svg.split_once("?>").map_or(svg.clone(), |(_, rest)| rest.trim_start().to_owned()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_invites_qr_code_is_an_svg_element_of_its_link() {
        let svg = super::qr_svg("https://t.me/sansong_bot?start=AbCdEfGhIjKlMnOpQrStUv").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<path") || svg.contains("<rect"));
    }
}
