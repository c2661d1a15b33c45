//! The two kinds of failure. A [`UserError`] is something the person can fix and becomes a
//! polite reply (see `texts::errors::user_error`, at the edge); anything else is internal: logged with
//! context and answered with a generic apology.

use crate::domain::Role;
use crate::week::WeekError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("not registered")]
    NotRegistered,
    #[error("account deactivated")]
    Deactivated,
    #[error("unknown invite code")]
    InviteUnknown,
    #[error("invite expired")]
    InviteExpired,
    /// An invite the console names that does not exist, or not within the caller's reach.
    /// A notice changed (it fired, or someone else acted) between reading and changing it.
    #[error("notice {0} changed meanwhile")]
    NoticeChanged(i64),
    /// 「提醒」 on a notice that does not ask for 「收到」.
    #[error("notice {0} asks for no acknowledgement")]
    NoAckAsked(i64),
    #[error("no such invite")]
    NoSuchInvite,
    #[error("invite used up")]
    InviteUsedUp,
    /// A binding code that does not exist, has been used, or has expired.
    #[error("unknown or used binding code")]
    LinkCodeUnknown,
    /// The account sending the code already belongs to another member.
    #[error("account belongs to another member")]
    AccountTaken,
    /// The member already has an account on this platform.
    #[error("member already has an account on {0}")]
    PlatformAlreadyLinked(crate::domain::Platform),
    #[error("needs role {needed}")]
    Forbidden { needed: Role },
    #[error("organisers may only act for their own unit")]
    OtherUnit,
    #[error("organisers may only invite members")]
    InviteRoleTooHigh,
    #[error("unknown unit {name:?}")]
    UnknownUnit { name: String, candidates: Vec<String> },
    #[error("check-ins only in a private chat")]
    PrivateOnly,
    #[error("check-in text is empty")]
    EmptyCheckin,
    #[error("unknown kind {0:?}")]
    UnknownKind(String),
    #[error("check-in has no description")]
    MissingDescription,
    #[error("description too long ({0} characters)")]
    DescriptionTooLong(usize),
    #[error("no site {name:?} in the unit")]
    UnknownSite { name: String, choices: Vec<String> },
    #[error("site {name:?} is ambiguous")]
    AmbiguousSite { name: String, choices: Vec<String> },
    #[error("the unit has several sites; one must be named")]
    SiteRequired { choices: Vec<String> },
    #[error("no such day {0:?}")]
    NoSuchDay(String),
    /// A day named for the work that is in the future or further back than allowed.
    #[error("day {written:?} is outside {earliest}..={latest}")]
    DayOutOfRange { written: String, earliest: chrono::NaiveDate, latest: chrono::NaiveDate },
    /// A day named for the work while back-dating is off (`backdate_days = 0`).
    #[error("back-dating is off ({0:?})")]
    BackdatingOff(String),
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("check-in {0} is too old to undo")]
    UndoTooOld(i64),
    /// Someone else's check-in, or none at all: the same answer, so ids cannot be probed.
    #[error("no check-in {0} of this member")]
    NotYourCheckin(i64),
    #[error("check-in {0} was already undone")]
    AlreadyUndone(i64),
    #[error(transparent)]
    Week(#[from] WeekError),
    #[error("the notice has no text")]
    EmptyNotice,
    /// A notice's picture or file could not be fetched from its platform (to pass on).
    #[error("the notice's file could not be fetched")]
    MediaUnavailable,
    #[error("notice of {length} characters over the limit of {limit}")]
    NoticeTooLong { platform: crate::domain::Platform, limit: usize, length: usize, caption: bool },
    #[error("no audience chosen")]
    EmptyAudience,
    #[error(transparent)]
    BadSchedule(#[from] crate::schedule::ScheduleError),
    #[error("no notice {0} for this person")]
    NoSuchNotice(i64),
    #[error("notice {0} is cancelled or finished")]
    NoticeClosed(i64),
    #[error("no member {0:?}")]
    NoSuchMember(String),
    #[error("one cannot change one's own role or status")]
    NotYourself,
    #[error("{name} is already {role}")]
    RoleUnchanged { name: String, role: Role },
    #[error("{name} is already active={active}")]
    StatusUnchanged { name: String, active: bool },
    #[error("{records} records do not fit in one spreadsheet")]
    ExportTooLarge { records: usize },
    #[error("a range of more than {days} days")]
    RangeTooLong { days: i64 },
    /// A console login or set-up link that was spent, has expired, or never existed.
    #[error("the console link was spent or has expired")]
    WebLinkGone,
    /// The first admin exists: the set-up link has done its work.
    #[error("the first admin exists already")]
    SetupClosed,
    /// Members have no console (it is for organisers and admins).
    #[error("members have no console")]
    NoConsole,
    /// An API token the console names that does not exist.
    #[error("no such API token")]
    NoSuchApiToken,
    /// A console form without its one-time key (an old page, a hand-made request).
    #[error("the form has no valid one-time key")]
    StaleForm,
    /// A backup asked for on the console could not be written (the folder, the disk).
    #[error("the backup failed: {0}")]
    BackupFailed(String),
    /// A name given where a person's or unit's name is wanted that cannot be one.
    #[error("{0:?} is not a usable name")]
    BadName(String),
    /// Several members of that name: the operator must tell which.
    #[error("several members are called {name:?}")]
    SeveralMembers { name: String, units: Vec<String> },
    /// Another unit has (in folded form) the name asked for.
    #[error("a unit is called {0:?} already")]
    UnitNameTaken(String),
    /// Another site of the unit has (in folded form) the name asked for.
    #[error("unit {unit:?} has a site called {site:?} already")]
    SiteNameTaken { unit: String, site: String },
    /// A unit or site the console names by id that does not exist.
    #[error("no unit #{0}")]
    NoSuchUnit(i64),
    #[error("no site #{0}")]
    NoSuchSite(i64),
    /// An archived site cannot be a unit's default.
    #[error("site {0:?} is archived")]
    SiteArchived(String),
    /// A link kind that is none of the four.
    #[error("unknown link kind {0:?}")]
    UnknownLinkKind(String),
    /// What the console's form gives as DingTalk departments is not a list of department ids.
    #[error("{0:?} is not a list of DingTalk department ids")]
    BadDepartments(String),
    /// A DingTalk department that belongs to another unit already.
    #[error("department {department} belongs to unit {unit:?}")]
    DepartmentTaken { department: i64, unit: String },
    #[error("bad argument {given:?} for {usage:?}")]
    BadArgument { given: String, usage: Usage },
}

/// Which command's arguments were wrong, so the reply can show the right form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Undo,
    Invite,
    InviteUses,
    InviteExpiry,
    Receipts,
    Tally,
    Missing,
    Export,
    Remind,
    Roles,
}

impl UserError {
    pub fn bad_argument(given: &str, usage: Usage) -> UserError {
        UserError::BadArgument { given: given.trim().chars().take(40).collect(), usage }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A failure that may well not happen again (the database busy or briefly unreachable):
    /// worth handling the same update again before apologising.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Db(e) => is_transient_db(e),
            Error::Internal(e) => e.downcast_ref::<sqlx::Error>().is_some_and(is_transient_db),
            Error::User(_) => false,
        }
    }
}

fn is_transient_db(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => true,
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
        sqlx::Error::Database(db) => {
            db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6))
        }
        _ => false,
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::str::FromStr;
    use std::time::Duration;

    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};

    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn a_busy_database_is_transient_and_a_user_mistake_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("busy.db").display());
        let store = Store::open(&url).await.unwrap();
        let mut holder = store.pool().acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *holder).await.unwrap();
        let mut impatient = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .busy_timeout(Duration::ZERO)
            .connect()
            .await
            .unwrap();

        let busy = sqlx::query("INSERT INTO meta (key, value) VALUES ('k', 'v')")
            .execute(&mut impatient)
            .await
            .unwrap_err();

        assert!(Error::from(busy).is_transient());
        assert!(!Error::from(UserError::NothingToUndo).is_transient());
        let missing_table =
            sqlx::query("SELECT * FROM no_such_table").execute(&mut impatient).await.unwrap_err();
        assert!(!Error::from(missing_table).is_transient());
        impatient.close().await.unwrap();
    }
}
