//! What each role may do: `/help`, the command menu, and role checks on every privileged call.

use sansong::checkins::{self, Evidence, ParsedCheckin, Source, Via};
use sansong::domain::Role;
use sansong::members::{self, Actor, InviteRequest};
use sansong::{Error, UserError};

use crate::support::{TestApp, TgUser, listed_commands};

#[tokio::test]
async fn help_lists_exactly_the_commands_the_callers_role_may_use() {
    let app = TestApp::spawn().await;
    let (member, organiser, admin) =
        (TgUser::new(9001, "党员"), TgUser::new(9002, "组织员"), TgUser::new(9003, "管理员"));
    app.register(&member, "人社局", Role::Member).await;
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&admin, "科工局", Role::Admin).await;

    let m = app.say(&member, "/help").await;
    let o = app.say(&organiser, "/help").await;
    let a = app.say(&admin, "/help").await;

    assert_eq!(
        listed_commands(&m.text),
        ["checkin", "week", "undo", "remind", "cancel", "help", "link", "name"]
    );
    let organiser = [
        "checkin",
        "week",
        "undo",
        "remind",
        "cancel",
        "help",
        "link",
        "name",
        "invite",
        "members",
        "notice",
        "notices",
        "receipts",
        "tally",
        "missing",
        "export",
        "web",
        "deactivate",
        "activate",
    ];
    assert_eq!(listed_commands(&o.text), organiser);
    assert_eq!(listed_commands(&a.text), [&organiser[..], &["promote", "demote"]].concat());
}

#[tokio::test]
async fn the_bot_registers_its_command_menu_with_telegram() {
    let app = TestApp::spawn().await;
    // Registered once the bot knows who it is, beside polling: waited for, not assumed.
    let calls = app
        .fake
        .wait_for("the command menu", |v| {
            let calls: Vec<_> = v.calls("setMyCommands").into_iter().cloned().collect();
            (!calls.is_empty()).then_some(calls)
        })
        .await;
    let commands: Vec<&str> = calls[0].params["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["checkin", "week", "undo", "remind", "cancel", "help", "link", "name"]);
    for c in calls[0].params["commands"].as_array().unwrap() {
        let d = c["description"].as_str().unwrap().chars().count();
        assert!((3..=256).contains(&d), "Telegram's description limits: {c}");
    }
}

#[tokio::test]
async fn a_member_typing_organiser_commands_is_refused_and_nothing_happens() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(9004, "张三");
    app.register(&member, "人社局", Role::Member).await;
    let invites_before = app.scalar("SELECT COUNT(*) FROM invites").await;

    let invite = app.say(&member, "/invite").await;
    let members = app.say(&member, "/members").await;

    assert!(invite.text.contains("仅限组织员使用"), "{}", invite.text);
    assert!(members.text.contains("仅限组织员使用"), "{}", members.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM invites").await, invites_before);
}

#[tokio::test]
async fn an_organiser_invites_members_to_their_own_unit_only() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(9005, "李组织");
    app.register(&organiser, "人社局", Role::Organiser).await;

    let reply = app.say(&organiser, "/invite 10次 7d").await;
    let code = reply
        .text
        .split("?start=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("a deep link: {}", reply.text))
        .to_owned();
    assert!(reply.text.contains("https://t.me/sansong_test_bot?start="), "{}", reply.text);
    assert!(reply.text.contains("可用 10 次"), "{}", reply.text);

    let other_unit = app.say(&organiser, "/invite 科工局").await;
    assert!(other_unit.text.contains("只能管理本单位"), "{}", other_unit.text);
    let higher_role = app.say(&organiser, "/invite admin").await;
    assert!(higher_role.text.contains("组织员只能邀请本单位的党员"), "{}", higher_role.text);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM invites WHERE created_by = 'tg:9005'").await, 1);

    let newcomer = TgUser::new(9006, "新同志");
    let welcome = app.say(&newcomer, &format!("/start {code}")).await;
    assert!(welcome.text.contains("欢迎您，新同志") && welcome.text.contains("人社局"), "{}", welcome.text);
}

#[tokio::test]
async fn an_admin_may_invite_to_any_unit_in_any_role() {
    let app = TestApp::spawn().await;
    let admin = TgUser::new(9007, "王管理");
    app.register(&admin, "人社局", Role::Admin).await;

    let reply = app.say(&admin, "/invite 科工局 organiser 3次 7d").await;

    assert!(reply.text.contains("科工局 · 组织员 · 可用 3 次"), "{}", reply.text);
    let (role, uses, unit): (String, i64, String) = sqlx::query_as(
        "SELECT i.role, i.max_uses, u.name FROM invites i JOIN units u ON u.id = i.unit_id WHERE created_by = 'tg:9007'",
    )
    .fetch_one(app.core.store.pool())
    .await
    .unwrap();
    assert_eq!((role.as_str(), uses, unit.as_str()), ("organiser", 3, "科工局"));
}

#[tokio::test]
async fn members_shows_an_organiser_only_their_unit_and_an_admin_everyone() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(9008, "人社组织员");
    let admin = TgUser::new(9009, "总管理员");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&admin, "科工局", Role::Admin).await;
    app.register(&TgUser::new(9010, "人社党员"), "人社局", Role::Member).await;
    app.register(&TgUser::new(9011, "科工党员"), "科工局", Role::Member).await;

    let own = app.say(&organiser, "/members").await;
    let other = app.say(&organiser, "/members 科工局").await;
    let all = app.say(&admin, "/members").await;

    assert!(own.text.contains("人社党员") && !own.text.contains("科工党员"), "{}", own.text);
    assert!(other.text.contains("只能管理本单位"), "{}", other.text);
    assert!(all.text.contains("人社党员") && all.text.contains("科工党员"), "{}", all.text);
}

#[tokio::test]
async fn an_invite_request_handled_twice_makes_one_invite() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(9012, "赵组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    let (request, _) = app.fake.text_update(&organiser, "/invite", None);
    for _ in 0..2 {
        let mark = app.fake.mark();
        app.fake.push(request.clone());
        app.fake.next_to(organiser.id, mark).await;
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM invites WHERE created_by = 'tg:9012'").await, 1);
}

#[tokio::test]
async fn roles_and_units_are_enforced_in_the_core_not_only_in_the_chat() {
    let app = TestApp::spawn().await;
    let member = app.register(&TgUser::new(9013, "党员甲"), "人社局", Role::Member).await;
    let organiser = app.register(&TgUser::new(9014, "组织乙"), "人社局", Role::Organiser).await;
    let core = &app.core;

    let as_member = Actor::Member(member.clone());
    let err = members::create_invite(core, &as_member, &InviteRequest::default(), None).await.unwrap_err();
    assert!(matches!(err, Error::User(UserError::Forbidden { needed: Role::Organiser })), "{err:?}");
    let err = members::list(core, &as_member, None).await.unwrap_err();
    assert!(matches!(err, Error::User(UserError::Forbidden { .. })), "{err:?}");

    let as_organiser = Actor::Member(organiser.clone());
    let admin_invite = InviteRequest { role: Some(Role::Admin), ..InviteRequest::default() };
    let err = members::create_invite(core, &as_organiser, &admin_invite, None).await.unwrap_err();
    assert!(matches!(err, Error::User(UserError::InviteRoleTooHigh)), "{err:?}");
    let other_unit = InviteRequest { unit: Some("科工局".into()), ..InviteRequest::default() };
    let err = members::create_invite(core, &as_organiser, &other_unit, None).await.unwrap_err();
    assert!(matches!(err, Error::User(UserError::OtherUnit)), "{err:?}");
    let err = members::list(core, &as_organiser, Some("科工局")).await.unwrap_err();
    assert!(matches!(err, Error::User(UserError::OtherUnit)), "{err:?}");

    // A check-in cannot be put on another unit's site, whoever calls the core.
    let kegong = members::resolve_unit(core, "科工局").await.unwrap();
    let foreign_site = core.store.sites_of(kegong.id).await.unwrap()[0].id;
    let parsed = ParsedCheckin {
        kind: "policy".into(),
        site: None,
        description: "宣讲".into(),
        people_served: None,
        day: None,
    };
    let source = Source { chat_id: member.account.person_id, message_id: 1, sent_at: app.clock_now() };
    let err = checkins::record_at_site(
        core,
        &member,
        &parsed,
        Some(foreign_site),
        source,
        Evidence::default(),
        Via::Dialogue,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::User(UserError::UnknownSite { .. })), "{err:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM invites WHERE created_by LIKE 'tg:%'").await, 0);
}

/// The commands of the last menu set for one chat.
pub fn menu_for(view: &crate::support::fake_api::FakeView<'_>, chat_id: i64) -> Option<Vec<String>> {
    view.calls("setMyCommands").iter().rev().find_map(|c| {
        (c.params["scope"]["type"] == "chat" && c.params["scope"]["chat_id"] == chat_id).then(|| {
            c.params["commands"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["command"].as_str().unwrap().to_owned())
                .collect()
        })
    })
}

#[tokio::test]
async fn organisers_and_admins_get_their_fuller_command_menu_in_their_own_chat() {
    let mut app = TestApp::spawn().await;
    let organiser = TgUser::new(9015, "钱组织");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&TgUser::new(9017, "普通党员"), "人社局", Role::Member).await;
    app.restart().await;

    let menu = app.fake.wait_for("the organiser's menu at start-up", |v| menu_for(v, organiser.id)).await;
    assert!(menu.contains(&"invite".to_owned()) && menu.contains(&"members".to_owned()), "{menu:?}");

    let code = app.invite("科工局", Role::Admin, 1).await;
    let admin = TgUser::new(9016, "孙管理");
    app.say(&admin, &format!("/start {code}")).await;
    let menu = app.fake.wait_for("the new admin's menu", |v| menu_for(v, admin.id)).await;
    assert!(menu.contains(&"invite".to_owned()), "{menu:?}");
    app.settle().await;
    assert!(
        app.fake.wait_for("the calls", |v| Some(menu_for(v, 9017))).await.is_none(),
        "members keep the default menu"
    );
}
