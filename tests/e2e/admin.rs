//! Role administration from the chat (/promote, /demote, /deactivate, /activate) and its audit.

use sansong::domain::Role;
use sansong::members::Actor;
use sansong::notices::{self, Schedule};
use serde_json::Value;

use crate::notices::{draft, everyone};
use crate::roles::menu_for;
use crate::support::{TestApp, TgUser};

#[tokio::test]
async fn promote_and_demote_change_what_a_member_may_do_and_are_audited() {
    let app = TestApp::spawn().await;
    let admin = TgUser::new(74_000, "管理员");
    let member = TgUser::new(74_001, "张三");
    app.register(&admin, "应急管理局", Role::Admin).await;
    app.register(&member, "人社局", Role::Member).await;
    let refused = app.say(&member, "/tally").await;
    assert!(refused.text.contains("仅限组织员"), "{}", refused.text);

    let promoted = app.say(&admin, "/promote 张三").await;

    assert!(promoted.text.contains("由党员调整为组织员"), "{}", promoted.text);
    let allowed = app.say(&member, "/tally").await;
    assert!(allowed.text.contains("人社局："), "{}", allowed.text);
    let menu = app.fake.wait_for("the new menu", |v| menu_for(v, member.id)).await;
    assert!(menu.contains(&"tally".to_owned()), "{menu:?}");

    let demoted = app.say(&admin, "/demote 張三").await;
    assert!(demoted.text.contains("由组织员调整为党员"), "{}", demoted.text);
    let refused = app.say(&member, "/tally").await;
    assert!(refused.text.contains("仅限组织员"), "{}", refused.text);
    app.fake
        .wait_for("the member's menu again", |v| {
            menu_for(v, member.id).filter(|m| !m.contains(&"tally".to_owned()))
        })
        .await;

    let (code, out, _) = app.cli(&["audit", "--format", "json"]).await;
    assert_eq!(code, 0);
    let log: Vec<Value> = serde_json::from_str(&out).unwrap();
    let roles: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e["action"] == "role")
        .map(|e| (e["before"].as_str().unwrap(), e["after"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("member", "organiser"), ("organiser", "member")]);
    assert!(
        log.iter()
            .filter(|e| e["action"] == "role")
            .all(|e| e["member"] == "张三" && e["actor"].as_str().unwrap().starts_with("tg:74000"))
    );
}

#[tokio::test]
async fn an_admin_promotes_a_member_by_replying_to_their_message_in_a_group() {
    let app = TestApp::spawn().await;
    let group = -100_740;
    let admin = TgUser::new(74_050, "群管理员");
    let member = TgUser::new(74_051, "钱七");
    let stranger = TgUser::new(74_052, "路人");
    app.register(&admin, "应急管理局", Role::Admin).await;
    app.register(&member, "人社局", Role::Member).await;

    let mark = app.fake.mark();
    app.fake.group_reply(&member, group, "/promote", &admin, 9_001);
    let refused = app.fake.next_to(group, mark).await;
    assert!(refused.text.contains("仅限管理员"), "a member cannot promote: {}", refused.text);

    let mark = app.fake.mark();
    app.fake.group_reply(&admin, group, "/promote", &stranger, 9_002);
    let unknown = app.fake.next_to(group, mark).await;
    assert!(unknown.text.contains("没有找到") && unknown.text.contains("路人"), "{}", unknown.text);

    let mark = app.fake.mark();
    app.fake.group_reply(&admin, group, "/promote", &member, 9_003);
    let promoted = app.fake.next_to(group, mark).await;
    assert!(promoted.text.contains("已将 钱七（人社局）由党员调整为组织员"), "{}", promoted.text);
    let allowed = app.say(&member, "/tally").await;
    assert!(allowed.text.contains("人社局："), "{}", allowed.text);
    let menu = app.fake.wait_for("the new menu", |v| menu_for(v, member.id)).await;
    assert!(menu.contains(&"tally".to_owned()), "{menu:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'role'").await, 1);
}

#[tokio::test]
async fn a_reply_to_a_forwarded_message_names_its_author_in_the_private_chat() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(74_060, "孙组织");
    let member = TgUser::new(74_061, "周八");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&member, "人社局", Role::Member).await;

    let mark = app.fake.mark();
    app.fake.reply_to_forwarded(&organiser, "/deactivate", &member);
    let done = app.fake.next_to(organiser.id, mark).await;
    assert!(done.text.contains("已停用 周八"), "{}", done.text);

    let mark = app.fake.mark();
    app.fake.reply_to_forwarded(&organiser, "/activate", &organiser);
    let themselves = app.fake.next_to(organiser.id, mark).await;
    assert!(themselves.text.contains("不能更改自己"), "{}", themselves.text);
    // A name in the command wins over the replied message.
    let mark = app.fake.mark();
    app.fake.reply_to_forwarded(&organiser, "/activate 周八", &organiser);
    let back = app.fake.next_to(organiser.id, mark).await;
    assert!(back.text.contains("已重新启用 周八"), "{}", back.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'status'").await, 2);
}

#[tokio::test]
async fn only_admins_change_roles_nobody_changes_themselves_and_organisers_stay_in_their_unit() {
    let app = TestApp::spawn().await;
    let (admin, organiser) = (TgUser::new(74_100, "老管"), TgUser::new(74_101, "老组"));
    let (member, elsewhere) = (TgUser::new(74_102, "李四"), TgUser::new(74_103, "王五"));
    app.register(&admin, "应急管理局", Role::Admin).await;
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&member, "人社局", Role::Member).await;
    app.register(&elsewhere, "科工局", Role::Member).await;

    let not_admin = app.say(&organiser, "/promote 李四").await;
    let themselves = app.say(&admin, "/demote 老管").await;
    let other_unit = app.say(&organiser, "/deactivate 王五").await;
    let already = app.say(&admin, "/demote 李四").await;

    assert!(not_admin.text.contains("仅限管理员"), "{}", not_admin.text);
    assert!(themselves.text.contains("没有找到"), "{}", themselves.text);
    assert!(other_unit.text.contains("没有找到"), "organisers see only their unit: {}", other_unit.text);
    assert!(already.text.contains("现在是党员"), "{}", already.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'role'").await, 0);
}

#[tokio::test]
async fn a_deactivated_member_keeps_their_records_but_gets_no_notices_until_activated() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(74_200, "组织员");
    let member = TgUser::new(74_201, "赵六");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&member, "人社局", Role::Member).await;
    app.say(&member, "/checkin 送温暖 看望老人").await;

    let done = app.say(&organiser, "/deactivate 赵六").await;

    assert!(done.text.contains("已停用 赵六"), "{}", done.text);
    let blocked = app.say(&member, "/week").await;
    assert!(blocked.text.contains("已停用"), "{}", blocked.text);
    let tally = app.say(&organiser, "/tally").await;
    assert!(tally.text.contains("送温暖 1"), "records are kept and counted: {}", tally.text);
    notices::create(&app.core, &Actor::Cli, &draft("停用后的通知", everyone(), Schedule::Now), None)
        .await
        .unwrap();
    app.fake
        .wait_for_outgoing("the notice to reach the organiser", |o| {
            o.chat_id == organiser.id && o.text.contains("停用后的通知")
        })
        .await;
    assert!(app.fake.outgoing().iter().all(|o| !(o.chat_id == member.id && o.text.contains("停用后的通知"))));

    let back = app.say(&organiser, "/activate 赵六").await;
    assert!(back.text.contains("已重新启用"), "{}", back.text);
    let week = app.say(&member, "/week").await;
    assert!(week.text.contains("看望老人"), "{}", week.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'status'").await, 2);
}

#[tokio::test]
async fn a_name_that_fits_several_people_is_offered_as_buttons() {
    let app = TestApp::spawn().await;
    let admin = TgUser::new(74_300, "管理员");
    app.register(&admin, "应急管理局", Role::Admin).await;
    app.register(&TgUser::new(74_301, "张伟"), "人社局", Role::Member).await;
    app.register(&TgUser::new(74_302, "张伟"), "科工局", Role::Member).await;

    let choice = app.say(&admin, "/promote 张伟 admin").await;

    assert!(choice.text.contains("请选择"), "{}", choice.text);
    let labels = choice.labels();
    assert_eq!(labels.len(), 2, "{labels:?}");
    let picked = app.press(&admin, &choice, "张伟（科工局").await;
    assert!(picked.text.contains("由党员调整为管理员"), "{}", picked.text);
    assert_eq!(app.scalar("SELECT role = 'admin' FROM members WHERE registered_as = 74302").await, 1);
    assert_eq!(app.scalar("SELECT role = 'member' FROM members WHERE registered_as = 74301").await, 1);
}
