//! Members and invites: who may use the bot, for which unit, in which role.
//!
//! Every privileged operation takes an [`Actor`] and checks its role here, in the core, on
//! every call; menus only hide what this module would refuse anyway.

use chrono::Duration;
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::core::Core;
use crate::domain::{Account, MemberStatus, Person, Role};
use crate::error::{Result, Usage, UserError};

/// The most people one invite may admit, and the longest it may stay valid.
pub const MAX_INVITE_USES: u32 = 10_000;
pub const MAX_INVITE_DAYS: i64 = 366;
use crate::domain::{Invite, Member, MemberListing, Unit};
use crate::org::find_unit;
use crate::store::meta::BOT_USERNAME;
use crate::store::{DepartmentJoined, Linked, NewInvite, Redeemed};

/// Who is asking for a privileged operation.
#[derive(Debug, Clone)]
pub enum Actor {
    /// Someone at the server's command line: they can read the database anyway.
    Cli,
    Member(Member),
}

/// The outcome of `/start <code>`.
#[derive(Debug, Clone, PartialEq)]
pub enum Registration {
    New(Member),
    Existing(Member),
}

/// Registers `person` with an invite code.
pub async fn register(core: &Core, person: &Person, code: &str) -> Result<Registration> {
    // Deep-link codes are ASCII; anything else cannot be one of ours.
    let code = code.trim();
    if code.is_empty()
        || code.len() > 64
        || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return match core.store.member_by_person(person.account.person_id).await? {
            Some(m) => Ok(Registration::Existing(m)),
            None => Err(UserError::InviteUnknown.into()),
        };
    }
    match core.store.redeem_invite(code, person, core.now()).await? {
        Redeemed::Registered(m) => {
            tracing::info!(member = m.id, unit = %m.unit_name, role = %m.role, "member registered");
            Ok(Registration::New(m))
        }
        Redeemed::AlreadyMember(m) => Ok(Registration::Existing(m)),
        Redeemed::Unknown => Err(UserError::InviteUnknown.into()),
        Redeemed::Expired => Err(UserError::InviteExpired.into()),
        Redeemed::UsedUp => Err(UserError::InviteUsedUp.into()),
    }
}

/// What joining by department came to.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartmentJoin {
    /// A member now, of the one unit their departments belong to.
    Joined(Member),
    /// A member already (a message that raced another, or an invite meanwhile).
    AlreadyMember(Member),
    /// None of their departments, nor any department above them, belongs to a unit.
    NoUnit,
    /// Their departments belong to several units (named): which is not for the bot to guess.
    SeveralUnits(Vec<String>),
}

/// Whether any unit has DingTalk departments: without one, nobody is looked up.
pub async fn departments_in_use(core: &Core) -> Result<bool> {
    Ok(core.store.any_department_mapped().await?)
}

/// The units a person's departments belong to, each with the department that decided it.
/// `chains` are the person's departments, each followed by the departments above it up to
/// the root (DingTalk's `parent_dept_id_list`); in each, the nearest department that belongs
/// to a unit decides (a unit for a whole bureau, another for one of its offices: the office's
/// people join the office's unit).
pub fn units_of_departments(mapped: &[(i64, Unit)], chains: &[Vec<i64>]) -> Vec<(Unit, i64)> {
    let mut found: Vec<(Unit, i64)> = Vec::new();
    for chain in chains {
        let nearest = chain
            .iter()
            .find_map(|d| mapped.iter().find(|(m, _)| m == d).map(|(_, unit)| (unit.clone(), *d)));
        if let Some((unit, department)) = nearest
            && !found.iter().any(|(u, _)| u.id == unit.id)
        {
            found.push((unit, department));
        }
    }
    found
}

/// A DingTalk user who is not yet a member, and whose departments (`chains`, see
/// [`units_of_departments`]) belong to exactly one unit, joins it as a member at once, without
/// an invite (audited as 钉钉部门). Organisers and admins still come by invite or promotion.
pub async fn join_by_department(core: &Core, person: &Person, chains: &[Vec<i64>]) -> Result<DepartmentJoin> {
    if let Some(m) = core.store.member_by_person(person.account.person_id).await? {
        return Ok(DepartmentJoin::AlreadyMember(m));
    }
    let mapped = core.store.department_units().await?;
    let units = units_of_departments(&mapped, chains);
    let (unit, department) = match units.as_slice() {
        [] => return Ok(DepartmentJoin::NoUnit),
        [one] => one.clone(),
        several => {
            return Ok(DepartmentJoin::SeveralUnits(several.iter().map(|(u, _)| u.name.clone()).collect()));
        }
    };
    let actor = format!("{} {}", person.account.label(), person.name);
    let detail = format!("department {department} → {}", unit.name);
    Ok(match core.store.join_by_department(person, unit.id, &actor, &detail, core.now()).await? {
        DepartmentJoined::Joined(m) => {
            tracing::info!(member = m.id, unit = %m.unit_name, department, "member joined by DingTalk department");
            DepartmentJoin::Joined(m)
        }
        DepartmentJoined::AlreadyMember(m) => DepartmentJoin::AlreadyMember(m),
        DepartmentJoined::NoUnit => DepartmentJoin::NoUnit,
    })
}

/// The invite code in what a person pasted to join: `加入 CODE`, with what people copy around
/// it (「」 and other brackets, quotes, a full-width space, a trailing full stop), or a whole
/// invite text with `加入 CODE` in it, or the code alone in brackets. `None` when there is none.
pub fn pasted_invite_code(text: &str) -> Option<String> {
    // Full-width letters and digits as their ASCII selves (a code is ASCII).
    let text: String = text.chars().map(crate::normalize::half_width).collect();
    let is_code_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let wrapper = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '「' | '」'
                    | '『'
                    | '』'
                    | '“'
                    | '”'
                    | '‘'
                    | '’'
                    | '"'
                    | '\''
                    | '《'
                    | '》'
                    | '【'
                    | '】'
                    | '〔'
                    | '〕'
                    | '['
                    | ']'
                    | '('
                    | ')'
                    | '<'
                    | '>'
                    | '。'
                    | '.'
                    | ','
                    | '，'
                    | '!'
                    | '！'
                    | '：'
                    | ':'
                    | '；'
                    | ';'
                    | '、'
            )
    };
    let alone = text.trim_matches(wrapper);
    if looks_like_invite_code(alone) {
        return Some(alone.to_owned());
    }
    // The last 加入 followed by a code: what the invite text tells people to send.
    let mut rest = text.as_str();
    let mut found = None;
    while let Some(at) = rest.find("加入") {
        let after = rest[at + "加入".len()..].trim_start_matches(wrapper);
        let code: String = after.chars().take_while(|c| is_code_char(*c)).collect();
        if looks_like_invite_code(&code) {
            found = Some(code);
        }
        rest = &rest[at + "加入".len()..];
    }
    found
}

/// Whether a message asks to join with an invite or to bind an account (`绑定 CODE`): such a
/// message is the person's own way in, and no department is looked up for it.
pub fn asks_to_join_or_bind(text: &str) -> bool {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    pasted_invite_code(t).is_some()
        || lower.starts_with("/start")
        || lower.starts_with("/link")
        || t.trim_start_matches(|c: char| !c.is_alphanumeric()).starts_with("绑定")
        || t.trim_start_matches(|c: char| !c.is_alphanumeric()).starts_with("綁定")
}

/// The member this account (a person id, see [`crate::domain::Account`]) belongs to,
/// whatever their status.
pub async fn member_of(core: &Core, person_id: i64) -> Result<Option<Member>> {
    Ok(core.store.member_by_person(person_id).await?)
}

/// The person blocked the bot (`false`), or unblocked it or wrote to it (`true`): notices skip
/// an unreachable member until then.
pub async fn set_reachable(core: &Core, member_id: i64, reachable: bool) -> Result<()> {
    if reachable {
        core.store.mark_reachable(member_id).await?;
    } else {
        core.store.mark_unreachable(member_id, core.now()).await?;
    }
    Ok(())
}

/// The member wrote from `account`: if it is not the one they are reached on, it becomes it,
/// so notices follow them to the platform they now use (one copy, there). A terminal session
/// (`sansong chat`) is a try-out, never where notices are sent instead.
pub async fn wrote_from(core: &Core, member: &mut Member, account: Account) -> Result<()> {
    if member.account != account && account.platform != crate::domain::Platform::Terminal {
        core.store.account_seen(account.person_id, core.now()).await?;
        member.account = account;
    }
    Ok(())
}

/// Turns a member's weekly check-in reminder on or off: each member decides for themselves.
pub async fn set_reminders(core: &Core, member: &Member, on: bool) -> Result<()> {
    core.store.set_reminders(member.id, on).await?;
    Ok(())
}

/// A name as someone gives it (`我的名字 张三`, `加入 <code> 张三`): without the spaces, quotes
/// and brackets people type around it; 1 to 40 characters on one line (as the console's
/// names), with no control characters or markup. Pure.
pub fn person_name(text: &str) -> std::result::Result<String, UserError> {
    let wrapping = |c: char| c.is_whitespace() || "「」『』“”‘’\"'《》【】()（）<>[]。.，,：:".contains(c);
    let name = text.trim_matches(wrapping);
    // 「我的名字是张三」, 「我叫…」 as people say it.
    let name =
        name.strip_prefix('是').or_else(|| name.strip_prefix('叫')).unwrap_or(name).trim_matches(wrapping);
    let plain = !name.chars().any(|c| c.is_control() || "<>&*_`#@/\\|[]".contains(c));
    if name.is_empty() || name.chars().count() > crate::logins::MAX_NAME_CHARS || !plain {
        return Err(UserError::BadName(name.chars().take(crate::logins::MAX_NAME_CHARS).collect()));
    }
    Ok(name.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// What follows an invite code: the name the person gives, or `None` when there is none (only
/// the marks people paste around a code, `加入 CODE 」`).
pub fn name_after_code(rest: &str) -> std::result::Result<Option<String>, UserError> {
    if !rest.chars().any(char::is_alphanumeric) {
        return Ok(None);
    }
    person_name(rest).map(Some)
}

/// Sets the name a member is called by (in tallies, lists and receipts), audited.
pub async fn set_own_name(core: &Core, member: &Member, name: &str) -> Result<Member> {
    let label = actor_label(&Actor::Member(member.clone()));
    core.store.set_name_audited(member.id, name, &label, core.now()).await?;
    tracing::info!(member = member.id, "member renamed themselves");
    Ok(Member { name: name.to_owned(), ..member.clone() })
}

/// How long a binding code (绑定) works, in minutes.
pub const LINK_CODE_MINUTES: i64 = 10;

/// `绑定` on a platform the member already uses: a one-time code to send from their account on
/// another platform, so one person stays one member with one history wherever they write from.
pub async fn link_code(core: &Core, member: &Member) -> Result<String> {
    // Eight capitals and digits without look-alikes: typed by hand on a phone, and over
    // 30^8 ≈ 6.6e11 codes for ten minutes, with flood control pacing anyone who guesses.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let code: String = {
        let mut rng = rand::rngs::OsRng;
        (0..8).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
    };
    let now = core.now();
    core.store.create_link_code(member.id, &code, now, now + Duration::minutes(LINK_CODE_MINUTES)).await?;
    tracing::info!(member = member.id, "binding code issued");
    Ok(code)
}

/// `绑定 <code>` from another platform's account: binds it to the member the code was made
/// for. `true` when it was bound now, `false` when it already was.
pub async fn link(core: &Core, person: &Person, code: &str) -> Result<(Member, bool)> {
    let code = crate::normalize::fold(code.trim()).to_uppercase();
    if code.is_empty() || code.len() > 16 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(UserError::LinkCodeUnknown.into());
    }
    match core.store.redeem_link_code(&code, person.account, core.now()).await? {
        Linked::Linked(m) => {
            tracing::info!(member = m.id, platform = %person.account.platform, "account bound to a member");
            Ok((m, true))
        }
        Linked::Already(m) => Ok((m, false)),
        Linked::Unknown => Err(UserError::LinkCodeUnknown.into()),
        Linked::Taken => Err(UserError::AccountTaken.into()),
        Linked::PlatformTaken => Err(UserError::PlatformAlreadyLinked(person.account.platform).into()),
    }
}

/// The registered, active member behind an account.
pub async fn require_member(core: &Core, person_id: i64) -> Result<Member> {
    match core.store.member_by_person(person_id).await? {
        None => Err(UserError::NotRegistered.into()),
        Some(m) if m.status == MemberStatus::Inactive => Err(UserError::Deactivated.into()),
        Some(m) => Ok(m),
    }
}

/// Refuses unless `member` has at least the `needed` role.
pub fn require_role(member: &Member, needed: Role) -> Result<(), UserError> {
    if member.role.allows(needed) { Ok(()) } else { Err(UserError::Forbidden { needed }) }
}

/// Admins only (and the command line, which can read the database anyway): the audit log, the
/// system page, API tokens, backups on request.
pub fn require_admin(actor: &Actor) -> Result<(), UserError> {
    match actor {
        Actor::Cli => Ok(()),
        Actor::Member(m) => require_role(m, Role::Admin),
    }
}

/// What an invite should be for; unset fields take the configured defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteRequest {
    pub unit: Option<String>,
    pub role: Option<Role>,
    pub uses: Option<u32>,
    pub expires_in: Option<Duration>,
}

/// Creates an invite. Organisers may invite members to their own unit; admins anyone anywhere.
/// `source_key` names the chat message that asked, so a redelivered request returns the same invite.
pub async fn create_invite(
    core: &Core,
    actor: &Actor,
    request: &InviteRequest,
    source_key: Option<String>,
) -> Result<Invite> {
    let role = request.role.unwrap_or(Role::Member);
    let (unit, created_by) = match actor {
        Actor::Cli => {
            let Some(name) = &request.unit else {
                return Err(UserError::bad_argument("", Usage::Invite).into());
            };
            (resolve_unit(core, name).await?, "cli".to_owned())
        }
        Actor::Member(m) => {
            require_role(m, Role::Organiser)?;
            let unit = match &request.unit {
                Some(name) => resolve_unit(core, name).await?,
                None => Unit { id: m.unit_id, name: m.unit_name.clone() },
            };
            if m.role < Role::Admin {
                if unit.id != m.unit_id {
                    return Err(UserError::OtherUnit.into());
                }
                if role > Role::Member {
                    return Err(UserError::InviteRoleTooHigh.into());
                }
            }
            (unit, m.account.label())
        }
    };
    let uses = request.uses.unwrap_or(core.config.invite_uses);
    if uses == 0 || uses > MAX_INVITE_USES {
        return Err(UserError::bad_argument(&uses.to_string(), Usage::InviteUses).into());
    }
    let expires_in = request.expires_in.unwrap_or_else(|| Duration::days(i64::from(core.config.invite_days)));
    if expires_in <= Duration::zero() || expires_in > Duration::days(MAX_INVITE_DAYS) {
        return Err(
            UserError::bad_argument(&format!("{}h", expires_in.num_hours()), Usage::InviteExpiry).into()
        );
    }
    let invite = core
        .store
        .create_invite(
            &NewInvite {
                code: new_code(),
                unit_id: unit.id,
                role,
                max_uses: uses,
                expires_at: core.now() + expires_in,
                created_by,
                source_key,
            },
            core.now(),
        )
        .await?;
    tracing::info!(invite = invite.id, unit = %invite.unit_name, role = %invite.role, uses, "invite created");
    let detail = format!("invite #{} for {} as {} ({uses} uses)", invite.id, invite.unit_name, invite.role);
    core.store.audit(core.now(), &actor_label(actor), "invite", &detail).await?;
    Ok(invite)
}

/// The invites still open that `actor` may see: organisers their own unit's, admins all.
pub async fn open_invites(core: &Core, actor: &Actor) -> Result<Vec<Invite>> {
    let unit = match actor {
        Actor::Cli => None,
        Actor::Member(m) => {
            require_role(m, Role::Organiser)?;
            (m.role < Role::Admin).then_some(m.unit_id)
        }
    };
    let mut open = core.store.open_invites(unit, core.now()).await?;
    if unit.is_some() {
        // An organiser: members' invites only (see [`invite`]).
        open.retain(|i| i.role == Role::Member);
    }
    Ok(open)
}

/// An invite `actor` may see (organisers: their own unit's), open or not.
pub async fn invite(core: &Core, actor: &Actor, invite_id: i64) -> Result<Invite> {
    let invite = core.store.invite(invite_id).await?.ok_or(UserError::NoSuchInvite)?;
    if let Actor::Member(m) = actor {
        require_role(m, Role::Organiser)?;
        // An organiser may make only members' invites, so sees only those: an admin's invite
        // for their unit as organiser or admin is not theirs to hand on.
        if m.role < Role::Admin && (invite.unit_id != m.unit_id || invite.role > Role::Member) {
            return Err(UserError::NoSuchInvite.into());
        }
    }
    Ok(invite)
}

/// Withdraws an open invite: nobody can join with it any more. Organisers withdraw their own
/// unit's, admins any. Withdrawing one twice changes nothing.
pub async fn revoke_invite(core: &Core, actor: &Actor, invite_id: i64) -> Result<Invite> {
    let invite = self::invite(core, actor, invite_id).await?;
    if core.store.revoke_invite(invite.id, &actor_label(actor), core.now()).await? {
        tracing::info!(invite = invite.id, "invite revoked");
    }
    Ok(invite)
}

/// Lists members: organisers see their own unit, admins (and the CLI) any or all.
pub async fn list(core: &Core, actor: &Actor, unit: Option<&str>) -> Result<Vec<MemberListing>> {
    let unit_id = match (actor, unit) {
        (Actor::Cli, None) => None,
        (Actor::Cli, Some(name)) => Some(resolve_unit(core, name).await?.id),
        (Actor::Member(m), wanted) => {
            require_role(m, Role::Organiser)?;
            let unit = match wanted {
                Some(name) => Some(resolve_unit(core, name).await?.id),
                None if m.role == Role::Admin => None,
                None => Some(m.unit_id),
            };
            if m.role < Role::Admin && unit != Some(m.unit_id) {
                return Err(UserError::OtherUnit.into());
            }
            unit
        }
    };
    Ok(core.store.list_members(unit_id).await?)
}

/// The unit a person names, or a polite refusal.
pub async fn resolve_unit(core: &Core, name: &str) -> Result<Unit> {
    let units = core.store.units().await?;
    find_unit(&units, name).cloned().map_err(|candidates| {
        UserError::UnknownUnit {
            name: name.trim().to_owned(),
            candidates: candidates.iter().map(|u| u.name.clone()).collect(),
        }
        .into()
    })
}

/// An unguessable invite code: 22 characters of [A-Za-z0-9] from the OS's generator (~131 bits).
/// Fits Telegram's 64-character `start` parameter.
pub fn new_code() -> String {
    random_token(22)
}

/// Whether a message could be an invite code sent on its own (a code is [`new_code`]'s 22
/// letters and digits; older or hand-made codes are at least 8 and at most 64 of them).
pub fn looks_like_invite_code(text: &str) -> bool {
    let t = text.trim();
    (8..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether text could be a binding code (see [`link_code`]), in either case.
pub fn looks_like_link_code(text: &str) -> bool {
    let t = crate::normalize::fold(text.trim());
    (6..=16).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `len` letters and digits from the OS's generator: invite codes, secrets, button nonces.
pub fn random_token(len: usize) -> String {
    rand::rngs::OsRng.sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// `7d`, `12h`, `30m`, `2w`, or a bare number of days; Chinese units (天, 小时, 周) too.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = crate::normalize::fold(s.trim());
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    // Anything longer than a few years is a typo; refusing it also keeps the arithmetic safe.
    let n: i64 = digits.parse().ok().filter(|n| (1..=100_000).contains(n))?;
    match unit.trim() {
        "" | "d" | "天" | "日" => Duration::try_days(n),
        "h" | "小时" | "时" => Duration::try_hours(n),
        "m" | "min" | "分钟" => Duration::try_minutes(n),
        "w" | "周" | "星期" => Duration::try_weeks(n),
        _ => None,
    }
}

/// The bot's username for invite links: the config's, else the one the bot recorded when it
/// last started.
pub async fn bot_username(core: &Core) -> Result<Option<String>> {
    if let Some(u) = &core.config.bot_username {
        return Ok(Some(u.clone()));
    }
    Ok(core.store.meta(BOT_USERNAME).await?)
}

/// The active organisers and admins (for the weekly report's audiences and their menus).
pub async fn privileged(core: &Core) -> Result<Vec<Member>> {
    Ok(core.store.privileged_members().await?)
}

/// Keeps the bot's username (learnt from Telegram) for invite links.
pub async fn remember_bot_username(core: &Core, username: &str) -> Result<()> {
    core.store.set_meta(BOT_USERNAME, username).await?;
    Ok(())
}

/// `https://t.me/<bot>?start=<code>`: opening it in Telegram sends `/start <code>` to the bot.
pub fn deep_link(bot_username: &str, code: &str) -> String {
    format!("https://t.me/{bot_username}?start={code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_read_without_what_people_type_around_it_and_nonsense_is_refused() {
        assert_eq!(person_name(" 张三 ").as_deref(), Ok("张三"));
        assert_eq!(person_name("「欧阳  小明」。").as_deref(), Ok("欧阳 小明"));
        assert_eq!(person_name("Zhang San").as_deref(), Ok("Zhang San"));
        assert_eq!(person_name("是李四").as_deref(), Ok("李四"));
        assert_eq!(name_after_code(" 」。"), Ok(None));
        assert_eq!(name_after_code(" 李四").unwrap().as_deref(), Some("李四"));
        for bad in ["", "  ", "张\n三", "<b>张三</b>", "@all", &"名".repeat(41)] {
            assert!(matches!(person_name(bad), Err(UserError::BadName(_))), "{bad:?}");
        }
        assert_eq!(person_name(&"名".repeat(40)).map(|n| n.chars().count()), Ok(40));
    }

    #[test]
    fn codes_are_long_random_and_url_safe() {
        let a = new_code();
        let b = new_code();
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn an_invite_code_is_found_in_whatever_people_paste_around_it() {
        let code = "AbCdEfGhIjKlMnOpQrStUv";
        for pasted in [
            format!("加入 {code}」"),
            format!("「加入 {code}」"),
            format!("加入\u{3000}{code}"),
            format!("“加入 {code}”"),
            format!("加入 {code}。"),
            format!("加入{code}"),
            format!("「{code}」"),
            format!("邀请码：{code}\n（加入的人私聊机器人发送「加入 {code}」）"),
        ] {
            assert_eq!(pasted_invite_code(&pasted).as_deref(), Some(code), "{pasted:?}");
        }
        assert_eq!(pasted_invite_code("送温暖 看望五保户王大爷"), None);
        assert_eq!(pasted_invite_code("加入 组织"), None);
        assert_eq!(pasted_invite_code("加入"), None);
    }

    #[test]
    fn a_department_decides_by_the_nearest_mapped_one_in_each_chain() {
        let unit = |id, name: &str| Unit { id, name: name.into() };
        let mapped = vec![(1, unit(1, "市政府")), (12, unit(2, "人社局")), (30, unit(3, "科工局"))];
        // An office of 人社局 (12 → 1): 人社局, the nearer.
        assert_eq!(units_of_departments(&mapped, &[vec![120, 12, 1]]), [(unit(2, "人社局"), 12)]);
        // Someone in two departments of two units: both named.
        let two = units_of_departments(&mapped, &[vec![12, 1], vec![30, 1]]);
        assert_eq!(two.len(), 2);
        // Two departments of one unit: one unit.
        assert_eq!(units_of_departments(&mapped, &[vec![12, 1], vec![120, 12, 1]]).len(), 1);
        assert!(units_of_departments(&mapped[1..], &[vec![99, 1]]).is_empty());
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("7d"), Some(Duration::days(7)));
        assert_eq!(parse_duration("12h"), Some(Duration::hours(12)));
        assert_eq!(parse_duration("2w"), Some(Duration::weeks(2)));
        assert_eq!(parse_duration("3天"), Some(Duration::days(3)));
        assert_eq!(parse_duration("14"), Some(Duration::days(14)));
        assert_eq!(parse_duration("0d"), None);
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("7y"), None);
        assert_eq!(parse_duration("99999999999w"), None, "huge numbers are refused, not a panic");
        assert_eq!(parse_duration("9223372036854775807d"), None);
    }
}

// ---------------------------------------------------------------- roles and status

/// Who did it, as the audit log names them.
pub fn actor_label(actor: &Actor) -> String {
    match actor {
        Actor::Cli => "cli".into(),
        Actor::Member(m) if m.on_web => format!("网页 {} {}", m.account.label(), m.name),
        Actor::Member(m) => format!("{} {}", m.account.label(), m.name),
    }
}

/// What an admin or organiser may do to another member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// One role up, or to the role given.
    Promote(Option<Role>),
    /// One role down, or to the role given.
    Demote(Option<Role>),
    Deactivate,
    Activate,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub member: Member,
    pub change: Change,
    /// The role before and after, for role changes.
    pub roles: Option<(Role, Role)>,
}

/// The members `actor` may act on whose name matches `name` (exactly, else containing it;
/// either script). Admins: everyone; organisers: their own unit.
pub async fn find_members(core: &Core, actor: &Actor, name: &str) -> Result<Vec<Member>> {
    let unit = match actor {
        Actor::Member(m) if m.role < Role::Admin => Some(m.unit_id),
        _ => None,
    };
    let all: Vec<Member> = core.store.list_members(unit).await?.into_iter().map(|l| l.member).collect();
    let wanted = crate::normalize::fold(name.trim());
    let exact: Vec<Member> =
        all.iter().filter(|m| crate::normalize::fold(&m.name) == wanted).cloned().collect();
    if !exact.is_empty() || wanted.is_empty() {
        return Ok(exact);
    }
    Ok(all.into_iter().filter(|m| crate::normalize::fold(&m.name).contains(&wanted)).collect())
}

/// Changes another member's role or status. Roles: admins only. Deactivating and activating:
/// admins, and organisers for members of their own unit. Nobody changes themselves, so the
/// last admin cannot lock everyone out by accident. Audited in the same transaction.
pub async fn change(core: &Core, actor: &Actor, member_id: i64, change: Change) -> Result<Changed> {
    let target =
        core.store.member_by_id(member_id).await?.ok_or(UserError::NoSuchMember(member_id.to_string()))?;
    if let Actor::Member(me) = actor {
        match change {
            Change::Promote(_) | Change::Demote(_) => require_role(me, Role::Admin)?,
            Change::Deactivate | Change::Activate => {
                require_role(me, Role::Organiser)?;
                if me.role < Role::Admin && target.unit_id != me.unit_id {
                    return Err(UserError::OtherUnit.into());
                }
                if me.role < Role::Admin && target.role > Role::Member {
                    return Err(UserError::Forbidden { needed: Role::Admin }.into());
                }
            }
        }
        if me.id == target.id {
            return Err(UserError::NotYourself.into());
        }
    }
    let label = actor_label(actor);
    let now = core.now();
    let roles = match change {
        Change::Promote(to) | Change::Demote(to) => {
            let up = matches!(change, Change::Promote(_));
            let next = to.or_else(|| step(target.role, up));
            let Some(next) = next.filter(|r| if up { *r > target.role } else { *r < target.role }) else {
                return Err(UserError::RoleUnchanged { name: target.name.clone(), role: target.role }.into());
            };
            let roles = core
                .store
                .set_role_audited(target.id, next, &label, now)
                .await?
                .ok_or(UserError::NoSuchMember(member_id.to_string()))?;
            tracing::info!(member = target.id, from = %roles.0, to = %roles.1, by = %label, "role changed");
            Some(roles)
        }
        Change::Deactivate | Change::Activate => {
            let status =
                if change == Change::Deactivate { MemberStatus::Inactive } else { MemberStatus::Active };
            if target.status == status {
                return Err(UserError::StatusUnchanged {
                    name: target.name.clone(),
                    active: status == MemberStatus::Active,
                }
                .into());
            }
            core.store.set_status_audited(target.id, status, &label, now).await?;
            tracing::info!(member = target.id, status = status.as_str(), by = %label, "member status changed");
            None
        }
    };
    let member =
        core.store.member_by_id(member_id).await?.ok_or(UserError::NoSuchMember(member_id.to_string()))?;
    Ok(Changed { member, change, roles })
}

fn step(role: Role, up: bool) -> Option<Role> {
    match (role, up) {
        (Role::Member, true) => Some(Role::Organiser),
        (Role::Organiser, true) => Some(Role::Admin),
        (Role::Admin, false) => Some(Role::Organiser),
        (Role::Organiser, false) => Some(Role::Member),
        _ => None,
    }
}
