//! One person, one member, on several platforms: `绑定` gives a one-time code, `绑定 <code>`
//! sent from another platform's account binds it, and notices then reach the member once, on
//! the platform they last wrote from.

use crate::support::*;

async fn bound() -> (Conversation, User, User, User) {
    let c = Conversation::start().await;
    let organiser = User::new(70_001, "李组织");
    c.register(&organiser, "人社局", Role::Organiser).await;
    let on_telegram = User::new(70_002, "张三");
    c.register(&on_telegram, "人社局", Role::Member).await;
    let on_dingtalk = c.user_on(Platform::DingTalk, "manager7002", "张三").await;
    let asked = text(&c.say(&on_telegram, "绑定").await);
    let code = asked.lines().find_map(|l| l.strip_prefix("绑定 ")).expect("a code to send").to_owned();
    let linked = text(&c.say(&on_dingtalk, &format!("绑定 {code}")).await);
    assert!(linked.starts_with("已绑定：张三（人社局，党员）"), "{linked}");
    (c, organiser, on_telegram, on_dingtalk)
}

async fn notice_to_unit(c: &Conversation, organiser: &User, body: &str) {
    c.say(organiser, "/notice").await;
    let audience = c.say(organiser, body).await;
    let when = c.press(organiser, &audience, "本单位全体").await;
    let options = c.press(organiser, &when, "立即发送").await;
    let preview = c.press(organiser, &options, "预览").await;
    c.press(organiser, &preview, "确认发布").await;
    c.fire_notices().await;
}

/// Each delivery of the notice whose body is `body`: (member id, platform, chat id).
async fn copies(c: &Conversation, body: &str) -> Vec<(i64, String, i64)> {
    sqlx::query_as(
        "SELECT d.member_id, d.platform, d.chat_id FROM deliveries d JOIN notice_runs r ON r.id = d.run_id
         JOIN notices n ON n.id = r.notice_id WHERE n.body = ? ORDER BY d.member_id",
    )
    .bind(body)
    .fetch_all(c.core.store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_member_bound_on_two_platforms_is_one_member_with_one_history() {
    let (c, _, on_telegram, on_dingtalk) = bound().await;

    c.say(&on_telegram, "送政策 为社区居民宣讲社保政策").await;
    let receipt = text(&c.say(&on_dingtalk, "送温暖 看望五保户王大爷").await);
    let week = text(&c.say(&on_dingtalk, "本周").await);

    assert!(receipt.contains("您已登记 2 次"), "{receipt}");
    assert!(week.contains("宣讲社保政策") && week.contains("看望五保户王大爷"), "{week}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM members WHERE name = '张三'").await, 1);
    assert_eq!(c.scalar("SELECT COUNT(DISTINCT member_id) FROM checkins").await, 1);
}

#[tokio::test]
async fn a_notice_reaches_a_bound_member_once_on_the_platform_they_last_wrote_from() {
    let (c, organiser, on_telegram, on_dingtalk) = bound().await;
    let member = c.member(&on_telegram).await.unwrap().id;

    notice_to_unit(&c, &organiser, "第一份通知").await;
    c.say(&on_telegram, "本周").await;
    notice_to_unit(&c, &organiser, "第二份通知").await;

    let first: Vec<_> = copies(&c, "第一份通知").await.into_iter().filter(|d| d.0 == member).collect();
    let second: Vec<_> = copies(&c, "第二份通知").await.into_iter().filter(|d| d.0 == member).collect();
    assert_eq!(first, [(member, "dingtalk".to_owned(), on_dingtalk.id)], "just bound there: one copy there");
    assert_eq!(second, [(member, "telegram".to_owned(), on_telegram.id)], "wrote from Telegram since");
}

#[tokio::test]
async fn a_binding_code_works_once_and_never_for_someone_elses_account() {
    let (c, _, on_telegram, _) = bound().await;
    let li = User::new(70_003, "李四");
    c.register(&li, "人社局", Role::Member).await;
    let li_dingtalk = c.user_on(Platform::DingTalk, "manager7003", "李四").await;
    c.register(&li_dingtalk, "人社局", Role::Member).await;

    let asked = text(&c.say(&on_telegram, "/link").await);
    let code = asked.lines().find_map(|l| l.strip_prefix("绑定 ")).unwrap().to_owned();
    let taken = text(&c.say(&li_dingtalk, &format!("绑定 {code}")).await);
    let wrong = text(&c.say(&li, "绑定 ZZZZ9999").await);
    let lowercase_again = c.user_on(Platform::DingTalk, "somebody", "王五").await;
    let second_dingtalk = text(&c.say(&lowercase_again, &format!("绑定 {}", code.to_lowercase())).await);

    assert!(taken.contains("已经是另一位成员的账号"), "{taken}");
    assert!(wrong.contains("绑定码无效或已过期"), "{wrong}");
    assert!(second_dingtalk.contains("在钉钉上已经绑定了另一个账号"), "{second_dingtalk}");
    for reply in [&taken, &wrong, &second_dingtalk] {
        assert!(is_polite_chinese(reply), "{reply}");
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM accounts").await, 5, "organiser, 张三 ×2, 李四 ×2");
}

#[tokio::test]
async fn a_terminal_session_never_takes_a_members_notices_away_from_their_platform() {
    let (c, organiser, on_telegram, _) = bound().await;
    c.say(&on_telegram, "本周").await;
    let at_terminal = c.user_on(Platform::Terminal, "张三", "张三").await;
    let asked = text(&c.say(&on_telegram, "绑定").await);
    let code = asked.lines().find_map(|l| l.strip_prefix("绑定 ")).unwrap().to_owned();
    c.say(&at_terminal, &format!("绑定 {code}")).await;
    c.say(&at_terminal, "本周").await;

    notice_to_unit(&c, &organiser, "第三份通知").await;

    let member = c.member(&on_telegram).await.unwrap().id;
    let got: Vec<_> = copies(&c, "第三份通知").await.into_iter().filter(|d| d.0 == member).collect();
    assert_eq!(got, [(member, "telegram".to_owned(), on_telegram.id)]);
}

#[tokio::test]
async fn listings_and_by_member_tallies_show_every_account_of_a_bound_member() {
    let (c, _, on_telegram, _) = bound().await;
    c.say(&on_telegram, "送服务 代办医保").await;

    let listing = sansong::members::list(&c.core, &sansong::members::Actor::Cli, None).await.unwrap();
    let zhang = listing.iter().find(|l| l.member.name == "张三").unwrap();
    let period = sansong::tally::Period::Week(c.core.this_week());
    let by_member = sansong::tally::tally(
        &c.core,
        &sansong::tally::Scope::all(),
        period,
        sansong::domain::Grouping::Member,
    )
    .await
    .unwrap();
    let header = sansong::texts::tallies::table_header(&by_member);
    let row = by_member.rows.iter().find(|r| r.telegram_id == Some(70_002)).unwrap();
    let cells = sansong::reports::export::table_cells(&by_member, row);

    assert_eq!((zhang.telegram_id, zhang.dingtalk_id.as_deref()), (Some(70_002), Some("manager7002")));
    assert_eq!(row.dingtalk_id.as_deref(), Some("manager7002"));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!((cells[at("Telegram ID")].as_str(), cells[at("钉钉 ID")].as_str()), ("70002", "manager7002"));
}
