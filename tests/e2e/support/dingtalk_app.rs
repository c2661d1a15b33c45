//! `DingTalkApp::spawn()`: the bot on DingTalk alone, in this process, against the fake
//! DingTalk, on a real SQLite file in a temp dir with the example organisation loaded.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sansong::Core;
use sansong::clock::ShiftedClock;
use sansong::config::{Config, DingTalkConfig};
use sansong::domain::{Platform, Role};
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::app::{Serving, open_core};
use super::fake_dingtalk::{CLIENT_ID, CLIENT_SECRET, DtUser, FakeDingTalk, Sent};
use super::shared::{self, default_now};

pub struct DingTalkApp {
    pub fake: FakeDingTalk,
    pub dir: TempDir,
    pub db_url: String,
    pub clock: ShiftedClock,
    pub core: Core,
    config: Config,
    running: Option<Serving>,
}

/// The bot's DingTalk settings against `fake`: every call to it, 50 calls a second.
pub fn settings(fake: &FakeDingTalk) -> DingTalkConfig {
    let url = url::Url::parse(&fake.url).unwrap();
    DingTalkConfig {
        client_id: CLIENT_ID.into(),
        robot_code: CLIENT_ID.into(),
        api_url: url.clone(),
        oapi_url: url,
        rate: 50.0,
    }
}

/// The bot's DingTalk side, as `sansong run` starts it, against the fake's secret.
pub fn start_dingtalk(
    core: &Core,
    settings: DingTalkConfig,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> sansong::jobs::Started {
    let api = sansong::dingtalk::api::Api::new(settings, CLIENT_SECRET.into()).unwrap();
    sansong::dingtalk::start(core.clone(), Arc::new(api), wake, shutdown)
}

impl DingTalkApp {
    pub async fn spawn() -> DingTalkApp {
        DingTalkApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> DingTalkApp {
        let fake = FakeDingTalk::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        let mut config = Config {
            scheduler_tick: Duration::from_millis(50),
            delivery_retry: Duration::from_millis(50),
            dingtalk: Some(settings(&fake)),
            ..shared::test_config(&db_url)
        };
        adjust(&mut config);
        let clock = ShiftedClock::starting_at(default_now());
        fake.set_now(default_now());
        let core = shared::core_with_org(config.clone(), &clock).await;
        let mut app = DingTalkApp { fake, dir, db_url, clock, core, config, running: None };
        app.start().await;
        app
    }

    /// Starts the bot (again) on the same database and fake.
    pub async fn start(&mut self) {
        assert!(self.running.is_none(), "already running");
        let core = open_core(&self.db_url, &self.config, &self.clock).await;
        let settings = self.config.dingtalk.clone().unwrap();
        self.running = Some(Serving::start(&core, |wake, shutdown| {
            vec![start_dingtalk(&core, settings, wake.clone(), shutdown.clone())]
        }));
        let before = self.fake.connections();
        self.fake.wait_connections(before + 1).await;
    }

    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    /// `user` says `text`; the first message the bot sends them after it.
    pub async fn say(&self, user: &DtUser, text: &str) -> Sent {
        let mark = self.fake.mark();
        self.fake.say(user, text);
        self.fake.next_to(user, mark).await
    }

    /// An invite to `unit` in `role`, made by the core.
    pub async fn invite(&self, unit: &str, role: Role) -> String {
        super::app::invite_code(&self.core, unit, role, 50).await
    }

    /// `user` joins with `加入 <code>`, as the README tells them.
    pub async fn register(&self, user: &DtUser, unit: &str, role: Role) -> Sent {
        let code = self.invite(unit, role).await;
        let welcome = self.say(user, &format!("加入 {code}")).await;
        assert!(welcome.text.contains("欢迎您"), "{welcome:#?}");
        welcome
    }

    /// Waits until every DingTalk message in the inbox is handled.
    pub async fn settle(&self) {
        super::app::settle_inbox(&self.core, Platform::DingTalk).await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        shared::scalar(&self.core, sql).await
    }

    /// Counted check-ins of a DingTalk user: (kind, description).
    pub async fn checkins_of(&self, user: &DtUser) -> Vec<(String, String)> {
        super::app::checkins_of_account(&self.core, Platform::DingTalk, &user.staff_id).await
    }
}
