//! Registering with an invite (`/start <code>`), and what unregistered people are told.

use chrono::Duration;
use sansong::domain::Role;

use crate::support::{TestApp, TgUser, is_polite_chinese};

#[tokio::test]
async fn a_member_registers_with_an_invite_and_is_greeted_by_name_with_what_they_can_do() {
    let app = TestApp::spawn().await;
    let code = app.invite("人社局", Role::Member, 50).await;
    let zhang = TgUser::new(5001, "张三");

    let reply = app.say(&zhang, &format!("/start {code}")).await;

    assert!(reply.text.contains("欢迎您，张三"), "{}", reply.text);
    assert!(reply.text.contains("人社局") && reply.text.contains("党员"), "{}", reply.text);
    assert!(reply.text.contains("五里牌街道新球社区"), "{}", reply.text);
    assert!(reply.text.contains("/checkin") && reply.text.contains("/week"), "{}", reply.text);
    let member = app.core.store.member_by_person(5001).await.unwrap().expect("registered");
    assert_eq!(
        (member.unit_name.as_str(), member.role, member.name.as_str()),
        ("人社局", Role::Member, "张三")
    );
}

#[tokio::test]
async fn start_from_someone_already_registered_shows_their_status_and_uses_no_invite() {
    let app = TestApp::spawn().await;
    let code = app.invite("科工局", Role::Organiser, 5).await;
    let li = TgUser::new(5002, "李四");
    app.say(&li, &format!("/start {code}")).await;

    let again = app.say(&li, &format!("/start {code}")).await;
    let bare = app.say(&li, "/start").await;

    for reply in [&again, &bare] {
        assert!(reply.text.contains("您已是「科工局」的组织员"), "{}", reply.text);
        assert!(reply.text.contains("本周已登记 0 次"), "{}", reply.text);
    }
    assert_eq!(app.scalar("SELECT uses FROM invites").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 1);
}

#[tokio::test]
async fn a_used_up_invite_is_refused_and_registers_nothing() {
    let app = TestApp::spawn().await;
    let code = app.invite("人社局", Role::Member, 1).await;
    app.say(&TgUser::new(5003, "王五"), &format!("/start {code}")).await;

    let reply = app.say(&TgUser::new(5004, "赵六"), &format!("/start {code}")).await;

    assert!(reply.text.contains("名额已经用完"), "{}", reply.text);
    assert!(app.core.store.member_by_person(5004).await.unwrap().is_none());
    assert_eq!(app.scalar("SELECT uses FROM invites").await, 1);
}

#[tokio::test]
async fn an_expired_invite_is_refused_and_registers_nothing() {
    let app = TestApp::spawn().await;
    let code = app.invite("人社局", Role::Member, 50).await;
    app.set_now(app.clock_now() + Duration::days(15));

    let reply = app.say(&TgUser::new(5005, "孙七"), &format!("/start {code}")).await;

    assert!(reply.text.contains("已过期"), "{}", reply.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
}

#[tokio::test]
async fn an_unknown_or_garbled_code_is_refused_and_registers_nothing() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(5006, "周八");
    for code in ["nosuchcode123", "这不是邀请码", "'; DROP TABLE members; --", &"x".repeat(300)] {
        let reply = app.say(&user, &format!("/start {code}")).await;
        assert!(reply.text.contains("邀请码无效"), "{code}: {}", reply.text);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
}

#[tokio::test]
async fn anyone_unregistered_is_told_how_to_get_an_invite_and_nothing_else() {
    let app = TestApp::spawn().await;
    let stranger = TgUser::new(5007, "路人");

    for text in ["/checkin 送政策 宣讲政策", "你好", "/week", "/help", "/undo", "/invite", "/members"]
    {
        let reply = app.say(&stranger, text).await;
        assert!(reply.text.contains("邀请链接"), "{text}: {}", reply.text);
        assert!(!reply.text.contains("/checkin"), "no commands offered: {}", reply.text);
        assert!(reply.buttons.is_empty());
        assert!(is_polite_chinese(&reply.text), "{}", reply.text);
    }
    let mark = app.fake.mark();
    app.fake.photo(&stranger, "photo-1", Some("#送温暖 看望五保户"));
    let reply = app.fake.next_to(stranger.id, mark).await;
    assert!(reply.text.contains("邀请链接"), "{}", reply.text);

    app.settle().await;
    assert_eq!(app.fake.outgoing_to(stranger.id).len(), 8, "exactly one reply per message");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM members").await, 0);
}

#[tokio::test]
async fn start_without_a_code_explains_how_to_join() {
    let app = TestApp::spawn().await;
    let reply = app.say(&TgUser::new(5008, "吴九"), "/start").await;
    assert!(reply.text.contains("欢迎使用") && reply.text.contains("邀请链接"), "{}", reply.text);
}
