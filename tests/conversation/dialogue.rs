//! The guided check-in (`/checkin` alone, with buttons), its cancel, and what it takes typed.

use chrono::Duration;

use crate::support::{Conversation, Reply, Role, User, labels, text, texts};

#[tokio::test]
async fn the_guided_checkin_goes_by_buttons_from_kind_and_site_to_a_confirmed_receipt() {
    let c = Conversation::start().await;
    let user = User::new(7001, "张三");
    c.register(&user, "贸促会", Role::Member).await;

    let kinds = c.say(&user, "/checkin").await;
    assert!(text(&kinds).ends_with("请选择活动类型："), "{kinds:#?}");
    assert_eq!(labels(&kinds), ["送政策", "送服务", "送温暖", "取消"]);

    let kinds_message = c.message_id_of(user.id, &kinds[0]).unwrap();
    let sites = c.press(&user, &kinds, "送服务").await;
    assert!(matches!(&sites[0], Reply::Answer { text: None, .. }), "the spinner stops: {sites:#?}");
    let Reply::Edit { message_id, text: prompt, .. } = &sites[1] else {
        panic!("edited in place: {sites:#?}")
    };
    assert_eq!(*message_id, kinds_message, "the message with the kinds becomes the site question");
    assert_eq!(prompt, "类型：送服务\n请选择站点：");
    assert_eq!(labels(&sites), ["长沙临湘商会", "广东临湘商会", "武汉岳阳企业商会", "取消"]);

    let describe = c.press(&user, &sites, "广东临湘商会").await;
    assert!(text(&describe).contains("站点：广东临湘商会\n请用一段文字说明做了什么"), "{describe:#?}");

    let extras = c.say(&user, "组织在粤乡友座谈会，服务25人").await;
    assert!(text(&extras).contains("（可选）"), "{extras:#?}");
    let confirm = c.press(&user, &extras, "下一步").await;
    assert_eq!(
        texts(&confirm)[0..],
        [
            "请确认：\n类型：送服务\n站点：广东临湘商会\n内容：组织在粤乡友座谈会，服务25人\n服务人数：25 人\n照片：无　位置：无"
        ]
    );
    let receipt = c.press(&user, &confirm, "确认登记").await;

    assert_eq!(texts(&receipt)[0], "已登记", "the short answer on the press");
    let Reply::Edit { message_id, text: done, keyboard: None } = &receipt[1] else { panic!("{receipt:#?}") };
    assert!(done.starts_with("✅ 已登记，编号 #") && done.contains("站点：广东临湘商会"), "{done}");
    let shown = c.message(user.id, *message_id).expect("the confirm message");
    assert!(matches!(shown.reply, Reply::Send { keyboard: None, .. }), "its buttons are gone: {shown:#?}");
    let row: (String, String, Option<i64>, String) = sqlx::query_as(
        "SELECT c.kind, s.name, c.people_served, c.via FROM checkins c JOIN sites s ON s.id = c.site_id",
    )
    .fetch_one(c.core.store.pool())
    .await
    .unwrap();
    assert_eq!(row, ("service".into(), "广东临湘商会".into(), Some(25), "dialogue".into()));
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0, "the dialogue is over");
}

#[tokio::test]
async fn a_photo_and_a_location_in_the_dialogue_are_kept_with_the_checkin() {
    let c = Conversation::start().await;
    let user = User::new(7002, "李四");
    c.register(&user, "人社局", Role::Member).await;

    let kinds = c.say(&user, "/checkin").await;
    let describe = c.press(&user, &kinds, "送温暖").await;
    assert!(text(&describe).contains("站点：五里牌街道新球社区"), "one site: no site step: {describe:#?}");
    let needs_text = c.photo(&user, "photo-first", None).await;
    assert_eq!(texts(&needs_text), ["已收到照片。请再发一段文字，说明做了什么。"]);
    c.say(&user, "看望五保户").await;
    let both = c.location(&user, 29.48, 113.45).await;
    assert_eq!(texts(&both), ["照片和位置都已收到，请点「下一步」。"]);
    let confirm = c.press(&user, &both, "下一步").await;
    assert!(text(&confirm).contains("照片：有　位置：有"), "{confirm:#?}");
    c.press(&user, &confirm, "确认登记").await;

    let (photo, lat): (Option<String>, Option<f64>) =
        sqlx::query_as("SELECT photo_file_id, latitude FROM checkins")
            .fetch_one(c.core.store.pool())
            .await
            .unwrap();
    assert_eq!((photo.as_deref(), lat), (Some("photo-first"), Some(29.48)));
}

#[tokio::test]
async fn cancelling_the_guided_checkin_records_nothing_and_its_old_buttons_expire() {
    let c = Conversation::start().await;
    let user = User::new(7003, "王五");
    c.register(&user, "贸促会", Role::Member).await;

    // By command at the first step: its buttons no longer work.
    let kinds = c.say(&user, "/checkin").await;
    assert_eq!(texts(&c.say(&user, "/cancel").await), ["已取消本次登记，没有保存任何内容。"]);
    let stale = c.press(&user, &kinds, "送政策").await;
    assert_eq!(texts(&stale), ["这个选项已失效。发送「登记」重新开始登记。"]);

    // By button at the confirm step: the message says so and loses its buttons.
    let kinds = c.say(&user, "/checkin").await;
    let sites = c.press(&user, &kinds, "送政策").await;
    c.press(&user, &sites, "长沙临湘商会").await;
    let extras = c.say(&user, "宣讲").await;
    let confirm = c.press(&user, &extras, "下一步").await;
    let gone = c.press(&user, &confirm, "取消").await;
    assert!(
        matches!(&gone[1], Reply::Edit { keyboard: None, text, .. } if text.contains("已取消")),
        "{gone:#?}"
    );

    // Nothing left to cancel, and text is no longer taken as a description.
    assert_eq!(texts(&c.say(&user, "/cancel").await), ["您当前没有进行中的登记，无需取消。"]);
    assert!(text(&c.say(&user, "这句话不该被记录").await).starts_with("您想登记活动吗？"));
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0);
}

#[tokio::test]
async fn the_kind_and_the_site_can_be_typed_instead_of_pressed_and_other_text_gets_the_kinds_again() {
    let c = Conversation::start().await;
    let user = User::new(7004, "周八");
    c.register(&user, "科工局", Role::Member).await;
    c.say(&user, "/checkin").await;

    let not_a_kind = c.say(&user, "随便写点什么").await;
    let sites = c.say(&user, "送政策").await;
    let describe = c.say(&user, "福瑞").await;

    assert!(text(&not_a_kind).contains("请选择活动类型"), "the question again: {not_a_kind:#?}");
    assert_eq!(labels(&not_a_kind), ["送政策", "送服务", "送温暖", "取消"], "with its options shown");
    assert!(text(&sites).contains("类型：送政策\n请选择站点："), "{sites:#?}");
    assert_eq!(labels(&sites), ["湖南维摩新材料有限公司", "岳阳福瑞材料科技有限公司", "取消"]);
    assert!(text(&describe).contains("站点：岳阳福瑞材料科技有限公司"), "{describe:#?}");
    let extras = c.say(&user, "宣讲减税降费政策").await;
    let confirm = c.press(&user, &extras, "下一步").await;
    c.press(&user, &confirm, "确认登记").await;
    assert_eq!(c.checkins_of(&user).await[0].1, "policy");
}

#[tokio::test]
async fn a_guided_checkin_left_for_a_day_is_forgotten() {
    let c = Conversation::start().await;
    let user = User::new(7005, "吴九");
    c.register(&user, "人社局", Role::Member).await;
    let kinds = c.say(&user, "/checkin").await;
    c.advance(Duration::hours(25));

    let stale = c.press(&user, &kinds, "送政策").await;
    let typed = c.say(&user, "看望五保户").await;

    assert!(text(&stale).contains("已失效"), "{stale:#?}");
    assert!(text(&typed).starts_with("您想登记活动吗？"), "no dialogue any more: {typed:#?}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0);
}

#[tokio::test]
async fn a_location_outside_the_dialogue_gets_a_hint_and_records_nothing() {
    let c = Conversation::start().await;
    let user = User::new(7006, "冯一");
    c.register(&user, "人社局", Role::Member).await;

    let alone = c.location(&user, 29.48, 113.45).await;
    c.say(&user, "/checkin").await;
    let at_the_kind_step = c.location(&user, 29.48, 113.45).await;

    for reply in [&alone, &at_the_kind_step] {
        assert_eq!(texts(reply), ["位置请在分步登记时附上：请先发送「登记」，按提示操作即可。"]);
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
}
