//! Check-ins as the tallies and the exports read them: a member named in a tally's rows, and
//! one check-in as exported.

use chrono::{DateTime, Utc};

/// A member for tally rows and lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub id: i64,
    /// Their Telegram account, if they have one (exports and the CLI show it).
    pub telegram_id: Option<i64>,
    /// Their DingTalk account (the staff id), if they have one.
    pub dingtalk_id: Option<String>,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
}

/// One check-in as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub id: i64,
    pub member: String,
    pub telegram_id: Option<i64>,
    pub unit: String,
    pub site: Option<String>,
    pub link: Option<String>,
    pub kind: String,
    /// When it counts, when it was sent, and the day named for it (see `Checkin`).
    pub counts_at: DateTime<Utc>,
    pub logged_at: DateTime<Utc>,
    pub done_on: Option<chrono::NaiveDate>,
    pub people_served: Option<i64>,
    pub description: String,
    pub photo: bool,
    pub location: Option<(f64, f64)>,
}
