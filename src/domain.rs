//! Small value types shared by every layer: roles, link kinds, the people the bot talks to;
//! and the records the store returns and the edges render (`texts`, `reports`, the console)
//! without knowing the store: the organisation as loaded ([`org`]), notices to insert and a
//! run's receipts ([`notices`]), tally and export rows ([`tally`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::normalize::fold;

pub mod notices;
pub mod org;
pub mod tally;

pub use notices::{NewNotice, RunReport, UnitReceipts};
pub use org::{DepartmentChange, OrgLoadReport, SiteChange, SitePlan, SiteState, UnitDepartments};
pub use tally::{ExportRow, MemberRef};

/// What a person may do. Ordered: an admin may do everything an organiser may, and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Organiser,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Organiser, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Organiser => "organiser",
            Role::Admin => "admin",
        }
    }

    /// Whether someone with this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    /// English or Chinese, any case, Simplified or Traditional.
    fn from_str(s: &str) -> Result<Self, ()> {
        match fold(s.trim()).as_str() {
            "member" | "党员" | "成员" => Ok(Role::Member),
            "organiser" | "organizer" | "组织员" | "组织者" => Ok(Role::Organiser),
            "admin" | "管理员" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

/// The four "links" of the campaign: which kind of place a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Village,
    Community,
    Enterprise,
    Chamber,
}

impl LinkKind {
    pub const ALL: [LinkKind; 4] =
        [LinkKind::Village, LinkKind::Community, LinkKind::Enterprise, LinkKind::Chamber];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Village => "village",
            LinkKind::Community => "community",
            LinkKind::Enterprise => "enterprise",
            LinkKind::Chamber => "chamber",
        }
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match fold(s.trim()).as_str() {
            "village" | "联乡村" | "乡村" | "村" => Ok(LinkKind::Village),
            "community" | "联社区" | "社区" => Ok(LinkKind::Community),
            "enterprise" | "联企业" | "企业" => Ok(LinkKind::Enterprise),
            "chamber" | "联商会" | "商会" => Ok(LinkKind::Chamber),
            _ => Err(()),
        }
    }
}

/// Whether a member receives notices and reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    Active,
    Inactive,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Inactive => "inactive",
        }
    }
}

impl FromStr for MemberStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "active" => Ok(MemberStatus::Active),
            "inactive" => Ok(MemberStatus::Inactive),
            _ => Err(()),
        }
    }
}

/// A messaging platform sansong talks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Platform {
    #[serde(rename = "telegram")]
    Telegram,
    #[serde(rename = "dingtalk")]
    DingTalk,
    /// WeCom (企业微信, and 政务微信 built on it): the 智能机器人's long connection.
    #[serde(rename = "wecom")]
    WeCom,
    /// `sansong chat`: a person at the terminal.
    #[serde(rename = "terminal")]
    Terminal,
}

impl Platform {
    pub const ALL: [Platform; 4] =
        [Platform::Telegram, Platform::DingTalk, Platform::WeCom, Platform::Terminal];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::DingTalk => "dingtalk",
            Platform::WeCom => "wecom",
            Platform::Terminal => "terminal",
        }
    }

    /// In audit labels and `created_by` (`tg:42` as before this type existed).
    pub fn short(self) -> &'static str {
        match self {
            Platform::Telegram => "tg",
            Platform::DingTalk => "dt",
            Platform::WeCom => "wc",
            Platform::Terminal => "term",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s).ok_or(())
    }
}

/// Someone's account on a platform. `person_id` is the core's id for them, unique across
/// platforms: Telegram's own user id, or a handle for another platform's string id (see
/// migration 10). In a private chat it is also the chat's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Account {
    pub platform: Platform,
    pub person_id: i64,
}

impl Account {
    /// `tg:42`: how audit lines and records name who acted.
    pub fn label(self) -> String {
        format!("{}:{}", self.platform.short(), self.person_id)
    }
}

/// A person as the chat platform knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub account: Account,
    pub name: String,
    pub username: Option<String>,
}

// ---------------------------------------------------------------- the things the bot keeps

/// How a tally groups check-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Unit,
    Member,
    Site,
    Link,
}

impl Grouping {
    /// Its name in scripts and file names: `unit`, `member`, `site`, `link`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Unit => "unit",
            Grouping::Member => "member",
            Grouping::Site => "site",
            Grouping::Link => "link",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    /// Where the member is reached: the account they last wrote from.
    pub account: Account,
    pub name: String,
    pub username: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    pub role: Role,
    pub status: MemberStatus,
    pub reminders: bool,
    pub registered_at: DateTime<Utc>,
    /// Telegram refused to deliver to them (403): notices skip them until they write again.
    pub unreachable: bool,
    /// Acting from the web console (the audit log says "网页").
    pub on_web: bool,
}

/// A member with the time of their latest counted check-in, for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberListing {
    pub member: Member,
    pub last_checkin_at: Option<DateTime<Utc>>,
    /// Every account of theirs: Telegram's user id, DingTalk's staff id.
    pub telegram_id: Option<i64>,
    pub dingtalk_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub link: LinkKind,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkin {
    pub id: i64,
    pub member_id: i64,
    pub unit_id: i64,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub kind: String,
    pub description: String,
    pub people_served: Option<u32>,
    pub photo_file_id: Option<String>,
    pub location: Option<(f64, f64)>,
    /// When the work counts: the moment the member sent it, or noon of the day they named.
    pub counts_at: DateTime<Utc>,
    /// When the member sent it.
    pub logged_at: DateTime<Utc>,
    /// The day the member named for the work (`昨天`, `周五`, `11月28日`), if they named one.
    pub done_on: Option<NaiveDate>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Checkin {
    /// Logged on a later day than the work it records (补登).
    pub fn is_backdated(&self, tz: chrono_tz::Tz) -> bool {
        self.done_on.is_some_and(|d| d < self.logged_at.with_timezone(&tz).date_naive())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub id: i64,
    pub code: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub role: Role,
    pub max_uses: u32,
    pub uses: u32,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_so_higher_roles_allow_lower_ones() {
        assert!(Role::Admin.allows(Role::Organiser));
        assert!(Role::Organiser.allows(Role::Member));
        assert!(!Role::Member.allows(Role::Organiser));
        assert!(!Role::Organiser.allows(Role::Admin));
    }

    #[test]
    fn link_kinds_parse_from_english_and_chinese_in_either_script() {
        assert_eq!("village".parse(), Ok(LinkKind::Village));
        assert_eq!("联社区".parse(), Ok(LinkKind::Community));
        assert_eq!("聯商會".parse(), Ok(LinkKind::Chamber));
        assert_eq!("企业".parse(), Ok(LinkKind::Enterprise));
        assert_eq!("school".parse::<LinkKind>(), Err(()));
    }

    #[test]
    fn roles_parse_from_english_and_chinese() {
        assert_eq!("Organizer".parse(), Ok(Role::Organiser));
        assert_eq!("管理員".parse(), Ok(Role::Admin));
        assert_eq!("boss".parse::<Role>(), Err(()));
    }
}
