//! `/promote`, `/demote`, `/deactivate`, `/activate`: by name, by replying to the person's
//! message (in a group the bot shares with them, or to their message forwarded to the bot), or
//! from a list of buttons when the name fits several people. Without a name or a reply, the
//! answer says how to name someone. The core checks the caller's role on every call, the button
//! presses included.

use super::buttons::ButtonData;
use super::command::Command;
use super::message::{Button, Incoming, Keyboard, Reply};
use crate::core::Core;
use crate::domain::{Member, Person, Role};
use crate::error::{Result, UserError};
use crate::members::{self, Actor, Change, Changed};
use crate::texts::roles as texts;

/// Builds a change from the role a command names, if any.
pub type MakeChange = fn(Option<Role>) -> Change;

/// The role command a chat command is, with its arguments.
pub fn role_command(command: &Command) -> Option<(MakeChange, &str)> {
    match command {
        Command::Promote(args) => Some((Change::Promote, args)),
        Command::Demote(args) => Some((Change::Demote, args)),
        Command::Deactivate(args) => Some((|_| Change::Deactivate, args)),
        Command::Activate(args) => Some((|_| Change::Activate, args)),
        _ => None,
    }
}

/// `/promote 张三 [admin]` and the others. `make` builds the change from an optional role.
/// Without a name, a command written as a reply applies to the author of the replied message.
pub async fn command(
    core: &Core,
    member: &Member,
    args: &str,
    reply_to: Option<&Person>,
    make: MakeChange,
) -> Result<Vec<Reply>> {
    let actor = Actor::Member(member.clone());
    let role_change = matches!(make(None), Change::Promote(_) | Change::Demote(_));
    members::require_role(member, if role_change { Role::Admin } else { Role::Organiser })?;
    let mut words: Vec<&str> = args.split_whitespace().collect();
    let role = match words.last().map(|w| w.parse::<Role>()) {
        Some(Ok(r)) if role_change => {
            words.pop();
            Some(r)
        }
        _ => None,
    };
    let change = make(role);
    let name = words.join(" ");
    if let (true, Some(person)) = (name.is_empty(), reply_to) {
        let target = members::member_of(core, person.account.person_id)
            .await?
            .ok_or_else(|| UserError::NoSuchMember(person.name.clone()))?;
        if target.id == member.id {
            return Err(UserError::NotYourself.into());
        }
        return done(core, &actor, target.id, change).await;
    }
    let mut found = members::find_members(core, &actor, &name).await?;
    found.retain(|m| m.id != member.id);
    match found.as_slice() {
        [one] if !name.is_empty() => done(core, &actor, one.id, change).await,
        [] if !name.is_empty() => Err(UserError::NoSuchMember(name).into()),
        [] => Ok(vec![Reply::send(texts::roles_nobody())]),
        many => {
            let rows = many
                .iter()
                .take(30)
                .map(|m| {
                    let data = ButtonData::Roles { change, member_id: m.id }.encode();
                    vec![Button::new(&texts::member_choice(m), data)]
                })
                .collect();
            Ok(vec![Reply::send_with(texts::roles_choose(change, many.len()), Keyboard { rows })])
        }
    }
}

/// A press on one of the listed names.
pub async fn on_button(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    change: Change,
    id: i64,
) -> Result<Vec<Reply>> {
    let mut replies = vec![Reply::Answer { callback_id: callback_id.to_owned(), text: None }];
    let done = done(core, &Actor::Member(member.clone()), id, change).await?;
    if let Some(Reply::Send { text, .. }) = done.first() {
        replies.push(Reply::Edit { message_id: msg.message_id, text: text.clone(), keyboard: None });
    }
    replies.extend(done.into_iter().skip(1));
    Ok(replies)
}

async fn done(core: &Core, actor: &Actor, id: i64, change: Change) -> Result<Vec<Reply>> {
    let changed: Changed = members::change(core, actor, id, change).await?;
    let mut replies = vec![Reply::send(texts::member_changed(&changed))];
    if let Some((_, role)) = changed.roles {
        // Their command menu follows their role.
        replies.push(Reply::MenuFor {
            account: changed.member.account,
            entries: super::menu::menu_entries(role, core.kinds()),
        });
    }
    Ok(replies)
}
