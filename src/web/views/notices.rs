//! 通知: the notices the viewer may see (organisers their own, admins all) with their status,
//! audience, next send times and latest figures, and the agenda of every send in the next 14
//! days, quiet hours and days off applied as the scheduler will apply them.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::{Chrome, core_error, render};
use crate::notices::{self, agenda};
use crate::texts::notices as notice_texts;
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// How far ahead the agenda looks.
pub const AGENDA_DAYS: i64 = 14;

pub struct Row {
    pub id: i64,
    pub status: &'static str,
    pub title: String,
    pub audience: String,
    pub size: i64,
    pub schedule: String,
    pub next: Vec<String>,
    pub latest: String,
}

pub struct Day {
    pub label: String,
    pub sends: Vec<AgendaLine>,
}

pub struct AgendaLine {
    pub time: String,
    /// Said when quiet hours hold the send.
    pub held: Option<String>,
    pub id: i64,
    pub title: String,
    pub audience: String,
    pub size: i64,
    pub paused: bool,
}

#[derive(Template)]
#[template(path = "notices.html", config = "src/web/askama.toml")]
struct NoticesPage {
    chrome: Chrome,
    done: Option<&'static str>,
    rows: Vec<Row>,
    days: Vec<Day>,
    cut: Option<String>,
    agenda_note: String,
    empty: &'static str,
    no_sends: &'static str,
}

#[derive(Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    Query(q): Query<Done>,
) -> Result<Html<String>, WebError> {
    let core = &web.core;
    let actor = viewer.actor();
    let tz = core.tz();
    let calendar = core.calendar();
    let mut rows = Vec::new();
    for n in notices::list(core, &actor).await.map_err(|e| core_error(&web, e))? {
        if n.created_by.starts_with("system:") {
            continue;
        }
        let names = notices::audience_names(core, &n.audience).await.map_err(|e| core_error(&web, e))?;
        let size = notices::audience_size(core, &n.audience).await.map_err(|e| core_error(&web, e))?;
        let (_, report) = notices::report(core, &actor, n.id).await.map_err(|e| core_error(&web, e))?;
        let next = agenda::next_sends(&n, 3, None, tz, &calendar)
            .into_iter()
            .map(|t| crate::texts::fire_time(t, tz, n.schedule.has_seconds()))
            .collect();
        rows.push(Row {
            id: n.id,
            status: notice_texts::status_label(n.status),
            title: texts::notice_title(&n.body, n.media_name.as_deref(), n.media_kind),
            audience: notice_texts::audience(&names),
            size,
            schedule: notice_texts::schedule_label(&n.schedule, tz),
            next,
            latest: texts::latest_run(&report, n.ack),
        });
    }
    let (sends, cut) = agenda::agenda(core, &actor, AGENDA_DAYS).await.map_err(|e| core_error(&web, e))?;
    let mut days: Vec<Day> = Vec::new();
    for s in sends {
        let label = crate::texts::day(s.goes_out, tz)
            + " "
            + crate::texts::weekday_label(chrono::Datelike::weekday(&s.goes_out.with_timezone(&tz)));
        let names =
            notices::audience_names(core, &s.notice.audience).await.map_err(|e| core_error(&web, e))?;
        let line = AgendaLine {
            time: s.at.with_timezone(&tz).format("%H:%M").to_string(),
            held: (s.goes_out != s.at).then(|| texts::held_until(&crate::texts::moment(s.goes_out, tz))),
            id: s.notice.id,
            title: texts::notice_title(&s.notice.body, s.notice.media_name.as_deref(), s.notice.media_kind),
            audience: notice_texts::audience(&names),
            size: s.size,
            paused: s.paused,
        };
        match days.last_mut() {
            Some(d) if d.label == label => d.sends.push(line),
            _ => days.push(Day { label, sends: vec![line] }),
        }
    }
    let page = NoticesPage {
        chrome: Chrome::plain(&viewer, "notices"),
        done: q.done.as_deref().and_then(texts::done_message),
        rows,
        days,
        cut: cut.then(|| texts::agenda_cut(agenda::MOST_PER_NOTICE)),
        agenda_note: texts::agenda_note(AGENDA_DAYS, core.config.quiet_hours.map(|q| q.to_string())),
        empty: texts::NO_NOTICES,
        no_sends: texts::NO_SENDS,
    };
    render(&page)
}
