//! Notices in the chat, beyond composing: `/notices` (with pause/resume/cancel buttons),
//! `/receipts ID`, and what members' buttons on a notice do (「收到」, 「去宣讲」).

use super::buttons::ButtonData;
use super::message::{Button, Incoming, Keyboard, Reply};
use super::outcome::Outcome;
use super::wizard::{self, Wizard};
use crate::core::Core;
use crate::domain::{Member, Role};
use crate::error::{Result, Usage, UserError};
use crate::members::{self, Actor};
use crate::notices::{self, AckOutcome, Management, NoticeStatus, TypedAck};
use crate::texts::notices as texts;

/// `/notices`: the caller's notices (an admin's: all), newest first, with buttons to manage them.
pub async fn list(core: &Core, member: &Member) -> Result<Vec<Reply>> {
    let (text, keyboard) = render_list(core, member).await?;
    Ok(vec![Reply::Send { text, keyboard }])
}

async fn render_list(core: &Core, member: &Member) -> Result<(String, Option<Keyboard>)> {
    let all = notices::list(core, &Actor::Member(member.clone())).await?;
    let mut described = Vec::with_capacity(all.len());
    for n in all.iter().take(20) {
        described.push((n, texts::audience(&notices::audience_names(core, &n.audience).await?)));
    }
    let text = texts::notice_list(&described, core.tz());
    let button = |label: String, action: Management, notice_id: i64| {
        Button::new(&label, ButtonData::Manage { action, notice_id }.encode())
    };
    let rows: Vec<Vec<Button>> = all
        .iter()
        .take(10)
        .filter(|n| matches!(n.status, NoticeStatus::Active | NoticeStatus::Paused))
        .map(|n| {
            let toggle = if n.status == NoticeStatus::Paused {
                button(texts::manage_resume(n.id), Management::Resume, n.id)
            } else {
                button(texts::manage_pause(n.id), Management::Pause, n.id)
            };
            vec![toggle, button(texts::manage_cancel(n.id), Management::Cancel, n.id)]
        })
        .collect();
    Ok((text, (!rows.is_empty()).then_some(Keyboard { rows })))
}

/// A pause/resume/cancel button of `/notices`: the list is redrawn in place.
pub async fn on_manage(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    action: Management,
    id: i64,
) -> Result<Vec<Reply>> {
    let notice = notices::manage(core, &Actor::Member(member.clone()), id, action).await?;
    let (text, keyboard) = render_list(core, member).await?;
    Ok(vec![
        Reply::Answer {
            callback_id: callback_id.to_owned(),
            text: Some(texts::notice_status_changed(&notice)),
        },
        Reply::Edit { message_id: msg.message_id, text, keyboard },
    ])
}

/// `/receipts ID`: the latest run's numbers and names.
pub async fn receipts(core: &Core, member: &Member, args: &str) -> Result<Vec<Reply>> {
    members::require_role(member, Role::Organiser)?;
    let trimmed = crate::normalize::fold(args.trim());
    let id = trimmed
        .trim_start_matches('#')
        .parse::<i64>()
        .map_err(|_| UserError::bad_argument(args, Usage::Receipts))?;
    let (notice, report) = notices::report(core, &Actor::Member(member.clone()), id).await?;
    Ok(vec![Reply::send(texts::receipts(&notice, &report, core.tz()))])
}

/// A button of a preview: it only says what it will do on the real notice.
pub fn on_preview(callback_id: &str) -> Vec<Reply> {
    vec![Reply::Answer { callback_id: callback_id.to_owned(), text: Some(texts::preview_button()) }]
}

/// 「收到」: recorded once; the button turns into 「✓ 已确认」 (a policy notice keeps 「去宣讲」).
pub async fn on_ack(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    delivery_id: i64,
) -> Result<Vec<Reply>> {
    let answer = |text: String| Reply::Answer { callback_id: callback_id.to_owned(), text: Some(text) };
    let text = match notices::acknowledge(core, member, delivery_id).await? {
        AckOutcome::Recorded => texts::ack_recorded(),
        AckOutcome::AlreadyRecorded => texts::ack_already(),
        AckOutcome::NotFound => return Ok(vec![answer(texts::ack_not_found())]),
    };
    let mut rows = vec![vec![Button::new(texts::BUTTON_ACKED, ButtonData::Ack { delivery_id }.encode())]];
    if let Some(notice_id) = notices::policy_notice_of(core, delivery_id).await? {
        rows.push(vec![Button::new(texts::BUTTON_SPREAD, ButtonData::Spread { notice_id }.encode())]);
    }
    Ok(vec![answer(text), Reply::EditButtons { message_id: msg.message_id, keyboard: Keyboard { rows } }])
}

/// `收到` typed instead of pressed: the newest notice that asks for it, or the one named
/// (`收到 #12`, what DingTalk's 「收到」 link sends).
pub async fn ack_typed(core: &Core, member: &Member, notice: Option<i64>) -> Result<Vec<Reply>> {
    Ok(vec![Reply::send(match (notices::acknowledge_typed(core, member, notice).await?, notice) {
        (TypedAck::Recorded { body }, _) => texts::ack_typed(&body),
        (TypedAck::Already, Some(id)) => texts::ack_already_for(id),
        (TypedAck::Nothing, Some(id)) => texts::ack_no_such(id),
        (TypedAck::Already | TypedAck::Nothing, None) => texts::ack_nothing_waiting(),
    })])
}

/// 「去宣讲」: a guided 送政策 check-in citing the notice, if this member received it.
pub async fn on_spread(
    core: &Core,
    member: &Member,
    callback_id: &str,
    notice_id: i64,
) -> Result<Outcome<Wizard>> {
    let notice = notices::notice_for_checkin(core, member, notice_id).await?;
    let pressed = Reply::Answer { callback_id: callback_id.to_owned(), text: None };
    Ok(wizard::start_citing(core, member, &notice).await?.after(vec![pressed]))
}
