//! End-to-end speed of the bot against the fake Bot API on loopback, on a real SQLite file:
//! a burst of check-ins from many members (at most 20 each: flood control's limit) (throughput, and time until the last receipt), and
//! the round-trip latency of single commands. Run with `cargo bench`; figures are printed.

#[allow(unused_imports)]
#[path = "../tests/e2e/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use sansong::domain::Role;
use support::{TestApp, TgUser};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        println!("sansong end-to-end benchmark (fake Bot API on loopback, SQLite WAL, synchronous=FULL)");
        burst(100, 10).await;
        // 20 each: the most one person may send in ten seconds before flood control steps in.
        burst(150, 20).await;
        latency("/week", 300).await;
        latency("/checkin", 300).await;
    });
}

/// `members` members each send `each` one-line check-ins at once.
async fn burst(members: i64, each: usize) {
    let app = TestApp::spawn().await;
    let users = app.register_many(members, 50_000, "人社局").await;
    let total = users.len() * each;
    let start = Instant::now();
    for round in 0..each {
        for user in &users {
            app.fake.text(user, &format!("/checkin 送服务 第{round}次上门服务，服务3人"));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let receipts = app.fake.outgoing().iter().filter(|o| o.text.contains("已登记")).count();
        if receipts >= total {
            break;
        }
        assert!(Instant::now() < deadline, "burst did not finish: {receipts}/{total}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = start.elapsed();
    let recorded = app.scalar("SELECT COUNT(*) FROM checkins").await;
    assert_eq!(recorded as usize, total);
    println!(
        "burst: {total} check-ins from {members} members: all receipts after {:.2} s = {:.0} check-ins/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
}

/// One member sends `command` `rounds` times, one after another; push-to-reply latency.
async fn latency(command: &str, rounds: usize) {
    let app = TestApp::spawn().await;
    let user = TgUser::new(60_000, "张三");
    app.register(&user, "人社局", Role::Member).await;
    // A person types one message every two seconds or so: well inside flood control (which
    // counts by the bot's clock, moved here with the messages' dates).
    let mut at = support::default_now();
    for i in 0..20 {
        at += chrono::Duration::seconds(2);
        app.set_now(at);
        app.say(&user, &format!("/checkin 送政策 准备数据{i}")).await;
    }
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let text = if command == "/checkin" {
            format!("/checkin 送温暖 看望第{i}户")
        } else {
            command.to_owned()
        };
        at += chrono::Duration::seconds(2);
        app.set_now(at);
        let start = Instant::now();
        app.say(&user, &text).await;
        samples.push(start.elapsed());
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
    println!(
        "latency {command:<9} over {rounds} round trips: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
}
