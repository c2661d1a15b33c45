//! A fake WeCom (企业微信 / 政务微信) on loopback that speaks the 智能机器人's long-connection
//! protocol, for the bot's WeCom platform.
//!
//! Every shape is taken from the official Node SDK, WecomTeam/aibot-node-sdk at `80615b98`
//! (v1.0.6), and WeCom's page 「智能机器人长连接」 (document/path/101463, with the pages it points
//! to: 接收消息 100719, 接收事件 101027, 模板卡片类型 101032); the notes with every quotation are
//! in `/tmp/wecom-protocol.md`:
//! - One WebSocket at the service's address (no path, no query, no headers: `src/ws.ts:7`,
//!   `:139`); every message a text frame holding one JSON object (`src/ws.ts:165-173`,
//!   `:431-438`): a request `{cmd, headers: {req_id}, body}`, an answer with no `cmd`
//!   `{headers: {req_id}, errcode, errmsg, body?}` echoing the request's `req_id`, a push
//!   `{cmd: aibot_msg_callback | aibot_event_callback, headers: {req_id}, body}`
//!   (`src/types/api.ts:6-61`, `src/ws.ts:230-313`).
//! - `aibot_subscribe {bot_id, secret}` first (`src/ws.ts:154-163`, `:206-221`): answered `0 ok`,
//!   or `853000 invalid bot_id or secret` (not in the SDK; reported by its users), the socket
//!   left open as the service leaves it (the SDK closes it itself, `src/ws.ts:275-285`). The
//!   answer comes [`SUBSCRIBE_ANSWER_DELAY`] later, as over a network, so a client that does not
//!   wait for it is seen: whatever arrives on a connection before its subscribe is answered is
//!   counted ([`FakeWeCom::frames_before_subscribe`]) and refused. The real answer to that is
//!   not documented; the fake answers 40014 (WeCom's classic 不合法的access_token, the nearest
//!   meaning). A second subscribe on a subscribed connection: 45009 (subscribe is frequency
//!   protected, 「订阅请求」; WecomTeam/wecom-openclaw-plugin#48).
//! - `ping` (`src/ws.ts:344-367`) answered `0 ok` with no body, unless [`FakeWeCom::set_silent`];
//!   the SDK gives up on a connection after two unanswered pings (`src/ws.ts:44-47`).
//! - One connection owns a bot (「连接数量限制」): a subscribe on a new one sends the old one
//!   `aibot_event_callback` with `event.eventtype = disconnected_event` (the doc's exact body:
//!   `msgid`, `create_time`, `aibotid`, `msgtype: event`, no `from`; `src/types/event.ts:59-62`)
//!   and closes it [`CLOSE_AFTER_DISCONNECTED`] later (measured 2.2 s to 313 s by SDK users;
//!   shortened here). The SDK does not reconnect after it (`src/ws.ts:245-264`).
//! - Callbacks: `aibot_msg_callback` with `msgid`, `aibotid`, `chattype` single|group, `chatid`
//!   (groups only), `from.userid`, `msgtype` text|image|mixed… (`src/types/message.ts:97-118`);
//!   a group's text carries the @mention as typed ("@RobotA hello robot"). `image` and the
//!   image items of `mixed` carry `{url, aeskey}` (`src/types/message.ts:35-78`); the url is
//!   served by this fake's own HTTP server (`GET /media/<n>`, valid five minutes as WeCom's), the
//!   bytes AES-256-CBC encrypted with key = base64-decoded `aeskey`, IV = its first 16 bytes,
//!   PKCS#7 padded to a multiple of 32 (`src/crypto.ts:15-58`, 「多媒体资源解密」).
//!   `aibot_event_callback` for a card's button: `event.template_card_event {card_type,
//!   event_key, task_id}`, nested as the doc and real frames have it (the SDK's type has it flat,
//!   `src/types/event.ts:43-50`). WeCom pushes a callback once, to the connection of the moment,
//!   and never again (no acknowledgement in this protocol): said while no connection owns the
//!   bot, it is lost ([`FakeWeCom::lost`]). A message may come twice ("可能因为网络等原因重复回调",
//!   接收消息): [`FakeWeCom::repeat`].
//! - Sending (the table in §6 of the notes): `aibot_respond_msg` on an `aibot_msg_callback`'s
//!   `req_id` (`src/client.ts:174-177`; another req_id: `846605 invalid req_id`, reported by
//!   users), `aibot_respond_update_msg {response_type: update_template_card, template_card}` on a
//!   `template_card_event`'s `req_id` within 5 s (`src/client.ts:303-320`), `aibot_send_msg
//!   {chatid, chat_type, msgtype, …}` with a fresh `req_id` (`src/client.ts:322-353`) to someone
//!   who has written to the bot (「主动推送消息」; else `93006 invalid chatid`, as users report).
//!   Bodies: `markdown {content}` ≤ 20,480 UTF-8 bytes (`src/types/api.ts:97`; over: 40058, the
//!   code for a bad parameter), `template_card` `button_interaction` with `main_title.title`,
//!   1 to 6 buttons each with a `key` ≤ 1,024 bytes unique in the card, and a `task_id` of
//!   `[0-9A-Za-z_-@]` ≤ 128 bytes unique for the bot (`src/types/api.ts:332-402`; else 40058),
//!   `file`/`image` `{media_id}` of an upload of that type (else 40007, WeCom's classic 不合法的
//!   媒体文件id). `text` is refused: `40008 invalid message type` (funcodingdev/n8n-nodes-wecom#43).
//! - Upload (`src/client.ts:355-495`, 「上传临时素材」): `aibot_upload_media_init {type, filename,
//!   total_size, total_chunks ≤ 100, md5}` → `body.upload_id`; `aibot_upload_media_chunk
//!   {upload_id, chunk_index, base64_data}` ≤ 512 KiB raw each, a repeated chunk ignored, indices
//!   from 0 (the SDK's code) or from 1 (the doc's example); `aibot_upload_media_finish
//!   {upload_id}` checks every chunk is there, the size and the MD5 → `body {type, media_id,
//!   created_at}` (`created_at` a string, as in the doc).
//! - Limits (「注意事项」): 30 messages a minute and 1,000 an hour per conversation, replies and
//!   sends together, always; 30 uploads a minute per bot; beyond: `45009 api freq out of limit`.
//!   [`FakeWeCom::set_bot_rate`] adds a limit on messages a second for the whole bot.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockEncryptMut, KeyIvInit};
use futures::{SinkExt, StreamExt};
use md5::{Digest, Md5};
use rand::Rng;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

pub const BOT_ID: &str = "aibFakeBot0wecom0sansong";
pub const SECRET: &str = "fake-wecom-secret-never-logged";
const DEADLINE: Duration = Duration::from_secs(20);

/// `markdown.content`, in UTF-8 bytes.
pub const CONTENT_LIMIT: usize = 20_480;
pub const MAX_BUTTONS: usize = 6;
const KEY_LIMIT: usize = 1024;
const TASK_ID_LIMIT: usize = 128;
const CHUNK_LIMIT: usize = 512 * 1024;
const MAX_CHUNKS: usize = 100;
/// How long a card press's req_id takes `aibot_respond_update_msg` (and `enter_chat`'s the
/// welcome).
pub const UPDATE_WINDOW: Duration = Duration::from_secs(5);
const MEDIA_URL_LIFETIME: Duration = Duration::from_secs(300);
/// The subscribe's answer comes this long after the request (a network's round trip).
pub const SUBSCRIBE_ANSWER_DELAY: Duration = Duration::from_millis(50);
/// After a `disconnected_event`, the service closes the old connection (2.2 s to 313 s in
/// users' measurements; short here, so a client that waits for the close is seen quickly).
pub const CLOSE_AFTER_DISCONNECTED: Duration = Duration::from_millis(500);

pub const OK: i64 = 0;
pub const INVALID_CREDENTIALS: i64 = 853_000;
pub const FREQ_OUT_OF_LIMIT: i64 = 45_009;
pub const INVALID_REQ_ID: i64 = 846_605;
pub const INVALID_CHATID: i64 = 93_006;
pub const INVALID_MESSAGE_TYPE: i64 = 40_008;
pub const BAD_PARAMETER: i64 = 40_058;
pub const INVALID_MEDIA_ID: i64 = 40_007;
pub const NOT_SUBSCRIBED: i64 = 40_014;

/// Someone in the organisation writing to the bot. WeCom's callbacks carry only `userid`: the
/// name is the test's own, for what it expects the bot to call them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WcUser {
    pub userid: String,
    pub name: String,
}

impl WcUser {
    pub fn new(userid: &str, name: &str) -> WcUser {
        WcUser { userid: userid.to_owned(), name: name.to_owned() }
    }
}

/// One message the bot sent (or a card it updated), as the fake took it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub seq: usize,
    /// `aibot_respond_msg`, `aibot_send_msg`, `aibot_respond_update_msg` or
    /// `aibot_respond_welcome_msg`.
    pub cmd: String,
    pub req_id: String,
    /// The userid, or a group's chatid.
    pub to: String,
    pub msgtype: String,
    /// A markdown's content; a card's title, description and sub-title, one a line; a file's or
    /// image's file name (as uploaded).
    pub text: String,
    /// A card's buttons: (text, key).
    pub buttons: Vec<(String, String)>,
    pub task_id: Option<String>,
    pub media_id: Option<String>,
    /// The frame's body as sent.
    pub body: Value,
    /// The connection it came on (0 the first).
    pub conn: usize,
    pub at: Instant,
}

impl Sent {
    /// The key of the button whose text is `label`.
    pub fn key(&self, label: &str) -> Option<&str> {
        self.buttons.iter().find(|(t, _)| t == label).map(|(_, k)| k.as_str())
    }

    pub fn labels(&self) -> Vec<String> {
        self.buttons.iter().map(|(t, _)| t.clone()).collect()
    }

    /// Whether it is a new message in the chat (not a card changed in place).
    pub fn is_message(&self) -> bool {
        self.cmd != "aibot_respond_update_msg"
    }
}

/// A frame the bot sent, whatever it was.
#[derive(Debug, Clone)]
pub struct Frame {
    pub conn: usize,
    pub cmd: String,
    pub req_id: String,
    pub body: Value,
    pub at: Instant,
}

/// A request the fake answered with an error.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub conn: usize,
    pub cmd: String,
    pub req_id: String,
    pub errcode: i64,
    pub errmsg: String,
    /// The chatid of a send, the userid or chatid a reply was for.
    pub to: String,
    pub at: Instant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Message,
    Event(String),
}

/// A callback pushed: what its req_id may be used for.
struct Callback {
    kind: Kind,
    /// Where a reply to it goes: the userid, or the group's chatid.
    to: String,
    userid: String,
    at: Instant,
}

struct Conn {
    tx: Option<mpsc::UnboundedSender<Message>>,
    opened_at: Instant,
    /// Its subscribe has been answered `ok`.
    subscribed: bool,
    first_cmd: Option<String>,
    /// Set when it ended: whether the bot ended it (a close frame, or the socket gone).
    ended_by_bot: Option<bool>,
    pings: usize,
}

struct Upload {
    kind: String,
    filename: String,
    total_size: usize,
    total_chunks: usize,
    md5: Option<String>,
    chunks: HashMap<usize, Vec<u8>>,
}

struct Media {
    kind: String,
    filename: String,
    bytes: Vec<u8>,
}

/// A file a callback points at: served encrypted.
struct Download {
    encrypted: Vec<u8>,
    made: Instant,
    fetched: usize,
}

#[derive(Default)]
struct Inner {
    conns: Vec<Conn>,
    /// The connection that owns the bot (its subscribe answered last).
    owner: Option<usize>,
    subscribes: usize,
    subscribe_times: Vec<Instant>,
    good_subscribes: usize,
    frames_before_subscribe: usize,
    frames: Vec<Frame>,
    sent: Vec<Sent>,
    refusals: Vec<Refusal>,
    refused_45009: usize,
    /// Callbacks by req_id.
    callbacks: HashMap<String, Callback>,
    /// Every callback pushed, by msgid (to push again): (req_id, frame).
    by_msgid: HashMap<String, String>,
    /// Pushed while no connection owned the bot: gone, as WeCom does not push again.
    lost: usize,
    /// People who have written to the bot, and groups it was @-mentioned in.
    known_users: HashSet<String>,
    known_groups: HashSet<String>,
    unreachable: HashSet<String>,
    silent: bool,
    refuse_responds: bool,
    /// Messages a second for the whole bot (None: no such limit).
    bot_rate: Option<f64>,
    bot_times: VecDeque<Instant>,
    /// Messages accepted per conversation, the last hour's.
    conversation_times: HashMap<String, VecDeque<Instant>>,
    upload_times: VecDeque<Instant>,
    task_ids: HashSet<String>,
    uploads_open: HashMap<String, Upload>,
    media: HashMap<String, Media>,
    /// (filename, size) of each finished upload, in order.
    uploads: Vec<(String, usize)>,
    downloads: HashMap<String, Download>,
    /// How long a file's link works (`None`: WeCom's five minutes).
    media_lifetime: Option<Duration>,
    /// The gateway cannot be reached: no connection opens.
    down: bool,
    next_id: u64,
    shift_ms: i64,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    version: Arc<watch::Sender<u64>>,
    http_url: String,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}

pub struct FakeWeCom {
    shared: Shared,
    /// The long connection's address, `ws://127.0.0.1:<port>`.
    pub url: String,
    /// Where the media of callbacks are served, `http://127.0.0.1:<port>`.
    pub media_url: String,
}

impl FakeWeCom {
    pub async fn start() -> FakeWeCom {
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", ws.local_addr().unwrap());
        let media_url = format!("http://{}", http.local_addr().unwrap());
        let (version, _) = watch::channel(0);
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner::default())),
            version: Arc::new(version),
            http_url: media_url.clone(),
        };
        let app = Router::new().route("/media/{id}", get(serve_media)).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(http, app).await.unwrap() });
        let ws_shared = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = ws.accept().await {
                // Down: the connection is dropped before the WebSocket opens, as an
                // unreachable gateway's would be.
                if ws_shared.lock().down {
                    drop(stream);
                    continue;
                }
                tokio::spawn(serve_socket(ws_shared.clone(), stream));
            }
        });
        FakeWeCom { shared, url, media_url }
    }

    fn next_id(&self) -> u64 {
        let mut inner = self.shared.lock();
        inner.next_id += 1;
        inner.next_id
    }

    /// Moves the fake's clock (its callbacks' `create_time`) to `at`, running on.
    pub fn set_now(&self, at: chrono::DateTime<chrono::Utc>) {
        self.shared.lock().shift_ms = (at - chrono::Utc::now()).num_milliseconds();
    }

    fn create_time(&self) -> i64 {
        (chrono::Utc::now().timestamp_millis() + self.shared.lock().shift_ms) / 1000
    }

    /// A text from `user` in their single chat with the bot; its msgid.
    pub fn say(&self, user: &WcUser, text: &str) -> String {
        let body = self.message_body(user, None, "text", json!({ "text": { "content": text } }));
        self.push_message(user, None, body).0
    }

    /// `user` @-mentions the bot in group `chatid` (the mention stays in the text, as WeCom
    /// sends it); its msgid.
    pub fn say_in_group(&self, user: &WcUser, chatid: &str, text: &str) -> String {
        let content = format!("@三送助手 {text}");
        let body = self.message_body(user, Some(chatid), "text", json!({ "text": { "content": content } }));
        self.push_message(user, Some(chatid), body).0
    }

    /// A picture from `user` in their single chat: `image` alone, or with words a `mixed`
    /// message (text item, then image item). The bytes are served encrypted at the url; its
    /// msgid.
    pub fn picture(&self, user: &WcUser, bytes: &[u8], caption: Option<&str>) -> String {
        let image = self.encrypted_media(bytes);
        let body = match caption {
            None => self.message_body(user, None, "image", json!({ "image": image })),
            Some(words) => self.message_body(
                user,
                None,
                "mixed",
                json!({ "mixed": { "msg_item": [
                    { "msgtype": "text", "text": { "content": words } },
                    { "msgtype": "image", "image": image },
                ] } }),
            ),
        };
        self.push_message(user, None, body).0
    }

    /// `user` opens the bot's single chat for the first time today (`enter_chat`); its req_id.
    pub fn enter_chat(&self, user: &WcUser) -> String {
        let body = json!({
            "msgid": msgid(),
            "create_time": self.create_time(),
            "aibotid": BOT_ID,
            "from": { "userid": user.userid },
            "msgtype": "event",
            "event": { "eventtype": "enter_chat" },
        });
        self.push_event(user, None, "enter_chat", body).1
    }

    /// `user` presses the button `key` of the card `task_id` the bot sent them (or updated
    /// to show that button); the event's req_id. The card must have had that button.
    pub fn press(&self, user: &WcUser, task_id: &str, key: &str) -> String {
        let shown = self.shared.lock().sent.iter().any(|s| {
            s.to == user.userid
                && s.task_id.as_deref() == Some(task_id)
                && s.buttons.iter().any(|(_, k)| k == key)
        });
        assert!(shown, "no card {task_id} with a button {key:?} was sent to {}", user.userid);
        let body = json!({
            "msgid": msgid(),
            "create_time": self.create_time(),
            "aibotid": BOT_ID,
            "from": { "corpid": "wwfakecorp", "userid": user.userid },
            "chattype": "single",
            "response_url": format!("{}/response?code={}", self.media_url, self.next_id()),
            "msgtype": "event",
            "event": {
                "eventtype": "template_card_event",
                "template_card_event": {
                    "card_type": "button_interaction",
                    "event_key": key,
                    "task_id": task_id,
                },
            },
        });
        self.push_event(user, None, "template_card_event", body).1
    }

    /// `user` presses the button labelled `label` on `card`; the event's req_id.
    pub fn press_button(&self, user: &WcUser, card: &Sent, label: &str) -> String {
        let key = card.key(label).unwrap_or_else(|| panic!("no button {label:?} on {card:#?}"));
        let task = card.task_id.clone().unwrap_or_else(|| panic!("a card without task_id: {card:#?}"));
        self.press(user, &task, key)
    }

    /// The common fields of a message callback (接收消息's examples), with `fields` added.
    fn message_body(&self, user: &WcUser, chatid: Option<&str>, msgtype: &str, fields: Value) -> Value {
        let mut body = json!({
            "msgid": msgid(),
            "create_time": self.create_time(),
            "aibotid": BOT_ID,
            "chattype": if chatid.is_some() { "group" } else { "single" },
            "from": { "userid": user.userid },
            "response_url": format!("{}/response?code={}", self.media_url, self.next_id()),
            "msgtype": msgtype,
        });
        if let Some(chatid) = chatid {
            body["chatid"] = json!(chatid);
        }
        if let (Some(b), Some(f)) = (body.as_object_mut(), fields.as_object()) {
            b.extend(f.clone());
        }
        body
    }

    /// Pushes an `aibot_msg_callback`; (msgid, req_id).
    pub fn push_message(&self, user: &WcUser, chatid: Option<&str>, body: Value) -> (String, String) {
        self.push("aibot_msg_callback", Kind::Message, user, chatid, body)
    }

    fn push_event(&self, user: &WcUser, chatid: Option<&str>, event: &str, body: Value) -> (String, String) {
        self.push("aibot_event_callback", Kind::Event(event.to_owned()), user, chatid, body)
    }

    fn push(
        &self,
        cmd: &str,
        kind: Kind,
        user: &WcUser,
        chatid: Option<&str>,
        body: Value,
    ) -> (String, String) {
        let req_id = format!("{}_{}", self.next_id(), hex8());
        let msgid = body["msgid"].as_str().unwrap_or_default().to_owned();
        let frame = json!({ "cmd": cmd, "headers": { "req_id": req_id }, "body": body }).to_string();
        let mut inner = self.shared.lock();
        let to = chatid.unwrap_or(&user.userid).to_owned();
        inner
            .callbacks
            .insert(req_id.clone(), Callback { kind, to, userid: user.userid.clone(), at: Instant::now() });
        inner.by_msgid.insert(msgid.clone(), frame.clone());
        inner.known_users.insert(user.userid.clone());
        if let Some(chatid) = chatid {
            inner.known_groups.insert(chatid.to_owned());
        }
        deliver(&mut inner, frame);
        drop(inner);
        self.shared.changed();
        (msgid, req_id)
    }

    /// The req_id of the callback `msgid`.
    pub fn req_id_of(&self, msgid: &str) -> Option<String> {
        let frame = self.shared.lock().by_msgid.get(msgid).cloned()?;
        let frame: Value = serde_json::from_str(&frame).ok()?;
        frame["headers"]["req_id"].as_str().map(str::to_owned)
    }

    /// The callback frame of `msgid`, as pushed.
    pub fn pushed(&self, msgid: &str) -> Option<String> {
        self.shared.lock().by_msgid.get(msgid).cloned()
    }

    /// Pushes the callback of `msgid` again, the same frame (msgid and req_id), as WeCom may.
    pub fn repeat(&self, msgid: &str) {
        let mut inner = self.shared.lock();
        let frame = inner.by_msgid.get(msgid).cloned().unwrap_or_else(|| panic!("no callback {msgid}"));
        deliver(&mut inner, frame);
    }

    /// The network drops the connection of the moment (no frame, no close handshake).
    pub fn drop_connection(&self) {
        let mut inner = self.shared.lock();
        if let Some(owner) = inner.owner.take() {
            inner.conns[owner].tx = None;
        }
        drop(inner);
        self.shared.changed();
    }

    /// A newer connection (elsewhere) took the bot over: the connection of the moment gets a
    /// `disconnected_event` and is closed [`CLOSE_AFTER_DISCONNECTED`] later.
    pub fn disconnect_by_newer(&self) {
        let mut inner = self.shared.lock();
        if let Some(owner) = inner.owner.take() {
            kick(&mut inner, owner);
        }
        drop(inner);
        self.shared.changed();
    }

    /// Stops (or starts again) answering pings.
    pub fn set_silent(&self, silent: bool) {
        self.shared.lock().silent = silent;
    }

    /// `aibot_send_msg` to these userids is refused with 93006 (left the company, say).
    pub fn set_unreachable(&self, userids: &[&str]) {
        self.shared.lock().unreachable = userids.iter().map(|s| (*s).to_owned()).collect();
    }

    /// These people have written to the bot before (before this fake's memory begins), so
    /// proactive sends to them are taken.
    pub fn knows(&self, userids: &[String]) {
        self.shared.lock().known_users.extend(userids.iter().cloned());
    }

    /// WeCom's gateway cannot be reached (`true`): the open connection drops and no new one
    /// opens, until `false`.
    pub fn set_down(&self, down: bool) {
        self.shared.lock().down = down;
        if down {
            self.drop_connection();
        }
    }

    /// Files' links work this long (WeCom's are five minutes): a test need not wait that.
    pub fn set_media_lifetime(&self, lifetime: Duration) {
        self.shared.lock().media_lifetime = Some(lifetime);
    }

    /// At most this many messages a second for the whole bot, 45009 beyond.
    pub fn set_bot_rate(&self, rate: Option<f64>) {
        self.shared.lock().bot_rate = rate;
    }

    /// Every `aibot_respond_msg` is refused with 846605 (as for a req_id WeCom no longer takes).
    pub fn set_refuse_responds(&self, refuse: bool) {
        self.shared.lock().refuse_responds = refuse;
    }

    pub fn refused_45009(&self) -> usize {
        self.shared.lock().refused_45009
    }

    /// WebSocket connections opened so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().conns.len()
    }

    pub fn connection_times(&self) -> Vec<Instant> {
        self.shared.lock().conns.iter().map(|c| c.opened_at).collect()
    }

    /// The first command on each connection.
    pub fn first_commands(&self) -> Vec<Option<String>> {
        self.shared.lock().conns.iter().map(|c| c.first_cmd.clone()).collect()
    }

    /// Whether connection `n` has ended, and if so whether the bot ended it.
    pub fn ended_by_bot(&self, n: usize) -> Option<bool> {
        self.shared.lock().conns.get(n).and_then(|c| c.ended_by_bot)
    }

    /// Pings received on connection `n`.
    pub fn pings_on(&self, n: usize) -> usize {
        self.shared.lock().conns.get(n).map_or(0, |c| c.pings)
    }

    /// `aibot_subscribe` requests received, refused or not.
    pub fn subscribes(&self) -> usize {
        self.shared.lock().subscribes
    }

    pub fn subscribe_times(&self) -> Vec<Instant> {
        self.shared.lock().subscribe_times.clone()
    }

    /// Subscribes answered `ok`.
    pub fn good_subscribes(&self) -> usize {
        self.shared.lock().good_subscribes
    }

    pub fn frames_before_subscribe(&self) -> usize {
        self.shared.lock().frames_before_subscribe
    }

    pub fn frames(&self) -> Vec<Frame> {
        self.shared.lock().frames.clone()
    }

    pub fn refusals(&self) -> Vec<Refusal> {
        self.shared.lock().refusals.clone()
    }

    /// Callbacks pushed while no connection owned the bot.
    pub fn lost(&self) -> usize {
        self.shared.lock().lost
    }

    /// (filename, size) of each finished upload, in order.
    pub fn uploads(&self) -> Vec<(String, usize)> {
        self.shared.lock().uploads.clone()
    }

    /// An upload's (type, filename, bytes).
    pub fn media(&self, media_id: &str) -> Option<(String, String, Vec<u8>)> {
        self.shared.lock().media.get(media_id).map(|m| (m.kind.clone(), m.filename.clone(), m.bytes.clone()))
    }

    /// Times the media of callbacks were fetched.
    pub fn downloads(&self) -> usize {
        self.shared.lock().downloads.values().map(|d| d.fetched).sum()
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().sent.clone()
    }

    /// Where the sent messages stand (a position for [`Self::next_to`]).
    pub fn mark(&self) -> usize {
        self.shared.lock().sent.len()
    }

    /// Waits until `check` finds what it wants, or fails the test after 20 s.
    pub async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&FakeWeCom) -> Option<T>) -> T {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(found) = check(self) {
                return found;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => panic!("the fake WeCom stopped while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; {}", self.summary()),
            }
        }
    }

    /// What the fake has seen, for a failing test's message.
    pub fn summary(&self) -> String {
        let inner = self.shared.lock();
        let sent: Vec<String> = inner
            .sent
            .iter()
            .rev()
            .take(12)
            .rev()
            .map(|s| {
                let text: String = s.text.chars().take(160).collect();
                format!("  #{} {} to {} {} {text:?} {:?}", s.seq, s.cmd, s.to, s.msgtype, s.labels_short())
            })
            .collect();
        let refused: Vec<String> = inner
            .refusals
            .iter()
            .rev()
            .take(12)
            .rev()
            .map(|r| format!("  {} {} to {:?}: {} {}", r.cmd, r.req_id, r.to, r.errcode, r.errmsg))
            .collect();
        format!(
            "{} connections, {} subscribes ({} ok), {} lost; sent so far (last 12 of {}):\n{}\nrefused (last 12 of {}):\n{}",
            inner.conns.len(),
            inner.subscribes,
            inner.good_subscribes,
            inner.lost,
            inner.sent.len(),
            sent.join("\n"),
            inner.refusals.len(),
            refused.join("\n"),
        )
    }

    /// The first message (not a card update) to `user` from position `after` on.
    pub async fn next_to(&self, user: &WcUser, after: usize) -> Sent {
        self.wait_for(&format!("a message to {}", user.userid), |f| {
            f.sent().into_iter().find(|s| s.seq >= after && s.to == user.userid && s.is_message())
        })
        .await
    }

    /// Waits until `n` connections have been opened and the newest owns the bot.
    pub async fn wait_connections(&self, n: usize) {
        self.wait_for(&format!("{n} connections, the newest subscribed"), |f| {
            let inner = f.shared.lock();
            (inner.conns.len() >= n && inner.owner == Some(inner.conns.len() - 1)).then_some(())
        })
        .await;
    }

    /// Waits until `n` subscribes (refused or not) have been received.
    pub async fn wait_subscribes(&self, n: usize) {
        self.wait_for(&format!("{n} subscribes"), |f| (f.subscribes() >= n).then_some(())).await;
    }

    /// The frame whose req_id and cmd these are, waited for.
    pub async fn frame(&self, cmd: &str, req_id: &str) -> Frame {
        self.wait_for(&format!("{cmd} on {req_id}"), |f| {
            f.frames().into_iter().find(|x| x.cmd == cmd && x.req_id == req_id)
        })
        .await
    }

    /// The bytes a picture's url serves for `plain` under `aeskey` (what WeCom would serve).
    pub fn encrypt(plain: &[u8], key: &[u8; 32]) -> Vec<u8> {
        let pad = 32 - plain.len() % 32;
        let mut buffer = plain.to_vec();
        buffer.extend(std::iter::repeat_n(pad as u8, pad));
        let len = buffer.len();
        cbc::Encryptor::<aes::Aes256>::new_from_slices(key, &key[..16])
            .unwrap()
            .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
            .unwrap();
        buffer
    }

    /// Serves `bytes` encrypted under a fresh key; the `{url, aeskey}` of a callback.
    fn encrypted_media(&self, bytes: &[u8]) -> Value {
        let key: [u8; 32] = rand::thread_rng().r#gen();
        let id = format!("{}{}", self.next_id(), hex8());
        let encrypted = FakeWeCom::encrypt(bytes, &key);
        self.shared
            .lock()
            .downloads
            .insert(id.clone(), Download { encrypted, made: Instant::now(), fetched: 0 });
        json!({
            "url": format!("{}/media/{id}?sign=q-sign-algorithm%3Dsha1", self.media_url),
            "aeskey": BASE64.encode(key),
        })
    }
}

impl Sent {
    fn labels_short(&self) -> Vec<&str> {
        self.buttons.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// A msgid as WeCom's look (`CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=`: base64, with `/`, `+`, `=`).
fn msgid() -> String {
    let raw: [u8; 23] = rand::thread_rng().r#gen();
    BASE64.encode(raw)
}

fn hex8() -> String {
    format!("{:08x}", rand::thread_rng().r#gen::<u32>())
}

/// Pushes a frame to the connection owning the bot; lost if none.
fn deliver(inner: &mut Inner, frame: String) {
    let live = inner.owner.and_then(|o| inner.conns[o].tx.clone());
    match live {
        Some(tx) if tx.send(Message::Text(frame.into())).is_ok() => {}
        _ => inner.lost += 1,
    }
}

/// Sends connection `n` the `disconnected_event` and closes it a moment later.
fn kick(inner: &mut Inner, n: usize) {
    let Some(tx) = inner.conns[n].tx.clone() else { return };
    let event = json!({
        "cmd": "aibot_event_callback",
        "headers": { "req_id": format!("disconnect_{}", hex8()) },
        "body": {
            "msgid": msgid(),
            "create_time": chrono::Utc::now().timestamp(),
            "aibotid": BOT_ID,
            "msgtype": "event",
            "event": { "eventtype": "disconnected_event" },
        },
    });
    let _ = tx.send(Message::Text(event.to_string().into()));
    tokio::spawn(async move {
        tokio::time::sleep(CLOSE_AFTER_DISCONNECTED).await;
        let _ = tx.send(Message::Close(None));
    });
}

/// `GET /media/<id>`: a callback's file, encrypted, for five minutes.
async fn serve_media(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    let mut inner = shared.lock();
    let lifetime = inner.media_lifetime.unwrap_or(MEDIA_URL_LIFETIME);
    let Some(download) = inner.downloads.get_mut(&id) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    if download.made.elapsed() > lifetime {
        return (StatusCode::FORBIDDEN, "Request has expired").into_response();
    }
    download.fetched += 1;
    let bytes = download.encrypted.clone();
    drop(inner);
    shared.changed();
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

/// One long connection: frames in, answers and pushes out.
async fn serve_socket(shared: Shared, stream: tokio::net::TcpStream) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut write, mut read) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let conn = {
        let mut inner = shared.lock();
        inner.conns.push(Conn {
            tx: Some(tx),
            opened_at: Instant::now(),
            subscribed: false,
            first_cmd: None,
            ended_by_bot: None,
            pings: 0,
        });
        inner.conns.len() - 1
    };
    shared.changed();
    let by_bot = loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(m) => {
                    let close = matches!(m, Message::Close(_));
                    if write.send(m).await.is_err() {
                        break true;
                    }
                    if close {
                        break false;
                    }
                }
                // The fake dropped the connection: end it without a close handshake.
                None => break false,
            },
            incoming = read.next() => match incoming {
                Some(Ok(Message::Text(t))) => on_frame(&shared, conn, &t),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break true,
                Some(Ok(_)) => {}
            },
        }
    };
    let mut inner = shared.lock();
    let c = &mut inner.conns[conn];
    c.tx = None;
    c.ended_by_bot = Some(by_bot);
    if inner.owner == Some(conn) {
        inner.owner = None;
    }
    drop(inner);
    shared.changed();
}

/// Answers a request on connection `conn`.
fn answer(inner: &Inner, conn: usize, req_id: &str, errcode: i64, errmsg: &str, body: Option<Value>) {
    let mut frame = json!({ "headers": { "req_id": req_id }, "errcode": errcode, "errmsg": errmsg });
    if let Some(body) = body {
        frame["body"] = body;
    }
    if let Some(tx) = &inner.conns[conn].tx {
        let _ = tx.send(Message::Text(frame.to_string().into()));
    }
}

struct Request<'a> {
    conn: usize,
    cmd: &'a str,
    req_id: &'a str,
    body: &'a Value,
}

type Refused = (i64, String);

fn refuse(inner: &mut Inner, r: &Request, to: &str, (errcode, errmsg): Refused) {
    if errcode == FREQ_OUT_OF_LIMIT {
        inner.refused_45009 += 1;
    }
    answer(inner, r.conn, r.req_id, errcode, &errmsg, None);
    inner.refusals.push(Refusal {
        conn: r.conn,
        cmd: r.cmd.to_owned(),
        req_id: r.req_id.to_owned(),
        errcode,
        errmsg,
        to: to.to_owned(),
        at: Instant::now(),
    });
}

fn on_frame(shared: &Shared, conn: usize, text: &str) {
    let Ok(frame) = serde_json::from_str::<Value>(text) else { return };
    let cmd = frame["cmd"].as_str().unwrap_or("").to_owned();
    let req_id = frame["headers"]["req_id"].as_str().unwrap_or("").to_owned();
    let body = frame["body"].clone();
    let mut inner = shared.lock();
    inner.frames.push(Frame {
        conn,
        cmd: cmd.clone(),
        req_id: req_id.clone(),
        body: body.clone(),
        at: Instant::now(),
    });
    if inner.conns[conn].first_cmd.is_none() {
        inner.conns[conn].first_cmd = Some(cmd.clone());
    }
    let r = Request { conn, cmd: &cmd, req_id: &req_id, body: &body };
    if cmd == "aibot_subscribe" {
        subscribe(shared, &mut inner, &r);
    } else if !inner.conns[conn].subscribed {
        inner.frames_before_subscribe += 1;
        refuse(&mut inner, &r, "", (NOT_SUBSCRIBED, "not subscribed: send aibot_subscribe first".into()));
    } else {
        match cmd.as_str() {
            "ping" => {
                inner.conns[conn].pings += 1;
                if !inner.silent {
                    answer(&inner, conn, &req_id, OK, "ok", None);
                }
            }
            "aibot_respond_msg" => respond(&mut inner, &r),
            "aibot_respond_update_msg" => update(&mut inner, &r),
            "aibot_respond_welcome_msg" => welcome(&mut inner, &r),
            "aibot_send_msg" => send(&mut inner, &r),
            "aibot_upload_media_init" => upload_init(&mut inner, &r),
            "aibot_upload_media_chunk" => upload_chunk(&mut inner, &r),
            "aibot_upload_media_finish" => upload_finish(&mut inner, &r),
            _ => refuse(&mut inner, &r, "", (BAD_PARAMETER, format!("invalid cmd {cmd:?}"))),
        }
    }
    drop(inner);
    shared.changed();
}

/// `aibot_subscribe`: counted now, answered a network's round trip later.
fn subscribe(shared: &Shared, inner: &mut Inner, r: &Request) {
    inner.subscribes += 1;
    inner.subscribe_times.push(Instant::now());
    let good = r.body["bot_id"] == BOT_ID && r.body["secret"] == SECRET;
    let (conn, req_id, shared) = (r.conn, r.req_id.to_owned(), shared.clone());
    tokio::spawn(async move {
        tokio::time::sleep(SUBSCRIBE_ANSWER_DELAY).await;
        let mut inner = shared.lock();
        let r = Request { conn, cmd: "aibot_subscribe", req_id: &req_id, body: &Value::Null };
        if inner.conns[conn].tx.is_none() {
            // Gone before its answer.
        } else if inner.conns[conn].subscribed {
            refuse(&mut inner, &r, "", (FREQ_OUT_OF_LIMIT, "api freq out of limit".into()));
        } else if !good {
            refuse(&mut inner, &r, "", (INVALID_CREDENTIALS, "invalid bot_id or secret".into()));
        } else {
            if let Some(old) = inner.owner.filter(|o| *o != conn) {
                kick(&mut inner, old);
            }
            inner.conns[conn].subscribed = true;
            inner.owner = Some(conn);
            inner.good_subscribes += 1;
            answer(&inner, conn, &req_id, OK, "ok", None);
        }
        drop(inner);
        shared.changed();
    });
}

/// What a message body holds, as read and checked.
struct Parsed {
    msgtype: String,
    text: String,
    buttons: Vec<(String, String)>,
    task_id: Option<String>,
    media_id: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Respond,
    Send,
    Update,
    Welcome,
}

fn bad(message: impl Into<String>) -> Refused {
    (BAD_PARAMETER, message.into())
}

/// Checks a message body as WeCom would, for where it is sent.
fn check_message(inner: &Inner, body: &Value, place: Place) -> Result<Parsed, Refused> {
    let msgtype = body["msgtype"].as_str().unwrap_or("");
    let plain = |text: String| Parsed {
        msgtype: msgtype.to_owned(),
        text,
        buttons: Vec::new(),
        task_id: None,
        media_id: None,
    };
    match msgtype {
        "markdown" if place != Place::Welcome => {
            let content =
                body["markdown"]["content"].as_str().ok_or_else(|| bad("markdown.content missing"))?;
            if content.is_empty() {
                return Err(bad("markdown.content empty"));
            }
            if content.len() > CONTENT_LIMIT {
                return Err(bad(format!(
                    "markdown.content exceeds {CONTENT_LIMIT} bytes: {}",
                    content.len()
                )));
            }
            Ok(plain(content.to_owned()))
        }
        // A stream is a reply's own (`src/client.ts:189-210`).
        "stream" if place == Place::Respond => {
            let content = body["stream"]["content"].as_str().unwrap_or("");
            if content.len() > CONTENT_LIMIT {
                return Err(bad(format!("stream.content exceeds {CONTENT_LIMIT} bytes")));
            }
            Ok(plain(content.to_owned()))
        }
        // `text` only as a welcome (`aibot_respond_welcome_msg`, 6.2 of the notes).
        "text" if place == Place::Welcome => {
            Ok(plain(body["text"]["content"].as_str().unwrap_or("").to_owned()))
        }
        "template_card" => check_card(inner, &body["template_card"], place == Place::Update),
        "file" | "image" | "voice" | "video" if matches!(place, Place::Respond | Place::Send) => {
            let id = body[msgtype]["media_id"]
                .as_str()
                .ok_or_else(|| bad(format!("{msgtype}.media_id missing")))?;
            match inner.media.get(id) {
                Some(m) if m.kind == msgtype => {
                    Ok(Parsed { media_id: Some(id.to_owned()), ..plain(m.filename.clone()) })
                }
                _ => Err((INVALID_MEDIA_ID, "invalid media_id".into())),
            }
        }
        _ => Err((INVALID_MESSAGE_TYPE, "invalid message type".into())),
    }
}

fn check_card(inner: &Inner, card: &Value, update: bool) -> Result<Parsed, Refused> {
    let card_type = card["card_type"].as_str().ok_or_else(|| bad("template_card.card_type missing"))?;
    if !matches!(
        card_type,
        "text_notice" | "news_notice" | "button_interaction" | "vote_interaction" | "multiple_interaction"
    ) {
        return Err(bad(format!("invalid card_type {card_type:?}")));
    }
    let title = card["main_title"]["title"].as_str().unwrap_or("");
    if card_type != "news_notice" && title.is_empty() {
        return Err(bad("template_card.main_title.title missing"));
    }
    let mut buttons = Vec::new();
    if card_type == "button_interaction" {
        let list = card["button_list"].as_array().ok_or_else(|| bad("template_card.button_list missing"))?;
        if list.is_empty() || list.len() > MAX_BUTTONS {
            return Err(bad(format!("button_list has {} buttons (1 to {MAX_BUTTONS})", list.len())));
        }
        for b in list {
            let (Some(text), Some(key)) = (b["text"].as_str(), b["key"].as_str()) else {
                return Err(bad("a button without text or key"));
            };
            if text.is_empty() || key.is_empty() || key.len() > KEY_LIMIT {
                return Err(bad(format!("button {text:?}: key {key:?} empty or over {KEY_LIMIT} bytes")));
            }
            if buttons.iter().any(|(_, k)| k == key) {
                return Err(bad(format!("button key {key:?} repeated in the card")));
            }
            buttons.push((text.to_owned(), key.to_owned()));
        }
    }
    let task_id = card["task_id"].as_str().map(str::to_owned);
    // The task id matters when a card is sent ("任务id只在发消息时候有效，更新消息的时候无效").
    if !update {
        let needs_task =
            matches!(card_type, "button_interaction" | "vote_interaction" | "multiple_interaction");
        match &task_id {
            None if needs_task => return Err(bad("template_card.task_id missing")),
            None => {}
            Some(id) => {
                let valid = !id.is_empty()
                    && id.len() <= TASK_ID_LIMIT
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@'));
                if !valid {
                    return Err(bad(format!("invalid task_id {id:?}")));
                }
                if inner.task_ids.contains(id) {
                    return Err(bad(format!("task_id {id:?} already used")));
                }
            }
        }
    }
    let lines = [Some(title), card["main_title"]["desc"].as_str(), card["sub_title_text"].as_str()];
    let text = lines.into_iter().flatten().filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    Ok(Parsed { msgtype: "template_card".into(), text, buttons, task_id, media_id: None })
}

/// A message counted against the bot's rate, if one is set: false when over it.
fn bot_rate_allows(inner: &mut Inner) -> bool {
    let Some(rate) = inner.bot_rate else { return true };
    let now = Instant::now();
    while inner.bot_times.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
        inner.bot_times.pop_front();
    }
    if inner.bot_times.len() as f64 >= rate.floor().max(1.0) {
        return false;
    }
    inner.bot_times.push_back(now);
    true
}

/// 30 a minute and 1,000 an hour per conversation (replies and sends together).
fn conversation_allows(inner: &mut Inner, to: &str) -> bool {
    let now = Instant::now();
    let times = inner.conversation_times.entry(to.to_owned()).or_default();
    while times.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(3600)) {
        times.pop_front();
    }
    let last_minute = times.iter().filter(|t| now.duration_since(**t) < Duration::from_secs(60)).count();
    last_minute < 30 && times.len() < 1000
}

fn record(inner: &mut Inner, r: &Request, to: &str, parsed: Parsed) {
    if parsed.msgtype == "template_card"
        && r.cmd != "aibot_respond_update_msg"
        && let Some(task) = &parsed.task_id
    {
        inner.task_ids.insert(task.clone());
    }
    if r.cmd != "aibot_respond_update_msg" {
        inner.conversation_times.entry(to.to_owned()).or_default().push_back(Instant::now());
    }
    let seq = inner.sent.len();
    inner.sent.push(Sent {
        seq,
        cmd: r.cmd.to_owned(),
        req_id: r.req_id.to_owned(),
        to: to.to_owned(),
        msgtype: parsed.msgtype,
        text: parsed.text,
        buttons: parsed.buttons,
        task_id: parsed.task_id,
        media_id: parsed.media_id,
        body: r.body.clone(),
        conn: r.conn,
        at: Instant::now(),
    });
    answer(inner, r.conn, r.req_id, OK, "ok", None);
}

/// `aibot_respond_msg`: on a message callback's req_id.
fn respond(inner: &mut Inner, r: &Request) {
    let target = inner.callbacks.get(r.req_id).filter(|c| c.kind == Kind::Message).map(|c| c.to.clone());
    let Some(to) = target else {
        return refuse(inner, r, "", (INVALID_REQ_ID, "invalid req_id".into()));
    };
    if inner.refuse_responds {
        return refuse(inner, r, &to, (INVALID_REQ_ID, "invalid req_id".into()));
    }
    if !bot_rate_allows(inner) {
        return refuse(inner, r, &to, (FREQ_OUT_OF_LIMIT, "api freq out of limit".into()));
    }
    let parsed = match check_message(inner, r.body, Place::Respond) {
        Ok(p) => p,
        Err(e) => return refuse(inner, r, &to, e),
    };
    if !conversation_allows(inner, &to) {
        return refuse(inner, r, &to, (FREQ_OUT_OF_LIMIT, "api freq out of limit".into()));
    }
    record(inner, r, &to, parsed);
}

/// `aibot_respond_update_msg`: on a card press's req_id, within five seconds.
fn update(inner: &mut Inner, r: &Request) {
    let target = inner
        .callbacks
        .get(r.req_id)
        .filter(|c| c.kind == Kind::Event("template_card_event".into()) && c.at.elapsed() <= UPDATE_WINDOW)
        .map(|c| c.to.clone());
    let Some(to) = target else {
        return refuse(inner, r, "", (INVALID_REQ_ID, "invalid req_id".into()));
    };
    if r.body["response_type"] != "update_template_card" {
        return refuse(inner, r, &to, bad("response_type must be update_template_card"));
    }
    match check_message(
        inner,
        &json!({ "msgtype": "template_card", "template_card": r.body["template_card"] }),
        Place::Update,
    ) {
        Ok(parsed) => record(inner, r, &to, parsed),
        Err(e) => refuse(inner, r, &to, e),
    }
}

/// `aibot_respond_welcome_msg`: on an `enter_chat`'s req_id, within five seconds.
fn welcome(inner: &mut Inner, r: &Request) {
    let target = inner
        .callbacks
        .get(r.req_id)
        .filter(|c| c.kind == Kind::Event("enter_chat".into()) && c.at.elapsed() <= UPDATE_WINDOW)
        .map(|c| c.to.clone());
    let Some(to) = target else {
        return refuse(inner, r, "", (INVALID_REQ_ID, "invalid req_id".into()));
    };
    match check_message(inner, r.body, Place::Welcome) {
        Ok(parsed) => record(inner, r, &to, parsed),
        Err(e) => refuse(inner, r, &to, e),
    }
}

/// `aibot_send_msg`: to someone who has written to the bot, or a group it is in.
fn send(inner: &mut Inner, r: &Request) {
    let Some(chatid) = r.body["chatid"].as_str().map(str::to_owned) else {
        return refuse(inner, r, "", bad("chatid missing"));
    };
    if !bot_rate_allows(inner) {
        return refuse(inner, r, &chatid, (FREQ_OUT_OF_LIMIT, "api freq out of limit".into()));
    }
    let person = inner.known_users.contains(&chatid) && !inner.unreachable.contains(&chatid);
    let group = inner.known_groups.contains(&chatid);
    let valid = match r.body["chat_type"].as_i64() {
        Some(1) => person,
        Some(2) => group,
        // Without chat_type the service tries a group, then a person.
        None => group || person,
        Some(other) => return refuse(inner, r, &chatid, bad(format!("invalid chat_type {other}"))),
    };
    if !valid {
        return refuse(inner, r, &chatid, (INVALID_CHATID, "invalid chatid".into()));
    }
    let parsed = match check_message(inner, r.body, Place::Send) {
        Ok(p) => p,
        Err(e) => return refuse(inner, r, &chatid, e),
    };
    if !conversation_allows(inner, &chatid) {
        return refuse(inner, r, &chatid, (FREQ_OUT_OF_LIMIT, "api freq out of limit".into()));
    }
    record(inner, r, &chatid, parsed);
}

fn upload_init(inner: &mut Inner, r: &Request) {
    let now = Instant::now();
    while inner.upload_times.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
        inner.upload_times.pop_front();
    }
    if inner.upload_times.len() >= 30 {
        return refuse(inner, r, "", (FREQ_OUT_OF_LIMIT, "api freq out of limit".into()));
    }
    let b = r.body;
    let kind = b["type"].as_str().unwrap_or("");
    if !matches!(kind, "file" | "image" | "voice" | "video") {
        return refuse(inner, r, "", bad("body.type missing"));
    }
    let Some(filename) = b["filename"].as_str().filter(|f| !f.is_empty()) else {
        return refuse(inner, r, "", bad("body.filename missing"));
    };
    let (Some(total_size), Some(total_chunks)) = (b["total_size"].as_u64(), b["total_chunks"].as_u64())
    else {
        return refuse(inner, r, "", bad("body.total_size or body.total_chunks missing"));
    };
    if total_chunks == 0 || total_chunks as usize > MAX_CHUNKS {
        return refuse(inner, r, "", bad(format!("total_chunks {total_chunks} (1 to {MAX_CHUNKS})")));
    }
    inner.upload_times.push_back(now);
    let upload_id = format!("fakeupload{}{}", inner.uploads_open.len() + inner.uploads.len() + 1, hex8());
    inner.uploads_open.insert(
        upload_id.clone(),
        Upload {
            kind: kind.to_owned(),
            filename: filename.to_owned(),
            total_size: total_size as usize,
            total_chunks: total_chunks as usize,
            md5: b["md5"].as_str().map(str::to_lowercase),
            chunks: HashMap::new(),
        },
    );
    answer(inner, r.conn, r.req_id, OK, "ok", Some(json!({ "upload_id": upload_id })));
}

fn upload_chunk(inner: &mut Inner, r: &Request) {
    let b = r.body;
    let id = b["upload_id"].as_str().unwrap_or("");
    let Some(total_chunks) = inner.uploads_open.get(id).map(|u| u.total_chunks) else {
        return refuse(inner, r, "", bad("invalid upload_id"));
    };
    let Some(index) = b["chunk_index"].as_u64().map(|i| i as usize).filter(|i| *i <= total_chunks) else {
        return refuse(inner, r, "", bad("invalid chunk_index"));
    };
    let Some(data) = b["base64_data"].as_str().and_then(|d| BASE64.decode(d).ok()) else {
        return refuse(inner, r, "", bad("invalid base64_data"));
    };
    if data.is_empty() || data.len() > CHUNK_LIMIT {
        let message = format!("chunk of {} bytes (at most {CHUNK_LIMIT})", data.len());
        return refuse(inner, r, "", bad(message));
    }
    // A chunk sent again is ignored (「上传临时素材」).
    if let Some(upload) = inner.uploads_open.get_mut(id) {
        upload.chunks.entry(index).or_insert(data);
    }
    answer(inner, r.conn, r.req_id, OK, "ok", None);
}

fn upload_finish(inner: &mut Inner, r: &Request) {
    let id = r.body["upload_id"].as_str().unwrap_or("").to_owned();
    let Some(upload) = inner.uploads_open.get(&id) else {
        return refuse(inner, r, "", bad("invalid upload_id"));
    };
    let n = upload.total_chunks;
    let from_zero = (0..n).all(|i| upload.chunks.contains_key(&i)) && upload.chunks.len() == n;
    let from_one = (1..=n).all(|i| upload.chunks.contains_key(&i)) && upload.chunks.len() == n;
    let mut indices: Vec<usize> = upload.chunks.keys().copied().collect();
    indices.sort();
    let bytes: Vec<u8> = indices.iter().flat_map(|i| upload.chunks[i].clone()).collect();
    let problem = if !from_zero && !from_one {
        Some(format!("chunks missing: have {indices:?} of {n}"))
    } else if bytes.len() != upload.total_size {
        Some(format!("total_size {} but {} bytes came", upload.total_size, bytes.len()))
    } else if upload.md5.as_ref().is_some_and(|m| *m != format!("{:x}", Md5::digest(&bytes))) {
        Some("md5 mismatch".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        return refuse(inner, r, "", bad(problem));
    }
    let upload = inner.uploads_open.remove(&id).unwrap();
    let media_id = format!("3fakeMediaId{}_{}", inner.uploads.len() + 1, hex8());
    inner.uploads.push((upload.filename.clone(), bytes.len()));
    let kind = upload.kind.clone();
    inner.media.insert(media_id.clone(), Media { kind: upload.kind, filename: upload.filename, bytes });
    let created_at = chrono::Utc::now().timestamp().to_string();
    answer(
        inner,
        r.conn,
        r.req_id,
        OK,
        "ok",
        Some(json!({ "type": kind, "media_id": media_id, "created_at": created_at })),
    );
}
