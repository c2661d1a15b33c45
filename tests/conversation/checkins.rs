//! Checking in by one line and by photo; receipts; `/week`; `/undo`.

use chrono::Duration;

use crate::support::{
    Content, Conversation, Reply, Role, User, is_polite_chinese, number_after_hash, text, texts,
};

#[tokio::test]
async fn a_member_checks_in_with_one_line_and_gets_a_receipt_with_its_number() {
    let c = Conversation::start().await;
    let zhang = User::new(6001, "张三");
    c.register(&zhang, "人社局", Role::Member).await;

    let receipt = c.say(&zhang, "/checkin 送政策 为社区居民宣讲社保政策").await;

    let [Reply::Send { text: shown, keyboard: None }] = receipt.as_slice() else { panic!("{receipt:#?}") };
    let (id, kind, description) = c.checkins_of(&zhang).await.pop().expect("recorded");
    assert_eq!((kind.as_str(), description.as_str()), ("policy", "为社区居民宣讲社保政策"));
    assert!(shown.starts_with(&format!("✅ 已登记，编号 #{id}\n")), "{shown}");
    assert!(shown.contains("类型：送政策\n站点：五里牌街道新球社区\n时间：11月25日 周三 10:0"), "{shown}");
    assert!(shown.contains("2026年第48周您已登记 1 次。"), "{shown}");
    assert!(shown.contains("24 小时内可发送「撤销」撤销"), "{shown}");
    let (site, via): (String, String) = sqlx::query_as(
        "SELECT s.name, c.via FROM checkins c JOIN sites s ON s.id = c.site_id WHERE c.id = ?",
    )
    .bind(id)
    .fetch_one(c.core.store.pool())
    .await
    .unwrap();
    assert_eq!((site.as_str(), via.as_str()), ("五里牌街道新球社区", "line"));

    let second = c.say(&zhang, "/checkin 送服务 帮助居民办理社保卡，服务12人").await;
    assert!(text(&second).contains("服务人数：12 人"), "{second:#?}");
    assert!(text(&second).contains("您已登记 2 次"), "{second:#?}");
    assert_eq!(number_after_hash(&text(&second)), id + 1);
}

#[tokio::test]
async fn traditional_script_input_is_understood_and_kept_as_written() {
    let c = Conversation::start().await;
    let li = User::new(6002, "李四");
    c.register(&li, "应急管理局", Role::Member).await;

    let receipt = c.say(&li, "/checkin 送溫暖 看望五保戶").await;

    assert!(text(&receipt).contains("类型：送温暖"), "{receipt:#?}");
    assert!(text(&receipt).contains("站点：桃林镇治水村"), "{receipt:#?}");
    let stored = c.checkins_of(&li).await;
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].1.as_str(), stored[0].2.as_str()), ("warmth", "看望五保戶"), "the text as written");
}

#[tokio::test]
async fn the_same_message_handled_twice_is_one_checkin_with_the_same_receipt() {
    let c = Conversation::start().await;
    let user = User::new(6003, "周八");
    c.register(&user, "人社局", Role::Member).await;
    let msg = c.incoming(&user, Content::Text("/checkin 送政策 宣讲就业政策".into()));

    let first = c.deliver(&msg).await;
    let again = c.deliver(&msg).await;

    assert_eq!(first.failure, None);
    assert_eq!(again.replies, first.replies, "the member sent it once: one receipt, one number");
    assert_eq!(c.checkins_of(&user).await.len(), 1);
}

#[tokio::test]
async fn an_unknown_kind_gets_a_polite_chinese_error_and_records_nothing() {
    let c = Conversation::start().await;
    let user = User::new(6004, "王五");
    c.register(&user, "人社局", Role::Member).await;

    let unknown = c.say(&user, "/checkin 送快递 帮居民取包裹").await;
    let no_description = c.say(&user, "/checkin 送政策").await;
    let wrong_site = c.say(&user, "/checkin 送政策 @北京商会 宣讲").await;

    let unknown = texts(&unknown);
    assert_eq!(unknown.len(), 1);
    assert!(
        unknown[0].starts_with("没有识别出活动类型「送快递」。请以 送政策、送服务、送温暖 开头"),
        "{unknown:?}"
    );
    assert!(unknown[0].contains("例如：\n送服务 帮助办理社保卡"), "an example to copy: {unknown:?}");
    assert!(text(&no_description).contains("请简要写明做了什么"), "{no_description:#?}");
    assert!(text(&wrong_site).contains("本单位没有名为「北京商会」的联点站点"), "{wrong_site:#?}");
    for reply in [text(&no_description), text(&wrong_site)] {
        assert!(is_polite_chinese(&reply), "{reply}");
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
}

#[tokio::test]
async fn week_lists_this_weeks_checkins_with_numbers_counts_and_people_served() {
    let c = Conversation::start().await;
    let user = User::new(6005, "赵六");
    c.register(&user, "贸促会", Role::Member).await;
    let empty = c.say(&user, "/week").await;
    c.say(&user, "/checkin 送政策 宣讲湘商回归政策").await;
    c.say(&user, "/checkin 送服务 @广东临湘商会 召开乡友座谈会，服务30人").await;
    let ids: Vec<i64> = c.checkins_of(&user).await.iter().map(|c| c.0).collect();

    let week = text(&c.say(&user, "/week").await);
    let last = text(&c.say(&user, "/week last").await);

    assert!(text(&empty).contains("这一周没有登记活动。"), "{empty:#?}");
    assert!(week.starts_with("📅 本周 · 2026年第48周（11月23日—11月29日）"), "{week}");
    assert!(week.contains("共 2 次：送政策 1 · 送服务 1 · 送温暖 0"), "{week}");
    assert!(week.contains("服务群众 30 人"), "{week}");
    assert!(week.contains(&format!("#{} 11月25日 周三", ids[0])) && week.contains("长沙临湘商会"), "{week}");
    assert!(week.contains(&format!("#{} ", ids[1])) && week.contains("广东临湘商会"), "{week}");
    assert!(last.contains("2026年第47周") && last.contains("这一周没有登记活动。"), "{last}");
}

#[tokio::test]
async fn undo_withdraws_the_latest_checkin_which_week_then_leaves_out() {
    let c = Conversation::start().await;
    let user = User::new(6006, "郑十");
    c.register(&user, "人社局", Role::Member).await;
    c.say(&user, "/checkin 送政策 第一次宣讲").await;
    c.say(&user, "/checkin 送服务 登记错了").await;
    let second = c.checkins_of(&user).await[1].0;

    let undone = texts(&c.say(&user, "/undo").await);
    let again = c.say(&user, &format!("/undo {second}")).await;
    let week = text(&c.say(&user, "/week").await);

    assert_eq!(undone.len(), 1);
    assert!(undone[0].starts_with(&format!("已撤销 #{second}（送服务 · 11月25日 周三")), "{undone:?}");
    assert!(text(&again).contains(&format!("#{second} 已经撤销过了")), "{again:#?}");
    assert!(week.contains("共 1 次") && !week.contains("登记错了"), "{week}");
    assert_eq!(c.checkins_of(&user).await.len(), 1, "no longer counted");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 2, "but kept");
}

#[tokio::test]
async fn undo_is_refused_after_24_hours_and_for_someone_elses_checkin() {
    let c = Conversation::start().await;
    let (a, b) = (User::new(6007, "甲"), User::new(6008, "乙"));
    c.register(&a, "人社局", Role::Member).await;
    c.register(&b, "人社局", Role::Member).await;
    c.say(&a, "/checkin 送温暖 看望困难党员").await;
    let id = c.checkins_of(&a).await[0].0;

    let not_theirs = c.say(&b, &format!("/undo {id}")).await;
    let nothing = c.say(&b, "/undo").await;
    c.advance(Duration::hours(25));
    let too_old = c.say(&a, "/undo").await;

    assert!(text(&not_theirs).contains(&format!("没有找到您编号为 #{id} 的登记")), "{not_theirs:#?}");
    assert_eq!(texts(&nothing), ["您目前没有可以撤销的登记。"]);
    assert!(text(&too_old).contains(&format!("#{id} 已超过 24 小时")), "{too_old:#?}");
    assert_eq!(c.checkins_of(&a).await.len(), 1);
}

#[tokio::test]
async fn a_photo_with_a_caption_checks_in_and_keeps_the_photo() {
    let c = Conversation::start().await;
    let user = User::new(6009, "孙七");
    c.register(&user, "应急管理局", Role::Member).await;

    let receipt = c.photo(&user, "photo-a", Some("#送温暖 看望五保户")).await;
    let bare = c.photo(&user, "photo-b", None).await;

    assert!(text(&receipt).contains("✅ 已登记") && text(&receipt).contains("照片：已保存"), "{receipt:#?}");
    assert!(text(&bare).contains("请在照片说明里写明类型和内容"), "{bare:#?}");
    let (photo, via): (String, String) = sqlx::query_as("SELECT photo_file_id, via FROM checkins")
        .fetch_one(c.core.store.pool())
        .await
        .unwrap();
    assert_eq!((photo.as_str(), via.as_str()), ("photo-a", "photo"));
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM checkins").await,
        1,
        "a photo without a caption is not a check-in"
    );
}

#[tokio::test]
async fn an_album_with_a_caption_is_one_checkin_and_one_answer() {
    let c = Conversation::start().await;
    let user = User::new(6010, "钱一");
    c.register(&user, "应急管理局", Role::Member).await;
    let photo = |file_id: &str, caption: Option<&str>| Content::Photo {
        file_id: file_id.into(),
        caption: caption.map(str::to_owned),
        album: Some("album-1".into()),
    };

    let first = c.deliver(&c.incoming(&user, photo("p1", Some("#送服务 修缮产业路，服务8人")))).await;
    let second = c.deliver(&c.incoming(&user, photo("p2", None))).await;
    let third = c.deliver(&c.incoming(&user, photo("p3", None))).await;

    assert!(text(&first.replies).contains("✅ 已登记"), "{first:#?}");
    assert_eq!(second.replies, [], "the rest of the album is quiet");
    assert_eq!(third.replies, []);
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 1);
}
