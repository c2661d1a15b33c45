//! 未登记: members without a check-in in the period, and linked sites nobody visited (with the
//! chosen kind), by unit — as `/missing` and `/missing sites` give them.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Html;

use super::tally::Form;
use super::{Chrome, core_error, filtered, render, unit_choices};
use crate::domain::Unit;
use crate::tally::{missing_members, missing_sites};
use crate::texts::link_label;
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

#[derive(Template)]
#[template(path = "missing.html", config = "src/web/askama.toml")]
struct MissingPage {
    chrome: Chrome,
    period: String,
    f: Form,
    units: Vec<Unit>,
    kinds: Vec<(String, String)>,
    members: Vec<(String, Vec<String>)>,
    sites: Vec<(String, Vec<String>)>,
    no_members: &'static str,
    no_sites: &'static str,
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await?;
    let core = &web.core;
    let (members, sites) = tokio::try_join!(
        missing_members(core, &scope, f.period),
        missing_sites(core, &scope, f.period, f.kind.as_deref())
    )
    .map_err(|e| core_error(&web, e))?;
    let page = MissingPage {
        chrome: Chrome::new(&viewer, &scope, "missing"),
        period: crate::texts::period_label(f.period),
        units: unit_choices(&web, &viewer).await?,
        kinds: core.kinds().all().iter().map(|k| (k.key.clone(), k.label.clone())).collect(),
        members: members.into_iter().map(|(u, ms)| (u, ms.into_iter().map(|m| m.name).collect())).collect(),
        sites: sites
            .into_iter()
            .map(|(u, ss)| {
                (u, ss.into_iter().map(|s| format!("{}（{}）", s.name, link_label(s.link))).collect())
            })
            .collect(),
        no_members: texts::NO_MISSING_MEMBERS,
        no_sites: texts::NO_MISSING_SITES,
        f: Form::of(&f),
    };
    render(&page)
}
