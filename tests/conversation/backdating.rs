//! Logging work after the day it was done: `昨天 送服务 …`, `周五 …`, `11月28日 …`, in the one
//! line, a photo's caption and the guided dialogue; the week it counts in, the range allowed,
//! and what the receipt, `/week`, tallies, the export and the audit show.

use calamine::{Data, DataType, Reader, Xlsx};

use crate::support::{Conversation, Reply, Role, User, beijing, is_polite_chinese, text, texts};

/// Monday 30 November 2026, 08:00 in Beijing: the first morning of week 49.
fn monday_morning() -> chrono::DateTime<chrono::Utc> {
    beijing(2026, 11, 30, 8, 0)
}

/// 人社局's organiser and a member, with the clock on Monday morning.
async fn renshe() -> (Conversation, User, User) {
    let c = Conversation::start().await;
    let (organiser, zhang) = (User::new(9300, "组织员老周"), User::new(9301, "张三"));
    c.register(&organiser, "人社局", Role::Organiser).await;
    c.register(&zhang, "人社局", Role::Member).await;
    c.set_now(monday_morning());
    (c, organiser, zhang)
}

/// (week key, done_on, logged_at) of the member's check-ins.
async fn stored(c: &Conversation, user: &User) -> Vec<(i64, Option<String>, i64)> {
    sqlx::query_as(
        "SELECT c.week, c.done_on, c.logged_at FROM checkins c JOIN members m ON m.id = c.member_id
         WHERE m.registered_as = ? ORDER BY c.id",
    )
    .bind(user.id)
    .fetch_all(c.core.store.pool())
    .await
    .unwrap()
}

/// The cells of a sheet of an xlsx file, as calamine reads them.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap().rows().map(<[Data]>::to_vec).collect()
}

#[tokio::test]
async fn yesterday_logged_on_monday_morning_counts_in_last_week_in_the_tally_and_the_export() {
    let (c, organiser, zhang) = renshe().await;

    let receipt = text(&c.say(&zhang, "/checkin 昨天 送服务 帮独居老人买药").await);

    assert!(receipt.contains("活动日期：11月29日 周日（补登）"), "{receipt}");
    assert!(receipt.contains("登记时间：11月30日 周一 08:00"), "{receipt}");
    assert!(receipt.contains("2026年第48周您已登记 1 次"), "{receipt}");
    assert_eq!(
        stored(&c, &zhang).await,
        [(202648, Some("2026-11-29".into()), monday_morning().timestamp())],
        "counted in week 48, logged on Monday"
    );
    let last_week = text(&c.say(&organiser, "/tally last").await);
    assert!(last_week.contains("合计 1"), "{last_week}");
    let this_week = text(&c.say(&organiser, "/tally").await);
    assert!(this_week.contains("这段时间还没有登记"), "{this_week}");

    let export = c.say(&organiser, "/export last").await;
    let [Reply::Upload { bytes, .. }] = export.as_slice() else { panic!("{export:#?}") };
    let records = sheet(bytes, "登记记录");
    assert_eq!(records[0][6].to_string(), "登记时间");
    assert_eq!(records[0][7].to_string(), "活动日期");
    let (logged, day) = (&records[1][6], &records[1][7]);
    assert!(
        matches!(logged, Data::DateTime(_)) && matches!(day, Data::DateTime(_)),
        "date cells: {records:?}"
    );
    let logged = logged.as_datetime().unwrap();
    assert_eq!(logged.format("%Y-%m-%d %H:%M").to_string(), "2026-11-30 08:00", "logged, on Beijing's clock");
    assert_eq!(day.as_datetime().unwrap().format("%Y-%m-%d %H:%M").to_string(), "2026-11-29 00:00");
}

#[tokio::test]
async fn the_day_may_follow_the_kind_and_each_form_of_day_is_understood() {
    let (c, _, zhang) = renshe().await;

    for line in [
        "/checkin 送温暖 前天 看望五保户",
        "/checkin 周五 送政策 宣讲社保政策",
        "/checkin 11月28日 送服务 帮办社保卡",
        "/checkin 11-26 送服务 修水管",
        "/checkin 送服务 11月26日 修水管",
        "/checkin 2026-11-25 送政策 宣讲惠农政策",
    ] {
        let reply = text(&c.say(&zhang, line).await);
        assert!(reply.contains("（补登）"), "{line}: {reply}");
    }

    let days: Vec<Option<String>> = stored(&c, &zhang).await.into_iter().map(|(_, d, _)| d).collect();
    let expected = ["2026-11-28", "2026-11-27", "2026-11-28", "2026-11-26", "2026-11-26", "2026-11-25"];
    assert_eq!(days, expected.map(|d| Some(d.to_owned())));
    let descriptions: Vec<String> = c.checkins_of(&zhang).await.into_iter().map(|(_, _, d)| d).collect();
    assert_eq!(
        descriptions,
        ["看望五保户", "宣讲社保政策", "帮办社保卡", "修水管", "修水管", "宣讲惠农政策"]
    );
}

#[tokio::test]
async fn a_day_eight_days_back_or_in_the_future_is_refused_with_the_range_allowed() {
    let (c, _, zhang) = renshe().await;

    let too_old = texts(&c.say(&zhang, "/checkin 11月22日 送政策 宣讲").await);
    let future = texts(&c.say(&zhang, "/checkin 2026-12-02 送政策 宣讲").await);
    let no_such = texts(&c.say(&zhang, "/checkin 2月30日 送政策 宣讲").await);

    assert_eq!(
        too_old,
        [
            "抱歉，「11月22日」不在可以登记的日期范围内：可登记 11月23日 周一 至 11月30日 周一（今天）做的活动，不能登记以后的日期。"
        ]
    );
    assert!(future[0].contains("「2026-12-02」不在可以登记的日期范围内"), "{future:?}");
    assert!(
        is_polite_chinese(&no_such[0]) && no_such[0].contains("「2月30日」不是有效的日期"),
        "{no_such:?}"
    );
    assert!(c.checkins_of(&zhang).await.is_empty(), "nothing recorded");
    let seven_back = text(&c.say(&zhang, "/checkin 11月23日 送政策 宣讲").await);
    assert!(seven_back.contains("活动日期：11月23日 周一"), "seven days back is allowed: {seven_back}");
}

#[tokio::test]
async fn friday_written_on_a_friday_means_today_and_counts_when_it_was_sent() {
    let (c, _, zhang) = renshe().await;
    c.set_now(beijing(2026, 11, 27, 16, 30));

    let receipt = text(&c.say(&zhang, "/checkin 周五 送温暖 看望独居老人").await);

    assert!(receipt.contains("时间：11月27日 周五 16:30") && !receipt.contains("补登"), "{receipt}");
    let counted: i64 = c.scalar("SELECT sent_at FROM checkins").await;
    assert_eq!(counted, beijing(2026, 11, 27, 16, 30).timestamp(), "today's work counts when it was sent");
}

#[tokio::test]
async fn with_back_dating_off_only_today_may_be_named() {
    let c = Conversation::start_with(|config| config.backdate_days = 0).await;
    let zhang = User::new(9310, "张三");
    c.register(&zhang, "人社局", Role::Member).await;

    let refused = texts(&c.say(&zhang, "/checkin 昨天 送服务 帮独居老人买药").await);
    let today = text(&c.say(&zhang, "/checkin 今天 送服务 帮独居老人买药").await);

    assert_eq!(refused, ["抱歉，目前只能登记当天的活动（「昨天」不是今天）。请在活动当天登记。"]);
    assert!(today.contains("✅ 已登记"), "{today}");
    assert_eq!(c.checkins_of(&zhang).await.len(), 1);
}

#[tokio::test]
async fn a_photo_caption_may_name_the_day() {
    let (c, _, zhang) = renshe().await;

    let receipt = text(&c.photo(&zhang, "photo-1", Some("#送温暖 昨天 给五保户送棉被")).await);

    assert!(
        receipt.contains("活动日期：11月29日 周日（补登）") && receipt.contains("照片：已保存"),
        "{receipt}"
    );
    assert_eq!(stored(&c, &zhang).await[0].0, 202648);
}

#[tokio::test]
async fn the_guided_dialogue_offers_the_day_as_buttons_and_takes_another_day_typed() {
    let (c, _, zhang) = renshe().await;

    let kinds = c.say(&zhang, "/checkin").await;
    let describe = c.press(&zhang, &kinds, "送服务").await;
    let labels = crate::support::labels(&describe);
    assert_eq!(labels, ["今天", "昨天", "前天", "其他日期", "取消"]);
    let yesterday = c.press(&zhang, &describe, "昨天").await;
    assert!(text(&yesterday).contains("活动日期：11月29日 周日"), "{yesterday:#?}");
    let other = c.press(&zhang, &yesterday, "其他日期").await;
    assert!(text(&other).contains("请发送活动日期"), "{other:#?}");
    let far = texts(&c.say(&zhang, "11月1日").await);
    assert!(far[0].contains("不在可以登记的日期范围内"), "{far:?}");
    let friday = c.say(&zhang, "周五").await;
    assert!(text(&friday).contains("活动日期：11月27日 周五"), "{friday:#?}");
    let extras = c.say(&zhang, "帮独居老人买药").await;
    let confirm = c.press(&zhang, &extras, "下一步").await;
    assert!(text(&confirm).contains("活动日期：11月27日 周五"), "{confirm:#?}");
    let receipt = text(&c.press(&zhang, &confirm, "确认登记").await);

    assert!(receipt.contains("活动日期：11月27日 周五（补登）"), "{receipt}");
    assert_eq!(stored(&c, &zhang).await, [(202648, Some("2026-11-27".into()), monday_morning().timestamp())]);
}

#[tokio::test]
async fn a_day_typed_before_the_guided_description_is_the_day_of_the_work() {
    let (c, _, zhang) = renshe().await;

    let kinds = c.say(&zhang, "/checkin").await;
    c.press(&zhang, &kinds, "送温暖").await;
    let extras = c.say(&zhang, "前天 看望五保户").await;
    let confirm = c.press(&zhang, &extras, "下一步").await;
    c.press(&zhang, &confirm, "确认登记").await;

    assert_eq!(c.checkins_of(&zhang).await[0].2, "看望五保户");
    assert_eq!(stored(&c, &zhang).await[0].1.as_deref(), Some("2026-11-28"));
}

#[tokio::test]
async fn the_week_view_and_undo_show_the_day_of_the_work_and_when_it_was_logged() {
    let (c, _, zhang) = renshe().await;
    c.say(&zhang, "/checkin 昨天 送服务 帮独居老人买药").await;

    let week = text(&c.say(&zhang, "/week last").await);
    let undone = text(&c.say(&zhang, "/undo").await);

    assert!(week.contains("11月29日 周日（11月30日 周一 08:00 补登） · 送服务"), "{week}");
    assert!(
        undone.contains("已撤销") && undone.contains("11月29日 周日"),
        "logged just now, so it may be undone: {undone}"
    );
}

#[tokio::test]
async fn a_back_dated_checkin_is_audited_with_its_day_and_when_it_was_logged() {
    let (c, _, zhang) = renshe().await;
    c.say(&zhang, "/checkin 昨天 送服务 帮独居老人买药").await;
    c.say(&zhang, "/checkin 送服务 今天的事").await;

    let entries = sansong::audit::since(&c.core, None).await.unwrap();
    let backdated: Vec<_> = entries.iter().filter(|e| e.action == "backdate").collect();

    assert_eq!(backdated.len(), 1, "only the back-dated one: {entries:?}");
    let detail = backdated[0].detail.as_deref().unwrap_or("");
    assert!(detail.ends_with("done_on 2026-11-29 logged_at 2026-11-30T08:00:00+08:00"), "{detail}");
    assert_eq!(backdated[0].member.as_deref(), Some("张三"));
}

#[tokio::test]
async fn a_description_that_starts_with_a_minus_sign_is_stored_as_typed() {
    let (c, _, zhang) = renshe().await;

    c.say(&zhang, "/checkin 送政策 -5 度寒潮提醒").await;
    c.say(&zhang, "/checkin 送温暖 -10℃ 看望独居老人").await;

    let descriptions: Vec<String> = c.checkins_of(&zhang).await.into_iter().map(|(_, _, d)| d).collect();
    assert_eq!(descriptions, ["-5 度寒潮提醒", "-10℃ 看望独居老人"]);
}

#[tokio::test]
async fn missing_lists_and_the_reminder_go_by_the_day_of_the_work() {
    let c = Conversation::start_with(|config| config.reminder_units = vec!["人社局".into()]).await;
    let (organiser, zhang, li) =
        (User::new(9320, "组织员老周"), User::new(9321, "张三"), User::new(9322, "李四"));
    c.register(&organiser, "人社局", Role::Organiser).await;
    c.register(&zhang, "人社局", Role::Member).await;
    c.register(&li, "人社局", Role::Member).await;
    // Monday of week 49: 张三 logs Sunday's work, so he did something in week 48 and not yet in 49.
    c.set_now(monday_morning());
    c.say(&zhang, "/checkin 昨天 送服务 帮独居老人买药").await;

    let last_week = text(&c.say(&organiser, "/missing last").await);
    let this_week = text(&c.say(&organiser, "/missing").await);

    assert!(!last_week.contains("张三") && last_week.contains("李四"), "{last_week}");
    assert!(this_week.contains("张三") && this_week.contains("李四"), "{this_week}");
    let week49 = sansong::week::Week::of_instant(monday_morning(), c.core.tz());
    let (from, to) = week49.utc_range(c.core.tz());
    let units: Vec<i64> = vec![c.member(&zhang).await.unwrap().unit_id];
    let to_remind = sansong::tally::reminder_targets(&c.core, from, to, &units).await.unwrap();
    assert_eq!(to_remind.len(), 3, "all three are reminded in week 49: Sunday's work counts in 48");
}
