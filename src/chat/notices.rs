//! Notices in the chat, beyond composing: `/notices` (with pause/resume/cancel buttons),
//! `/receipts ID`, and what members' buttons on a notice do (「收到」, 「去宣讲」).

use super::{Button, Incoming, Keyboard, Reply, wizard};
use crate::core::Core;
use crate::domain::Role;
use crate::error::{Result, Usage, UserError};
use crate::members::{self, Actor};
use crate::notices::{self, Management, NoticeStatus};
use crate::store::{AckOutcome, Member};
use crate::texts;

/// `/notices`: the caller's notices (an admin's: all), newest first, with buttons to manage them.
pub async fn list(core: &Core, member: &Member) -> Result<Vec<Reply>> {
    let (text, keyboard) = render_list(core, member).await?;
    Ok(vec![Reply::Send { text, keyboard }])
}

async fn render_list(core: &Core, member: &Member) -> Result<(String, Option<Keyboard>)> {
    let all = notices::list(core, &Actor::Member(member.clone())).await?;
    let mut described = Vec::with_capacity(all.len());
    for n in all.iter().take(20) {
        described.push((n, notices::describe_audience(core, &n.audience).await?));
    }
    let text = texts::notice_list(&described, core.tz());
    let rows: Vec<Vec<Button>> = all
        .iter()
        .take(10)
        .filter(|n| matches!(n.status, NoticeStatus::Active | NoticeStatus::Paused))
        .map(|n| {
            let toggle = if n.status == NoticeStatus::Paused {
                Button::new(&format!("恢复 #{}", n.id), format!("nm:r:{}", n.id))
            } else {
                Button::new(&format!("暂停 #{}", n.id), format!("nm:p:{}", n.id))
            };
            vec![toggle, Button::new(&format!("取消 #{}", n.id), format!("nm:c:{}", n.id))]
        })
        .collect();
    Ok((text, (!rows.is_empty()).then_some(Keyboard { rows })))
}

pub fn is_manage_data(data: &str) -> bool {
    data.starts_with("nm:")
}

/// A pause/resume/cancel button of `/notices`: the list is redrawn in place.
pub async fn on_manage(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    data: &str,
) -> Result<Vec<Reply>> {
    let mut parts = data.splitn(3, ':').skip(1);
    let action = match parts.next() {
        Some("p") => Management::Pause,
        Some("r") => Management::Resume,
        Some("c") => Management::Cancel,
        _ => return Ok(vec![Reply::Answer { callback_id: callback_id.to_owned(), text: None }]),
    };
    let Some(id) = parts.next().and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(vec![Reply::Answer { callback_id: callback_id.to_owned(), text: None }]);
    };
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

pub fn is_member_button(data: &str) -> bool {
    data.starts_with("ak:") || data.starts_with("gx:") || data == "pv"
}

/// 「收到」, 「去宣讲」, or a button of a preview.
pub async fn on_member_button(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    data: &str,
) -> Result<Vec<Reply>> {
    let answer = |text: String| Reply::Answer { callback_id: callback_id.to_owned(), text: Some(text) };
    if data == "pv" {
        return Ok(vec![answer(texts::preview_button())]);
    }
    if let Some(id) = data.strip_prefix("ak:").and_then(|s| s.parse::<i64>().ok()) {
        let outcome = notices::acknowledge(core, member.telegram_id, id).await?;
        let text = match outcome {
            AckOutcome::Recorded => texts::ack_recorded(),
            AckOutcome::AlreadyRecorded => texts::ack_already(),
            AckOutcome::NotFound => return Ok(vec![answer(texts::ack_not_found())]),
        };
        let mut rows = vec![vec![Button::new(texts::BUTTON_ACKED, format!("ak:{id}"))]];
        if let Some((notice_id, true)) = core.store.delivery_notice(id).await? {
            rows.push(vec![Button::new(texts::BUTTON_SPREAD, format!("gx:{notice_id}"))]);
        }
        return Ok(vec![
            answer(text),
            Reply::EditButtons { message_id: msg.message_id, keyboard: Keyboard { rows } },
        ]);
    }
    if let Some(id) = data.strip_prefix("gx:").and_then(|s| s.parse::<i64>().ok()) {
        let notice = notices::notice_for_checkin(core, member.telegram_id, id).await?;
        let mut replies = vec![Reply::Answer { callback_id: callback_id.to_owned(), text: None }];
        replies.extend(wizard::start_citing(core, member, msg, &notice).await?);
        return Ok(replies);
    }
    Ok(vec![Reply::Answer { callback_id: callback_id.to_owned(), text: None }])
}
