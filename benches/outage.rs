//! A broadcast through a Bot API outage: 300 members, every call answered 502 for a while
//! (SANSONG_BENCH_OUTAGE_SECS, default 60: time compressed from the minutes a real outage
//! lasts, with the probe every 200 ms instead of seconds), the real `sansong` binary against
//! the fake on loopback. Prints: delivered, duplicates, and seconds from the API answering
//! again to the last delivery. Run with `cargo bench --bench outage`.

#[allow(unused_imports)]
#[path = "../tests/e2e/support/fake_api.rs"]
mod fake_api;
#[path = "support/seed.rs"]
mod seed;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use fake_api::{FakeApi, Outage, TOKEN};

fn main() {
    seed::block_on(async {
        let secs: u64 =
            std::env::var("SANSONG_BENCH_OUTAGE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
        for kind in [Outage::BadGateway, Outage::Silent] {
            run(300, Duration::from_secs(secs), kind).await;
        }
    });
}

async fn run(members: i64, outage: Duration, kind: Outage) {
    let fake = FakeApi::start().await;
    let seed::Seeded { dir: _dir, db_url, .. } = seed::seed(members, "故障期间的通知", false).await;
    fake.outage(outage, kind);
    let recovered_at = Instant::now() + outage;
    let mut bot = seed::bot_command("", TOKEN, &fake.url, &db_url)
        .env("SANSONG_OUTAGE_PROBE_MS", "200")
        .env("RUST_LOG", "error")
        .spawn()
        .expect("the sansong binary");
    let deadline = Instant::now() + outage + Duration::from_secs(600);
    loop {
        let delivered = fake.calls("sendMessage").iter().filter(|c| c.status == 200).count() as i64;
        if delivered >= members || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").args(["-TERM", &bot.id().to_string()]).status();
    let _ = bot.wait();
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    let mut last = recovered_at;
    for call in fake.calls("sendMessage").iter().filter(|c| c.status == 200) {
        *per_chat.entry(call.params["chat_id"].as_i64().unwrap_or(0)).or_default() += 1;
        last = last.max(call.at);
    }
    let duplicates: usize = per_chat.values().map(|n| n.saturating_sub(1)).sum();
    println!(
        "{kind:?} outage of {} s, {members} members: {} delivered, {duplicates} duplicates, last delivery {:.1} s after the API answered again",
        outage.as_secs(),
        per_chat.len(),
        last.duration_since(recovered_at).as_secs_f64()
    );
}
