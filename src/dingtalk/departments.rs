//! 按部门加入, DingTalk's side: before a message of someone who is not yet a member reaches the
//! chat, their departments are looked up in the organisation's address book, and the core
//! decides whether they belong to exactly one unit (then they join it, and are greeted before
//! their message is answered).
//!
//! - Only in a private chat, only while some unit has departments (else nobody is looked up),
//!   and never for a message that brings its own way in (`加入 <code>`, `绑定 <code>`).
//! - A person's departments are kept a day ([`KEPT`]), so a busy first morning is not one
//!   lookup a message; what DingTalk cannot tell (the app lacks the permission, the person is
//!   outside the app's 通讯录授权范围 or unknown) is kept too, shorter when it may be fixed.
//! - A lookup that fails in passing (the network, DingTalk busy, flow control) is tried again
//!   with backoff, the message waiting in the inbox meanwhile (and after a restart): it is
//!   handled once the lookup succeeds or is known to be impossible, never lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api::{Api, ApiError, codes};
use crate::chat::{Content, Incoming, Reply};
use crate::core::Core;
use crate::members::{self, DepartmentJoin};
use crate::texts;

/// How long a person's departments are kept.
pub const KEPT: Duration = Duration::from_secs(24 * 3600);

/// How long "the app may not look" is kept: an admin who grants the permission should not wait
/// a day to see it work.
const NOT_ALLOWED_KEPT: Duration = Duration::from_secs(600);

/// The longest wait between two tries of a lookup that keeps failing in passing.
const MOST_BACKOFF: Duration = Duration::from_secs(60);

/// People looked up at most: beyond, the oldest are forgotten (a day's newcomers fit).
const MOST_KEPT: usize = 10_000;

/// What DingTalk said of a person's departments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    /// Their departments, each followed by those above it.
    Chains(Vec<Vec<i64>>),
    /// DingTalk will not say: the app lacks the permission.
    NotAllowed,
    /// DingTalk does not know them, or they are outside the app's 通讯录授权范围.
    Nobody,
}

/// The departments looked up, by staff id.
#[derive(Default)]
pub struct Lookups {
    kept: Mutex<HashMap<String, (Instant, Known)>>,
}

/// The shutdown came while a lookup waited: the message stays in the inbox for the next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl Lookups {
    fn kept(&self, staff: &str) -> Option<Known> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let (at, known) = kept.get(staff)?;
        let keep = if *known == Known::NotAllowed { NOT_ALLOWED_KEPT } else { KEPT };
        (at.elapsed() < keep).then(|| known.clone())
    }

    fn keep(&self, staff: &str, known: Known) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= MOST_KEPT {
            kept.retain(|_, (at, _)| at.elapsed() < NOT_ALLOWED_KEPT);
            if kept.len() >= MOST_KEPT {
                kept.clear();
            }
        }
        kept.insert(staff.to_owned(), (Instant::now(), known));
    }

    /// A person's departments: kept, or looked up until DingTalk answers (success, or what it
    /// cannot tell). `Err(Stopped)` when shutdown came first.
    async fn look_up(&self, api: &Api, staff: &str, shutdown: &CancellationToken) -> Result<Known, Stopped> {
        if let Some(known) = self.kept(staff) {
            return Ok(known);
        }
        let mut wait = Duration::from_secs(1);
        loop {
            let known = match api.department_chains(staff).await {
                Ok(chains) => Some(Known::Chains(chains)),
                Err(e) => match e.code() {
                    Some(codes::NO_PERMISSION) => {
                        tracing::warn!(
                            "DingTalk: the app may not read the address book's departments or members (通讯录部门信息读权限 / 成员信息读权限); joining by department is off until it may"
                        );
                        Some(Known::NotAllowed)
                    }
                    Some(
                        codes::USER_NOT_FOUND
                        | codes::INVALID_USER
                        | codes::USER_OUT_OF_SCOPE
                        | codes::DEPARTMENT_OUT_OF_SCOPE,
                    ) => Some(Known::Nobody),
                    // Refused credentials (a rotated secret) are the platform's trouble, held
                    // like an outage until they work again.
                    _ if e.is_passing() || matches!(e, ApiError::Credentials(_)) => {
                        tracing::warn!(error = %e, retry_in_s = wait.as_secs(), "DingTalk department lookup failed; the message waits");
                        None
                    }
                    _ => {
                        // A refusal the bot does not know: trying again would not change it.
                        tracing::warn!(error = %e, "DingTalk refused a department lookup; taken as no department");
                        Some(Known::Nobody)
                    }
                },
            };
            if let Some(known) = known {
                self.keep(staff, known.clone());
                return Ok(known);
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => return Err(Stopped),
            }
            wait = (wait * 2).min(MOST_BACKOFF);
        }
    }
}

/// The greeting for someone who joined by department just now, sent before their message is
/// answered; `None` when the message goes to the chat as it is (a member already, a way in of
/// their own, no unit or several). `Err(Stopped)`: leave the message in the inbox.
pub async fn join_first(
    core: &Core,
    api: &Api,
    lookups: &Lookups,
    incoming: &Incoming,
    staff: &str,
    shutdown: &CancellationToken,
) -> Result<Option<Reply>, Stopped> {
    if !incoming.chat.private {
        return Ok(None);
    }
    let own_way_in = match &incoming.content {
        Content::Text(t) => members::asks_to_join_or_bind(t),
        _ => false,
    };
    if own_way_in {
        return Ok(None);
    }
    let mut wait = Duration::from_millis(200);
    loop {
        match try_join(core, api, lookups, incoming, staff, shutdown).await {
            Ok(greeting) => return Ok(greeting),
            Err(Failed::Stopped) => return Err(Stopped),
            Err(Failed::Core(e)) if e.is_transient() && wait < MOST_BACKOFF => {
                tracing::warn!(error = %e, "joining by department: the database is busy; trying again");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => return Err(Stopped),
                }
                wait *= 2;
            }
            Err(Failed::Core(e)) => {
                // The chat will meet the same trouble and say sorry; the message is not lost.
                tracing::error!(error = %e, "joining by department failed");
                return Ok(None);
            }
        }
    }
}

enum Failed {
    Stopped,
    Core(crate::Error),
}

impl From<crate::Error> for Failed {
    fn from(e: crate::Error) -> Failed {
        Failed::Core(e)
    }
}

async fn try_join(
    core: &Core,
    api: &Api,
    lookups: &Lookups,
    incoming: &Incoming,
    staff: &str,
    shutdown: &CancellationToken,
) -> Result<Option<Reply>, Failed> {
    if members::member_of(core, incoming.from.account.person_id).await?.is_some()
        || !members::departments_in_use(core).await?
    {
        return Ok(None);
    }
    let chains = match lookups.look_up(api, staff, shutdown).await.map_err(|Stopped| Failed::Stopped)? {
        Known::Chains(chains) => chains,
        Known::NotAllowed | Known::Nobody => Vec::new(),
    };
    match members::join_by_department(core, &incoming.from, &chains).await? {
        DepartmentJoin::Joined(m) => {
            let sites = crate::org::sites_of(core, m.unit_id).await.map_err(crate::Error::from)?;
            let names: Vec<texts::members::CommandName> = crate::chat::command::commands_for(m.role)
                .map(|c| texts::members::CommandName { name: c.name, word: c.word })
                .collect();
            Ok(Some(Reply::send(texts::dingtalk::joined_by_department(&m, &sites, &names, core.kinds()))))
        }
        DepartmentJoin::SeveralUnits(units) => {
            // Told, as anyone not registered, to ask for an invite: which unit is theirs is
            // for an organiser to say.
            tracing::info!(?units, "a DingTalk user's departments belong to several units; not joined");
            Ok(None)
        }
        DepartmentJoin::AlreadyMember(_) | DepartmentJoin::NoUnit => Ok(None),
    }
}

/// The most departments `sansong org dingtalk` lists (each costs a call or two).
pub const MOST_LISTED: usize = 3000;

/// The address book's departments that the app may see, as a tree in reading order (a
/// department, then those under it), with how many people are directly in each: for
/// `sansong org dingtalk`. `true` with it when there were more than [`MOST_LISTED`].
pub async fn tree(api: &Api) -> Result<(Vec<texts::dingtalk::DepartmentLine>, bool), ApiError> {
    // The root's name; an app whose scope leaves the root out still lists what is under it.
    let root = match with_patience(|| api.department(1)).await {
        Ok(d) => Some(d),
        Err(e) if e.code() == Some(codes::NO_PERMISSION) => return Err(e),
        Err(_) => None,
    };
    let mut lines = Vec::new();
    let mut stack: Vec<(i64, String, usize)> = match root {
        Some(d) => vec![(d.id, d.name, 0)],
        None => with_patience(|| api.sub_departments(1))
            .await?
            .into_iter()
            .rev()
            .map(|d| (d.id, d.name, 0))
            .collect(),
    };
    while let Some((id, name, depth)) = stack.pop() {
        if lines.len() >= MOST_LISTED {
            return Ok((lines, true));
        }
        let members = with_patience(|| api.department_member_count(id)).await.ok();
        lines.push(texts::dingtalk::DepartmentLine { id, name, depth, members });
        let children = match with_patience(|| api.sub_departments(id)).await {
            Ok(children) => children,
            Err(e) if e.code() == Some(codes::NO_PERMISSION) => return Err(e),
            // A department the app may not look into: listed, its inside not.
            Err(_) => Vec::new(),
        };
        stack.extend(children.into_iter().rev().map(|d| (d.id, d.name, depth + 1)));
    }
    Ok((lines, false))
}

/// A call tried again while DingTalk's flow control or a passing failure says wait (a few
/// times, for a command someone is watching).
async fn with_patience<T, F, Fut>(call: F) -> Result<T, ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut tries = 0;
    loop {
        match call().await {
            Err(ApiError::Throttled(wait)) if tries < 5 => tokio::time::sleep(wait).await,
            Err(ApiError::Transient(_)) if tries < 2 => tokio::time::sleep(Duration::from_secs(1)).await,
            other => return other,
        }
        tries += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_kept_is_forgotten_after_its_time_and_a_missing_permission_sooner() {
        let lookups = Lookups::default();
        lookups.keep("a", Known::Chains(vec![vec![12, 1]]));
        lookups.keep("b", Known::NotAllowed);
        assert_eq!(lookups.kept("a"), Some(Known::Chains(vec![vec![12, 1]])));
        assert_eq!(lookups.kept("b"), Some(Known::NotAllowed));
        assert_eq!(lookups.kept("c"), None);
        let long_ago = Instant::now().checked_sub(NOT_ALLOWED_KEPT + Duration::from_secs(1));
        if let Some(then) = long_ago {
            lookups.kept.lock().unwrap().get_mut("b").unwrap().0 = then;
            lookups.kept.lock().unwrap().get_mut("a").unwrap().0 = then;
            assert_eq!(lookups.kept("b"), None, "asked again after ten minutes");
            assert!(lookups.kept("a").is_some(), "departments are kept a day");
        }
    }
}
