//! Checking in by one line and by photo; receipts; duplicates; groups; undo.

use chrono::Duration;
use sansong::checkins::kinds::KindDef;
use sansong::domain::Role;
use serde_json::json;

use crate::support::{TestApp, TgUser, default_now};

#[tokio::test]
async fn a_one_line_checkin_is_recorded_at_the_units_site_and_answered_with_a_receipt() {
    let app = TestApp::spawn().await;
    let zhang = TgUser::new(6001, "张三");
    app.register(&zhang, "人社局", Role::Member).await;

    let receipt = app.say(&zhang, "/checkin 送政策 为新球社区居民宣讲社保政策").await;

    let (id, kind, description) = app.checkins_of(&zhang).await.pop().expect("recorded");
    assert_eq!((kind.as_str(), description.as_str()), ("policy", "为新球社区居民宣讲社保政策"));
    assert!(receipt.text.contains(&format!("编号 #{id}")), "{}", receipt.text);
    assert!(receipt.text.contains("类型：送政策"), "{}", receipt.text);
    assert!(receipt.text.contains("站点：五里牌街道新球社区"), "{}", receipt.text);
    assert!(receipt.text.contains("2026年第48周您已登记 1 次"), "{}", receipt.text);
    let (site, sent_at): (String, i64) = sqlx::query_as(
        "SELECT s.name, c.sent_at FROM checkins c JOIN sites s ON s.id = c.site_id WHERE c.id = ?",
    )
    .bind(id)
    .fetch_one(app.core.store.pool())
    .await
    .unwrap();
    assert_eq!(site, "五里牌街道新球社区");
    assert_eq!(sent_at, default_now().timestamp(), "counted at the message's own date");
}

#[tokio::test]
async fn kinds_are_accepted_in_short_traditional_and_english_forms() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6002, "李四");
    app.register(&user, "人社局", Role::Member).await;

    let lines = [
        ("/checkin 政策 讲解就业帮扶政策", "policy"),
        ("/checkin 送服務 幫助辦理社保卡", "service"),
        ("/checkin 送溫暖 看望殘疾戶", "warmth"),
        ("/checkin policy explained pension rules", "policy"),
        ("/checkin 服务 打扫卫生", "service"),
        ("/checkin Warmth 慰问困难群众", "warmth"),
    ];
    for (n, (line, _)) in lines.iter().enumerate() {
        let receipt = app.say(&user, line).await;
        assert!(receipt.text.contains(&format!("您已登记 {} 次", n + 1)), "{line}: {}", receipt.text);
    }

    let kinds: Vec<String> = app.checkins_of(&user).await.into_iter().map(|c| c.1).collect();
    assert_eq!(kinds, lines.iter().map(|l| l.1).collect::<Vec<_>>());
    let stored = app.checkins_of(&user).await[1].2.clone();
    assert_eq!(stored, "幫助辦理社保卡", "the description is kept as written");
}

#[tokio::test]
async fn at_picks_another_site_of_the_unit_and_n_ren_records_people_served() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6003, "王五");
    app.register(&user, "贸促会", Role::Member).await;

    let receipt = app.say(&user, "/checkin 送服务 @广东临湘商会 召开乡友座谈会，服务30人").await;
    assert!(receipt.text.contains("站点：广东临湘商会"), "{}", receipt.text);
    assert!(receipt.text.contains("服务人数：30 人"), "{}", receipt.text);
    let default = app.say(&user, "/checkin 送政策 宣讲湘商回归政策").await;
    assert!(default.text.contains("站点：长沙临湘商会"), "the unit's default: {}", default.text);

    let refused = app.say(&user, "/checkin 送政策 @北京商会 宣讲").await;
    assert!(refused.text.contains("没有名为「北京商会」"), "{}", refused.text);
    assert!(
        refused.text.contains("广东临湘商会") && refused.text.contains("武汉岳阳企业商会"),
        "{}",
        refused.text
    );

    let people: Vec<Option<i64>> = sqlx::query_scalar("SELECT people_served FROM checkins ORDER BY id")
        .fetch_all(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(people, vec![Some(30), None], "the refused one wrote nothing");
}

#[tokio::test]
async fn a_photo_whose_caption_starts_with_a_kind_is_a_checkin_keeping_the_photo() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6004, "赵六");
    app.register(&user, "应急管理局", Role::Member).await;

    for (file_id, caption) in [("photo-a", "#送温暖 看望五保户"), ("photo-b", "送服务 修缮产业路，服务12人")]
    {
        let mark = app.fake.mark();
        app.fake.photo(&user, file_id, Some(caption));
        let receipt = app.fake.next_to(user.id, mark).await;
        assert!(receipt.text.contains("照片：已保存"), "{}", receipt.text);
        assert!(receipt.text.contains("站点：桃林镇治水村"), "{}", receipt.text);
    }

    let photos: Vec<String> = sqlx::query_scalar("SELECT photo_file_id FROM checkins ORDER BY id")
        .fetch_all(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(photos, ["photo-a", "photo-b"], "the full-size file_id is kept");
}

#[tokio::test]
async fn the_same_update_delivered_twice_creates_one_checkin() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6005, "孙七");
    app.register(&user, "人社局", Role::Member).await;
    let (body, _) = app.fake.text_update(&user, "/checkin 送温暖 看望五保户", None);
    let mark = app.fake.mark();
    let update_id = app.fake.push(body.clone());
    app.fake.next_to(user.id, mark).await;
    app.settle().await;

    // Telegram redelivers the very same update (same update_id) after a crash.
    let mut redelivered = body;
    redelivered["update_id"] = json!(update_id);
    app.fake.push_raw(redelivered);
    app.settle().await;
    let sentinel = app.say(&user, "/help").await;

    assert!(sentinel.text.contains("可用的命令"));
    assert_eq!(app.checkins_of(&user).await.len(), 1);
    let receipts = app.fake.outgoing_to(user.id).iter().filter(|o| o.text.contains("已登记")).count();
    assert_eq!(receipts, 1, "the redelivered update is not handled again");
}

#[tokio::test]
async fn the_same_message_in_a_new_update_creates_one_checkin_and_the_same_receipt() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6006, "周八");
    app.register(&user, "人社局", Role::Member).await;
    let (body, _) = app.fake.text_update(&user, "/checkin 送政策 宣讲就业政策", None);
    let mark = app.fake.mark();
    app.fake.push(body.clone());
    let first = app.fake.next_to(user.id, mark).await;

    let mark = app.fake.mark();
    app.fake.push(body);
    let second = app.fake.next_to(user.id, mark).await;

    assert!(first.text.contains("✅ 已登记"), "{}", first.text);
    assert_eq!(second.text, first.text, "the member sent it once: the same receipt, the same number");
    assert_eq!(app.checkins_of(&user).await.len(), 1);
}

#[tokio::test]
async fn checkins_in_a_group_are_refused_with_a_pointer_to_a_private_chat() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6007, "吴九");
    app.register(&user, "人社局", Role::Member).await;
    let group = -100_555;

    let mark = app.fake.mark();
    app.fake.group_text(&user, group, "/checkin 送政策 在群里登记");
    let reply = app.fake.next_to(group, mark).await;
    assert!(reply.text.contains("私聊"), "{}", reply.text);
    assert!(reply.text.contains("https://t.me/sansong_test_bot"), "{}", reply.text);

    let mark = app.fake.mark();
    app.fake.group_photo(&user, group, "photo-in-group", "#送温暖 看望五保户");
    let reply = app.fake.next_to(group, mark).await;
    assert!(reply.text.contains("私聊"), "a photo check-in in a group too: {}", reply.text);

    // Ordinary group chatter gets no answer at all.
    app.fake.group_text(&user, group, "大家辛苦了");
    app.fake.group_text(&user, group, "/help@some_other_bot");
    app.settle().await;
    assert_eq!(app.fake.outgoing_to(group).len(), 2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 0);
}

#[tokio::test]
async fn undo_marks_the_members_latest_checkin_deleted_but_keeps_the_row() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6008, "郑十");
    app.register(&user, "人社局", Role::Member).await;
    app.say(&user, "/checkin 送政策 第一次").await;
    app.say(&user, "/checkin 送服务 第二次").await;
    let second = app.checkins_of(&user).await[1].0;

    let reply = app.say(&user, "/undo").await;

    assert!(reply.text.contains(&format!("已撤销 #{second}")), "{}", reply.text);
    assert_eq!(app.checkins_of(&user).await.len(), 1, "no longer counted");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 2, "kept in the database");
    let week = app.say(&user, "/week").await;
    assert!(week.text.contains("共 1 次") && !week.text.contains("第二次"), "{}", week.text);
}

#[tokio::test]
async fn a_member_cannot_undo_another_members_checkin() {
    let app = TestApp::spawn().await;
    let (a, b) = (TgUser::new(6009, "甲"), TgUser::new(6010, "乙"));
    app.register(&a, "人社局", Role::Member).await;
    app.register(&b, "人社局", Role::Member).await;
    app.say(&a, "/checkin 送温暖 看望").await;
    let id = app.checkins_of(&a).await[0].0;

    let reply = app.say(&b, &format!("/undo {id}")).await;
    let missing = app.say(&b, "/undo 999999").await;

    assert!(reply.text.contains(&format!("没有找到您编号为 #{id} 的登记")), "{}", reply.text);
    assert_eq!(
        reply.text.replace(&id.to_string(), "N"),
        missing.text.replace("999999", "N"),
        "someone else's check-in and a missing one get the same answer"
    );
    assert_eq!(app.checkins_of(&a).await.len(), 1);
    let nothing = app.say(&b, "/undo").await;
    assert!(nothing.text.contains("没有可以撤销的登记"), "{}", nothing.text);
    assert_eq!(app.checkins_of(&a).await.len(), 1);
}

#[tokio::test]
async fn undo_after_the_24_hour_window_is_refused() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6011, "钱一");
    app.register(&user, "人社局", Role::Member).await;
    app.say(&user, "/checkin 送政策 宣讲").await;
    app.set_now(app.clock_now() + Duration::hours(25));

    let reply = app.say(&user, "/undo").await;

    assert!(reply.text.contains("已超过 24 小时"), "{}", reply.text);
    assert_eq!(app.checkins_of(&user).await.len(), 1);
}

#[tokio::test]
async fn an_undo_handled_twice_deletes_only_one_checkin() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6012, "陈二");
    app.register(&user, "人社局", Role::Member).await;
    app.say(&user, "/checkin 送政策 第一次").await;
    app.say(&user, "/checkin 送政策 第二次").await;
    let (undo, _) = app.fake.text_update(&user, "/undo", None);

    for _ in 0..2 {
        let mark = app.fake.mark();
        app.fake.push(undo.clone());
        let reply = app.fake.next_to(user.id, mark).await;
        assert!(reply.text.contains("已撤销"), "{}", reply.text);
    }

    let left = app.checkins_of(&user).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].2, "第一次");
}

#[tokio::test]
async fn an_album_with_a_caption_is_one_checkin_and_one_reply() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(6013, "冯一");
    app.register(&user, "人社局", Role::Member).await;

    app.fake.album_photo(&user, "album-1", Some("#送温暖 为五保户打扫卫生"), "g1");
    app.fake.album_photo(&user, "album-2", None, "g1");
    app.fake.album_photo(&user, "album-3", None, "g1");
    // An album without any caption gets one hint, not one per photo.
    app.fake.album_photo(&user, "album-4", None, "g2");
    app.fake.album_photo(&user, "album-5", None, "g2");
    app.settle().await;

    let replies: Vec<String> = app.fake.outgoing_to(user.id).into_iter().map(|o| o.text).collect();
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert!(replies[0].contains("✅ 已登记"), "{}", replies[0]);
    assert!(replies[1].contains("照片说明"), "{}", replies[1]);
    assert_eq!(app.checkins_of(&user).await.len(), 1);
}

#[tokio::test]
async fn the_kinds_are_configurable_so_another_campaign_can_use_the_bot() {
    let app = TestApp::spawn_with(|config| {
        config.kinds = sansong::checkins::kinds::Kinds::new(vec![
            KindDef::new("study", "送学习", &["学习", "study"]),
            KindDef::new("warmth", "送温暖", &["温暖"]),
        ])
        .unwrap();
    })
    .await;
    let user = TgUser::new(6014, "褚二");
    app.register(&user, "人社局", Role::Member).await;

    let receipt = app.say(&user, "/checkin 送学习 组织学习党章").await;
    let refused = app.say(&user, "/checkin 送政策 宣讲").await;
    let wizard = app.say(&user, "/checkin").await;
    app.say(&user, "/cancel").await;
    let week = app.say(&user, "/week").await;

    assert!(receipt.text.contains("类型：送学习"), "{}", receipt.text);
    assert!(refused.text.contains("请以 送学习、送温暖 开头"), "{}", refused.text);
    assert_eq!(wizard.labels(), ["送学习", "送温暖", "取消"]);
    assert!(week.text.contains("送学习 1 · 送温暖 0"), "{}", week.text);
    assert_eq!(app.checkins_of(&user).await[0].1, "study");
}
