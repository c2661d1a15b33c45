//! What a button means, as one typed value: [`ButtonData`], with its one encoder and one
//! decoder. A platform carries the encoded string with the button (Telegram's `callback_data`,
//! within the bytes every platform allows, see `crate::limits`) and hands it back when the
//! button is pressed; [`super::decide`] decodes it once (a typed option's too), and the router
//! dispatches on the variant.
//!
//! The wire format is the one earlier releases wrote (`ck:…`, `nc:…`, `nm:…`, `mb:…`, `ak:…`,
//! `gx:…`, `pv`), so buttons on messages already sent keep working after an upgrade.
//!
//! ```text
//! ck:<nonce>:k:<kind> | s:<site> | d:<days ago> | dx | n | ok | x   the guided check-in
//! nc:<nonce>:<code>                               the notice composer
//! nm:p|r|c:<notice>                               pause, resume, cancel in /notices
//! mb:p[role]|d[role]|x|a:<member>                 a role change picked from a list
//! ak:<delivery>   gx:<notice>   pv                收到, 去宣讲, a preview's inert button
//! ```

use crate::domain::{LinkKind, Role};
use crate::members::Change;
use crate::notices::Management;

/// What pressing a button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonData {
    /// A step of the guided check-in started with this nonce.
    Checkin { nonce: String, action: CheckinAction },
    /// A step of the notice composer started with this nonce.
    Compose { nonce: String, action: ComposeAction },
    /// Pause, resume or cancel a notice from the `/notices` list.
    Manage { action: Management, notice_id: i64 },
    /// Apply a role or status change to the member picked from a list.
    Roles { change: Change, member_id: i64 },
    /// 「收到」 on a delivered notice (or on its reminder).
    Ack { delivery_id: i64 },
    /// 「去宣讲」 on a policy notice: a 送政策 check-in citing it.
    Spread { notice_id: i64 },
    /// A button on a composer's preview, which does nothing but say so.
    Preview,
}

/// A button of the guided check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckinAction {
    Kind(String),
    Site(i64),
    /// The work was done this many days ago (今天 0, 昨天 1, 前天 2).
    DaysAgo(u8),
    /// Another day, typed next.
    OtherDay,
    Next,
    Confirm,
    Cancel,
}

/// A button of the notice composer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeAction {
    Cancel,
    /// Everyone (an admin) or the whole unit (an organiser).
    All,
    PickUnits,
    PickLinks,
    PickRoles,
    Unit(i64),
    Link(LinkKind),
    Role(Role),
    Done,
    Now,
    ToggleAck,
    TogglePolicy,
    ToggleUrgent,
    ToggleRemind,
    Preview,
    UseCleaned,
    UseOriginal,
    Publish,
}

impl ButtonData {
    /// The string carried with the button.
    pub fn encode(&self) -> String {
        match self {
            ButtonData::Checkin { nonce, action } => {
                let action = match action {
                    CheckinAction::Kind(k) => format!("k:{k}"),
                    CheckinAction::Site(id) => format!("s:{id}"),
                    CheckinAction::DaysAgo(n) => format!("d:{n}"),
                    CheckinAction::OtherDay => "dx".into(),
                    CheckinAction::Next => "n".into(),
                    CheckinAction::Confirm => "ok".into(),
                    CheckinAction::Cancel => "x".into(),
                };
                format!("ck:{nonce}:{action}")
            }
            ButtonData::Compose { nonce, action } => format!("nc:{nonce}:{}", compose_code(*action)),
            ButtonData::Manage { action, notice_id } => {
                let code = match action {
                    Management::Pause => "p",
                    Management::Resume => "r",
                    Management::Cancel => "c",
                };
                format!("nm:{code}:{notice_id}")
            }
            ButtonData::Roles { change, member_id } => format!("mb:{}:{member_id}", change_code(*change)),
            ButtonData::Ack { delivery_id } => format!("ak:{delivery_id}"),
            ButtonData::Spread { notice_id } => format!("gx:{notice_id}"),
            ButtonData::Preview => "pv".into(),
        }
    }

    /// What a pressed button's data means, or `None` for data this bot never wrote.
    pub fn decode(data: &str) -> Option<ButtonData> {
        if data == "pv" {
            return Some(ButtonData::Preview);
        }
        let (prefix, rest) = data.split_once(':')?;
        Some(match prefix {
            "ck" => {
                let (nonce, action) = rest.split_once(':')?;
                let action = match action.split_once(':') {
                    Some(("k", key)) if !key.is_empty() => CheckinAction::Kind(key.to_owned()),
                    Some(("s", id)) => CheckinAction::Site(id.parse().ok()?),
                    Some(("d", n)) => CheckinAction::DaysAgo(n.parse().ok().filter(|n| *n <= 2)?),
                    None if action == "dx" => CheckinAction::OtherDay,
                    None if action == "n" => CheckinAction::Next,
                    None if action == "ok" => CheckinAction::Confirm,
                    None if action == "x" => CheckinAction::Cancel,
                    _ => return None,
                };
                ButtonData::Checkin { nonce: nonce.to_owned(), action }
            }
            "nc" => {
                let (nonce, code) = rest.split_once(':')?;
                ButtonData::Compose { nonce: nonce.to_owned(), action: compose_action(code)? }
            }
            "nm" => {
                let (code, id) = rest.split_once(':')?;
                let action = match code {
                    "p" => Management::Pause,
                    "r" => Management::Resume,
                    "c" => Management::Cancel,
                    _ => return None,
                };
                ButtonData::Manage { action, notice_id: id.parse().ok()? }
            }
            "mb" => {
                let (code, id) = rest.split_once(':')?;
                ButtonData::Roles { change: change_of(code)?, member_id: id.parse().ok()? }
            }
            "ak" => ButtonData::Ack { delivery_id: rest.parse().ok()? },
            "gx" => ButtonData::Spread { notice_id: rest.parse().ok()? },
            _ => return None,
        })
    }
}

fn compose_code(action: ComposeAction) -> String {
    match action {
        ComposeAction::Cancel => "x".into(),
        ComposeAction::All => "all".into(),
        ComposeAction::PickUnits => "units".into(),
        ComposeAction::PickLinks => "links".into(),
        ComposeAction::PickRoles => "roles".into(),
        ComposeAction::Unit(id) => format!("u{id}"),
        ComposeAction::Link(link) => format!("l{}", link.as_str()),
        ComposeAction::Role(role) => format!("r{}", role.as_str()),
        ComposeAction::Done => "done".into(),
        ComposeAction::Now => "now".into(),
        ComposeAction::ToggleAck => "ack".into(),
        ComposeAction::TogglePolicy => "pol".into(),
        ComposeAction::ToggleUrgent => "urg".into(),
        ComposeAction::ToggleRemind => "rem".into(),
        ComposeAction::Preview => "pre".into(),
        ComposeAction::UseCleaned => "cln".into(),
        ComposeAction::UseOriginal => "org".into(),
        ComposeAction::Publish => "ok".into(),
    }
}

fn compose_action(code: &str) -> Option<ComposeAction> {
    Some(match code {
        "x" => ComposeAction::Cancel,
        "all" => ComposeAction::All,
        "units" => ComposeAction::PickUnits,
        "links" => ComposeAction::PickLinks,
        "roles" => ComposeAction::PickRoles,
        "done" => ComposeAction::Done,
        "now" => ComposeAction::Now,
        "ack" => ComposeAction::ToggleAck,
        "pol" => ComposeAction::TogglePolicy,
        "urg" => ComposeAction::ToggleUrgent,
        "rem" => ComposeAction::ToggleRemind,
        "pre" => ComposeAction::Preview,
        "cln" => ComposeAction::UseCleaned,
        "org" => ComposeAction::UseOriginal,
        "ok" => ComposeAction::Publish,
        _ => {
            let (tag, value) = code.split_at_checked(1)?;
            match tag {
                "u" => ComposeAction::Unit(value.parse().ok()?),
                // Exact names only: the data was written by `compose_code`.
                "l" => ComposeAction::Link(LinkKind::ALL.into_iter().find(|l| l.as_str() == value)?),
                "r" => ComposeAction::Role(Role::ALL.into_iter().find(|r| r.as_str() == value)?),
                _ => return None,
            }
        }
    })
}

/// A change as written in button data: `p`/`d` with an optional role, `x`, `a`.
fn change_code(change: Change) -> String {
    match change {
        Change::Promote(r) => format!("p{}", r.map_or("", |r| r.as_str())),
        Change::Demote(r) => format!("d{}", r.map_or("", |r| r.as_str())),
        Change::Deactivate => "x".into(),
        Change::Activate => "a".into(),
    }
}

fn change_of(code: &str) -> Option<Change> {
    let role = |s: &str| if s.is_empty() { Some(None) } else { s.parse::<Role>().ok().map(Some) };
    match code.split_at_checked(1)? {
        ("p", r) => Some(Change::Promote(role(r)?)),
        ("d", r) => Some(Change::Demote(role(r)?)),
        ("x", "") => Some(Change::Deactivate),
        ("a", "") => Some(Change::Activate),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every kind of button, each with the longest values it can carry: a 24-byte kind
    /// key (the most a configured key may have), a 6-character nonce, and the largest ids.
    fn every_button() -> Vec<ButtonData> {
        let nonce = "Ab3dE6".to_owned();
        let mut all = vec![
            ButtonData::Preview,
            ButtonData::Ack { delivery_id: i64::MAX },
            ButtonData::Spread { notice_id: i64::MAX },
        ];
        for action in [
            CheckinAction::Kind("k".repeat(24)),
            CheckinAction::Site(i64::MAX),
            CheckinAction::DaysAgo(0),
            CheckinAction::DaysAgo(2),
            CheckinAction::OtherDay,
            CheckinAction::Next,
            CheckinAction::Confirm,
            CheckinAction::Cancel,
        ] {
            all.push(ButtonData::Checkin { nonce: nonce.clone(), action });
        }
        let mut compose = vec![
            ComposeAction::Cancel,
            ComposeAction::All,
            ComposeAction::PickUnits,
            ComposeAction::PickLinks,
            ComposeAction::PickRoles,
            ComposeAction::Unit(i64::MAX),
            ComposeAction::Done,
            ComposeAction::Now,
            ComposeAction::ToggleAck,
            ComposeAction::TogglePolicy,
            ComposeAction::ToggleUrgent,
            ComposeAction::ToggleRemind,
            ComposeAction::Preview,
            ComposeAction::UseCleaned,
            ComposeAction::UseOriginal,
            ComposeAction::Publish,
        ];
        compose.extend(LinkKind::ALL.map(ComposeAction::Link));
        compose.extend(Role::ALL.map(ComposeAction::Role));
        for action in compose {
            all.push(ButtonData::Compose { nonce: nonce.clone(), action });
        }
        for action in [Management::Pause, Management::Resume, Management::Cancel] {
            all.push(ButtonData::Manage { action, notice_id: i64::MAX });
        }
        let mut changes =
            vec![Change::Deactivate, Change::Activate, Change::Promote(None), Change::Demote(None)];
        changes.extend(Role::ALL.map(|r| Change::Promote(Some(r))));
        changes.extend(Role::ALL.map(|r| Change::Demote(Some(r))));
        for change in changes {
            all.push(ButtonData::Roles { change, member_id: i64::MAX });
        }
        all
    }

    #[test]
    fn every_button_fits_every_platforms_button_data_and_decodes_to_itself() {
        let max = crate::limits::button_data(&crate::platform_limits()).unwrap_or(usize::MAX);
        assert_eq!(max, 64, "Telegram's callback_data is the strictest");
        for button in every_button() {
            let data = button.encode();
            assert!(data.len() <= max, "{data:?} is {} bytes", data.len());
            assert_eq!(ButtonData::decode(&data), Some(button), "{data:?}");
        }
    }

    #[test]
    fn buttons_on_messages_sent_by_earlier_releases_still_decode() {
        assert_eq!(ButtonData::decode("ak:17"), Some(ButtonData::Ack { delivery_id: 17 }));
        assert_eq!(ButtonData::decode("gx:3"), Some(ButtonData::Spread { notice_id: 3 }));
        assert_eq!(
            ButtonData::decode("ck:abc123:k:policy"),
            Some(ButtonData::Checkin {
                nonce: "abc123".into(),
                action: CheckinAction::Kind("policy".into())
            })
        );
        assert_eq!(
            ButtonData::decode("nc:abc123:lcommunity"),
            Some(ButtonData::Compose {
                nonce: "abc123".into(),
                action: ComposeAction::Link(LinkKind::Community)
            })
        );
        assert_eq!(
            ButtonData::decode("nm:r:9"),
            Some(ButtonData::Manage { action: Management::Resume, notice_id: 9 })
        );
        assert_eq!(
            ButtonData::decode("mb:padmin:5"),
            Some(ButtonData::Roles { change: Change::Promote(Some(Role::Admin)), member_id: 5 })
        );
    }

    #[test]
    fn data_this_bot_never_wrote_decodes_to_nothing() {
        for data in [
            "",
            "ak:",
            "ak:x",
            "ck:abc",
            "ck:abc:k:",
            "ck:abc:zz",
            "nc:abc:frob",
            "nm:q:1",
            "mb:z:1",
            "zz:1",
            "pv:1",
        ] {
            assert_eq!(ButtonData::decode(data), None, "{data:?}");
        }
    }
}
