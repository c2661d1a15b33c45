//! Shared by the benchmarks that drive the real binary: a temp database with the example
//! organisation, `members` registered members, and one notice to everyone queued now.

use std::path::Path;
use std::sync::Arc;

use sansong::clock::SystemClock;
use sansong::config::Config;
use sansong::members::Actor;
use sansong::notices::{self, Audience, NoticeDraft, Schedule};
use sansong::store::Store;
use sansong::{Core, org};

/// The seeded database: keep `dir` alive while the bot runs against `db_url`.
pub struct Seeded {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    /// Read by the broadcast bench; the outage bench counts deliveries at the fake instead.
    #[allow(dead_code)]
    pub core: Core,
}

/// Creates the database, registers `members` members and queues one urgent notice to all.
pub async fn seed(members: i64, body: &str, ack: bool) -> Seeded {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&db_url).await.expect("database");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let core = Core::new(
        store,
        Config { database_url: db_url.clone(), ..Config::default() },
        Arc::new(SystemClock),
        sansong::platform_limits(),
    );
    let plan =
        org::parse_org(&std::fs::read_to_string(root.join("config/org.example.toml")).expect("org file"))
            .expect("org plan");
    org::apply(&core, &plan).await.expect("org applied");
    sqlx::query(
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?)
         INSERT INTO members (registered_as, name, unit_id, role, registered_at)
         SELECT 10000000 + x, '党员' || x, 1 + (x % 4), 'member', 0 FROM seq",
    )
    .bind(members)
    .execute(core.store.pool())
    .await
    .expect("members");
    sqlx::query(
        "INSERT INTO accounts (person_id, platform, member_id, linked_at)
         SELECT registered_as, 'telegram', id, registered_at FROM members",
    )
    .execute(core.store.pool())
    .await
    .expect("accounts");
    let draft = NoticeDraft {
        body: body.into(),
        media: None,
        audience: Audience { all: true, ..Audience::default() },
        schedule: Schedule::Now,
        ack,
        policy: false,
        urgent: true,
        remind_after: None,
    };
    notices::create(&core, &Actor::Cli, &draft, None).await.expect("notice");
    Seeded { dir, db_url, core }
}

/// The real `sansong run` against `fake_url` and `db_url`, quick ticks, no metrics listener;
/// `wrapper` (e.g. "valgrind --tool=massif") runs it under a profiler. Add more env, spawn.
pub fn bot_command(wrapper: &str, token: &str, fake_url: &str, db_url: &str) -> std::process::Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut words: Vec<&str> = wrapper.split_whitespace().collect();
    words.push(env!("CARGO_BIN_EXE_sansong"));
    let mut command = std::process::Command::new(words[0]);
    command
        .args(&words[1..])
        .arg("run")
        .env("TELOXIDE_TOKEN", token)
        .env("TELOXIDE_API_URL", fake_url)
        .env("SANSONG_DATABASE_URL", db_url)
        .env("SANSONG_CONFIG", root.join("config/default.toml"))
        .env("SANSONG_HOLIDAYS_DIR", root.join("config/holidays"))
        .env("SANSONG_SCHEDULER_TICK_MS", "100")
        .env("SANSONG_METRICS_ADDR", "off")
        .env("SANSONG_WEB_ADDR", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    command
}

/// Runs a benchmark's async body on a multi-threaded runtime, as the bot itself runs.
pub fn block_on<F: std::future::Future>(body: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime").block_on(body)
}
