//! The guided check-in: `/checkin` alone, with inline buttons.

use sansong::domain::Role;

use crate::support::{TestApp, TgUser};

#[tokio::test]
async fn the_guided_checkin_goes_kind_site_description_photo_location_confirm() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(7001, "张三");
    app.register(&user, "贸促会", Role::Member).await;

    let kinds = app.say(&user, "/checkin").await;
    assert!(kinds.text.contains("请选择活动类型"), "{}", kinds.text);
    assert_eq!(kinds.labels(), ["送政策", "送服务", "送温暖", "取消"]);

    let sites = app.press(&user, &kinds, "送服务").await;
    assert!(sites.edit && sites.text.contains("请选择站点"), "{sites:#?}");
    assert_eq!(sites.labels(), ["长沙临湘商会", "广东临湘商会", "武汉岳阳企业商会", "取消"]);

    let describe = app.press(&user, &sites, "广东临湘商会").await;
    assert!(
        describe.text.contains("请用一段文字说明") && describe.text.contains("站点：广东临湘商会"),
        "{}",
        describe.text
    );

    let extras = app.say(&user, "组织在粤乡友座谈会，服务25人").await;
    assert!(extras.text.contains("（可选）"), "{}", extras.text);

    let mark = app.fake.mark();
    app.fake.photo(&user, "photo-meeting", None);
    let got_photo = app.fake.next_to(user.id, mark).await;
    assert!(got_photo.text.contains("已收到照片"), "{}", got_photo.text);
    let mark = app.fake.mark();
    app.fake.location(&user, 23.129, 113.264);
    let got_both = app.fake.next_to(user.id, mark).await;
    assert!(got_both.text.contains("照片和位置都已收到"), "{}", got_both.text);

    let confirm = app.press(&user, &got_both, "下一步").await;
    assert!(confirm.text.contains("请确认") && confirm.text.contains("服务人数：25 人"), "{}", confirm.text);
    let receipt = app.press(&user, &confirm, "确认登记").await;
    assert!(receipt.text.contains("✅ 已登记"), "{}", receipt.text);
    assert!(receipt.buttons.is_empty(), "the buttons are gone once recorded");

    let row: (String, String, String, Option<i64>, Option<String>, Option<f64>, String) = sqlx::query_as(
        "SELECT c.kind, s.name, c.description, c.people_served, c.photo_file_id, c.latitude, c.via
         FROM checkins c JOIN sites s ON s.id = c.site_id",
    )
    .fetch_one(app.core.store.pool())
    .await
    .unwrap();
    assert_eq!(row.0, "service");
    assert_eq!(row.1, "广东临湘商会");
    assert_eq!(row.2, "组织在粤乡友座谈会，服务25人");
    assert_eq!(row.3, Some(25));
    assert_eq!(row.4.as_deref(), Some("photo-meeting"));
    assert_eq!(row.5, Some(23.129));
    assert_eq!(row.6, "dialogue");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM dialogues").await, 0, "the dialogue is over");
}

#[tokio::test]
async fn a_unit_with_one_site_skips_the_site_step_and_a_photo_may_come_before_the_text() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(7002, "李四");
    app.register(&user, "人社局", Role::Member).await;

    let kinds = app.say(&user, "/checkin").await;
    let describe = app.press(&user, &kinds, "送温暖").await;
    assert!(describe.text.contains("站点：五里牌街道新球社区"), "{}", describe.text);
    let mark = app.fake.mark();
    app.fake.photo(&user, "photo-first", None);
    let needs_text = app.fake.next_to(user.id, mark).await;
    assert!(needs_text.text.contains("已收到照片。请再发一段文字"), "{}", needs_text.text);
    let extras = app.say(&user, "看望五保户").await;
    let confirm = app.press(&user, &extras, "下一步").await;
    assert!(confirm.text.contains("照片：有"), "the photo sent first is kept: {}", confirm.text);
    app.press(&user, &confirm, "确认登记").await;

    assert_eq!(app.checkins_of(&user).await.len(), 1);
}

#[tokio::test]
async fn cancel_leaves_the_dialogue_at_any_step_and_its_old_buttons_do_nothing() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(7003, "王五");
    app.register(&user, "贸促会", Role::Member).await;

    // By command, at the first step.
    let kinds = app.say(&user, "/checkin").await;
    let cancelled = app.say(&user, "/cancel").await;
    assert!(cancelled.text.contains("已取消"), "{}", cancelled.text);
    let answers_before = app.fake.calls("answerCallbackQuery").len();
    app.fake.press(&user, kinds.message_id, kinds.button("送政策").unwrap());
    let stale = app
        .fake
        .wait_for("the stale button to be answered", |v| {
            v.calls("answerCallbackQuery")
                .get(answers_before)
                .map(|c| c.params["text"].as_str().unwrap_or("").to_owned())
        })
        .await;
    assert!(stale.contains("已失效"), "{stale}");

    // By button, at the site step.
    let kinds = app.say(&user, "/checkin").await;
    let sites = app.press(&user, &kinds, "送政策").await;
    let gone = app.press(&user, &sites, "取消").await;
    assert!(gone.text.contains("已取消"), "{}", gone.text);

    // By command, at the description step.
    let kinds = app.say(&user, "/checkin").await;
    let sites = app.press(&user, &kinds, "送政策").await;
    app.press(&user, &sites, "长沙临湘商会").await;
    app.say(&user, "/cancel").await;
    let hint = app.say(&user, "这句话不该被记录").await;
    assert!(
        hint.text.contains("发送「登记」按步骤登记"),
        "outside a dialogue text gets a hint: {}",
        hint.text
    );

    // By button, at the confirm step.
    let kinds = app.say(&user, "/checkin").await;
    let sites = app.press(&user, &kinds, "送政策").await;
    app.press(&user, &sites, "长沙临湘商会").await;
    let extras = app.say(&user, "宣讲").await;
    let confirm = app.press(&user, &extras, "下一步").await;
    let gone = app.press(&user, &confirm, "取消").await;
    assert!(gone.text.contains("已取消"), "{}", gone.text);

    app.settle().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM dialogues").await, 0);
}

#[tokio::test]
async fn an_in_progress_dialogue_survives_a_restart_of_the_bot() {
    let mut app = TestApp::spawn().await;
    let user = TgUser::new(7004, "赵六");
    app.register(&user, "贸促会", Role::Member).await;
    let kinds = app.say(&user, "/checkin").await;
    let sites = app.press(&user, &kinds, "送温暖").await;

    app.restart().await;

    let describe = app.press(&user, &sites, "武汉岳阳企业商会").await;
    assert!(describe.text.contains("请用一段文字说明"), "{}", describe.text);
    app.restart().await;
    let extras = app.say(&user, "慰问在汉乡友亲属").await;
    let confirm = app.press(&user, &extras, "下一步").await;
    let receipt = app.press(&user, &confirm, "确认登记").await;

    assert!(
        receipt.text.contains("✅ 已登记") && receipt.text.contains("武汉岳阳企业商会"),
        "{}",
        receipt.text
    );
    assert_eq!(app.checkins_of(&user).await[0].1, "warmth");
}

#[tokio::test]
async fn pressing_confirm_twice_records_one_checkin() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(7005, "孙七");
    app.register(&user, "人社局", Role::Member).await;
    let kinds = app.say(&user, "/checkin").await;
    app.press(&user, &kinds, "送政策").await;
    let extras = app.say(&user, "宣讲社保政策").await;
    let confirm = app.press(&user, &extras, "下一步").await;
    let data = confirm.button("确认登记").unwrap().to_owned();

    let answered = app.fake.calls("answerCallbackQuery").len();
    app.fake.press(&user, confirm.message_id, &data);
    app.fake.press(&user, confirm.message_id, &data);
    app.settle().await;

    assert_eq!(app.checkins_of(&user).await.len(), 1);
    assert_eq!(app.fake.calls("answerCallbackQuery").len(), answered + 2, "both presses are answered");
}

#[tokio::test]
async fn the_kind_and_site_can_also_be_typed_instead_of_pressed() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(7006, "周八");
    app.register(&user, "科工局", Role::Member).await;
    app.say(&user, "/checkin").await;

    let sites = app.say(&user, "送政策").await;
    assert!(sites.text.contains("请选择站点"), "{}", sites.text);
    let describe = app.say(&user, "福瑞").await;
    assert!(describe.text.contains("岳阳福瑞材料科技有限公司"), "{}", describe.text);
}
