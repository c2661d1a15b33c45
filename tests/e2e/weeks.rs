//! A member's own week (`/week`), ISO weeks in Beijing time.

use sansong::domain::Role;

use crate::support::{TestApp, TgUser, beijing};

#[tokio::test]
async fn week_shows_this_weeks_checkins_by_kind_and_lists_them() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(8001, "张三");
    app.register(&user, "人社局", Role::Member).await;
    app.say(&user, "/checkin 送政策 宣讲社会保障政策").await;
    app.say(&user, "/checkin 送温暖 为五保户打扫卫生，服务12人").await;
    app.say(&user, "/checkin 政策 解读就业帮扶政策").await;

    let week = app.say(&user, "/week").await;

    assert!(week.text.contains("本周 · 2026年第48周（11月23日—11月29日）"), "{}", week.text);
    assert!(week.text.contains("共 3 次：送政策 2 · 送服务 0 · 送温暖 1"), "{}", week.text);
    assert!(week.text.contains("服务群众 12 人"), "{}", week.text);
    for d in ["宣讲社会保障政策", "为五保户打扫卫生", "解读就业帮扶政策"] {
        assert!(week.text.contains(d), "{d} listed: {}", week.text);
    }
    assert!(week.text.contains("11月25日 周三 10:00"), "times in Beijing: {}", week.text);
}

#[tokio::test]
async fn week_last_and_a_named_week_show_other_weeks() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(8002, "李四");
    app.register(&user, "人社局", Role::Member).await;
    let mark = app.fake.mark();
    app.fake.text_at(&user, "/checkin 送服务 上周的服务", Some(beijing(2026, 11, 18, 15, 30)));
    app.fake.next_to(user.id, mark).await;

    let this_week = app.say(&user, "/week").await;
    let last = app.say(&user, "/week last").await;
    let named = app.say(&user, "/week 2026-W47").await;
    let by_date = app.say(&user, "/week 2026-11-20").await;
    let earlier = app.say(&user, "/week 2026-W46").await;

    assert!(this_week.text.contains("这一周没有登记活动"), "{}", this_week.text);
    for reply in [&last, &named, &by_date] {
        assert!(reply.text.contains("2026年第47周（11月16日—11月22日）"), "{}", reply.text);
        assert!(reply.text.contains("上周的服务") && reply.text.contains("共 1 次"), "{}", reply.text);
    }
    assert!(earlier.text.contains("这一周没有登记活动"), "{}", earlier.text);
}

#[tokio::test]
async fn a_checkin_sent_sunday_2359_beijing_and_handled_after_midnight_counts_in_sundays_week() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(8003, "王五");
    app.register(&user, "人社局", Role::Member).await;
    // The bot gets to it at Monday 00:01, after the week turned.
    app.set_now(beijing(2026, 11, 30, 0, 1));
    let sent = beijing(2026, 11, 29, 23, 59);

    let mark = app.fake.mark();
    app.fake.text_at(&user, "/checkin 送温暖 周日晚上看望独居老人", Some(sent));
    let receipt = app.fake.next_to(user.id, mark).await;

    assert!(receipt.text.contains("2026年第48周您已登记 1 次"), "{}", receipt.text);
    assert!(receipt.text.contains("11月29日 周日 23:59"), "{}", receipt.text);
    let stored = app.scalar("SELECT sent_at FROM checkins").await;
    assert_eq!(stored, sent.timestamp());
    let now = app.say(&user, "/week").await;
    assert!(now.text.contains("第49周") && now.text.contains("这一周没有登记活动"), "{}", now.text);
    let last = app.say(&user, "/week last").await;
    assert!(last.text.contains("第48周") && last.text.contains("周日晚上看望独居老人"), "{}", last.text);
}

#[tokio::test]
async fn monday_0000_beijing_is_already_the_new_week() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(8004, "赵六");
    app.register(&user, "人社局", Role::Member).await;
    app.set_now(beijing(2026, 11, 30, 0, 5));
    let mark = app.fake.mark();
    app.fake.text_at(&user, "/checkin 送政策 新一周", Some(beijing(2026, 11, 30, 0, 0)));
    let receipt = app.fake.next_to(user.id, mark).await;
    assert!(receipt.text.contains("2026年第49周您已登记 1 次"), "{}", receipt.text);
}

#[tokio::test]
async fn a_member_sees_only_their_own_checkins_in_their_week() {
    let app = TestApp::spawn().await;
    let (a, b) = (TgUser::new(8005, "甲"), TgUser::new(8006, "乙"));
    app.register(&a, "人社局", Role::Member).await;
    app.register(&b, "人社局", Role::Member).await;
    app.say(&a, "/checkin 送政策 甲的宣讲").await;

    let week_b = app.say(&b, "/week").await;

    assert!(!week_b.text.contains("甲的宣讲"), "{}", week_b.text);
    assert!(week_b.text.contains("这一周没有登记活动"), "{}", week_b.text);
}

#[tokio::test]
async fn a_week_that_does_not_exist_is_refused_politely() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(8007, "孙七");
    app.register(&user, "人社局", Role::Member).await;
    let reply = app.say(&user, "/week 2025-W53").await;
    assert!(reply.text.contains("2025 年只有 52 周"), "{}", reply.text);
    let reply = app.say(&user, "/week soon").await;
    assert!(reply.text.contains("本周、上周、我的登记 2026-W47"), "{}", reply.text);
}
