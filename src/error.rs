//! The two kinds of failure. A [`UserError`] is something the person can fix and becomes a
//! polite reply (see [`crate::texts::user_error`]); anything else is internal: logged with
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
    #[error("invite used up")]
    InviteUsedUp,
    #[error("needs role {needed}")]
    Forbidden { needed: Role },
    #[error("organisers may only act for their own unit")]
    OtherUnit,
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
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
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("check-in {0} is too old to undo")]
    UndoTooOld(i64),
    #[error("check-in {0} belongs to someone else")]
    UndoNotYours(i64),
    #[error("check-in {0} was already undone")]
    AlreadyUndone(i64),
    #[error("no check-in {0}")]
    NoSuchCheckin(i64),
    #[error(transparent)]
    Week(#[from] WeekError),
    #[error("bad argument {0:?}")]
    BadArgument(String),
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
