//! Notices: composing in the chat and on the command line, schedules, acknowledgements,
//! policy notices leading to check-ins, receipts, roles.

use std::time::Duration;

use chrono::Duration as Span;
use sansong::domain::Role;
use sansong::members::Actor;
use sansong::notices::{self, Audience, NoticeDraft, Schedule};
use sansong::schedule;
use sansong::store::AckOutcome;

use crate::support::fake_api::Outgoing;
use crate::support::{TestApp, TgUser, beijing, eventually_every};

/// A plain notice draft to `audience`.
pub fn draft(text: &str, audience: Audience, schedule: Schedule) -> NoticeDraft {
    NoticeDraft {
        body: text.into(),
        media: None,
        audience,
        schedule,
        ack: false,
        policy: false,
        urgent: false,
        remind_after: None,
    }
}

/// A notice to everyone, now, that asks for 「收到」 and reminds after 24 hours.
fn acked_with_reminder(text: &str) -> NoticeDraft {
    NoticeDraft { ack: true, remind_after: Some(Span::hours(24)), ..draft(text, everyone(), Schedule::Now) }
}

pub fn everyone() -> Audience {
    Audience { all: true, ..Audience::default() }
}

/// Waits until `user` has received a message containing `text`.
pub async fn received(app: &TestApp, user: &TgUser, text: &str) -> Outgoing {
    app.fake
        .wait_for(&format!("{} to receive {text:?}", user.first_name), |v| {
            v.outgoing().iter().find(|o| o.chat_id == user.id && !o.edit && o.text.contains(text)).cloned()
        })
        .await
}

/// Waits until no delivery is pending. A send is recorded just after Telegram answers, so a
/// member can have a notice before its delivery counts as sent (and its reminder delay starts).
pub async fn outbox_drained(app: &TestApp) {
    eventually_every("the outbox to drain", Duration::from_secs(20), Duration::from_millis(10), || async {
        (app.core.store.outbox_backlog().await.unwrap() == 0).then_some(())
    })
    .await;
}

async fn unit_id(app: &TestApp, name: &str) -> i64 {
    sansong::members::resolve_unit(&app.core, name).await.unwrap().id
}

#[tokio::test]
async fn an_organiser_composes_a_notice_in_the_chat_and_their_unit_receives_it() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(50_001, "李组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    let members = app.register_many(3, 50_010, "人社局").await;
    let outsider = TgUser::new(50_020, "科工党员");
    app.register(&outsider, "科工局", Role::Member).await;

    let prompt = app.say(&organiser, "/notice").await;
    assert!(prompt.text.contains("请发送通知内容"), "{}", prompt.text);
    let audience = app.say(&organiser, "关于开展冬季送温暖活动的通知：本周五前完成走访。").await;
    assert_eq!(audience.labels(), ["本单位全体", "本单位按身份", "取消"]);
    let when = app.press(&organiser, &audience, "本单位全体").await;
    let options = app.press(&organiser, &when, "立即发送").await;
    let options = app.press(&organiser, &options, "需确认").await;
    assert!(options.labels().iter().any(|l| l.starts_with("☑ 需确认")), "{:?}", options.labels());
    let mark = app.fake.mark();
    let data = options.button("预览").unwrap().to_owned();
    app.fake.press(&organiser, options.message_id, &data);
    let shown = app.fake.next_to(organiser.id, mark).await;
    let summary = app.fake.next_to(organiser.id, shown.seq + 1).await;
    assert_eq!(shown.text, "关于开展冬季送温暖活动的通知：本周五前完成走访。", "the exact message");
    assert_eq!(shown.labels(), ["收到"]);
    assert!(summary.text.contains("人社局 · 全体成员（现有 4 人）"), "{}", summary.text);
    assert!(summary.text.contains("发送：立即"), "{}", summary.text);
    // The organiser is in the audience too: their own copy may overtake the confirmation.
    let mark = app.fake.mark();
    app.fake.press(&organiser, summary.message_id, summary.button("确认发布").unwrap());
    let published = app
        .fake
        .wait_for_outgoing("the confirmation that the notice is published", |o| {
            o.chat_id == organiser.id && o.seq >= mark && o.text.contains("已发布通知 #")
        })
        .await;

    for m in &members {
        let got = received(&app, m, "冬季送温暖").await;
        assert_eq!(got.labels(), ["收到"]);
    }
    // The organiser is in the audience too; wait for every copy to count as sent.
    received(&app, &organiser, "冬季送温暖").await;
    outbox_drained(&app).await;
    app.settle().await;
    let to_outsider = app.fake.outgoing_to(outsider.id);
    assert!(to_outsider.is_empty(), "another unit's member gets nothing: {to_outsider:?}");
    let id = published.text.split('#').nth(1).unwrap().split('。').next().unwrap().to_owned();
    let receipts = app.say(&organiser, &format!("/receipts {id}")).await;
    assert!(receipts.text.contains("目标 4 人 · 已送达 4"), "{}", receipts.text);
    assert!(receipts.text.contains("已确认 0 · 未确认 4"), "{}", receipts.text);
}

#[tokio::test]
async fn a_photo_notice_on_telegram_alone_goes_by_its_file_id_and_its_bytes_are_neither_fetched_nor_kept() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(50_051, "周组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    let members = app.register_many(2, 50_060, "人社局").await;

    app.say(&organiser, "/notice").await;
    let mark = app.fake.mark();
    app.fake.photo(&organiser, "poster-1", Some("冬季防火宣传海报"));
    let audience = app.fake.next_to(organiser.id, mark).await;
    let when = app.press(&organiser, &audience, "本单位全体").await;
    let options = app.press(&organiser, &when, "立即发送").await;
    let mark = app.fake.mark();
    app.fake.press(&organiser, options.message_id, options.button("预览").unwrap());
    let shown = app.fake.next_to(organiser.id, mark).await;
    let summary = app.fake.next_to(organiser.id, shown.seq + 1).await;
    app.fake.press(&organiser, summary.message_id, summary.button("确认发布").unwrap());
    for m in &members {
        let got = received(&app, m, "冬季防火宣传海报").await;
        assert_eq!(got.media, Some(("photo".to_owned(), "poster-1".to_owned())), "sent again by file_id");
    }

    assert!(app.fake.calls("getFile").is_empty(), "no other platform needs the bytes");
    let (file_id, bytes): (Option<String>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT media_file_id, media_bytes FROM notices")
            .fetch_one(app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(file_id.as_deref(), Some("poster-1"));
    assert_eq!(bytes, None);
    let uploads = app.fake.calls("sendPhoto").iter().filter(|c| c.params["photo"].is_object()).count();
    assert_eq!(uploads, 0, "Telegram is never sent the bytes it already has");
}

#[tokio::test]
async fn pasted_text_with_pinyin_is_offered_cleaned_in_the_preview() {
    let app = TestApp::spawn().await;
    let admin = TgUser::new(50_101, "王管理");
    app.register(&admin, "人社局", Role::Admin).await;
    let member = TgUser::new(50_102, "张三");
    app.register(&member, "科工局", Role::Member).await;
    let pasted = "臨湘市直機關(guān)黨組織以“四聯(lián)四促”活動為抓手，推動發(fā)展。";

    app.say(&admin, "/notice").await;
    let audience = app.say(&admin, pasted).await;
    let when = app.press(&admin, &audience, "全体成员").await;
    let options = app.press(&admin, &when, "立即发送").await;
    let mark = app.fake.mark();
    app.fake.press(&admin, options.message_id, options.button("预览").unwrap());
    let shown = app.fake.next_to(admin.id, mark).await;
    let summary = app.fake.next_to(admin.id, shown.seq + 1).await;
    assert_eq!(shown.text, pasted, "the original first");
    assert!(summary.text.contains("拼音注音"), "{}", summary.text);

    let mark = app.fake.mark();
    app.fake.press(&admin, summary.message_id, summary.button("使用清理后的文本").unwrap());
    let cleaned = app
        .fake
        .wait_for_outgoing("the cleaned preview", |o| {
            o.seq >= mark && o.chat_id == admin.id && o.text.contains("临湘")
        })
        .await;
    assert_eq!(cleaned.text, "临湘市直机关党组织以“四联四促”活动为抓手，推动发展。");
    let summary = app.fake.next_to(admin.id, cleaned.seq + 1).await;
    app.press(&admin, &summary, "确认发布").await;

    let got = received(&app, &member, "四联四促").await;
    assert_eq!(got.text, "临湘市直机关党组织以“四联四促”活动为抓手，推动发展。");
}

#[tokio::test]
async fn an_acknowledgement_is_recorded_once_and_the_button_then_shows_it() {
    let app = TestApp::spawn().await;
    let users = app.register_many(2, 50_200, "人社局").await;
    let notice = notices::create(
        &app.core,
        &Actor::Cli,
        &NoticeDraft { ack: true, ..draft("请确认收到本通知", everyone(), Schedule::Now) },
        None,
    )
    .await
    .unwrap();
    let got = received(&app, &users[0], "请确认收到").await;
    // The other member has it too (and has not acknowledged), whatever the order of sends.
    received(&app, &users[1], "请确认收到").await;
    let data = got.button("收到").unwrap().to_owned();

    let answers = app.fake.calls("answerCallbackQuery").len();
    app.fake.press(&users[0], got.message_id, &data);
    let edited = app
        .fake
        .wait_for_outgoing("the button to change", |o| {
            o.edit && o.chat_id == users[0].id && o.message_id == got.message_id
        })
        .await;
    assert_eq!(edited.labels(), ["✓ 已确认"]);
    assert_eq!(edited.text, "请确认收到本通知", "the message itself is unchanged");
    app.fake.press(&users[0], got.message_id, &data);
    let texts = app
        .fake
        .wait_for("both presses answered", |v| {
            let calls = v.calls("answerCallbackQuery");
            (calls.len() >= answers + 2).then(|| {
                calls[answers..]
                    .iter()
                    .map(|c| c.params["text"].as_str().unwrap_or("").to_owned())
                    .collect::<Vec<_>>()
            })
        })
        .await;
    assert!(texts[0].contains("已确认收到"), "{texts:?}");
    assert!(texts[1].contains("已经确认过了"), "{texts:?}");

    // Someone else pressing (a forwarded message, a forged update) records nothing.
    let delivery: i64 = data.strip_prefix("ak:").unwrap().parse().unwrap();
    let someone_else = app.core.store.member_by_person(users[1].id).await.unwrap().unwrap();
    let other = notices::acknowledge(&app.core, &someone_else, delivery).await.unwrap();
    assert_eq!(other, AckOutcome::NotFound);
    let report = app.core.store.latest_run_report(notice.id).await.unwrap();
    assert_eq!(report.acknowledged, 1);
    assert_eq!(report.not_acknowledged.len(), 1);
}

#[tokio::test]
async fn a_policy_notice_leads_to_a_songzhengce_checkin_citing_it_and_receipts_count_it() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(50_301, "宣讲员");
    app.register(&member, "人社局", Role::Member).await;
    let notice = notices::create(
        &app.core,
        &Actor::Cli,
        &NoticeDraft {
            policy: true, ..draft("2026年城乡居民医保缴费政策要点", everyone(), Schedule::Now)
        },
        None,
    )
    .await
    .unwrap();
    let got = received(&app, &member, "医保缴费").await;
    assert_eq!(got.labels(), ["去宣讲"]);
    let policy_button = got.button("去宣讲").unwrap().to_owned();

    let describe = app.press(&member, &got, "去宣讲").await;
    assert!(describe.text.contains(&format!("宣讲通知 #{}", notice.id)), "{}", describe.text);
    assert!(
        describe.text.contains("类型：送政策") && describe.text.contains("五里牌街道新球社区"),
        "{}",
        describe.text
    );
    let extras = app.say(&member, "在新球社区宣讲医保缴费政策，服务20人").await;
    let confirm = app.press(&member, &extras, "下一步").await;
    app.press(&member, &confirm, "确认登记").await;

    let cited: Option<i64> =
        sqlx::query_scalar("SELECT notice_id FROM checkins").fetch_one(app.core.store.pool()).await.unwrap();
    assert_eq!(cited, Some(notice.id));
    let (code, out, _) = app.cli(&["notice", "status", &notice.id.to_string(), "--format", "json"]).await;
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["delivered_onward"]["members"], 1);
    assert_eq!(status["delivered_onward"]["sites"][0], "五里牌街道新球社区");
    let (_, table, _) = app.cli(&["notice", "status", &notice.id.to_string()]).await;
    assert!(table.contains("已去宣讲：1 人；站点：五里牌街道新球社区"), "{table}");

    // Button data is not trusted: a forged 「去宣讲」 on a notice not marked as policy is refused.
    let plain =
        notices::create(&app.core, &Actor::Cli, &draft("普通会议通知", everyone(), Schedule::Now), None)
            .await
            .unwrap();
    let got = received(&app, &member, "普通会议通知").await;
    assert!(got.button("去宣讲").is_none());
    let data = policy_button.replace(&notice.id.to_string(), &plain.id.to_string());
    let mark = app.fake.mark();
    app.fake.press(&member, got.message_id, &data);
    let refused = app.fake.next_to(member.id, mark).await;
    assert!(!refused.text.contains("宣讲通知"), "{}", refused.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins WHERE notice_id IS NOT NULL").await, 1);
}

#[tokio::test]
async fn a_cron_notice_fires_at_each_tick_in_beijing_time_and_not_between() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(50_401, "张三");
    app.register(&member, "人社局", Role::Member).await;
    let cron = schedule::parse_schedule("0 9 * * 1", app.core.tz(), app.clock_now()).unwrap();
    let notice = notices::create(&app.core, &Actor::Cli, &draft("每周例会提醒", everyone(), cron), None)
        .await
        .unwrap();
    assert_eq!(notice.next_fire_at, Some(beijing(2026, 11, 30, 9, 0)), "the next Monday 09:00 in Beijing");

    app.set_now(beijing(2026, 11, 30, 8, 59));
    assert_eq!(notices::scheduler::tick(&app.core).await.unwrap(), 0, "not before its time");
    app.set_now(beijing(2026, 11, 30, 9, 0));
    received(&app, &member, "每周例会提醒").await;
    app.set_now(beijing(2026, 12, 7, 9, 0));
    app.fake
        .wait_for("the second Monday's message", |v| {
            (v.outgoing().iter().filter(|o| o.chat_id == member.id).count() == 2).then_some(())
        })
        .await;

    let runs: Vec<i64> = sqlx::query_scalar("SELECT due_at FROM notice_runs ORDER BY id")
        .fetch_all(app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(runs, [beijing(2026, 11, 30, 9, 0).timestamp(), beijing(2026, 12, 7, 9, 0).timestamp()]);
    app.settle().await;
    assert_eq!(app.fake.outgoing_to(member.id).len(), 2, "once per tick");
}

#[tokio::test]
async fn after_downtime_a_late_notice_fires_once_within_the_grace_and_is_skipped_beyond_it() {
    let mut app = TestApp::spawn().await;
    let member = TgUser::new(50_501, "李四");
    app.register(&member, "人社局", Role::Member).await;
    let daily = schedule::parse_schedule("每天 08:30", app.core.tz(), app.clock_now()).unwrap();
    let notice =
        notices::create(&app.core, &Actor::Cli, &draft("每日提示", everyone(), daily), None).await.unwrap();
    app.stop().await;

    // Down from Wednesday until Saturday 08:50: three ticks missed, the latest 20 minutes ago.
    app.set_now(beijing(2026, 11, 28, 8, 50));
    app.start().await;
    received(&app, &member, "每日提示").await;
    app.stop().await;
    let runs: Vec<i64> =
        sqlx::query_scalar("SELECT due_at FROM notice_runs").fetch_all(app.core.store.pool()).await.unwrap();
    assert_eq!(runs, [beijing(2026, 11, 28, 8, 30).timestamp()], "one run, for the latest tick only");

    // Down again until Monday 11:00: the latest tick is 2.5 hours late, beyond the hour of grace.
    app.set_now(beijing(2026, 11, 30, 11, 0));
    app.start().await;
    notices::scheduler::tick(&app.core).await.unwrap();
    app.settle().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM notice_runs").await, 1, "skipped, not made up");
    let next = app.core.store.notice(notice.id).await.unwrap().unwrap().next_fire_at;
    assert_eq!(next, Some(beijing(2026, 12, 1, 8, 30)));
    assert_eq!(app.fake.outgoing_to(member.id).len(), 1);
}

#[tokio::test]
async fn quiet_hours_hold_a_broadcast_until_morning_unless_it_is_urgent() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(50_601, "王五");
    app.register(&member, "人社局", Role::Member).await;
    app.set_now(beijing(2026, 11, 25, 23, 0));

    notices::create(&app.core, &Actor::Cli, &draft("明早再看的通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    let urgent = NoticeDraft { urgent: true, ..draft("紧急：暴雨预警", everyone(), Schedule::Now) };
    notices::create(&app.core, &Actor::Cli, &urgent, None).await.unwrap();

    received(&app, &member, "暴雨预警").await;
    notices::scheduler::tick(&app.core).await.unwrap();
    let held: i64 = app.scalar("SELECT not_before_ms FROM deliveries WHERE status = 'pending'").await;
    assert_eq!(held, beijing(2026, 11, 26, 7, 0).timestamp_millis(), "held until 07:00");
    assert!(app.fake.outgoing_to(member.id).iter().all(|o| !o.text.contains("明早")));

    app.set_now(beijing(2026, 11, 26, 7, 0));
    received(&app, &member, "明早再看的通知").await;
}

#[tokio::test]
async fn members_who_have_not_acknowledged_are_reminded_once() {
    let app = TestApp::spawn().await;
    let users = app.register_many(2, 50_700, "人社局").await;
    notices::create(&app.core, &Actor::Cli, &acked_with_reminder("请于周五前报送材料"), None).await.unwrap();
    let first = received(&app, &users[0], "报送材料").await;
    received(&app, &users[1], "报送材料").await;
    let mark = app.fake.mark();
    app.fake.press(&users[0], first.message_id, first.button("收到").unwrap());
    app.fake.wait_for("the ack", |v| v.outgoing().iter().find(|o| o.seq >= mark && o.edit).cloned()).await;
    outbox_drained(&app).await;

    app.set_now(app.clock_now() + Span::hours(25));
    let reminder = received(&app, &users[1], "温馨提醒").await;
    assert!(reminder.text.contains("报送材料"), "{}", reminder.text);
    app.set_now(app.clock_now() + Span::hours(48));
    notices::scheduler::tick(&app.core).await.unwrap();
    app.settle().await;

    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM deliveries WHERE kind = 'reminder'").await,
        1,
        "once, and not to who acknowledged"
    );
    // Pressing 「收到」 on the reminder acknowledges the notice.
    let mark = app.fake.mark();
    app.fake.press(&users[1], reminder.message_id, reminder.button("收到").unwrap());
    app.fake.wait_for("the ack", |v| v.outgoing().iter().find(|o| o.seq >= mark && o.edit).cloned()).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM deliveries WHERE kind = 'notice' AND acked_at IS NOT NULL").await,
        2
    );
}

#[tokio::test]
async fn only_organisers_and_admins_may_compose_and_organisers_only_for_their_own_unit() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(50_801, "党员");
    let m = app.register(&member, "人社局", Role::Member).await;
    let organiser = TgUser::new(50_802, "组织员");
    let o = app.register(&organiser, "人社局", Role::Organiser).await;

    let refused = app.say(&member, "/notice").await;
    assert!(refused.text.contains("仅限组织员使用"), "{}", refused.text);
    let refused = app.say(&member, "/notices").await;
    assert!(refused.text.contains("仅限组织员使用"), "{}", refused.text);

    let other = Audience { units: vec![unit_id(&app, "科工局").await], ..Audience::default() };
    let err = notices::create(&app.core, &Actor::Member(o.clone()), &draft("x", other, Schedule::Now), None)
        .await
        .unwrap_err();
    assert!(matches!(err, sansong::Error::User(sansong::UserError::OtherUnit)), "{err:?}");
    let err =
        notices::create(&app.core, &Actor::Member(o.clone()), &draft("x", everyone(), Schedule::Now), None)
            .await
            .unwrap_err();
    assert!(matches!(err, sansong::Error::User(sansong::UserError::OtherUnit)), "{err:?}");
    let err = notices::create(&app.core, &Actor::Member(m), &draft("x", everyone(), Schedule::Now), None)
        .await
        .unwrap_err();
    assert!(matches!(err, sansong::Error::User(sansong::UserError::Forbidden { .. })), "{err:?}");

    // An organiser cannot see or manage a notice they did not make.
    let admins = notices::create(&app.core, &Actor::Cli, &draft("全市通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    // The notice goes to everyone, the organiser too: wait for that copy, so the next message
    // the organiser gets is the answer to /receipts and not the notice racing it.
    app.fake
        .wait_for_outgoing("the city notice to reach the organiser", |o| {
            o.chat_id == organiser.id && o.text.contains("全市通知")
        })
        .await;
    let hidden = app.say(&organiser, &format!("/receipts {}", admins.id)).await;
    assert!(hidden.text.contains("没有找到您可以查看的通知"), "{}", hidden.text);
    let err = notices::manage(&app.core, &Actor::Member(o), admins.id, notices::Management::Cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, sansong::Error::User(sansong::UserError::NoSuchNotice(_))), "{err:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM notices").await, 1);
}

#[tokio::test]
async fn a_notice_too_long_for_telegram_is_refused_when_composed_with_the_limit() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(50_901, "赵组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.say(&organiser, "/notice").await;

    let too_long = app.say(&organiser, &"通".repeat(4097)).await;
    assert!(too_long.text.contains("4096") && too_long.text.contains("4097"), "{}", too_long.text);
    let mark = app.fake.mark();
    app.fake.photo(&organiser, "photo-notice", Some(&"图".repeat(1025)));
    let caption = app.fake.next_to(organiser.id, mark).await;
    assert!(caption.text.contains("1024"), "{}", caption.text);
    let fits = app.say(&organiser, &"通".repeat(4096)).await;
    assert!(fits.text.contains("通知发给谁"), "the longest allowed is fine: {}", fits.text);

    let (code, _, err) =
        app.cli(&["notice", "add", "--text", &"长".repeat(5000), "--to", "all", "--now"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("4096"), "{err}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM notices").await, 0);
}

#[tokio::test]
async fn schedules_are_read_as_people_write_them_and_bad_cron_is_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(51_001, "钱组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.say(&organiser, "/notice").await;
    let audience = app.say(&organiser, "每周学习提醒").await;
    app.press(&organiser, &audience, "本单位全体").await;

    let bad = app.say(&organiser, "61 9 * * 1").await;
    assert!(bad.text.contains("cron 表达式「61 9 * * 1」有误"), "{}", bad.text);
    let short = app.say(&organiser, "0 9 * *").await;
    assert!(short.text.contains("5 个字段"), "{}", short.text);
    let past = app.say(&organiser, "2026-11-01 09:00").await;
    assert!(past.text.contains("已经过去"), "{}", past.text);
    let options = app.say(&organiser, "每周一 09:00").await;
    let mark = app.fake.mark();
    app.fake.press(&organiser, options.message_id, options.button("预览").unwrap());
    let shown = app.fake.next_to(organiser.id, mark).await;
    let summary = app.fake.next_to(organiser.id, shown.seq + 1).await;
    assert!(
        summary
            .text
            .contains("接下来三次：2026-11-30 周一 09:00；2026-12-07 周一 09:00；2026-12-14 周一 09:00"),
        "{}",
        summary.text
    );

    let (code, _, err) = app.cli(&["notice", "add", "--text", "x", "--to", "all", "--cron", "0 9 * *"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("5 个字段"), "{err}");
    let (code, out, err) = app
        .cli(&["notice", "add", "--text", "工作日提醒", "--to", "all", "--cron", "每个工作日 09:00"])
        .await;
    assert_eq!(code, 0, "{err}");
    let id: i64 = out.trim().parse().unwrap();
    let next = app.core.store.notice(id).await.unwrap().unwrap().next_fire_at;
    assert_eq!(next, Some(beijing(2026, 11, 26, 9, 0)), "Thursday, the next working day");
}

#[tokio::test]
async fn the_command_line_manages_notices_and_the_running_bot_picks_them_up_within_seconds() {
    let app = TestApp::spawn().await;
    let kegong = TgUser::new(51_101, "科工党员");
    app.register(&kegong, "科工局", Role::Member).await;
    let renshe = TgUser::new(51_102, "人社组织员");
    app.register(&renshe, "人社局", Role::Organiser).await;

    let (code, out, err) = app
        .cli(&[
            "notice",
            "add",
            "--text",
            "企业数字化改造政策申报开始",
            "--to",
            "link:enterprise",
            "--now",
            "--ack",
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("联企业单位 · 全体成员（现有 1 人）"), "{err}");
    let id = out.trim().to_owned();
    received(&app, &kegong, "数字化改造").await;
    let (code, out, _) =
        app.cli(&["notice", "add", "--text", "组织员会议", "--to", "role:organiser", "--now"]).await;
    assert_eq!(code, 0);
    received(&app, &renshe, "组织员会议").await;
    let organiser_notice = out.trim().to_owned();

    let (code, out, _) = app
        .cli(&["notice", "add", "--text", "每月例会", "--to", "unit:人社局", "--cron", "每月1日 09:00"])
        .await;
    assert_eq!(code, 0);
    let monthly = out.trim().to_owned();
    let (_, paused, _) = app.cli(&["notice", "pause", &monthly]).await;
    assert!(paused.contains("已暂停"), "{paused}");
    app.set_now(beijing(2026, 12, 1, 9, 0));
    notices::scheduler::tick(&app.core).await.unwrap();
    let (_, resumed, err) = app.cli(&["notice", "resume", &monthly]).await;
    assert!(resumed.contains("进行中"), "{resumed}{err}");
    let next = app.core.store.notice(monthly.parse().unwrap()).await.unwrap().unwrap().next_fire_at;
    assert_eq!(next, Some(beijing(2027, 1, 1, 9, 0)), "a paused tick is not made up on resume");
    let (_, cancelled, _) = app.cli(&["notice", "cancel", &monthly]).await;
    assert!(cancelled.contains("已取消"), "{cancelled}");

    let (_, list, _) = app.cli(&["notice", "list", "--format", "json"]).await;
    let list: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    assert_eq!(list.len(), 3);
    let (_, status, _) = app.cli(&["notice", "status", &id, "--format", "json"]).await;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["run"]["targeted"], 1);
    assert_eq!(status["run"]["not_acknowledged"][0]["name"], "科工党员");
    assert_eq!(app.fake.outgoing_to(kegong.id).len(), 1, "role:organiser did not reach a member");
    let _ = organiser_notice;
}

#[tokio::test]
async fn notices_can_be_paused_resumed_and_cancelled_from_the_chat() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(51_201, "孙组织");
    let o = app.register(&organiser, "人社局", Role::Organiser).await;
    let weekly = schedule::parse_schedule("每周一 09:00", app.core.tz(), app.clock_now()).unwrap();
    let own = Audience { units: vec![o.unit_id], ..Audience::default() };
    let notice =
        notices::create(&app.core, &Actor::Member(o), &draft("周例会", own, weekly), None).await.unwrap();

    let list = app.say(&organiser, "/notices").await;
    assert!(list.text.contains(&format!("#{} [进行中] 周例会", notice.id)), "{}", list.text);
    let paused = app.press(&organiser, &list, &format!("暂停 #{}", notice.id)).await;
    assert!(paused.text.contains("[已暂停]"), "{}", paused.text);
    let resumed = app.press(&organiser, &paused, &format!("恢复 #{}", notice.id)).await;
    assert!(resumed.text.contains("[进行中]"), "{}", resumed.text);
    let cancelled = app.press(&organiser, &resumed, &format!("取消 #{}", notice.id)).await;
    assert!(cancelled.text.contains("[已取消]"), "{}", cancelled.text);
    assert!(cancelled.buttons.is_empty());

    app.set_now(beijing(2026, 11, 30, 9, 0));
    notices::scheduler::tick(&app.core).await.unwrap();
    // Counted for this notice alone: Monday 09:00 is also when the weekly report goes out.
    let runs = app.scalar(&format!("SELECT COUNT(*) FROM notice_runs WHERE notice_id = {}", notice.id)).await;
    assert_eq!(runs, 0, "a cancelled notice never fires");
    let _ = Duration::ZERO;
}

/// (status, last_error) of each notice delivery to `user`.
async fn deliveries_to(app: &TestApp, user: &TgUser) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT status, last_error FROM deliveries WHERE chat_id = ? AND kind = 'notice' ORDER BY id",
    )
    .bind(user.id)
    .fetch_all(app.core.store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn cancelling_a_notice_mid_broadcast_closes_its_unsent_deliveries_with_the_reason() {
    // One message a second: the broadcast is still under way when it is cancelled.
    let app = TestApp::spawn_with(|c| c.broadcast_rate = 1.0).await;
    let users = app.register_many(6, 50_800, "人社局").await;
    let notice =
        notices::create(&app.core, &Actor::Cli, &draft("即将取消的通知", everyone(), Schedule::Now), None)
            .await
            .unwrap();
    received(&app, &users[0], "即将取消的通知").await;

    let cancelled =
        notices::manage(&app.core, &Actor::Cli, notice.id, notices::Management::Cancel).await.unwrap();

    assert_eq!(cancelled.status.as_str(), "cancelled");
    assert_eq!(app.core.store.outbox_backlog().await.unwrap(), 0, "nothing left waiting in the outbox");
    let last = deliveries_to(&app, &users[5]).await;
    assert_eq!(last, [("failed".to_owned(), Some("通知已取消，未发送".to_owned()))]);
    let (_, report) = notices::report(&app.core, &Actor::Cli, notice.id).await.unwrap();
    assert_eq!(report.targeted, 6);
    // The first send may not be recorded yet (it is, just after Telegram answers).
    assert!(report.sent < 6, "{report:?}");
    let closed = app.scalar("SELECT COUNT(*) FROM deliveries WHERE last_error = '通知已取消，未发送'").await;
    assert!(closed >= 4, "{closed} closed");
}

#[tokio::test]
async fn a_deactivated_member_gets_neither_their_queued_notice_nor_a_reminder() {
    let app = TestApp::spawn_with(|c| c.broadcast_rate = 1.0).await;
    let users = app.register_many(4, 50_900, "人社局").await;
    notices::create(&app.core, &Actor::Cli, &acked_with_reminder("停用测试通知"), None).await.unwrap();
    received(&app, &users[0], "停用测试通知").await;
    let [sent, _, _, queued] = [0, 1, 2, 3].map(|i| users[i].clone());
    let id_of = |u: &TgUser| {
        let id = u.id;
        let app = &app;
        async move { app.core.store.member_by_person(id).await.unwrap().unwrap().id }
    };
    use sansong::members::Change;
    sansong::members::change(&app.core, &Actor::Cli, id_of(&queued).await, Change::Deactivate).await.unwrap();
    sansong::members::change(&app.core, &Actor::Cli, id_of(&sent).await, Change::Deactivate).await.unwrap();

    assert_eq!(
        deliveries_to(&app, &queued).await,
        [("failed".to_owned(), Some("成员已停用，未发送".to_owned()))]
    );
    received(&app, &users[2], "停用测试通知").await;
    outbox_drained(&app).await;
    app.set_now(app.clock_now() + Span::hours(25));
    received(&app, &users[2], "温馨提醒").await;
    received(&app, &users[1], "温馨提醒").await;
    app.settle().await;
    let reminded: Vec<i64> =
        sqlx::query_scalar("SELECT chat_id FROM deliveries WHERE kind = 'reminder' ORDER BY chat_id")
            .fetch_all(app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(reminded, [users[1].id, users[2].id], "no reminder to the deactivated member");
    assert!(app.fake.outgoing_to(queued.id).is_empty());
}

#[tokio::test]
async fn a_one_off_notice_paused_past_its_time_is_sent_when_resumed() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(50_990, "暂停后恢复");
    app.register(&member, "人社局", Role::Member).await;
    let at = app.clock_now() + Span::hours(1);
    let notice = notices::create(
        &app.core,
        &Actor::Cli,
        &draft("推迟的通知", everyone(), Schedule::Once { at }),
        None,
    )
    .await
    .unwrap();
    notices::manage(&app.core, &Actor::Cli, notice.id, notices::Management::Pause).await.unwrap();
    app.set_now(at + Span::hours(3));
    notices::scheduler::tick(&app.core).await.unwrap();
    assert!(app.fake.outgoing_to(member.id).is_empty(), "paused: not sent");

    let resumed =
        notices::manage(&app.core, &Actor::Cli, notice.id, notices::Management::Resume).await.unwrap();

    assert_eq!(resumed.status.as_str(), "active");
    received(&app, &member, "推迟的通知").await;
    let changes: Vec<(String, String)> = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'notice' AND before IS NOT NULL ORDER BY id",
    )
    .fetch_all(app.core.store.pool())
    .await
    .unwrap();
    let changes: Vec<(&str, &str)> = changes.iter().map(|(b, a)| (b.as_str(), a.as_str())).collect();
    assert_eq!(changes, [("active", "paused"), ("paused", "active")], "audited with before and after");
}

#[tokio::test]
async fn a_demoted_organisers_recurring_notice_is_paused_at_its_next_firing_until_an_admin_takes_it_over() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(51_301, "被降级的组织员");
    let member = TgUser::new(51_302, "人社党员");
    let o = app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&member, "人社局", Role::Member).await;
    let admin = app.register(&TgUser::new(51_303, "管理员"), "应急管理局", Role::Admin).await;
    let weekly = schedule::parse_schedule("每周一 09:00", app.core.tz(), app.clock_now()).unwrap();
    let own = Audience { units: vec![o.unit_id], ..Audience::default() };
    let notice =
        notices::create(&app.core, &Actor::Member(o.clone()), &draft("每周学习提醒", own, weekly), None)
            .await
            .unwrap();
    let first = notice.next_fire_at.unwrap();
    sansong::members::change(
        &app.core,
        &Actor::Member(admin.clone()),
        o.id,
        sansong::members::Change::Demote(None),
    )
    .await
    .unwrap();

    app.set_now(first);
    notices::scheduler::tick(&app.core).await.unwrap();

    let paused = notices::get(&app.core, &Actor::Member(admin.clone()), notice.id).await.unwrap();
    assert_eq!(paused.status.as_str(), "paused");
    // Counted for this notice alone: Monday 09:00 is also when the weekly report goes out.
    let sent = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM deliveries d JOIN notice_runs r ON r.id = d.run_id WHERE r.notice_id = {}",
            notice.id
        ))
        .await;
    assert_eq!(sent, 0, "nothing sent in a demoted name");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND after = 'paused'").await,
        1
    );

    notices::manage(&app.core, &Actor::Member(admin.clone()), notice.id, notices::Management::Resume)
        .await
        .unwrap();
    let next = notices::get(&app.core, &Actor::Member(admin), notice.id).await.unwrap().next_fire_at.unwrap();
    app.set_now(next);
    notices::scheduler::tick(&app.core).await.unwrap();
    received(&app, &member, "每周学习提醒").await;
}
