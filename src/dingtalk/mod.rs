//! The DingTalk platform (钉钉 / 政务钉钉), Stream mode: an enterprise app's robot, reached over
//! an outbound WebSocket, so no public URL, domain or certificate is needed.
//!
//! - Receiving ([`stream`]): each robot message is written to the inbox (keyed by platform and
//!   DingTalk's message id) before it is acknowledged; the handling here reads the inbox, one
//!   task per chat so each chat's messages stay in order while others go on.
//! - Sending: replies and notices through one client ([`api::Api`]); a notice to many goes out
//!   in batches of up to 20 people a call ([`Batcher`]). Up to five options are an ActionCard's
//!   buttons, more a list of numbered links, each answering with its number ([`markup`]).
//! - Joining by department ([`departments`]): someone not yet a member whose DingTalk
//!   departments belong to exactly one unit joins it before their first message is handled.
//! - The console inside DingTalk: its workbench page exchanges DingTalk's one-time auth code
//!   for the user ([`Workbench`]).
//! - People and chats: a staff id (`senderStaffId`) gets a handle (the core's id for them); a
//!   single chat's id is the person's; a group's is the handle of its conversation id.

pub mod api;
pub mod departments;
pub mod markup;
pub mod stream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

use self::api::{Api, ApiError, BATCH_LIMIT, BatchAnswer};
use self::markup::RobotMessage;
use crate::chat::{self, ChatContext, ChatRef, Content, Incoming, Reply};
use crate::core::Core;
use crate::domain::{Account, Person, Platform};
use crate::handling::Handler;
use crate::handling::address::{Address, address, group_chat};
use crate::jobs;
use crate::notices::MediaKind;
use crate::notices::pace::Adaptive;
use crate::notices::sender::{Messenger, NoticeAction, OutMedia, Outgoing, SendOutcome, SenderSettings};
use crate::notices::uploads::Uploads;
use crate::store::UpdateKey;
use crate::texts;

/// DingTalk as `sansong run` starts it: its sides for the jobs, and its handling.
/// DingTalk's limits as the core must keep them: none. Its sending side splits a long text
/// into several messages under [`markup::TEXT_LIMIT`] (the options' links on the last), sends
/// a notice's words as a text of their own (no captions), and keeps a message's options on the
/// server, sending back only their number. Files go up through 上传媒体文件 (`media/upload`):
/// 20 MB for an image or a file.
pub const LIMITS: crate::limits::Limits = crate::limits::Limits {
    platform: Platform::DingTalk,
    measure: crate::limits::Measure::Chars,
    text: None,
    caption: None,
    button_data: None,
    photo_bytes: Some(20 * 1024 * 1024),
    file_bytes: Some(20 * 1024 * 1024),
};

pub fn start(
    core: Core,
    api: Arc<Api>,
    scheduler_wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> jobs::Started {
    let notify = Arc::new(Notify::new());
    let calls_per_second = core.config.dingtalk.as_ref().map_or(20.0, |d| d.rate);
    let batcher = Batcher::new(api.clone(), core.clone(), calls_per_second);
    // DingTalk limits calls, not messages: the batcher paces its calls, and the sender hands it
    // deliveries unpaced, enough at once for two batches of 20 to form.
    let mut settings = SenderSettings::at_rate(&core.config, 0.0);
    settings.concurrency = BATCH_LIMIT * 2;
    let sides = jobs::PlatformSides {
        updates: Arc::new(DingTalkUpdates { api: api.clone() }),
        inbox_notify: notify.clone(),
        messenger: Arc::new(batcher),
        settings,
        files: Some(Arc::new(DingTalkFiles { api: api.clone() })),
        workbench: Some(Arc::new(Workbench::new(api.clone()))),
    };
    let context = ChatContext::new(None, scheduler_wake)
        .with_files(Arc::new(DingTalkFiles { api: api.clone() }))
        .with_message_parts(|text| text.chars().count().div_ceil(markup::TEXT_LIMIT).max(1))
        .with_commands(texts::members::CommandStyle::WordOnly)
        .groups_address_the_bot();
    let edge = Edge { api, context: Arc::new(context), lookups: Arc::default() };
    let handling = Box::pin(handle_inbox(core, edge, notify, shutdown));
    jobs::Started { sides, handling }
}

/// What each chat's handling shares: the client, the chat's settings, the departments looked
/// up.
#[derive(Clone)]
struct Edge {
    api: Arc<Api>,
    context: Arc<ChatContext>,
    lookups: Arc<departments::Lookups>,
}

/// The console's sign-in from DingTalk's workbench: a one-time auth code (the page's
/// `requestAuthCode`) exchanged for the DingTalk user. DingTalk takes a code once; the codes
/// exchanged here are remembered a while too, so one replayed here logs nobody in even if
/// DingTalk were to answer it again.
pub struct Workbench {
    api: Arc<Api>,
    spent: Mutex<HashMap<String, std::time::Instant>>,
}

/// How long an exchanged code is remembered (DingTalk's codes live five minutes).
const CODE_REMEMBERED: Duration = Duration::from_secs(600);

impl Workbench {
    pub fn new(api: Arc<Api>) -> Workbench {
        Workbench { api, spent: Mutex::default() }
    }

    /// True the first time a code is seen (within [`CODE_REMEMBERED`]).
    fn first_use(&self, code: &str) -> bool {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        spent.retain(|_, at| at.elapsed() < CODE_REMEMBERED);
        // Kept as its hash: the code itself is a credential for five minutes.
        spent.insert(crate::logins::hash(code), std::time::Instant::now()).is_none()
    }
}

impl crate::web::Workbench for Workbench {
    fn platform(&self) -> Platform {
        Platform::DingTalk
    }

    fn client_id(&self) -> String {
        self.api.client_id().to_owned()
    }

    fn user_of<'a>(&'a self, code: &'a str) -> BoxFuture<'a, Result<Option<String>, String>> {
        Box::pin(async move {
            if !self.first_use(code) {
                tracing::warn!("a DingTalk auth code was presented twice; refused");
                return Ok(None);
            }
            match self.api.user_of_auth_code(code).await {
                Ok(user) => Ok(Some(user)),
                Err(e) if e.code() == Some(api::codes::UNKNOWN_AUTH_CODE) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

/// The pictures people send, fetched by the download code they are kept by (`dt:<code>`).
struct DingTalkFiles {
    api: Arc<Api>,
}

impl chat::FileSource for DingTalkFiles {
    fn fetch<'a>(
        &'a self,
        kind: MediaKind,
        file_id: &'a str,
    ) -> BoxFuture<'a, Result<(String, Vec<u8>), String>> {
        Box::pin(async move {
            let code = file_id.strip_prefix("dt:").ok_or_else(|| "not a DingTalk file".to_owned())?;
            let bytes = self.api.download(code).await.map_err(|e| e.to_string())?;
            let name = match kind {
                MediaKind::Photo => texts::notices::PICTURE_FILE_NAME,
                MediaKind::Document => texts::notices::FILE_NAME,
            };
            Ok((name.to_owned(), bytes))
        })
    }
}

struct DingTalkUpdates {
    api: Arc<Api>,
}

impl jobs::Updates for DingTalkUpdates {
    fn receive(
        &self,
        core: Core,
        inbox_notify: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(stream::receive(core, self.api.clone(), inbox_notify, shutdown))
    }

    fn redeliver(&self, core: Core, shutdown: CancellationToken) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(resend_kept(core, self.api.clone(), shutdown))
    }
}

// ---------------------------------------------------------------- receiving: inbox to chat

/// Reads the inbox, each chat's messages in order (see [`crate::handling::inbox`]).
async fn handle_inbox(core: Core, edge: Edge, notify: Arc<Notify>, shutdown: CancellationToken) {
    let handling = (core.clone(), shutdown.clone());
    crate::handling::inbox::run(core, Platform::DingTalk, notify, shutdown, chat_of, move |row| {
        let ((core, shutdown), edge) = (handling.clone(), edge.clone());
        async move { handle_one(&core, &edge, row.seq, &row.key, &row.payload, &shutdown).await }
    })
    .await
}

/// A robot message's chat: its conversation (a single chat's is the person's).
fn chat_of(payload: &str) -> String {
    serde_json::from_str::<Value>(payload)
        .ok()
        .and_then(|v| v["conversationId"].as_str().or(v["senderStaffId"].as_str()).map(str::to_owned))
        .unwrap_or_default()
}

async fn handle_one(
    core: &Core,
    edge: &Edge,
    seq: i64,
    key: &str,
    payload: &str,
    shutdown: &CancellationToken,
) {
    let (api, context) = (edge.api.as_ref(), edge.context.as_ref());
    let update = UpdateKey { platform: Platform::DingTalk, key };
    let read = || incoming(core, seq, payload);
    let Some(incoming) = crate::handling::inbox::read(core, &update, shutdown, read).await else { return };
    // Someone not yet a member may join by department first; the message waits for the
    // lookup (in the inbox, across a restart), and their greeting goes before its answer.
    let staff = serde_json::from_str::<Value>(payload)
        .ok()
        .and_then(|m| m["senderStaffId"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let greeting = match departments::join_first(core, api, &edge.lookups, &incoming, &staff, shutdown).await
    {
        Ok(greeting) => Mutex::new(greeting),
        Err(departments::Stopped) => return,
    };
    let handler = Handler { core, context, platform: Platform::DingTalk, shutdown, flood_control: true };
    let chat = incoming.chat;
    handler
        .handle(key, &incoming, |replies| {
            let mut all: Vec<Reply> =
                greeting.lock().unwrap_or_else(|p| p.into_inner()).take().into_iter().collect();
            all.extend(replies);
            async move { deliver(core, api, chat, &all).await }
        })
        .await;
}

/// A robot message (DingTalk's `ChatbotMessage`: -go `chatbot/model.go`, -python `chatbot.py`)
/// as the conversation's event, or `None` for one that says nothing to the bot.
async fn incoming(core: &Core, seq: i64, payload: &str) -> anyhow::Result<Option<Incoming>> {
    let m: Value = serde_json::from_str(payload)?;
    let Some(staff) = m["senderStaffId"].as_str().filter(|s| !s.is_empty()) else {
        // Someone outside the organisation (no staff id) cannot be answered by staff id.
        return Ok(None);
    };
    let person_id = core.store.handle(Platform::DingTalk, staff).await?;
    let private = m["conversationType"].as_str() != Some("2");
    let chat_id = if private {
        person_id
    } else {
        let conversation = m["conversationId"].as_str().unwrap_or_default();
        group_chat(core, Platform::DingTalk, conversation).await?
    };
    let sent_at: DateTime<Utc> = m["createAt"]
        .as_i64()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(|| core.now());
    let text_of = |v: &Value| v.as_str().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let content = match m["msgtype"].as_str().unwrap_or("") {
        "text" => match text_of(&m["text"]["content"]) {
            Some(t) => Content::Text(t),
            None => return Ok(None),
        },
        "picture" => match m["content"]["downloadCode"].as_str() {
            Some(code) => Content::Photo { file_id: format!("dt:{code}"), caption: None, album: None },
            None => Content::Other("picture"),
        },
        // A picture with words: the words are its caption (a check-in with its evidence).
        "richText" => {
            let parts = m["content"]["richText"].as_array().cloned().unwrap_or_default();
            let words: Vec<String> = parts.iter().filter_map(|p| text_of(&p["text"])).collect();
            let picture = parts.iter().find_map(|p| p["downloadCode"].as_str());
            match (picture, words.is_empty()) {
                (Some(code), _) => Content::Photo {
                    file_id: format!("dt:{code}"),
                    caption: Some(words.join("\n")).filter(|w| !w.is_empty()),
                    album: None,
                },
                (None, false) => Content::Text(words.join("\n")),
                (None, true) => return Ok(None),
            }
        }
        // DingTalk turns speech into text: what was said is the message.
        "audio" => match text_of(&m["content"]["recognition"]) {
            Some(t) => Content::Text(t),
            None => Content::Other("audio"),
        },
        "file" => Content::Document {
            file_id: format!("dt:{}", m["content"]["downloadCode"].as_str().unwrap_or_default()),
            name: m["content"]["fileName"].as_str().map(str::to_owned),
            caption: None,
        },
        _ => Content::Other("unsupported"),
    };
    let name = m["senderNick"].as_str().unwrap_or(staff).trim().to_owned();
    Ok(Some(Incoming {
        update_id: seq,
        chat: ChatRef { id: chat_id, private },
        from: Person { account: Account { platform: Platform::DingTalk, person_id }, name, username: None },
        // The inbox position: unique and stable for this message, whatever DingTalk's ids.
        message_id: seq,
        sent_at,
        content,
        reply_to: None,
    }))
}

// ---------------------------------------------------------------- sending replies

/// Sends replies in order; what could not go now (DingTalk down, throttled) is returned, to
/// keep for later.
async fn deliver(core: &Core, api: &Api, chat: ChatRef, replies: &[Reply]) -> Vec<Reply> {
    let to = match address(core, chat.id).await {
        Ok(Some(to)) => to,
        Ok(None) => {
            tracing::error!(chat = chat.id, "a DingTalk chat without its DingTalk id; replies dropped");
            return Vec::new();
        }
        Err(e) => {
            tracing::warn!(chat = chat.id, error = %e, "could not read where the replies go; kept for later");
            return replies.to_vec();
        }
    };
    for (i, reply) in replies.iter().enumerate() {
        match send_reply(api, &to, reply).await {
            Ok(()) => {}
            Err(ApiError::Transient(e)) => {
                tracing::warn!(chat = chat.id, error = %e, "DingTalk could not take a reply; kept for later");
                return replies[i..].to_vec();
            }
            Err(ApiError::Throttled(_)) => return replies[i..].to_vec(),
            Err(e) => tracing::warn!(chat = chat.id, error = %e, "DingTalk refused a reply"),
        }
    }
    Vec::new()
}

async fn send_reply(api: &Api, to: &Address, reply: &Reply) -> Result<(), ApiError> {
    let messages = match reply {
        // Over DingTalk's size, in parts, the options with the last.
        Reply::Send { text, keyboard } | Reply::Edit { text, keyboard, .. } => {
            markup::messages(text, keyboard.as_ref(), &[])
        }
        Reply::Answer { text: Some(t), .. } => markup::messages(t, None, &[]),
        // A notice's preview: the picture the person just sent stays in the chat above it.
        Reply::Media { kind, caption, keyboard, .. } => markup::messages(
            &format!("{caption}\n{}", texts::notices::media_in_preview(*kind)),
            keyboard.as_ref(),
            &[],
        ),
        Reply::Upload { name, bytes, caption, .. } => {
            let media_id = api.upload("file", name, bytes.clone()).await?;
            let mut messages = vec![markup::file(&media_id, name)];
            messages.extend(markup::messages(caption, None, &[]));
            messages
        }
        Reply::Answer { text: None, .. }
        | Reply::EditButtons { .. }
        | Reply::Menu { .. }
        | Reply::MenuFor { .. } => Vec::new(),
    };
    for message in &messages {
        send_to(api, to, message).await?;
    }
    Ok(())
}

async fn send_to(api: &Api, to: &Address, message: &RobotMessage) -> Result<(), ApiError> {
    match to {
        Address::Person(staff) => {
            let answer = api.batch_send(std::slice::from_ref(staff), message.key, &message.param).await?;
            if answer.flow_controlled.contains(staff) {
                return Err(ApiError::Throttled(Duration::from_secs(1)));
            }
            if answer.invalid.contains(staff) {
                return Err(ApiError::Refused(format!("{staff} is not a valid staff id")));
            }
            Ok(())
        }
        Address::Group(conversation) => api.group_send(conversation, message.key, &message.param).await,
    }
}

/// Sends the kept replies (see [`chat::kept`]) when DingTalk takes them again.
async fn resend_kept(core: Core, api: Arc<Api>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let lookup = core.clone();
    chat::kept::resend(core, Platform::DingTalk, shutdown, move |chat_id, reply| {
        let (api, core) = (api.clone(), lookup.clone());
        async move {
            let to = match address(&core, chat_id).await {
                Ok(Some(to)) => to,
                Ok(None) => return chat::kept::Resent::Dropped,
                Err(_) => return chat::kept::Resent::Later,
            };
            match send_reply(&api, &to, &reply).await {
                Ok(()) => chat::kept::Resent::Sent,
                Err(ApiError::Transient(_) | ApiError::Throttled(_)) => chat::kept::Resent::Later,
                Err(_) => chat::kept::Resent::Dropped,
            }
        }
    })
    .await
}

// ---------------------------------------------------------------- sending notices, in batches

/// The notice sender's DingTalk side. The sender hands it one delivery at a time (paced, many
/// at once); deliveries of the same message that arrive together go out as one batch send of
/// up to 20 people, and each delivery gets its own outcome: an id DingTalk says is invalid is
/// that member's (like a Telegram 403), flow control asks everyone to wait.
pub struct Batcher {
    api: Arc<Api>,
    core: Core,
    open: Arc<Mutex<HashMap<String, Batch>>>,
    calls: Arc<CallPace>,
    /// Each notice's file on DingTalk: its media id, or `None` when DingTalk refused it (its
    /// size or type: the notice goes without it, its text saying so); uploaded once for
    /// everyone.
    media: Uploads<Option<String>>,
}

/// How long an uploaded file's media id is used before the file is uploaded again (DingTalk
/// keeps uploaded media for a limited time).
const MEDIA_KEPT: Duration = Duration::from_secs(12 * 3600);

/// Spaces batch send calls evenly at the rate of the moment (as the Telegram pace does):
/// `dingtalk_rate` at first, then what DingTalk's flow control lets through (see
/// [`crate::notices::pace`]), learned from its refusals and kept while the bot runs.
struct CallPace {
    next: tokio::sync::Mutex<tokio::time::Instant>,
    adaptive: Mutex<Adaptive>,
    metrics: Arc<crate::metrics::Metrics>,
}

impl CallPace {
    fn new(per_second: f64, metrics: Arc<crate::metrics::Metrics>) -> CallPace {
        let adaptive = Adaptive::new(per_second.max(0.1), tokio::time::Instant::now());
        metrics.pace(Platform::DingTalk, adaptive.rate());
        CallPace {
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
            adaptive: Mutex::new(adaptive),
            metrics,
        }
    }

    fn adaptive(&self) -> std::sync::MutexGuard<'_, Adaptive> {
        self.adaptive.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn wait(&self) {
        let mut next = self.next.lock().await;
        // The margins under DingTalk's limit are the pace's own (see `pace::Adaptive`).
        let interval = Duration::from_secs_f64(1.0 / self.adaptive().rate());
        let now = tokio::time::Instant::now();
        // Behind by less than 10 ms (a late timer): keep the schedule; further: start afresh.
        let slot = if *next + Duration::from_millis(10) >= now { *next } else { now };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
        *next = slot + interval;
    }

    /// What DingTalk said of a call made at `now`: it went through, or flow control refused it
    /// (for `pause`). The call's start is the instant DingTalk judged it by (see `pace`).
    fn heard(&self, now: tokio::time::Instant, refused: Option<Duration>) {
        let rate = {
            let mut adaptive = self.adaptive();
            match refused {
                None => {
                    adaptive.sent(now);
                    adaptive.rate()
                }
                Some(pause) => {
                    if adaptive.refused(now, pause) {
                        tracing::info!(
                            rate = adaptive.rate(),
                            "DingTalk flow control: pacing batch calls at the rate it allowed"
                        );
                    }
                    adaptive.rate()
                }
            }
        };
        self.metrics.pace(Platform::DingTalk, rate);
    }
}

struct Batch {
    message: RobotMessage,
    waiting: Vec<(String, oneshot::Sender<SendOutcome>)>,
}

/// How long a batch waits for more of the same message before it goes.
const GATHER: Duration = Duration::from_millis(40);

impl Batcher {
    fn new(api: Arc<Api>, core: Core, calls_per_second: f64) -> Batcher {
        let calls = Arc::new(CallPace::new(calls_per_second, core.metrics.clone()));
        Batcher { api, core, open: Arc::default(), calls, media: Uploads::new(MEDIA_KEPT) }
    }

    /// The media id of a notice's file on DingTalk, uploading it if it has none (or an old
    /// one); `None` when DingTalk refused the file. A passing failure (the network, flow
    /// control) is the error: the delivery is tried again later.
    async fn media_id(
        &self,
        notice_id: i64,
        kind: MediaKind,
        name: &str,
        bytes: &[u8],
    ) -> Result<Option<String>, ApiError> {
        let upload_type = if kind == MediaKind::Photo { "image" } else { "file" };
        self.media
            .get(notice_id, || async {
                match self.api.upload(upload_type, name, bytes.to_vec()).await {
                    Ok(id) => Ok(Some(id)),
                    Err(ApiError::Refused(why)) => {
                        tracing::warn!(notice = notice_id, %why, "DingTalk refused a notice's file; the notice goes without it");
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            })
            .await
    }

    /// One message to one person, gathered for a few milliseconds with the same message to
    /// others into one batch send of at most 20.
    async fn batched(&self, staff: &str, rendered: RobotMessage) -> SendOutcome {
        let key = format!("{}\u{1}{}", rendered.key, rendered.param);
        let (tx, rx) = oneshot::channel();
        let full = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let fresh = !open.contains_key(&key);
            let batch =
                open.entry(key.clone()).or_insert_with(|| Batch { message: rendered, waiting: Vec::new() });
            batch.waiting.push((staff.to_owned(), tx));
            if fresh {
                // The first of a batch: it goes after a short gather, or when full.
                let (api, open, calls, key) =
                    (self.api.clone(), self.open.clone(), self.calls.clone(), key.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(GATHER).await;
                    Batcher::flush(api, open, calls, key).await;
                });
            }
            // A full batch leaves the map under the same lock that filled it: nobody can join
            // it as a 21st.
            if batch.waiting.len() >= BATCH_LIMIT { open.remove(&key) } else { None }
        };
        if let Some(batch) = full {
            Batcher::send_batch(&self.api, &self.calls, batch).await;
        }
        rx.await.unwrap_or_else(|_| SendOutcome::Transient("the batch was lost".into()))
    }

    /// Sends the batch still gathering under `key`, if any (the gather timer's end).
    async fn flush(
        api: Arc<Api>,
        open: Arc<Mutex<HashMap<String, Batch>>>,
        calls: Arc<CallPace>,
        key: String,
    ) {
        let batch = open.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
        if let Some(batch) = batch {
            Batcher::send_batch(&api, &calls, batch).await;
        }
    }

    async fn send_batch(api: &Api, calls: &CallPace, batch: Batch) {
        calls.wait().await;
        let ids: Vec<String> = batch.waiting.iter().map(|(id, _)| id.clone()).collect();
        let made = tokio::time::Instant::now();
        let result = api.batch_send(&ids, batch.message.key, &batch.message.param).await;
        match &result {
            Ok(answer) if !answer.flow_controlled.is_empty() => {
                calls.heard(made, Some(Duration::from_secs(1)))
            }
            Ok(_) => calls.heard(made, None),
            Err(ApiError::Throttled(wait)) => calls.heard(made, Some(*wait)),
            Err(_) => {}
        }
        for (id, tx) in batch.waiting {
            let _ = tx.send(outcome(&result, &id));
        }
    }
}

fn outcome(result: &Result<BatchAnswer, ApiError>, id: &str) -> SendOutcome {
    match result {
        Ok(answer) if answer.invalid.iter().any(|i| i == id) => {
            SendOutcome::Blocked(texts::cli::DINGTALK_INVALID_STAFF.into())
        }
        Ok(answer) if answer.flow_controlled.iter().any(|i| i == id) => {
            SendOutcome::RetryAfter(Duration::from_secs(1))
        }
        Ok(_) => SendOutcome::Sent { message_id: 0, file_id: None },
        Err(ApiError::Throttled(wait)) => SendOutcome::RetryAfter(*wait),
        Err(ApiError::Transient(e)) => SendOutcome::Transient(e.clone()),
        // Refused credentials (a rotated secret) are the platform's trouble, not the member's:
        // held like an outage until they work again.
        Err(e @ ApiError::Credentials(_)) => SendOutcome::Transient(e.to_string()),
        Err(e) => SendOutcome::Permanent(e.to_string()),
    }
}

/// A notice as DingTalk shows it: its text (in parts under the message limit), and a 「收到」
/// link on the last part when it asks for one. The link sends 「收到 #<notice>」, so a tap
/// acknowledges this notice, not merely the newest one (the same for everyone it goes to, so
/// one batch still carries it to twenty people). `file_elsewhere`: the notice has a file that
/// cannot be passed on here, which the text then says.
fn notice_messages(message: &Outgoing, file_elsewhere: bool) -> Vec<RobotMessage> {
    let mut text =
        if message.reminder { texts::notices::notice_reminder(&message.text) } else { message.text.clone() };
    if file_elsewhere {
        text = format!("{text}\n{}", texts::cli::MEDIA_ELSEWHERE);
    }
    let ack = message.actions.iter().find_map(|a| match a {
        NoticeAction::Acknowledge { notice_id, .. } => Some(texts::notices::ack_answer(*notice_id)),
        NoticeAction::Spread { .. } => None,
    });
    match &ack {
        Some(answer) => markup::messages(&text, None, &[(texts::notices::BUTTON_ACK, answer)]),
        None => markup::messages(&text, None, &[]),
    }
}

impl Messenger for Batcher {
    /// A delivery: the notice's file first (uploaded once per notice), then its words, each
    /// batched with the same message to others. A part that fails stops the rest, and the
    /// delivery is tried again whole (so a member may, rarely, get the file twice; never no
    /// words).
    fn send<'a>(&'a self, chat_id: i64, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let staff = match self.core.store.external_id(chat_id).await {
                Ok(Some(staff)) => staff,
                Ok(None) => return SendOutcome::Permanent("no DingTalk id for this member".into()),
                Err(e) => return SendOutcome::Transient(format!("database: {e}")),
            };
            let mut messages = Vec::new();
            let mut file_elsewhere = false;
            match &message.media {
                Some(OutMedia::Upload { kind, name, bytes }) => {
                    match self.media_id(message.notice_id, *kind, name, bytes).await {
                        Ok(Some(id)) => messages.push(markup::media(*kind, &id, name)),
                        Ok(None) => file_elsewhere = true,
                        Err(e) => return outcome(&Err(e), &staff),
                    }
                }
                // Only Telegram holds this file (a notice from before files were kept).
                Some(OutMedia::FileId { .. }) => file_elsewhere = true,
                None => {}
            }
            messages.extend(notice_messages(message, file_elsewhere));
            let mut result = SendOutcome::Permanent("empty message".into());
            for m in messages {
                result = self.batched(&staff, m).await;
                if !matches!(result, SendOutcome::Sent { .. }) {
                    break;
                }
            }
            result
        })
    }

    /// A fresh access token proves DingTalk answers (and the credentials still work).
    fn probe(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.api.probe().await })
    }

    fn platform(&self) -> Platform {
        Platform::DingTalk
    }
}
