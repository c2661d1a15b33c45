//! The outbox under Telegram's limits and failures: rate, 429, 5xx, 403, uploads, crashes.

use std::collections::HashMap;
use std::time::Duration;

use sansong::domain::Role;
use sansong::members::Actor;
use sansong::notices::{self, Schedule};

use crate::notices::{draft, everyone, received};
use crate::support::{Binary, FaultKind, Outage, TestApp, TgUser, eventually};

/// How many notice messages (not replies) each chat received.
fn per_chat(app: &TestApp, text: &str) -> HashMap<i64, usize> {
    let mut m = HashMap::new();
    for o in app.fake.outgoing().iter().filter(|o| !o.edit && o.text.contains(text)) {
        *m.entry(o.chat_id).or_default() += 1;
    }
    m
}

/// Waits until every one of `users` has received a notice containing `text`.
async fn wait_all(app: &TestApp, users: &[TgUser], text: &str, deadline: Duration) {
    eventually(&format!("all {} to receive {text:?}", users.len()), deadline, || async {
        let got = per_chat(app, text);
        users.iter().all(|u| got.contains_key(&u.id)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_to_300_under_a_30_per_second_limit_meets_no_429_and_replies_do_not_wait_behind_it() {
    let app = TestApp::spawn_with(|c| c.broadcast_rate = 25.0).await;
    app.fake.set_rate_limit(Some(30));
    let users = app.register_many(300, 60_000, "人社局").await;
    let chatting = TgUser::new(60_999, "正在聊天的党员");
    app.register(&chatting, "科工局", Role::Member).await;

    let started = tokio::time::Instant::now();
    notices::create(&app.core, &Actor::Cli, &draft("全体党员大会通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    received(&app, &users[20], "全体党员大会").await;
    let mark = app.fake.mark();
    app.fake.text(&chatting, "/help");
    // Its own copy of the notice may come too (last of 301); the reply is the help text.
    let reply = app
        .fake
        .wait_for("the help reply", |v| {
            v.outgoing()[mark..]
                .iter()
                .find(|o| o.chat_id == chatting.id && o.text.contains("可用的命令"))
                .cloned()
        })
        .await;
    let backlog = app.core.store.outbox_backlog().await.unwrap();
    assert!(reply.text.contains("可用的命令"));
    assert!(backlog > 100, "the reply came while {backlog} deliveries still waited");

    let mut everyone_there = users.clone();
    everyone_there.push(chatting.clone());
    wait_all(&app, &everyone_there, "全体党员大会", Duration::from_secs(60)).await;
    let took = started.elapsed();
    assert_eq!(app.fake.rate_limited(), 0, "no 429 from Telegram's flood control");
    assert_eq!(app.fake.chat_pace_violations(), 0);
    let got = per_chat(&app, "全体党员大会");
    assert!(got.values().all(|n| *n == 1), "each member exactly once");
    assert_eq!(got.len(), 301, "the chatting member is in the audience too");
    eprintln!("301 deliveries at 25/s took {took:?}");
}

#[tokio::test]
async fn notices_firing_together_reach_each_chat_at_most_once_a_second_and_all_arrive() {
    let app = TestApp::spawn().await;
    let users = app.register_many(3, 60_500, "人社局").await;
    for n in 1..=3 {
        let text = format!("同时发出的通知{n}");
        notices::create(&app.core, &Actor::Cli, &draft(&text, everyone(), Schedule::Now), None)
            .await
            .unwrap();
    }
    for n in 1..=3 {
        wait_all(&app, &users, &format!("同时发出的通知{n}"), Duration::from_secs(30)).await;
    }

    assert_eq!(app.fake.chat_pace_violations(), 0);
    for user in &users {
        let mut times: Vec<_> = app
            .fake
            .calls("sendMessage")
            .into_iter()
            .filter(|c| c.status == 200 && c.params["chat_id"] == user.id)
            .map(|c| c.at)
            .collect();
        times.sort();
        assert_eq!(times.len(), 3, "three notices, each once");
        for pair in times.windows(2) {
            let gap = pair[1].duration_since(pair[0]);
            assert!(gap >= Duration::from_millis(990), "two sends to one chat {gap:?} apart");
        }
    }
}

#[tokio::test]
async fn a_429_pauses_all_sending_for_its_retry_after_and_nothing_is_dropped() {
    let app = TestApp::spawn_with(|c| c.broadcast_rate = 25.0).await;
    let users = app.register_many(20, 61_000, "人社局").await;
    app.fake.fail("sendMessage", None, 1, FaultKind::RetryAfter(2));

    notices::create(&app.core, &Actor::Cli, &draft("限流测试通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    wait_all(&app, &users, "限流测试通知", Duration::from_secs(30)).await;

    let sends = app.fake.calls("sendMessage");
    let refused = sends.iter().find(|c| c.status == 429).expect("the 429 happened");
    let pause_end = refused.at + Duration::from_secs(2);
    let early: Vec<_> = sends.iter().filter(|c| c.at > refused.at && c.at < pause_end).collect();
    assert!(early.is_empty(), "{} sends came before the pause ended", early.len());
    assert!(per_chat(&app, "限流测试通知").values().all(|n| *n == 1));
}

#[tokio::test]
async fn server_errors_are_retried_and_a_delivery_that_keeps_failing_is_marked_failed_with_the_reason() {
    let app = TestApp::spawn_with(|c| c.delivery_give_up = chrono::Duration::seconds(2)).await;
    let (flaky, broken) = (TgUser::new(62_001, "偶尔失败"), TgUser::new(62_002, "一直失败"));
    app.register(&flaky, "人社局", Role::Member).await;
    app.register(&broken, "人社局", Role::Member).await;
    app.fake.fail("sendMessage", Some(flaky.id), 2, FaultKind::ServerError);
    app.fake.fail("sendMessage", Some(broken.id), 10, FaultKind::ServerError);

    let notice = notices::create(&app.core, &Actor::Cli, &draft("重试测试", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    received(&app, &flaky, "重试测试").await;
    eventually("the broken delivery to be given up", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'").await > 0).then_some(())
    })
    .await;

    let report = app.core.store.latest_run_report(notice.id).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, "一直失败");
    assert!(report.failed[0].2.contains("500"), "{:?}", report.failed);
    assert_eq!(report.failed[0].3, sansong::domain::Platform::Telegram, "the platform it failed on");
    let to_broken = app.fake.calls("sendMessage").iter().filter(|c| c.params["chat_id"] == broken.id).count();
    assert_eq!(to_broken, 3, "a bounded number of attempts");
}

#[tokio::test]
async fn a_403_marks_the_member_unreachable_is_not_retried_and_writing_again_clears_it() {
    let app = TestApp::spawn().await;
    let (gone, other) = (TgUser::new(63_001, "屏蔽了机器人"), TgUser::new(63_002, "正常党员"));
    app.register(&gone, "人社局", Role::Member).await;
    app.register(&other, "人社局", Role::Member).await;
    app.fake.fail("sendMessage", Some(gone.id), 1, FaultKind::Blocked);
    let calls_to = |app: &TestApp| {
        app.fake.calls("sendMessage").iter().filter(|c| c.params["chat_id"] == gone.id).count()
    };

    let first = notices::create(&app.core, &Actor::Cli, &draft("第一条", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    received(&app, &other, "第一条").await;
    app.settle().await;
    eventually("the blocked member to be marked unreachable", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM members WHERE unreachable_at IS NOT NULL").await > 0).then_some(())
    })
    .await;
    notices::create(&app.core, &Actor::Cli, &draft("第二条", everyone(), Schedule::Now), None).await.unwrap();
    received(&app, &other, "第二条").await;

    assert_eq!(calls_to(&app), 1, "tried once, then never again");
    let report = app.core.store.latest_run_report(first.id).await.unwrap();
    assert_eq!(
        report.blocked,
        [("屏蔽了机器人".to_owned(), "人社局".to_owned(), sansong::domain::Platform::Telegram)]
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'blocked'").await, 2);

    app.say(&gone, "/help").await;
    notices::create(&app.core, &Actor::Cli, &draft("第三条", everyone(), Schedule::Now), None).await.unwrap();
    received(&app, &gone, "第三条").await;
}

#[tokio::test]
async fn a_photo_from_the_command_line_is_uploaded_once_then_sent_by_its_file_id() {
    let app = TestApp::spawn().await;
    let users = app.register_many(5, 64_000, "人社局").await;
    let poster = app.dir.path().join("海报.jpg");
    std::fs::write(&poster, vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4]).unwrap();

    let (code, _, err) = app
        .cli(&[
            "notice",
            "add",
            "--text",
            "三送活动海报",
            "--photo",
            poster.to_str().unwrap(),
            "--to",
            "all",
            "--now",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    wait_all(&app, &users, "三送活动海报", Duration::from_secs(20)).await;

    let photos: Vec<_> = app.fake.outgoing().into_iter().filter(|o| o.media.is_some()).collect();
    assert_eq!(photos.len(), 5);
    assert_eq!(photos.iter().filter(|o| o.uploaded).count(), 1, "one upload");
    assert!(photos.iter().all(|o| o.media.as_ref().unwrap().1 == "uploaded-photo-1"));
    let kept: Option<String> = sqlx::query_scalar("SELECT media_file_id FROM notices")
        .fetch_one(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("uploaded-photo-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_killed_mid_way_is_finished_after_restart_with_at_most_the_in_flight_sent_twice() {
    let (app, users, mut bot) = broadcast_under_way(65_000, "断电测试通知").await;
    let env = [("SANSONG_BROADCAST_RATE", "50")];
    bot.sigkill();
    let before = per_chat(&app, "断电测试").len();
    assert!(before < 200, "killed mid-way ({before} delivered)");

    let mut bot = Binary::spawn_run_with(&app.fake.url, &app.db_url, &env);
    wait_all(&app, &users, "断电测试", Duration::from_secs(60)).await;
    eventually("no delivery to be left pending", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").await == 0).then_some(())
    })
    .await;
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0));

    let got = per_chat(&app, "断电测试");
    assert_eq!(got.len(), 200, "every member");
    assert!(got.values().all(|n| *n <= 2), "nobody twice over");
    let duplicates: usize = got.values().map(|n| n - 1).sum();
    assert!(duplicates <= 10, "only sends in flight at the kill are repeated ({duplicates})");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await, 200);
}

#[tokio::test]
async fn sigterm_during_a_broadcast_then_a_restart_loses_no_delivery_and_repeats_none() {
    let (app, users, mut bot) = broadcast_under_way(66_000, "重启测试通知").await;
    let env = [("SANSONG_BROADCAST_RATE", "50")];
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0), "a clean stop");
    let before = per_chat(&app, "重启测试").len();
    assert!(before < 200, "stopped mid-way ({before} delivered)");

    let mut bot = Binary::spawn_run_with(&app.fake.url, &app.db_url, &env);
    wait_all(&app, &users, "重启测试", Duration::from_secs(60)).await;
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0));

    let got = per_chat(&app, "重启测试");
    assert_eq!(got.len(), 200, "every member");
    assert!(got.values().all(|n| *n == 1), "a graceful stop finishes its sends: nobody twice");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await, 200);
}

/// 200 members, a notice to all of them, and the real binary (on the real clock) sending it at
/// 50 a second, with at least 40 already out.
async fn broadcast_under_way(first_id: i64, text: &str) -> (TestApp, Vec<TgUser>, Binary) {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let users = app.register_many(200, first_id, "人社局").await;
    app.set_now(chrono::Utc::now());
    notices::create(&app.core, &Actor::Cli, &draft(text, everyone(), Schedule::Now), None).await.unwrap();
    let bot = Binary::spawn_run_with(&app.fake.url, &app.db_url, &[("SANSONG_BROADCAST_RATE", "50")]);
    app.fake
        .wait_for("the broadcast to be under way", |v| {
            (v.outgoing().iter().filter(|o| o.text.contains(text)).count() >= 40).then_some(())
        })
        .await;
    (app, users, bot)
}

#[tokio::test]
async fn in_a_429_storm_no_send_leaves_after_a_429_has_been_answered_until_its_wait_is_over() {
    // The bot believes 25 a second while Telegram allows 10: one 429 after another.
    let app = TestApp::spawn_with(|c| c.broadcast_rate = 25.0).await;
    app.fake.set_rate_limit(Some(10));
    // Each answer takes a while, as over a real network: sends queue for their turn, and a 429
    // is answered well after the request arrived.
    let latency = Duration::from_millis(120);
    app.fake.set_send_delay(latency);
    let users = app.register_many(100, 64_000, "人社局").await;

    notices::create(&app.core, &Actor::Cli, &draft("限流风暴通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    wait_all(&app, &users, "限流风暴通知", Duration::from_secs(60)).await;

    let sends = app.fake.calls("sendMessage");
    let refusals: Vec<_> = sends.iter().filter(|c| c.status == 429).collect();
    assert!(!refusals.is_empty(), "the storm happened");
    // Sends already on their way when the 429 was answered (they arrive before the answer, or
    // a moment after it) may land; anything later left after the bot knew, inside the wait.
    // "A moment": a send checked and handed to the HTTP client just before the answer came
    // can reach the fake some milliseconds later on a loaded machine (once 10.6 ms, during
    // a fresh clone's first run). The bug this guards against sent one pacing interval
    // (40 ms) after the answer, well beyond it.
    let in_flight = Duration::from_millis(25);
    let inside: Vec<Duration> = refusals
        .iter()
        .map(|r| r.at + latency)
        .flat_map(|answered| {
            sends
                .iter()
                .filter(move |c| c.at > answered + in_flight && c.at < answered + Duration::from_secs(1))
                .map(move |c| c.at - answered)
        })
        .collect();
    assert!(inside.is_empty(), "{} sends inside a retry_after window, at {inside:?}", inside.len());
    assert!(per_chat(&app, "限流风暴通知").values().all(|n| *n == 1), "each member once");
}

/// A 300-member broadcast that starts inside an outage of every Bot API call (time
/// compressed: seconds for minutes, the probe every 50 ms instead of seconds).
async fn broadcast_through_an_outage(kind: Outage) {
    let app = TestApp::spawn_with(|c| {
        c.broadcast_rate = 0.0;
        c.outage_probe = Duration::from_millis(50);
        // Longer than the outage: giving up is for a member's own failures, not the platform's.
        c.delivery_give_up = chrono::Duration::seconds(60);
    })
    .await;
    let users = app.register_many(300, 65_000, "人社局").await;
    let outage = Duration::from_secs(4);
    app.fake.outage(outage, kind);

    notices::create(&app.core, &Actor::Cli, &draft("故障期间的通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    // Everyone within a minute of the notice (the outage is 4 s of it): the sender did not
    // back off into minutes while the API was down.
    wait_all(&app, &users, "故障期间的通知", Duration::from_secs(60)).await;

    assert!(per_chat(&app, "故障期间的通知").values().all(|n| *n == 1), "each member exactly once");
    // The last send's answer may still be on its way into the database.
    eventually("every delivery to be recorded as sent", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status <> 'sent'").await == 0).then_some(())
    })
    .await;
    let spent = app.scalar("SELECT COALESCE(MAX(attempts), 0) FROM deliveries").await;
    assert!(spent <= 4, "the outage spent (almost) none of the deliveries' tries: {spent}");
    let calls = app.fake.calls("sendMessage").len();
    assert!(calls < 300 + 50, "sending stopped during the outage instead of trying everyone: {calls} sends");
}

#[tokio::test]
async fn a_broadcast_that_starts_inside_a_run_of_502s_reaches_everyone_once_after_it() {
    broadcast_through_an_outage(Outage::BadGateway).await;
}

#[tokio::test]
async fn a_broadcast_that_starts_while_telegram_does_not_answer_reaches_everyone_once_after_it() {
    broadcast_through_an_outage(Outage::Silent).await;
}

#[tokio::test]
async fn a_broadcast_while_the_token_is_refused_is_held_for_everyone_not_failed_member_by_member() {
    broadcast_through_an_outage(Outage::Unauthorized).await;
}

#[tokio::test]
async fn with_one_in_five_sends_failing_at_random_everyone_is_still_reached() {
    let app = TestApp::spawn_with(|c| c.delivery_give_up = chrono::Duration::seconds(60)).await;
    let users = app.register_many(100, 66_000, "人社局").await;
    // Every fifth send fails, whoever it is for: never a run of failures across members.
    for user in users.iter().step_by(5) {
        app.fake.fail("sendMessage", Some(user.id), 1, FaultKind::ServerError);
    }

    notices::create(&app.core, &Actor::Cli, &draft("偶发故障通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    wait_all(&app, &users, "偶发故障通知", Duration::from_secs(60)).await;

    assert!(per_chat(&app, "偶发故障通知").values().all(|n| *n == 1));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'").await, 0);
}

#[tokio::test]
async fn a_paid_broadcast_carries_allow_paid_broadcast_and_replies_do_not() {
    let app = TestApp::spawn_with(|c| {
        c.broadcast_paid = true;
        c.broadcast_rate = 1000.0;
    })
    .await;
    let users = app.register_many(5, 68_000, "人社局").await;

    notices::create(&app.core, &Actor::Cli, &draft("付费广播通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    wait_all(&app, &users, "付费广播通知", Duration::from_secs(20)).await;
    app.say(&users[0], "/help").await;

    let sends = app.fake.calls("sendMessage");
    let (notices, replies): (Vec<_>, Vec<_>) =
        sends.iter().partition(|c| c.params["text"].as_str().is_some_and(|t| t.contains("付费广播通知")));
    assert_eq!(notices.len(), 5);
    assert!(notices.iter().all(|c| c.params["allow_paid_broadcast"] == true), "{notices:?}");
    assert!(
        replies.iter().all(|c| c.params.get("allow_paid_broadcast").is_none()),
        "a reply is no broadcast"
    );
}

#[tokio::test]
async fn after_an_outage_held_up_a_notice_its_creator_is_told_and_receipts_show_the_delay() {
    let app = TestApp::spawn_with(|c| {
        c.outage_probe = Duration::from_millis(50);
        // Every outage counts here (in production: 5 minutes or more).
        c.outage_notify_minutes = 0;
    })
    .await;
    let organiser = TgUser::new(69_000, "组织员老周");
    let creator = app.register(&organiser, "人社局", Role::Organiser).await;
    let users = app.register_many(6, 69_100, "人社局").await;
    app.fake.outage(Duration::from_secs(2), Outage::BadGateway);

    let own_unit = notices::Audience { units: vec![creator.unit_id], ..Default::default() };
    let notice = notices::create(
        &app.core,
        &Actor::Member(creator),
        &draft("故障中发布的通知", own_unit, Schedule::Now),
        None,
    )
    .await
    .unwrap();
    wait_all(&app, &users, "故障中发布的通知", Duration::from_secs(30)).await;

    let told = received(&app, &organiser, "因 Telegram 故障推迟了约").await;
    assert!(told.text.contains(&format!("通知 #{}「故障中发布的通知」", notice.id)), "{}", told.text);
    assert!(told.text.contains("现已全部送达"), "{}", told.text);
    let receipts = app.say(&organiser, &format!("/receipts {}", notice.id)).await;
    assert!(receipts.text.contains("因 Telegram 故障推迟约"), "{}", receipts.text);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outages WHERE reported = 1 AND ended_at IS NOT NULL").await,
        1
    );
}

/// The platform allows 10 a second while the config says 25: the first 429 teaches the sender
/// the real rate, `/metrics` shows it, and the next notice starts from it and meets no 429.
#[tokio::test]
async fn a_sender_learns_the_real_limit_from_a_429_and_the_next_notice_starts_from_it() {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], crate::support::console::free_port()).into();
    let app = TestApp::spawn_with(move |c| {
        c.broadcast_rate = 25.0;
        c.metrics_addr = Some(addr);
    })
    .await;
    let users = app.register_many(40, 64_000, "人社局").await;
    app.fake.set_rate_limit(Some(10));

    notices::create(&app.core, &Actor::Cli, &draft("第一条限速通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    wait_all(&app, &users, "第一条限速通知", Duration::from_secs(60)).await;
    let refused_first = app.fake.rate_limited();
    let metrics = reqwest::get(format!("http://{addr}/metrics")).await.unwrap().text().await.unwrap();
    let pace: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sansong_send_pace_per_second{platform=\"telegram\"} "))
        .unwrap_or_else(|| panic!("no pace in {metrics}"))
        .parse()
        .unwrap();

    let attempts_before = app.fake.send_attempts().len();
    notices::create(&app.core, &Actor::Cli, &draft("第二条限速通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    wait_all(&app, &users, "第二条限速通知", Duration::from_secs(60)).await;
    let refused_second = app.fake.rate_limited() - refused_first;
    // The second notice's first eleven tries: at the learned ~9.5 a second they span about a
    // second; had it started again from the configured 25 they would span 0.4 s (and the
    // eleventh be refused). Measured where the platform sees them, so a loaded machine can
    // only stretch the span, or shrink it by one late first arrival.
    let second: Vec<_> = app.fake.send_attempts().split_off(attempts_before);
    let span = second[10].duration_since(second[0]);

    assert!(refused_first >= 1, "the platform refused the configured 25 a second");
    assert!(
        (8.0..=10.5).contains(&pace),
        "the learned pace is the platform's 10 a second: {pace}\n{metrics}"
    );
    assert!(
        span >= Duration::from_millis(700),
        "the second notice starts at the learned pace, not the configured 25 a second: \
         its first 11 tries took {span:?}"
    );
    // At 0.95 of the limit, one arrival delayed on a loaded machine may still fall inside
    // the platform's second: one refusal is the platform's jitter, more would be a pace
    // forgotten.
    assert!(refused_second <= 1, "the second notice went at the learned pace: {refused_second} × 429");
    assert!(per_chat(&app, "第二条限速通知").values().all(|n| *n == 1));
}
