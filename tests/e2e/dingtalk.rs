//! The bot on DingTalk, Stream mode, against the fake DingTalk: what arrives on the stream is
//! stored before it is acknowledged and handled once; pings are answered; a dropped or closed
//! stream is opened again with a new ticket; the token is cached and fetched again when
//! DingTalk says it is invalid; notices go in batches of at most 20; an invalid staff id is
//! that member's alone.

use std::time::Duration;

use sansong::domain::{Platform, Role};

use crate::support::dingtalk_app::DingTalkApp;
use crate::support::eventually;
use crate::support::fake_dingtalk::DtUser;

#[tokio::test]
async fn a_person_joins_with_jia_ru_and_checks_in_by_typing_without_a_slash() {
    let app = DingTalkApp::spawn().await;
    let zhang = DtUser::new("manager7001", "张三");

    app.register(&zhang, "人社局", Role::Member).await;
    let receipt = app.say(&zhang, "送温暖 看望五保户王大爷").await;
    let help = app.say(&zhang, "帮助").await;

    assert_eq!(receipt.key, "sampleText");
    assert!(receipt.text.starts_with("✅ 已登记，编号 #1"), "{receipt:#?}");
    assert_eq!(app.checkins_of(&zhang).await, [("warmth".to_owned(), "看望五保户王大爷".to_owned())]);
    assert!(
        help.text.contains("本周 — ") && !help.text.contains("/week"),
        "words only on DingTalk: {}",
        help.text
    );
}

#[tokio::test]
async fn a_frame_is_stored_before_it_is_acknowledged_and_a_redelivery_makes_no_second_checkin() {
    let app = DingTalkApp::spawn().await;
    let li = DtUser::new("manager7002", "李四");
    app.register(&li, "人社局", Role::Member).await;

    let frame = app.fake.say(&li, "送政策 为社区居民宣讲社保政策");
    let ack = app.fake.ack_of(&frame).await;
    let stored = app.scalar("SELECT COUNT(*) FROM inbox WHERE platform = 'dingtalk' AND payload LIKE '%为社区居民宣讲社保政策%'").await;
    app.fake.redeliver(&frame);
    eventually("the redelivery to be acknowledged", Duration::from_secs(10), || async {
        (app.fake.acks_of(&frame) >= 2).then_some(())
    })
    .await;
    app.settle().await;

    assert_eq!(ack["code"], 200);
    assert_eq!(ack["message"], "OK");
    assert_eq!(ack["headers"]["contentType"], "application/json");
    assert_eq!(ack["data"], "{\"response\":null}");
    assert_eq!(stored, 1, "in the inbox by the time DingTalk has its acknowledgement");
    assert_eq!(app.checkins_of(&li).await.len(), 1, "the same message twice is one check-in");
}

#[tokio::test]
async fn the_ping_is_answered_with_its_opaque() {
    let app = DingTalkApp::spawn().await;

    let id = app.fake.ping("opaque-123");
    let ack = app.fake.ack_of(&id).await;

    assert_eq!(ack["code"], 200);
    assert_eq!(ack["data"], "{\"opaque\":\"opaque-123\"}");
}

#[tokio::test]
async fn a_closed_or_dropped_stream_is_opened_again_with_a_new_ticket_and_nothing_is_lost() {
    let app = DingTalkApp::spawn().await;
    let wang = DtUser::new("manager7003", "王五");
    app.register(&wang, "人社局", Role::Member).await;

    app.fake.disconnect();
    app.fake.wait_connections(2).await;
    app.say(&wang, "送服务 帮独居老人买药").await;
    app.fake.drop_connection();
    // Pushed while no connection is open: it waits, unacknowledged, for the next one.
    let frame = app.fake.say(&wang, "送温暖 看望困难党员");
    app.fake.wait_connections(3).await;
    app.fake.ack_of(&frame).await;
    app.settle().await;

    assert_eq!(app.checkins_of(&wang).await.len(), 2);
    assert!(app.fake.tickets_issued() >= 3, "each connection its own ticket");
}

#[tokio::test]
async fn the_access_token_is_kept_and_fetched_again_when_dingtalk_says_it_is_invalid() {
    let app = DingTalkApp::spawn().await;
    let zhao = DtUser::new("manager7004", "赵六");
    app.register(&zhao, "人社局", Role::Member).await;
    app.say(&zhao, "本周").await;
    let after_two_replies = app.fake.tokens_issued();

    app.fake.invalidate_tokens();
    let week = app.say(&zhao, "本周").await;

    assert_eq!(after_two_replies, 1, "one token for every call while it is valid");
    assert_eq!(app.fake.tokens_issued(), 2, "a new one after InvalidAuthentication");
    assert!(week.text.contains("本周"), "and the reply still arrives: {week:#?}");
}

#[tokio::test]
async fn a_guided_checkin_shows_its_kinds_as_buttons_a_press_answers_them_and_an_old_one_presses_nothing() {
    let app = DingTalkApp::spawn().await;
    let sun = DtUser::new("manager7005", "孙七");
    app.register(&sun, "人社局", Role::Member).await;

    let kinds = app.say(&sun, "登记").await;
    // What DingTalk's client sends when the second button is pressed: its number and its mark.
    let tapped = tap(&kinds.text, "2. 送服务");
    let chosen = app.say(&sun, &tapped).await;
    let stale = app.say(&sun, &tapped).await;
    let typed = app.say(&sun, "2").await;

    assert_eq!(kinds.key, "sampleActionCard4", "three kinds and 取消: four buttons");
    assert!(tapped.starts_with("2·"), "{tapped}");
    assert!(chosen.text.contains("类型：送服务"), "{}", chosen.text);
    assert!(
        stale.text.contains("这个选项已过期"),
        "a tap on the older message presses nothing: {}",
        stale.text
    );
    assert!(
        typed.text.contains("活动日期") || typed.text.contains("昨天"),
        "a typed number still works: {}",
        typed.text
    );
}

/// `count` DingTalk members of 人社局 (ids `staff0001`…), as registration makes them.
async fn add_members(app: &DingTalkApp, count: usize) -> Vec<String> {
    crate::support::app::add_members(&app.core, Platform::DingTalk, "staff", count).await
}

async fn notice_to_all(app: &DingTalkApp, body: &str) {
    notice_with_file_to_all(app, body, None).await;
}

/// An urgent notice asking for 收到 to everyone, with a file (its name and bytes) if given.
async fn notice_with_file_to_all(app: &DingTalkApp, body: &str, file: Option<(&str, Vec<u8>)>) {
    use sansong::notices::{Audience, Media, MediaKind, NoticeDraft, Schedule};
    let draft = NoticeDraft {
        body: body.into(),
        media: file.map(|(name, bytes)| Media {
            kind: MediaKind::Document,
            file_id: None,
            upload: Some((name.into(), bytes)),
        }),
        audience: Audience { all: true, ..Audience::default() },
        schedule: Schedule::Now,
        ack: true,
        policy: false,
        urgent: true,
        remind_after: None,
    };
    sansong::notices::create(&app.core, &sansong::members::Actor::Cli, &draft, None).await.unwrap();
}

#[tokio::test]
async fn a_notice_to_25_members_goes_in_batches_of_at_most_20_each_once() {
    let app = DingTalkApp::spawn().await;
    let staff = add_members(&app, 25).await;

    notice_to_all(&app, "关于做好冬季走访的通知").await;
    app.fake
        .wait_for("all 25 to receive the notice", |f| {
            (f.sent().iter().filter(|s| s.text.contains("关于做好冬季走访的通知")).count() >= 25)
                .then_some(())
        })
        .await;

    let calls = app.fake.calls("/v1.0/robot/oToMessages/batchSend");
    let sizes: Vec<usize> = calls.iter().map(|c| c.body["userIds"].as_array().unwrap().len()).collect();
    assert!(sizes.iter().all(|n| *n <= 20), "{sizes:?}");
    assert!(sizes.len() < 25, "batched, not one call a member: {sizes:?}");
    let mut reached: Vec<String> = app.fake.sent().into_iter().map(|s| s.to).collect();
    reached.sort();
    assert_eq!(reached, staff, "each exactly once");
    let notice = app.fake.sent().into_iter().next().unwrap();
    assert!(
        notice.text.contains("(dtmd://dingtalkclient/sendMessage?content=%E6%94%B6%E5%88%B0%231)"),
        "{}",
        notice.text
    );
    eventually("every delivery recorded as sent", Duration::from_secs(10), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE platform = 'dingtalk' AND status = 'sent'").await
            == 25)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_invalid_staff_id_is_that_members_alone_marked_unreachable_and_not_retried() {
    let app = DingTalkApp::spawn().await;
    add_members(&app, 3).await;
    app.fake.set_invalid_staff(&["staff0002"]);

    notice_to_all(&app, "请确认本周走访安排").await;
    eventually("the three deliveries to be settled", Duration::from_secs(10), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status IN ('sent', 'blocked', 'failed')").await
            == 3)
            .then_some(())
    })
    .await;

    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await, 2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'blocked'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members WHERE unreachable_at IS NOT NULL").await, 1);
    let to_invalid = app
        .fake
        .calls("/v1.0/robot/oToMessages/batchSend")
        .iter()
        .filter(|c| c.body["userIds"].as_array().unwrap().iter().any(|u| u == "staff0002"))
        .count();
    assert_eq!(to_invalid, 1, "not retried");
    let report = app.core.store.latest_run_report(1).await.unwrap();
    assert_eq!(report.blocked.len(), 1);
    assert_eq!(report.blocked[0].2, Platform::DingTalk, "receipts name the platform");
}

#[tokio::test]
async fn shou_dao_typed_on_dingtalk_acknowledges_the_notice() {
    let app = DingTalkApp::spawn().await;
    let zhou = DtUser::new("manager7006", "周八");
    app.register(&zhou, "人社局", Role::Member).await;

    notice_to_all(&app, "请各支部本周内完成走访").await;
    app.fake
        .wait_for("the notice", |f| {
            f.sent()
                .iter()
                .any(|s| s.to == zhou.staff_id && s.text.contains("请各支部本周内完成走访"))
                .then_some(())
        })
        .await;
    let ack = app.say(&zhou, "收到").await;

    assert!(ack.text.starts_with("已确认收到通知「请各支部本周内完成走访」"), "{ack:#?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE acked_at IS NOT NULL").await, 1);
}

/// What DingTalk's client sends as the person's message when they tap the link labelled
/// `label` in a markdown `text` (`[label](dtmd://dingtalkclient/sendMessage?content=…)`), or
/// press the button of that title (the fake writes a card's buttons so).
pub fn tap(text: &str, label: &str) -> String {
    let link = text
        .split(&format!("[{label}](dtmd://dingtalkclient/sendMessage?content="))
        .nth(1)
        .unwrap_or_else(|| panic!("no link {label:?} in {text}"));
    let encoded = link.split(')').next().unwrap();
    url::form_urlencoded::parse(format!("c={encoded}").as_bytes()).next().unwrap().1.into_owned()
}

#[tokio::test]
async fn the_shou_dao_link_on_an_older_notice_acknowledges_that_notice_not_the_newest() {
    let app = DingTalkApp::spawn().await;
    let zheng = DtUser::new("manager7016", "郑十");
    app.register(&zheng, "人社局", Role::Member).await;
    notice_to_all(&app, "第一条：周一学习").await;
    notice_to_all(&app, "第二条：周三走访").await;
    let copies = app
        .fake
        .wait_for("both notices", |f| {
            let mine: Vec<_> = f.sent().into_iter().filter(|s| s.to == zheng.staff_id).collect();
            (mine.len() == 2).then_some(mine)
        })
        .await;
    let first = copies.iter().find(|s| s.text.contains("第一条")).unwrap();

    let tapped = tap(&first.text, "收到");
    let ack = app.say(&zheng, &tapped).await;
    let again = app.say(&zheng, &tapped).await;

    assert_eq!(tapped, "收到#1");
    assert!(ack.text.starts_with("已确认收到通知「第一条：周一学习」"), "{ack:#?}");
    assert!(again.text.contains("已确认收到通知 #1，无需再次确认"), "{again:#?}");
    let acked: Vec<String> = sqlx::query_scalar(
        "SELECT n.body FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
         WHERE d.acked_at IS NOT NULL",
    )
    .fetch_all(app.core.store.pool())
    .await
    .unwrap();
    assert_eq!(acked, ["第一条：周一学习"], "the newer notice still waits for its own 收到");
    let other = app.say(&zheng, "收到 #99").await;
    assert!(other.text.contains("没有找到发给您、需要确认收到的通知 #99"), "{other:#?}");
}

#[tokio::test]
async fn a_notice_with_a_file_reaches_dingtalk_as_the_file_then_its_words_uploaded_once() {
    let app = DingTalkApp::spawn().await;
    let staff = add_members(&app, 25).await;
    let pdf = b"%PDF-1.4 policy text".repeat(100);
    notice_with_file_to_all(&app, "关于医保缴费的政策解读（见附件）", Some(("医保政策.pdf", pdf.clone())))
        .await;

    let sent = app
        .fake
        .wait_for("the file and the words to reach all 25", |f| {
            let words = f.sent().iter().filter(|s| s.text.contains("关于医保缴费的政策解读")).count();
            (words >= 25).then(|| f.sent())
        })
        .await;

    assert_eq!(app.fake.uploads(), [("医保政策.pdf".to_owned(), pdf.len())], "one upload for everyone");
    for to in &staff {
        let mine: Vec<_> = sent.iter().filter(|s| &s.to == to).collect();
        assert_eq!(mine.len(), 2, "{mine:#?}");
        assert_eq!((mine[0].key.as_str(), mine[0].text.as_str()), ("sampleFile", "医保政策.pdf"));
        assert_eq!(mine[0].param["mediaId"], "@fake-media-1");
        assert!(!mine[1].text.contains("请向发布人索取"), "the file itself came: {}", mine[1].text);
    }
}

#[tokio::test]
async fn a_notice_whose_file_dingtalk_refuses_still_reaches_everyone_with_its_words() {
    let app = DingTalkApp::spawn().await;
    let staff = add_members(&app, 3).await;
    app.fake.refuse_uploads();
    notice_with_file_to_all(&app, "附件过大的通知", Some(("大文件.zip", vec![0; 64]))).await;

    let sent = app
        .fake
        .wait_for("the words to reach all three", |f| {
            let got: Vec<_> = f.sent().into_iter().filter(|s| s.text.contains("附件过大的通知")).collect();
            (got.len() >= staff.len()).then_some(got)
        })
        .await;

    assert!(sent.iter().all(|s| s.text.contains("请向发布人索取")), "{sent:#?}");
    let tried = app.fake.calls("/media/upload").len();
    assert!(tried <= 1, "a refused file is not uploaded again for each member: {tried}");
    eventually("all three recorded as sent", Duration::from_secs(10), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await == 3).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_organiser_on_dingtalk_publishes_a_picture_notice_and_members_get_the_picture() {
    let app = DingTalkApp::spawn().await;
    let organiser = DtUser::new("manager7020", "冯组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    let member = DtUser::new("manager7021", "陈党员");
    app.register(&member, "人社局", Role::Member).await;

    app.say(&organiser, "通知").await;
    let mark = app.fake.mark();
    app.fake.picture_with_text(&organiser, "冬季防火宣传海报，请张贴");
    let audience = app.fake.next_to(&organiser, mark).await;
    assert!(audience.text.contains("本单位全体"), "the picture and its words are the content: {audience:#?}");
    app.say(&organiser, "1").await;
    app.say(&organiser, "立即发送").await;
    let preview = app.say(&organiser, "预览").await;
    assert!(preview.text.contains("附上面这张图片，发布后随通知一并发出"), "{preview:#?}");
    let mark = app.fake.mark();
    app.fake.say(&organiser, "确认发布");
    app.fake
        .wait_for("the notice to be published", |f| {
            f.sent()[mark..]
                .iter()
                .find(|s| s.to == organiser.staff_id && s.text.contains("已发布通知 #"))
                .cloned()
        })
        .await;
    let got = app
        .fake
        .wait_for("the picture and its words", |f| {
            let mine: Vec<_> = f.sent().into_iter().filter(|s| s.to == member.staff_id).collect();
            mine.iter().any(|s| s.text.contains("冬季防火宣传海报")).then_some(mine)
        })
        .await;

    let picture = got.iter().find(|s| s.key == "sampleImageMsg").expect("the picture itself");
    assert!(picture.param["photoURL"].as_str().unwrap().starts_with("@fake-media-"), "{picture:#?}");
    assert_eq!(app.fake.upload_types(), ["image"]);
    let code = app
        .fake
        .calls("/v1.0/robot/messageFiles/download")
        .last()
        .map(|c| c.body["downloadCode"].as_str().unwrap().to_owned())
        .expect("the picture fetched from DingTalk");
    let kept: Vec<u8> =
        sqlx::query_scalar("SELECT media_bytes FROM notices").fetch_one(app.core.store.pool()).await.unwrap();
    assert_eq!(kept, crate::support::fake_dingtalk::FakeDingTalk::picture(&code), "kept for every platform");
}

#[tokio::test]
async fn a_picture_with_words_is_a_checkin_that_keeps_its_picture() {
    let app = DingTalkApp::spawn().await;
    let wu = DtUser::new("manager7007", "吴九");
    app.register(&wu, "人社局", Role::Member).await;

    let mark = app.fake.mark();
    app.fake.picture_with_text(&wu, "#送温暖 看望五保户");
    let receipt = app.fake.next_to(&wu, mark).await;

    assert!(receipt.text.starts_with("✅ 已登记"), "{receipt:#?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins WHERE photo_file_id LIKE 'dt:download-%'").await, 1);
}

#[tokio::test]
async fn an_export_arrives_as_a_file() {
    let app = DingTalkApp::spawn().await;
    let admin = DtUser::new("manager7008", "郑管理");
    app.register(&admin, "人社局", Role::Admin).await;
    app.say(&admin, "送政策 宣讲社保政策").await;

    let mark = app.fake.mark();
    app.fake.say(&admin, "导出");
    let file = app.fake.next_to(&admin, mark).await;

    assert_eq!(file.key, "sampleFile", "{file:#?}");
    assert!(file.param["mediaId"].as_str().unwrap().starts_with("@fake-media-"));
    assert!(file.text.ends_with(".xlsx"), "{file:#?}");
    assert_eq!(file.param["fileType"], "xlsx");
    let uploads = app.fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0].1 > 1000, "the workbook itself: {uploads:?}");
}

#[tokio::test]
async fn an_export_still_arrives_when_the_upload_is_refused_for_an_invalid_token() {
    let app = DingTalkApp::spawn().await;
    let admin = DtUser::new("manager7018", "钱管理");
    app.register(&admin, "人社局", Role::Admin).await;
    app.say(&admin, "送服务 代办医保").await;
    let before = app.fake.tokens_issued();

    // The upload comes first: the old OpenAPI answers it `errcode 40014` (HTTP 200).
    app.fake.invalidate_tokens();
    let mark = app.fake.mark();
    app.fake.say(&admin, "导出");
    let file = app.fake.next_to(&admin, mark).await;

    assert_eq!(file.key, "sampleFile", "{file:#?}");
    assert_eq!(app.fake.uploads().len(), 1);
    assert_eq!(app.fake.tokens_issued(), before + 1, "one fresh token, used by the upload and the send");
}

#[tokio::test]
async fn sansong_check_gets_a_token_and_opens_the_stream_and_never_prints_the_secret() {
    use crate::support::fake_dingtalk::{CLIENT_ID, CLIENT_SECRET, FakeDingTalk};
    let fake = FakeDingTalk::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sansong.db").display());
    let env = |secret: &'static str| {
        [
            ("SANSONG_DINGTALK_CLIENT_ID", CLIENT_ID),
            ("SANSONG_DINGTALK_CLIENT_SECRET", secret),
            ("SANSONG_DINGTALK_API_URL", fake.url.as_str()),
            ("SANSONG_DINGTALK_OAPI_URL", fake.url.as_str()),
            // Before November, when next year's holiday schedule is not yet due.
            ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
        ]
    };

    let (code, out, err) = crate::support::cli_env(&db, &["check"], &env(CLIENT_SECRET)).await;
    let (bad_code, bad_out, _) = crate::support::cli_env(&db, &["check"], &env("wrong-secret")).await;

    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ 钉钉 access token：已用 AppKey/AppSecret 取得"), "{out}");
    assert!(out.contains("✓ 钉钉 Stream 连接：已建立"), "{out}");
    assert!(out.contains("✓ 令牌 TELOXIDE_TOKEN：未设置（不使用 Telegram）"), "{out}");
    assert_ne!(bad_code, 0);
    assert!(bad_out.contains("✗ 钉钉 access token"), "{bad_out}");
    for printed in [&out, &err, &bad_out] {
        assert!(!printed.contains(CLIENT_SECRET) && !printed.contains("wrong-secret"), "{printed}");
    }
}

#[tokio::test]
async fn sigkill_during_a_burst_of_200_checkins_loses_none_and_records_none_twice() {
    use crate::support::Binary;
    use crate::support::fake_dingtalk::FakeDingTalk;
    let fake = FakeDingTalk::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sansong.db").display());
    // 200 members, each sending one check-in (one person's 200 would be paced by flood control).
    let (pool, people) = crate::support::app::members_on(&db, "dingtalk", "burst", 200).await;
    let users: Vec<DtUser> = people.iter().map(|(id, name)| DtUser::new(id, name)).collect();
    let mut bot = Binary::spawn_dingtalk(&fake.url, &db);
    fake.wait_connections(1).await;

    let mut frames = Vec::new();
    for (i, user) in users.iter().enumerate() {
        frames.push(fake.say(user, &format!("送政策 第{i}次入户宣讲")));
    }
    // Killed mid-burst: some acknowledged (stored), some not yet (to be redelivered).
    fake.wait_for("some of the burst to be acknowledged", |f| {
        (frames.iter().filter(|m| f.acks_of(m) > 0).count() >= 20).then_some(())
    })
    .await;
    bot.sigkill();
    let acked_before = frames.iter().filter(|m| fake.acks_of(m) > 0).count();
    let _bot = Binary::spawn_dingtalk(&fake.url, &db);

    eventually("all 200 check-ins after the restart", Duration::from_secs(60), || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkins").fetch_one(&pool).await.unwrap();
        (n >= 200).then_some(())
    })
    .await;
    // A moment for anything that would make a second one; then exactly 200, one each.
    fake.wait_for("every frame acknowledged", |f| frames.iter().all(|m| f.acks_of(m) > 0).then_some(()))
        .await;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkins").fetch_one(&pool).await.unwrap();
    let members: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT member_id) FROM checkins").fetch_one(&pool).await.unwrap();
    assert!(acked_before < 200, "the kill came mid-burst ({acked_before} acknowledged)");
    assert_eq!((total, members), (200, 200));
}

/// A new member's first minutes on DingTalk, printed (`cargo test dingtalk_transcript --
/// --nocapture`): each frame the fake pushed and each robot message the bot sent.
#[tokio::test]
async fn dingtalk_transcript_of_a_new_members_first_minutes() {
    let app = DingTalkApp::spawn().await;
    let code = app.invite("人社局", Role::Member).await;
    let zhang = DtUser::new("manager4001", "张三");
    let mut transcript = String::new();
    let lines = [
        format!("加入 {code}"),
        "送温暖 看望五保户王大爷，服务3人".to_owned(),
        "登记".to_owned(),
        "2".to_owned(),
        "昨天 帮独居老人买药".to_owned(),
        "下一步".to_owned(),
        "确认登记".to_owned(),
        "本周".to_owned(),
        "撤销".to_owned(),
        "帮助".to_owned(),
    ];
    for line in &lines {
        let mark = app.fake.mark();
        let frame = app.fake.say(&zhang, line);
        let reply = app.fake.next_to(&zhang, mark).await;
        let ack = app.fake.ack_of(&frame).await;
        transcript.push_str(&format!(
            "→ CALLBACK {frame} (topic /v1.0/im/bot/messages/get, text {line:?}) ← ack code {}\n← batchSend {} to {}:\n      {}\n",
            ack["code"],
            reply.key,
            reply.to,
            reply.text.replace('\n', "\n      ")
        ));
    }
    println!("{transcript}");

    let recorded = app.checkins_of(&zhang).await;
    assert_eq!(recorded.len(), 1, "two recorded, the second undone: {recorded:?}");
    assert!(
        transcript.contains("✅ 已登记，编号 #1") && transcript.contains("✅ 已登记，编号 #2"),
        "{transcript}"
    );
}

#[tokio::test]
async fn a_reply_dingtalk_cannot_take_is_kept_and_sent_when_it_can_marked_as_late() {
    let app = DingTalkApp::spawn().await;
    let qian = DtUser::new("manager7009", "钱十");
    app.register(&qian, "人社局", Role::Member).await;

    app.fake.set_down(true);
    let frame = app.fake.say(&qian, "送政策 宣讲医保政策");
    app.fake.ack_of(&frame).await;
    eventually("the receipt to be kept", Duration::from_secs(10), || async {
        (app.scalar("SELECT COUNT(*) FROM reply_outbox WHERE platform = 'dingtalk' AND status = 'pending'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    let mark = app.fake.mark();
    app.fake.set_down(false);
    let late = app.fake.next_to(&qian, mark).await;

    assert!(late.text.starts_with("【补发】✅ 已登记，编号 #1"), "{late:#?}");
    assert_eq!(app.checkins_of(&qian).await.len(), 1, "recorded once, while DingTalk was down");
}

#[tokio::test]
async fn while_dingtalk_is_down_healthz_and_metrics_name_dingtalk_and_recover_with_it() {
    use crate::operations::{free_port, get, until_status};
    let addr = free_port();
    let app = DingTalkApp::spawn_with(move |c| {
        c.metrics_addr = Some(addr);
        c.outage_probe = Duration::from_millis(50);
    })
    .await;
    let staff = add_members(&app, 6).await;
    let ok = until_status(addr, "/healthz", 200).await;
    assert!(ok.contains("\"dingtalk\""), "each platform's state is shown: {ok}");

    app.fake.set_down(true);
    notice_to_all(&app, "钉钉故障期间的通知").await;
    let down = until_status(addr, "/healthz", 503).await;
    let body: serde_json::Value = serde_json::from_str(&down).unwrap();
    let (_, metrics) = get(addr, "/metrics").await;
    app.fake.set_down(false);
    until_status(addr, "/healthz", 200).await;
    let (_, after) = get(addr, "/metrics").await;

    assert!(body["reason"].as_str().unwrap().starts_with("DingTalk: the OpenAPI is down"), "{down}");
    assert!(body["platforms"]["dingtalk"]["down_since"].is_string(), "{down}");
    assert!(metrics.contains("sansong_platform_down{platform=\"dingtalk\"} 1"), "{metrics}");
    assert!(!metrics.contains("platform=\"telegram\""), "Telegram is not in use: {metrics}");
    assert!(after.contains("sansong_platform_down{platform=\"dingtalk\"} 0"), "{after}");
    assert!(after.contains("sansong_platform_outages_total{platform=\"dingtalk\"} 1"), "{after}");
    app.fake
        .wait_for("everyone to get the notice after the outage", |f| {
            let got = f.sent().iter().filter(|s| s.text.contains("钉钉故障期间的通知")).count();
            (got >= staff.len()).then_some(())
        })
        .await;
}

#[tokio::test]
async fn a_reply_longer_than_a_dingtalk_message_arrives_in_parts_under_the_limit() {
    let app = DingTalkApp::spawn().await;
    add_members(&app, 400).await;
    let admin = DtUser::new("manager7010", "冯管理");
    app.register(&admin, "人社局", Role::Admin).await;

    let mark = app.fake.mark();
    app.fake.say(&admin, "成员");
    let parts = app
        .fake
        .wait_for("the member list in parts", |f| {
            let to: Vec<_> =
                f.sent().into_iter().filter(|s| s.seq >= mark && s.to == admin.staff_id).collect();
            to.iter().any(|s| s.text.contains("党员0400")).then_some(to)
        })
        .await;

    assert!(parts.len() >= 2, "{} parts", parts.len());
    for part in &parts {
        assert!(
            part.text.chars().count() <= sansong::dingtalk::markup::TEXT_LIMIT,
            "{}",
            part.text.chars().count()
        );
    }
}

#[tokio::test]
async fn in_a_group_the_robot_points_people_to_the_single_chat() {
    let app = DingTalkApp::spawn().await;
    let chen = DtUser::new("manager7011", "陈十一");
    app.register(&chen, "人社局", Role::Member).await;

    app.fake.say_in_group(&chen, "cidGroup123==", "本周");
    let sent = app
        .fake
        .wait_for("the answer in the group", |f| f.calls("/v1.0/robot/groupMessages/send").into_iter().next())
        .await;

    assert_eq!(sent.body["openConversationId"], "cidGroup123==");
    let param: serde_json::Value = serde_json::from_str(sent.body["msgParam"].as_str().unwrap()).unwrap();
    assert!(param["content"].as_str().unwrap().contains("请私聊我"), "{param}");
    assert!(app.checkins_of(&chen).await.is_empty());
}

#[tokio::test]
async fn a_member_refused_on_dingtalk_but_bound_on_telegram_is_reached_on_telegram_from_then_on() {
    let app = DingTalkApp::spawn().await;
    add_members(&app, 2).await;
    // 党员0001 also has a Telegram account (bound earlier with 绑定).
    sqlx::query(
        "INSERT INTO accounts (person_id, platform, member_id, linked_at)
         SELECT 90001, 'telegram', id, 0 FROM members WHERE name = '党员0001'",
    )
    .execute(app.core.store.pool())
    .await
    .unwrap();
    app.fake.set_invalid_staff(&["staff0001"]);

    notice_to_all(&app, "本周走访安排").await;
    eventually("the deliveries to be settled", Duration::from_secs(10), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status IN ('sent', 'blocked')").await == 2)
            .then_some(())
    })
    .await;

    assert_eq!(app.scalar("SELECT reached_on FROM members WHERE name = '党员0001'").await, 90001);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE unreachable_at IS NOT NULL").await,
        0,
        "still reachable, on the other platform"
    );
}

/// DingTalk's flow control allows 4 batch calls a second while `dingtalk_rate` says 20: the
/// refusals teach the batcher the real rate, `/metrics` shows it, and the next notice goes at
/// it without a refusal.
#[tokio::test]
async fn flow_control_teaches_the_batcher_the_real_call_rate_for_the_next_notice() {
    use sansong::members::Actor;
    use sansong::notices::{self, Schedule};
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], crate::support::console::free_port()).into();
    let app = DingTalkApp::spawn_with(move |c| {
        c.metrics_addr = Some(addr);
        if let Some(d) = c.dingtalk.as_mut() {
            d.rate = 20.0;
        }
    })
    .await;
    app.fake.set_qps(Some(4));
    // 200 members on DingTalk: ten batch calls of twenty a notice.
    for sql in [
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < 200)
         INSERT INTO handles (id, platform, external_id) SELECT 1152921504606846976 + x, 'dingtalk', 'flow' || x FROM seq",
        "INSERT INTO members (registered_as, reached_on, name, unit_id, role, registered_at)
         SELECT id, id, '党员' || external_id, 1, 'member', 0 FROM handles WHERE external_id LIKE 'flow%'",
        "INSERT INTO accounts (person_id, platform, member_id, linked_at) SELECT registered_as, 'dingtalk', id, 0 FROM members WHERE name LIKE '党员flow%'",
    ] {
        sqlx::query(sql).execute(app.core.store.pool()).await.unwrap();
    }
    let sent = |body: &'static str| {
        let pool = app.core.store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
                 WHERE d.status = 'sent' AND n.body = ?",
            )
            .bind(body)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let broadcast = |body: &'static str| {
        let core = app.core.clone();
        async move {
            let draft = crate::notices::draft(body, crate::notices::everyone(), Schedule::Now);
            notices::create(&core, &Actor::Cli, &draft, None).await.unwrap();
        }
    };

    broadcast("第一条钉钉通知").await;
    eventually("the first notice to reach all 200", Duration::from_secs(60), || async {
        (sent("第一条钉钉通知").await == 200).then_some(())
    })
    .await;
    let refused_first = app.fake.refused_for_qps();
    let metrics = reqwest::get(format!("http://{addr}/metrics")).await.unwrap().text().await.unwrap();
    broadcast("第二条钉钉通知").await;
    eventually("the second notice to reach all 200", Duration::from_secs(60), || async {
        (sent("第二条钉钉通知").await == 200).then_some(())
    })
    .await;

    assert!(refused_first >= 1, "flow control refused the configured 20 calls a second");
    let pace: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sansong_send_pace_per_second{platform=\"dingtalk\"} "))
        .unwrap_or_else(|| panic!("no DingTalk pace in {metrics}"))
        .parse()
        .unwrap();
    assert!((1.0..=4.2).contains(&pace), "the learned pace is DingTalk's 4 calls a second: {pace}");
    assert_eq!(app.fake.refused_for_qps(), refused_first, "the second notice met no flow control");
}
