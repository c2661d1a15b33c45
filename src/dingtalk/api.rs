//! DingTalk's OpenAPI, as the bot uses it: the access token (cached until shortly before it
//! expires, fetched again after an answer that it is invalid), opening a stream connection,
//! the robot's batch send to up to 20 people, the download of a picture a person sent, and the
//! upload of a file to send.
//!
//! Shapes, from DingTalk's official stream SDKs and robot API documentation:
//! - token: `POST /v1.0/oauth2/accessToken {appKey, appSecret}` → `{accessToken, expireIn}`
//!   (dingtalk-stream-sdk-python `stream.py` `get_access_token`, which also refreshes 5 minutes
//!   early); later calls carry `x-acs-dingtalk-access-token` (`chatbot.py`).
//! - errors: `{code, message, requestid}`; an invalid token is HTTP 400 `InvalidAuthentication`;
//!   bad stream credentials HTTP 401 `authFailed`; throttling HTTP 403
//!   `Forbidden.AccessDenied.QpsLimitForApi` (or `…ForAppkeyAndApi`).
//! - `POST /v1.0/gateway/connections/open {clientId, clientSecret, subscriptions, ua}` →
//!   `{endpoint, ticket}`, with `Accept: application/json` (dingtalk-stream-sdk-go
//!   `payload/connection.go`, `client/client.go`; -nodejs `client.ts` notes XML otherwise).
//! - `POST /v1.0/robot/oToMessages/batchSend {robotCode, userIds ≤ 20, msgKey, msgParam (a JSON
//!   string)}` → `{processQueryKey, invalidStaffIdList, flowControlledStaffIdList}` (DingTalk's
//!   "batch send one-on-one chat messages" page; aliyun/dingtalk-sdk `BatchSendOTOResponseBody`).
//! - `POST /v1.0/robot/messageFiles/download {downloadCode, robotCode}` → `{downloadUrl}`
//!   (-python `chatbot.py` `get_image_download_url`).
//! - `POST {oapi}/media/upload?access_token=…` multipart `type`, `media` →
//!   `{errcode, errmsg, media_id}` (-python `stream.py` `upload_to_dingtalk`).
//! - The address book and the workbench login, old-style (`topapi`, on the oapi base, the token
//!   as `?access_token=`, a JSON body, HTTP 200 with `{errcode, errmsg, result, request_id}`;
//!   `errcode` 88 carries the real code as `sub_code`, e.g. 60011 for a missing permission):
//!   `v2/department/listparentbyuser {userid}` → `result.parent_list[].parent_dept_id_list`
//!   (the person's department first, the root 1 last); `v2/user/get {userid}` →
//!   `result.dept_id_list`; `v2/department/listsub {dept_id}` → `result[] {dept_id, name,
//!   parent_id}`; `v2/department/get {dept_id}` → `result {dept_id, name, parent_id}`;
//!   `user/listid {dept_id}` → `result.userid_list`; `user/count {only_active}` →
//!   `result.count`; `v2/user/getuserinfo {code}` → `result.userid` (opendingtalk/
//!   alibaba-dingtalk-service-sdk `OapiV2DepartmentListparentbyuserResponse`,
//!   `OapiV2UserGetuserinfoResponse`, …; DingTalk's pages as mirrored in
//!   apolloyyu/kb-dingtalk-open-platform, with the fake's notes in
//!   `tests/e2e/support/fake_dingtalk.rs`).

use crate::domain::Platform;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::config::DingTalkConfig;

/// The robot message topic the bot subscribes to (-go `payload/utils.go` `BotMessageCallbackTopic`).
pub const BOT_MESSAGE_TOPIC: &str = "/v1.0/im/bot/messages/get";

/// At most this many people per batch send (DingTalk's documented limit).
pub const BATCH_LIMIT: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// DingTalk refused the credentials (a setup problem: said once, clearly).
    Credentials(String),
    /// Flow control: try again after this long.
    Throttled(Duration),
    /// Might work later: network, 5xx, a token that stayed invalid.
    Transient(String),
    /// Will not work as asked.
    Refused(String),
    /// The old OpenAPI (`topapi`) refused with this code (for errcode 88, its `sub_code`): see
    /// [`codes`] for the ones the bot tells apart.
    Code { code: i64, message: String },
}

/// The old OpenAPI's codes the bot tells apart (DingTalk's 全局错误码 page).
pub mod codes {
    /// 没有调用该接口的权限: the app lacks the permission (as errcode 88's `sub_code`).
    pub const NO_PERMISSION: i64 = 60011;
    /// 找不到该用户.
    pub const USER_NOT_FOUND: i64 = 60121;
    /// 无效的USERID.
    pub const INVALID_USER: i64 = 33012;
    /// 企业员工不在授权范围 (the app's 通讯录授权范围).
    pub const USER_OUT_OF_SCOPE: i64 = 50002;
    /// 企业部门不在授权范围.
    pub const DEPARTMENT_OUT_OF_SCOPE: i64 = 50004;
    /// 部门不存在.
    pub const NO_DEPARTMENT: i64 = 60003;
    /// 不存在的临时授权码: an auth code unknown, expired or used already.
    pub const UNKNOWN_AUTH_CODE: i64 = 40078;
}

impl ApiError {
    /// The old OpenAPI's code of this refusal, if it is one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ApiError::Code { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Worth trying again later: the network, DingTalk busy, flow control.
    pub fn is_passing(&self) -> bool {
        matches!(self, ApiError::Transient(_) | ApiError::Throttled(_))
    }
}

/// A department of the address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i64,
    pub name: String,
    /// The department above it (none for the root, 1).
    pub parent: Option<i64>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Credentials(e) => write!(f, "DingTalk refused the credentials: {e}"),
            ApiError::Throttled(d) => write!(f, "DingTalk flow control ({} ms)", d.as_millis()),
            ApiError::Transient(e) => write!(f, "DingTalk did not answer usefully: {e}"),
            ApiError::Refused(e) => write!(f, "DingTalk refused: {e}"),
            ApiError::Code { code, message } => write!(f, "DingTalk refused: {code} {message}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// What a batch send said about its recipients.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchAnswer {
    /// Not people DingTalk can reach (left the organisation, a wrong id): like Telegram's 403.
    pub invalid: Vec<String>,
    /// Sent to too often lately: to try again later.
    pub flow_controlled: Vec<String>,
}

pub struct Api {
    http: reqwest::Client,
    /// Where each call's latency and outcome go (/metrics, and /healthz's "the platform
    /// answered lately").
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
    config: DingTalkConfig,
    /// Never logged, never shown.
    secret: String,
    token: Mutex<Option<(String, Instant)>>,
}

impl Api {
    pub fn new(config: DingTalkConfig, secret: String) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Api { http, metrics: None, config, secret, token: Mutex::new(None) })
    }

    /// Counts each call in the bot's metrics.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Api {
        self.metrics = Some(metrics);
        self
    }

    fn observe<T>(&self, started: Instant, result: &Result<T, ApiError>) {
        if let Some(m) = &self.metrics {
            // DingTalk answering at all (even a refusal) shows it is up.
            let answered = !matches!(result, Err(ApiError::Transient(_)));
            m.api_call(
                Platform::DingTalk,
                started.elapsed(),
                answered,
                chrono::Utc::now().timestamp_millis(),
            );
        }
    }

    pub fn robot_code(&self) -> &str {
        &self.config.robot_code
    }

    /// The app's client id (its AppKey), as the workbench page's `requestAuthCode` names it.
    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.api_url.as_str().trim_end_matches('/'), path)
    }

    /// The access token, from the cache while it has more than five minutes left.
    pub async fn token(&self) -> Result<String, ApiError> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let body = json!({ "appKey": self.config.client_id, "appSecret": self.secret });
        let started = Instant::now();
        let answer = self.http.post(self.url("/v1.0/oauth2/accessToken")).json(&body).send().await;
        let value = read(answer).await;
        self.observe(started, &value);
        let value = value.map_err(|e| match e {
            ApiError::Refused(why) => ApiError::Credentials(why),
            other => other,
        })?;
        let token =
            value["accessToken"].as_str().ok_or_else(|| ApiError::Transient("no accessToken".into()))?;
        let expire_in = value["expireIn"].as_u64().unwrap_or(7200);
        // Five minutes early, as DingTalk's own SDK does; at least a minute.
        let keep = Duration::from_secs(expire_in.saturating_sub(300).max(60));
        *cached = Some((token.to_owned(), Instant::now() + keep));
        tracing::debug!(seconds = keep.as_secs(), "DingTalk access token obtained");
        Ok(token.to_owned())
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// A POST with the token; an answer that the token is invalid gets a fresh one and one
    /// more try.
    async fn post(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let started = Instant::now();
            let answer = self
                .http
                .post(self.url(path))
                .header("x-acs-dingtalk-access-token", token)
                .header("Accept", "application/json")
                .json(body)
                .send()
                .await;
            let result = read(answer).await;
            self.observe(started, &result);
            match result {
                Err(ApiError::Refused(why)) if why.starts_with("InvalidAuthentication") && attempt == 0 => {
                    tracing::info!("DingTalk says the access token is invalid; fetching a new one");
                    self.forget_token().await;
                }
                other => return other,
            }
        }
        Err(ApiError::Transient("the access token stayed invalid".into()))
    }

    /// A new stream connection: the WebSocket URL to open (with its one-time ticket).
    pub async fn open_connection(&self) -> Result<String, ApiError> {
        let body = json!({
            "clientId": self.config.client_id,
            "clientSecret": self.secret,
            "subscriptions": [
                { "type": "SYSTEM", "topic": "ping" },
                { "type": "SYSTEM", "topic": "disconnect" },
                { "type": "CALLBACK", "topic": BOT_MESSAGE_TOPIC },
            ],
            "ua": concat!("sansong/", env!("CARGO_PKG_VERSION")),
        });
        let answer = self
            .http
            .post(self.url("/v1.0/gateway/connections/open"))
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await;
        let value = read(answer).await.map_err(|e| match e {
            ApiError::Refused(why) => ApiError::Credentials(why),
            other => other,
        })?;
        match (value["endpoint"].as_str(), value["ticket"].as_str()) {
            (Some(endpoint), Some(ticket)) if !endpoint.is_empty() && !ticket.is_empty() => {
                let ticket: String = url::form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
                Ok(format!("{endpoint}?ticket={ticket}"))
            }
            _ => Err(ApiError::Transient("connections/open answered without an endpoint and ticket".into())),
        }
    }

    /// Sends one message to up to 20 people.
    pub async fn batch_send(
        &self,
        user_ids: &[String],
        msg_key: &str,
        msg_param: &Value,
    ) -> Result<BatchAnswer, ApiError> {
        let body = json!({
            "robotCode": self.config.robot_code,
            "userIds": user_ids,
            "msgKey": msg_key,
            "msgParam": msg_param.to_string(),
        });
        let value = self.post("/v1.0/robot/oToMessages/batchSend", &body).await?;
        let list = |key: &str| -> Vec<String> {
            value[key]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        Ok(BatchAnswer {
            invalid: list("invalidStaffIdList"),
            flow_controlled: list("flowControlledStaffIdList"),
        })
    }

    /// Sends one message to a group chat (`openConversationId` is the callback's `conversationId`:
    /// DingTalk's "robot sends a group message" page).
    pub async fn group_send(
        &self,
        conversation: &str,
        msg_key: &str,
        msg_param: &Value,
    ) -> Result<(), ApiError> {
        let body = json!({
            "robotCode": self.config.robot_code,
            "openConversationId": conversation,
            "msgKey": msg_key,
            "msgParam": msg_param.to_string(),
        });
        self.post("/v1.0/robot/groupMessages/send", &body).await.map(|_| ())
    }

    /// Whether DingTalk answers: a new access token is fetched (the cheapest call there is).
    pub async fn probe(&self) -> bool {
        self.forget_token().await;
        self.token().await.is_ok()
    }

    /// Where to fetch a file a person sent (a picture): a temporary URL.
    pub async fn download_url(&self, download_code: &str) -> Result<String, ApiError> {
        let body = json!({ "downloadCode": download_code, "robotCode": self.config.robot_code });
        let value = self.post("/v1.0/robot/messageFiles/download", &body).await?;
        value["downloadUrl"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Transient("no downloadUrl".into()))
    }

    /// The bytes of a file a person sent (a picture), by its download code.
    pub async fn download(&self, download_code: &str) -> Result<Vec<u8>, ApiError> {
        let url = self.download_url(download_code).await?;
        let started = Instant::now();
        let answer = self.http.get(&url).timeout(Duration::from_secs(120)).send().await;
        let result = match answer {
            Ok(r) if r.status().is_success() => r
                .bytes()
                .await
                .map(|b| b.to_vec())
                .map_err(|e| ApiError::Transient(e.without_url().to_string())),
            Ok(r) => Err(ApiError::Transient(format!("download: HTTP {}", r.status()))),
            Err(e) => Err(ApiError::Transient(e.without_url().to_string())),
        };
        self.observe(started, &result);
        result
    }

    /// Uploads a file (an export, a notice's file or picture) to send: its media id. `kind` is
    /// the upload's `type`: `file`, or `image` for a picture. The old OpenAPI answers HTTP 200
    /// with an `errcode`; 40014 (an invalid token) and 42001 (an expired one) get a fresh token
    /// and one more try, like [`Self::post`]'s InvalidAuthentication.
    pub async fn upload(&self, kind: &str, name: &str, bytes: Vec<u8>) -> Result<String, ApiError> {
        let base = self.config.oapi_url.as_str().trim_end_matches('/');
        for attempt in 0..2 {
            let token = self.token().await?;
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_owned());
            let form = reqwest::multipart::Form::new().text("type", kind.to_owned()).part("media", part);
            let started = Instant::now();
            let answer = self
                .http
                .post(format!("{base}/media/upload"))
                .query(&[("access_token", token)])
                .multipart(form)
                // A file may take longer than a small call.
                .timeout(Duration::from_secs(120))
                .send()
                .await;
            let result = read(answer).await;
            self.observe(started, &result);
            let value = result?;
            match (value["errcode"].as_i64(), value["media_id"].as_str()) {
                (Some(0) | None, Some(id)) => return Ok(id.to_owned()),
                (Some(OAPI_TOKEN_INVALID | OAPI_TOKEN_EXPIRED), _) if attempt == 0 => {
                    tracing::info!("DingTalk says the access token is invalid; fetching a new one");
                    self.forget_token().await;
                }
                _ => {
                    return Err(ApiError::Refused(format!(
                        "upload: {}",
                        value["errmsg"].as_str().unwrap_or("?")
                    )));
                }
            }
        }
        Err(ApiError::Transient("the access token stayed invalid".into()))
    }
}

impl Api {
    /// An old-style call (`topapi`, on the oapi base): the answer's JSON when `errcode` is 0. A
    /// token it does not take gets a fresh one and one more try; `-1` (系统繁忙) is passing, and
    /// so are the 900xx codes (calls temporarily refused for their rate).
    async fn topapi(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        let base = self.config.oapi_url.as_str().trim_end_matches('/');
        for attempt in 0..2 {
            let token = self.token().await?;
            let started = Instant::now();
            let answer = self
                .http
                .post(format!("{base}{path}"))
                .query(&[("access_token", token)])
                .json(body)
                .send()
                .await;
            let result = read(answer).await;
            let value = match result {
                Ok(v) => v,
                Err(e) => {
                    self.observe(started, &Err::<(), _>(e.clone()));
                    return Err(e);
                }
            };
            let number = |v: &Value| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            let mut code = number(&value["errcode"]).unwrap_or(0);
            if code == 88 {
                code = number(&value["sub_code"]).unwrap_or(88);
            }
            let message = value["sub_msg"].as_str().or(value["errmsg"].as_str()).unwrap_or("").to_owned();
            let outcome = match code {
                0 => Ok(value),
                OAPI_TOKEN_INVALID | OAPI_TOKEN_EXPIRED if attempt == 0 => {
                    tracing::info!("DingTalk says the access token is invalid; fetching a new one");
                    self.forget_token().await;
                    continue;
                }
                -1 => Err(ApiError::Transient(format!("{path}: {message}"))),
                90001..=90099 => Err(ApiError::Throttled(Duration::from_secs(2))),
                code => Err(ApiError::Code { code, message }),
            };
            self.observe(started, &outcome);
            return outcome;
        }
        Err(ApiError::Transient("the access token stayed invalid".into()))
    }

    /// A person's departments, each followed by those above it up to the root:
    /// `listparentbyuser` (通讯录部门信息读权限). Without that permission, their own departments
    /// from `user/get` (成员信息读权限), each alone.
    pub async fn department_chains(&self, user_id: &str) -> Result<Vec<Vec<i64>>, ApiError> {
        let body = json!({ "userid": user_id });
        match self.topapi("/topapi/v2/department/listparentbyuser", &body).await {
            Ok(value) => Ok(value["result"]["parent_list"]
                .as_array()
                .map(|lists| lists.iter().map(|l| ids(&l["parent_dept_id_list"])).collect())
                .unwrap_or_default()),
            Err(e) if e.code() == Some(codes::NO_PERMISSION) => {
                let own = self.user_departments(user_id).await?;
                Ok(own.into_iter().map(|d| vec![d]).collect())
            }
            Err(e) => Err(e),
        }
    }

    /// The departments a person is in (`v2/user/get`'s `dept_id_list`).
    pub async fn user_departments(&self, user_id: &str) -> Result<Vec<i64>, ApiError> {
        let body = json!({ "userid": user_id, "language": "zh_CN" });
        let value = self.topapi("/topapi/v2/user/get", &body).await?;
        Ok(ids(&value["result"]["dept_id_list"]))
    }

    /// The departments right under `id` (the root is 1).
    pub async fn sub_departments(&self, id: i64) -> Result<Vec<Department>, ApiError> {
        let body = json!({ "dept_id": id, "language": "zh_CN" });
        let value = self.topapi("/topapi/v2/department/listsub", &body).await?;
        Ok(value["result"]
            .as_array()
            .map(|a| a.iter().filter_map(department_of).collect())
            .unwrap_or_default())
    }

    /// One department.
    pub async fn department(&self, id: i64) -> Result<Department, ApiError> {
        let body = json!({ "dept_id": id, "language": "zh_CN" });
        let value = self.topapi("/topapi/v2/department/get", &body).await?;
        department_of(&value["result"]).ok_or_else(|| ApiError::Transient("department/get: no result".into()))
    }

    /// How many people are directly in a department (`user/listid`).
    pub async fn department_member_count(&self, id: i64) -> Result<usize, ApiError> {
        let value = self.topapi("/topapi/user/listid", &json!({ "dept_id": id })).await?;
        Ok(value["result"]["userid_list"].as_array().map_or(0, Vec::len))
    }

    /// How many people the organisation has (`user/count`): a cheap call that needs 成员信息读权限.
    pub async fn user_count(&self) -> Result<i64, ApiError> {
        let value = self.topapi("/topapi/user/count", &json!({ "only_active": false })).await?;
        Ok(value["result"]["count"].as_i64().unwrap_or(0))
    }

    /// The DingTalk user a one-time auth code from the workbench page stands for
    /// (`v2/user/getuserinfo`). A code DingTalk does not know (forged, used, expired) is
    /// [`codes::UNKNOWN_AUTH_CODE`].
    pub async fn user_of_auth_code(&self, code: &str) -> Result<String, ApiError> {
        let value = self.topapi("/topapi/v2/user/getuserinfo", &json!({ "code": code })).await?;
        value["result"]["userid"]
            .as_str()
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Transient("getuserinfo: no userid".into()))
    }
}

/// A list of ids as DingTalk writes them: numbers, or (in some answers) a string of them.
fn ids(v: &Value) -> Vec<i64> {
    match v {
        Value::Array(a) => {
            a.iter().filter_map(|x| x.as_i64().or_else(|| x.as_str()?.trim().parse().ok())).collect()
        }
        Value::String(s) => serde_json::from_str::<Value>(s).map(|inner| ids(&inner)).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn department_of(v: &Value) -> Option<Department> {
    Some(Department {
        id: v["dept_id"].as_i64()?,
        name: v["name"].as_str().unwrap_or("").to_owned(),
        parent: v["parent_id"].as_i64(),
    })
}

/// The old OpenAPI's errcodes for a token it does not take: not valid (不合法的access_token),
/// and expired (access_token超时).
const OAPI_TOKEN_INVALID: i64 = 40014;
const OAPI_TOKEN_EXPIRED: i64 = 42001;

/// The JSON of an answer, or what kind of failure it is.
async fn read(answer: reqwest::Result<reqwest::Response>) -> Result<Value, ApiError> {
    // reqwest's errors name the URL, which for uploads holds the token: reported without it.
    let response = answer.map_err(|e| ApiError::Transient(e.without_url().to_string()))?;
    let status = response.status();
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let code = value["code"].as_str().unwrap_or("");
    let why = format!("{code}: {}", value["message"].as_str().unwrap_or(""));
    Err(match status.as_u16() {
        403 if code.starts_with("Forbidden.AccessDenied.QpsLimit") => {
            ApiError::Throttled(Duration::from_secs(1))
        }
        429 => ApiError::Throttled(Duration::from_secs(1)),
        401 => ApiError::Credentials(why),
        s if s >= 500 => ApiError::Transient(format!("HTTP {s} {why}")),
        _ => ApiError::Refused(why),
    })
}
