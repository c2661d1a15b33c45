//! The WeCom platform (企业微信, and 政务微信 built on it): the 智能机器人 in long-connection
//! mode, reached over an outbound WebSocket, so no public URL, domain or certificate is needed.
//!
//! - Receiving ([`link`]): each callback is written to the inbox (keyed by its `msgid`) before
//!   anything acts on it; the handling here reads the inbox, one task per chat
//!   ([`crate::handling::inbox`]). A picture or file is fetched and decrypted while its link
//!   lives (five minutes) and kept ([`media`]).
//! - Replying: to a message with `aibot_respond_msg` on its `req_id`; anything else
//!   (deliveries, kept replies, answers to a press) with `aibot_send_msg`. A press is answered
//!   at once by updating its card ([`link`]). Options are button cards ([`markup`]).
//! - Limits: at most 30 messages a minute and 1,000 an hour in each conversation, replies and
//!   deliveries together ([`Windows`]); the bot's own pace learned from `45009` as the other
//!   senders learn theirs; a notice's file uploaded once ([`Sender`]), and at most 30 uploads
//!   a minute for the bot (beyond, an export waits for its turn and a notice's deliveries come
//!   back when there is one).
//! - People and chats: a `userid` gets a handle (the core's id for them); a single chat's id is
//!   the person's; a group's is the handle of `group:<chatid>`.

pub mod link;
pub mod markup;
pub mod media;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::link::{Link, LinkError, codes};
use self::markup::Out;
use crate::chat::buttons::ButtonData;
use crate::chat::{self, ChatContext, ChatRef, Content, Incoming, Reply};
use crate::core::Core;
use crate::domain::{Account, Person, Platform};
use crate::handling::Handler;
use crate::handling::address::{Address, address, group_chat};
use crate::jobs;
use crate::notices::MediaKind;
use crate::notices::sender::{Messenger, NoticeAction, OutMedia, Outgoing, SendOutcome, SenderSettings};
use crate::notices::uploads::Uploads;
use crate::store::UpdateKey;
use crate::texts;

/// WeCom's limits as the core must keep them: none for texts (its sending side splits a text
/// into messages of at most 20,480 bytes, [`markup::CONTENT_LIMIT`], and sends a notice's file
/// and its words apart). Files: WeCom's media limits, 10 MB a picture and 20 MB a file.
pub const LIMITS: crate::limits::Limits = crate::limits::Limits {
    platform: Platform::WeCom,
    measure: crate::limits::Measure::Chars,
    text: None,
    caption: None,
    button_data: None,
    photo_bytes: Some(10 * 1024 * 1024),
    file_bytes: Some(20 * 1024 * 1024),
};

/// WeCom as `sansong run` starts it: its sides for the jobs, and its handling.
pub fn start(
    core: Core,
    link: Arc<Link>,
    scheduler_wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> jobs::Started {
    let notify = Arc::new(Notify::new());
    let rate = core.config.wecom.as_ref().map_or(10.0, |w| w.rate);
    let windows = Arc::new(Windows::default());
    let files = Arc::new(WeComFiles { core: core.clone() });
    let sender = Sender {
        link: link.clone(),
        core: core.clone(),
        windows: windows.clone(),
        media: Uploads::new(MEDIA_KEPT),
    };
    let sides = jobs::PlatformSides {
        updates: Arc::new(WeComUpdates { link: link.clone(), windows: windows.clone() }),
        inbox_notify: notify.clone(),
        messenger: Arc::new(sender),
        settings: SenderSettings::at_rate(&core.config, rate),
        files: Some(files.clone()),
        workbench: None,
    };
    let context = ChatContext::new(None, scheduler_wake)
        .with_files(files)
        .with_message_parts(|text| text.len().div_ceil(markup::CONTENT_LIMIT).max(1))
        .with_commands(texts::members::CommandStyle::WordOnly)
        .groups_address_the_bot()
        .names_unknown();
    let http = link.http_client();
    let edge = Edge { link, shutdown: shutdown.clone(), context: Arc::new(context), windows, http };
    let handling = (core.clone(), shutdown.clone());
    let handling =
        Box::pin(crate::handling::inbox::run(core, Platform::WeCom, notify, shutdown, chat_of, move |row| {
            let ((core, shutdown), edge) = (handling.clone(), edge.clone());
            async move { handle_one(&core, &edge, row.seq, &row.key, &row.payload, &shutdown).await }
        }));
    jobs::Started { sides, handling }
}

/// What each chat's handling shares.
#[derive(Clone)]
struct Edge {
    link: Arc<Link>,
    /// A reply waiting for its conversation's turn stops waiting (and is kept) at shutdown.
    shutdown: CancellationToken,
    context: Arc<ChatContext>,
    windows: Arc<Windows>,
    http: reqwest::Client,
}

struct WeComUpdates {
    link: Arc<Link>,
    windows: Arc<Windows>,
}

impl jobs::Updates for WeComUpdates {
    fn receive(
        &self,
        core: Core,
        inbox_notify: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(self.link.clone().run(core, inbox_notify, shutdown))
    }

    fn redeliver(&self, core: Core, shutdown: CancellationToken) -> BoxFuture<'static, anyhow::Result<()>> {
        let (link, windows, lookup) = (self.link.clone(), self.windows.clone(), core.clone());
        Box::pin(chat::kept::resend(core, Platform::WeCom, shutdown, move |chat_id, reply| {
            let (link, windows, core) = (link.clone(), windows.clone(), lookup.clone());
            async move {
                let to = match address(&core, chat_id).await {
                    Ok(Some(to)) => to,
                    Ok(None) => return chat::kept::Resent::Dropped,
                    Err(_) => return chat::kept::Resent::Later,
                };
                let target = Target::written(to);
                // Kept replies never wait for a conversation's turn: one full conversation
                // must not hold up the others' (its own are tried again later).
                match send_reply(&link, &windows, &target, &reply, Turn::Now).await {
                    Ok(()) => chat::kept::Resent::Sent,
                    Err(e) if e.passing() => chat::kept::Resent::Later,
                    Err(_) => chat::kept::Resent::Dropped,
                }
            }
        }))
    }
}

/// The files people sent on WeCom, kept on receipt (`wc:<msgid>`).
struct WeComFiles {
    core: Core,
}

impl chat::FileSource for WeComFiles {
    fn fetch<'a>(
        &'a self,
        _kind: MediaKind,
        file_id: &'a str,
    ) -> BoxFuture<'a, Result<(String, Vec<u8>), String>> {
        Box::pin(async move {
            match self.core.store.received_file(Platform::WeCom, file_id).await {
                Ok(Some(file)) => Ok(file),
                Ok(None) => Err(format!("no WeCom file {file_id} was kept")),
                Err(e) => Err(format!("database: {e}")),
            }
        })
    }
}

// ---------------------------------------------------------------- receiving

/// A callback's chat: its group, or the person writing (the inbox's handling keeps each one's
/// messages in order).
fn chat_of(payload: &str) -> String {
    let Ok(frame) = serde_json::from_str::<Value>(payload) else { return String::new() };
    let body = &frame["body"];
    group_of(body).or(body["from"]["userid"].as_str()).unwrap_or_default().to_owned()
}

/// The group a callback came from; `None` in a single chat (whatever else it carries).
fn group_of(body: &Value) -> Option<&str> {
    body["chatid"].as_str().filter(|c| !c.is_empty() && body["chattype"].as_str() != Some("single"))
}

async fn handle_one(
    core: &Core,
    edge: &Edge,
    seq: i64,
    key: &str,
    payload: &str,
    shutdown: &CancellationToken,
) {
    let update = UpdateKey { platform: Platform::WeCom, key };
    let read = || incoming(core, edge, seq, key, payload);
    let Some((incoming, target)) = crate::handling::inbox::read(core, &update, shutdown, read).await else {
        return;
    };
    let handler =
        Handler { core, context: &edge.context, platform: Platform::WeCom, shutdown, flood_control: true };
    let target = &target;
    handler.handle(key, &incoming, |replies| async move { deliver(edge, target, &replies).await }).await;
}

/// Where a chat's replies go: answering a message on its `req_id` while it may be answered,
/// else written to the conversation.
struct Target {
    /// Forgotten once WeCom refuses an answer on it: the rest are written.
    req_id: Mutex<Option<String>>,
    to: Address,
}

impl Target {
    fn written(to: Address) -> Target {
        Target { req_id: Mutex::new(None), to }
    }

    fn answering(req_id: Option<String>, to: Address) -> Target {
        Target { req_id: Mutex::new(req_id), to }
    }

    fn req_id(&self) -> Option<String> {
        self.req_id.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn forget_req_id(&self) {
        *self.req_id.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// A conversation as WeCom's sends name it: a person's userid (`chat_type` 1) or a group's
/// chatid (2).
fn addressed(to: &Address, mut body: Value) -> Value {
    let chat_type = match to {
        Address::Person(_) => 1,
        Address::Group(_) => 2,
    };
    body["chatid"] = json!(to.id());
    body["chat_type"] = json!(chat_type);
    body
}

/// A callback as the conversation's event (and where its replies go), or `None` for one that
/// says nothing to the bot. Shapes: WeCom's 「智能机器人长连接」 page and the SDK's
/// `src/types/message.ts`, `src/types/event.ts` (a press: `event.template_card_event
/// {event_key, task_id}` as WeCom sends it, or flat on `event` as the SDK's type has it).
async fn incoming(
    core: &Core,
    edge: &Edge,
    seq: i64,
    key: &str,
    payload: &str,
) -> anyhow::Result<Option<(Incoming, Target)>> {
    let frame: Value = serde_json::from_str(payload)?;
    let body = &frame["body"];
    let Some(user) = body["from"]["userid"].as_str().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let person_id = core.store.handle(Platform::WeCom, user).await?;
    let group = group_of(body);
    let (chat_id, to) = match group {
        Some(chat) => (group_chat(core, Platform::WeCom, chat).await?, Address::Group(chat.to_owned())),
        None => (person_id, Address::Person(user.to_owned())),
    };
    let req_id = frame["headers"]["req_id"].as_str().map(str::to_owned);
    let sent_at = body["create_time"]
        .as_i64()
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .unwrap_or_else(|| core.now());
    let text_of = |v: &Value| v.as_str().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let file_id = format!("wc:{key}");
    let is_press = frame["cmd"].as_str() == Some("aibot_event_callback");
    let content = if is_press {
        let event = &body["event"];
        if event["eventtype"].as_str() != Some("template_card_event") {
            return Ok(None);
        }
        let pressed = event["template_card_event"]["event_key"].as_str().or(event["event_key"].as_str());
        // The key is what typing the answer would send (see `markup`).
        match pressed.filter(|k| *k != markup::PRESSED_KEY) {
            Some(k) => match k.strip_prefix(BUTTON_KEY) {
                Some(data) => Content::Button { callback_id: key.to_owned(), data: data.to_owned() },
                None => Content::Text(k.to_owned()),
            },
            None => return Ok(None),
        }
    } else {
        match body["msgtype"].as_str().unwrap_or("") {
            "text" => match text_of(&body["text"]["content"]) {
                Some(t) => Content::Text(t),
                None => return Ok(None),
            },
            // WeCom turns speech into text: what was said is the message.
            "voice" => match text_of(&body["voice"]["content"]) {
                Some(t) => Content::Text(t),
                None => Content::Other("voice"),
            },
            "image" => {
                match media::keep(
                    core,
                    &edge.http,
                    &file_id,
                    &body["image"],
                    texts::notices::PICTURE_FILE_NAME,
                )
                .await
                {
                    true => Content::Photo { file_id, caption: None, album: None },
                    false => Content::Other("image"),
                }
            }
            // Words with a picture: the words are its caption (a check-in with its evidence).
            "mixed" => {
                let items = body["mixed"]["msg_item"].as_array().cloned().unwrap_or_default();
                let words: Vec<String> =
                    items.iter().filter_map(|i| text_of(&i["text"]["content"])).collect();
                let picture = items.iter().find(|i| i["msgtype"].as_str() == Some("image"));
                let caption = Some(words.join("\n")).filter(|w| !w.is_empty());
                match picture {
                    Some(item)
                        if media::keep(
                            core,
                            &edge.http,
                            &file_id,
                            &item["image"],
                            texts::notices::PICTURE_FILE_NAME,
                        )
                        .await =>
                    {
                        Content::Photo { file_id, caption, album: None }
                    }
                    _ => match caption {
                        Some(words) => Content::Text(words),
                        None => return Ok(None),
                    },
                }
            }
            "file" => match media::keep(core, &edge.http, &file_id, &body["file"], texts::notices::FILE_NAME)
                .await
            {
                true => Content::Document { file_id, name: None, caption: None },
                false => Content::Other("file"),
            },
            _ => Content::Other("unsupported"),
        }
    };
    // A press's req_id answers only the press (by updating the card); its replies are sent.
    let req_id = if is_press { None } else { req_id };
    let incoming = Incoming {
        update_id: seq,
        chat: ChatRef { id: chat_id, private: group.is_none() },
        // WeCom's callbacks carry no display name: the userid stands for it.
        from: Person {
            account: Account { platform: Platform::WeCom, person_id },
            name: user.to_owned(),
            username: None,
        },
        message_id: seq,
        sent_at,
        content,
        reply_to: None,
    };
    Ok(Some((incoming, Target::answering(req_id, to))))
}

// ---------------------------------------------------------------- sending replies

/// Sends replies in order; what WeCom could not take now is returned, to keep for later.
async fn deliver(edge: &Edge, target: &Target, replies: &[Reply]) -> Vec<Reply> {
    for (i, reply) in replies.iter().enumerate() {
        match send_reply(&edge.link, &edge.windows, target, reply, Turn::Wait(&edge.shutdown)).await {
            Ok(()) => {}
            Err(e) if e.passing() => {
                tracing::warn!(error = %e, "WeCom could not take a reply; kept for later");
                return replies[i..].to_vec();
            }
            Err(e) => tracing::warn!(error = %e, "WeCom refused a reply"),
        }
    }
    Vec::new()
}

async fn send_reply(
    link: &Link,
    windows: &Windows,
    target: &Target,
    reply: &Reply,
    turn: Turn<'_>,
) -> Result<(), LinkError> {
    let outs: Vec<Value> = match reply {
        Reply::Send { text, keyboard } | Reply::Edit { text, keyboard, .. } => {
            bodies(link, text, keyboard.as_ref(), &[])
        }
        Reply::Answer { text: Some(t), .. } => bodies(link, t, None, &[]),
        // A notice's preview: the picture the person just sent stays in the chat above it.
        Reply::Media { kind, caption, keyboard, .. } => bodies(
            link,
            &format!("{caption}\n{}", texts::notices::media_in_preview(*kind)),
            keyboard.as_ref(),
            &[],
        ),
        Reply::Upload { name, bytes, caption, .. } => {
            while let Some(wait) = windows.take_upload(Instant::now()) {
                wait_turn(turn, wait, LinkError::UploadsFull(wait)).await?;
            }
            let media_id = media::upload(link, "file", name, bytes).await?;
            let mut outs = vec![json!({ "msgtype": "file", "file": { "media_id": media_id } })];
            outs.extend(bodies(link, caption, None, &[]));
            outs
        }
        Reply::Answer { text: None, .. }
        | Reply::EditButtons { .. }
        | Reply::Menu { .. }
        | Reply::MenuFor { .. } => Vec::new(),
    };
    // The conversation's turns for all of the reply's messages at once, so a reply is never
    // cut in two by its limit.
    take_turns(windows, target, outs.len(), turn).await?;
    for body in outs {
        send(link, windows, target, body).await?;
    }
    Ok(())
}

/// Whether a message waits for its conversation's turn (a reply, until shutdown) or goes now
/// or not at all (a kept reply, a delivery: tried again later).
#[derive(Clone, Copy)]
enum Turn<'a> {
    Wait(&'a CancellationToken),
    Now,
}

/// Takes `n` of the conversation's turns, waiting for them if `turn` allows.
async fn take_turns(windows: &Windows, target: &Target, n: usize, turn: Turn<'_>) -> Result<(), LinkError> {
    while let Some(wait) = windows.take(target.to.id(), n, Instant::now()) {
        wait_turn(turn, wait, LinkError::ConversationFull(wait)).await?;
    }
    Ok(())
}

/// Waits `wait` for a turn if `turn` allows (until shutdown), else fails with `full`.
async fn wait_turn(turn: Turn<'_>, wait: Duration, full: LinkError) -> Result<(), LinkError> {
    match turn {
        Turn::Now => Err(full),
        Turn::Wait(shutdown) => tokio::select! {
            () = tokio::time::sleep(wait) => Ok(()),
            // Stopping: the reply is kept and sent after the restart.
            () = shutdown.cancelled() => Err(LinkError::NotConnected),
        },
    }
}

/// The bodies of a text with its options, each card remembered for its presses.
fn bodies(link: &Link, text: &str, keyboard: Option<&chat::Keyboard>, extra: &[(&str, &str)]) -> Vec<Value> {
    markup::messages(text, keyboard, extra)
        .iter()
        .map(|out: &Out| out.body(|task, card| link.remember_card(task, card)))
        .collect()
}

/// One message into a conversation (its turn taken): as the answer to the message on its
/// `req_id` while WeCom takes that, else written to the conversation. A `45009` fills the
/// conversation's window: WeCom counts what this process may not have (before a restart).
async fn send(link: &Link, windows: &Windows, target: &Target, body: Value) -> Result<(), LinkError> {
    let sent = match target.req_id() {
        Some(req_id) => match link.request("aibot_respond_msg", &req_id, body.clone()).await {
            // Refused on its req_id (expired, from an older connection, …): written instead,
            // and the rest of this message's answers too.
            Err(e) if e.code().is_some_and(|c| c != codes::TOO_FAST && c != codes::INVALID_CHAT) => {
                tracing::info!(error = %e, "WeCom took no answer on the message's req_id; writing to the conversation");
                target.forget_req_id();
                written(link, target, body).await
            }
            answered => answered.map(drop),
        },
        None => written(link, target, body).await,
    };
    if sent.as_ref().err().and_then(LinkError::code) == Some(codes::TOO_FAST) {
        windows.refused(target.to.id(), Instant::now());
    }
    sent
}

async fn written(link: &Link, target: &Target, body: Value) -> Result<(), LinkError> {
    link.request("aibot_send_msg", &Link::fresh_req_id("aibot_send_msg"), addressed(&target.to, body))
        .await
        .map(drop)
}

// ---------------------------------------------------------------- conversation limits

/// Each conversation's messages of the last hour, to keep to WeCom's 30 a minute and 1,000
/// an hour (replies and deliveries together; WeCom's 「智能机器人长连接」 page).
#[derive(Default)]
pub struct Windows {
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Conversations WeCom said are full (`45009` twice in a minute), until when; and each
    /// conversation's latest refusal.
    full: Mutex<HashMap<String, Instant>>,
    refused: Mutex<HashMap<String, Instant>>,
    /// The bot's uploads of the last minute (WeCom allows 30 a minute per bot).
    uploads: Mutex<VecDeque<Instant>>,
}

const PER_MINUTE: usize = 30;
const PER_HOUR: usize = 1000;
/// Uploads a minute per bot (WeCom's 「智能机器人长连接」 page: 上传临时素材).
const UPLOADS_PER_MINUTE: usize = 30;

impl Windows {
    /// Counts `n` messages now, or (counting none) says how long until `n` are allowed.
    fn take(&self, conversation: &str, n: usize, now: Instant) -> Option<Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        // Conversations quiet for an hour are forgotten.
        if sent.len() > 10_000 {
            sent.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < HOUR));
        }
        if let Some(until) = self.full.lock().unwrap_or_else(|p| p.into_inner()).get(conversation)
            && *until > now
        {
            return Some(*until - now);
        }
        let times = sent.entry(conversation.to_owned()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= HOUR) {
            times.pop_front();
        }
        // More than a minute's worth at once could never go: it goes when the minute is clear.
        let (n, len) = (n.clamp(1, PER_MINUTE), times.len());
        // The oldest message that must age out of the hour, or of the minute, for `n` more.
        if len + n > PER_HOUR {
            return times.get(len + n - PER_HOUR - 1).map(|t| HOUR.saturating_sub(now.duration_since(*t)));
        }
        if len + n > PER_MINUTE {
            let since = now.duration_since(times[len + n - PER_MINUTE - 1]);
            if since < MINUTE {
                return Some(MINUTE - since);
            }
        }
        times.extend(std::iter::repeat_n(now, n));
        None
    }

    /// Counts one of the bot's uploads now, or (counting none) says how long until one is
    /// allowed. A notice's file is uploaded once for everyone and an export once per request,
    /// so this is rarely reached; when it is, the upload waits rather than being refused.
    fn take_upload(&self, now: Instant) -> Option<Duration> {
        let mut uploads = self.uploads.lock().unwrap_or_else(|p| p.into_inner());
        while uploads.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
            uploads.pop_front();
        }
        if uploads.len() >= UPLOADS_PER_MINUTE {
            return uploads.front().map(|t| MINUTE - now.duration_since(*t));
        }
        uploads.push_back(now);
        None
    }

    /// WeCom refused a message to the conversation (`45009`). Its answer does not say whose
    /// limit it was: the bot's (the sender's pause and pace see to that), or the
    /// conversation's, which WeCom may count from before a restart. Refused twice in a minute,
    /// the conversation gets nothing more for a minute.
    fn refused(&self, conversation: &str, now: Instant) {
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        refused.retain(|_, at| now.duration_since(*at) < MINUTE);
        if refused.insert(conversation.to_owned(), now).is_some() {
            let mut full = self.full.lock().unwrap_or_else(|p| p.into_inner());
            full.retain(|_, until| *until > now);
            full.insert(conversation.to_owned(), now + MINUTE);
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

// ---------------------------------------------------------------- sending notices

/// The notice sender's WeCom side: each delivery to one person with `aibot_send_msg`, a
/// notice's file uploaded once for everyone.
pub struct Sender {
    link: Arc<Link>,
    core: Core,
    windows: Arc<Windows>,
    /// Each notice's file on WeCom: its media id, or `None` when WeCom refused it; uploaded
    /// once for everyone.
    media: Uploads<Option<String>>,
}

/// How long an uploaded file's media id is used (WeCom keeps it three days).
const MEDIA_KEPT: Duration = Duration::from_secs(2 * 24 * 3600);

impl Sender {
    /// The media id of a notice's file, uploading it if it has none yet (or an old one);
    /// `None` when WeCom refused the file (every member then gets the words alone, without
    /// trying again). A passing failure is the error: the delivery is tried again later.
    async fn media_id(
        &self,
        notice_id: i64,
        kind: MediaKind,
        name: &str,
        bytes: &[u8],
    ) -> Result<Option<String>, LinkError> {
        let upload_type = if kind == MediaKind::Photo { "image" } else { "file" };
        self.media
            .get(notice_id, || async {
                // The bot's uploads are full for now: every delivery of this notice waits,
                // without spending a try, and the others' words go on meanwhile.
                if let Some(wait) = self.windows.take_upload(Instant::now()) {
                    return Err(LinkError::UploadsFull(wait));
                }
                match media::upload(&self.link, upload_type, name, bytes).await {
                    Ok(id) => Ok(Some(id)),
                    Err(e) if e.passing() => Err(e),
                    Err(e) => {
                        tracing::warn!(notice = notice_id, error = %e, "WeCom refused a notice's file; the notice goes without it");
                        Ok(None)
                    }
                }
            })
            .await
    }
}

/// A notice as WeCom shows it: its words (a reminder's marked), with 「收到」 and 「去宣讲」 as
/// buttons whose keys are the words that do the same typed (「收到#12」 names this notice).
fn notice_outs(message: &Outgoing, file_elsewhere: bool) -> Vec<Out> {
    let mut text =
        if message.reminder { texts::notices::notice_reminder(&message.text) } else { message.text.clone() };
    if file_elsewhere {
        text = format!("{text}\n{}", texts::cli::MEDIA_ELSEWHERE);
    }
    let buttons: Vec<(&str, String)> = message
        .actions
        .iter()
        .map(|a| match a {
            NoticeAction::Acknowledge { notice_id, .. } => {
                (texts::notices::BUTTON_ACK, texts::notices::ack_answer(*notice_id))
            }
            NoticeAction::Spread { notice_id } => {
                (texts::notices::BUTTON_SPREAD, button_key(&ButtonData::Spread { notice_id: *notice_id }))
            }
        })
        .collect();
    let buttons: Vec<(&str, &str)> = buttons.iter().map(|(l, k)| (*l, k.as_str())).collect();
    markup::messages(&text, None, &buttons)
}

/// A card button's key that presses a button of the conversation's own (「去宣讲」), as
/// Telegram's callback data does; other keys are what typing the answer would send.
const BUTTON_KEY: &str = "btn:";

fn button_key(data: &ButtonData) -> String {
    format!("{BUTTON_KEY}{}", data.encode())
}

fn outcome(error: LinkError) -> SendOutcome {
    match error {
        LinkError::ConversationFull(wait) => return SendOutcome::Later(wait, "per-conversation limit"),
        LinkError::UploadsFull(wait) => return SendOutcome::Later(wait, "the bot's uploads a minute"),
        _ => {}
    }
    match error.code() {
        Some(codes::TOO_FAST) => SendOutcome::RetryAfter(Duration::from_secs(1)),
        Some(codes::INVALID_CHAT) => SendOutcome::Blocked(texts::wecom::UNREACHABLE.into()),
        Some(_) => SendOutcome::Permanent(error.to_string()),
        None => SendOutcome::Transient(error.to_string()),
    }
}

impl Messenger for Sender {
    /// A delivery: the notice's file first (uploaded once per notice), then its words. A part
    /// that fails stops the rest, and the delivery is tried again whole.
    fn send<'a>(&'a self, chat_id: i64, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let to = match address(&self.core, chat_id).await {
                Ok(Some(to)) => to,
                Ok(None) => return SendOutcome::Permanent("no WeCom id for this member".into()),
                Err(e) => return SendOutcome::Transient(format!("database: {e}")),
            };
            let mut bodies = Vec::new();
            let mut file_elsewhere = false;
            match &message.media {
                Some(OutMedia::Upload { kind, name, bytes }) => match self
                    .media_id(message.notice_id, *kind, name, bytes)
                    .await
                {
                    Ok(Some(id)) => {
                        bodies.push(match kind {
                            MediaKind::Photo => json!({ "msgtype": "image", "image": { "media_id": id } }),
                            MediaKind::Document => json!({ "msgtype": "file", "file": { "media_id": id } }),
                        });
                    }
                    Ok(None) => file_elsewhere = true,
                    Err(e) => return outcome(e),
                },
                // Only Telegram holds this file (a notice from before files were kept).
                Some(OutMedia::FileId { .. }) => file_elsewhere = true,
                None => {}
            }
            bodies.extend(
                notice_outs(message, file_elsewhere)
                    .iter()
                    .map(|o| o.body(|task, card| self.link.remember_card(task, card))),
            );
            let target = Target::written(to);
            // A conversation at its limit: this delivery alone comes back later (the whole
            // notice, so it is never cut in two); the others go on meanwhile.
            if let Err(e) = take_turns(&self.windows, &target, bodies.len(), Turn::Now).await {
                return outcome(e);
            }
            for body in bodies {
                if let Err(e) = send(&self.link, &self.windows, &target, body).await {
                    return outcome(e);
                }
            }
            SendOutcome::Sent { message_id: 0, file_id: None }
        })
    }

    /// The long connection is open and subscribed.
    fn probe(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.link.is_open() })
    }

    fn platform(&self) -> Platform {
        Platform::WeCom
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_takes_thirty_messages_a_minute_then_waits_for_the_oldest_to_age() {
        let windows = Windows::default();
        let start = Instant::now();
        for i in 0..30 {
            assert_eq!(windows.take("zhangsan", 1, start + Duration::from_secs(i)), None);
        }
        let wait = windows.take("zhangsan", 1, start + Duration::from_secs(30));
        assert_eq!(wait, Some(Duration::from_secs(30)));
        assert_eq!(windows.take("lisi", 1, start + Duration::from_secs(30)), None, "others are not held up");
        assert_eq!(windows.take("zhangsan", 1, start + Duration::from_secs(60)), None);
    }

    #[test]
    fn the_bot_takes_thirty_uploads_a_minute_then_waits_for_the_oldest_to_age() {
        let windows = Windows::default();
        let start = Instant::now();
        for i in 0..30 {
            assert_eq!(windows.take_upload(start + Duration::from_secs(i)), None);
        }
        assert_eq!(windows.take_upload(start + Duration::from_secs(45)), Some(Duration::from_secs(15)));
        assert_eq!(windows.take("zhangsan", 1, start + Duration::from_secs(45)), None, "messages go on");
        assert_eq!(windows.take_upload(start + Duration::from_secs(60)), None, "the first aged out");
        assert_eq!(windows.take_upload(start + Duration::from_secs(60)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn a_conversation_takes_a_thousand_messages_an_hour() {
        let windows = Windows::default();
        let start = Instant::now();
        for i in 0..1000u64 {
            // Two a minute: never the minute's limit.
            assert_eq!(windows.take("g", 1, start + Duration::from_secs(i * 3)), None);
        }
        let at = start + Duration::from_secs(3000);
        assert_eq!(windows.take("g", 1, at), Some(Duration::from_secs(600)));
    }

    #[test]
    fn a_reply_of_three_messages_takes_three_turns_at_once_or_none() {
        let windows = Windows::default();
        let start = Instant::now();
        for i in 0..28 {
            assert_eq!(windows.take("wang", 1, start + Duration::from_secs(i)), None);
        }
        // Two turns left in the minute: three wait until the first message ages out, and
        // counting none meanwhile, two still fit.
        assert_eq!(windows.take("wang", 3, start + Duration::from_secs(30)), Some(Duration::from_secs(30)));
        assert_eq!(windows.take("wang", 2, start + Duration::from_secs(30)), None);
        assert_eq!(windows.take("wang", 1, start + Duration::from_secs(30)), Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_conversation_wecom_refused_twice_in_a_minute_waits_a_minute_and_the_others_do_not() {
        let windows = Windows::default();
        let start = Instant::now();
        windows.refused("zhao", start);
        assert_eq!(
            windows.take("zhao", 1, start + Duration::from_secs(1)),
            None,
            "once may be the bot's limit"
        );
        windows.refused("zhao", start + Duration::from_secs(10));
        assert_eq!(windows.take("zhao", 1, start + Duration::from_secs(20)), Some(Duration::from_secs(50)));
        assert_eq!(windows.take("qian", 1, start + Duration::from_secs(10)), None);
        assert_eq!(windows.take("zhao", 1, start + Duration::from_secs(70)), None);
    }
}
