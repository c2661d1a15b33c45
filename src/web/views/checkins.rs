//! 登记记录: the check-ins, newest first, 50 a page, filtered by period, unit, site, kind and
//! member: the day of the work, when it was logged (补登 marked), what was done, for how many
//! people, where, and the photo (fetched from its platform the first time it is opened).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Html;

use super::tally::Form;
use super::{Chrome, Pager, core_error, filter_pairs, filtered, page_link, render, unit_choices};
use crate::domain::ExportRow;
use crate::domain::{LinkKind, Unit};
use crate::store::RecordFilter;
use crate::tally::views::records;
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// Records a page shows.
pub const PER_PAGE: u32 = 50;

pub struct Record {
    pub id: i64,
    pub day: String,
    pub logged: String,
    pub backdated: bool,
    pub member: String,
    pub unit: String,
    pub site: String,
    pub kind: String,
    pub people: String,
    pub description: String,
    pub location: String,
    pub photo: bool,
}

#[derive(Template)]
#[template(path = "checkins.html", config = "src/web/askama.toml")]
struct CheckinsPage {
    chrome: Chrome,
    period: String,
    f: Form,
    site: String,
    member: String,
    units: Vec<Unit>,
    kinds: Vec<(String, String)>,
    records: Vec<Record>,
    pager: Pager,
    nothing: &'static str,
}

/// A record as the page and the API show it.
pub fn record(web: &Web, r: &ExportRow) -> Record {
    let tz = web.core.tz();
    let logged_day = r.logged_at.with_timezone(&tz).date_naive();
    let day = r.done_on.unwrap_or_else(|| r.counts_at.with_timezone(&tz).date_naive());
    let link = r.link.as_deref().and_then(|l| l.parse::<LinkKind>().ok()).map(crate::texts::link_label);
    Record {
        id: r.id,
        day: day.to_string(),
        logged: r.logged_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        backdated: day < logged_day,
        member: r.member.clone(),
        unit: r.unit.clone(),
        site: match (&r.site, link) {
            (Some(s), Some(l)) => format!("{s}（{l}）"),
            (Some(s), None) => s.clone(),
            _ => String::new(),
        },
        kind: web.core.kinds().get(&r.kind).map_or_else(|| r.kind.clone(), |k| k.label.clone()),
        people: r.people_served.map(|n| n.to_string()).unwrap_or_default(),
        description: r.description.clone(),
        location: r.location.map(|(lat, lon)| format!("{lat:.5}, {lon:.5}")).unwrap_or_default(),
        photo: r.photo,
    }
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await?;
    let filter = RecordFilter { units: None, site: f.site, kind: f.kind.clone(), member: f.member };
    let found = records(&web.core, &scope, f.period, filter, f.page, PER_PAGE)
        .await
        .map_err(|e| core_error(&web, e))?;
    let mut pairs = filter_pairs(&f);
    pairs.push(("site", f.site.map(|s| s.to_string()).unwrap_or_default()));
    pairs.push(("member", f.member.map(|s| s.to_string()).unwrap_or_default()));
    // The records come a page at a time from the database: only the pager is needed here.
    let total = usize::try_from(found.total).unwrap_or(0);
    let (pager, _) = Pager::new(total, f.page, PER_PAGE, |p| page_link("/checkins", &pairs, p));
    let page = CheckinsPage {
        chrome: Chrome::new(&viewer, &scope, "checkins"),
        period: crate::texts::period_label(f.period),
        site: f.site.map(|s| s.to_string()).unwrap_or_default(),
        member: f.member.map(|s| s.to_string()).unwrap_or_default(),
        units: unit_choices(&web, &viewer).await?,
        kinds: web.core.kinds().all().iter().map(|k| (k.key.clone(), k.label.clone())).collect(),
        records: found.rows.iter().map(|r| record(&web, r)).collect(),
        pager,
        nothing: texts::NOTHING_YET,
        f: Form::of(&f),
    };
    render(&page)
}
