//! `BothApp::spawn()`: one bot on Telegram and DingTalk at once, as `sansong run` starts it
//! with both configured, each platform against its fake, on one real SQLite file: for what
//! crosses platforms (a notice composed on one reaching members on the other).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sansong::Core;
use sansong::clock::ShiftedClock;
use sansong::config::Config;
use sansong::domain::{Account, Person, Platform, Role};
use sansong::members::{self, Actor, InviteRequest, Registration};
use sansong::store::Store;
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::app::telegram_config;
use super::fake_api::{FakeApi, TOKEN, TgUser};
use super::fake_dingtalk::{CLIENT_SECRET, DtUser, FakeDingTalk};
use super::shared::{self, default_now};

pub struct BothApp {
    pub telegram: FakeApi,
    pub dingtalk: FakeDingTalk,
    pub dir: TempDir,
    pub core: Core,
    running: (CancellationToken, JoinHandle<()>),
}

impl BothApp {
    pub async fn spawn() -> BothApp {
        let telegram = FakeApi::start().await;
        let dingtalk = FakeDingTalk::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        let config =
            Config { dingtalk: Some(super::dingtalk_app::settings(&dingtalk)), ..telegram_config(&db_url) };
        let clock = ShiftedClock::starting_at(default_now());
        telegram.set_now(default_now());
        dingtalk.set_now(default_now());
        shared::core_with_org(config.clone(), &clock).await;
        let store = Store::open(&db_url).await.unwrap();
        let core = Core::new(store, config.clone(), Arc::new(clock), sansong::platform_limits());
        let shutdown = CancellationToken::new();
        let wake = Arc::new(Notify::new());
        let bot = sansong::telegram::make_bot(TOKEN, Some(&telegram.url), config.poll_timeout).unwrap();
        let on_telegram = sansong::telegram::start(core.clone(), bot, wake.clone(), shutdown.clone());
        let api = sansong::dingtalk::api::Api::new(config.dingtalk.clone().unwrap(), CLIENT_SECRET.into());
        let on_dingtalk =
            sansong::dingtalk::start(core.clone(), Arc::new(api.unwrap()), wake.clone(), shutdown.clone());
        let handle = tokio::spawn(sansong::jobs::serve(
            core.clone(),
            vec![on_telegram, on_dingtalk],
            wake,
            shutdown.clone(),
        ));
        telegram.wait_for("the bot to poll", |v| (!v.calls("getUpdates").is_empty()).then_some(())).await;
        dingtalk.wait_connections(1).await;
        BothApp { telegram, dingtalk, dir, core, running: (shutdown, handle) }
    }

    /// Registers a person on `platform` (their id there: Telegram's user id or a DingTalk
    /// staff id) directly, for tests about something else.
    async fn register(&self, platform: Platform, person_id: i64, name: &str, unit: &str, role: Role) {
        let request =
            InviteRequest { unit: Some(unit.into()), role: Some(role), uses: Some(1), expires_in: None };
        let code = members::create_invite(&self.core, &Actor::Cli, &request, None).await.unwrap().code;
        let person = Person { account: Account { platform, person_id }, name: name.into(), username: None };
        match members::register(&self.core, &person, &code).await.unwrap() {
            Registration::New(_) => {}
            other => panic!("registration failed: {other:?}"),
        }
    }

    pub async fn register_telegram(&self, user: &TgUser, unit: &str, role: Role) {
        self.register(Platform::Telegram, user.id, &user.first_name, unit, role).await;
    }

    pub async fn register_dingtalk(&self, user: &DtUser, unit: &str, role: Role) {
        let person = self.core.store.handle(Platform::DingTalk, &user.staff_id).await.unwrap();
        self.register(Platform::DingTalk, person, &user.nick, unit, role).await;
    }

    pub async fn stop(self) {
        self.running.0.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.running.1).await;
    }
}
