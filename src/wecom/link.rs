//! The long connection (智能机器人长连接): one outbound WebSocket per bot that carries both what
//! people send (callbacks, written to the inbox before anything acts on them: WeCom does not
//! deliver a callback twice of its own accord) and everything the bot sends (requests, each
//! with a fresh `req_id` or a callback's, each waiting for its own answer).
//!
//! The protocol, from WeCom's document 「智能机器人长连接」 (developer.work.weixin.qq.com
//! /document/path/101463) and the official SDK WecomTeam/aibot-node-sdk (`src/ws.ts`,
//! `src/client.ts`, `src/types/api.ts`):
//! - a request `{cmd, headers: {req_id}, body}`; its answer `{headers: {req_id}, errcode,
//!   errmsg, body?}`, matched by the echoed `req_id` alone (`ws.ts:230-313`); no answer in 5 s
//!   is a failure (`ws.ts:67`);
//! - `aibot_subscribe {bot_id, secret}` first, and nothing else before its answer (`ws.ts:154-
//!   163`, `206-221`); wrong credentials answer 853000;
//! - a JSON `ping` every 30 s; two unanswered, and the connection is given up (`ws.ts:344-367`);
//! - after a close or an error, a new connection after 1 s, doubling to 30 s, back to 1 s after
//!   a good subscribe (`ws.ts:378-424`); wrong credentials stop after five tries;
//! - `disconnected_event`: a newer connection subscribed for the bot. This one closes and does
//!   not come back (`ws.ts:245-264`), or two processes would take the bot from each other
//!   forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::config::WeComConfig;
use crate::core::Core;
use crate::domain::Platform;
use crate::metrics::Metrics;
use crate::texts;

/// WeCom's error codes the bot acts on (from the SDK's users' reports: WeCom's page lists none).
pub mod codes {
    /// `invalid bot_id or secret` (subscribe).
    pub const BAD_CREDENTIALS: i64 = 853_000;
    /// `api freq out of limit`: too fast (a conversation's 30 a minute, the bot's own limit).
    pub const TOO_FAST: i64 = 45_009;
    /// `invalid chatid`: nobody the bot may write to first.
    pub const INVALID_CHAT: i64 = 93_006;
    /// `invalid req_id`: not a callback's, or not for this command.
    pub const INVALID_REQ_ID: i64 = 846_605;
    /// A callback's `req_id` that may no longer be answered.
    pub const EXPIRED_REQ_ID: i64 = 846_608;
}

/// How long a request waits for its answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// How long the subscribe's answer may take.
const SUBSCRIBE_WITHIN: Duration = Duration::from_secs(10);
/// Refused credentials: the tries before the link stops and waits for the operator.
const CREDENTIAL_TRIES: u32 = 5;
/// Pings unanswered before the connection is given up.
const MISSED_PINGS: u32 = 2;

#[derive(Debug, Clone, thiserror::Error)]
pub enum LinkError {
    #[error("WeCom's long connection is not open")]
    NotConnected,
    #[error("WeCom did not answer within 5 s")]
    NoAnswer,
    /// The conversation has had all WeCom allows it for now (30 a minute, 1,000 an hour).
    #[error("the conversation is at WeCom's limit for {0:?} more")]
    ConversationFull(Duration),
    /// The bot has made all the uploads WeCom allows it for now (30 a minute).
    #[error("the bot is at WeCom's 30 uploads a minute for {0:?} more")]
    UploadsFull(Duration),
    #[error("WeCom answered {code}: {message}")]
    Refused { code: i64, message: String },
}

impl LinkError {
    pub fn code(&self) -> Option<i64> {
        match self {
            LinkError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// WeCom may take it later: not connected, no answer, too fast.
    pub fn passing(&self) -> bool {
        !matches!(self, LinkError::Refused { code, .. } if *code != codes::TOO_FAST)
    }
}

/// A card the bot sent: its title and buttons (text, key), so a press can be answered by
/// updating the card to show what was chosen.
#[derive(Debug, Clone)]
pub struct SentCard {
    pub title: String,
    pub buttons: Vec<(String, String)>,
}

/// How many sent cards are remembered for their presses.
const CARDS_KEPT: usize = 2000;

/// The bot's long connection to WeCom.
pub struct Link {
    settings: WeComConfig,
    secret: String,
    metrics: Option<Arc<Metrics>>,
    heartbeat: Duration,
    backoff_base: Duration,
    /// Frames to write on the connection now subscribed (`None`: none is).
    writer: Mutex<Option<mpsc::UnboundedSender<String>>>,
    /// Requests waiting for their answers, by `req_id`.
    pending: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    cards: Mutex<(HashMap<String, SentCard>, std::collections::VecDeque<String>)>,
    /// For the files people send (trusting a private deployment's CA too).
    http: reqwest::Client,
}

/// How one connection ended.
enum Ended {
    Shutdown,
    /// Closed or failed; `subscribed`: it had been subscribed (the backoff starts again).
    Closed {
        subscribed: bool,
    },
    /// WeCom refused the bot id and secret.
    Credentials(String),
    /// A newer connection took the bot over.
    Displaced,
}

impl Link {
    pub fn new(settings: WeComConfig, secret: String) -> anyhow::Result<Link> {
        if secret.trim().is_empty() {
            anyhow::bail!("{}", texts::wecom::NO_SECRET);
        }
        // A CA file that cannot be read stops the start, not every connection later.
        if let Some(path) = &settings.ca_file {
            tls_with_ca(path)?;
        }
        let http = http_client(settings.ca_file.as_deref())?;
        Ok(Link {
            http,
            settings,
            secret,
            metrics: None,
            heartbeat: Duration::from_secs(30),
            backoff_base: Duration::from_secs(1),
            writer: Mutex::default(),
            pending: Mutex::default(),
            cards: Mutex::default(),
        })
    }

    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Link {
        self.metrics = Some(metrics);
        self
    }

    /// The ping interval and the first reconnect delay (30 s and 1 s in production; shorter
    /// in tests).
    pub fn with_timing(mut self, heartbeat: Duration, backoff_base: Duration) -> Link {
        self.heartbeat = heartbeat;
        self.backoff_base = backoff_base;
        self
    }

    pub fn bot_id(&self) -> &str {
        &self.settings.bot_id
    }

    /// The HTTP client for the files people send.
    pub fn http_client(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// Whether a connection is subscribed now.
    pub fn is_open(&self) -> bool {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|w| !w.is_closed())
    }

    /// A fresh request id, as the SDK makes them (`<cmd>_<ms>_<8 hex>`, `src/utils.ts:25-29`).
    pub fn fresh_req_id(cmd: &str) -> String {
        format!("{cmd}_{}_{:08x}", chrono::Utc::now().timestamp_millis(), rand::random::<u32>())
    }

    /// Sends `cmd` with `body` under `req_id` and waits for its answer's body.
    pub async fn request(&self, cmd: &str, req_id: &str, body: Value) -> Result<Value, LinkError> {
        let frame = json!({ "cmd": cmd, "headers": { "req_id": req_id }, "body": body }).to_string();
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let writer = writer.ok_or(LinkError::NotConnected)?;
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(req_id.to_owned(), tx);
        let started = std::time::Instant::now();
        let answer = if writer.send(frame).is_err() {
            Err(LinkError::NotConnected)
        } else {
            match tokio::time::timeout(ANSWER_WITHIN, rx).await {
                Err(_) => Err(LinkError::NoAnswer),
                // The connection ended with the request unanswered.
                Ok(Err(_)) => Err(LinkError::NotConnected),
                Ok(Ok(answer)) => match answer["errcode"].as_i64().unwrap_or(0) {
                    0 => Ok(answer["body"].clone()),
                    code => Err(LinkError::Refused {
                        code,
                        message: answer["errmsg"].as_str().unwrap_or_default().to_owned(),
                    }),
                },
            }
        };
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(req_id);
        if let Some(metrics) = &self.metrics {
            let answered = !matches!(answer, Err(LinkError::NotConnected | LinkError::NoAnswer));
            metrics.api_call(
                Platform::WeCom,
                started.elapsed(),
                answered,
                chrono::Utc::now().timestamp_millis(),
            );
            if answer.as_ref().err().and_then(LinkError::code) == Some(codes::TOO_FAST) {
                metrics.rate_limited(Platform::WeCom);
            }
        }
        answer
    }

    /// Remembers a card sent under `task_id`, for its presses.
    pub fn remember_card(&self, task_id: &str, card: SentCard) {
        let mut cards = self.cards.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *cards;
        if map.insert(task_id.to_owned(), card).is_none() {
            order.push_back(task_id.to_owned());
        }
        while order.len() > CARDS_KEPT {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    fn card(&self, task_id: &str) -> Option<SentCard> {
        self.cards.lock().unwrap_or_else(|p| p.into_inner()).0.get(task_id).cloned()
    }

    /// Keeps a connection open until shutdown (or until WeCom says the bot belongs to another
    /// connection, or refuses its credentials for good), storing callbacks in the inbox.
    pub async fn run(
        self: Arc<Self>,
        core: Core,
        inbox_notify: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let (mut failures, mut refusals) = (0u32, 0u32);
        loop {
            let halt = match self.connect_once(&core, &inbox_notify, &shutdown).await {
                Ended::Shutdown => return Ok(()),
                Ended::Displaced => {
                    tracing::error!("{}", texts::wecom::DISPLACED);
                    Some(texts::wecom::DISPLACED)
                }
                Ended::Credentials(why) => {
                    refusals += 1;
                    tracing::error!(%why, tries = refusals, "{}", texts::wecom::CREDENTIALS_REFUSED);
                    (refusals >= CREDENTIAL_TRIES).then_some(texts::wecom::CREDENTIALS_STOPPED)
                }
                Ended::Closed { subscribed } => {
                    if subscribed {
                        failures = 0;
                        refusals = 0;
                    }
                    None
                }
            };
            if let Some(reason) = halt {
                core.metrics.halt(Platform::WeCom, reason.to_owned(), chrono::Utc::now().timestamp_millis());
                // Stopped for the operator: no reconnect storm, and the bot stops with the rest.
                shutdown.cancelled().await;
                return Ok(());
            }
            failures += 1;
            let delay =
                self.backoff_base.saturating_mul(1 << (failures - 1).min(5)).min(self.backoff_base * 30);
            tracing::info!(retry_in_ms = delay.as_millis() as u64, "opening WeCom's long connection again");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.cancelled() => return Ok(()),
            }
        }
    }

    async fn connect_once(&self, core: &Core, inbox_notify: &Notify, shutdown: &CancellationToken) -> Ended {
        let socket = tokio::select! {
            socket = self.open() => socket,
            () = shutdown.cancelled() => return Ended::Shutdown,
        };
        let socket = match socket {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "could not open WeCom's long connection");
                return Ended::Closed { subscribed: false };
            }
        };
        let (mut write, mut read) = socket.split();
        let subscribe_id = Link::fresh_req_id("aibot_subscribe");
        let subscribe = json!({
            "cmd": "aibot_subscribe",
            "headers": { "req_id": subscribe_id },
            "body": { "bot_id": self.settings.bot_id, "secret": self.secret },
        });
        if write.send(Message::Text(subscribe.to_string().into())).await.is_err() {
            return Ended::Closed { subscribed: false };
        }
        let (tx, mut outgoing) = mpsc::unbounded_channel::<String>();
        let mut tx = Some(tx);
        let mut subscribed = false;
        let subscribe_by = tokio::time::Instant::now() + SUBSCRIBE_WITHIN;
        let mut heartbeat = tokio::time::interval(self.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        let mut missed = 0u32;
        let ended = loop {
            let text = tokio::select! {
                frame = read.next() => match frame {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_))) | None => break Ended::Closed { subscribed },
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "WeCom's long connection failed");
                        break Ended::Closed { subscribed };
                    }
                },
                Some(frame) = outgoing.recv(), if subscribed => {
                    if write.send(Message::Text(frame.into())).await.is_err() {
                        break Ended::Closed { subscribed };
                    }
                    continue;
                }
                () = tokio::time::sleep_until(subscribe_by), if !subscribed => {
                    tracing::warn!("WeCom did not answer the subscribe");
                    break Ended::Closed { subscribed };
                }
                _ = heartbeat.tick(), if subscribed => {
                    if missed >= MISSED_PINGS {
                        tracing::warn!("WeCom left two pings unanswered; opening a new connection");
                        break Ended::Closed { subscribed };
                    }
                    missed += 1;
                    let ping = json!({ "cmd": "ping", "headers": { "req_id": Link::fresh_req_id("ping") } });
                    if write.send(Message::Text(ping.to_string().into())).await.is_err() {
                        break Ended::Closed { subscribed };
                    }
                    continue;
                }
                () = shutdown.cancelled() => break Ended::Shutdown,
            };
            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                tracing::warn!("a WeCom frame that does not read was ignored");
                continue;
            };
            let req_id = frame["headers"]["req_id"].as_str().unwrap_or_default().to_owned();
            match frame["cmd"].as_str() {
                Some("aibot_msg_callback" | "aibot_event_callback") => {
                    self.heard(core);
                    let event = frame["body"]["event"]["eventtype"].as_str().unwrap_or_default();
                    match event {
                        "disconnected_event" => break Ended::Displaced,
                        // Nothing for the bot to do: someone opened the chat, or rated a reply.
                        "enter_chat" | "feedback_event" => continue,
                        _ => {}
                    }
                    if !store(core, &frame, &req_id, &text, shutdown).await {
                        break Ended::Shutdown;
                    }
                    inbox_notify.notify_one();
                    // A file's link lives five minutes: fetched now, not when its turn comes.
                    if let Some(msgid) = frame["body"]["msgid"].as_str() {
                        let fetch = super::media::keep_on_receipt(
                            core.clone(),
                            self.http.clone(),
                            msgid.to_owned(),
                            frame["body"].clone(),
                        );
                        tokio::spawn(fetch);
                    }
                    if event == "template_card_event" {
                        self.answer_press(&frame, &req_id);
                    }
                }
                Some(other) => tracing::debug!(cmd = other, "a WeCom frame the bot does not use"),
                None if req_id == subscribe_id => {
                    let code = frame["errcode"].as_i64().unwrap_or(0);
                    if code == codes::BAD_CREDENTIALS {
                        let message = frame["errmsg"].as_str().unwrap_or_default().to_owned();
                        break Ended::Credentials(format!("{code}: {message}"));
                    }
                    if code != 0 {
                        tracing::warn!(
                            code,
                            errmsg = frame["errmsg"].as_str(),
                            "WeCom refused the subscribe"
                        );
                        break Ended::Closed { subscribed };
                    }
                    subscribed = true;
                    self.heard(core);
                    tracing::info!("WeCom's long connection subscribed");
                    *self.writer.lock().unwrap_or_else(|p| p.into_inner()) = tx.take();
                }
                None if req_id.starts_with("ping") => {
                    self.heard(core);
                    if frame["errcode"].as_i64().unwrap_or(0) == 0 {
                        missed = 0;
                    }
                }
                None => {
                    self.heard(core);
                    let waiting = self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&req_id);
                    if let Some(waiting) = waiting {
                        let _ = waiting.send(frame);
                    }
                }
            }
        };
        // Requests still waiting learn the connection is gone; new ones wait for the next.
        *self.writer.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let _ = write.send(Message::Close(None)).await;
        ended
    }

    fn heard(&self, core: &Core) {
        core.metrics.heard(Platform::WeCom, chrono::Utc::now().timestamp_millis());
    }

    /// Opens the WebSocket: `ws://` as it is, `wss://` with the usual roots plus the private
    /// deployment's CA when one is configured.
    async fn open(
        &self,
    ) -> anyhow::Result<
        tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    > {
        let connector = match &self.settings.ca_file {
            Some(path) if self.settings.ws_url.scheme() == "wss" => {
                Some(tokio_tungstenite::Connector::Rustls(Arc::new(tls_with_ca(path)?)))
            }
            _ => None,
        };
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            self.settings.ws_url.as_str(),
            None,
            false,
            connector,
        );
        let (socket, _) = tokio::time::timeout(Duration::from_secs(15), connect)
            .await
            .map_err(|_| anyhow::anyhow!("the WebSocket handshake timed out"))??;
        Ok(socket)
    }

    /// A press is answered within WeCom's 5 s by updating its card to show the choice (the
    /// conversation's answer follows as a message of its own).
    fn answer_press(&self, frame: &Value, req_id: &str) {
        let event = &frame["body"]["event"];
        let press = &event["template_card_event"];
        let key = press["event_key"].as_str().or(event["event_key"].as_str()).unwrap_or_default().to_owned();
        let task_id = press["task_id"].as_str().or(event["task_id"].as_str()).unwrap_or_default().to_owned();
        let user = frame["body"]["from"]["userid"].as_str().unwrap_or_default().to_owned();
        let (card, answered) = super::markup::pressed(&task_id, self.card(&task_id).as_ref(), &key);
        // Pressed again, the answered card shows the same choice.
        self.remember_card(&task_id, answered);
        let body =
            json!({ "response_type": "update_template_card", "userids": [user], "template_card": card });
        let (writer, req_id) =
            (self.writer.lock().unwrap_or_else(|p| p.into_inner()).clone(), req_id.to_owned());
        // Written without waiting for the answer: the read loop that would carry it is this one.
        if let Some(writer) = writer {
            let frame =
                json!({ "cmd": "aibot_respond_update_msg", "headers": { "req_id": req_id }, "body": body });
            let _ = writer.send(frame.to_string());
        }
    }
}

/// The HTTP client for the files people send: trusting the private deployment's CA too,
/// where its files are served.
fn http_client(ca_file: Option<&std::path::Path>) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder.build()?)
}

/// The TLS settings for a private deployment: the usual roots and its own CA.
fn tls_with_ca(path: &std::path::Path) -> anyhow::Result<rustls::ClientConfig> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut added = 0;
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))? {
        let cert = cert.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        roots.add(cert)?;
        added += 1;
    }
    if added == 0 {
        anyhow::bail!("{}: no certificate in it", path.display());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Writes a callback to the inbox (keyed by its `msgid`), retrying while the database is busy.
/// False if shutdown came first: the callback is then lost with the connection, as WeCom keeps
/// no copy; the retries make that a shutdown during a database outage only.
async fn store(core: &Core, frame: &Value, req_id: &str, text: &str, shutdown: &CancellationToken) -> bool {
    let msgid = frame["body"]["msgid"].as_str().filter(|m| !m.is_empty());
    let key = msgid.map_or_else(|| format!("req:{req_id}"), str::to_owned);
    let row = [(key, text.to_owned())];
    let mut attempt = 0u32;
    loop {
        match core.store.inbox_put(Platform::WeCom, &row, core.now()).await {
            Ok(_) => return true,
            Err(e) => {
                attempt += 1;
                tracing::error!(error = %e, attempt, "could not store a WeCom message; trying again");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempt.min(6)))) => {}
                    () = shutdown.cancelled() => return false,
                }
            }
        }
    }
}

/// `sansong check`: subscribes once with the credentials and closes again.
pub async fn check(settings: WeComConfig, secret: &str) -> Result<(), String> {
    let link = Link::new(settings, secret.to_owned()).map_err(|e| e.to_string())?;
    let mut socket =
        link.open().await.map_err(|e| texts::wecom::cannot_connect(link.settings.ws_url.as_str(), &e))?;
    let req_id = Link::fresh_req_id("aibot_subscribe");
    let subscribe = json!({
        "cmd": "aibot_subscribe",
        "headers": { "req_id": req_id },
        "body": { "bot_id": link.settings.bot_id, "secret": link.secret },
    });
    socket.send(Message::Text(subscribe.to_string().into())).await.map_err(|e| e.to_string())?;
    let answer = tokio::time::timeout(SUBSCRIBE_WITHIN, async {
        while let Some(frame) = socket.next().await {
            if let Ok(Message::Text(t)) = frame
                && let Ok(v) = serde_json::from_str::<Value>(&t)
                && v["headers"]["req_id"].as_str() == Some(req_id.as_str())
            {
                return Some(v);
            }
        }
        None
    })
    .await;
    let _ = socket.close(None).await;
    match answer {
        Ok(Some(v)) => match v["errcode"].as_i64().unwrap_or(0) {
            0 => Ok(()),
            codes::BAD_CREDENTIALS => Err(texts::wecom::BAD_CREDENTIALS.to_owned()),
            code => Err(texts::wecom::refused(code, v["errmsg"].as_str().unwrap_or_default())),
        },
        Ok(None) => Err(texts::wecom::CLOSED_BEFORE_ANSWER.to_owned()),
        Err(_) => Err(texts::wecom::NO_SUBSCRIBE_ANSWER.to_owned()),
    }
}
