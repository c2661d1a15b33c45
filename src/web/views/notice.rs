//! One notice: what it says, who it goes to and when, and its latest run's receipts by unit
//! (送达, 确认, 去宣讲, each with a bar), the names of those who have not acknowledged (an
//! organiser: their own unit's), failures with their reasons; and 暂停 / 恢复 / 取消 and
//! 「提醒未确认的人」, each a POST calling the same core operation as `/notices` in the chat.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::notices::Done;
use super::{Chrome, core_error, render};
use crate::notices::{self, Management, NoticeStatus, Reminded, agenda};
use crate::texts::notices as notice_texts;
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// One unit's figures, with its bars' widths in percent of the unit's deliveries.
pub struct UnitLine {
    pub unit: String,
    pub targeted: i64,
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
    pub acknowledged: i64,
    pub spread: i64,
    pub sent_pct: i64,
    pub acked_pct: i64,
    pub spread_pct: i64,
}

#[derive(Template)]
#[template(path = "notice.html", config = "src/web/askama.toml")]
struct NoticePage {
    chrome: Chrome,
    done: Option<&'static str>,
    id: i64,
    status: &'static str,
    body: String,
    media: Option<String>,
    audience: String,
    size: i64,
    schedule: String,
    next: Vec<String>,
    flags: Vec<&'static str>,
    fired: Option<String>,
    totals: String,
    delay: Option<String>,
    units: Vec<UnitLine>,
    ack: bool,
    policy: bool,
    not_acknowledged: Vec<(String, Vec<String>)>,
    failed: Vec<String>,
    blocked: Vec<String>,
    onward_sites: String,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    can_remind: bool,
}

fn pct(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { (part * 100 / whole).clamp(0, 100) }
}

/// Names grouped by unit, in the order given (the store's: by unit, then name).
fn by_unit(people: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (name, unit) in people {
        match out.last_mut() {
            Some((u, names)) if u == unit => names.push(name.clone()),
            _ => out.push((unit.clone(), vec![name.clone()])),
        }
    }
    out
}

pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Html<String>, WebError> {
    let core = &web.core;
    let tz = core.tz();
    let (n, r, units) =
        notices::receipts(core, &viewer.actor(), id).await.map_err(|e| core_error(&web, e))?;
    let names = notices::audience_names(core, &n.audience).await.map_err(|e| core_error(&web, e))?;
    let size = notices::audience_size(core, &n.audience).await.map_err(|e| core_error(&web, e))?;
    let seconds = n.schedule.has_seconds();
    let mut flags = Vec::new();
    if n.ack {
        flags.push(notice_texts::OPTION_ACK);
    }
    if n.policy {
        flags.push(notice_texts::OPTION_POLICY);
    }
    if n.urgent {
        flags.push(notice_texts::OPTION_URGENT);
    }
    let open = matches!(n.status, NoticeStatus::Active | NoticeStatus::Paused);
    let sending = n.status == NoticeStatus::Finished && r.pending > 0;
    let page = NoticePage {
        chrome: Chrome::plain(&viewer, "notices"),
        done: q.done.as_deref().and_then(texts::done_message),
        id: n.id,
        status: notice_texts::status_label(n.status),
        media: n.media_kind.map(|k| texts::attachment(k, n.media_name.as_deref())),
        audience: notice_texts::audience(&names),
        size,
        schedule: notice_texts::schedule_label(&n.schedule, tz),
        next: agenda::next_sends(&n, 3, None, tz, &core.calendar())
            .into_iter()
            .map(|t| crate::texts::fire_time(t, tz, seconds))
            .collect(),
        flags,
        fired: r.fired_at.map(|t| crate::texts::full_moment(t, tz)),
        totals: notice_texts::run_totals(&r),
        delay: r.outage_delay.map(|d| notice_texts::run_delayed(&r.outage_platforms, d.num_minutes().max(1))),
        units: units
            .iter()
            .map(|u| UnitLine {
                unit: u.unit.clone(),
                targeted: u.targeted,
                sent: u.sent,
                pending: u.pending,
                failed: u.failed + u.blocked,
                acknowledged: u.acknowledged,
                spread: u.spread,
                sent_pct: pct(u.sent, u.targeted),
                acked_pct: pct(u.acknowledged, u.sent),
                spread_pct: pct(u.spread, u.sent),
            })
            .collect(),
        ack: n.ack,
        policy: n.policy,
        not_acknowledged: by_unit(&r.not_acknowledged),
        failed: r
            .failed
            .iter()
            .map(|(name, unit, reason, p)| texts::failed_delivery(name, unit, reason, *p))
            .collect(),
        blocked: r.blocked.iter().map(|(name, unit, p)| texts::blocked_delivery(name, unit, *p)).collect(),
        onward_sites: r.onward_sites.join("、"),
        can_pause: n.status == NoticeStatus::Active,
        can_resume: n.status == NoticeStatus::Paused,
        can_cancel: open || sending,
        can_remind: n.ack && r.sent > r.acknowledged,
        body: n.body,
    };
    render(&page)
}

/// 暂停, 恢复, 取消 or 提醒: the core decides whether the viewer may, and whether it still
/// applies (a second press of 取消 is answered, not repeated).
pub async fn act(
    viewer: Viewer,
    State(web): State<Web>,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let core = &web.core;
    let actor = viewer.actor();
    let done = match action.as_str() {
        "pause" | "resume" | "cancel" => {
            let m = match action.as_str() {
                "pause" => Management::Pause,
                "resume" => Management::Resume,
                _ => Management::Cancel,
            };
            notices::manage(core, &actor, id, m).await.map_err(|e| core_error(&web, e))?;
            web.notices_changed();
            action.as_str()
        }
        "remind" => match notices::remind_now(core, &actor, id).await.map_err(|e| core_error(&web, e))? {
            Reminded::Queued(_) => {
                web.notices_changed();
                "reminded"
            }
            Reminded::Already => "reminded_before",
            Reminded::Nobody => "nobody_to_remind",
        },
        _ => return Err(WebError::new(axum::http::StatusCode::NOT_FOUND, texts::NOT_FOUND.to_owned())),
    };
    Ok(Redirect::to(&format!("/notices/{id}?done={done}")).into_response())
}
