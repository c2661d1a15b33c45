//! The handlers of commands and of what is said outside a dialogue: joining and binding, the
//! commands themselves (each parsed, checked in the core, rendered), a check-in in one line or
//! a captioned photo, and the short answers for what the bot does not take. Each is called by
//! the router (`route` in [`super`]) for one [`super::Decision`].

use crate::checkins::{self, Evidence, Source, Via};
use crate::core::Core;
use crate::domain::{Member, Role};
use crate::error::{Error, Result, Usage, UserError};
use crate::members::{self, Actor, InviteRequest, Registration};
use crate::org;
use crate::texts::{self, checkins as checkin_texts, errors, members as member_texts};
use crate::week::parse_week_arg;

use super::command::Command;
use super::composer;
use super::context::ChatContext;
use super::dialogue::Dialogue;
use super::menu::{command_names, menu_entries};
use super::message::{Content, Incoming, Reply};
use super::outcome::Outcome;
use super::{notices, roles, tallies, wizard};

/// `/start`, `加入 <code>`, or the code alone: joins the invite's unit, or (with no code, or
/// for a member already) shows where the person stands.
///
/// A name may follow the code (`加入 <code> 张三`): the person is then called by it, which
/// matters where the platform gives the bot no names (WeCom).
pub async fn join(core: &Core, me: &ChatContext, msg: &Incoming, code: Option<&str>) -> Result<Vec<Reply>> {
    let (code, name) = match code.map(str::trim).and_then(|c| c.split_once(char::is_whitespace)) {
        Some((code, rest)) => (Some(code), members::name_after_code(rest)?),
        None => (code, None),
    };
    let person = match &name {
        Some(name) => crate::domain::Person { name: name.clone(), ..msg.from.clone() },
        None => msg.from.clone(),
    };
    let registration = match code {
        Some(code) => members::register(core, &person, code).await?,
        None => match members::member_of(core, msg.from.account.person_id).await? {
            Some(m) => Registration::Existing(m),
            None => return Ok(vec![Reply::send(member_texts::start_without_code())]),
        },
    };
    Ok(match registration {
        Registration::New(m) => {
            let sites = org::sites_of(core, m.unit_id).await?;
            let ask_name = me.names_unknown && name.is_none();
            let welcome = member_texts::welcome(
                &m,
                &sites,
                &command_names(m.role),
                me.commands,
                core.kinds(),
                ask_name,
            );
            let mut replies = vec![Reply::send(welcome)];
            if m.role > Role::Member {
                replies.push(Reply::Menu { entries: menu_entries(m.role, core.kinds()) });
            }
            replies
        }
        Registration::Existing(m) => {
            let sites = org::sites_of(core, m.unit_id).await?;
            let n = checkins::this_week_count(core, &m).await?;
            vec![Reply::send(member_texts::status(
                &m,
                &sites,
                n,
                &command_names(m.role),
                me.commands,
                core.kinds(),
            ))]
        }
    })
}

/// Someone not (yet) a member: an invite code sent on its own, or pasted with what people copy
/// around it (`加入 CODE」`, `「加入 CODE」`, quotes, a full stop), joins; anything else is told
/// how to get one.
pub async fn not_registered(core: &Core, me: &ChatContext, msg: &Incoming) -> Result<Vec<Reply>> {
    if let Content::Text(t) = &msg.content
        && let Some(code) = members::pasted_invite_code(t)
    {
        return join(core, me, msg, Some(&code)).await;
    }
    let text = member_texts::not_registered();
    Ok(match &msg.content {
        // A button press must always be answered, or the person's client shows a spinner.
        Content::Button { callback_id, .. } => {
            vec![Reply::Answer { callback_id: callback_id.clone(), text: None }, Reply::send(text)]
        }
        _ => vec![Reply::send(text)],
    })
}

/// `绑定 <code>` from an account that is not yet a member's.
pub async fn link_account(core: &Core, msg: &Incoming, code: &str) -> Result<Vec<Reply>> {
    let (member, new) = members::link(core, &msg.from, code).await?;
    Ok(vec![Reply::send(member_texts::linked(&member, new))])
}

/// Someone blocked or unblocked the bot: notices skip (or resume) them. Nothing to say.
pub async fn blocked(core: &Core, msg: &Incoming, blocked: bool) -> Result<Vec<Reply>> {
    if let Some(member) = members::member_of(core, msg.from.account.person_id).await? {
        members::set_reachable(core, member.id, !blocked).await?;
    }
    Ok(vec![])
}

/// In a group the bot keeps quiet, except to send people who try to use it to a private chat.
pub fn in_group(core: &Core, me: &ChatContext, msg: &Incoming, is_command: bool) -> Vec<Reply> {
    let looks_like_checkin = match &msg.content {
        Content::Photo { caption: Some(c), .. } => checkins::parse_checkin(c, core.kinds()).is_ok(),
        _ => false,
    };
    match &msg.content {
        Content::Button { callback_id, .. } => {
            vec![Reply::Answer { callback_id: callback_id.clone(), text: None }]
        }
        Content::Text(_) | Content::Photo { .. } if me.groups_address_the_bot => {
            vec![Reply::send(member_texts::private_only(me.username.as_deref()))]
        }
        _ if is_command || looks_like_checkin => {
            vec![Reply::send(member_texts::private_only(me.username.as_deref()))]
        }
        _ => vec![],
    }
}

/// 「取消」: leaves the open dialogue, said in the words of what was cancelled (a check-in, or a
/// notice not published).
pub fn cancel(dialogue: Option<&Dialogue>) -> Outcome<Dialogue> {
    let text = match dialogue {
        Some(Dialogue::Checkin(_)) => checkin_texts::wizard_cancelled(),
        Some(Dialogue::Notice(_)) => texts::notices::compose_cancelled(),
        None => errors::nothing_to_cancel(),
    };
    Outcome::end(vec![Reply::send(text)])
}

/// A member's command. `/start`, `/cancel` and `绑定 <code>` never come here: they are their own
/// decisions.
pub async fn on_command(
    core: &Core,
    me: &ChatContext,
    member: &Member,
    msg: &Incoming,
    command: Command,
) -> Result<Outcome<Dialogue>> {
    if let Some((make, args)) = roles::role_command(&command) {
        return Ok(Outcome::unchanged(
            roles::command(core, member, args, msg.reply_to.as_ref(), make).await?,
        ));
    }
    let replies = match command {
        Command::Start(_) | Command::Cancel => return Err(misrouted(&command)),
        // Handled above (they also work as replies in a group).
        Command::Promote(_) | Command::Demote(_) | Command::Deactivate(_) | Command::Activate(_) => vec![],
        Command::Help => {
            vec![Reply::send(member_texts::help(&command_names(member.role), me.commands, core.kinds()))]
        }
        Command::Checkin(args) if args.trim().is_empty() => {
            return Ok(wizard::start(core).map(Dialogue::Checkin));
        }
        Command::Checkin(args) => checkin_line(core, member, msg, &args).await?,
        Command::Acknowledge(notice) => notices::ack_typed(core, member, notice).await?,
        Command::Link(_) => {
            let code = members::link_code(core, member).await?;
            vec![Reply::send(member_texts::link_code(&code, members::LINK_CODE_MINUTES))]
        }
        Command::Week(args) => {
            let week = parse_week_arg(&args, core.today()).map_err(UserError::from)?;
            let view = checkins::week_view(core, member, week).await?;
            vec![Reply::send(checkin_texts::week_view(&view, core.tz()))]
        }
        Command::Undo(args) => {
            let target = parse_checkin_number(&args)?;
            let undone = checkins::undo(core, member, target, msg.message_id).await?;
            vec![Reply::send(checkin_texts::undone(&undone, core.kinds(), core.tz()))]
        }
        Command::Invite(args) => {
            // Checked here for a prompt answer and again inside create_invite, which is the rule.
            members::require_role(member, Role::Organiser)?;
            let request = parse_invite_args(&args)?;
            let key = format!("tg:{}:{}", msg.chat.id, msg.message_id);
            let invite =
                members::create_invite(core, &Actor::Member(member.clone()), &request, Some(key)).await?;
            let link = members::bot_username(core).await?.map(|u| members::deep_link(&u, &invite.code));
            vec![Reply::send(member_texts::invite_created(
                &invite,
                link.as_deref(),
                core.tz(),
                core.config.wecom.is_some(),
            ))]
        }
        Command::Members(args) => {
            let unit = Some(args.trim()).filter(|a| !a.is_empty());
            let listing = members::list(core, &Actor::Member(member.clone()), unit).await?;
            vec![Reply::send(member_texts::member_list(&listing, core.tz()))]
        }
        Command::Notice => return Ok(composer::start(member)?.map(Dialogue::Notice)),
        Command::Notices => {
            members::require_role(member, Role::Organiser)?;
            notices::list(core, member).await?
        }
        Command::Receipts(args) => notices::receipts(core, member, &args).await?,
        Command::Tally(args) => tallies::tally(core, me, member, &args).await?,
        Command::Missing(args) => tallies::missing(core, member, &args).await?,
        Command::Export(args) => tallies::export(core, member, &args).await?,
        Command::Web => tallies::console_link(core, member, msg).await?,
        Command::Remind(args) => tallies::remind(core, member, &args).await?,
        Command::Name(args) if args.trim().is_empty() => {
            vec![Reply::send(member_texts::name_now(&member.name))]
        }
        Command::Name(args) => {
            let name = members::person_name(&args)?;
            let renamed = members::set_own_name(core, member, &name).await?;
            vec![Reply::send(member_texts::name_changed(&renamed.name))]
        }
        Command::Unknown(name) => vec![Reply::send(errors::unknown_command(&name))],
    };
    Ok(Outcome::unchanged(replies))
}

/// A command the decision gives a way of its own reached the command handler: a routing bug,
/// reported as an internal error rather than a panic.
fn misrouted(command: &Command) -> Error {
    anyhow::anyhow!("{command:?} reached the member command handler").into()
}

/// A check-in in one line (`/checkin 送政策 …`, `登记 送政策 …`, or `送政策 …` alone).
pub async fn checkin_line(core: &Core, member: &Member, msg: &Incoming, line: &str) -> Result<Vec<Reply>> {
    let parsed = checkins::parse_checkin(line, core.kinds())?;
    let receipt =
        checkins::record(core, member, &parsed, source_of(msg), Evidence::default(), Via::Line).await?;
    Ok(vec![Reply::send(checkin_texts::receipt(&receipt, core.kinds(), &core.config))])
}

/// A photo outside a dialogue: a check-in by its caption (`#送温暖 看望五保户`). Only the first
/// photo of an album is answered when it says nothing else.
pub async fn photo_checkin(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    file_id: &str,
    caption: Option<&str>,
    first_of_album: bool,
) -> Result<Vec<Reply>> {
    let Some(caption) = caption.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(if first_of_album {
            vec![Reply::send(checkin_texts::photo_needs_caption(core.kinds()))]
        } else {
            vec![]
        });
    };
    let parsed = checkins::parse_checkin(caption, core.kinds())?;
    let evidence = Evidence { photo_file_id: Some(file_id.to_owned()), location: None, cites_notice: None };
    let receipt = checkins::record(core, member, &parsed, source_of(msg), evidence, Via::Photo).await?;
    Ok(vec![Reply::send(checkin_texts::receipt(&receipt, core.kinds(), &core.config))])
}

/// Text that is no command, no check-in and no dialogue's answer: how to check in.
pub fn text_hint(core: &Core) -> Vec<Reply> {
    vec![Reply::send(checkin_texts::text_hint(core.kinds()))]
}

/// A location outside the guided check-in's steps that take one.
pub fn location_hint() -> Vec<Reply> {
    vec![Reply::send(checkin_texts::location_hint())]
}

/// A sticker, voice note, or a file outside the notice composer.
pub fn unsupported() -> Vec<Reply> {
    vec![Reply::send(errors::unsupported_message())]
}

/// A tapped option link of an older message: a newer one has its own options now.
pub fn stale_option() -> Vec<Reply> {
    vec![Reply::send(checkin_texts::option_expired())]
}

fn source_of(msg: &Incoming) -> Source {
    Source { chat_id: msg.chat.id, message_id: msg.message_id, sent_at: msg.sent_at }
}

/// `/undo`, `/undo 12`, `/undo #12`.
fn parse_checkin_number(args: &str) -> Result<Option<i64>, UserError> {
    let a = crate::normalize::fold(args.trim());
    let a = a.trim_start_matches('#').trim_start_matches('第').trim_end_matches('号');
    if a.is_empty() {
        return Ok(None);
    }
    a.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| UserError::bad_argument(args, Usage::Undo))
}

/// `/invite [单位] [member|organiser|admin] [N | N次] [7d | 12h | 2w]`, in any order.
pub fn parse_invite_args(args: &str) -> Result<InviteRequest, UserError> {
    let mut request = InviteRequest::default();
    for word in args.split_whitespace() {
        let folded = crate::normalize::fold(word);
        let bare = folded.trim_end_matches(['次', '人']);
        if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
            request.uses = Some(bare.parse().map_err(|_| UserError::bad_argument(word, Usage::InviteUses))?);
        } else if let Some(d) = members::parse_duration(word) {
            request.expires_in = Some(d);
        } else if let Ok(role) = word.parse::<Role>() {
            request.role = Some(role);
        } else {
            let unit = word.strip_prefix("unit:").or_else(|| word.strip_prefix("单位:")).unwrap_or(word);
            if request.unit.is_some() {
                return Err(UserError::bad_argument(word, Usage::Invite));
            }
            request.unit = Some(unit.to_owned());
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn undo_takes_nothing_or_a_number_in_several_spellings() {
        assert_eq!(parse_checkin_number(""), Ok(None));
        assert_eq!(parse_checkin_number("12"), Ok(Some(12)));
        assert_eq!(parse_checkin_number("#12"), Ok(Some(12)));
        assert_eq!(parse_checkin_number("第１２号"), Ok(Some(12)));
        assert!(parse_checkin_number("all").is_err());
        assert!(parse_checkin_number("-3").is_err());
    }

    #[test]
    fn invite_arguments_come_in_any_order() {
        let r = parse_invite_args("organiser 人社局 5次 7d").unwrap();
        assert_eq!(r.role, Some(Role::Organiser));
        assert_eq!(r.unit.as_deref(), Some("人社局"));
        assert_eq!(r.uses, Some(5));
        assert_eq!(r.expires_in, Some(Duration::days(7)));
        assert_eq!(parse_invite_args("").unwrap(), InviteRequest::default());
        assert!(parse_invite_args("人社局 科工局").is_err());
    }
}
