//! Bad, odd and unparseable input: a short polite Chinese reply, no panic, nothing half-written.

use sansong::domain::Role;
use serde_json::json;

use crate::support::{TestApp, TgUser, is_polite_chinese};

#[tokio::test]
async fn bad_input_gets_a_short_polite_chinese_reply_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_001, "张三");
    app.register(&user, "人社局", Role::Member).await;
    let long = format!("/checkin 送政策 {}", "很长的内容".repeat(500));
    let texts = [
        "/checkin 开会 学习文件",
        "/checkin 送政策",
        "/checkin #",
        "/checkin 送政策 @不存在的站点 宣讲",
        long.as_str(),
        "/frobnicate",
        "你好",
        "🙂🙂🙂",
        "\u{202e}\u{200b}\u{0}",
        "/week 2026-W60",
        "/week 明年",
        "/undo 所有",
        "/undo 999999",
        "/cancel",
        "/members",
        "/invite",
    ];
    for text in texts {
        let reply = app.say(&user, text).await;
        assert!(is_polite_chinese(&reply.text), "{text:?} → {:?}", reply.text);
    }
    let sends: [fn(&TestApp, &TgUser) -> i64; 4] = [
        |app: &TestApp, u: &TgUser| app.fake.sticker(u),
        |app: &TestApp, u: &TgUser| app.fake.photo(u, "photo-x", None).0,
        |app: &TestApp, u: &TgUser| app.fake.photo(u, "photo-y", Some("风景不错")).0,
        |app: &TestApp, u: &TgUser| app.fake.location(u, 29.48, 113.45),
    ];
    for send in sends {
        let mark = app.fake.mark();
        send(&app, &user);
        let reply = app.fake.next_to(user.id, mark).await;
        assert!(is_polite_chinese(&reply.text), "{:?}", reply.text);
    }

    app.settle().await;
    assert_eq!(app.fake.outgoing_to(user.id).len(), texts.len() + 4, "one reply each");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 0, "nothing half-written");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox WHERE outcome <> 'ok'").await, 0);
}

#[tokio::test]
async fn input_of_any_length_and_any_unicode_is_answered_and_stored_as_written() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_002, "李四");
    app.register(&user, "人社局", Role::Member).await;
    let odd = "送温暖 👨‍👩‍👧‍👦 ÀÉÎ 𠀀𪚥 عربى \u{200d}\u{fe0f} <b>&amp;</b> 'quote\" \\ 服务3人";

    let receipt = app.say(&user, &format!("/checkin {odd}")).await;
    assert!(receipt.text.contains("✅ 已登记"), "{}", receipt.text);
    let stored = app.checkins_of(&user).await[0].2.clone();
    assert_eq!(stored, odd.strip_prefix("送温暖 ").unwrap());

    // The longest message Telegram delivers, made of 4-byte characters.
    let huge = format!("/checkin 送政策 {}", "𠀀".repeat(4000));
    let reply = app.say(&user, &huge).await;
    assert!(reply.text.contains("超过了 2000 字的上限"), "{}", reply.text);
    let week = app.say(&user, "/week").await;
    assert!(week.text.contains("<b>&amp;</b>"), "shown as typed, not as markup: {}", week.text);
}

#[tokio::test]
async fn an_update_the_bot_cannot_parse_is_logged_and_skipped_and_the_next_is_handled() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_003, "王五");
    app.register(&user, "人社局", Role::Member).await;

    let future_kind = app.fake.push(json!({"some_future_update": {"id": 1, "what": "?"}}));
    let broken_message = app.fake.push(json!({"message": {"message_id": "not a number", "chat": 5}}));
    let reply = app.say(&user, "/help").await;

    assert!(reply.text.contains("可用的命令"));
    app.settle().await;
    for id in [future_kind, broken_message] {
        let outcome: String =
            sqlx::query_scalar("SELECT outcome FROM inbox WHERE platform = 'telegram' AND update_key = ?")
                .bind(id.to_string())
                .fetch_one(app.core.store.pool())
                .await
                .unwrap();
        assert_eq!(outcome, "skipped");
    }
}

#[tokio::test]
async fn a_reply_telegram_refuses_with_429_is_sent_after_the_wait() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_004, "赵六");
    app.register(&user, "人社局", Role::Member).await;
    app.fake.fail("sendMessage", Some(user.id), 1, crate::support::FaultKind::RetryAfter(1));

    let reply = app.say(&user, "/checkin 送政策 宣讲").await;

    assert!(reply.text.contains("✅ 已登记"));
    let sends = app.fake.calls("sendMessage");
    assert_eq!(sends.len(), 2, "one refused, one delivered");
    assert!(sends[1].at.duration_since(sends[0].at) >= std::time::Duration::from_millis(950));
}

#[tokio::test]
async fn a_member_who_blocked_the_bot_does_not_stop_others_being_answered() {
    let app = TestApp::spawn().await;
    let (blocker, other) = (TgUser::new(10_005, "孙七"), TgUser::new(10_006, "周八"));
    app.register(&blocker, "人社局", Role::Member).await;
    app.register(&other, "人社局", Role::Member).await;
    app.fake.fail("sendMessage", Some(blocker.id), 5, crate::support::FaultKind::Blocked);

    app.fake.text(&blocker, "/checkin 送政策 宣讲");
    let reply = app.say(&other, "/help").await;

    assert!(reply.text.contains("可用的命令"));
    app.settle().await;
    let to_blocker =
        app.fake.calls("sendMessage").iter().filter(|c| c.params["chat_id"] == blocker.id).count();
    assert_eq!(to_blocker, 1, "a 403 is not retried");
    assert_eq!(app.checkins_of(&blocker).await.len(), 1, "the check-in itself is kept");
}

#[tokio::test]
async fn an_internal_failure_is_apologised_for_and_recorded_without_stopping_the_bot() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_007, "吴九");
    app.register(&user, "人社局", Role::Member).await;
    sqlx::query("DROP TABLE dialogues").execute(app.core.store.pool()).await.unwrap();

    let (update_id, _) = app.fake.text(&user, "/checkin");
    let reply = app.fake.next_to(user.id, 0).await;
    assert!(reply.text.contains("抱歉，系统出了点问题"), "{}", reply.text);
    assert!(!reply.text.contains("dialogues"), "no internals shown: {}", reply.text);

    let after = app.say(&user, "/checkin 送政策 一行登记不需要对话表").await;
    assert!(after.text.contains("✅ 已登记"), "{}", after.text);
    app.settle().await;
    let outcome: (String, String) =
        sqlx::query_as("SELECT outcome, error FROM inbox WHERE platform = 'telegram' AND update_key = ?")
            .bind(update_id.to_string())
            .fetch_one(app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(outcome.0, "failed");
    assert!(outcome.1.contains("dialogues"), "{}", outcome.1);
}

#[tokio::test]
async fn a_reply_that_meets_a_server_error_is_sent_again() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_008, "郑十");
    app.register(&user, "人社局", Role::Member).await;
    app.fake.fail("sendMessage", Some(user.id), 1, crate::support::FaultKind::ServerError);

    let reply = app.say(&user, "/checkin 送服务 上门服务").await;

    assert!(reply.text.contains("✅ 已登记"), "{}", reply.text);
    let calls = app.fake.calls("sendMessage");
    assert_eq!(calls.len(), 2);
    // Replies go through the bot's own Bot API client, which sees the 5xx at once and tries
    // again after half a second; teloxide's request methods sleep ten seconds inside any 5xx.
    let gap = calls[1].at.duration_since(calls[0].at);
    assert!(gap < std::time::Duration::from_secs(5), "tried again after {gap:?}");
    assert_eq!(app.checkins_of(&user).await.len(), 1);
}

#[tokio::test]
async fn a_command_addressed_to_another_bot_in_a_private_chat_is_still_answered() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(10_009, "冯一");
    app.register(&user, "人社局", Role::Member).await;
    let reply = app.say(&user, "/help@some_other_bot").await;
    assert!(reply.text.contains("可用的命令"), "{}", reply.text);
}

#[tokio::test]
async fn beyond_the_hard_cap_messages_are_dropped_counted_across_a_restart_and_told_once() {
    let mut app = crate::support::TestApp::spawn_with(|c| c.flood_cap = 25).await;
    let flooder = crate::support::TgUser::new(75_100, "刷屏者");
    app.register(&flooder, "人社局", sansong::domain::Role::Member).await;

    for i in 0..30 {
        app.fake.text(&flooder, &format!("/checkin 送服务 第{i}条"));
    }
    crate::support::eventually("25 to be recorded", std::time::Duration::from_secs(40), || async {
        (app.checkins_of(&flooder).await.len() == 25).then_some(())
    })
    .await;
    app.settle().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox WHERE outcome = 'discarded'").await, 5);

    // The counts are in the inbox: after a restart, one more within the ten minutes is over too.
    app.restart().await;
    app.fake.text(&flooder, "/checkin 送服务 重启后");
    app.settle().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox WHERE outcome = 'discarded'").await, 6);
    assert_eq!(app.checkins_of(&flooder).await.len(), 25);

    // Eleven minutes on, the next message is handled, after one note of how many were not.
    let later = crate::support::beijing(2026, 11, 25, 10, 11) + chrono::Duration::minutes(1);
    app.set_now(later);
    let mark = app.fake.mark();
    app.fake.text(&flooder, "/week");
    app.settle().await;
    let replies: Vec<String> = app.fake.outgoing()[mark..].iter().map(|o| o.text.clone()).collect();
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert!(replies[0].contains("之前有 6 条消息超出上限（10 分钟 25 条）没有处理"), "{replies:?}");
    assert!(replies[1].contains("本周"), "{replies:?}");
}

#[tokio::test]
async fn a_receipt_telegram_cannot_take_is_kept_and_sent_when_it_can_marked_as_late() {
    let app = crate::support::TestApp::spawn().await;
    let user = crate::support::TgUser::new(76_000, "张三");
    app.register(&user, "人社局", sansong::domain::Role::Member).await;
    // More 5xx answers than the reply's own tries: it is kept, then sent by the replies job.
    app.fake.fail("sendMessage", Some(user.id), 3, crate::support::FaultKind::ServerError);
    let mark = app.fake.mark();

    app.fake.text(&user, "/checkin 送服务 帮独居老人买药");
    let late = crate::support::eventually("the kept receipt", std::time::Duration::from_secs(30), || async {
        app.fake.outgoing()[mark..]
            .iter()
            .find(|o| o.chat_id == user.id && o.text.contains("已登记"))
            .cloned()
    })
    .await;

    assert!(late.text.starts_with("【补发】✅ 已登记"), "{}", late.text);
    assert_eq!(app.checkins_of(&user).await.len(), 1);
    // Recorded as sent just after Telegram answers, so the fake may have it first.
    crate::support::eventually(
        "the kept reply to be marked sent",
        std::time::Duration::from_secs(10),
        || async {
            (app.scalar("SELECT COUNT(*) FROM reply_outbox WHERE status = 'sent'").await == 1).then_some(())
        },
    )
    .await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reply_outbox").await, 1, "kept once");
}

#[tokio::test]
async fn a_kept_reply_is_dropped_once_it_is_older_than_reply_give_up_minutes() {
    let app = crate::support::TestApp::spawn().await;
    let user = crate::support::TgUser::new(76_100, "李四");
    app.register(&user, "人社局", sansong::domain::Role::Member).await;
    app.fake.fail("sendMessage", Some(user.id), 1_000, crate::support::FaultKind::ServerError);

    app.fake.text(&user, "/week");
    crate::support::eventually("the reply to be kept", std::time::Duration::from_secs(60), || async {
        (app.scalar("SELECT COUNT(*) FROM reply_outbox WHERE status = 'pending'").await == 1).then_some(())
    })
    .await;
    // Two hours on (the limit is 60 minutes): not sent late, dropped.
    app.set_now(app.clock_now() + chrono::Duration::hours(2));

    crate::support::eventually(
        "the kept reply to be dropped",
        std::time::Duration::from_secs(60),
        || async {
            (app.scalar("SELECT COUNT(*) FROM reply_outbox WHERE status = 'dropped'").await == 1)
                .then_some(())
        },
    )
    .await;
    assert!(app.fake.outgoing().iter().all(|o| o.chat_id != user.id || !o.text.contains("本周")));
}
