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
//!
//! The address book and the workbench login (按部门加入, 工作台免登), old-style `topapi` calls on
//! the same base (`SANSONG_DINGTALK_OAPI_URL`): `POST /topapi/…?access_token=<token>` with a JSON
//! body, always HTTP 200 with `{errcode, errmsg, result, request_id}`. Shapes from DingTalk's
//! pages, read in their mirror apolloyyu/kb-dingtalk-open-platform
//! (`docs/01-应用开发/02-4a8AMF6u2A-服务端API/…`), and the official old SDK
//! opendingtalk/alibaba-dingtalk-service-sdk (`src/main/java/com/dingtalk/api/{request,response}/…`):
//! - `v2/department/listparentbyuser {userid}` → `result.parent_list[].parent_dept_id_list`, the
//!   person's department first and the root 1 last; needs 通讯录部门信息读权限
//!   (`qyapi_get_department_list`) and "不受通讯录权限范围限制"; its own error table gives 33012
//!   无效的userId (`0085-queries-the-list-of-all-parent-departments-of-a-user.md`,
//!   `OapiV2DepartmentListparentbyuserResponse` `parent_list`/`parent_dept_id_list`).
//! - `v2/user/get {userid, language}` → `result.dept_id_list` (and `userid`, `name`, …); needs
//!   成员信息读权限 (`qyapi_get_member`) (`0056-query-user-details.md`, `OapiV2UserGetResponse`).
//!   An unknown person: 60121 找不到该用户 (the 全局错误码 page, `0013-server-api-error-codes-1.md`).
//! - `v2/department/listsub {dept_id, language}` → `result[] {dept_id, name, parent_id,
//!   auto_add_user, create_dept_group}` (`0082-user-management-acquires-the-list-departments.md`,
//!   `OapiV2DepartmentListsubResponse`); `v2/department/get {dept_id, language}` → `result
//!   {dept_id, name, parent_id, …}`, 60003 部门不存在 (`0081-query-department-details0-v2.md`,
//!   `OapiV2DepartmentGetResponse`); both need `qyapi_get_department_list`.
//! - `user/listid {dept_id}` → `result.userid_list` and `user/count {only_active}` →
//!   `result.count`, both `qyapi_get_member`, "不受通讯录权限范围限制"
//!   (`0065-query-the-list-of-department-userids.md`, `0059-user-management-acquires-number-employees.md`).
//! - `v2/user/getuserinfo {code}` → `result {userid, name, sys, sys_level, unionid,
//!   associated_unionid, device_id}`; a code "五分钟内有效，且只能使用一次", else 40078
//!   不存在的临时授权码 (`0024-obtain-the-userid-of-a-user-by-using-the-log-free.md`,
//!   `OapiV2UserGetuserinfoResponse`; 40078 on the 全局错误码 page).
//! - A permission the app lacks: `{errcode: 88, sub_code: "60011", sub_msg: "没有调用该接口的权限",
//!   errmsg: "ding talk error[subcode=60011,submsg=没有调用该接口的权限]"}` (the error-format example
//!   the 全局错误码 page's mirrors carry, e.g. mabiji.com/dingtalk/errcode.html; 60011 没有调用该接口的权限
//!   on `0013-server-api-error-codes-1.md`). Outside the app's 通讯录授权范围: 50004 企业部门不在授权范围
//!   for a department, 50002 企业员工不在授权范围 for a person (same page; `0161-common-errors.md`
//!   quotes `{"errcode":50004,"errmsg":"请求的部门id不在授权范围内"}`). A bad token: 40014
//!   不合法的access_token. Busy: -1 系统繁忙 ("建议稍后再重试").
//! - ActionCards (`sampleActionCard {title, text, singleTitle, singleURL}`, `sampleActionCard2`…`5
//!   {title, text, actionTitleN, actionURLN}`, `sampleActionCard6 {title, text, buttonTitle1,
//!   buttonUrl1, buttonTitle2, buttonUrl2}`): the robot message types page
//!   (`0699-robot-message-type.md`); a sent card is recorded with its text followed by each button
//!   as a markdown link `[title](url)`, so a test presses a button as it taps a link.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Multipart, Query, State};
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
    /// The address book: departments (id → name, parent), people (staff id → departments).
    departments: HashMap<i64, (String, Option<i64>)>,
    people: HashMap<String, (String, Vec<i64>)>,
    /// Whether the app holds 通讯录部门信息读权限 and 成员信息读权限.
    may_read_departments: bool,
    may_read_members: bool,
    /// Departments outside the app's 通讯录授权范围.
    out_of_scope: HashSet<i64>,
    /// The address book answers 系统繁忙 (-1) until set back.
    directory_busy: bool,
    /// Workbench auth codes issued and not yet used: code → staff id.
    auth_codes: HashMap<String, String>,
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
            inner: Arc::new(Mutex::new(Inner {
                expire_in: 7200,
                departments: HashMap::from([(1, ("测试市人民政府".to_owned(), None))]),
                may_read_departments: true,
                may_read_members: true,
                ..Inner::default()
            })),
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
            .route("/topapi/v2/department/listparentbyuser", post(list_parent_by_user))
            .route("/topapi/v2/user/get", post(user_get))
            .route("/topapi/v2/department/listsub", post(department_listsub))
            .route("/topapi/v2/department/get", post(department_get))
            .route("/topapi/user/listid", post(user_listid))
            .route("/topapi/user/count", post(user_count))
            .route("/topapi/v2/user/getuserinfo", post(user_getuserinfo))
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

    /// A department of the address book, under `parent` (the root is 1).
    pub fn add_department(&self, id: i64, name: &str, parent: i64) {
        self.shared.lock().departments.insert(id, (name.to_owned(), Some(parent)));
    }

    /// `user` is in these departments of the address book.
    pub fn add_person(&self, user: &DtUser, departments: &[i64]) {
        self.shared.lock().people.insert(user.staff_id.clone(), (user.nick.clone(), departments.to_vec()));
    }

    /// Grants or withdraws the app's 通讯录部门信息读权限 and 成员信息读权限.
    pub fn set_permissions(&self, departments: bool, members: bool) {
        let mut inner = self.shared.lock();
        inner.may_read_departments = departments;
        inner.may_read_members = members;
    }

    /// These departments are outside the app's 通讯录授权范围.
    pub fn set_out_of_scope(&self, departments: &[i64]) {
        self.shared.lock().out_of_scope = departments.iter().copied().collect();
    }

    /// The address book answers 系统繁忙 until set back.
    pub fn set_directory_busy(&self, busy: bool) {
        self.shared.lock().directory_busy = busy;
    }

    /// A one-time auth code for `user`, as DingTalk's `requestAuthCode` gives the workbench page.
    pub fn auth_code(&self, user: &DtUser) -> String {
        let code = format!("authcode{}{}", self.next_id(), rand_suffix());
        self.shared.lock().auth_codes.insert(code.clone(), user.staff_id.clone());
        code
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
        "sampleText"
            | "sampleMarkdown"
            | "sampleFile"
            | "sampleActionCard"
            | "sampleActionCard2"
            | "sampleActionCard3"
            | "sampleActionCard4"
            | "sampleActionCard5"
            | "sampleActionCard6"
            | "sampleImageMsg"
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
    let Some(text) = words_of(&key, &param) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalidParameter.msgParam.invalid",
            "msgParam lacks what the message type needs",
        );
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

/// The buttons of an ActionCard (title, url), in order, by its key's parameters; `None` when
/// one the type needs is missing.
fn card_buttons(key: &str, param: &Value) -> Option<Vec<(String, String)>> {
    let pair = |title: &str, url: &str| -> Option<(String, String)> {
        Some((param[title].as_str()?.to_owned(), param[url].as_str()?.to_owned()))
    };
    let vertical = |n: usize| -> Option<Vec<(String, String)>> {
        (1..=n).map(|i| pair(&format!("actionTitle{i}"), &format!("actionURL{i}"))).collect()
    };
    match key {
        "sampleActionCard" => Some(vec![pair("singleTitle", "singleURL")?]),
        "sampleActionCard2" => vertical(2),
        "sampleActionCard3" => vertical(3),
        "sampleActionCard4" => vertical(4),
        "sampleActionCard5" => vertical(5),
        "sampleActionCard6" => {
            Some(vec![pair("buttonTitle1", "buttonUrl1")?, pair("buttonTitle2", "buttonUrl2")?])
        }
        _ => None,
    }
}

/// The words of a message as a test reads them: `content` of a text, `text` of a markdown, the
/// file name of a file; a card's text and then its buttons as markdown links. `None` when the
/// parameters lack what the type needs.
fn words_of(key: &str, param: &Value) -> Option<String> {
    Some(match key {
        "sampleText" => param["content"].as_str()?.to_owned(),
        "sampleMarkdown" => {
            param["title"].as_str()?;
            param["text"].as_str()?.to_owned()
        }
        "sampleFile" => param["fileName"].as_str().unwrap_or("").to_owned(),
        k if k.starts_with("sampleActionCard") => {
            param["title"].as_str()?;
            let mut text = param["text"].as_str()?.to_owned();
            for (title, url) in card_buttons(k, param)? {
                text.push_str(&format!("\n[{title}]({url})"));
            }
            text
        }
        _ => param.to_string(),
    })
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

// ---------------------------------------------------------------- the address book (topapi)

/// An old-style answer: always HTTP 200, the outcome in `errcode` (see the module's notes).
fn oapi(errcode: i64, errmsg: &str, result: Option<Value>) -> Json<Value> {
    let mut answer = json!({ "errcode": errcode, "errmsg": errmsg, "request_id": "fakerequest01" });
    if let Some(result) = result {
        answer["result"] = result;
    }
    Json(answer)
}

/// What the app lacks a permission for: errcode 88 with the real code in `sub_code`.
fn no_permission() -> Json<Value> {
    Json(json!({
        "errcode": 88,
        "sub_code": "60011",
        "sub_msg": "没有调用该接口的权限",
        "errmsg": "ding talk error[subcode=60011,submsg=没有调用该接口的权限]",
        "request_id": "fakerequest01",
    }))
}

/// Which permission a call needs.
#[derive(Clone, Copy)]
enum Needs {
    Departments,
    Members,
    Nothing,
}

/// The common part of every topapi call: the call recorded, the token checked (40014), the
/// permission (88/60011), the address book busy (-1). `Err` is the answer to give instead.
fn topapi_gate(
    shared: &Shared,
    path: &str,
    query: &HashMap<String, String>,
    body: &Value,
    needs: Needs,
) -> Result<(), Json<Value>> {
    record(shared, path, StatusCode::OK, body);
    let token = query.get("access_token").cloned().unwrap_or_default();
    let inner = shared.lock();
    if !inner.tokens.contains(&token) {
        return Err(oapi(40014, "不合法的access_token", None));
    }
    let allowed = match needs {
        Needs::Departments => inner.may_read_departments,
        Needs::Members => inner.may_read_members,
        Needs::Nothing => true,
    };
    if !allowed {
        return Err(no_permission());
    }
    if inner.directory_busy && !matches!(needs, Needs::Nothing) {
        return Err(oapi(-1, "系统繁忙", None));
    }
    Ok(())
}

type Q = Query<HashMap<String, String>>;

/// A department's chain: it, then each department above it, up to the root.
fn chain_of(inner: &Inner, id: i64) -> Vec<i64> {
    let mut chain = vec![id];
    let mut at = id;
    while let Some((_, Some(parent))) = inner.departments.get(&at) {
        if chain.contains(parent) || chain.len() > 64 {
            break;
        }
        chain.push(*parent);
        at = *parent;
    }
    chain
}

async fn list_parent_by_user(
    State(shared): State<Shared>,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Json<Value> {
    if let Err(answer) =
        topapi_gate(&shared, "/topapi/v2/department/listparentbyuser", &q, &body, Needs::Departments)
    {
        return answer;
    }
    let inner = shared.lock();
    let Some((_, departments)) = body["userid"].as_str().and_then(|u| inner.people.get(u)) else {
        return oapi(33012, "无效的userId", None);
    };
    let lists: Vec<Value> =
        departments.iter().map(|d| json!({ "parent_dept_id_list": chain_of(&inner, *d) })).collect();
    oapi(0, "ok", Some(json!({ "parent_list": lists })))
}

async fn user_get(State(shared): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    if let Err(answer) = topapi_gate(&shared, "/topapi/v2/user/get", &q, &body, Needs::Members) {
        return answer;
    }
    let inner = shared.lock();
    let user = body["userid"].as_str().unwrap_or("");
    let Some((name, departments)) = inner.people.get(user) else {
        return oapi(60121, "找不到该用户", None);
    };
    if departments.iter().all(|d| chain_of(&inner, *d).iter().any(|c| inner.out_of_scope.contains(c))) {
        return oapi(50002, "企业员工不在授权范围", None);
    }
    oapi(0, "ok", Some(json!({ "userid": user, "name": name, "dept_id_list": departments, "active": true })))
}

fn department_json(id: i64, name: &str, parent: Option<i64>) -> Value {
    let mut d = json!({ "dept_id": id, "name": name, "auto_add_user": false, "create_dept_group": false });
    if let Some(parent) = parent {
        d["parent_id"] = json!(parent);
    }
    d
}

async fn department_listsub(
    State(shared): State<Shared>,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Json<Value> {
    if let Err(answer) = topapi_gate(&shared, "/topapi/v2/department/listsub", &q, &body, Needs::Departments)
    {
        return answer;
    }
    let inner = shared.lock();
    let parent = body["dept_id"].as_i64().unwrap_or(1);
    if !inner.departments.contains_key(&parent) {
        return oapi(60003, "部门不存在", None);
    }
    let mut children: Vec<(i64, String)> = inner
        .departments
        .iter()
        .filter(|(id, (_, p))| *p == Some(parent) && !inner.out_of_scope.contains(id))
        .map(|(id, (name, _))| (*id, name.clone()))
        .collect();
    children.sort();
    let result: Vec<Value> =
        children.iter().map(|(id, name)| department_json(*id, name, Some(parent))).collect();
    oapi(0, "ok", Some(json!(result)))
}

async fn department_get(State(shared): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    if let Err(answer) = topapi_gate(&shared, "/topapi/v2/department/get", &q, &body, Needs::Departments) {
        return answer;
    }
    let inner = shared.lock();
    let id = body["dept_id"].as_i64().unwrap_or(0);
    let Some((name, parent)) = inner.departments.get(&id) else {
        return oapi(60003, "部门不存在", None);
    };
    if inner.out_of_scope.contains(&id) {
        return oapi(50004, "企业部门不在授权范围", None);
    }
    oapi(0, "ok", Some(department_json(id, name, *parent)))
}

async fn user_listid(State(shared): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    if let Err(answer) = topapi_gate(&shared, "/topapi/user/listid", &q, &body, Needs::Members) {
        return answer;
    }
    let inner = shared.lock();
    let id = body["dept_id"].as_i64().unwrap_or(0);
    if !inner.departments.contains_key(&id) {
        return oapi(60003, "部门不存在", None);
    }
    let mut users: Vec<&String> =
        inner.people.iter().filter(|(_, (_, d))| d.contains(&id)).map(|(u, _)| u).collect();
    users.sort();
    oapi(0, "ok", Some(json!({ "userid_list": users })))
}

async fn user_count(State(shared): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    if let Err(answer) = topapi_gate(&shared, "/topapi/user/count", &q, &body, Needs::Members) {
        return answer;
    }
    let count = shared.lock().people.len();
    oapi(0, "ok", Some(json!({ "count": count })))
}

async fn user_getuserinfo(State(shared): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    if let Err(answer) = topapi_gate(&shared, "/topapi/v2/user/getuserinfo", &q, &body, Needs::Nothing) {
        return answer;
    }
    let mut inner = shared.lock();
    // A code works once: taken out as it is used.
    let Some(user) = body["code"].as_str().and_then(|c| inner.auth_codes.remove(c)) else {
        return oapi(40078, "不存在的临时授权码", None);
    };
    let name = inner.people.get(&user).map(|(n, _)| n.clone()).unwrap_or_default();
    oapi(
        0,
        "ok",
        Some(json!({
            "userid": user,
            "name": name,
            "sys": false,
            "sys_level": 0,
            "unionid": format!("union{user}"),
            "associated_unionid": "",
            "device_id": "fakedevice",
        })),
    )
}
