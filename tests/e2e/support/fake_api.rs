//! A fake Telegram Bot API server on 127.0.0.1:0, for driving the real bot over HTTP.
//!
//! It keeps a queue of updates with Telegram's offset semantics (an update is forgotten once a
//! `getUpdates` asks for a higher offset; unconfirmed updates are delivered again), answers the
//! methods the bot calls, records every call, and can be told to fail (429 with `retry_after`,
//! 403 blocked, 5xx) or to answer slowly. Tests push updates as members would send them and
//! wait, with a deadline, for what the bot sends back.
//!
//! Files: `getFile` answers a File object (`file_id`, `file_unique_id`, `file_size`,
//! `file_path`) and the bytes are served at `GET /file/bot<token>/<file_path>`, as the Bot API
//! documents (core.telegram.org/bots/api#getfile: "https://api.telegram.org/file/bot<token>/
//! <file_path>"). A file the bot uploaded comes back as uploaded; any other file_id (a photo a
//! test says a member sent) has the bytes [`FakeApi::file_bytes`] makes for it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;

pub const TOKEN: &str = "123456789:TEST-token-for-the-fake-api";
pub const BOT_ID: i64 = 123456789;
pub const BOT_USERNAME: &str = "sansong_test_bot";

/// How long a test waits for something the bot should do before failing.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Value,
    pub at: Instant,
    /// The HTTP status the fake answered with (200 unless refused).
    pub status: u16,
}

/// A message the bot sent or edited, as a member's client would show it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Position in the fake's log of outgoing messages (sends and edits).
    pub seq: usize,
    pub edit: bool,
    pub chat_id: i64,
    pub message_id: i64,
    pub text: String,
    /// Inline keyboard rows as (label, callback data).
    pub buttons: Vec<Vec<(String, String)>>,
    /// ("photo" | "document", file_id) for media messages.
    pub media: Option<(String, String)>,
    /// Whether the file came as an upload (multipart) rather than by file_id.
    pub uploaded: bool,
}

impl Outgoing {
    pub fn button(&self, label: &str) -> Option<&str> {
        self.buttons.iter().flatten().find(|(l, _)| l.contains(label)).map(|(_, d)| d.as_str())
    }

    pub fn labels(&self) -> Vec<&str> {
        self.buttons.iter().flatten().map(|(l, _)| l.as_str()).collect()
    }
}

/// How the whole Bot API fails during an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Every call is answered 502 Bad Gateway at once.
    BadGateway,
    /// No call is answered until the outage ends (then 502, as a gateway that gave up): the
    /// request was never delivered.
    Silent,
    /// Every call is answered 401 Unauthorized (the token revoked, then restored).
    Unauthorized,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    RetryAfter(u32),
    Blocked,
    ServerError,
}

#[derive(Debug, Clone)]
struct Fault {
    method: String,
    chat_id: Option<i64>,
    remaining: usize,
    kind: FaultKind,
}

#[derive(Default)]
struct Inner {
    /// Updates not yet confirmed, in order.
    queue: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    outgoing: Vec<Outgoing>,
    faults: Vec<Fault>,
    /// Extra latency before answering send/edit methods.
    send_delay: Duration,
    /// The date put on messages members send, unless a test gives one.
    now: Option<DateTime<Utc>>,
    /// Highest offset any getUpdates has confirmed.
    confirmed_offset: i64,
    /// Highest update_id any getUpdates has returned.
    delivered_max: i64,
    /// Enforced limit on sends per second, all chats together (Telegram's flood control).
    rate_limit: Option<usize>,
    /// An outage of the whole Bot API until this moment, and how it shows.
    outage: Option<(Instant, Outage)>,
    /// When recent sends were accepted (for the rate limit and the per-chat check).
    recent_sends: std::collections::VecDeque<(Instant, i64)>,
    /// Sends refused with 429 by the rate limit.
    rate_limited: usize,
    /// When each send was tried (accepted or refused by the rate limit), in order.
    send_attempts: Vec<Instant>,
    /// Sends that came less than a second after the previous one to the same private chat.
    chat_pace_violations: usize,
    last_send_to: HashMap<i64, Instant>,
    uploads: usize,
    /// Uploaded files by the file_id the fake gave them: (file name, bytes).
    files: HashMap<String, (String, Vec<u8>)>,
}

struct Shared {
    inner: Mutex<Inner>,
    version: watch::Sender<u64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}

/// A Telegram account in the tests.
#[derive(Debug, Clone)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
}

impl TgUser {
    pub fn new(id: i64, first_name: &str) -> Self {
        TgUser { id, first_name: first_name.into(), last_name: None, username: None }
    }

    fn json(&self) -> Value {
        let mut v = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(l) = &self.last_name {
            v["last_name"] = json!(l);
        }
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        v
    }

    fn private_chat(&self) -> Value {
        json!({"id": self.id, "type": "private", "first_name": self.first_name})
    }
}

pub struct FakeApi {
    pub url: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeApi {
    pub async fn start() -> FakeApi {
        let (version, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner { next_update_id: 1000, next_message_id: 1, ..Inner::default() }),
            version,
        });
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .route("/file/{bot}/{*path}", get(download))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeApi { url, shared, server }
    }

    // ------------------------------------------------------------ behaviour

    pub fn set_now(&self, t: DateTime<Utc>) {
        self.shared.lock().now = Some(t);
    }

    pub fn set_send_delay(&self, d: Duration) {
        self.shared.lock().send_delay = d;
    }

    /// Every Bot API call fails (as `kind`) for `length` from now. Calls that fail are
    /// recorded with status 502 and deliver nothing.
    pub fn outage(&self, length: Duration, kind: Outage) {
        self.shared.lock().outage = Some((Instant::now() + length, kind));
    }

    /// Refuse, with 429 and retry_after 1, any send beyond `per_second` in the last second.
    pub fn set_rate_limit(&self, per_second: Option<usize>) {
        self.shared.lock().rate_limit = per_second;
    }

    /// Sends the rate limit refused with 429.
    pub fn rate_limited(&self) -> usize {
        self.shared.lock().rate_limited
    }

    /// When each send reached the fake (refused by the rate limit or not), in order.
    pub fn send_attempts(&self) -> Vec<Instant> {
        self.shared.lock().send_attempts.clone()
    }

    /// Sends that came within a second of the previous one to the same private chat.
    pub fn chat_pace_violations(&self) -> usize {
        self.shared.lock().chat_pace_violations
    }

    /// The next `times` calls of `method` (to `chat_id`, if given) fail with `kind`.
    /// Forgets every injected fault: the Bot API answers again.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    pub fn fail(&self, method: &str, chat_id: Option<i64>, times: usize, kind: FaultKind) {
        self.shared.lock().faults.push(Fault { method: method.into(), chat_id, remaining: times, kind });
    }

    // ------------------------------------------------------------ updates in

    /// Queues an update body (`{"message": …}` etc.) under a fresh update_id; returns the id.
    pub fn push(&self, mut body: Value) -> i64 {
        let id = {
            let mut inner = self.shared.lock();
            let id = inner.next_update_id;
            inner.next_update_id += 1;
            body["update_id"] = json!(id);
            inner.queue.push(body);
            id
        };
        self.shared.bump();
        id
    }

    /// Queues an exact update again, as Telegram does when it redelivers.
    pub fn push_raw(&self, update: Value) {
        self.shared.lock().queue.push(update);
        self.shared.bump();
    }

    fn message_id(&self) -> i64 {
        let mut inner = self.shared.lock();
        let id = inner.next_message_id;
        inner.next_message_id += 1;
        id
    }

    fn date(&self, at: Option<DateTime<Utc>>) -> i64 {
        at.or(self.shared.lock().now).unwrap_or_else(Utc::now).timestamp()
    }

    /// The update JSON of a private text message, without queueing it.
    pub fn text_update(&self, user: &TgUser, text: &str, at: Option<DateTime<Utc>>) -> (Value, i64) {
        let message_id = self.message_id();
        let body = json!({"message": {
            "message_id": message_id,
            "date": self.date(at),
            "chat": user.private_chat(),
            "from": user.json(),
            "text": text,
        }});
        (body, message_id)
    }

    /// A member writes `text` to the bot; returns (update_id, message_id).
    pub fn text(&self, user: &TgUser, text: &str) -> (i64, i64) {
        self.text_at(user, text, None)
    }

    pub fn text_at(&self, user: &TgUser, text: &str, at: Option<DateTime<Utc>>) -> (i64, i64) {
        let (body, message_id) = self.text_update(user, text, at);
        (self.push(body), message_id)
    }

    pub fn group_text(&self, user: &TgUser, group_id: i64, text: &str) -> i64 {
        let message_id = self.message_id();
        let date = self.date(None);
        self.push(json!({"message": {
            "message_id": message_id, "date": date,
            "chat": {"id": group_id, "type": "supergroup", "title": "人社局党支部"},
            "from": user.json(), "text": text,
        }}))
    }

    /// `user` writes `text` in a group, as a reply to the message `replied_id` that `author`
    /// wrote there; returns the update id.
    pub fn group_reply(
        &self,
        user: &TgUser,
        group_id: i64,
        text: &str,
        author: &TgUser,
        replied_id: i64,
    ) -> i64 {
        let chat = json!({"id": group_id, "type": "supergroup", "title": "人社局党支部"});
        let date = self.date(None);
        let replied = json!({
            "message_id": replied_id, "date": date, "chat": chat, "from": author.json(), "text": "收到",
        });
        self.push(json!({"message": {
            "message_id": self.message_id(), "date": date, "chat": chat,
            "from": user.json(), "text": text, "reply_to_message": replied,
        }}))
    }

    /// In their private chat, `user` replies with `text` to a message of `author`'s that they
    /// had forwarded to the bot; returns the update id.
    pub fn reply_to_forwarded(&self, user: &TgUser, text: &str, author: &TgUser) -> i64 {
        let date = self.date(None);
        let forwarded = json!({
            "message_id": self.message_id(), "date": date, "chat": user.private_chat(),
            "from": user.json(), "text": "这周去了社区",
            "forward_origin": {"type": "user", "date": date, "sender_user": author.json()},
        });
        self.push(json!({"message": {
            "message_id": self.message_id(), "date": date, "chat": user.private_chat(),
            "from": user.json(), "text": text, "reply_to_message": forwarded,
        }}))
    }

    pub fn photo(&self, user: &TgUser, file_id: &str, caption: Option<&str>) -> (i64, i64) {
        self.photo_in(user, user.private_chat(), file_id, caption, None)
    }

    /// One photo of an album (photos sent together share a `media_group_id`).
    pub fn album_photo(
        &self,
        user: &TgUser,
        file_id: &str,
        caption: Option<&str>,
        album: &str,
    ) -> (i64, i64) {
        self.photo_in(user, user.private_chat(), file_id, caption, Some(album))
    }

    pub fn group_photo(&self, user: &TgUser, group_id: i64, file_id: &str, caption: &str) -> (i64, i64) {
        let chat = json!({"id": group_id, "type": "supergroup", "title": "人社局党支部"});
        self.photo_in(user, chat, file_id, Some(caption), None)
    }

    fn photo_in(
        &self,
        user: &TgUser,
        chat: Value,
        file_id: &str,
        caption: Option<&str>,
        album: Option<&str>,
    ) -> (i64, i64) {
        let message_id = self.message_id();
        let date = self.date(None);
        let mut message = json!({
            "message_id": message_id, "date": date, "chat": chat, "from": user.json(),
            "photo": [
                {"file_id": format!("{file_id}-small"), "file_unique_id": "s", "width": 90, "height": 90},
                {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 960},
            ],
        });
        if let Some(c) = caption {
            message["caption"] = json!(c);
        }
        if let Some(a) = album {
            message["media_group_id"] = json!(a);
        }
        (self.push(json!({ "message": message })), message_id)
    }

    /// `user` sends a file (a Document: `file_id`, `file_unique_id`, `file_name`, `mime_type`).
    pub fn document(&self, user: &TgUser, file_id: &str, file_name: &str, caption: Option<&str>) -> i64 {
        let message_id = self.message_id();
        let date = self.date(None);
        let mut message = json!({
            "message_id": message_id, "date": date, "chat": user.private_chat(), "from": user.json(),
            "document": {"file_id": file_id, "file_unique_id": format!("u-{file_id}"), "file_name": file_name,
                         "mime_type": "application/pdf"},
        });
        if let Some(c) = caption {
            message["caption"] = json!(c);
        }
        self.push(json!({ "message": message }))
    }

    pub fn location(&self, user: &TgUser, latitude: f64, longitude: f64) -> i64 {
        let message_id = self.message_id();
        let date = self.date(None);
        self.push(json!({"message": {
            "message_id": message_id, "date": date, "chat": user.private_chat(), "from": user.json(),
            "location": {"latitude": latitude, "longitude": longitude},
        }}))
    }

    pub fn sticker(&self, user: &TgUser) -> i64 {
        let message_id = self.message_id();
        let date = self.date(None);
        self.push(json!({"message": {
            "message_id": message_id, "date": date, "chat": user.private_chat(), "from": user.json(),
            "sticker": {"file_id": "sticker-1", "file_unique_id": "st1", "type": "regular",
                        "width": 512, "height": 512, "is_animated": false, "is_video": false},
        }}))
    }

    /// A member presses an inline button on message `message_id`.
    pub fn press(&self, user: &TgUser, message_id: i64, data: &str) -> i64 {
        let date = self.date(None);
        let id = format!("cb-{}-{}", user.id, self.message_id());
        self.push(json!({"callback_query": {
            "id": id, "from": user.json(), "chat_instance": "ci", "data": data,
            "message": {"message_id": message_id, "date": date, "chat": user.private_chat(),
                        "from": {"id": BOT_ID, "is_bot": true, "first_name": "三送助手"}, "text": "…"},
        }}))
    }

    // ------------------------------------------------------------ observations

    /// The bytes of a file a member sent (not one the bot uploaded), as `getFile` serves them.
    pub fn file_bytes(file_id: &str) -> Vec<u8> {
        format!("telegram file {file_id}: ").repeat(64).into_bytes()
    }

    /// An uploaded file's name and bytes, by the file_id the fake gave it.
    pub fn file(&self, file_id: &str) -> Option<(String, Vec<u8>)> {
        self.shared.lock().files.get(file_id).cloned()
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.shared.lock().calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).cloned().collect()
    }

    pub fn outgoing(&self) -> Vec<Outgoing> {
        self.shared.lock().outgoing.clone()
    }

    pub fn outgoing_to(&self, chat_id: i64) -> Vec<Outgoing> {
        self.shared.lock().outgoing.iter().filter(|o| o.chat_id == chat_id).cloned().collect()
    }

    /// The highest offset any getUpdates has sent: updates below it are forgotten.
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.lock().confirmed_offset
    }

    /// The highest update_id handed to the bot so far.
    pub fn delivered_up_to(&self) -> i64 {
        self.shared.lock().delivered_max
    }

    /// Updates the bot has not yet confirmed.
    pub fn unconfirmed(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// Waits until `check` sees what it wants in the fake's state, or fails the test.
    pub async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&FakeView<'_>) -> Option<T>) -> T {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            {
                let inner = self.shared.lock();
                if let Some(found) = check(&FakeView(&inner)) {
                    return found;
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => panic!("fake API stopped while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; outgoing so far: {:#?}", self.outgoing()),
            }
        }
    }

    /// The first message the bot sent (or edited) that is `wanted`, once there is one.
    pub async fn wait_for_outgoing(&self, what: &str, wanted: impl Fn(&Outgoing) -> bool) -> Outgoing {
        self.wait_for(what, |v| v.outgoing().iter().find(|o| wanted(o)).cloned()).await
    }

    /// The first message to `chat_id` after position `after` (sends and edits).
    pub async fn next_to(&self, chat_id: i64, after: usize) -> Outgoing {
        let what = format!("a message to chat {chat_id} after #{after}");
        self.wait_for_outgoing(&what, |o| o.chat_id == chat_id && o.seq >= after).await
    }

    /// Number of outgoing messages so far (a position for [`FakeApi::next_to`]).
    pub fn mark(&self) -> usize {
        self.shared.lock().outgoing.len()
    }
}

/// A read-only view of the fake's state inside [`FakeApi::wait_for`].
pub struct FakeView<'a>(&'a Inner);

impl FakeView<'_> {
    pub fn outgoing(&self) -> &[Outgoing] {
        &self.0.outgoing
    }

    pub fn calls(&self, method: &str) -> Vec<&Call> {
        self.0.calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).collect()
    }

    pub fn unconfirmed(&self) -> usize {
        self.0.queue.len()
    }
}

// ---------------------------------------------------------------- the server side

fn ok(result: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({"ok": true, "result": result}))).into_response()
}

fn err(status: StatusCode, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": status.as_u16(), "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (status, axum::Json(body)).into_response()
}

fn me() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "三送助手", "username": BOT_USERNAME,
           "can_join_groups": true, "can_read_all_group_messages": false,
           "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false})
}

fn chat_json(chat_id: i64) -> Value {
    if chat_id < 0 {
        json!({"id": chat_id, "type": "supergroup", "title": "group"})
    } else {
        json!({"id": chat_id, "type": "private", "first_name": "member"})
    }
}

fn buttons(markup: &Value) -> Vec<Vec<(String, String)>> {
    markup["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .map(|bs| {
                            bs.iter()
                                .map(|b| {
                                    (
                                        b["text"].as_str().unwrap_or("").to_owned(),
                                        b["callback_data"].as_str().unwrap_or("").to_owned(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn chat_id_of(params: &Value) -> Option<i64> {
    params["chat_id"].as_i64().or_else(|| params["chat_id"].as_str().and_then(|s| s.parse().ok()))
}

/// Reads a request's parameters: a JSON body, or a multipart form (uploads), whose file
/// parts become `{"upload": name, "size": bytes}`; the last file's bytes come back beside.
async fn read_params(request: Request) -> (Value, Option<Vec<u8>>) {
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let Ok(mut form) = Multipart::from_request(request, &()).await else { return (Value::Null, None) };
        let mut params = serde_json::Map::new();
        let mut upload = None;
        while let Ok(Some(field)) = form.next_field().await {
            let name = field.name().unwrap_or("").to_owned();
            let file = field.file_name().map(str::to_owned);
            let Ok(bytes) = field.bytes().await else { return (Value::Null, None) };
            let value = match file {
                Some(file) => {
                    upload = Some(bytes.to_vec());
                    json!({"upload": file, "size": bytes.len()})
                }
                None => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    serde_json::from_str::<Value>(&text)
                        .ok()
                        .filter(|v| v.is_object() || v.is_array() || v.is_number())
                        .unwrap_or(Value::String(text))
                }
            };
            params.insert(name, value);
        }
        return (Value::Object(params), upload);
    }
    let value = match axum::body::to_bytes(request.into_body(), 64 << 20).await {
        Ok(body) => serde_json::from_slice(&body).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    (value, None)
}

fn is_send(method: &str) -> bool {
    matches!(method, "sendmessage" | "sendphoto" | "senddocument")
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return err(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    }
    let (params, upload_bytes) = read_params(request).await;
    let method_lc = method.to_ascii_lowercase();
    let chat = chat_id_of(&params);
    let outage = {
        let mut inner = shared.lock();
        match inner.outage {
            Some((until, kind)) if Instant::now() < until => {
                let now = Instant::now();
                inner.calls.push(Call {
                    method: method.clone(),
                    params: params.clone(),
                    at: now,
                    status: 502,
                });
                Some((until, kind))
            }
            _ => None,
        }
    };
    if let Some((until, kind)) = outage {
        shared.bump();
        if kind == Outage::Silent {
            tokio::time::sleep_until(until.into()).await;
        }
        if kind == Outage::Unauthorized {
            return err(StatusCode::UNAUTHORIZED, "Unauthorized", None);
        }
        return err(StatusCode::BAD_GATEWAY, "Bad Gateway", None);
    }
    let (fault, delay, call_index) = {
        let mut inner = shared.lock();
        let now = Instant::now();
        let mut fault = inner
            .faults
            .iter_mut()
            .find(|f| {
                f.remaining > 0
                    && f.method.eq_ignore_ascii_case(&method)
                    && (f.chat_id.is_none() || f.chat_id == chat)
            })
            .map(|f| {
                f.remaining -= 1;
                f.kind
            });
        if is_send(&method_lc) && fault.is_none() {
            inner.send_attempts.push(now);
            while inner
                .recent_sends
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) >= Duration::from_secs(1))
            {
                inner.recent_sends.pop_front();
            }
            if inner.rate_limit.is_some_and(|limit| inner.recent_sends.len() >= limit) {
                inner.rate_limited += 1;
                fault = Some(FaultKind::RetryAfter(1));
            } else if let Some(chat) = chat {
                inner.recent_sends.push_back((now, chat));
                if chat > 0
                    && inner
                        .last_send_to
                        .get(&chat)
                        .is_some_and(|t| now.duration_since(*t) < Duration::from_millis(990))
                {
                    inner.chat_pace_violations += 1;
                }
                inner.last_send_to.insert(chat, now);
            }
        }
        let status = match fault {
            Some(FaultKind::RetryAfter(_)) => 429,
            Some(FaultKind::Blocked) => 403,
            Some(FaultKind::ServerError) => 500,
            None => 200,
        };
        inner.calls.push(Call { method: method.clone(), params: params.clone(), at: now, status });
        let delay = if method_lc.starts_with("send") || method_lc.starts_with("edit") {
            inner.send_delay
        } else {
            Duration::ZERO
        };
        (fault, delay, inner.calls.len() - 1)
    };
    let _ = call_index;
    shared.bump();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(FaultKind::RetryAfter(s)) => {
            return err(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too Many Requests: retry after {s}"),
                Some(json!({"retry_after": s})),
            );
        }
        Some(FaultKind::Blocked) => {
            return err(StatusCode::FORBIDDEN, "Forbidden: bot was blocked by the user", None);
        }
        Some(FaultKind::ServerError) => {
            return err(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", None);
        }
        None => {}
    }
    match method_lc.as_str() {
        "getme" => ok(me()),
        "getfile" => {
            let Some(file_id) = params["file_id"].as_str().filter(|f| !f.is_empty()) else {
                return err(StatusCode::BAD_REQUEST, "Bad Request: file_id is empty", None);
            };
            let size = shared
                .lock()
                .files
                .get(file_id)
                .map_or_else(|| FakeApi::file_bytes(file_id).len(), |(_, bytes)| bytes.len());
            ok(json!({"file_id": file_id, "file_unique_id": format!("u-{file_id}"), "file_size": size,
                      "file_path": format!("photos/{file_id}.jpg")}))
        }
        "getwebhookinfo" => {
            ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}))
        }
        "getupdates" => get_updates(&shared, &params).await,
        "deletewebhook" | "setwebhook" | "setmycommands" | "deletemycommands" | "answercallbackquery" => {
            ok(json!(true))
        }
        "sendmessage" | "sendphoto" | "senddocument" => {
            let Some(chat_id) = chat else {
                return err(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty", None);
            };
            let (text, limit) = if method_lc == "sendmessage" {
                (params["text"].as_str().unwrap_or("").to_owned(), 4096)
            } else {
                (params["caption"].as_str().unwrap_or("").to_owned(), 1024)
            };
            if method_lc == "sendmessage" && text.is_empty() {
                return err(StatusCode::BAD_REQUEST, "Bad Request: message text is empty", None);
            }
            if text.encode_utf16().count() > limit {
                return err(StatusCode::BAD_REQUEST, "Bad Request: message is too long", None);
            }
            let media = match method_lc.as_str() {
                "sendphoto" => Some(("photo", params["photo"].clone())),
                "senddocument" => Some(("document", params["document"].clone())),
                _ => None,
            };
            // teloxide names an uploaded file `attach://<part>` and sends it as that part.
            let media =
                media.map(|(kind, value)| match value.as_str().and_then(|v| v.strip_prefix("attach://")) {
                    Some(part) => (kind, params.get(part).cloned().unwrap_or(Value::Null)),
                    None => (kind, value),
                });
            let (media, uploaded) = match media {
                None => (None, false),
                Some((kind, Value::String(file_id))) => (Some((kind.to_owned(), file_id)), false),
                Some((kind, Value::Object(upload))) => {
                    let mut inner = shared.lock();
                    inner.uploads += 1;
                    let file_id = format!("uploaded-{kind}-{}", inner.uploads);
                    let name = upload.get("upload").and_then(Value::as_str).unwrap_or("").to_owned();
                    inner.files.insert(file_id.clone(), (name, upload_bytes.clone().unwrap_or_default()));
                    (Some((kind.to_owned(), file_id)), true)
                }
                Some(_) => {
                    return err(
                        StatusCode::BAD_REQUEST,
                        "Bad Request: there is no file in the request",
                        None,
                    );
                }
            };
            record_outgoing(&shared, chat_id, None, &params, text, media, uploaded)
        }
        "editmessagetext" | "editmessagereplymarkup" => {
            let Some(chat_id) = chat else {
                return err(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty", None);
            };
            let message_id = params["message_id"].as_i64().unwrap_or(0);
            let (text, media) = if method_lc == "editmessagetext" {
                (params["text"].as_str().unwrap_or("").to_owned(), None)
            } else {
                // Only the buttons change: keep what the message showed.
                let inner = shared.lock();
                let earlier =
                    inner.outgoing.iter().rev().find(|o| o.chat_id == chat_id && o.message_id == message_id);
                (earlier.map(|o| o.text.clone()).unwrap_or_default(), earlier.and_then(|o| o.media.clone()))
            };
            record_outgoing(&shared, chat_id, Some(message_id), &params, text, media, false)
        }
        _ => err(StatusCode::NOT_FOUND, "Not Found: method not found", None),
    }
}

/// `GET /file/bot<token>/photos/<file_id>.jpg`: the file's bytes.
async fn download(State(shared): State<Arc<Shared>>, Path((bot, path)): Path<(String, String)>) -> Response {
    if bot != format!("bot{TOKEN}") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(file_id) = path.strip_prefix("photos/").and_then(|p| p.strip_suffix(".jpg")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    shared.lock().calls.push(Call {
        method: "file".into(),
        params: json!({"path": path}),
        at: Instant::now(),
        status: 200,
    });
    let bytes = shared.lock().files.get(file_id).map(|(_, b)| b.clone());
    bytes.unwrap_or_else(|| FakeApi::file_bytes(file_id)).into_response()
}

/// Logs a sent (`edited: None`) or edited message and answers with the message object.
fn record_outgoing(
    shared: &Shared,
    chat_id: i64,
    edited: Option<i64>,
    params: &Value,
    text: String,
    media: Option<(String, String)>,
    uploaded: bool,
) -> Response {
    let message_id = {
        let mut inner = shared.lock();
        let message_id = edited.unwrap_or_else(|| {
            inner.next_message_id += 1;
            inner.next_message_id - 1
        });
        let seq = inner.outgoing.len();
        inner.outgoing.push(Outgoing {
            seq,
            edit: edited.is_some(),
            chat_id,
            message_id,
            text: text.clone(),
            buttons: buttons(&params["reply_markup"]),
            media: media.clone(),
            uploaded,
        });
        message_id
    };
    shared.bump();
    let mut message = json!({"message_id": message_id, "date": Utc::now().timestamp(), "chat": chat_json(chat_id),
                             "from": me()});
    match &media {
        Some((kind, file_id)) if kind == "photo" => {
            message["photo"] =
                json!([{"file_id": file_id, "file_unique_id": "u", "width": 800, "height": 600}]);
            message["caption"] = json!(text);
        }
        Some((_, file_id)) => {
            message["document"] = json!({"file_id": file_id, "file_unique_id": "u"});
            message["caption"] = json!(text);
        }
        None => message["text"] = json!(text),
    }
    ok(message)
}

/// Long polling with Telegram's offset rules: `offset` confirms every update below it; the
/// rest are returned (at most `limit`), waiting up to `timeout` seconds for one to arrive.
async fn get_updates(shared: &Arc<Shared>, params: &Value) -> Response {
    let offset = params["offset"].as_i64();
    let limit = params["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(params["timeout"].as_u64().unwrap_or(0).min(50));
    let deadline = tokio::time::Instant::now() + timeout;
    let mut rx = shared.version.subscribe();
    loop {
        {
            let mut inner = shared.lock();
            if let Some(offset) = offset {
                inner.queue.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                inner.confirmed_offset = inner.confirmed_offset.max(offset);
            }
            if !inner.queue.is_empty() {
                let batch: Vec<Value> = inner.queue.iter().take(limit).cloned().collect();
                let top = batch.iter().filter_map(|u| u["update_id"].as_i64()).max().unwrap_or(0);
                inner.delivered_max = inner.delivered_max.max(top);
                return ok(Value::Array(batch));
            }
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => return ok(json!([])),
        }
    }
}

/// Group outgoing messages by chat (for assertions over many members).
pub fn by_chat(outgoing: &[Outgoing]) -> HashMap<i64, Vec<&Outgoing>> {
    let mut map: HashMap<i64, Vec<&Outgoing>> = HashMap::new();
    for o in outgoing {
        map.entry(o.chat_id).or_default().push(o);
    }
    map
}
