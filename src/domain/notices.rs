//! Notices as the store keeps and reports them: a notice to insert, with its audience and
//! schedule already written as the core writes them, and a run's receipts.

use chrono::{DateTime, Utc};

use super::Platform;

/// A notice to insert (its audience and schedule as JSON, made by the core).
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub created_by: String,
    pub creator_member_id: Option<i64>,
    pub body: String,
    pub media_kind: Option<String>,
    pub media_file_id: Option<String>,
    pub media_name: Option<String>,
    pub media_bytes: Option<Vec<u8>>,
    pub audience: String,
    pub schedule: String,
    pub next_fire_at: Option<DateTime<Utc>>,
    pub ack_required: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind_after_secs: Option<i64>,
    pub source_key: Option<String>,
}

/// A run's numbers and names, for `/receipts` and `sansong notice status`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub run_id: i64,
    pub notice_id: i64,
    pub due_at: Option<DateTime<Utc>>,
    pub fired_at: Option<DateTime<Utc>>,
    pub targeted: i64,
    pub sent: i64,
    pub pending: i64,
    pub acknowledged: i64,
    pub reminded: i64,
    /// (name, unit, reason, the platform it failed on)
    pub failed: Vec<(String, String, String, Platform)>,
    /// (name, unit, the platform that refused them)
    pub blocked: Vec<(String, String, Platform)>,
    /// (name, unit) of delivered but not acknowledged, by unit then name.
    pub not_acknowledged: Vec<(String, String)>,
    /// When the run's last delivery went out.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// How long a platform outage held the run up (filled in by the core).
    pub outage_delay: Option<chrono::Duration>,
    /// The platforms whose outages those were.
    pub outage_platforms: Vec<Platform>,
    /// Members who checked in a 送政策 citing this notice, and the sites they went to.
    pub onward_members: i64,
    pub onward_sites: Vec<String>,
}

/// One unit's part of a run: how many of its members the notice reached, and what they did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitReceipts {
    pub unit_id: i64,
    pub unit: String,
    pub targeted: i64,
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
    pub blocked: i64,
    pub acknowledged: i64,
    /// Members who checked in a 送政策 citing the notice.
    pub spread: i64,
}
