//! 首次设置: the one-time link `sansong run` prints while there is no admin. The form names the
//! first admin and their unit; sending it spends the link, creates the admin and logs them in.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::login::{link_try, signed_in};
use super::{core_error, render};
use crate::domain::Unit;
use crate::error::Error;
use crate::logins::{self, LinkView, SetupChoice};
use crate::texts::web as texts;
use crate::web::guard::ClientIp;
use crate::web::{Web, WebError};

#[derive(Template)]
#[template(path = "setup.html", config = "src/web/askama.toml")]
struct SetupPage<'a> {
    title: &'a str,
    intro: &'a str,
    unit_note: &'a str,
    bind_note: &'a str,
    token: &'a str,
    units: Vec<Unit>,
    problem: Option<String>,
    name: String,
    chosen: String,
    new_unit: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    new_unit: String,
}

async fn form_page(
    web: &Web,
    token: &str,
    form: SetupForm,
    problem: Option<String>,
) -> Result<Response, WebError> {
    let units = crate::org::units(&web.core).await.map_err(|e| core_error(web, e.into()))?;
    let page = SetupPage {
        title: texts::TITLE,
        intro: texts::SETUP_INTRO,
        unit_note: texts::SETUP_UNIT_NOTE,
        bind_note: texts::SETUP_BIND_NOTE,
        token,
        units,
        problem,
        name: form.name,
        chosen: form.unit,
        new_unit: form.new_unit,
    };
    Ok(render(&page)?.into_response())
}

pub async fn page(
    State(web): State<Web>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    link_try(&web, ip, &token)?;
    match logins::look(&web.core, &token).await.map_err(|e| core_error(&web, e))? {
        LinkView::Setup => form_page(&web, &token, SetupForm::default(), None).await,
        LinkView::Login { .. } => Err(core_error(&web, crate::UserError::WebLinkGone.into())),
    }
}

pub async fn set_up(
    State(web): State<Web>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, WebError> {
    link_try(&web, ip, &token)?;
    let choice = match form.unit.trim().parse::<i64>() {
        Ok(id) if form.new_unit.trim().is_empty() => SetupChoice::Unit(id),
        _ => SetupChoice::NewUnit(form.new_unit.clone()),
    };
    match logins::set_up(&web.core, &token, &form.name, choice).await {
        Ok(session) => Ok(signed_in(&web, &session.token)),
        // A mistake in the form: the form again, as typed, with what to change.
        Err(Error::User(
            e @ (crate::UserError::BadName(_)
            | crate::UserError::UnknownUnit { .. }
            | crate::UserError::AccountTaken),
        )) => {
            let problem = crate::texts::errors::user_error(&e, &web.core.config, None);
            form_page(&web, &token, form, Some(problem)).await
        }
        Err(e) => Err(core_error(&web, e)),
    }
}
