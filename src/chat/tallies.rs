//! `/tally`, `/missing`, `/export` and `/remind`: parse, check the role, call the core, render.

use super::context::ChatContext;
use super::message::{Incoming, Reply};
use crate::core::Core;
use crate::domain::Member;
use crate::domain::Role;
use crate::error::{Result, Usage, UserError};
use crate::members::{self, Actor};
use crate::normalize::fold;
use crate::notices::MediaKind;
use crate::reports::export::{self as export_file, UTF8_BOM, table_csv};
use crate::tally::{self, args, scope_for};
use crate::texts::checkins::{remind_changed, remind_status};
use crate::texts::tallies as texts;

pub async fn tally(core: &Core, me: &ChatContext, member: &Member, raw: &str) -> Result<Vec<Reply>> {
    let actor = Actor::Member(member.clone());
    // The role first: someone who may not use the command is told so, whatever they typed.
    members::require_role(member, Role::Organiser)?;
    let a = args::parse_tally(raw, core.today())?;
    let scope = scope_for(core, &actor, a.unit.as_deref()).await?;
    let t = tally::tally(core, &scope, a.period, a.by).await?;
    let text = texts::tally(&t);
    let parts = (me.message_parts)(&text);
    if parts <= MAX_TALLY_MESSAGES {
        return Ok(vec![Reply::send(text)]);
    }
    // Dozens of messages in a row are unreadable, and each is one more chance for Telegram to
    // refuse: past a point the tally arrives whole, as one file.
    let mut bytes = UTF8_BOM.to_vec();
    bytes.extend(table_csv(&t)?.into_bytes());
    Ok(vec![Reply::Upload {
        kind: MediaKind::Document,
        caption: texts::tally_as_file(&t, parts),
        name: format!("tally-{}-by-{}.csv", t.period.slug(), t.by.as_str()),
        bytes,
    }])
}

/// The most messages a tally is split into; a longer one is sent as a CSV file.
pub const MAX_TALLY_MESSAGES: usize = 50;

pub async fn missing(core: &Core, member: &Member, raw: &str) -> Result<Vec<Reply>> {
    let actor = Actor::Member(member.clone());
    // The role first: someone who may not use the command is told so, whatever they typed.
    members::require_role(member, Role::Organiser)?;
    let a = args::parse_missing(raw, core.today(), core.kinds())?;
    let scope = scope_for(core, &actor, a.unit.as_deref()).await?;
    let text = if a.sites {
        let groups = tally::missing_sites(core, &scope, a.period, a.kind.as_deref()).await?;
        let kind = a.kind.as_deref().and_then(|k| core.kinds().get(k)).map(|k| k.label.as_str());
        texts::missing_sites(a.period, &scope, kind, &groups)
    } else {
        let groups = tally::missing_members(core, &scope, a.period).await?;
        texts::missing_members(a.period, &scope, &groups)
    };
    Ok(vec![Reply::send(text)])
}

pub async fn export(core: &Core, member: &Member, raw: &str) -> Result<Vec<Reply>> {
    let actor = Actor::Member(member.clone());
    // The role first: someone who may not use the command is told so, whatever they typed.
    members::require_role(member, Role::Organiser)?;
    let a = args::parse_export(raw, core.today())?;
    let scope = scope_for(core, &actor, a.unit.as_deref()).await?;
    let file = export_file::export(core, &actor, &scope, a.period, a.format, export_file::Via::Chat).await?;
    tracing::info!(member = member.id, file = %file.name, records = file.records, "export sent");
    Ok(vec![Reply::Upload {
        kind: MediaKind::Document,
        caption: texts::export_caption(a.period, &scope, file.records),
        name: file.name,
        bytes: file.bytes,
    }])
}

/// `/remind` shows the setting; `/remind on|off` changes it. Every member decides for themselves.
pub async fn remind(core: &Core, member: &Member, raw: &str) -> Result<Vec<Reply>> {
    let on = match fold(raw.trim()).as_str() {
        "" => return Ok(vec![Reply::send(remind_status(member.reminders))]),
        "on" | "开" | "开启" | "打开" => true,
        "off" | "关" | "关闭" | "不要" => false,
        _ => return Err(UserError::bad_argument(raw, Usage::Remind).into()),
    };
    members::set_reminders(core, member, on).await?;
    Ok(vec![Reply::send(remind_changed(on))])
}

/// `后台`: a one-time link to the web console, in a private chat only (anyone in a group
/// could open it first).
pub async fn console_link(core: &Core, member: &Member, msg: &Incoming) -> Result<Vec<Reply>> {
    if !msg.chat.private {
        return Err(UserError::PrivateOnly.into());
    }
    let link = crate::logins::login_link(core, &Actor::Member(member.clone()), None).await?;
    let url = crate::texts::web::login_url(&core.config.public_url, &link.token);
    Ok(vec![Reply::send(crate::texts::web::login_link_message(&url, crate::logins::LOGIN_LINK_MINUTES))])
}
