//! 审计 (admins): the audit log, newest first, 100 a page, filtered by days, who did it, the
//! kind of action and the unit; each entry says where it was done (网页, 聊天, 命令行, 系统).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Html;

use super::{Chrome, Pager, core_error, page_link, render};
use crate::audit::{AuditFilter, via};
use crate::domain::Unit;
use crate::texts::system as texts;
use crate::texts::web::{HINT_DATE, HINT_NUMBER, bad_parameter};
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// Entries a page shows.
pub const PER_PAGE: u32 = 100;

/// The longest text the 操作人 filter takes.
const MAX_ACTOR_CHARS: usize = 40;

struct Row {
    at: String,
    via: &'static str,
    actor: String,
    action: String,
    member: String,
    change: String,
    detail: String,
}

/// The filters as the form shows them again.
#[derive(Default)]
struct Form {
    from: String,
    to: String,
    actor: String,
    action: String,
    unit: String,
}

#[derive(Template)]
#[template(path = "audit.html", config = "src/web/askama.toml")]
struct AuditPage {
    chrome: Chrome,
    f: Form,
    actions: Vec<(String, String)>,
    units: Vec<Unit>,
    rows: Vec<Row>,
    pager: Pager,
    nothing: &'static str,
    note: &'static str,
}

/// Reads the query: the filter, the page, and the form's values.
fn read(query: Option<&str>) -> Result<(AuditFilter, u32, Form), WebError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect();
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let bad = |name: &str, value: &str, hint: &str| WebError::bad_request(bad_parameter(name, value, hint));
    let day = |name: &'static str| match get(name) {
        None => Ok(None),
        Some(d) => crate::week::parse_date(&d).map(Some).ok_or_else(|| bad(name, &d, HINT_DATE)),
    };
    let (from, to) = (day("from")?, day("to")?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(bad("to", &format!("{f}..{t}"), HINT_DATE));
    }
    let page = match get("page") {
        None => 1,
        Some(p) => crate::web::params::page_number(&p).ok_or_else(|| bad("page", &p, HINT_NUMBER))?,
    };
    let actor = get("actor").map(|a| a.chars().take(MAX_ACTOR_CHARS).collect::<String>());
    let filter = AuditFilter { from, to, actor, action: get("action"), unit: get("unit") };
    let form = Form {
        from: from.map(|d| d.to_string()).unwrap_or_default(),
        to: to.map(|d| d.to_string()).unwrap_or_default(),
        actor: filter.actor.clone().unwrap_or_default(),
        action: filter.action.clone().unwrap_or_default(),
        unit: filter.unit.clone().unwrap_or_default(),
    };
    Ok((filter, page, form))
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    let actor = viewer.actor();
    // First, so that anyone but an admin is refused before anything is read.
    let actions = crate::audit::actions(&web.core, &actor).await.map_err(|e| core_error(&web, e))?;
    let (filter, page, form) = read(q.as_deref())?;
    let found = crate::audit::search(&web.core, &actor, &filter, page, PER_PAGE)
        .await
        .map_err(|e| core_error(&web, e))?;
    let pairs = vec![
        ("from", form.from.clone()),
        ("to", form.to.clone()),
        ("actor", form.actor.clone()),
        ("action", form.action.clone()),
        ("unit", form.unit.clone()),
    ];
    let total = usize::try_from(found.total).unwrap_or(0);
    let (pager, _) = Pager::new(total, page, PER_PAGE, |p| page_link("/audit", &pairs, p));
    let tz = web.core.tz();
    let rows = found
        .entries
        .into_iter()
        .map(|e| Row {
            at: texts::local(e.at, tz),
            via: texts::via_label(via(&e.actor)),
            action: texts::action_label(&e.action),
            member: e.member.unwrap_or_default(),
            change: match (&e.before, &e.after) {
                (None, None) => String::new(),
                (before, after) => {
                    let word =
                        |v: &Option<String>| texts::change_value(&e.action, v.as_deref().unwrap_or(""));
                    format!("{} → {}", word(before), word(after))
                }
            },
            detail: e.detail.unwrap_or_default(),
            actor: e.actor,
        })
        .collect();
    let units = crate::org::units(&web.core).await.map_err(|e| core_error(&web, e.into()))?;
    let page = AuditPage {
        chrome: Chrome::plain(&viewer, "audit"),
        f: form,
        actions: actions.into_iter().map(|a| (texts::action_label(&a), a)).collect(),
        units,
        rows,
        pager,
        nothing: texts::NO_ENTRIES,
        note: texts::AUDIT_NOTE,
    };
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_are_read_and_a_bad_day_is_refused_by_name() {
        let (f, page, _) =
            read(Some("from=2026-12-01&to=2026-12-04&actor=%E7%BD%91%E9%A1%B5&action=role&page=2")).unwrap();
        assert_eq!(f.from.map(|d| d.to_string()).as_deref(), Some("2026-12-01"));
        assert_eq!(f.actor.as_deref(), Some("网页"));
        assert_eq!((f.action.as_deref(), f.unit.as_deref(), page), (Some("role"), None, 2));
        let bad = read(Some("from=yesterday")).err().unwrap();
        assert_eq!(bad.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(bad.message.contains("from") && bad.message.contains("yesterday"), "{}", bad.message);
        assert!(read(Some("from=2026-12-04&to=2026-12-01")).is_err());
        assert!(read(Some("page=0")).is_err());
    }
}
