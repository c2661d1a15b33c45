//! 站点覆盖: linked sites × the last N weeks (default 8) — in which weeks each site was visited,
//! and with which kinds — filtered by unit, link kind and kind: "which linked communities had
//! no 送温暖 this month" at a glance.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Html;

use super::tally::Form;
use super::{Chrome, Pager, core_error, filtered, page_link, render, unit_choices};
use crate::domain::{LinkKind, Unit};
use crate::tally::views::coverage;
use crate::texts::link_label;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// Sites a page shows.
pub const SITES_PER_PAGE: u32 = 100;

/// One week's cell: the kinds done there (by their first letter after 送), or empty.
pub struct Cell {
    pub marks: Vec<(usize, String)>,
    /// The counts, for a pointer resting on a visited week's cell.
    pub title: Option<String>,
}

pub struct SiteLine {
    pub unit: String,
    pub site: String,
    pub link: &'static str,
    pub cells: Vec<Cell>,
    /// Weeks without the chosen kind (or without any visit).
    pub gaps: usize,
}

#[derive(Template)]
#[template(path = "coverage.html", config = "src/web/askama.toml")]
struct CoveragePage {
    chrome: Chrome,
    f: Form,
    weeks_count: u32,
    link: String,
    links: Vec<(&'static str, &'static str)>,
    units: Vec<Unit>,
    kinds: Vec<(String, String)>,
    weeks: Vec<String>,
    lines: Vec<SiteLine>,
    pager: Pager,
    gap_label: String,
}

/// `送温暖` → `暖`: a kind's mark in a small cell.
fn mark(label: &str) -> String {
    label.strip_prefix('送').unwrap_or(label).chars().last().map(String::from).unwrap_or_default()
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await?;
    let c = coverage(&web.core, &scope, f.week, f.weeks, f.link).await.map_err(|e| core_error(&web, e))?;
    let kind = f.kind.as_deref().and_then(|k| c.kinds.iter().position(|(key, _)| key == k));
    let mut lines = Vec::new();
    for (unit, sites) in &c.units {
        for s in sites {
            let cells = s
                .counts
                .iter()
                .zip(&c.weeks)
                .map(|(counts, week)| {
                    let marks: Vec<(usize, String)> = counts
                        .iter()
                        .enumerate()
                        .filter(|(k, n)| **n > 0 && kind.is_none_or(|only| only == *k))
                        .map(|(k, _)| (k, mark(&c.kinds[k].1)))
                        .collect();
                    let title = counts
                        .iter()
                        .zip(&c.kinds)
                        .filter(|(n, _)| **n > 0)
                        .map(|(n, (_, l))| format!("{l} {n}"))
                        .collect::<Vec<_>>()
                        .join("，");
                    Cell { marks, title: (!title.is_empty()).then(|| format!("{week} {title}")) }
                })
                .collect::<Vec<_>>();
            let gaps = match kind {
                Some(k) => s.weeks_without(k),
                None => s.counts.iter().filter(|w| w.iter().all(|n| *n == 0)).count(),
            };
            lines.push(SiteLine {
                unit: unit.name.clone(),
                site: s.site.name.clone(),
                link: link_label(s.site.link),
                cells,
                gaps,
            });
        }
    }
    let mut pairs = vec![
        ("week", f.week.to_string()),
        ("weeks", f.weeks.to_string()),
        ("unit", f.unit.clone().unwrap_or_default()),
        ("link", f.link.map(|l| l.as_str().to_owned()).unwrap_or_default()),
        ("kind", f.kind.clone().unwrap_or_default()),
    ];
    pairs.retain(|(_, v)| !v.is_empty());
    let (pager, shown) =
        Pager::new(lines.len(), f.page, SITES_PER_PAGE, |p| page_link("/coverage", &pairs, p));
    let lines: Vec<SiteLine> = lines.drain(shown).collect();
    let gap_label = match kind {
        Some(k) => format!("无{}的周数", c.kinds[k].1),
        None => "无人去的周数".to_owned(),
    };
    let page = CoveragePage {
        chrome: Chrome::new(&viewer, &scope, "coverage"),
        f: Form::of(&f),
        weeks_count: f.weeks,
        link: f.link.map(|l| l.as_str().to_owned()).unwrap_or_default(),
        links: LinkKind::ALL.iter().map(|l| (l.as_str(), link_label(*l))).collect(),
        units: unit_choices(&web, &viewer).await?,
        kinds: c.kinds.clone(),
        weeks: c.weeks.iter().map(|w| format!("W{:02}", w.number())).collect(),
        lines,
        pager,
        gap_label,
    };
    render(&page)
}
