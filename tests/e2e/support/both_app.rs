//! `BothApp::spawn()`: one bot on Telegram and DingTalk at once, as `sansong run` starts it
//! with both configured, each platform against its fake, on one real SQLite file: for what
//! crosses platforms (a notice composed on one reaching members on the other).

#![allow(dead_code)]

use sansong::Core;
use sansong::clock::ShiftedClock;
use sansong::config::Config;
use sansong::domain::{Platform, Role};
use tempfile::TempDir;

use super::app::{Serving, open_core, register_directly, start_telegram, telegram_config};
use super::dingtalk_app::start_dingtalk;
use super::fake_api::{FakeApi, TgUser};
use super::fake_dingtalk::{DtUser, FakeDingTalk};
use super::shared::{self, default_now};

pub struct BothApp {
    pub telegram: FakeApi,
    pub dingtalk: FakeDingTalk,
    pub dir: TempDir,
    pub core: Core,
    running: Serving,
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
        let core = open_core(&db_url, &config, &clock).await;
        let running = Serving::start(&core, |wake, shutdown| {
            vec![
                start_telegram(&core, &telegram.url, wake.clone(), shutdown.clone()),
                start_dingtalk(&core, config.dingtalk.clone().unwrap(), wake.clone(), shutdown.clone()),
            ]
        });
        telegram.wait_for("the bot to poll", |v| (!v.calls("getUpdates").is_empty()).then_some(())).await;
        dingtalk.wait_connections(1).await;
        BothApp { telegram, dingtalk, dir, core, running }
    }

    /// Registers a person on `platform` (their id there: Telegram's user id or a DingTalk
    /// staff id's handle) directly, for tests about something else.
    async fn register(&self, platform: Platform, person_id: i64, name: &str, unit: &str, role: Role) {
        register_directly(&self.core, platform, person_id, name, unit, role).await;
    }

    pub async fn register_telegram(&self, user: &TgUser, unit: &str, role: Role) {
        self.register(Platform::Telegram, user.id, &user.first_name, unit, role).await;
    }

    pub async fn register_dingtalk(&self, user: &DtUser, unit: &str, role: Role) {
        let person = self.core.store.handle(Platform::DingTalk, &user.staff_id).await.unwrap();
        self.register(Platform::DingTalk, person, &user.nick, unit, role).await;
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}
