//! No update is lost once Telegram has forgotten it: the durable inbox, crashes and restarts.
//! These tests run the real `sansong` binary and kill it.

use std::time::Duration;

use sansong::domain::Role;
use serde_json::json;

use crate::support::{Binary, TestApp, TgUser, eventually_every};

/// How long the binary may take to catch up after a restart, and how often to look: each look
/// is a query on the database it is busy writing.
const CATCH_UP: Duration = Duration::from_secs(90);
const CATCH_UP_POLL: Duration = Duration::from_millis(50);

/// Distinct (chat, check-in number) pairs of the receipts sent so far.
fn receipts(app: &TestApp) -> std::collections::HashSet<(i64, String)> {
    app.fake
        .outgoing()
        .into_iter()
        .filter_map(|o| {
            let number = o.text.strip_prefix("✅ 已登记，编号 #")?.split_whitespace().next()?.to_owned();
            Some((o.chat_id, number))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_checkins_survive_a_sigkill_while_replies_are_going_out() {
    // The in-process bot is only used to prepare the database; the binary does the work.
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let users = app.register_many(30, 20_000, "人社局").await;
    app.fake.set_send_delay(Duration::from_millis(60));
    app.fake.set_now(chrono::Utc::now());

    let mut bot = Binary::spawn_run(&app.fake.url, &app.db_url);
    let mut sent: Vec<(i64, i64)> = Vec::new();
    for round in 0..10 {
        for user in &users {
            let (_, message_id) = app.fake.text(user, &format!("/checkin 送服务 第{round}次上门服务"));
            sent.push((user.id, message_id));
        }
    }
    app.fake
        .wait_for("replies to start going out", |v| {
            (v.outgoing().iter().filter(|o| o.text.contains("✅ 已登记，编号")).count() >= 30).then_some(())
        })
        .await;
    bot.sigkill();

    let receipts_before = receipts(&app).len();
    let forgotten_by_telegram: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbox
             WHERE platform = 'telegram' AND handled_at IS NULL AND CAST(update_key AS INTEGER) < ?",
    )
    .bind(app.fake.confirmed_offset())
    .fetch_one(app.core.store.pool())
    .await
    .unwrap();
    assert!(receipts_before < 300, "killed while replies were still going out ({receipts_before} sent)");
    assert!(
        forgotten_by_telegram > 0,
        "some updates were confirmed to Telegram (so it will not send them again) but not yet handled"
    );

    app.fake.set_send_delay(Duration::ZERO);
    let mut bot = Binary::spawn_run(&app.fake.url, &app.db_url);
    eventually_every("all 300 check-ins", CATCH_UP, CATCH_UP_POLL, || async {
        (app.scalar("SELECT COUNT(*) FROM checkins").await >= 300).then_some(())
    })
    .await;
    app.settle().await;
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0));

    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT source_chat_id, source_message_id FROM checkins")
        .fetch_all(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 300, "each check-in once");
    let mut expected = sent.clone();
    expected.sort();
    let mut got = rows.clone();
    got.sort();
    assert_eq!(got, expected, "exactly the messages that were sent");
    assert_eq!(receipts(&app).len(), 300, "a receipt for every check-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_work_in_hand_exits_0_and_loses_nothing() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let users = app.register_many(5, 21_000, "人社局").await;
    app.fake.set_send_delay(Duration::from_millis(30));
    app.fake.set_now(chrono::Utc::now());

    let mut bot = Binary::spawn_run(&app.fake.url, &app.db_url);
    for round in 0..8 {
        for user in &users {
            app.fake.text(user, &format!("/checkin 送政策 第{round}次宣讲"));
        }
    }
    app.fake.wait_for("a first reply", |v| (!v.outgoing().is_empty()).then_some(())).await;
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0), "a clean exit on SIGTERM");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox WHERE outcome = 'failed'").await, 0);

    let polls = app.fake.calls("getUpdates").len();
    let mut bot = Binary::spawn_run(&app.fake.url, &app.db_url);
    app.fake
        .wait_for("the restarted bot to poll", |v| (v.calls("getUpdates").len() > polls).then_some(()))
        .await;
    eventually_every("all 40 check-ins", CATCH_UP, CATCH_UP_POLL, || async {
        (app.scalar("SELECT COUNT(*) FROM checkins").await >= 40).then_some(())
    })
    .await;
    app.settle().await;
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_the_bot_cleanly_too() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let polls = app.fake.calls("getUpdates").len();
    let mut bot = Binary::spawn_run(&app.fake.url, &app.db_url);
    app.fake.wait_for("the bot to poll", |v| (v.calls("getUpdates").len() > polls).then_some(())).await;
    bot.signal("INT");
    assert_eq!(bot.wait_exit().await, Some(0));
}

#[tokio::test]
async fn updates_stored_in_the_inbox_before_a_crash_are_handled_on_start() {
    let mut app = TestApp::spawn().await;
    let user = TgUser::new(22_000, "张三");
    app.register(&user, "人社局", Role::Member).await;
    app.stop().await;
    // As if the bot had stored these and crashed before handling them: Telegram has already
    // forgotten them, so only the inbox knows.
    let mut stored = Vec::new();
    for (update_id, text) in [(777_001, "/checkin 送政策 崩溃前收到的一条"), (777_002, "/week")] {
        let (mut body, _) = app.fake.text_update(&user, text, None);
        body["update_id"] = json!(update_id);
        stored.push((update_id.to_string(), body.to_string()));
    }
    app.core.store.inbox_put(sansong::domain::Platform::Telegram, &stored, app.clock_now()).await.unwrap();

    app.start().await;
    let week = app
        .fake
        .wait_for("the replayed /week", |v| v.outgoing().iter().find(|o| o.text.contains("本周 ·")).cloned())
        .await;

    assert!(week.text.contains("崩溃前收到的一条"), "{}", week.text);
    app.settle().await;
    assert_eq!(app.checkins_of(&user).await.len(), 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL").await, 0);
}

#[tokio::test]
async fn an_update_is_not_confirmed_to_telegram_until_its_inbox_row_is_stored() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(22_001, "李四");
    app.register(&user, "人社局", Role::Member).await;
    // The disk refuses every inbox write for now.
    sqlx::query(
        "CREATE TRIGGER refuse_inbox BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(app.core.store.pool())
    .await
    .unwrap();
    let (update_id, _) = app.fake.text(&user, "/checkin 送政策 存不进去也不能丢");
    eventually_every(
        "the bot to fetch the update",
        Duration::from_secs(20),
        Duration::from_millis(10),
        || std::future::ready((app.fake.delivered_up_to() >= update_id).then_some(())),
    )
    .await;

    // Were the update confirmed before it is stored, the next getUpdates would carry a higher
    // offset at once; the poller instead keeps retrying the write. Watch it for a few retries.
    let watch_until = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < watch_until {
        assert!(app.fake.confirmed_offset() <= update_id, "confirmed before it was stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.fake.unconfirmed(), 1, "Telegram still holds it");

    sqlx::query("DROP TRIGGER refuse_inbox").execute(app.core.store.pool()).await.unwrap();
    let receipt = app.fake.next_to(user.id, 0).await;
    app.settle().await;

    assert!(receipt.text.contains("✅ 已登记"), "{}", receipt.text);
    assert!(app.fake.confirmed_offset() > update_id);
    assert_eq!(app.checkins_of(&user).await.len(), 1);
}
