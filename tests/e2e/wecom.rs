//! The bot on WeCom (企业微信), the 智能机器人's long connection, against the fake WeCom: the
//! subscribe comes first and is waited for; a dropped or silent connection is opened again
//! after a backoff, refused credentials five times and no more, a `disconnected_event` never;
//! a message WeCom pushes twice is handled once; replies answer their message's req_id in
//! markdown or button cards (a press answered by updating its card); notices go to each
//! member once through WeCom's refusals (45009, 93006), a notice's file uploaded once in
//! chunks; pictures arrive encrypted and are kept decrypted.

use std::time::{Duration, Instant};

use sansong::domain::{Platform, Role};
use sansong::members::Actor;
use sansong::notices::{Audience, Media, MediaKind, NoticeDraft, Schedule};

use crate::operations::{free_port, until_status};
use crate::support::eventually;
use crate::support::fake_wecom::{FakeWeCom, Sent, WcUser};
use crate::support::wecom_app::{BACKOFF, EveryApp, WeComApp};

/// `count` WeCom members of 人社局, userids `wc0001`…, as registration makes them, who have
/// written to the bot before (so WeCom lets it write to them first).
async fn add_members(app: &WeComApp, count: usize) -> Vec<String> {
    let ids = crate::support::app::add_members(&app.core, Platform::WeCom, "wc", count).await;
    app.fake.knows(&ids);
    ids
}

/// An urgent notice asking for 收到 to everyone, with a file (its name and bytes) if given.
async fn notice(app: &WeComApp, body: &str, file: Option<(&str, Vec<u8>)>) {
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
    sansong::notices::create(&app.core, &Actor::Cli, &draft, None).await.unwrap();
}

/// Every message to `userid` so far.
fn to(fake: &FakeWeCom, userid: &str) -> Vec<Sent> {
    fake.sent().into_iter().filter(|s| s.to == userid && s.is_message()).collect()
}

#[tokio::test]
async fn the_subscribe_is_answered_before_anything_else_and_a_new_member_joins_checks_in_and_reads_the_week()
{
    let app = WeComApp::spawn().await;
    let zhang = WcUser::new("zhangsan", "zhangsan");
    let code = app.invite("人社局", Role::Member).await;

    let join = app.fake.say(&zhang, &format!("加入 {code}"));
    let welcome = app.fake.next_to(&zhang, 0).await;
    let mark = app.fake.mark();
    let line = app.fake.say(&zhang, "送温暖 看望五保户王大爷");
    let receipt = app.fake.next_to(&zhang, mark).await;
    let mark = app.fake.mark();
    let week_msg = app.fake.say(&zhang, "本周");
    let week = app.fake.next_to(&zhang, mark).await;
    app.fake.wait_for("two pings answered on the connection", |f| (f.pings_on(0) >= 2).then_some(())).await;

    assert_eq!(app.fake.first_commands(), [Some("aibot_subscribe".to_owned())]);
    assert_eq!(app.fake.frames_before_subscribe(), 0, "nothing before the subscribe's answer");
    assert_eq!((app.fake.subscribes(), app.fake.good_subscribes()), (1, 1));
    assert!(welcome.text.starts_with("欢迎您，zhangsan！"), "named by the userid: {welcome:#?}");
    assert!(receipt.text.starts_with("✅ 已登记，编号 #1"), "{receipt:#?}");
    assert!(week.text.contains("看望五保户王大爷") && week.text.contains("共 1 次"), "{week:#?}");
    for (msgid, reply) in [(&join, &welcome), (&line, &receipt), (&week_msg, &week)] {
        assert_eq!(reply.cmd, "aibot_respond_msg", "a reply answers its message: {reply:#?}");
        assert_eq!(Some(&reply.req_id), app.fake.req_id_of(msgid).as_ref());
    }
    let sent = to(&app.fake, &zhang.userid);
    assert!(
        sent.iter().all(|s| s.msgtype == "markdown" || s.msgtype == "template_card"),
        "never text: {sent:#?}"
    );
    assert!(app.fake.refusals().is_empty(), "{:#?}", app.fake.refusals());
    assert_eq!(app.checkins_of(&zhang).await, [("warmth".to_owned(), "看望五保户王大爷".to_owned())]);
}

#[tokio::test]
async fn a_dropped_connection_is_opened_again_after_the_backoff_and_then_works() {
    let app = WeComApp::spawn().await;
    let wang = WcUser::new("wangwu", "王五");
    app.register(&wang, "人社局", Role::Member).await;

    let dropped_at = Instant::now();
    app.fake.drop_connection();
    app.fake.wait_connections(2).await;
    let receipt = app.say(&wang, "送服务 帮独居老人买药").await;

    let reopened_after = app.fake.connection_times()[1] - dropped_at;
    assert!(reopened_after >= BACKOFF, "not at once: {reopened_after:?}");
    assert_eq!(app.fake.first_commands()[1].as_deref(), Some("aibot_subscribe"));
    assert_eq!(receipt.conn, 1, "{receipt:#?}");
    assert!(receipt.text.starts_with("✅ 已登记"), "{receipt:#?}");
    assert_eq!(app.checkins_of(&wang).await.len(), 1);
}

#[tokio::test]
async fn a_connection_whose_pings_go_unanswered_is_given_up_after_two_and_opened_again() {
    let app = WeComApp::spawn().await;
    let zhao = WcUser::new("zhaoliu", "赵六");
    app.register(&zhao, "人社局", Role::Member).await;

    app.fake.set_silent(true);
    app.fake.wait_connections(2).await;
    app.fake.set_silent(false);
    app.fake.wait_for("the first connection to end", |f| f.ended_by_bot(0)).await;
    let week = app.say(&zhao, "本周").await;

    assert_eq!(app.fake.ended_by_bot(0), Some(true), "the bot gave it up itself");
    assert!(app.fake.pings_on(0) >= 2, "{} pings", app.fake.pings_on(0));
    assert!(week.text.contains("本周"), "{week:#?}");
}

#[tokio::test]
async fn refused_credentials_are_tried_five_times_further_and_further_apart_then_no_more() {
    let addr = free_port();
    let app = WeComApp::spawn_with_secret("wrong-secret-never-logged", move |c| {
        c.metrics_addr = Some(addr);
    })
    .await;

    app.fake.wait_subscribes(5).await;
    // The longest backoff is 30 × 50 ms: twice that and more without a sixth try means the
    // bot stopped trying (a wait for what must not happen can only end at its deadline).
    let sixth = tokio::time::timeout(BACKOFF * 80, app.fake.wait_subscribes(6)).await;
    let health = until_status(addr, "/healthz", 503).await;

    assert!(sixth.is_err(), "a sixth subscribe after five refusals");
    assert_eq!((app.fake.subscribes(), app.fake.good_subscribes()), (5, 0));
    let times = app.fake.subscribe_times();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (i, gap) in gaps.iter().enumerate() {
        assert!(*gap >= BACKOFF * (1 << i), "gap {i} is {gap:?}: {gaps:?}");
    }
    assert!(gaps[3] > gaps[0], "further apart: {gaps:?}");
    let body: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert!(body["reason"].as_str().unwrap_or("").contains("853000"), "{health}");
    assert!(!health.contains("wrong-secret-never-logged"), "{health}");
}

#[tokio::test]
async fn a_disconnected_event_closes_the_connection_for_good_and_healthz_says_why() {
    let addr = free_port();
    let app = WeComApp::spawn_with(move |c| c.metrics_addr = Some(addr)).await;
    until_status(addr, "/healthz", 200).await;

    app.fake.disconnect_by_newer();
    let down = until_status(addr, "/healthz", 503).await;
    app.fake.wait_for("the displaced connection to end", |f| f.ended_by_bot(0)).await;
    // A reconnect would come within the longest backoff (30 × 50 ms); twice that and more
    // without one means none is coming (a wait for what must not happen ends at its deadline).
    let again = tokio::time::timeout(BACKOFF * 80, app.fake.wait_subscribes(2)).await;

    assert!(again.is_err(), "it subscribed again and would take the bot back from the newer one");
    assert_eq!(app.fake.connections(), 1);
    assert_eq!(app.fake.ended_by_bot(0), Some(true), "the bot closed it, not waiting for WeCom to");
    let body: serde_json::Value = serde_json::from_str(&down).unwrap();
    let reason = body["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("WeCom") && reason.contains("disconnected_event"), "{down}");
}

#[tokio::test]
async fn the_same_msgid_pushed_twice_makes_one_checkin_and_one_receipt() {
    let app = WeComApp::spawn().await;
    let li = WcUser::new("lisi", "李四");
    app.register(&li, "人社局", Role::Member).await;

    let mark = app.fake.mark();
    let msgid = app.fake.say(&li, "送政策 为社区居民宣讲社保政策");
    let receipt = app.fake.next_to(&li, mark).await;
    app.fake.repeat(&msgid);
    // Read after the repeat on the same connection and handled after it in the same chat.
    let week = app.say(&li, "本周").await;
    app.settle().await;

    assert!(receipt.text.starts_with("✅ 已登记，编号 #1"), "{receipt:#?}");
    assert!(week.text.contains("本周"), "the next answer is the week's, no second receipt: {week:#?}");
    assert_eq!(app.checkins_of(&li).await.len(), 1, "the same message twice is one check-in");
    let receipts = to(&app.fake, &li.userid).iter().filter(|s| s.text.contains("已登记")).count();
    assert_eq!(receipts, 1);
    let stored = app
        .scalar(&format!("SELECT COUNT(*) FROM inbox WHERE platform = 'wecom' AND payload LIKE '%{msgid}%'"))
        .await;
    assert_eq!(stored, 1, "kept once, by its msgid");
}

#[tokio::test]
async fn an_invalid_chatid_is_that_members_alone_marked_unreachable_and_not_retried() {
    let app = WeComApp::spawn().await;
    let ids = add_members(&app, 3).await;
    app.fake.set_unreachable(&["wc0002"]);

    notice(&app, "请确认本周走访安排", None).await;
    eventually("the three deliveries to be settled", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status IN ('sent', 'blocked', 'failed')").await
            == 3)
            .then_some(())
    })
    .await;

    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await, 2);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'blocked' AND last_error LIKE '%企业微信%'"
        )
        .await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members WHERE unreachable_at IS NOT NULL").await, 1);
    for id in [&ids[0], &ids[2]] {
        assert!(to(&app.fake, id).iter().any(|s| s.text.contains("请确认本周走访安排")), "{id}");
    }
    let tries = app
        .fake
        .frames()
        .iter()
        .filter(|f| f.cmd == "aibot_send_msg" && f.body["chatid"] == "wc0002")
        .count();
    assert_eq!(tries, 1, "not retried");
    let report = app.core.store.latest_run_report(1).await.unwrap();
    assert_eq!(report.blocked.len(), 1);
    assert_eq!(report.blocked[0].2, Platform::WeCom, "receipts name the platform");
}

/// WeCom allows 5 messages a second while `wecom_rate` says 50: its 45009s slow the sender
/// down, and each member still gets the notice once.
#[tokio::test]
async fn a_notice_to_25_members_reaches_each_once_through_wecoms_api_freq_out_of_limit() {
    let app = WeComApp::spawn().await;
    app.fake.set_bot_rate(Some(5.0));
    let ids = add_members(&app, 25).await;

    notice(&app, "关于做好冬季走访的通知", None).await;
    eventually("all 25 deliveries sent", Duration::from_secs(60), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await == 25).then_some(())
    })
    .await;

    assert!(app.fake.refused_45009() >= 1, "WeCom's limit was met");
    let shape: Vec<(String, String)> =
        to(&app.fake, &ids[0]).iter().map(|s| (s.msgtype.clone(), s.text.clone())).collect();
    assert!(shape.iter().any(|(_, t)| t.contains("关于做好冬季走访的通知")), "{shape:#?}");
    for id in &ids {
        let got: Vec<(String, String)> =
            to(&app.fake, id).iter().map(|s| (s.msgtype.clone(), s.text.clone())).collect();
        assert_eq!(got, shape, "{id}: the notice once, as everyone has it");
    }
}

#[tokio::test]
async fn a_picture_with_words_is_a_checkin_whose_picture_is_decrypted_and_kept() {
    let app = WeComApp::spawn().await;
    let wu = WcUser::new("wujiu", "吴九");
    app.register(&wu, "人社局", Role::Member).await;
    // 4,096 bytes: a whole number of 32-byte blocks, so WeCom pads a full block.
    let photo: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    // 1,000 bytes: padded with 24 bytes of 24.
    let alone: Vec<u8> = (0..1000u32).map(|i| (i * 13 % 256) as u8).collect();

    let mark = app.fake.mark();
    let msgid = app.fake.picture(&wu, &photo, Some("#送温暖 看望五保户"));
    let receipt = app.fake.next_to(&wu, mark).await;
    let mark = app.fake.mark();
    let alone_id = app.fake.picture(&wu, &alone, None);
    app.fake.next_to(&wu, mark).await;

    assert!(receipt.text.starts_with("✅ 已登记"), "{receipt:#?}");
    let kept = |msgid: String| {
        let pool = app.core.store.pool().clone();
        async move {
            sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT bytes FROM received_files WHERE platform = 'wecom' AND file_id = ?",
            )
            .bind(format!("wc:{msgid}"))
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(kept(msgid.clone()).await, Some(photo), "decrypted as sent");
    assert_eq!(kept(alone_id).await, Some(alone), "a picture alone is kept too");
    let photo_ids: Vec<Option<String>> = sqlx::query_scalar("SELECT photo_file_id FROM checkins")
        .fetch_all(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(photo_ids, [Some(format!("wc:{msgid}"))]);
    assert_eq!(app.fake.downloads(), 2, "each fetched once, while its link lived");
}

#[tokio::test]
async fn a_notice_with_a_file_reaches_25_members_uploaded_once_in_chunks() {
    let app = WeComApp::spawn().await;
    let ids = add_members(&app, 25).await;
    // Over 512 KiB: two chunks.
    let pdf = b"%PDF-1.4 policy text ".repeat(30_000);
    notice(&app, "关于医保缴费的政策解读（见附件）", Some(("医保政策.pdf", pdf.clone()))).await;

    eventually("the file and the words to reach all 25", Duration::from_secs(60), || async {
        let done = ids.iter().all(|id| {
            let got = to(&app.fake, id);
            got.iter().any(|s| s.msgtype == "file") && got.iter().any(|s| s.text.contains("关于医保缴费"))
        });
        done.then_some(())
    })
    .await;

    assert_eq!(app.fake.uploads(), [("医保政策.pdf".to_owned(), pdf.len())], "one upload for everyone");
    let chunks = app.fake.frames().iter().filter(|f| f.cmd == "aibot_upload_media_chunk").count();
    assert_eq!(chunks, 2);
    let first = to(&app.fake, &ids[0]);
    let media_id = first[0].media_id.clone().expect("the file first");
    assert_eq!(app.fake.media(&media_id).map(|m| m.2), Some(pdf), "the bytes, whole");
    for id in &ids {
        let got = to(&app.fake, id);
        assert_eq!(got[0].msgtype, "file", "{id}: {got:#?}");
        assert_eq!(got[0].media_id.as_ref(), Some(&media_id), "{id}");
        assert_eq!(got[0].text, "医保政策.pdf");
        assert!(got.iter().all(|s| !s.text.contains("请向发布人索取")), "the file itself came: {got:#?}");
    }
}

#[tokio::test]
async fn the_bot_keeps_to_thirty_uploads_a_minute_and_the_next_file_waits_its_turn_unrefused() {
    let app = WeComApp::spawn().await;
    let ids = add_members(&app, 1).await;
    // Thirty-one notices, each with a file of its own: thirty-one uploads within a minute.
    for i in 1..=31 {
        let pdf = format!("%PDF-1.4 第{i}号政策文件").into_bytes();
        notice(&app, &format!("第{i}号政策解读（见附件）"), Some((&format!("政策{i}.pdf"), pdf))).await;
    }

    let waiting =
        eventually("a notice's file to wait for the bot's uploads", Duration::from_secs(60), || async {
            let n = app
                .scalar("SELECT COUNT(*) FROM deliveries WHERE last_error = 'the bot''s uploads a minute'")
                .await;
            // Uploads under way when the turns ran out finish first; a refused upload ends the
            // wait at once, for the assertions below to say so.
            let refused = app.fake.refusals().iter().any(|r| r.cmd == "aibot_upload_media_init");
            (refused || n > 0 && app.fake.uploads().len() == 30).then_some(n)
        })
        .await;

    let init_refusals: Vec<_> =
        app.fake.refusals().into_iter().filter(|r| r.cmd == "aibot_upload_media_init").collect();
    assert!(init_refusals.is_empty(), "WeCom refused no upload: {init_refusals:#?}");
    assert_eq!(app.fake.uploads().len(), 30, "thirty uploads in the minute, then none");
    assert_eq!(waiting, 1, "one notice's file waits");
    let (status, attempts): (String, i64) = sqlx::query_as(
        "SELECT status, attempts FROM deliveries WHERE last_error = 'the bot''s uploads a minute'",
    )
    .fetch_one(app.core.store.pool())
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("pending", 0), "it waits without spending a try");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'").await, 0);
    assert!(to(&app.fake, &ids[0]).iter().all(|s| s.msgtype == "file" || s.text.contains("政策解读")));
}

#[tokio::test]
async fn a_guided_checkin_shows_a_button_card_a_press_answers_it_and_an_older_card_presses_nothing() {
    let app = WeComApp::spawn().await;
    let sun = WcUser::new("sunqi", "孙七");
    app.register(&sun, "人社局", Role::Member).await;

    let kinds = app.say(&sun, "登记").await;
    let mark = app.fake.mark();
    let press = app.fake.press_button(&sun, &kinds, "送服务");
    let chosen = app.fake.next_to(&sun, mark).await;
    let updated = app
        .fake
        .wait_for("the pressed card updated", |f| {
            f.sent().into_iter().find(|s| s.cmd == "aibot_respond_update_msg" && s.req_id == press)
        })
        .await;
    // The card as the press left it: its one button pressed, then 取消 typed.
    let mark = app.fake.mark();
    let again = app.fake.press_button(&sun, &updated, &updated.buttons[0].0);
    app.fake.frame("aibot_respond_update_msg", &again).await;
    let cancel = app.fake.say(&sun, "取消");
    let after_again = app.fake.next_to(&sun, mark).await;
    // An older card, answered by typing instead: its press comes after the dialogue moved on.
    let older = app.say(&sun, "登记").await;
    app.say(&sun, "2").await;
    let mark = app.fake.mark();
    let stale_press = app.fake.press_button(&sun, &older, "送温暖");
    let stale = app.fake.next_to(&sun, mark).await;
    let typed = app.say(&sun, "2").await;

    assert_eq!(kinds.msgtype, "template_card", "{kinds:#?}");
    assert!(kinds.buttons.len() <= 6, "{kinds:#?}");
    let key = kinds.key("送服务").unwrap();
    assert!(key.starts_with("2·"), "the key is the typed answer, its number and mark: {key}");
    assert!(chosen.text.contains("类型：送服务"), "{chosen:#?}");
    assert_eq!(chosen.cmd, "aibot_send_msg", "a press's req_id answers only the card");
    assert_eq!(updated.buttons.len(), 1, "{updated:#?}");
    assert!(updated.buttons[0].0.contains("送服务"), "{updated:#?}");
    assert_eq!(
        Some(&after_again.req_id),
        app.fake.req_id_of(&cancel).as_ref(),
        "the press of the pressed card said nothing; the next message answers 取消: {after_again:#?}"
    );
    app.fake.frame("aibot_respond_update_msg", &stale_press).await;
    assert!(stale.text.contains("已过期"), "a press of the older card presses nothing: {stale:#?}");
    assert!(typed.text.contains("活动日期") || typed.text.contains("昨天"), "typing still works: {typed:#?}");
    let refused: Vec<_> = app.fake.refusals().into_iter().filter(|r| r.req_id == press).collect();
    assert!(refused.is_empty(), "the update came within WeCom's 5 s: {refused:#?}");
    let second_update = app.fake.sent().into_iter().find(|s| s.req_id == again).unwrap();
    assert_eq!(second_update.buttons, updated.buttons, "the card still shows the choice");
}

#[tokio::test]
async fn in_a_group_the_bot_points_people_to_the_single_chat() {
    let app = WeComApp::spawn().await;
    let chen = WcUser::new("chenshiyi", "陈十一");
    app.register(&chen, "人社局", Role::Member).await;

    app.fake.say_in_group(&chen, "wrGroupChat0001", "本周");
    let answer = app
        .fake
        .wait_for("the answer in the group", |f| f.sent().into_iter().find(|s| s.to == "wrGroupChat0001"))
        .await;

    assert!(answer.text.contains("请私聊我"), "{answer:#?}");
    assert!(app.checkins_of(&chen).await.is_empty());
}

#[tokio::test]
async fn when_wecom_refuses_a_reply_on_its_req_id_the_reply_is_written_to_the_conversation() {
    let app = WeComApp::spawn().await;
    let feng = WcUser::new("fengba", "冯八");
    app.register(&feng, "人社局", Role::Member).await;

    app.fake.set_refuse_responds(true);
    let week = app.say(&feng, "本周").await;

    assert_eq!(week.cmd, "aibot_send_msg", "{week:#?}");
    assert!(week.text.contains("本周"), "{week:#?}");
    let refused = app.fake.refusals();
    assert!(refused.iter().any(|r| r.cmd == "aibot_respond_msg" && r.errcode == 846_605), "{refused:#?}");
}

#[tokio::test]
async fn a_reply_longer_than_a_wecom_message_arrives_in_parts_under_20480_bytes() {
    let app = WeComApp::spawn().await;
    add_members(&app, 800).await;
    let admin = WcUser::new("fengguanli", "冯管理");
    app.register(&admin, "人社局", Role::Admin).await;

    let mark = app.fake.mark();
    app.fake.say(&admin, "成员");
    let parts = app
        .fake
        .wait_for("the member list in parts", |f| {
            let mine: Vec<Sent> =
                f.sent().into_iter().filter(|s| s.seq >= mark && s.to == admin.userid).collect();
            mine.iter().any(|s| s.text.contains("党员0800")).then_some(mine)
        })
        .await;

    assert!(parts.len() >= 2, "{} parts", parts.len());
    for part in &parts {
        assert!(part.text.len() <= 20_480, "{} bytes", part.text.len());
    }
    assert!(app.fake.refusals().is_empty(), "{:#?}", app.fake.refusals());
}

#[tokio::test]
async fn a_member_bound_on_three_platforms_gets_one_copy_of_a_notice_where_they_last_wrote() {
    use crate::support::TgUser;
    use crate::support::fake_dingtalk::DtUser;
    let app = EveryApp::spawn().await;
    let member = app.register_telegram(83_001, "张三", "人社局", Role::Member).await;
    let on_telegram = TgUser::new(83_001, "张三");
    let on_dingtalk = DtUser::new("manager8301", "张三");
    let on_wecom = WcUser::new("zhangsan", "张三");

    let code = sansong::members::link_code(&app.core, &member).await.unwrap();
    let mark = app.dingtalk.mark();
    app.dingtalk.say(&on_dingtalk, &format!("绑定 {code}"));
    let bound_dt = app.dingtalk.next_to(&on_dingtalk, mark).await;
    let code = sansong::members::link_code(&app.core, &member).await.unwrap();
    let mark = app.wecom.mark();
    app.wecom.say(&on_wecom, &format!("绑定 {code}"));
    let bound_wc = app.wecom.next_to(&on_wecom, mark).await;
    let publish = |body: &'static str| {
        let core = app.core.clone();
        async move {
            let draft = crate::notices::draft(body, crate::notices::everyone(), Schedule::Now);
            sansong::notices::create(&core, &Actor::Cli, &draft, None).await.unwrap();
        }
    };
    let copies = |body: &'static str| {
        let telegram =
            app.telegram.outgoing_to(on_telegram.id).iter().filter(|o| o.text.contains(body)).count();
        let dingtalk = app
            .dingtalk
            .sent()
            .iter()
            .filter(|s| s.to == on_dingtalk.staff_id && s.text.contains(body))
            .count();
        let wecom = to(&app.wecom, &on_wecom.userid).iter().filter(|s| s.text.contains(body)).count();
        (telegram, dingtalk, wecom)
    };
    let settled = |body: &'static str| {
        let pool = app.core.store.pool().clone();
        async move {
            eventually("the delivery to be sent", Duration::from_secs(20), || async {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM deliveries d JOIN notice_runs r ON r.id = d.run_id
                     JOIN notices n ON n.id = r.notice_id WHERE d.status = 'sent' AND n.body = ?",
                )
                .bind(body)
                .fetch_one(&pool)
                .await
                .unwrap();
                (n == 1).then_some(())
            })
            .await;
        }
    };

    publish("第一条：三个平台").await;
    app.wecom
        .wait_for("the notice on WeCom", |f| {
            to(f, &on_wecom.userid).into_iter().find(|s| s.text.contains("第一条：三个平台"))
        })
        .await;
    settled("第一条：三个平台").await;
    let first = copies("第一条：三个平台");
    // They write on DingTalk: the next notice goes there.
    let mark = app.dingtalk.mark();
    app.dingtalk.say(&on_dingtalk, "本周");
    app.dingtalk.next_to(&on_dingtalk, mark).await;
    publish("第二条：三个平台").await;
    app.dingtalk
        .wait_for("the notice on DingTalk", |f| {
            f.sent().into_iter().find(|s| s.to == on_dingtalk.staff_id && s.text.contains("第二条：三个平台"))
        })
        .await;
    settled("第二条：三个平台").await;
    let second = copies("第二条：三个平台");

    assert!(bound_dt.text.contains("已绑定：张三"), "{bound_dt:#?}");
    assert!(bound_wc.text.contains("已绑定：张三"), "{bound_wc:#?}");
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE member_id = ?")
        .bind(member.id)
        .fetch_one(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(accounts, 3, "one member, three accounts");
    assert_eq!(first, (0, 0, 1), "WeCom, where they last wrote, and only there");
    assert_eq!(second, (0, 1, 0), "then DingTalk, and only there");
    app.stop().await;
}

/// The fake's pictures are encrypted as WeCom encrypts them: the test vector in the notes
/// (`/tmp/wecom-protocol.md` §9, checked against openssl and the SDK's `decryptFile`).
#[test]
fn the_fake_encrypts_pictures_as_wecom_does() {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let encrypted = FakeWeCom::encrypt(b"hello wecom", &key);
    let hex: String = encrypted.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "6c18ef7939e6c90b61105034be4971e0bc934565924a5ed562eeb5da8c771a03");
}

/// Two sansong processes with the same Bot ID (a second one started by mistake): the newer
/// subscribe takes the bot, the older stops, and neither takes it back from the other.
#[tokio::test]
async fn a_second_sansong_on_the_same_bot_takes_it_over_and_the_first_does_not_take_it_back() {
    use std::sync::Arc;
    let app = WeComApp::spawn().await;
    let config = sansong::config::Config {
        wecom: Some(crate::support::wecom_app::settings(&app.fake)),
        ..crate::support::shared::test_config(&app.db_url)
    };
    let store = sansong::store::Store::open(&app.db_url).await.unwrap();
    let core =
        sansong::Core::new(store, config.clone(), Arc::new(app.clock.clone()), sansong::platform_limits());
    let (wake, shutdown) = (Arc::new(tokio::sync::Notify::new()), tokio_util::sync::CancellationToken::new());
    let started = crate::support::wecom_app::start_wecom(
        &core,
        config.wecom.clone().unwrap(),
        crate::support::fake_wecom::SECRET,
        wake.clone(),
        shutdown.clone(),
    );
    let second = tokio::spawn(sansong::jobs::serve(core, vec![started], wake, shutdown.clone()));

    app.fake.wait_connections(2).await;
    app.fake.wait_for("the first connection to end", |f| f.ended_by_bot(0)).await;
    // Taking the bot back would come within the longest backoff (30 × 50 ms); twice that and
    // more without a third subscribe means neither does (this wait can only end at its deadline).
    let storm = tokio::time::timeout(BACKOFF * 80, app.fake.wait_subscribes(3)).await;
    let zhou = WcUser::new("zhouba", "周八");
    let welcome = app.register(&zhou, "人社局", Role::Member).await;
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), second).await;

    assert!(storm.is_err(), "互踢: {} subscribes", app.fake.subscribes());
    assert_eq!(app.fake.ended_by_bot(0), Some(true), "the first closed its connection itself");
    assert_eq!(welcome.conn, 1, "the second sansong answers now: {welcome:#?}");
}

/// The fake refuses what WeCom refuses, so the tests above would see the bot do it: a frame
/// before the subscribe's answer, wrong credentials, a reply on a req_id that is not a
/// message's, `text`, markdown over 20,480 bytes, seven buttons, a card without `task_id`, a
/// first message to someone who never wrote.
#[tokio::test]
async fn the_fake_refuses_what_wecom_refuses() {
    use futures::{SinkExt, StreamExt};
    use serde_json::{Value, json};
    use tokio_tungstenite::tungstenite::Message;

    use crate::support::fake_wecom::SECRET;
    let fake = FakeWeCom::start().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(fake.url.as_str()).await.unwrap();
    let mut n = 0;
    let mut ask = async |cmd: &str, req_id: Option<&str>, body: Value| -> i64 {
        n += 1;
        let req_id = req_id.map_or_else(|| format!("{cmd}_{n}"), str::to_owned);
        let frame = json!({ "cmd": cmd, "headers": { "req_id": req_id }, "body": body });
        socket.send(Message::Text(frame.to_string().into())).await.unwrap();
        loop {
            let Some(Ok(Message::Text(t))) = socket.next().await else { panic!("closed") };
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["headers"]["req_id"] == req_id.as_str() && v.get("cmd").is_none() {
                return v["errcode"].as_i64().unwrap();
            }
        }
    };
    let markdown = |content: String| json!({ "msgtype": "markdown", "markdown": { "content": content } });
    let card = |buttons: usize, task_id: Option<&str>| {
        let list: Vec<Value> = (0..buttons)
            .map(|i| json!({ "text": format!("选项{i}"), "style": 1, "key": format!("k{i}") }))
            .collect();
        let mut card = json!({
            "card_type": "button_interaction",
            "main_title": { "title": "请选择" },
            "button_list": list,
        });
        if let Some(t) = task_id {
            card["task_id"] = json!(t);
        }
        json!({ "msgtype": "template_card", "template_card": card })
    };
    let zhang = WcUser::new("zhangsan", "张三");
    let hello = json!({
        "chatid": "zhangsan",
        "chat_type": 1,
        "msgtype": "markdown",
        "markdown": { "content": "你好" },
    });

    let early = ask("aibot_send_msg", None, markdown("早".into())).await;
    let wrong =
        ask("aibot_subscribe", None, json!({ "bot_id": crate::support::fake_wecom::BOT_ID, "secret": "x" }))
            .await;
    let right = ask(
        "aibot_subscribe",
        None,
        json!({ "bot_id": crate::support::fake_wecom::BOT_ID, "secret": SECRET }),
    )
    .await;
    let stranger = ask("aibot_send_msg", None, hello.clone()).await;
    let msgid = fake.say(&zhang, "你好");
    let callback = fake.req_id_of(&msgid).unwrap();
    let own_req_id = ask("aibot_respond_msg", None, markdown("你好".into())).await;
    let text = ask(
        "aibot_respond_msg",
        Some(&callback),
        json!({ "msgtype": "text", "text": { "content": "你好" } }),
    )
    .await;
    let long = ask("aibot_respond_msg", Some(&callback), markdown("字".repeat(6827))).await;
    let seven = ask("aibot_respond_msg", Some(&callback), card(7, Some("t7"))).await;
    let no_task = ask("aibot_respond_msg", Some(&callback), card(2, None)).await;
    let at_limit = ask("aibot_respond_msg", Some(&callback), markdown("字".repeat(6826))).await;
    let six = ask("aibot_respond_msg", Some(&callback), card(6, Some("t6"))).await;
    let same_task = ask("aibot_respond_msg", Some(&callback), card(6, Some("t6"))).await;
    let written = ask("aibot_send_msg", None, hello.clone()).await;

    assert_eq!((early, wrong, right), (40_014, 853_000, 0));
    assert_eq!(fake.frames_before_subscribe(), 1);
    assert_eq!((stranger, own_req_id, text), (93_006, 846_605, 40_008));
    assert_eq!((long, seven, no_task), (40_058, 40_058, 40_058), "6,827 × 3 bytes is over 20,480");
    assert_eq!((at_limit, six, same_task, written), (0, 0, 40_058, 0));
}

/// A new member's first minutes on WeCom, printed (`cargo test --test e2e wecom_transcript --
/// --nocapture`): each callback the fake pushed and each frame the bot wrote (pings left out).
/// WeCom gives the bot no names, so the newcomer is asked for theirs, and the admin's lists
/// show it once given.
#[tokio::test]
async fn wecom_transcript_of_a_new_members_first_minutes_who_gives_their_name() {
    let app = WeComApp::spawn().await;
    let admin = WcUser::new("zhengguanli", "zhengguanli");
    app.register(&admin, "人社局", Role::Admin).await;
    let code = app.invite("人社局", Role::Member).await;
    let zhang = WcUser::new("zhangsan", "zhangsan");
    let mut transcript = String::new();
    let written = |from: usize| -> Vec<String> {
        app.fake.frames()[from..]
            .iter()
            .filter(|f| f.cmd != "ping")
            .map(|f| format!("← {} {} {}", f.cmd, f.req_id, f.body))
            .collect()
    };
    // (what the person does, a word the last answer to it contains)
    let steps: [(&str, &str); 9] = [
        (&format!("加入 {code}"), "我的名字"),
        ("我的名字 张三", "显示为「张三」"),
        ("送温暖 看望五保户王大爷，服务3人", "已登记"),
        ("登记", "请选择活动类型"),
        ("press 送服务", "请用一段文字说明"),
        ("昨天 帮独居老人买药", "下一步"),
        ("下一步", "请确认"),
        ("确认登记", "已登记"),
        ("本周", "共 2 次"),
    ];
    let mut last_card: Option<Sent> = None;
    for (step, expected) in steps {
        let (frames, mark) = (app.fake.frames().len(), app.fake.mark());
        let pushed = match step.strip_prefix("press ") {
            Some(label) => {
                let card = last_card.clone().expect("a card to press");
                let req_id = app.fake.press_button(&zhang, &card, label);
                format!("→ aibot_event_callback template_card_event {label:?} (req_id {req_id})")
            }
            None => {
                let msgid = app.fake.say(&zhang, step);
                format!("→ {}", app.fake.pushed(&msgid).unwrap_or_default())
            }
        };
        let answer = app
            .fake
            .wait_for(&format!("an answer containing {expected:?}"), |f| {
                f.sent()
                    .into_iter()
                    .find(|s| s.seq >= mark && s.to == zhang.userid && s.text.contains(expected))
            })
            .await;
        if answer.msgtype == "template_card" {
            last_card = Some(answer.clone());
        }
        transcript.push_str(&format!("{pushed}\n{}\n\n", written(frames).join("\n")));
    }
    println!("{transcript}");
    let members = app.say(&admin, "成员").await;

    assert_eq!(app.checkins_of(&zhang).await.len(), 2, "{transcript}");
    assert!(transcript.contains("暂时用「zhangsan」称呼您"), "{transcript}");
    assert!(
        transcript.contains("aibot_respond_update_msg"),
        "the press was answered on its card: {transcript}"
    );
    assert!(members.text.contains("张三") && !members.text.contains("zhangsan"), "{members:#?}");
    let written = transcript.lines().filter(|l| l.starts_with('←'));
    assert!(written.clone().all(|l| !l.contains("\"msgtype\":\"text\"")), "never text: {transcript}");
}

/// A picture's link lives five minutes (here one second): one that waits its turn behind the
/// same person's burst is fetched on receipt, not when its turn comes.
#[tokio::test]
async fn a_picture_waiting_behind_a_burst_is_fetched_while_its_link_lives() {
    let app = WeComApp::spawn().await;
    let sun = WcUser::new("sunba", "孙八");
    app.register(&sun, "人社局", Role::Member).await;
    app.fake.set_media_lifetime(Duration::from_secs(1));
    let photo: Vec<u8> = (0..2048u32).map(|i| (i % 199) as u8).collect();

    // Over flood control's 20 in 10 s: the picture's turn comes seconds after its link died.
    for i in 0..22 {
        app.fake.say(&sun, &format!("送政策 第{i}次宣讲"));
    }
    let msgid = app.fake.picture(&sun, &photo, Some("#送温暖 看望五保户"));
    eventually("all 23 check-ins", Duration::from_secs(40), || async {
        (app.scalar("SELECT COUNT(*) FROM checkins").await == 23).then_some(())
    })
    .await;

    let photo_id: Option<String> =
        sqlx::query_scalar("SELECT photo_file_id FROM checkins WHERE description = '看望五保户'")
            .fetch_one(app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(photo_id, Some(format!("wc:{msgid}")), "the check-in keeps its picture");
    let kept = app.core.store.received_file(Platform::WeCom, &format!("wc:{msgid}")).await.unwrap();
    assert_eq!(kept.map(|(_, bytes)| bytes), Some(photo));
}

/// A member whose conversation has had WeCom's 30 messages this minute gets a notice when the
/// minute allows: the others get it at once, nothing waits behind that one conversation.
#[tokio::test]
async fn a_notice_to_a_conversation_at_its_limit_waits_for_it_alone() {
    let app = WeComApp::spawn().await;
    let ids = add_members(&app, 2).await;
    // Joined without giving a name: called by the userid.
    let busy = WcUser::new("zhoujiu", "zhoujiu");
    app.register(&busy, "人社局", Role::Member).await;
    // The welcome and 29 receipts: 30 messages to this conversation within the minute.
    for i in 0..29 {
        app.fake.say(&busy, &format!("送服务 第{i}次"));
    }
    eventually("the 29 receipts", Duration::from_secs(40), || async {
        (to(&app.fake, &busy.userid).len() == 30).then_some(())
    })
    .await;

    notice(&app, "本周五前报送走访情况", None).await;
    for id in &ids {
        app.fake
            .wait_for("the others' notice", |f| {
                to(f, id).into_iter().find(|s| s.text.contains("本周五前报送走访情况"))
            })
            .await;
    }
    eventually("the busy member's delivery deferred", Duration::from_secs(20), || async {
        (app.scalar(
            "SELECT COUNT(*) FROM deliveries d JOIN members m ON m.id = d.member_id
             WHERE m.name = 'zhoujiu' AND d.status = 'pending' AND d.last_error = 'per-conversation limit'",
        )
        .await
            == 1)
            .then_some(())
    })
    .await;

    assert!(
        !to(&app.fake, &busy.userid).iter().any(|s| s.text.contains("本周五前报送走访情况")),
        "not into a full conversation"
    );
    assert!(app.fake.refusals().is_empty(), "nothing WeCom had to refuse: {:#?}", app.fake.refusals());
}

/// A long connection that cannot be opened is WeCom's outage, not each member's: a notice
/// meanwhile is held, no member is marked failed or unreachable, and it reaches everyone once
/// WeCom is back.
#[tokio::test]
async fn while_the_long_connection_cannot_be_opened_a_notice_waits_as_wecoms_outage_then_goes_out() {
    let app = WeComApp::spawn().await;
    let ids = add_members(&app, 5).await;
    let before = app.fake.connections();

    app.fake.set_down(true);
    notice(&app, "周五下午集中学习", None).await;
    eventually("WeCom's outage recorded", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM outages WHERE platform = 'wecom' AND ended_at IS NULL").await == 1)
            .then_some(())
    })
    .await;
    let held = app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").await;
    app.fake.set_down(false);
    app.fake.wait_connections(before + 1).await;
    eventually("all five delivered", Duration::from_secs(30), || async {
        (app.scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").await == 5).then_some(())
    })
    .await;

    assert_eq!(held, 5, "held for WeCom, none failed or unreachable");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members WHERE unreachable_at IS NOT NULL").await, 0);
    for id in &ids {
        let copies = to(&app.fake, id).into_iter().filter(|s| s.text.contains("周五下午集中学习")).count();
        assert_eq!(copies, 1, "{id}");
    }
    eventually("the outage ended", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM outages WHERE ended_at IS NOT NULL").await == 1).then_some(())
    })
    .await;
}
