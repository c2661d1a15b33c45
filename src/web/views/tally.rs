//! 统计: the same tally as `/tally` — by unit, site, link kind or member, for a week or a date
//! range, for one unit or all, one kind or all — as a table with its chart, and 「导出 Excel」 /
//! 「导出 CSV」, which are the same files as the chat's `/export` for that period and unit.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{Html, Response};

use super::{Chrome, Pager, core_error, filter_pairs, filtered, page_link, query, render, unit_choices};
use crate::domain::{Grouping, Unit};
use crate::reports::export::{self, Via, table_cells};
use crate::tally::args::ExportFormat;
use crate::tally::{self, Period, RowName, TallyRow};
use crate::texts::tallies::{row_label, table_header};
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::charts::StackedBars;
use crate::web::params::Filters;
use crate::web::{Web, WebError};

/// Rows a page of the table shows (a by-member tally of a city has tens of thousands).
pub const ROWS_PER_PAGE: u32 = 100;
/// The most rows drawn as a chart.
pub const CHART_ROWS: usize = 40;

/// A row of the table: its cells, and where its name leads (if anywhere).
pub struct Line {
    pub cells: Vec<String>,
    pub link: Option<String>,
}

#[derive(Template)]
#[template(path = "tally.html", config = "src/web/askama.toml")]
struct TallyPage {
    chrome: Chrome,
    period: String,
    f: Form,
    units: Vec<Unit>,
    kinds: Vec<(String, String)>,
    head: Vec<String>,
    lines: Vec<Line>,
    total: Vec<String>,
    chart: Option<String>,
    chart_omitted: &'static str,
    pager: Pager,
    xlsx: String,
    csv: String,
    export_note: &'static str,
    no_ranking: &'static str,
}

/// The filter form's values, as typed.
pub struct Form {
    pub week: String,
    pub from: String,
    pub to: String,
    pub unit: String,
    pub kind: String,
    pub by: &'static str,
}

impl Form {
    pub fn of(f: &Filters) -> Form {
        let pairs = filter_pairs(f);
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        Form {
            week: get("week"),
            from: get("from"),
            to: get("to"),
            unit: get("unit"),
            kind: get("kind"),
            by: f.by.as_str(),
        }
    }
}

/// Which columns of a tally's table are shown: all, or with one kind, the row's names and that
/// kind's column (the people served and the total count every kind).
fn columns(t: &tally::Tally, kind: Option<&str>) -> Vec<usize> {
    let head = table_header(t);
    let Some(k) = kind.and_then(|k| t.kinds.iter().position(|(key, _)| key == k)) else {
        return (0..head.len()).collect();
    };
    let other = usize::from(t.total.other > 0);
    let fixed = head.len() - t.kinds.len() - other - 2;
    (0..fixed).chain([fixed + k]).collect()
}

fn pick(cells: Vec<String>, columns: &[usize]) -> Vec<String> {
    columns.iter().filter_map(|&i| cells.get(i).cloned()).collect()
}

fn drill_down(f: &Filters, by: Grouping, row: &TallyRow) -> Option<String> {
    let mut pairs = filter_pairs(f);
    match (by, &row.name, row.id) {
        (Grouping::Unit, RowName::Named(name), _) => {
            pairs.retain(|(k, _)| *k != "unit");
            pairs.extend([("unit", name.clone()), ("by", "member".into())]);
            Some(format!("/tally?{}", query(&pairs)))
        }
        (Grouping::Member, _, Some(id)) => {
            pairs.push(("member", id.to_string()));
            Some(format!("/checkins?{}", query(&pairs)))
        }
        (Grouping::Site, _, Some(id)) => {
            pairs.push(("site", id.to_string()));
            Some(format!("/checkins?{}", query(&pairs)))
        }
        _ => None,
    }
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await?;
    let t = tally::tally(&web.core, &scope, f.period, f.by).await.map_err(|e| core_error(&web, e))?;
    let columns = columns(&t, f.kind.as_deref());
    let mut pairs = filter_pairs(&f);
    pairs.push(("by", f.by.as_str().to_owned()));
    let (pager, shown) = Pager::new(t.rows.len(), f.page, ROWS_PER_PAGE, |p| page_link("/tally", &pairs, p));
    let lines = t.rows[shown]
        .iter()
        .map(|r| Line { cells: pick(table_cells(&t, r), &columns), link: drill_down(&f, t.by, r) })
        .collect();
    let mut bars =
        StackedBars::from_tally(&t, |n| row_label(&TallyRow { name: n.clone(), ..TallyRow::default() }));
    if let Some(k) = f.kind.as_deref().and_then(|k| t.kinds.iter().position(|(key, _)| key == k)) {
        bars.series = vec![bars.series[k].clone()];
        for (_, values) in &mut bars.rows {
            *values = vec![values[k]];
        }
    }
    let export_query = query(&filter_pairs(&f));
    let page = TallyPage {
        chrome: Chrome::new(&viewer, &scope, "tally"),
        period: crate::texts::period_label(f.period),
        units: unit_choices(&web, &viewer).await?,
        kinds: t.kinds.clone(),
        head: pick(table_header(&t), &columns),
        total: pick(table_cells(&t, &t.total), &columns),
        lines,
        // A bar a row reads for units and sites; for thousands of members it would be a wall.
        chart: (t.rows.len() <= CHART_ROWS).then(|| bars.svg()),
        chart_omitted: texts::CHART_OMITTED,
        pager,
        xlsx: format!("/tally/export.xlsx?{export_query}"),
        csv: format!("/tally/export.csv?{export_query}"),
        export_note: texts::EXPORT_NOTE,
        no_ranking: texts::NO_RANKING,
        f: Form::of(&f),
    };
    render(&page)
}

pub async fn export_xlsx(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    export_file(viewer, web, q, ExportFormat::Xlsx).await
}

pub async fn export_csv(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    export_file(viewer, web, q, ExportFormat::Csv).await
}

/// The records of the period and unit shown, as the chat's `/export` makes them (audited as
/// done on the web).
async fn export_file(
    viewer: Viewer,
    web: Web,
    q: Option<String>,
    format: ExportFormat,
) -> Result<Response, WebError> {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await?;
    let period: Period = f.period;
    let file = export::export(&web.core, &viewer.actor(), &scope, period, format, Via::Web)
        .await
        .map_err(|e| core_error(&web, e))?;
    let content_type = match format {
        ExportFormat::Xlsx => super::XLSX,
        ExportFormat::Csv => "text/csv; charset=utf-8",
    };
    Ok(super::download(file.bytes, content_type, &file.name, &file.name))
}
