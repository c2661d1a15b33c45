//! 概览: one week by unit — members, members who checked in, each kind, people served, and the
//! change against the week before — with a bar of kinds per unit and the 12-week trend. Units
//! stand in the organisation's order; nothing is ranked.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Html;

use super::{Chrome, core_error, filtered, query, render};
use crate::domain::Grouping;
use crate::tally::views::trend;
use crate::tally::{self, Period, TallyRow};
use crate::texts::tallies::row_label;
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::charts::{Lines, StackedBars};
use crate::web::{Web, WebError};

/// Weeks the trend covers.
pub const TREND_WEEKS: u32 = 12;

/// One unit's line.
pub struct Row {
    pub name: String,
    /// The tally of this unit, by member (the drill-down).
    pub link: String,
    pub members: i64,
    pub active: i64,
    pub counts: Vec<i64>,
    pub people: i64,
    pub total: i64,
    /// Against the week before: `+3`, `-1`, `0`.
    pub change: String,
}

#[derive(Template)]
#[template(path = "overview.html", config = "src/web/askama.toml")]
struct OverviewPage {
    chrome: Chrome,
    week: String,
    week_label: String,
    previous: String,
    next: String,
    kinds: Vec<String>,
    rows: Vec<Row>,
    total: Row,
    bars: String,
    trend: String,
    no_ranking: &'static str,
}

fn change(now: i64, before: i64) -> String {
    match now - before {
        0 => "0".into(),
        d if d > 0 => format!("+{d}"),
        d => d.to_string(),
    }
}

fn row(r: &TallyRow, before: Option<&TallyRow>, link: String) -> Row {
    Row {
        name: row_label(r),
        link,
        members: r.members.unwrap_or(0),
        active: r.active_members,
        counts: r.counts.clone(),
        people: r.people_served,
        total: r.total,
        change: change(r.total, before.map_or(0, |b| b.total)),
    }
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    let (f, scope) = filtered(&web, &viewer, q.as_deref()).await?;
    let core = &web.core;
    let week = f.week;
    let (this, before, trend) = tokio::try_join!(
        tally::tally(core, &scope, Period::Week(week), Grouping::Unit),
        tally::tally(core, &scope, Period::Week(week.previous()), Grouping::Unit),
        trend(core, &scope, week, TREND_WEEKS),
    )
    .map_err(|e| core_error(&web, e))?;
    let rows = this
        .rows
        .iter()
        .map(|r| {
            let before = before.rows.iter().find(|b| b.name == r.name);
            let link = format!(
                "/tally?{}",
                query(&[("week", week.to_string()), ("unit", row_label(r)), ("by", "member".into())])
            );
            row(r, before, link)
        })
        .collect();
    let page = OverviewPage {
        chrome: Chrome::new(&viewer, &scope, "overview"),
        week: week.to_string(),
        week_label: crate::texts::week_title(week),
        previous: format!(
            "/?{}",
            query(&[("week", week.previous().to_string()), ("unit", f.unit.clone().unwrap_or_default())])
        ),
        next: format!(
            "/?{}",
            query(&[("week", week.next().to_string()), ("unit", f.unit.clone().unwrap_or_default())])
        ),
        kinds: this.kinds.iter().map(|(_, l)| l.clone()).collect(),
        total: row(&this.total, Some(&before.total), String::new()),
        rows,
        bars: StackedBars::from_tally(&this, |n| {
            row_label(&TallyRow { name: n.clone(), ..TallyRow::default() })
        })
        .svg(),
        trend: Lines::from_trend(&trend).svg(),
        no_ranking: texts::NO_RANKING,
    };
    render(&page)
}
