//! Broadcast throughput of the real `sansong` binary against the fake Bot API on loopback:
//! (a) 5,000 members with the fake enforcing 100 messages/s and the bot set to 100/s: achieved
//!     rate over allowed rate (target ≥ 0.97) and 429s (target 0);
//! (b) 100,000 members with no limit: messages per second (target ≥ 1,000) and the bot's peak
//!     RSS (target ≤ 60 MB: the outbox is streamed, not loaded whole).
//! Run with `cargo bench --bench broadcast`; figures are printed.

#[allow(unused_imports)]
#[path = "../tests/e2e/support/fake_api.rs"]
mod fake_api;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_api::{FakeApi, TOKEN};
use sansong::clock::SystemClock;
use sansong::config::Config;
use sansong::members::Actor;
use sansong::notices::{self, Audience, NoticeDraft, Schedule};
use sansong::store::Store;
use sansong::{Core, org};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        println!("sansong broadcast benchmark (release binary, fake Bot API on loopback)");
        // SANSONG_BENCH_ONLY=a or =b runs one half.
        let only = std::env::var("SANSONG_BENCH_ONLY").unwrap_or_default();
        if only != "b" {
        let (rate, refused, _, _) = broadcast(5_000, Some(100), "100").await;
        println!(
            "(a) 5,000 members, fake limit 100/s, bot at 100/s: achieved {rate:.1}/s = {:.3} of allowed (target >= 0.97), 429s: {refused} (target 0)",
            rate / 100.0
        );
        }
        if only == "a" {
            return;
        }
        let n: i64 = std::env::var("SANSONG_BENCH_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let (rate, refused, rss, took) = broadcast(n, None, "0").await;
        println!(
            "(b) 100,000 members, no limit: {rate:.0} messages/s (target >= 1000), {took:.1} s in all, 429s: {refused}, bot peak RSS {:.1} MB (target <= 60)",
            rss as f64 / 1024.0
        );
    });
}

/// Broadcasts one notice to `members` members; returns (messages/s between the first and the
/// last send, 429s, the bot's peak RSS in KiB, seconds in all).
async fn broadcast(members: i64, limit: Option<usize>, bot_rate: &str) -> (f64, usize, u64, f64) {
    let fake = FakeApi::start().await;
    fake.set_rate_limit(limit);
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&db_url).await.expect("database");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config { database_url: db_url.clone(), ..Config::default() };
    let core = Core::new(store, config, Arc::new(SystemClock));
    let plan =
        org::parse_org(&std::fs::read_to_string(root.join("config/org.example.toml")).unwrap()).unwrap();
    org::apply(&core, &plan).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?)
         INSERT INTO members (telegram_id, name, unit_id, role, registered_at)
         SELECT 10000000 + x, '党员' || x, 1 + (x % 4), 'member', 0 FROM seq",
    )
    .bind(members)
    .execute(core.store.pool())
    .await
    .unwrap();
    let draft = NoticeDraft {
        body: "关于做好冬季“送温暖”走访慰问工作的通知：请各支部本周内完成走访，并及时登记。".into(),
        media: None,
        audience: Audience { all: true, ..Audience::default() },
        schedule: Schedule::Now,
        ack: true,
        policy: false,
        urgent: true,
        remind_after: None,
    };
    notices::create(&core, &Actor::Cli, &draft, None).await.unwrap();

    let started = Instant::now();
    // SANSONG_BENCH_WRAPPER="valgrind --tool=massif" runs the bot under a profiler.
    let wrapper = std::env::var("SANSONG_BENCH_WRAPPER").unwrap_or_default();
    let mut words: Vec<&str> = wrapper.split_whitespace().collect();
    words.push(env!("CARGO_BIN_EXE_sansong"));
    let mut bot = Command::new(words[0])
        .args(&words[1..])
        .arg("run")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", &fake.url)
        .env("SANSONG_DATABASE_URL", &db_url)
        .env("SANSONG_CONFIG", root.join("config/default.toml"))
        .env("SANSONG_HOLIDAYS_DIR", root.join("config/holidays"))
        .env("SANSONG_BROADCAST_RATE", bot_rate)
        .env("SANSONG_SCHEDULER_TICK_MS", "100")
        .env("SANSONG_METRICS_ADDR", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the sansong binary");
    let pid = bot.id();
    let mut peak_kib = 0;
    let deadline = Instant::now() + Duration::from_secs(900);
    let verbose = std::env::var_os("SANSONG_BENCH_VERBOSE").is_some();
    let mut last_report = Instant::now();
    loop {
        peak_kib = peak_kib.max(peak_rss_kib(pid));
        let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'")
            .fetch_one(core.store.pool())
            .await
            .unwrap();
        if sent >= members {
            break;
        }
        if verbose && last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            eprintln!("  {:>5.1} s: {sent} sent, peak RSS {} KiB", started.elapsed().as_secs_f64(), peak_kib);
        }
        assert!(Instant::now() < deadline, "broadcast did not finish ({sent}/{members})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    peak_kib = peak_kib.max(peak_rss_kib(pid));
    let took = started.elapsed().as_secs_f64();
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = bot.wait();

    let sends: Vec<Instant> =
        fake.calls("sendMessage").into_iter().filter(|c| c.status == 200).map(|c| c.at).collect();
    let first = *sends.iter().min().expect("sends");
    let last = *sends.iter().max().expect("sends");
    let rate = (sends.len() - 1) as f64 / last.duration_since(first).as_secs_f64();
    (rate, fake.rate_limited(), peak_kib, took)
}

/// The peak resident set of a process (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
