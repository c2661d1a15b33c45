//! The JSON twins of the data pages, for a city's own platform: the same filters, the same
//! numbers (the same core calls) and the same permission checks, under `/api/v1/`.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::auth::ApiViewer;
use super::views::{checkins::PER_PAGE, checkins::record, core_error, filtered};
use super::{Web, WebError};
use crate::store::RecordFilter;
use crate::tally::views::{coverage as find_coverage, records};
use crate::tally::{self, Period, RowName, TallyRow};
use crate::texts::tallies::row_label;

fn period(p: Period) -> Value {
    json!({ "from": p.first_day().to_string(), "to": p.last_day().to_string(), "name": p.slug() })
}

fn tally_row(t: &tally::Tally, r: &TallyRow) -> Value {
    let counts: serde_json::Map<String, Value> =
        t.kinds.iter().zip(&r.counts).map(|((key, _), n)| (key.clone(), json!(n))).collect();
    let (name, kind) = match &r.name {
        RowName::Named(n) => (n.clone(), "named"),
        RowName::Link(l) => (l.as_str().to_owned(), "link"),
        RowName::NoSite => (row_label(r), "no_site"),
        RowName::Gone(id) => (id.to_string(), "gone"),
        RowName::Total => (row_label(r), "total"),
    };
    json!({
        "name": name,
        "row": kind,
        "id": r.id,
        "unit": r.unit,
        "link": r.link.map(|l| l.as_str()),
        "members": r.members,
        "active_members": r.active_members,
        "counts": counts,
        "other": r.other,
        "people_served": r.people_served,
        "total": r.total,
    })
}

type Answer = Result<Json<Value>, WebError>;

pub async fn tally(ApiViewer(viewer): ApiViewer, State(web): State<Web>, RawQuery(q): RawQuery) -> Answer {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await.map_err(WebError::as_json)?;
    let t =
        tally::tally(&web.core, &scope, f.period, f.by).await.map_err(|e| core_error(&web, e).as_json())?;
    Ok(Json(json!({
        "period": period(f.period),
        "by": f.by.as_str(),
        "unit": scope.unit_name,
        "kinds": t.kinds.iter().map(|(k, l)| json!({"key": k, "label": l})).collect::<Vec<_>>(),
        "rows": t.rows.iter().map(|r| tally_row(&t, r)).collect::<Vec<_>>(),
        "total": tally_row(&t, &t.total),
    })))
}

pub async fn coverage(ApiViewer(viewer): ApiViewer, State(web): State<Web>, RawQuery(q): RawQuery) -> Answer {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await.map_err(WebError::as_json)?;
    let c = find_coverage(&web.core, &scope, f.week, f.weeks, f.link)
        .await
        .map_err(|e| core_error(&web, e).as_json())?;
    let sites: Vec<Value> = c
        .units
        .iter()
        .flat_map(|(unit, sites)| {
            sites.iter().map(|s| {
                let weeks: Vec<Value> = c
                    .weeks
                    .iter()
                    .zip(&s.counts)
                    .map(|(w, counts)| {
                        let per_kind: serde_json::Map<String, Value> =
                            c.kinds.iter().zip(counts).map(|((k, _), n)| (k.clone(), json!(n))).collect();
                        json!({ "week": w.to_string(), "counts": per_kind })
                    })
                    .collect();
                json!({ "unit": unit.name, "site": s.site.name, "site_id": s.site.id, "link": s.site.link.as_str(), "weeks": weeks })
            })
        })
        .collect();
    Ok(Json(json!({ "weeks": c.weeks.iter().map(|w| w.to_string()).collect::<Vec<_>>(), "sites": sites })))
}

pub async fn missing(ApiViewer(viewer): ApiViewer, State(web): State<Web>, RawQuery(q): RawQuery) -> Answer {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await.map_err(WebError::as_json)?;
    let core = &web.core;
    let (members, sites) = tokio::try_join!(
        tally::missing_members(core, &scope, f.period),
        tally::missing_sites(core, &scope, f.period, f.kind.as_deref())
    )
    .map_err(|e| core_error(&web, e).as_json())?;
    Ok(Json(json!({
        "period": period(f.period),
        "kind": f.kind,
        "members": members.iter().flat_map(|(unit, ms)| ms.iter().map(move |m| json!({"unit": unit, "name": m.name, "id": m.id}))).collect::<Vec<_>>(),
        "sites": sites.iter().flat_map(|(unit, ss)| ss.iter().map(move |s| json!({"unit": unit, "name": s.name, "id": s.id, "link": s.link.as_str()}))).collect::<Vec<_>>(),
    })))
}

pub async fn checkins(ApiViewer(viewer): ApiViewer, State(web): State<Web>, RawQuery(q): RawQuery) -> Answer {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await.map_err(WebError::as_json)?;
    let filter = RecordFilter { units: None, site: f.site, kind: f.kind.clone(), member: f.member };
    let found = records(&web.core, &scope, f.period, filter, f.page, PER_PAGE)
        .await
        .map_err(|e| core_error(&web, e).as_json())?;
    let rows: Vec<Value> = found
        .rows
        .iter()
        .map(|r| {
            let shown = record(&web, r);
            json!({
                "id": r.id,
                "member": r.member,
                "unit": r.unit,
                "site": r.site,
                "link": r.link,
                "kind": r.kind,
                "day": shown.day,
                "logged_at": r.logged_at.to_rfc3339(),
                "backdated": shown.backdated,
                "people_served": r.people_served,
                "description": r.description,
                "location": r.location.map(|(lat, lon)| json!({"lat": lat, "lon": lon})),
                "photo": r.photo.then(|| format!("/photo/{}", r.id)),
            })
        })
        .collect();
    Ok(Json(
        json!({ "period": period(f.period), "total": found.total, "page": f.page, "per_page": PER_PAGE, "checkins": rows }),
    ))
}
