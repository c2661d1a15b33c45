//! The outbox sender: works through pending deliveries, oldest first, within Telegram's limits.
//!
//! - Global pace: evenly spaced sends (no bursts), slightly under the rate of the moment so
//!   jitter cannot push a one-second window over it. The rate starts at `broadcast_rate` and is
//!   then what the platform's refusals teach ([`super::pace`]): lower after a 429, climbing back
//!   while sends succeed, never above the configured rate; kept for the next notice.
//! - Per chat: one message a second to a private chat, one every three seconds to a group
//!   (20 a minute).
//! - A 429 pauses *all* sending for its `retry_after`, then resumes; the delivery is not charged.
//! - An outage is the platform's failure, not each member's: when sends to
//!   `outage_after_failures` different members fail in a row (5xx, timeouts, no connection),
//!   sending stops and the platform is probed ([`Messenger::probe`]) with doubling waits up to
//!   30 s; sending resumes when it answers. Deliveries held meanwhile spend none of their tries.
//! - Otherwise a network error or 5xx is retried with doubling waits (up to five minutes), and
//!   the delivery is marked failed with the reason only once `delivery_give_up_hours` have
//!   passed since it was due. A 403 marks it blocked and the member unreachable, never retried.
//!   Any other refusal (400: chat not found) fails it at once with the reason.
//! - Each delivery is marked sent as soon as its send returns, so after a crash only the sends
//!   in flight at that instant can go out twice. Deliveries are read in pages, never all at once.
//!
//! Replies to people chatting with the bot do not pass through here, so they never wait
//! behind a broadcast.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::MediaKind;
use super::pace::Adaptive;
use crate::core::Core;
use crate::domain::Platform;
use crate::metrics::Metrics;
use crate::store::OutboxItem;

/// One message to send, as data: the platform renders it (the reminder's wording, the
/// buttons' labels and data) and splits a text over its limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The notice this is a delivery (or reminder) of.
    pub notice_id: i64,
    /// The notice's text (or caption).
    pub text: String,
    /// A reminder of the notice rather than the notice itself.
    pub reminder: bool,
    pub media: Option<OutMedia>,
    /// What the member can do with it: one button each, in this order.
    pub actions: Vec<NoticeAction>,
}

/// A button on a delivered notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAction {
    /// 「收到」, for this delivery of this notice.
    Acknowledge { delivery_id: i64, notice_id: i64 },
    /// 「去宣讲」, for this policy notice.
    Spread { notice_id: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutMedia {
    FileId { kind: MediaKind, file_id: String },
    Upload { kind: MediaKind, name: String, bytes: Arc<Vec<u8>> },
}

/// What the messaging platform said.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// Sent; `file_id` is the platform's id for uploaded media, to reuse.
    Sent { message_id: i64, file_id: Option<String> },
    /// Flood control: wait this long before sending anything.
    RetryAfter(Duration),
    /// A limit of the platform's own is reached for this delivery (WeCom's 30 messages a minute
    /// per conversation, or 30 uploads a minute per bot): it waits this long, for the reason
    /// given; nothing else is held up, no try is spent.
    Later(Duration, &'static str),
    /// The person blocked the bot or their account is gone (403).
    Blocked(String),
    /// Might work later (network error, 5xx).
    Transient(String),
    /// Will not work (400 and the like).
    Permanent(String),
}

/// Sends messages. The Telegram implementation lives in `telegram::api`; the core does not know it.
pub trait Messenger: Send + Sync + 'static {
    fn send<'a>(&'a self, chat_id: i64, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome>;

    /// Whether the platform answers at all, as cheaply as it allows (Telegram: `getMe`).
    fn probe(&self) -> BoxFuture<'_, bool>;

    /// The platform it sends on: the sender takes that platform's deliveries only.
    fn platform(&self) -> Platform;

    /// Whether it sends a notice's file again by the id it gave the first upload (Telegram's
    /// `file_id`, kept with the notice). Otherwise it is handed the file's bytes each time and
    /// keeps what it needs itself.
    fn reuses_file_ids(&self) -> bool {
        false
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SenderSettings {
    /// Messages per second; 0 means no limit.
    pub rate: f64,
    pub concurrency: usize,
    pub retry_base: Duration,
    pub give_up: chrono::Duration,
    pub outage_after: usize,
    pub probe_base: Duration,
}

impl SenderSettings {
    /// Telegram's: `broadcast_rate`.
    pub fn from_config(config: &crate::config::Config) -> Self {
        SenderSettings::at_rate(config, config.broadcast_rate)
    }

    /// At `rate` messages a second (0: no limit), the rest from the config.
    pub fn at_rate(config: &crate::config::Config, rate: f64) -> Self {
        SenderSettings {
            rate,
            // Enough sends in flight to keep the pace over a network with a round trip of up to
            // 300 ms (at 1,000/s, 32 in flight would cap it at 210/s over 150 ms), few enough
            // that a 429 finds little already under way. The pace, not this, spaces the sends.
            concurrency: if rate <= 0.0 {
                32
            } else {
                (rate * ROUND_TRIP_COVERED).ceil().clamp(2.0, 512.0) as usize
            },
            retry_base: config.delivery_retry,
            give_up: config.delivery_give_up,
            outage_after: config.outage_after_failures.max(1) as usize,
            probe_base: config.outage_probe,
        }
    }
}

/// The longest round trip to the platform the sends in flight keep the pace over, in seconds.
const ROUND_TRIP_COVERED: f64 = 0.3;

/// How far behind its schedule the pace may catch up (see [`Pace::wait`]).
const CATCH_UP: Duration = Duration::from_millis(10);

/// How long a page of deliveries is trusted: a delivery read longer ago is looked up again
/// right before it is sent, since its notice may have been cancelled meanwhile (a 429 pause, a
/// slow pace). Within it, the lookup would cost a database round trip per send for nothing.
const PAGE_FRESH: Duration = Duration::from_millis(500);

/// Keeps sends evenly apart at the rate of the moment, with no catching up after a pause.
struct Pace {
    next: Instant,
}

impl Pace {
    fn new() -> Self {
        Pace { next: Instant::now() }
    }

    /// Waits for the next send's slot at `rate` sends a second (0: no waiting).
    async fn wait(&mut self, rate: f64) {
        // Exactly the rate: the margins under the platform's limit are the pace's own (see
        // `pace::Adaptive`), not added again here.
        let interval = (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate));
        if let Some(interval) = interval {
            let now = Instant::now();
            // A timer wakes up to a millisecond late, which at 1,000/s is a whole interval: a
            // send that is behind its slot by less than `CATCH_UP` keeps the schedule (the
            // next leaves at once), so lateness does not add up. Further behind (after an idle
            // spell or a pause) the schedule starts afresh, with no burst. Any one-second window
            // then holds at most (1 s + CATCH_UP) / interval sends, still under the rate.
            let slot = if self.next + CATCH_UP >= now { self.next } else { now };
            if slot > now {
                tokio::time::sleep_until(slot).await;
            }
            self.next = slot + interval;
        }
    }
}

#[derive(Default)]
struct Shared {
    paused_until: Option<Instant>,
    /// The pace learned from the platform's refusals (none without a rate: no pacing).
    adaptive: Option<Adaptive>,
    in_flight: HashSet<i64>,
    /// Notices whose file is being uploaded by one delivery; the others wait for its file_id.
    uploading: HashSet<i64>,
    file_ids: HashMap<i64, String>,
    /// When each chat was last sent to: set as a send starts, and again when it returns, so the
    /// next one to that chat leaves a full gap after the previous one reached Telegram.
    last_sent: HashMap<i64, Instant>,
    /// The members whose sends failed (transiently) since the last one that went through.
    failing: Vec<i64>,
    /// Set while the platform is down.
    down: Option<Down>,
}

/// The platform does not answer: when to ask it again, and the outage's record.
struct Down {
    next_probe: Instant,
    wait: Duration,
    outage_id: Option<i64>,
}

/// The longest wait between two tries of one delivery, and between two probes.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);
const MAX_PROBE_WAIT: Duration = Duration::from_secs(30);

type SharedState = Arc<Mutex<Shared>>;

fn lock(state: &SharedState) -> std::sync::MutexGuard<'_, Shared> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn chat_gap(chat_id: i64) -> Duration {
    if chat_id < 0 { Duration::from_secs(3) } else { Duration::from_secs(1) }
}

/// The sender job.
pub async fn run(
    core: Core,
    messenger: Arc<dyn Messenger>,
    settings: SenderSettings,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let state: SharedState = Arc::default();
    let semaphore = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let mut pace = Pace::new();
    if settings.rate > 0.0 {
        // The configured rate is where the pace starts; the platform's refusals teach it the
        // real one (see `pace`), kept for as long as the sender runs: the next notice starts
        // from what this one learned.
        lock(&state).adaptive = Some(Adaptive::new(settings.rate, Instant::now()));
        core.metrics.pace(messenger.platform(), settings.rate);
    }
    let mut uploads: HashMap<i64, Arc<Vec<u8>>> = HashMap::new();
    let mut cursor = 0i64;
    let mut spawned_this_pass = 0usize;
    'outer: loop {
        if shutdown.is_cancelled() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        // While the platform is down nothing is sent: it is probed until it answers.
        let probe_at = lock(&state).down.as_ref().map(|d| d.next_probe);
        if let Some(at) = probe_at {
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                () = shutdown.cancelled() => break,
            }
            if messenger.probe().await {
                platform_back(&core, &state, messenger.platform()).await;
            } else {
                let mut shared = lock(&state);
                if let Some(down) = shared.down.as_mut() {
                    down.wait = (down.wait * 2).min(MAX_PROBE_WAIT);
                    down.next_probe = Instant::now() + down.wait;
                }
            }
            continue;
        }
        // Sends in flight as the page is read may finish (and be marked sent) before the loop
        // reaches them: the page still shows them pending, so they are skipped on this page.
        // Any other delivery on it was pending when it was read.
        let busy = lock(&state).in_flight.clone();
        let page_read = Instant::now();
        let batch = match core.store.due_deliveries(messenger.platform(), core.now(), cursor, 256).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    () = shutdown.cancelled() => break,
                }
            }
        };
        if batch.is_empty() {
            // End of a pass. Rest if it achieved nothing (all waiting on retries, chats or
            // an upload), else start the next pass at once.
            if cursor == 0 || spawned_this_pass == 0 {
                // Nothing waits: the files read for this outbox's notices need not stay in
                // memory (the next delivery reads its file again).
                if cursor == 0 {
                    uploads.clear();
                }
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    () = shutdown.cancelled() => break,
                }
            }
            cursor = 0;
            spawned_this_pass = 0;
            let mut shared = lock(&state);
            if shared.last_sent.len() > 10_000 {
                shared.last_sent.retain(|chat, t| t.elapsed() < chat_gap(*chat));
            }
            drop(shared);
            continue;
        }
        for item in batch {
            cursor = item.id;
            if lock(&state).down.is_some() {
                // Found down by a send of this pass: the rest waits for it to answer.
                continue 'outer;
            }
            if busy.contains(&item.id) || lock(&state).in_flight.contains(&item.id) {
                continue;
            }
            let last = lock(&state).last_sent.get(&item.chat_id).copied();
            if let Some(last) = last {
                let gap = chat_gap(item.chat_id);
                if last.elapsed() < gap {
                    let wait = gap - last.elapsed();
                    let retry_at = core.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    if let Err(e) =
                        core.store.delivery_retry(item.id, retry_at, "per-chat pacing", false).await
                    {
                        tracing::warn!(delivery = item.id, error = %e, "could not defer a delivery");
                    }
                    continue;
                }
            }
            let reuses = messenger.reuses_file_ids();
            let Some(media) = media_for(&core, &state, &mut uploads, &item, reuses).await else {
                continue;
            };
            // A 429 pauses everything; it may arrive while this send waits for its slot, so
            // look again after the wait.
            loop {
                let paused = lock(&state).paused_until.filter(|t| *t > Instant::now());
                if let Some(until) = paused {
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {}
                        () = shutdown.cancelled() => break 'outer,
                    }
                    continue;
                }
                let rate = lock(&state).adaptive.as_ref().map_or(0.0, Adaptive::rate);
                tokio::select! {
                    () = pace.wait(rate) => {}
                    () = shutdown.cancelled() => break 'outer,
                }
                if lock(&state).paused_until.is_none_or(|t| t <= Instant::now()) {
                    break;
                }
            }
            let Ok(permit) = semaphore.clone().acquire_owned().await else { break 'outer };
            // The waits above can be long (a 429 pause): the notice may have been cancelled or
            // the member deactivated meanwhile, closing this delivery.
            if page_read.elapsed() > PAGE_FRESH {
                match core.store.delivery_pending(item.id).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(delivery = item.id, error = %e, "cannot check a delivery; trying later");
                        continue;
                    }
                }
            }
            {
                let mut shared = lock(&state);
                shared.in_flight.insert(item.id);
                shared.last_sent.insert(item.chat_id, Instant::now());
            }
            spawned_this_pass += 1;
            let message = compose(&item, media);
            let (core, messenger, state) = (core.clone(), messenger.clone(), state.clone());
            tasks.spawn(async move {
                // A 429 may have been answered (or the platform found down) while this send waited
                // for its permit and its database check: both are looked at right before the
                // request. Held for a pause or an outage, the delivery spends nothing.
                let held = {
                    let shared = lock(&state);
                    match (shared.paused_until.filter(|t| *t > Instant::now()), shared.down.is_some()) {
                        (Some(until), _) => Some(until),
                        (None, true) => Some(Instant::now()),
                        (None, false) => None,
                    }
                };
                if let Some(until) = held {
                    let wait = chrono::Duration::from_std(until - Instant::now()).unwrap_or_default();
                    let retry_at = core.now() + wait;
                    if let Err(e) = core.store.delivery_retry(item.id, retry_at, "429 pause", false).await {
                        tracing::warn!(delivery = item.id, error = %e, "could not hold a delivery for a 429 pause");
                    }
                    lock(&state).in_flight.remove(&item.id);
                    drop(permit);
                    return;
                }
                let made = Instant::now();
                let outcome = messenger.send(item.chat_id, &message).await;
                lock(&state).last_sent.insert(item.chat_id, Instant::now());
                record(&core, &state, &settings, messenger.platform(), &item, outcome, made).await;
                lock(&state).in_flight.remove(&item.id);
                drop(permit);
            });
        }
    }
    // Let the sends under way finish and be recorded.
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// The media to send with an item: none, a file_id, or the upload (for a platform that reuses
/// file ids, only one upload per notice at a time). `None` means: not now, another delivery is
/// uploading the file.
async fn media_for(
    core: &Core,
    state: &SharedState,
    uploads: &mut HashMap<i64, Arc<Vec<u8>>>,
    item: &OutboxItem,
    reuses_file_ids: bool,
) -> Option<Option<OutMedia>> {
    if item.kind == "reminder" {
        return Some(None);
    }
    let kind = match item.media_kind.as_deref() {
        None => return Some(None),
        Some("photo") => MediaKind::Photo,
        Some(_) => MediaKind::Document,
    };
    let name = || item.media_name.clone().unwrap_or_else(|| "attachment".into());
    if !reuses_file_ids {
        // The bytes every time (the platform keeps its own id for them); a notice whose file
        // only Telegram holds (made before files were kept) goes by that id, which such a
        // platform can only mention.
        let bytes = match notice_bytes(core, uploads, item.notice_id).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(notice = item.notice_id, error = %e, "could not read a notice's file");
                return None;
            }
        };
        return Some(match (bytes, &item.media_file_id) {
            (Some(bytes), _) => Some(OutMedia::Upload { kind, name: name(), bytes }),
            (None, Some(file_id)) => Some(OutMedia::FileId { kind, file_id: file_id.clone() }),
            (None, None) => None,
        });
    }
    if let Some(file_id) =
        item.media_file_id.clone().or_else(|| lock(state).file_ids.get(&item.notice_id).cloned())
    {
        return Some(Some(OutMedia::FileId { kind, file_id }));
    }
    if !lock(state).uploading.insert(item.notice_id) {
        return None;
    }
    let Ok(Some(bytes)) = notice_bytes(core, uploads, item.notice_id).await else {
        // The file_id arrived meanwhile or the file is gone; the next pass rereads the row.
        lock(state).uploading.remove(&item.notice_id);
        return None;
    };
    Some(Some(OutMedia::Upload { kind, name: name(), bytes }))
}

/// A notice's file, from `uploads` (files already read in this pass of the outbox) or else the
/// store, kept in `uploads` for the next delivery of it. `None`: the notice keeps no file.
async fn notice_bytes(
    core: &Core,
    uploads: &mut HashMap<i64, Arc<Vec<u8>>>,
    notice_id: i64,
) -> sqlx::Result<Option<Arc<Vec<u8>>>> {
    if let Some(bytes) = uploads.get(&notice_id) {
        return Ok(Some(bytes.clone()));
    }
    let Some(bytes) = core.store.notice_upload(notice_id).await? else { return Ok(None) };
    let bytes = Arc::new(bytes);
    uploads.insert(notice_id, bytes.clone());
    Ok(Some(bytes))
}

/// The message for a delivery: the notice itself, or a reminder of it, with its buttons.
fn compose(item: &OutboxItem, media: Option<OutMedia>) -> Outgoing {
    let mut actions = Vec::new();
    if item.ack_required {
        actions.push(NoticeAction::Acknowledge { delivery_id: item.id, notice_id: item.notice_id });
    }
    if item.policy && item.kind == "notice" {
        actions.push(NoticeAction::Spread { notice_id: item.notice_id });
    }
    Outgoing {
        notice_id: item.notice_id,
        text: item.body.clone(),
        reminder: item.kind == "reminder",
        media,
        actions,
    }
}

async fn record(
    core: &Core,
    state: &SharedState,
    settings: &SenderSettings,
    platform: Platform,
    item: &OutboxItem,
    outcome: SendOutcome,
    // When the request was made: the instant the platform judged it by (see `pace`).
    made: Instant,
) {
    let now = core.now();
    let uploading = item.media_kind.is_some() && item.media_file_id.is_none() && item.kind == "notice";
    let result = match outcome {
        SendOutcome::Sent { message_id, file_id } => {
            if let (true, Some(file_id)) = (uploading, file_id) {
                lock(state).file_ids.insert(item.notice_id, file_id.clone());
                // The bytes stay only for platforms running beside this one that upload them.
                let others = core.metrics.serving().any(|(p, _)| p != platform && p != Platform::Terminal);
                if let Err(e) = core.store.set_notice_file_id(item.notice_id, &file_id, others).await {
                    tracing::warn!(notice = item.notice_id, error = %e, "could not keep the uploaded file's id");
                }
            }
            Metrics::bump(&core.metrics.deliveries_sent);
            let rate = {
                let mut s = lock(state);
                s.failing.clear();
                s.adaptive.as_mut().map(|a| {
                    a.sent(made);
                    a.rate()
                })
            };
            if let Some(rate) = rate {
                core.metrics.pace(platform, rate);
            }
            core.store.delivery_sent(item.id, message_id, now).await
        }
        SendOutcome::RetryAfter(wait) => {
            tracing::warn!(
                platform = platform.as_str(),
                seconds = wait.as_secs_f64(),
                "flood control: pausing all broadcasts on this platform"
            );
            let lowered = {
                let mut s = lock(state);
                let until = Instant::now() + wait;
                s.paused_until = Some(s.paused_until.map_or(until, |t| t.max(until)));
                let adaptive = s.adaptive.as_mut();
                adaptive.and_then(|a| a.refused(made, wait).then(|| a.rate()))
            };
            if let Some(rate) = lowered {
                tracing::info!(
                    platform = platform.as_str(),
                    rate,
                    "the platform refused: pacing at the rate it allowed"
                );
                core.metrics.pace(platform, rate);
            }
            let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
            core.store.delivery_retry(item.id, retry_at, "429 Too Many Requests", false).await
        }
        SendOutcome::Later(wait, why) => {
            let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
            core.store.delivery_retry(item.id, retry_at, why, false).await
        }
        SendOutcome::Blocked(reason) => {
            tracing::info!(delivery = item.id, member = item.member_id, "member unreachable (403)");
            Metrics::bump(&core.metrics.deliveries_blocked);
            core.store.delivery_blocked(item.id, item.member_id, &reason, now).await
        }
        SendOutcome::Transient(reason) => {
            let (down_now, declared) =
                transient_failure(core, state, settings, platform, item.member_id, &reason);
            if declared {
                match core.store.outage_started(platform.as_str(), now).await {
                    Ok(id) => {
                        if let Some(down) = lock(state).down.as_mut() {
                            down.outage_id = Some(id);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not record the outage"),
                }
            }
            if down_now {
                // The platform's failure: held for when it answers again, no try spent.
                core.store.delivery_retry(item.id, now, &reason, false).await
            } else if now - item.due_since > settings.give_up {
                tracing::warn!(delivery = item.id, member = item.member_id, %reason, "delivery given up");
                Metrics::bump(&core.metrics.deliveries_failed);
                core.store.delivery_failed(item.id, &reason).await
            } else {
                let factor = 2u32.saturating_pow(u32::try_from(item.attempts).unwrap_or(10).min(10));
                let backoff = settings.retry_base.saturating_mul(factor).min(MAX_RETRY_WAIT);
                tracing::debug!(delivery = item.id, %reason, ?backoff, "delivery failed; will retry");
                Metrics::bump(&core.metrics.deliveries_retried);
                let retry_at = now + chrono::Duration::from_std(backoff).unwrap_or_default();
                core.store.delivery_retry(item.id, retry_at, &reason, true).await
            }
        }
        SendOutcome::Permanent(reason) => {
            tracing::warn!(delivery = item.id, member = item.member_id, %reason, "delivery failed");
            Metrics::bump(&core.metrics.deliveries_failed);
            core.store.delivery_failed(item.id, &reason).await
        }
    };
    if uploading {
        lock(state).uploading.remove(&item.notice_id);
    }
    if let Err(e) = result {
        // The row stays pending and is sent again: a duplicate rather than a loss.
        tracing::error!(delivery = item.id, error = %e, "could not record a delivery's outcome");
    }
}

/// A transient failure: counts towards an outage. Whether the platform is down now (this
/// failure, or an earlier one, made it so), and whether this failure made it so.
fn transient_failure(
    core: &Core,
    state: &SharedState,
    settings: &SenderSettings,
    platform: Platform,
    member: i64,
    reason: &str,
) -> (bool, bool) {
    let mut shared = lock(state);
    if shared.down.is_some() {
        return (true, false);
    }
    if !shared.failing.contains(&member) {
        shared.failing.push(member);
    }
    if shared.failing.len() < settings.outage_after {
        return (false, false);
    }
    let failing = shared.failing.len();
    let next_probe = Instant::now() + settings.probe_base;
    shared.down = Some(Down { next_probe, wait: settings.probe_base, outage_id: None });
    drop(shared);
    tracing::warn!(platform = platform.as_str(), failing, %reason, "the platform is down: sending stops until it answers again");
    core.metrics.platform_down(platform, chrono::Utc::now().timestamp_millis());
    (true, true)
}

/// The platform answered a probe: sending resumes at the normal pace, and the outage is
/// closed (its delays are told to the notices' creators by the reports job).
async fn platform_back(core: &Core, state: &SharedState, platform: Platform) {
    let outage = {
        let mut shared = lock(state);
        shared.failing.clear();
        shared.down.take().and_then(|d| d.outage_id)
    };
    if let Some(id) = outage
        && let Err(e) = core.store.outage_ended(id, core.now()).await
    {
        tracing::warn!(error = %e, "could not record the end of the outage");
    }
    let since = core.metrics.platform_up(platform);
    let minutes = (chrono::Utc::now().timestamp_millis() - since) as f64 / 60_000.0;
    tracing::warn!(platform = platform.as_str(), minutes, "the platform answers again: sending resumes");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pace_spaces_sends_evenly_at_the_rate_without_catching_up() {
        let mut pace = Pace::new();
        let start = Instant::now();
        for _ in 0..25 {
            pace.wait(25.0).await;
        }
        let first_25 = start.elapsed();
        assert!(first_25 >= Duration::from_millis(24 * 40), "{first_25:?}");
        // After an idle spell the pace does not burst to make up for it.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let t = Instant::now();
        pace.wait(25.0).await;
        pace.wait(25.0).await;
        assert!(t.elapsed() >= Duration::from_millis(40), "{:?}", t.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn no_rate_means_no_waiting() {
        let mut pace = Pace::new();
        let t = Instant::now();
        for _ in 0..1000 {
            pace.wait(0.0).await;
        }
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
