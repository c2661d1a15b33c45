//! Broadcast throughput of the real `sansong` binary against the fake Bot API on loopback:
//! (a) 5,000 members with the fake enforcing 100 messages/s and the bot set to 100/s: achieved
//!     rate over allowed rate (target ≥ 0.97) and 429s (target 0);
//! (b) 100,000 members with no limit: messages per second (target ≥ 1,000) and the bot's peak
//!     RSS (target ≤ 60 MB: the outbox is streamed, not loaded whole).
//! (c) 20,000 members, fake and bot at 1,000/s as paid broadcasts: achieved over allowed
//!     (target ≥ 0.97) and 429s (target 0);
//! (d) a 429 storm: the fake allows 10/s while the sender believes 25/s, for sansong (which
//!     learns the real rate from the 429s), for teloxide's own `Throttle` adaptor around a
//!     plain concurrent send loop, and for a plain loop with no limiter, side by side against
//!     the same fake: wall time, messages delivered, 429s received, sends made inside a
//!     `retry_after` window after a 429 was answered, and achieved over allowed
//!     (SANSONG_BENCH_STORM_MEMBERS, default "300,2000": each size in turn).
//! (e) DingTalk: 5,000 members, the fake DingTalk allowing 20 batch send calls a second (20
//!     people each) and the bot set to 20 calls a second: achieved calls over allowed (target
//!     ≥ 0.97), flow-control refusals (target 0), and messages a second; then the fake allowing
//!     15 while the bot believes 20 (targets ≥ 0.90 of 15, ≤ 5 refusals).
//! (f) (c) over a network: 5,000 members at 1,000/s, each answer 150 ms after its request:
//!     the sends in flight must cover the round trip (target ≥ 0.97, 0 × 429).
//! (g) the real limit changes mid-broadcast (10/s, then 20/s, then 5/s) while the sender
//!     believes 25/s: time to settle after each change, and 429s per change.
//! (h) WeCom: 2,000 members, the fake WeCom answering 45009 beyond a per-bot rate of 50
//!     messages a second: with the bot set to 50 (the limit known: target ≥ 0.97 of allowed, 0
//!     refusals) and set to 80 (learning it from the 45009s: wall time, refusals).
//! Run with `cargo bench --bench broadcast`; figures are printed. SANSONG_BENCH_ONLY=a|…|h
//! runs one of them.

#[allow(unused_imports)]
#[path = "../tests/e2e/support/fake_api.rs"]
mod fake_api;
#[path = "../tests/e2e/support/fake_dingtalk.rs"]
mod fake_dingtalk;
#[path = "../tests/e2e/support/fake_wecom.rs"]
mod fake_wecom;
#[path = "support/seed.rs"]
mod seed;

use std::process::Command;
use std::time::{Duration, Instant};

use fake_api::{FakeApi, TOKEN};

fn main() {
    seed::block_on(async {
        println!("sansong broadcast benchmark (release binary, fake Bot API on loopback)");
        let only = std::env::var("SANSONG_BENCH_ONLY").unwrap_or_default();
        let runs = |part: &str| only.is_empty() || only == part;
        if runs("a") {
            limited("(a) 5,000 members", 5_000, 100, &[]).await;
        }
        if runs("b") {
            let n: i64 =
                std::env::var("SANSONG_BENCH_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
            let r = broadcast(n, None, "0", &[]).await;
            println!(
                "(b) {n} members, no limit: {:.0} messages/s (target >= 1000), {:.1} s in all, 429s: {}, bot peak RSS {:.1} MB (target <= 60)",
                r.rate,
                r.took,
                r.refused,
                r.peak_kib as f64 / 1024.0
            );
        }
        if runs("c") {
            limited(
                "(c) 20,000 members, paid broadcasts",
                20_000,
                1000,
                &[("SANSONG_BROADCAST_PAID", "true")],
            )
            .await;
        }
        if runs("f") {
            // The round trip to the Bot API from a server in the region: sends in flight must
            // cover it, or the rate is capped at (sends in flight) / (round trip).
            let r = broadcast_over(
                5_000,
                Some(1000),
                "1000",
                &[("SANSONG_BROADCAST_PAID", "true")],
                Duration::from_millis(150),
            )
            .await;
            println!(
                "(f) 5,000 members, paid broadcasts, fake limit 1000/s, every answer 150 ms after the request: achieved {:.1}/s = {:.3} of allowed (target >= 0.97), 429s: {} (target 0)",
                r.rate,
                r.rate / 1000.0,
                r.refused
            );
        }
        if runs("e") {
            dingtalk("(e)", 5_000, 20, 20).await;
            // The configured rate is wrong: the bot must learn DingTalk's real one.
            dingtalk("(e) learning", 5_000, 15, 20).await;
        }
        if runs("d") {
            let sizes = std::env::var("SANSONG_BENCH_STORM_MEMBERS").unwrap_or_else(|_| "300,2000".into());
            for n in sizes.split(',').filter_map(|n| n.trim().parse::<i64>().ok()) {
                println!("(d) {n} members, the fake allows 10/s, every sender believes 25/s:");
                let r = broadcast(n, Some(10), "25", &[]).await;
                println!(
                    "    {:<28} {}; achieved {:.2} of allowed (targets: >= 0.90, <= 5 × 429, 0 inside)",
                    "sansong",
                    r.storm_line(),
                    r.rate / 10.0
                );
                for (name, throttled) in
                    [("teloxide Throttle + loop", true), ("plain loop, no limiter", false)]
                {
                    let r = send_loop(n, throttled).await;
                    println!("    {name:<28} {}; achieved {:.2} of allowed", r.storm_line(), r.rate / 10.0);
                }
            }
        }
        if runs("g") {
            changing_limit().await;
        }
        if runs("h") {
            let n: i64 = std::env::var("SANSONG_BENCH_WECOM_MEMBERS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(2_000);
            wecom("(h)", n, 50, 50).await;
            // The configured rate is wrong: the bot must learn WeCom's real one.
            wecom("(h) learning", n, 50, 80).await;
            // What an SDK user writes: one send after another, each waiting for its answer,
            // and a second's pause after each 45009.
            wecom_loop("(h) a plain SDK-style loop", n, 50).await;
        }
    });
}

/// What one run did.
struct Run {
    /// Messages a second between the first and the last delivered send.
    rate: f64,
    refused: usize,
    peak_kib: u64,
    took: f64,
    delivered: usize,
    /// Sends that arrived after a 429 had been answered and before its `retry_after` ran out.
    inside_windows: usize,
}

impl Run {
    fn from_fake(fake: &FakeApi, took: f64, peak_kib: u64) -> Run {
        let calls = fake.calls("sendMessage");
        let sends: Vec<Instant> = calls.iter().filter(|c| c.status == 200).map(|c| c.at).collect();
        let rate = match (sends.iter().min(), sends.iter().max()) {
            (Some(first), Some(last)) if sends.len() > 1 => {
                (sends.len() - 1) as f64 / last.duration_since(*first).as_secs_f64()
            }
            _ => 0.0,
        };
        // The fake answers at once, and a 429 of its rate limit asks for one second.
        let answered: Vec<Instant> = calls.iter().filter(|c| c.status == 429).map(|c| c.at).collect();
        let in_flight = Duration::from_millis(10);
        let inside_windows = calls
            .iter()
            .filter(|c| answered.iter().any(|r| c.at > *r + in_flight && c.at < *r + Duration::from_secs(1)))
            .count();
        Run { rate, refused: fake.rate_limited(), peak_kib, took, delivered: sends.len(), inside_windows }
    }

    fn storm_line(&self) -> String {
        format!(
            "{:>7.1} s, {:>6} delivered, {:>6} × 429, {:>6} sends inside a retry_after window",
            self.took, self.delivered, self.refused, self.inside_windows
        )
    }
}

/// A plain concurrent send loop of the kind a teloxide user writes: every member's message
/// sent, 32 at a time, each waiting out a 429 as told; through teloxide's `Throttle` adaptor
/// (set to 25/s) or without any limiter.
async fn send_loop(members: i64, throttled: bool) -> Run {
    use futures::StreamExt;
    use teloxide::prelude::*;
    use teloxide::{RequestError, adaptors::throttle::Limits};
    let fake = FakeApi::start().await;
    fake.set_rate_limit(Some(10));
    let bot = Bot::new(TOKEN).set_api_url(url::Url::parse(&fake.url).expect("url"));
    let started = Instant::now();
    let text = "关于做好冬季“送温暖”走访慰问工作的通知";
    async fn send_one<B: Requester>(bot: &B, chat: i64, text: &str)
    where
        B::Err: Into<RequestError>,
    {
        for _ in 0..100 {
            match bot.send_message(ChatId(chat), text).await.map_err(Into::into) {
                Ok(_) => return,
                Err(RequestError::RetryAfter(wait)) => tokio::time::sleep(wait.duration()).await,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    let chats = (0..members).map(|i| 10_000_000 + i);
    if throttled {
        let limits = Limits {
            messages_per_sec_overall: 25,
            messages_per_sec_chat: 1,
            messages_per_min_chat: 20,
            messages_per_min_channel_or_supergroup: 20,
        };
        let bot = bot.throttle(limits);
        futures::stream::iter(chats).for_each_concurrent(32, |chat| send_one(&bot, chat, text)).await;
    } else {
        futures::stream::iter(chats).for_each_concurrent(32, |chat| send_one(&bot, chat, text)).await;
    }
    Run::from_fake(&fake, started.elapsed().as_secs_f64(), 0)
}

/// Runs a broadcast with the fake and the bot at the same `rate` and prints how close the
/// bot came to it without a single 429.
async fn limited(label: &str, members: i64, rate: usize, env: &[(&str, &str)]) {
    let r = broadcast(members, Some(rate), &rate.to_string(), env).await;
    println!(
        "{label}, fake limit {rate}/s, bot at {rate}/s: achieved {:.1}/s = {:.3} of allowed (target >= 0.97), 429s: {} (target 0)",
        r.rate,
        r.rate / rate as f64,
        r.refused
    );
}

/// (e): one notice to `members` DingTalk members, the fake allowing `qps` batch calls a second
/// and the bot believing `bot_rate`.
async fn dingtalk(label: &str, members: i64, qps: usize, bot_rate: usize) {
    use fake_dingtalk::{CLIENT_ID, CLIENT_SECRET, FakeDingTalk};
    let fake = FakeDingTalk::start().await;
    fake.set_qps(Some(qps));
    let seed::Seeded { dir: _dir, db_url, core } = seed::seed(
        members,
        "关于做好冬季“送温暖”走访慰问工作的通知：请各支部本周内完成走访，并及时登记。",
        true,
    )
    .await;
    // The seeded members move to DingTalk: a staff id each, as registration there makes them.
    move_members_to(&core, "dingtalk", "staff").await;
    let started = Instant::now();
    let bot = seed::bot_command("", TOKEN, "http://127.0.0.1:9", &db_url)
        .env_remove("TELOXIDE_TOKEN")
        .env("SANSONG_DINGTALK_CLIENT_ID", CLIENT_ID)
        .env("SANSONG_DINGTALK_CLIENT_SECRET", CLIENT_SECRET)
        .env("SANSONG_DINGTALK_API_URL", &fake.url)
        .env("SANSONG_DINGTALK_OAPI_URL", &fake.url)
        .env("SANSONG_DINGTALK_RATE", bot_rate.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the sansong binary");
    let took = until_sent_then_stop(bot, &core, members, started).await;
    let calls: Vec<_> =
        fake.calls("/v1.0/robot/oToMessages/batchSend").into_iter().filter(|c| c.status == 200).collect();
    let rate = match (calls.first(), calls.last()) {
        (Some(first), Some(last)) if calls.len() > 1 => {
            (calls.len() - 1) as f64 / last.at.duration_since(first.at).as_secs_f64()
        }
        _ => 0.0,
    };
    let people: usize = calls.iter().map(|c| c.body["userIds"].as_array().map_or(0, Vec::len)).sum();
    let targets =
        if bot_rate == qps { "target >= 0.97, refusals 0" } else { "target >= 0.90, refusals <= 5" };
    println!(
        "{label} DingTalk, {members} members, fake limit {qps} batch calls/s, bot at {bot_rate}/s: achieved {rate:.1} calls/s = {:.3} of allowed, flow-control refusals: {} ({targets}), {} calls for {people} people ({:.1} a call), {:.0} messages/s, {took:.1} s in all",
        rate / qps as f64,
        fake.refused_for_qps(),
        calls.len(),
        people as f64 / calls.len().max(1) as f64,
        rate * people as f64 / calls.len().max(1) as f64,
    );
}

/// (h): one notice to `members` WeCom members, the fake answering 45009 beyond `allowed`
/// messages a second for the whole bot, the bot set to `bot_rate`.
async fn wecom(label: &str, members: i64, allowed: usize, bot_rate: usize) {
    use fake_wecom::{BOT_ID, FakeWeCom, SECRET};
    let fake = FakeWeCom::start().await;
    fake.set_bot_rate(Some(allowed as f64));
    let seed::Seeded { dir: _dir, db_url, core } = seed::seed(
        members,
        "关于做好冬季“送温暖”走访慰问工作的通知：请各支部本周内完成走访，并及时登记。",
        false,
    )
    .await;
    // The seeded members move to WeCom: a userid each, every one of whom has written to the bot
    // (as joining there makes them).
    move_members_to(&core, "wecom", "wc").await;
    let userids: Vec<String> =
        sqlx::query_scalar("SELECT 'wc' || id FROM members").fetch_all(core.store.pool()).await.unwrap();
    fake.knows(&userids);
    let started = Instant::now();
    let bot = seed::bot_command("", TOKEN, "http://127.0.0.1:9", &db_url)
        .env_remove("TELOXIDE_TOKEN")
        .env("SANSONG_WECOM_BOT_ID", BOT_ID)
        .env("SANSONG_WECOM_SECRET", SECRET)
        .env("SANSONG_WECOM_WS_URL", &fake.url)
        .env("SANSONG_WECOM_RATE", bot_rate.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the sansong binary");
    let took = until_sent_then_stop(bot, &core, members, started).await;
    let sends: Vec<Instant> =
        fake.sent().iter().filter(|s| s.cmd == "aibot_send_msg").map(|s| s.at).collect();
    let rate = match (sends.iter().min(), sends.iter().max()) {
        (Some(first), Some(last)) if sends.len() > 1 => {
            (sends.len() - 1) as f64 / last.duration_since(*first).as_secs_f64()
        }
        _ => 0.0,
    };
    let targets =
        if bot_rate == allowed { "target >= 0.97, refusals 0" } else { "learning: refusals, wall time" };
    println!(
        "{label} WeCom, {members} members, fake limit {allowed} msg/s for the bot, bot at {bot_rate}/s: achieved {rate:.1}/s = {:.3} of allowed, 45009 refusals: {} ({targets}), {} delivered, {took:.1} s in all",
        rate / allowed as f64,
        fake.refused_45009(),
        sends.len(),
    );
}

/// (h)'s peer: a loop over the members on the long connection, as a user of the official SDK
/// writes it (`await sendMessage(...)` for each, a second's pause on 45009, then again).
async fn wecom_loop(label: &str, members: i64, allowed: usize) {
    use fake_wecom::{BOT_ID, FakeWeCom, SECRET};
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let fake = FakeWeCom::start().await;
    fake.set_bot_rate(Some(allowed as f64));
    let userids: Vec<String> = (1..=members).map(|i| format!("wc{i}")).collect();
    fake.knows(&userids);
    let (mut ws, _) = tokio_tungstenite::connect_async(fake.url.as_str()).await.expect("the fake's socket");
    let ask = async |ws: &mut tokio_tungstenite::WebSocketStream<_>, frame: serde_json::Value| -> i64 {
        let req_id = frame["headers"]["req_id"].clone();
        ws.send(Message::Text(frame.to_string().into())).await.expect("a send");
        loop {
            let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("the fake closed") };
            let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if answer["headers"]["req_id"] == req_id {
                return answer["errcode"].as_i64().unwrap_or(-1);
            }
        }
    };
    let subscribe = serde_json::json!({"cmd": "aibot_subscribe", "headers": {"req_id": "aibot_subscribe_1"},
        "body": {"bot_id": BOT_ID, "secret": SECRET}});
    assert_eq!(ask(&mut ws, subscribe).await, 0);
    let started = Instant::now();
    let mut n = 0u64;
    for userid in &userids {
        loop {
            n += 1;
            let frame = serde_json::json!({"cmd": "aibot_send_msg", "headers": {"req_id": format!("aibot_send_msg_{n}")},
                "body": {"chatid": userid, "chat_type": 1, "msgtype": "markdown",
                         "markdown": {"content": "关于做好冬季“送温暖”走访慰问工作的通知：请各支部本周内完成走访，并及时登记。"}}});
            if ask(&mut ws, frame).await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "{label}, {members} members, fake limit {allowed} msg/s: {:.1}/s = {:.3} of allowed, 45009 refusals: {}, {took:.1} s in all",
        members as f64 / took,
        members as f64 / took / allowed as f64,
        fake.refused_45009(),
    );
}

/// Broadcasts one notice to `members` members with the real binary.
async fn broadcast(members: i64, limit: Option<usize>, bot_rate: &str, env: &[(&str, &str)]) -> Run {
    broadcast_over(members, limit, bot_rate, env, Duration::ZERO).await
}

/// [`broadcast`] with every send answered `latency` after it arrives (a real network's round trip).
async fn broadcast_over(
    members: i64,
    limit: Option<usize>,
    bot_rate: &str,
    env: &[(&str, &str)],
    latency: Duration,
) -> Run {
    let fake = FakeApi::start().await;
    fake.set_rate_limit(limit);
    fake.set_send_delay(latency);
    let seed::Seeded { dir: _dir, db_url, core } = seed::seed(
        members,
        "关于做好冬季“送温暖”走访慰问工作的通知：请各支部本周内完成走访，并及时登记。",
        true,
    )
    .await;

    let started = Instant::now();
    // SANSONG_BENCH_WRAPPER="valgrind --tool=massif" runs the bot under a profiler.
    let wrapper = std::env::var("SANSONG_BENCH_WRAPPER").unwrap_or_default();
    let mut bot = seed::bot_command(&wrapper, TOKEN, &fake.url, &db_url)
        .env("SANSONG_BROADCAST_RATE", bot_rate)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .spawn()
        .expect("the sansong binary");
    let pid = bot.id();
    let mut peak_kib = 0;
    let deadline = Instant::now() + Duration::from_secs(900);
    let verbose = std::env::var_os("SANSONG_BENCH_VERBOSE").is_some();
    let mut last_report = Instant::now();
    loop {
        peak_kib = peak_kib.max(peak_rss_kib(pid));
        let sent = sent(&core).await;
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

    Run::from_fake(&fake, took, peak_kib)
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

/// (g): the platform's real limit changes mid-broadcast — 10/s, then 20/s from 30 s, then 5/s
/// from 90 s — while the sender believes 25/s. For each change: how long until the sender
/// settled (its successful sends in a 2-second window reach 0.9 of the new limit, and no 429
/// comes in the 20 s after the change; later ones are the sender's probes), and the 429s it met.
async fn changing_limit() {
    let phases: [(u64, usize); 3] = [(0, 10), (30, 20), (90, 5)];
    let end = 130u64;
    let members: i64 = phases
        .iter()
        .zip(phases.iter().skip(1).map(|p| p.0).chain([end]))
        .map(|((from, limit), to)| ((to - from) as usize * limit) as i64)
        .sum();
    let fake = FakeApi::start().await;
    fake.set_rate_limit(Some(phases[0].1));
    let seed::Seeded { dir: _dir, db_url, core } =
        seed::seed(members, "关于做好冬季“送温暖”走访慰问工作的通知", true).await;
    let started = Instant::now();
    let mut bot = seed::bot_command("", TOKEN, &fake.url, &db_url)
        .env("SANSONG_BROADCAST_RATE", "25")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the sansong binary");
    let mut changed = vec![started];
    let deadline = started + Duration::from_secs(end + 300);
    loop {
        let elapsed = started.elapsed().as_secs();
        if let Some((at, limit)) = phases.get(changed.len()).copied()
            && elapsed >= at
        {
            fake.set_rate_limit(Some(limit));
            changed.push(Instant::now());
        }
        let sent = sent(&core).await;
        if sent >= members {
            break;
        }
        assert!(Instant::now() < deadline, "broadcast did not finish ({sent}/{members})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").args(["-TERM", &bot.id().to_string()]).status();
    let _ = bot.wait();
    let calls = fake.calls("sendMessage");
    println!(
        "(g) {members} members, the sender believes 25/s; the fake allows 10/s, then 20/s at 30 s, then 5/s at 90 s:"
    );
    for (i, (_, limit)) in phases.iter().enumerate() {
        let from = changed[i];
        let to = changed.get(i + 1).copied().unwrap_or_else(Instant::now);
        let in_phase: Vec<_> = calls.iter().filter(|c| c.at >= from && c.at < to).collect();
        let refused: Vec<Instant> = in_phase.iter().filter(|c| c.status == 429).map(|c| c.at).collect();
        let ok: Vec<Instant> = in_phase.iter().filter(|c| c.status == 200).map(|c| c.at).collect();
        // Settled: a 2-second window holds at least 0.9 of the new limit, and the refusals the
        // change itself caused (those of its first 20 s) are over.
        let reached = ok.iter().copied().find(|t| {
            let window = ok.iter().filter(|s| **s >= *t && **s < *t + Duration::from_secs(2)).count();
            window as f64 >= 0.9 * 2.0 * *limit as f64
        });
        let caused = refused.iter().copied().filter(|t| *t < from + Duration::from_secs(20)).max();
        let settled = reached.map(|r| caused.map_or(r, |c| c.max(r)));
        let achieved = if to > from { ok.len() as f64 / to.duration_since(from).as_secs_f64() } else { 0.0 };
        println!(
            "    limit {limit:>2}/s for {:>5.1} s: settled after {}, {} × 429, achieved {achieved:.1}/s over the phase",
            to.duration_since(from).as_secs_f64(),
            settled
                .map_or("(never)".to_owned(), |t| format!("{:.1} s", t.duration_since(from).as_secs_f64())),
            refused.len(),
        );
    }
}

/// Moves the seeded members to `platform`: an account `<prefix><member id>` each, as joining
/// there makes them.
async fn move_members_to(core: &sansong::Core, platform: &str, prefix: &str) {
    let handles = "INSERT INTO handles (id, platform, external_id)
                   SELECT 1152921504606846976 + id, ?, ? || id FROM members";
    sqlx::query(handles).bind(platform).bind(prefix).execute(core.store.pool()).await.unwrap();
    let accounts = "UPDATE accounts SET platform = ?, person_id = 1152921504606846976 + member_id";
    sqlx::query(accounts).bind(platform).execute(core.store.pool()).await.unwrap();
    let members =
        "UPDATE members SET reached_on = 1152921504606846976 + id, registered_as = 1152921504606846976 + id";
    sqlx::query(members).execute(core.store.pool()).await.unwrap();
}

/// Waits (15 minutes at most) until `members` deliveries are sent, then stops the bot as on
/// SIGTERM: the seconds since `started`.
async fn until_sent_then_stop(
    mut bot: std::process::Child,
    core: &sansong::Core,
    members: i64,
    started: Instant,
) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let sent = sent(core).await;
        if sent >= members {
            break;
        }
        assert!(Instant::now() < deadline, "broadcast did not finish ({sent}/{members})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = started.elapsed().as_secs_f64();
    let _ = Command::new("kill").args(["-TERM", &bot.id().to_string()]).status();
    let _ = bot.wait();
    took
}

/// Deliveries sent so far.
async fn sent(core: &sansong::Core) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'")
        .fetch_one(core.store.pool())
        .await
        .expect("counting deliveries")
}
