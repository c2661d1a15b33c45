//! Telegram wiring with teloxide: the durable inbox, the dispatcher, sending replies, the
//! command menu. Everything the bot *says* comes from [`crate::chat`]; this module only moves
//! updates in and replies out.

pub mod api;
pub mod convert;
pub mod format;
pub mod inbox;
pub mod send;
pub mod webhook;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use teloxide::dispatching::{Dispatcher, UpdateHandler};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::Update;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::chat::{self, ChatContext};
use crate::core::Core;
use crate::domain::{Platform, Role};
use crate::handling::Handler;
use crate::jobs;
use crate::store::UpdateKey;
use crate::texts;

use self::api::BotApi;
use self::inbox::InboxListener;
use self::send::Sender;

/// Telegram's limits (the Bot API's `sendMessage`, `sendPhoto` and `InlineKeyboardButton`
/// pages): 4,096 characters of text and 1,024 of caption, counted in UTF-16 code units, and
/// 64 bytes of `callback_data`; photos of 10 MB and files of 50 MB uploaded by the bot
/// ("Sending files": `sendPhoto`, `sendDocument`).
pub const LIMITS: crate::limits::Limits = crate::limits::Limits {
    platform: Platform::Telegram,
    measure: crate::limits::Measure::Utf16,
    text: Some(4096),
    caption: Some(1024),
    button_data: Some(64),
    photo_bytes: Some(10 * 1024 * 1024),
    file_bytes: Some(50 * 1024 * 1024),
};

/// A `Bot` for `token`, talking to `api_url` (Telegram's own by default). The HTTP timeout is
/// longer than the long-polling timeout so an idle poll is not mistaken for a failure.
pub fn make_bot(token: &str, api_url: Option<&str>, poll_timeout: Duration) -> anyhow::Result<Bot> {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(poll_timeout + Duration::from_secs(15))
        .build()
        .context("building the HTTP client")?;
    let bot = Bot::with_client(token, client);
    Ok(match api_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => bot.set_api_url(
            url::Url::parse(url).with_context(|| format!("TELOXIDE_API_URL {url:?} is not a URL"))?,
        ),
        None => bot,
    })
}

/// What every handler needs, shared by the dispatcher's workers.
struct Runtime {
    core: Core,
    sender: Sender,
    context: ChatContext,
    /// A message waiting for its turn (flood control) stops waiting on shutdown; it stays in
    /// the inbox and is handled after the restart.
    shutdown: CancellationToken,
}

impl Runtime {
    /// Handles one update from the inbox and marks it done (see [`crate::handling`]).
    async fn handle(&self, update: Update) {
        let key = update.id.0.to_string();
        let handler = Handler {
            core: &self.core,
            context: &self.context,
            platform: Platform::Telegram,
            shutdown: &self.shutdown,
            flood_control: true,
        };
        match convert::incoming(&update, self.core.now()) {
            Some(incoming) => {
                let chat_id = incoming.chat.id;
                handler
                    .handle(
                        &key,
                        &incoming,
                        |replies| async move { self.sender.deliver(chat_id, &replies).await },
                    )
                    .await;
            }
            None => {
                let row = UpdateKey { platform: Platform::Telegram, key: &key };
                crate::handling::finish(&self.core, &row, "ignored", None).await;
            }
        }
    }
}

/// Sends the kept replies (see [`chat::kept`]) when the platform takes them again.
pub async fn resend_kept(core: Core, sender: Sender, shutdown: CancellationToken) -> anyhow::Result<()> {
    chat::kept::resend(core, Platform::Telegram, shutdown, |chat_id, reply| {
        let sender = sender.clone();
        async move {
            match sender.deliver_one(chat_id, &reply).await {
                send::Delivered::Later => chat::kept::Resent::Later,
                send::Delivered::Blocked | send::Delivered::Refused => chat::kept::Resent::Dropped,
                send::Delivered::Yes => chat::kept::Resent::Sent,
            }
        }
    })
    .await
}

/// The bot's username as Telegram knows it (with a token at hand, for a command-line tool
/// that has not seen the bot run yet), or `None` when Telegram does not answer in 10 s.
pub async fn fetch_username(token: &str, api_url: Option<&str>, poll_timeout: Duration) -> Option<String> {
    let bot = make_bot(token, api_url, poll_timeout).ok()?;
    let api = BotApi::new(&bot, Arc::new(crate::metrics::Metrics::new(0)));
    match api.call_within("getMe", &serde_json::json!({}), Duration::from_secs(10)).await {
        api::Answer::Done(me) => me["username"].as_str().map(str::to_owned),
        _ => None,
    }
}

/// For `sansong check`: the token works (`getMe` answers), as the bot's `@username`, or why
/// not. The URL holds the token, so errors are reported without it.
pub async fn check_token(token: &str, api_url: Option<&str>) -> Result<String, String> {
    let base = api_url.unwrap_or("https://api.telegram.org").trim_end_matches('/');
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
    // The URL holds the token: errors are reported without it.
    let response = client
        .post(format!("{base}/bot{token}/getMe"))
        .send()
        .await
        .map_err(|e| texts::cli::unreachable_api(base, &e.without_url().to_string()))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    match status.as_u16() {
        200 if body["ok"] == true => Ok(format!("@{}", body["result"]["username"].as_str().unwrap_or("?"))),
        401 | 404 => Err(texts::cli::TOKEN_REFUSED.into()),
        s => Err(texts::cli::api_answered(base, s, body["description"].as_str().unwrap_or(""))),
    }
}

/// Telegram as `sansong run` starts it: its sides for the jobs at once, and its handling,
/// which first identifies the bot (until the Bot API answers: another platform is not held up
/// meanwhile), then dispatches updates from the inbox until shutdown and lets handlers in
/// progress finish.
pub fn start(
    core: Core,
    bot: Bot,
    scheduler_wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> jobs::Started {
    let notify = Arc::new(Notify::new());
    // The one sending side: replies, kept replies and broadcasts all go through it.
    let api = BotApi::new(&bot, core.metrics.clone());
    let sides = jobs::PlatformSides {
        updates: Arc::new(TelegramUpdates { bot: bot.clone(), api: api.clone() }),
        inbox_notify: notify.clone(),
        messenger: Arc::new(api::TelegramMessenger::new(api.clone(), core.config.broadcast_paid)),
        settings: crate::notices::sender::SenderSettings::from_config(&core.config),
        files: Some(Arc::new(api::TelegramFiles { api: api.clone() })),
        workbench: None,
    };
    let handling = Box::pin(async move {
        let Some(username) = identify(&api, &shutdown).await else { return };
        if let Some(u) = &username
            && let Err(e) = crate::members::remember_bot_username(&core, u).await
        {
            tracing::warn!(error = %e, "could not keep the bot's username");
        }
        tracing::info!(username = username.as_deref().unwrap_or("?"), "connected to the Bot API");
        let runtime = Arc::new(Runtime {
            core: core.clone(),
            sender: Sender::new(api.clone()),
            context: ChatContext::new(username, scheduler_wake)
                .with_files(Arc::new(api::TelegramFiles { api }))
                .with_message_parts(|text| format::split_message(text, format::MESSAGE_LIMIT).len()),
            shutdown: shutdown.clone(),
        });
        {
            let (sender, core) = (runtime.sender.clone(), core.clone());
            tokio::spawn(async move { register_menus(&sender, &core).await });
        }
        dispatch(bot, runtime, core, notify, &shutdown).await;
    });
    jobs::Started { sides, handling }
}

/// Runs the bot on Telegram alone until `shutdown` (the tests' way in; `sansong run` starts
/// every configured platform).
pub async fn run(core: Core, bot: Bot, shutdown: CancellationToken) -> anyhow::Result<()> {
    // Before anything counts: every check-in carries its week (after an upgrade or a new zone).
    crate::checkins::ensure_weeks(&core).await?;
    let scheduler_wake = Arc::new(Notify::new());
    let started = start(core.clone(), bot, scheduler_wake.clone(), shutdown.clone());
    jobs::serve(core, vec![started], scheduler_wake, shutdown).await;
    tracing::info!("stopped");
    Ok(())
}

/// Telegram's receiving side: long polling, or the webhook when `webhook_url` is set.
struct TelegramUpdates {
    bot: Bot,
    api: BotApi,
}

impl jobs::Updates for TelegramUpdates {
    fn redeliver(
        &self,
        core: Core,
        shutdown: CancellationToken,
    ) -> futures::future::BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(resend_kept(core, Sender::new(self.api.clone()), shutdown))
    }

    fn receive(
        &self,
        core: Core,
        inbox_notify: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> futures::future::BoxFuture<'static, anyhow::Result<()>> {
        let bot = self.bot.clone();
        match (core.config.webhook_url.clone(), core.config.webhook_listen) {
            (Some(url), listen) => Box::pin(webhook::serve(bot, core, url, listen, inbox_notify, shutdown)),
            (None, _) => Box::pin(inbox::poll(bot, core, inbox_notify, shutdown)),
        }
    }
}

/// Asks who we are until Telegram answers (or shutdown): the bot's username, if it has one.
async fn identify(api: &BotApi, shutdown: &CancellationToken) -> Option<Option<String>> {
    let mut failures = 0u32;
    let no_parameters = serde_json::json!({});
    loop {
        let answer = tokio::select! {
            a = api.call("getMe", &no_parameters) => a,
            () = shutdown.cancelled() => return None,
        };
        if let api::Answer::Done(me) = &answer {
            return Some(me["username"].as_str().map(str::to_owned));
        }
        failures += 1;
        tracing::warn!(error = %answer, "getMe failed; is TELOXIDE_TOKEN right and the Bot API reachable?");
        let wait = match answer {
            api::Answer::RetryAfter(wait) => wait,
            _ => Duration::from_millis(500 * 2u64.pow(failures.min(6))),
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => return None,
        }
    }
}

/// The command menus: members' by default, and the fuller one in each organiser's and admin's
/// own chat. Best effort: the bot works without them.
async fn register_menus(sender: &Sender, core: &Core) {
    let answer = sender.set_menu(None, &chat::menu_entries(Role::Member, core.kinds())).await;
    if !matches!(answer, api::Answer::Done(_)) {
        tracing::warn!(error = %answer, "could not register the command menu");
    }
    let privileged = match crate::members::privileged(core).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "could not list organisers and admins for their menus");
            return;
        }
    };
    for m in privileged.iter().filter(|m| m.account.platform == Platform::Telegram) {
        let chat = m.account.person_id;
        let answer = sender.set_menu(Some(chat), &chat::menu_entries(m.role, core.kinds())).await;
        if !matches!(answer, api::Answer::Done(_)) {
            tracing::debug!(member = m.id, error = %answer, "could not set a member's command menu");
        }
    }
}

fn handler() -> UpdateHandler<Infallible> {
    dptree::endpoint(|update: Update, runtime: Arc<Runtime>| async move {
        runtime.handle(update).await;
        Ok(())
    })
}

async fn dispatch(
    bot: Bot,
    runtime: Arc<Runtime>,
    core: Core,
    notify: Arc<Notify>,
    shutdown: &CancellationToken,
) {
    loop {
        let mut dispatcher = Dispatcher::builder(bot.clone(), handler())
            .dependencies(dptree::deps![runtime.clone()])
            .default_handler(|_| async {})
            // A flooding person's messages queue in their own chat's worker while they wait
            // their turn; the queue must hold them all, or other chats would wait behind it.
            .worker_queue_size(core.config.flood_cap as usize + 64)
            .build();
        let token = dispatcher.shutdown_token();
        let listener = InboxListener::new(core.clone(), notify.clone());
        let running = dispatcher
            .try_dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("inbox listener"));
        tokio::pin!(running);
        tokio::select! {
            result = &mut running => match result {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "the dispatcher could not start; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        () = shutdown.cancelled() => return,
                    }
                }
            },
            () = shutdown.cancelled() => {
                // Err means not dispatching yet (still starting up): nothing is in flight.
                if let Ok(done) = token.shutdown() {
                    tracing::info!("shutting down: finishing the updates in hand");
                    let _ = tokio::join!(done, running);
                }
                return;
            }
        }
    }
}
