//! A fake DingTalk on loopback that speaks the real protocol, for the bot's DingTalk platform.
//!
//! Every shape is taken from DingTalk's own sources (read from the fetched repositories; the
//! full notes with quotations are in the closing note of issue 9):
//! - open-dingtalk/developerpedia `docs/learn/stream/protocol.md`: registering a connection
//!   (`POST /v1.0/gateway/connections/open` → `{endpoint, ticket}`, a ticket used once), the
//!   WebSocket at the endpoint with `?ticket=`, the frame (`specVersion`, `type`
//!   SYSTEM/EVENT/CALLBACK, `headers` with `topic`, `messageId`, `contentType`, `time` — all
//!   strings — and `data` a JSON string), the SYSTEM `ping` (answered with its `opaque`) and
//!   `disconnect` (no answer; the server closes), the acknowledgement `{code, headers:
//!   {contentType, messageId}, message, data}`, and the robot message sample.
//! - open-dingtalk/dingtalk-stream-sdk-go `payload/connection.go`, `payload/data_frame.go`,
//!   `chatbot/model.go`; -python `stream.py` (the token `{appKey, appSecret}` →
//!   `{accessToken, expireIn}`, `upload_to_dingtalk`), `chatbot.py` (`x-acs-dingtalk-access-token`,
//!   `messageFiles/download`); -java `WebsocketTransportConnector` (the `/connect` path).
//! - DingTalk's robot documentation: `oToMessages/batchSend` (`robotCode`, `userIds` ≤ 20,
//!   `msgKey`, `msgParam` a JSON string) → `{processQueryKey, invalidStaffIdList,
//!   flowControlledStaffIdList}` (aliyun/dingtalk-sdk `BatchSendOTOResponseBody`); errors
//!   `{code, message, requestid}`: `400 InvalidAuthentication` for a bad token,
//!   `400 invalidParameter.userIds.overMax`, `400 invalidParameter.msgParam.invalid`,
//!   `401 authFailed` for bad stream credentials; and flow control as `403
//!   Forbidden.AccessDenied.QpsLimitForApi`, the code DingTalk's callers match (no official
//!   text was found for it).
//!
//! Files: `messageFiles/download` answers a `downloadUrl` (the -python SDK's
//! `get_image_download_url`), served here at `GET /files/<code>` with [`FakeDingTalk::picture`]'s
//! bytes; `/media/upload` takes `type` `file` or `image` (the -python SDK's
//! `upload_to_dingtalk(..., filetype="image")`) and a sent `sampleFile`'s `mediaId` or
//! `sampleImageMsg`'s `photoURL` must be a media id it gave.
//!
//! Unacknowledged frames are pushed again on the next connection, as DingTalk redelivers them.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

pub const CLIENT_ID: &str = "dingfake0client";
pub const CLIENT_SECRET: &str = "fake-secret-never-logged";
pub const ROBOT_TOPIC: &str = "/v1.0/im/bot/messages/get";
const DEADLINE: Duration = Duration::from_secs(20);

/// Someone in the organisation writing to the robot in a single chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtUser {
    pub staff_id: String,
    pub nick: String,
}

impl DtUser {
    pub fn new(staff_id: &str, nick: &str) -> DtUser {
        DtUser { staff_id: staff_id.to_owned(), nick: nick.to_owned() }
    }
}

/// One robot message the bot sent (a batch send is one per recipient).
#[derive(Debug, Clone)]
pub struct Sent {
    pub seq: usize,
    pub to: String,
    pub key: String,
    pub param: Value,
    /// The words of it: `content` of a text, `text` of a markdown, the file name of a file.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub status: u16,
    pub body: Value,
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    tokens: HashSet<String>,
    tokens_issued: usize,
    tickets: HashSet<String>,
    tickets_issued: usize,
    connections: usize,
    /// The frames to push to the connection of the moment.
    live: Option<mpsc::UnboundedSender<Message>>,
    /// Pushed and not yet acknowledged (messageId, frame): pushed again on a new connection.
    unacked: VecDeque<(String, String)>,
    /// Every callback frame pushed, by messageId (to push one again).
    sent_frames: HashMap<String, String>,
    /// Acknowledgements received, in order.
    acks: Vec<Value>,
    sent: Vec<Sent>,
    calls: Vec<Call>,
    next_id: u64,
    invalid_staff: HashSet<String>,
    /// Batch calls allowed per second (None: no limit).
    qps: Option<usize>,
    batch_times: VecDeque<Instant>,
    refused_qps: usize,
    uploads: Vec<(String, usize)>,
    upload_types: Vec<String>,
    refuse_uploads: bool,
    expire_in: u64,
    /// How far the fake's clock is from the real one (messages' createAt), in ms.
    shift_ms: i64,
    /// The robot API answers 503 (the platform in trouble).
    down: bool,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    version: Arc<watch::Sender<u64>>,
    ws_port: u16,
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

pub struct FakeDingTalk {
    shared: Shared,
    /// The base URL of the OpenAPI (and of `/media/upload`).
    pub url: String,
}

impl FakeDingTalk {
    pub async fn start() -> FakeDingTalk {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", http.local_addr().unwrap());
        let (version, _) = watch::channel(0);
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner { expire_in: 7200, ..Inner::default() })),
            version: Arc::new(version),
            ws_port: ws.local_addr().unwrap().port(),
            http_url: url.clone(),
        };
        let app = Router::new()
            .route("/v1.0/oauth2/accessToken", post(access_token))
            .route("/v1.0/gateway/connections/open", post(open_connection))
            .route("/v1.0/robot/oToMessages/batchSend", post(batch_send))
            .route("/v1.0/robot/groupMessages/send", post(group_send))
            .route("/v1.0/robot/messageFiles/download", post(download))
            .route("/media/upload", post(upload))
            .route("/files/{code}", get(serve_file))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(http, app).await.unwrap() });
        let ws_shared = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = ws.accept().await {
                tokio::spawn(serve_socket(ws_shared.clone(), stream));
            }
        });
        FakeDingTalk { shared, url }
    }

    fn next_id(&self) -> u64 {
        let mut inner = self.shared.lock();
        inner.next_id += 1;
        inner.next_id
    }

    /// A robot message from `user` in their single chat with the robot (DingTalk's sample
    /// payload, `docs/learn/bot/message.md`). Returns the frame's messageId.
    pub fn say(&self, user: &DtUser, text: &str) -> String {
        let data = self.message_data(user, "text", json!({ "text": { "content": text } }));
        self.push_callback(&data)
    }

    /// `user` @s the robot in a group chat (`conversationType` "2"; the @ is stripped from the
    /// text, leaving a space, as in DingTalk's sample).
    pub fn say_in_group(&self, user: &DtUser, group: &str, text: &str) -> String {
        let mut data = self.message_data(user, "text", json!({ "text": { "content": format!(" {text}") } }));
        data["conversationType"] = json!("2");
        data["conversationId"] = json!(group);
        data["conversationTitle"] = json!("测试群");
        data["isInAtList"] = json!(true);
        self.push_callback(&data)
    }

    /// A picture with words (DingTalk's `richText`).
    pub fn picture_with_text(&self, user: &DtUser, text: &str) -> String {
        let rich = json!({ "content": { "richText": [
            { "text": text },
            { "pictureDownloadCode": "pic-code", "downloadCode": format!("download-{}", self.next_id()), "type": "picture" }
        ] } });
        let data = self.message_data(user, "richText", rich);
        self.push_callback(&data)
    }

    /// Moves the fake's clock (the time its messages say they were sent) to `at`, running on.
    pub fn set_now(&self, at: chrono::DateTime<chrono::Utc>) {
        self.shared.lock().shift_ms = (at - chrono::Utc::now()).num_milliseconds();
    }

    /// The `data` of a robot message: the fields of DingTalk's `ChatbotMessage`.
    pub fn message_data(&self, user: &DtUser, msgtype: &str, body: Value) -> Value {
        let n = self.next_id();
        let now = chrono::Utc::now().timestamp_millis() + self.shared.lock().shift_ms;
        let mut data = json!({
            "conversationId": format!("cid{}==", user.staff_id),
            "chatbotCorpId": "dingfakecorp",
            "chatbotUserId": "$:LWCP_v1:$fakebot",
            "msgId": format!("msg{n}=="),
            "senderNick": user.nick,
            "isAdmin": false,
            "senderStaffId": user.staff_id,
            "sessionWebhookExpiredTime": now + 5_400_000,
            "createAt": now,
            "senderCorpId": "dingfakecorp",
            "conversationType": "1",
            "senderId": format!("$:LWCP_v1:${}", user.staff_id),
            "sessionWebhook": format!("{}/robot/sendBySession?session={n}", self.url),
            "robotCode": CLIENT_ID,
            "msgtype": msgtype,
        });
        if let (Some(d), Some(b)) = (data.as_object_mut(), body.as_object()) {
            d.extend(b.clone());
        }
        data
    }

    /// Pushes a robot CALLBACK frame with this data; its messageId.
    pub fn push_callback(&self, data: &Value) -> String {
        let message_id = format!("fake_{}_{}", self.next_id(), chrono::Utc::now().timestamp_millis());
        let frame = json!({
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {
                "appId": "fake-app-id",
                "contentType": "application/json",
                "messageId": message_id,
                "time": chrono::Utc::now().timestamp_millis().to_string(),
                "topic": ROBOT_TOPIC,
            },
            "data": data.to_string(),
        })
        .to_string();
        self.push(&message_id, frame, true);
        message_id
    }

    /// Pushes the same frame again (DingTalk redelivering it).
    pub fn redeliver(&self, message_id: &str) {
        let found = self.shared.lock().sent_frames.get(message_id).cloned();
        let frame = found.unwrap_or_else(|| panic!("no frame {message_id} was pushed"));
        self.push(message_id, frame, true);
    }

    fn push(&self, message_id: &str, frame: String, track: bool) {
        let mut inner = self.shared.lock();
        if track {
            inner.sent_frames.insert(message_id.to_owned(), frame.clone());
            inner.unacked.push_back((message_id.to_owned(), frame.clone()));
        }
        if let Some(live) = &inner.live {
            let _ = live.send(Message::Text(frame.into()));
        }
    }

    /// A SYSTEM ping with this opaque.
    pub fn ping(&self, opaque: &str) -> String {
        let message_id = format!("ping_{}", self.next_id());
        let frame = json!({
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": { "topic": "ping", "messageId": message_id, "contentType": "application/json" },
            "data": json!({ "opaque": opaque }).to_string(),
        });
        self.push(&message_id, frame.to_string(), false);
        message_id
    }

    /// A SYSTEM disconnect (no messageId, as in DingTalk's example); the connection is closed
    /// a moment later, as the server does.
    pub fn disconnect(&self) {
        let frame = json!({
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": { "topic": "disconnect", "contentType": "application/json" },
            "data": json!({ "reason": "connection is expired" }).to_string(),
        });
        self.push("", frame.to_string(), false);
        let live = self.shared.lock().live.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Some(live) = live {
                let _ = live.send(Message::Close(None));
            }
        });
    }

    /// The network drops the connection (no frame, no close handshake).
    pub fn drop_connection(&self) {
        let live = self.shared.lock().live.take();
        drop(live);
        self.shared.changed();
    }

    /// Every access token issued so far stops working (DingTalk answers InvalidAuthentication).
    pub fn invalidate_tokens(&self) {
        self.shared.lock().tokens.clear();
    }

    /// The robot's send API answers 503 until set back.
    pub fn set_down(&self, down: bool) {
        self.shared.lock().down = down;
    }

    pub fn set_invalid_staff(&self, ids: &[&str]) {
        self.shared.lock().invalid_staff = ids.iter().map(|s| (*s).to_owned()).collect();
    }

    /// Allows this many batch send calls a second (flow control beyond).
    pub fn set_qps(&self, qps: Option<usize>) {
        self.shared.lock().qps = qps;
    }

    pub fn tokens_issued(&self) -> usize {
        self.shared.lock().tokens_issued
    }

    pub fn tickets_issued(&self) -> usize {
        self.shared.lock().tickets_issued
    }

    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    pub fn refused_for_qps(&self) -> usize {
        self.shared.lock().refused_qps
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().sent.clone()
    }

    pub fn calls(&self, path: &str) -> Vec<Call> {
        self.shared.lock().calls.iter().filter(|c| c.path == path).cloned().collect()
    }

    /// The bytes of the picture with download code `code`, as its download URL serves them.
    pub fn picture(code: &str) -> Vec<u8> {
        format!("dingtalk picture {code}; ").repeat(50).into_bytes()
    }

    /// Every upload from now on is refused (`errcode 40006`, a size DingTalk does not take).
    pub fn refuse_uploads(&self) {
        self.shared.lock().refuse_uploads = true;
    }

    /// Each upload's `type` (`file`, `image`), in order.
    pub fn upload_types(&self) -> Vec<String> {
        self.shared.lock().upload_types.clone()
    }

    pub fn uploads(&self) -> Vec<(String, usize)> {
        self.shared.lock().uploads.clone()
    }

    /// Where the sent messages stand (a position for [`Self::next_to`]).
    pub fn mark(&self) -> usize {
        self.shared.lock().sent.len()
    }

    /// Waits until `check` finds what it wants, or fails the test.
    pub async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&FakeDingTalk) -> Option<T>) -> T {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(found) = check(self) {
                return found;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => panic!("the fake DingTalk stopped while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; sent so far: {:#?}", self.sent()),
            }
        }
    }

    /// The first message to `user` from position `after` on.
    pub async fn next_to(&self, user: &DtUser, after: usize) -> Sent {
        self.wait_for(&format!("a message to {}", user.staff_id), |f| {
            f.sent().into_iter().find(|s| s.seq >= after && s.to == user.staff_id)
        })
        .await
    }

    /// The acknowledgement of a frame.
    pub async fn ack_of(&self, message_id: &str) -> Value {
        self.wait_for(&format!("the acknowledgement of {message_id}"), |f| {
            f.shared.lock().acks.iter().find(|a| a["headers"]["messageId"] == message_id).cloned()
        })
        .await
    }

    /// How many acknowledgements a frame has had.
    pub fn acks_of(&self, message_id: &str) -> usize {
        self.shared.lock().acks.iter().filter(|a| a["headers"]["messageId"] == message_id).count()
    }

    pub async fn wait_connections(&self, n: usize) {
        self.wait_for(&format!("{n} stream connections"), |f| (f.connections() >= n).then_some(())).await;
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "code": code, "message": message, "requestid": "FAKE-REQUEST-ID" })))
}

fn record(shared: &Shared, path: &str, status: StatusCode, body: &Value) {
    shared.lock().calls.push(Call {
        path: path.to_owned(),
        status: status.as_u16(),
        body: body.clone(),
        at: Instant::now(),
    });
    shared.changed();
}

async fn access_token(State(shared): State<Shared>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let path = "/v1.0/oauth2/accessToken";
    if body["appKey"] != CLIENT_ID || body["appSecret"] != CLIENT_SECRET {
        record(&shared, path, StatusCode::BAD_REQUEST, &body);
        return error(StatusCode::BAD_REQUEST, "invalid.client", "Invalid ClientID or ClientSecret");
    }
    let (token, expire_in) = {
        let mut inner = shared.lock();
        inner.tokens_issued += 1;
        let token = format!("fake-token-{}", inner.tokens_issued);
        inner.tokens.insert(token.clone());
        (token, inner.expire_in)
    };
    record(&shared, path, StatusCode::OK, &body);
    (StatusCode::OK, Json(json!({ "accessToken": token, "expireIn": expire_in })))
}

async fn open_connection(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let path = "/v1.0/gateway/connections/open";
    if body["clientId"] != CLIENT_ID || body["clientSecret"] != CLIENT_SECRET {
        record(&shared, path, StatusCode::UNAUTHORIZED, &body);
        return error(StatusCode::UNAUTHORIZED, "authFailed", "鉴权失败");
    }
    // Without Accept: application/json the real endpoint answers XML (-nodejs `client.ts`).
    let accepts_json =
        headers.get("accept").and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    let subscribed = body["subscriptions"]
        .as_array()
        .is_some_and(|s| s.iter().any(|t| t["type"] == "CALLBACK" && t["topic"] == ROBOT_TOPIC));
    if !accepts_json || !subscribed {
        record(&shared, path, StatusCode::BAD_REQUEST, &body);
        return error(StatusCode::BAD_REQUEST, "invalidParameter", "Accept or subscriptions");
    }
    let ticket = {
        let mut inner = shared.lock();
        inner.tickets_issued += 1;
        let ticket = format!("ticket-{}-{}", inner.tickets_issued, rand_suffix());
        inner.tickets.insert(ticket.clone());
        ticket
    };
    record(&shared, path, StatusCode::OK, &body);
    let endpoint = format!("ws://127.0.0.1:{}/connect", shared.ws_port);
    (StatusCode::OK, Json(json!({ "endpoint": endpoint, "ticket": ticket })))
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

/// The token on a call, if it is one of ours still valid.
fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    let token = headers.get("x-acs-dingtalk-access-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    shared.lock().tokens.contains(token)
}

async fn batch_send(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let path = "/v1.0/robot/oToMessages/batchSend";
    let refuse = |status: StatusCode, code: &str, message: &str| {
        record(&shared, path, status, &body);
        error(status, code, message)
    };
    if !authorised(&shared, &headers) {
        return refuse(StatusCode::BAD_REQUEST, "InvalidAuthentication", "不合法的access_token");
    }
    if shared.lock().down {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "服务暂时不可用");
    }
    if body["robotCode"] != CLIENT_ID {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalidParameter.robotCode.auth",
            "robotCode does not match",
        );
    }
    let users: Vec<String> = body["userIds"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if users.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "invalidParameter.userIds.empty", "userIds is empty");
    }
    if users.len() > 20 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalidParameter.userIds.overMax",
            "The user userId list exceeds the maximum limit",
        );
    }
    let key = body["msgKey"].as_str().unwrap_or("").to_owned();
    if !matches!(
        key.as_str(),
        "sampleText" | "sampleMarkdown" | "sampleFile" | "sampleActionCard" | "sampleImageMsg"
    ) {
        return refuse(StatusCode::BAD_REQUEST, "invalidParameter.msgKey.invalid", "msgKey is invalid");
    }
    let Some(param) = body["msgParam"].as_str().and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalidParameter.msgParam.invalid",
            "The msgParam must be in JSON format",
        );
    };
    {
        let mut inner = shared.lock();
        if let Some(qps) = inner.qps {
            let now = Instant::now();
            while inner.batch_times.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                inner.batch_times.pop_front();
            }
            if inner.batch_times.len() >= qps {
                inner.refused_qps += 1;
                drop(inner);
                return refuse(
                    StatusCode::FORBIDDEN,
                    "Forbidden.AccessDenied.QpsLimitForApi",
                    "请求过于频繁",
                );
            }
            inner.batch_times.push_back(now);
        }
    }
    let media = match key.as_str() {
        "sampleFile" => param["mediaId"].as_str(),
        "sampleImageMsg" => param["photoURL"].as_str().filter(|u| u.starts_with('@')),
        _ => None,
    };
    if let Some(id) = media {
        let known = id
            .strip_prefix("@fake-media-")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n >= 1 && n <= shared.lock().uploads.len());
        if !known {
            return refuse(StatusCode::BAD_REQUEST, "invalidParameter.mediaId.invalid", "mediaId is invalid");
        }
    }
    let text = match key.as_str() {
        "sampleText" => param["content"].as_str().unwrap_or("").to_owned(),
        "sampleMarkdown" => param["text"].as_str().unwrap_or("").to_owned(),
        "sampleFile" => param["fileName"].as_str().unwrap_or("").to_owned(),
        _ => param.to_string(),
    };
    let invalid: Vec<String> = {
        let mut inner = shared.lock();
        let invalid: Vec<String> =
            users.iter().filter(|u| inner.invalid_staff.contains(*u)).cloned().collect();
        for to in users.iter().filter(|u| !invalid.contains(u)) {
            let seq = inner.sent.len();
            inner.sent.push(Sent {
                seq,
                to: to.clone(),
                key: key.clone(),
                param: param.clone(),
                text: text.clone(),
            });
        }
        invalid
    };
    record(&shared, path, StatusCode::OK, &body);
    (
        StatusCode::OK,
        Json(json!({
            "processQueryKey": format!("query-{}", rand_suffix()),
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": [],
        })),
    )
}

async fn group_send(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let path = "/v1.0/robot/groupMessages/send";
    if !authorised(&shared, &headers) {
        record(&shared, path, StatusCode::BAD_REQUEST, &body);
        return error(StatusCode::BAD_REQUEST, "InvalidAuthentication", "不合法的access_token");
    }
    record(&shared, path, StatusCode::OK, &body);
    (StatusCode::OK, Json(json!({ "processQueryKey": "group-query" })))
}

async fn download(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let path = "/v1.0/robot/messageFiles/download";
    if !authorised(&shared, &headers) {
        record(&shared, path, StatusCode::BAD_REQUEST, &body);
        return error(StatusCode::BAD_REQUEST, "InvalidAuthentication", "不合法的access_token");
    }
    record(&shared, path, StatusCode::OK, &body);
    let code = body["downloadCode"].as_str().unwrap_or("");
    (StatusCode::OK, Json(json!({ "downloadUrl": format!("{}/files/{code}", shared.http_url) })))
}

async fn upload(
    State(shared): State<Shared>,
    query: axum::extract::Query<HashMap<String, String>>,
    mut form: Multipart,
) -> (StatusCode, Json<Value>) {
    let token = query.get("access_token").cloned().unwrap_or_default();
    if !shared.lock().tokens.contains(&token) {
        return (StatusCode::OK, Json(json!({ "errcode": 40014, "errmsg": "不合法的access_token" })));
    }
    let (mut kind, mut file) = (String::new(), None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("type") => kind = field.text().await.unwrap_or_default(),
            Some("media") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map(|b| b.len()).unwrap_or(0);
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    record(&shared, "/media/upload", StatusCode::OK, &json!({ "type": kind }));
    if shared.lock().refuse_uploads {
        return (StatusCode::OK, Json(json!({ "errcode": 40006, "errmsg": "不合法的文件大小" })));
    }
    let Some((name, size)) = file.filter(|_| kind == "file" || kind == "image") else {
        return (StatusCode::OK, Json(json!({ "errcode": 40004, "errmsg": "无效的媒体文件类型" })));
    };
    let id = {
        let mut inner = shared.lock();
        inner.uploads.push((name, size));
        inner.upload_types.push(kind.clone());
        format!("@fake-media-{}", inner.uploads.len())
    };
    shared.changed();
    (
        StatusCode::OK,
        Json(json!({ "errcode": 0, "errmsg": "ok", "media_id": id, "type": "file", "created_at": 0 })),
    )
}

/// `GET /files/<code>`: the picture a download URL points at.
async fn serve_file(axum::extract::Path(code): axum::extract::Path<String>) -> Vec<u8> {
    FakeDingTalk::picture(&code)
}

/// One stream connection: the handshake must carry a valid, unused ticket on `/connect`.
async fn serve_socket(shared: Shared, stream: tokio::net::TcpStream) {
    // The signature is tungstenite's handshake callback's, large error and all.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let uri = request.uri();
        let ticket = uri
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "ticket")
                    .map(|(_, v)| v.into_owned())
            })
            .unwrap_or_default();
        let valid = uri.path() == "/connect" && shared.lock().tickets.remove(&ticket);
        if valid {
            Ok(response)
        } else {
            let mut refusal = ErrorResponse::new(Some("invalid ticket".into()));
            *refusal.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Err(refusal)
        }
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, check).await else { return };
    let (mut write, mut read) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let pending: Vec<String> = {
        let mut inner = shared.lock();
        inner.connections += 1;
        inner.live = Some(tx.clone());
        inner.unacked.iter().map(|(_, f)| f.clone()).collect()
    };
    shared.changed();
    // What was pushed and never acknowledged comes again on the new connection.
    for frame in pending {
        let _ = tx.send(Message::Text(frame.into()));
    }
    drop(tx);
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(m) => {
                    let close = matches!(m, Message::Close(_));
                    if write.send(m).await.is_err() || close {
                        break;
                    }
                }
                // The fake dropped the connection: end it without a close handshake.
                None => break,
            },
            incoming = read.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(ack) = serde_json::from_str::<Value>(&t) {
                        let id = ack["headers"]["messageId"].as_str().unwrap_or("").to_owned();
                        let mut inner = shared.lock();
                        inner.unacked.retain(|(m, _)| *m != id);
                        inner.acks.push(ack);
                        drop(inner);
                        shared.changed();
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    let mut inner = shared.lock();
    if inner.live.as_ref().is_some_and(|l| l.is_closed()) {
        inner.live = None;
    }
    drop(inner);
    shared.changed();
}
