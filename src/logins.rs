//! Signing in to the web console without a password: one-time links, the first admin's
//! set-up, and sessions.
//!
//! A link is a random token (32 alphanumerics, about 190 bits) kept only as its SHA-256. Reading
//! a link ([`look`]) changes nothing, because chat apps and mail scanners open links to preview
//! them; only [`log_in`] or [`set_up`] (a POST on the console) spends it, once. A session is another
//! such token, in a cookie; [`session`] reads the member's role and status afresh on every
//! request, so a demotion or deactivation applies to an open session at once.

use chrono::Duration;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::core::Core;
use crate::domain::{Member, Unit};
use crate::domain::{MemberStatus, Platform, Role};
use crate::error::{Result, UserError};
use crate::members::{Actor, actor_label, require_role};
use crate::store::{LinkPurpose, SetupDone, SetupUnit};

/// How long a login link works.
pub const LOGIN_LINK_MINUTES: i64 = 10;
/// How long a set-up link works (it is printed again at every start while no admin exists).
pub const SETUP_LINK_HOURS: i64 = 24;
/// The longest name the set-up form takes, for the first admin and a first unit.
pub const MAX_NAME_CHARS: usize = 40;

/// A one-time link's token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// What an opened link offers (nothing is spent by opening it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkView {
    /// A login for this member.
    Login { name: String },
    /// The first admin's set-up.
    Setup,
}

/// A console session: the cookie's token and who it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub member: Member,
}

fn token() -> String {
    rand::rngs::OsRng.sample_iter(&Alphanumeric).take(32).map(char::from).collect()
}

/// The hash a token is stored as.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A login link for an organiser or admin: `actor` asks for their own (`后台` in a chat), or
/// the command line names the person (`sansong login <姓名>`). Members have no console.
pub async fn login_link(core: &Core, actor: &Actor, name: Option<&str>) -> Result<Link> {
    let member = match (actor, name) {
        (Actor::Member(m), _) => m.clone(),
        (Actor::Cli, None) => return Err(UserError::NoSuchMember(String::new()).into()),
        (Actor::Cli, Some(name)) => {
            let found = crate::members::find_members(core, actor, name).await?;
            let exact: Vec<Member> = found.iter().filter(|m| m.name == name.trim()).cloned().collect();
            let found = if exact.is_empty() { found } else { exact };
            match found.as_slice() {
                [] => return Err(UserError::NoSuchMember(name.trim().to_owned()).into()),
                [one] => one.clone(),
                several => {
                    return Err(UserError::SeveralMembers {
                        name: name.trim().to_owned(),
                        units: several.iter().map(|m| m.unit_name.clone()).collect(),
                    }
                    .into());
                }
            }
        }
    };
    if member.status == MemberStatus::Inactive {
        return Err(UserError::Deactivated.into());
    }
    if member.role == Role::Member {
        return Err(UserError::NoConsole.into());
    }
    let link = Link { token: token(), expires_at: core.now() + Duration::minutes(LOGIN_LINK_MINUTES) };
    core.store
        .web_link_insert(&hash(&link.token), LinkPurpose::Login, Some(member.id), core.now(), link.expires_at)
        .await?;
    tracing::info!(member = member.id, by = %actor_label(actor), "console login link issued");
    Ok(link)
}

/// A set-up link for the first admin, while there is no admin; `None` once there is one.
pub async fn setup_link(core: &Core) -> Result<Option<Link>> {
    if core.store.admin_exists().await? {
        return Ok(None);
    }
    let link = Link { token: token(), expires_at: core.now() + Duration::hours(SETUP_LINK_HOURS) };
    core.store
        .web_link_insert(&hash(&link.token), LinkPurpose::Setup, None, core.now(), link.expires_at)
        .await?;
    Ok(Some(link))
}

/// What a link offers, without spending it: a preview by a chat app changes nothing.
pub async fn look(core: &Core, token: &str) -> Result<LinkView> {
    let link = core.store.web_link(&hash(token)).await?.ok_or(UserError::WebLinkGone)?;
    if link.used || link.expires_at <= core.now() {
        return Err(UserError::WebLinkGone.into());
    }
    match (link.purpose, link.member_id) {
        (LinkPurpose::Setup, _) => {
            if core.store.admin_exists().await? {
                return Err(UserError::SetupClosed.into());
            }
            Ok(LinkView::Setup)
        }
        (LinkPurpose::Login, Some(id)) => {
            let member = core.store.member_by_id(id).await?.ok_or(UserError::WebLinkGone)?;
            // Demoted or deactivated since the link was sent: it opens nothing.
            require_console(&member)?;
            Ok(LinkView::Login { name: member.name })
        }
        (LinkPurpose::Login, None) => Err(UserError::WebLinkGone.into()),
    }
}

/// Spends a login link and opens a session (audited as a console login).
pub async fn log_in(core: &Core, token: &str) -> Result<Session> {
    let session = self::token();
    let member_id = core
        .store
        .spend_login_link(&hash(token), &hash(&session), core.now())
        .await?
        .ok_or(UserError::WebLinkGone)?;
    let member = core.store.member_by_id(member_id).await?.ok_or(UserError::WebLinkGone)?;
    require_console(&member)?;
    // A login is done on the console: the log says 网页 as for every console action.
    let actor = Actor::Member(Member { on_web: true, ..member.clone() });
    crate::audit::record(core, &actor, "web_login", "网页：登录后台").await?;
    tracing::info!(member = member.id, "console session opened");
    Ok(Session { token: session, member })
}

/// Opens a session for the member of a platform account whose identity the platform itself
/// vouched for: DingTalk's workbench login, where a one-time auth code the server exchanged
/// named the DingTalk user. Organisers and admins only, as with a link; anyone else (a member,
/// someone not registered) gets [`UserError::NoConsole`], deactivated people
/// [`UserError::Deactivated`]. Audited as a console login.
pub async fn log_in_from_platform(core: &Core, platform: Platform, external_id: &str) -> Result<Session> {
    let person_id = core.store.handle(platform, external_id).await?;
    let member = core.store.member_by_person(person_id).await?.ok_or(UserError::NoConsole)?;
    require_console(&member)?;
    let session = self::token();
    core.store.open_session(&hash(&session), member.id, core.now()).await?;
    let actor = Actor::Member(Member { on_web: true, ..member.clone() });
    crate::audit::record(
        core,
        &actor,
        "web_login",
        &format!("网页：从{}工作台登录后台", platform_name(platform)),
    )
    .await?;
    tracing::info!(
        member = member.id,
        platform = platform.as_str(),
        "console session opened from the platform"
    );
    Ok(Session { token: session, member })
}

/// A platform as the audit log's detail names it.
fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::DingTalk => "钉钉",
        Platform::WeCom => "企业微信",
        Platform::Telegram => "Telegram",
        Platform::Terminal => "终端",
    }
}

/// The first admin, from the set-up form: their name, and their unit (one of the organisation's
/// units, or a first unit's name). The admin is the terminal account of that name (so
/// `sansong chat --as <name>` is them too), binds a chat account with 绑定, and is logged in.
pub async fn set_up(core: &Core, token: &str, name: &str, unit: SetupChoice) -> Result<Session> {
    let name = checked_name(name)?;
    let unit = match unit {
        SetupChoice::Unit(id) => {
            let unit: Unit = core
                .store
                .unit(id)
                .await?
                .ok_or_else(|| UserError::UnknownUnit { name: id.to_string(), candidates: Vec::new() })?;
            SetupUnit::Existing(unit.id)
        }
        SetupChoice::NewUnit(unit) => SetupUnit::New(checked_name(&unit)?),
    };
    let person_id = core.store.handle(Platform::Terminal, &name).await?;
    let session = self::token();
    match core
        .store
        .setup_first_admin(&hash(token), &name, &unit, person_id, &hash(&session), core.now())
        .await?
    {
        SetupDone::Created(member) => {
            tracing::info!(member = member.id, "first admin created on the console");
            Ok(Session { token: session, member })
        }
        SetupDone::LinkGone => Err(UserError::WebLinkGone.into()),
        SetupDone::AdminExists => Err(UserError::SetupClosed.into()),
        SetupDone::NameTaken => Err(UserError::AccountTaken.into()),
    }
}

/// The first admin's unit, as the set-up form gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupChoice {
    Unit(i64),
    NewUnit(String),
}

/// A person's or unit's name as typed: trimmed, 1 to 40 characters, one line.
pub fn checked_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    let count = trimmed.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        return Err(UserError::BadName(trimmed.chars().take(MAX_NAME_CHARS).collect()).into());
    }
    Ok(trimmed.to_owned())
}

/// The member of a live session, with the role and status they have now: `None` when the
/// session is unknown, ended or idle too long. A deactivated member's session is refused.
pub async fn session(core: &Core, token: &str) -> Result<Option<Member>> {
    let member = core.store.session_member(&hash(token), core.now(), core.config.web_session).await?;
    Ok(member.filter(|m| m.status == MemberStatus::Active))
}

/// 「退出」: ends the session.
pub async fn log_out(core: &Core, token: &str) -> Result<()> {
    core.store.end_session(&hash(token), core.now()).await?;
    Ok(())
}

/// The console is for organisers and admins; checked with the role read on this request.
pub fn require_console(member: &Member) -> Result<()> {
    if member.status == MemberStatus::Inactive {
        return Err(UserError::Deactivated.into());
    }
    require_role(member, Role::Organiser).map_err(|_| UserError::NoConsole)?;
    Ok(())
}
