//! `WeComApp::spawn()`: the bot on WeCom alone, in this process, against the fake WeCom, on a
//! real SQLite file in a temp dir with the example organisation loaded; and `EveryApp`: one bot
//! on Telegram, DingTalk and WeCom at once, for a member bound on all three.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sansong::Core;
use sansong::clock::ShiftedClock;
use sansong::config::{Config, WeComConfig};
use sansong::domain::{Member, Platform, Role};
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::app::{Serving, open_core, register_directly, start_telegram, telegram_config};
use super::dingtalk_app::start_dingtalk;
use super::fake_api::FakeApi;
use super::fake_dingtalk::FakeDingTalk;
use super::fake_wecom::{BOT_ID, FakeWeCom, SECRET, Sent, WcUser};
use super::shared::{self, default_now};

/// The heartbeat and the reconnect backoff's base in tests (30 s and 1 s in production).
pub const HEARTBEAT: Duration = Duration::from_millis(200);
pub const BACKOFF: Duration = Duration::from_millis(50);

pub struct WeComApp {
    pub fake: FakeWeCom,
    pub dir: TempDir,
    pub db_url: String,
    pub clock: ShiftedClock,
    pub core: Core,
    config: Config,
    secret: String,
    running: Option<Serving>,
}

/// The bot's WeCom settings against `fake`: 50 messages a second.
pub fn settings(fake: &FakeWeCom) -> WeComConfig {
    WeComConfig {
        bot_id: BOT_ID.into(),
        ws_url: url::Url::parse(&fake.url).unwrap(),
        ca_file: None,
        rate: 50.0,
    }
}

/// The bot's WeCom side, as `sansong run` starts it, with the tests' timing.
pub fn start_wecom(
    core: &Core,
    settings: WeComConfig,
    secret: &str,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> sansong::jobs::Started {
    let link = sansong::wecom::link::Link::new(settings, secret.to_owned())
        .unwrap()
        .with_metrics(core.metrics.clone())
        .with_timing(HEARTBEAT, BACKOFF);
    sansong::wecom::start(core.clone(), Arc::new(link), wake, shutdown)
}

impl WeComApp {
    pub async fn spawn() -> WeComApp {
        WeComApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> WeComApp {
        WeComApp::spawn_with_secret(SECRET, adjust).await
    }

    /// The bot with this secret (a wrong one: WeCom refuses its subscribes).
    pub async fn spawn_with_secret(secret: &str, adjust: impl FnOnce(&mut Config)) -> WeComApp {
        let fake = FakeWeCom::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        let mut config = Config {
            scheduler_tick: Duration::from_millis(50),
            delivery_retry: Duration::from_millis(50),
            dingtalk: None,
            wecom: Some(settings(&fake)),
            ..shared::test_config(&db_url)
        };
        adjust(&mut config);
        let clock = ShiftedClock::starting_at(default_now());
        fake.set_now(default_now());
        let core = shared::core_with_org(config.clone(), &clock).await;
        let mut app =
            WeComApp { fake, dir, db_url, clock, core, config, secret: secret.to_owned(), running: None };
        app.start().await;
        app
    }

    /// Starts the bot (again) on the same database and fake; waits until it owns the bot (with
    /// a wrong secret: until it has tried to subscribe).
    pub async fn start(&mut self) {
        assert!(self.running.is_none(), "already running");
        let core = open_core(&self.db_url, &self.config, &self.clock).await;
        let settings = self.config.wecom.clone().unwrap();
        self.running = Some(Serving::start(&core, |wake, shutdown| {
            vec![start_wecom(&core, settings, &self.secret, wake.clone(), shutdown.clone())]
        }));
        if self.secret == SECRET {
            let before = self.fake.connections();
            self.fake.wait_connections(before + 1).await;
        } else {
            let before = self.fake.subscribes();
            self.fake.wait_subscribes(before + 1).await;
        }
    }

    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    /// `user` says `text`; the first message the bot sends them after it.
    pub async fn say(&self, user: &WcUser, text: &str) -> Sent {
        let mark = self.fake.mark();
        self.fake.say(user, text);
        self.fake.next_to(user, mark).await
    }

    /// An invite to `unit` in `role`, made by the core.
    pub async fn invite(&self, unit: &str, role: Role) -> String {
        super::app::invite_code(&self.core, unit, role, 50).await
    }

    /// `user` joins with `加入 <code>`, as the README tells them.
    pub async fn register(&self, user: &WcUser, unit: &str, role: Role) -> Sent {
        let code = self.invite(unit, role).await;
        let welcome = self.say(user, &format!("加入 {code}")).await;
        assert!(welcome.text.contains("欢迎您"), "{welcome:#?}");
        welcome
    }

    /// Waits until every WeCom message in the inbox is handled.
    pub async fn settle(&self) {
        super::app::settle_inbox(&self.core, Platform::WeCom).await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        shared::scalar(&self.core, sql).await
    }

    /// Counted check-ins of a WeCom user: (kind, description).
    pub async fn checkins_of(&self, user: &WcUser) -> Vec<(String, String)> {
        super::app::checkins_of_account(&self.core, Platform::WeCom, &user.userid).await
    }
}

/// One bot on Telegram, DingTalk and WeCom at once, as `sansong run` starts it with all three
/// configured, each against its fake, on one SQLite file.
pub struct EveryApp {
    pub telegram: FakeApi,
    pub dingtalk: FakeDingTalk,
    pub wecom: FakeWeCom,
    pub dir: TempDir,
    pub core: Core,
    running: Serving,
}

impl EveryApp {
    pub async fn spawn() -> EveryApp {
        let telegram = FakeApi::start().await;
        let dingtalk = FakeDingTalk::start().await;
        let wecom = FakeWeCom::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        let config = Config {
            dingtalk: Some(super::dingtalk_app::settings(&dingtalk)),
            wecom: Some(settings(&wecom)),
            ..telegram_config(&db_url)
        };
        let clock = ShiftedClock::starting_at(default_now());
        telegram.set_now(default_now());
        dingtalk.set_now(default_now());
        wecom.set_now(default_now());
        shared::core_with_org(config.clone(), &clock).await;
        let core = open_core(&db_url, &config, &clock).await;
        let running = Serving::start(&core, |wake, shutdown| {
            vec![
                start_telegram(&core, &telegram.url, wake.clone(), shutdown.clone()),
                start_dingtalk(&core, config.dingtalk.clone().unwrap(), wake.clone(), shutdown.clone()),
                start_wecom(&core, config.wecom.clone().unwrap(), SECRET, wake.clone(), shutdown.clone()),
            ]
        });
        telegram.wait_for("the bot to poll", |v| (!v.calls("getUpdates").is_empty()).then_some(())).await;
        dingtalk.wait_connections(1).await;
        wecom.wait_connections(1).await;
        EveryApp { telegram, dingtalk, wecom, dir, core, running }
    }

    /// Registers a Telegram account (its user id) directly, for tests about something else.
    pub async fn register_telegram(&self, telegram_id: i64, name: &str, unit: &str, role: Role) -> Member {
        register_directly(&self.core, Platform::Telegram, telegram_id, name, unit, role).await
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}
