//! `TestApp::spawn()`: the real bot (its dispatcher, its `Bot`) running in-process against a
//! fresh fake Bot API and a fresh SQLite file in a temp dir, with a clock the test controls.
//! Also helpers to run the real `sansong` binary on the same database.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sansong::Core;
use sansong::clock::ShiftedClock;
use sansong::config::Config;
use sansong::domain::Member;
use sansong::domain::{Account, Person, Platform, Role};
use sansong::jobs::Started;
use sansong::members::{self, Actor, InviteRequest, Registration};
use sansong::store::Store;
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::fake_api::{FakeApi, Outgoing, TOKEN, TgUser};
use super::shared::{self, default_now, repo_path};
use super::wait::eventually;

pub struct TestApp {
    pub fake: FakeApi,
    pub dir: TempDir,
    pub db_url: String,
    /// Real time shifted to the test's date: it flows, and tests jump it.
    pub clock: ShiftedClock,
    /// A core on the same database, for setting up and checking state directly.
    pub core: Core,
    config: Config,
    running: Option<(CancellationToken, JoinHandle<anyhow::Result<()>>)>,
}

/// The settings the bot runs with in these tests on Telegram, on the database at `db_url`.
pub fn telegram_config(db_url: &str) -> Config {
    Config {
        poll_timeout: Duration::from_secs(5),
        // Fast enough that tests wait milliseconds, not seconds, for the scheduler and retries.
        scheduler_tick: Duration::from_millis(50),
        delivery_retry: Duration::from_millis(50),
        broadcast_rate: 200.0,
        // Tests that want the endpoint pick a free port; the rest must not fight over 9898.
        ..shared::test_config(db_url)
    }
}

impl TestApp {
    /// The bot with the example organisation loaded and the clock at [`default_now`].
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let fake = FakeApi::start().await;
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        let mut config = telegram_config(&db_url);
        adjust(&mut config);
        let clock = ShiftedClock::starting_at(default_now());
        fake.set_now(default_now());
        let core = shared::core_with_org(config.clone(), &clock).await;
        let mut app = TestApp { fake, dir, db_url, clock, core, config, running: None };
        app.start().await;
        app
    }

    /// Starts the bot (again) on the same database and fake API.
    pub async fn start(&mut self) {
        assert!(self.running.is_none(), "already running");
        let core = open_core(&self.db_url, &self.config, &self.clock).await;
        let bot = sansong::telegram::make_bot(TOKEN, Some(&self.fake.url), self.config.poll_timeout).unwrap();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(sansong::telegram::run(core, bot, shutdown.clone()));
        self.running = Some((shutdown, handle));
        // Ready once it has asked for updates (or, in webhook mode, registered its webhook).
        self.fake
            .wait_for("the bot to poll", |v| {
                (!v.calls("getUpdates").is_empty() || !v.calls("setWebhook").is_empty()).then_some(())
            })
            .await;
    }

    /// Graceful stop: as on SIGTERM.
    pub async fn stop(&mut self) {
        if let Some((shutdown, handle)) = self.running.take() {
            shutdown.cancel();
            tokio::time::timeout(Duration::from_secs(20), handle)
                .await
                .expect("the bot stops within 20 s")
                .expect("the bot task did not panic")
                .expect("the bot stopped without error");
        }
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// Sets the bot's clock and the date Telegram puts on new messages.
    pub fn set_now(&self, t: DateTime<Utc>) {
        self.clock.set(t);
        self.fake.set_now(t);
    }

    /// An invite code for `unit` and `role`, made through the core like `sansong invite`.
    pub async fn invite(&self, unit: &str, role: Role, uses: u32) -> String {
        invite_code(&self.core, unit, role, uses).await
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use sansong::clock::Clock;
        self.clock.now()
    }

    /// Registers `user` directly (no chat), for tests about something else.
    pub async fn register(&self, user: &TgUser, unit: &str, role: Role) -> Member {
        register_directly(&self.core, Platform::Telegram, user.id, &user.first_name, unit, role).await
    }

    /// `count` members of `unit`, Telegram ids from `first_id`, registered directly.
    pub async fn register_many(&self, count: i64, first_id: i64, unit: &str) -> Vec<TgUser> {
        let mut users = Vec::new();
        for i in 0..count {
            let user = TgUser::new(first_id + i, &format!("党员{i}"));
            self.register(&user, unit, Role::Member).await;
            users.push(user);
        }
        users
    }

    /// `user` sends `text`; returns the bot's first reply to it.
    pub async fn say(&self, user: &TgUser, text: &str) -> Outgoing {
        let mark = self.fake.mark();
        self.fake.text(user, text);
        self.fake.next_to(user.id, mark).await
    }

    /// `user` presses the button labelled `label` on `message`; returns the bot's next message
    /// or edit in that chat.
    pub async fn press(&self, user: &TgUser, message: &Outgoing, label: &str) -> Outgoing {
        let data =
            message.button(label).unwrap_or_else(|| panic!("no button {label:?} on {message:#?}")).to_owned();
        let mark = self.fake.mark();
        self.fake.press(user, message.message_id, &data);
        self.fake.next_to(user.id, mark).await
    }

    /// Waits until the bot has handled every update it received (the inbox is empty) and the
    /// fake holds no unconfirmed update.
    pub async fn settle(&self) {
        // In this order: an update is confirmed only after it is stored, so once nothing is
        // unconfirmed, everything sent so far is in the inbox, and an empty backlog then means
        // all of it has been handled.
        eventually(
            "the bot to settle (no unconfirmed update, no unhandled one in the inbox)",
            super::fake_api::DEADLINE,
            || async {
                (self.fake.unconfirmed() == 0 && self.core.store.inbox_backlog().await.unwrap() == 0)
                    .then_some(())
            },
        )
        .await;
    }

    /// A CLI command on this app's database, with the CLI's clock set to the app's.
    pub async fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let now = self.clock_now().to_rfc3339();
        cli_env(&self.db_url, args, &[("SANSONG_NOW", now.as_str())]).await
    }

    /// Counted (not undone) check-ins of a Telegram user.
    pub async fn checkins_of(&self, user: &TgUser) -> Vec<(i64, String, String)> {
        shared::counted_checkins(&self.core, user.id).await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        shared::scalar(&self.core, sql).await
    }
}

/// The real binary, run with the environment the README describes.
pub struct Binary {
    pub child: Child,
}

impl Binary {
    pub fn spawn_run(fake_url: &str, db_url: &str) -> Binary {
        Binary::spawn_run_with(fake_url, db_url, &[])
    }

    /// `sansong run` with extra environment (e.g. `SANSONG_BROADCAST_RATE`).
    pub fn spawn_run_with(fake_url: &str, db_url: &str, env: &[(&str, &str)]) -> Binary {
        let mut command = run_command(db_url);
        command
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", fake_url)
            .env("SANSONG_POLL_TIMEOUT_SECS", "2")
            .env("SANSONG_DELIVERY_RETRY_MS", "50");
        for (k, v) in env {
            command.env(k, v);
        }
        Binary { child: command.spawn().expect("the sansong binary starts") }
    }

    /// `sansong run` on DingTalk alone, against the fake DingTalk at `fake_url`.
    pub fn spawn_dingtalk(fake_url: &str, db_url: &str) -> Binary {
        use super::fake_dingtalk::{CLIENT_ID, CLIENT_SECRET};
        let mut command = run_command(db_url);
        command
            .env_remove("TELOXIDE_TOKEN")
            .env("SANSONG_DINGTALK_CLIENT_ID", CLIENT_ID)
            .env("SANSONG_DINGTALK_CLIENT_SECRET", CLIENT_SECRET)
            .env("SANSONG_DINGTALK_API_URL", fake_url)
            .env("SANSONG_DINGTALK_OAPI_URL", fake_url);
        Binary { child: command.spawn().expect("the sansong binary starts") }
    }

    /// `sansong run` on WeCom alone, against the fake WeCom's long connection at `ws_url`.
    pub fn spawn_wecom(ws_url: &str, db_url: &str) -> Binary {
        use super::fake_wecom::{BOT_ID, SECRET};
        let mut command = run_command(db_url);
        command
            .env_remove("TELOXIDE_TOKEN")
            .env("SANSONG_WECOM_BOT_ID", BOT_ID)
            .env("SANSONG_WECOM_SECRET", SECRET)
            .env("SANSONG_WECOM_WS_URL", ws_url);
        Binary { child: command.spawn().expect("the sansong binary starts") }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn sigterm(&self) {
        self.signal("TERM");
    }

    /// Sends a signal by name (`TERM`, `INT`) with the system's `kill`.
    pub fn signal(&self, name: &str) {
        let status =
            Command::new("kill").args([&format!("-{name}"), &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
    }
    /// Waits (with a deadline) for the process to exit; returns its exit code. Generous: on
    /// SIGTERM the bot first finishes the updates in hand, each a few fsyncs, and a loaded CI
    /// disk has once made that take over 30 s.
    pub async fn wait_exit(&mut self) -> Option<i32> {
        let child = &mut self.child;
        eventually("the bot to exit", Duration::from_secs(90), || {
            std::future::ready(child.try_wait().unwrap().map(|status| status.code()))
        })
        .await
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `sansong run` on the database at `db_url`, as every binary test starts it: the repository's
/// config and holidays, a quick scheduler, no quiet hours and no metrics endpoint; the
/// platform's own settings are added by the caller.
pub fn run_command(db_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sansong"));
    command
        .arg("run")
        .env("SANSONG_DATABASE_URL", db_url)
        .env("SANSONG_CONFIG", repo_path("config/default.toml"))
        .env("SANSONG_HOLIDAYS_DIR", repo_path("config/holidays"))
        .env("SANSONG_SCHEDULER_TICK_MS", "100")
        // The binary runs on the real clock: without this, a test run late in the evening
        // (Beijing) would see its broadcasts held for the night.
        .env("SANSONG_QUIET_HOURS", "off")
        .env("SANSONG_METRICS_ADDR", "off")
        .env("SANSONG_WEB_ADDR", "off")
        .env("RUST_LOG", std::env::var("BIN_LOG").unwrap_or_else(|_| "warn".into()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if std::env::var("BIN_STDERR").is_ok() { Stdio::inherit() } else { Stdio::null() });
    command
}

/// Runs a one-shot CLI command on a database; returns (exit code, stdout, stderr).
pub async fn cli(db_url: &str, args: &[&str]) -> (i32, String, String) {
    cli_env(db_url, args, &[]).await
}

/// [`cli`] with extra environment variables.
///
/// Waits for the process asynchronously: a test's in-process bot shares the test's runtime, and
/// blocking that runtime while the bot sits inside a write transaction would leave the CLI waiting
/// on SQLite's lock until its busy timeout ("database is locked").
pub async fn cli_env(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sansong"));
    command
        .args(args)
        .env("SANSONG_DATABASE_URL", db_url)
        .env("SANSONG_CONFIG", repo_path("config/default.toml"))
        .env("SANSONG_HOLIDAYS_DIR", repo_path("config/holidays"))
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().await.expect("the sansong binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Registers a person on `platform` (their id there: a Telegram user id, or the handle of a
/// DingTalk or WeCom account) directly, with a one-use invite: no chat, for tests about
/// something else.
pub async fn register_directly(
    core: &Core,
    platform: Platform,
    person_id: i64,
    name: &str,
    unit: &str,
    role: Role,
) -> Member {
    let code = invite_code(core, unit, role, 1).await;
    let person = Person { account: Account { platform, person_id }, name: name.into(), username: None };
    match members::register(core, &person, &code).await.unwrap() {
        Registration::New(member) => member,
        other => panic!("registration failed: {other:?}"),
    }
}

/// A core on the (already migrated) database at `db_url`, as a start of the bot opens it.
pub async fn open_core(db_url: &str, config: &Config, clock: &ShiftedClock) -> Core {
    let store = Store::open(db_url).await.unwrap();
    Core::new(store, config.clone(), Arc::new(clock.clone()), sansong::platform_limits())
}

/// Platforms served in this process by `jobs::serve`, as `sansong run` serves them, under one
/// shutdown token: cancelled by [`Serving::stop`], or when dropped.
pub struct Serving {
    shutdown: CancellationToken,
    handle: Option<JoinHandle<()>>,
}

impl Serving {
    /// Serves the platforms `start` starts, each given the one wake-up and shutdown.
    pub fn start(
        core: &Core,
        start: impl FnOnce(&Arc<Notify>, &CancellationToken) -> Vec<Started>,
    ) -> Serving {
        let (shutdown, wake) = (CancellationToken::new(), Arc::new(Notify::new()));
        let started = start(&wake, &shutdown);
        let handle = tokio::spawn(sansong::jobs::serve(core.clone(), started, wake, shutdown.clone()));
        Serving { shutdown, handle: Some(handle) }
    }

    /// Stops the platforms and waits (10 s at most) for them to finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The bot's Telegram side, as `sansong run` starts it, polling the fake at `api_url`.
pub fn start_telegram(core: &Core, api_url: &str, wake: Arc<Notify>, shutdown: CancellationToken) -> Started {
    let bot = sansong::telegram::make_bot(TOKEN, Some(api_url), core.config.poll_timeout).unwrap();
    sansong::telegram::start(core.clone(), bot, wake, shutdown)
}

/// An invite to `unit` in `role` for `uses` people, made by the core as `sansong invite`
/// makes it.
pub async fn invite_code(core: &Core, unit: &str, role: Role, uses: u32) -> String {
    let request =
        InviteRequest { unit: Some(unit.into()), role: Some(role), uses: Some(uses), expires_in: None };
    members::create_invite(core, &Actor::Cli, &request, None).await.unwrap().code
}

/// Waits until every message of `platform` in the inbox is handled.
pub async fn settle_inbox(core: &Core, platform: Platform) {
    let sql =
        format!("SELECT COUNT(*) FROM inbox WHERE platform = '{}' AND handled_at IS NULL", platform.as_str());
    let what = format!("the {} inbox to be handled", platform.as_str());
    eventually(&what, Duration::from_secs(20), || async {
        (shared::scalar(core, &sql).await == 0).then_some(())
    })
    .await;
}

/// Counted check-ins of the account `external_id` on `platform`: (kind, description).
pub async fn checkins_of_account(
    core: &Core,
    platform: Platform,
    external_id: &str,
) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT c.kind, c.description FROM checkins c JOIN accounts a ON a.member_id = c.member_id
         JOIN handles h ON h.id = a.person_id
         WHERE h.platform = ? AND h.external_id = ? AND c.deleted_at IS NULL ORDER BY c.id",
    )
    .bind(platform.as_str())
    .bind(external_id)
    .fetch_all(core.store.pool())
    .await
    .unwrap()
}

/// `count` members of 人社局 on `platform`, with the ids `<prefix>0001`…, as registration makes
/// them (a handle, a member, its account), written straight into the running bot's database:
/// many members at once, for broadcasts.
pub async fn add_members(core: &Core, platform: Platform, prefix: &str, count: usize) -> Vec<String> {
    let pool = core.store.pool();
    let unit: i64 =
        sqlx::query_scalar("SELECT id FROM units WHERE name = '人社局'").fetch_one(pool).await.unwrap();
    let mut ids = Vec::new();
    for i in 1..=count {
        let id = format!("{prefix}{i:04}");
        let person = core.store.handle(platform, &id).await.unwrap();
        let member: i64 = sqlx::query_scalar(
            "INSERT INTO members (registered_as, reached_on, name, unit_id, role, registered_at)
             VALUES (?1, ?1, ?2, ?3, 'member', 0) RETURNING id",
        )
        .bind(person)
        .bind(format!("党员{i:04}"))
        .bind(unit)
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO accounts (person_id, platform, member_id, linked_at) VALUES (?, ?, ?, 0)")
            .bind(person)
            .bind(platform.as_str())
            .bind(member)
            .execute(pool)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

/// A database at `db_url` for the real binary: the example organisation loaded, and `n`
/// members of 人社局 on `platform` (each an id `<prefix>NNN` and a name `党员NNN`), as joining
/// there makes them. The pool and the (id, name) of each.
pub async fn members_on(
    db_url: &str,
    platform: &str,
    prefix: &str,
    n: usize,
) -> (sqlx::SqlitePool, Vec<(String, String)>) {
    let org = repo_path("config/org.example.toml");
    let (code, _, err) = cli(db_url, &["org", "load", org.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
    let mut people = Vec::new();
    for i in 0..n {
        let (id, name) = (format!("{prefix}{i:03}"), format!("党员{i:03}"));
        let handle: i64 = sqlx::query_scalar(
            "INSERT INTO handles (id, platform, external_id)
             VALUES ((SELECT COALESCE(MAX(id), 1152921504606846975) + 1 FROM handles), ?, ?) RETURNING id",
        )
        .bind(platform)
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO members (registered_as, reached_on, name, unit_id, role, registered_at)
             VALUES (?1, ?1, ?2, (SELECT id FROM units WHERE name = '人社局'), 'member', 0);
             INSERT INTO accounts (person_id, platform, member_id, linked_at)
             VALUES (?1, ?3, last_insert_rowid(), 0)",
        )
        .bind(handle)
        .bind(&name)
        .bind(platform)
        .execute(&pool)
        .await
        .unwrap();
        people.push((id, name));
    }
    (pool, people)
}
