//! Joining with an invite (`/start <code>`), `/start` again, strangers, and `/help` by role.

use crate::support::{Conversation, Reply, Role, User, is_polite_chinese, listed_commands, text, texts};

#[tokio::test]
async fn a_person_with_an_invite_registers_and_is_welcomed_by_name_with_their_unit_and_site() {
    let c = Conversation::start().await;
    let code = c.invite("人社局", Role::Member, 50).await;
    let zhang = User::new(5001, "张三");

    let welcome = c.say(&zhang, &format!("/start {code}")).await;

    assert_eq!(welcome.len(), 1, "a member keeps the default command menu: {welcome:#?}");
    let t = text(&welcome);
    assert!(t.starts_with("欢迎您，张三！"), "{t}");
    assert!(t.contains("您已加入「人社局」，身份：党员。"), "{t}");
    assert!(t.contains("联点站点：五里牌街道新球社区（联社区）"), "{t}");
    assert!(t.contains("/checkin 或 登记 — ") && t.contains("/week 或 本周 — "), "the help follows: {t}");
    let member = c.member(&zhang).await.expect("registered");
    assert_eq!(
        (member.name.as_str(), member.unit_name.as_str(), member.role),
        ("张三", "人社局", Role::Member)
    );
    assert_eq!(c.scalar("SELECT uses FROM invites").await, 1);
}

#[tokio::test]
async fn an_organiser_who_registers_also_gets_the_fuller_command_menu() {
    let c = Conversation::start().await;
    let welcome = c.register(&User::new(5002, "李组织"), "科工局", Role::Organiser).await;

    let Some(Reply::Menu { entries }) = welcome.get(1) else {
        panic!("a menu after the welcome: {welcome:#?}")
    };
    let names: Vec<&str> = entries.iter().map(|(name, _)| *name).collect();
    assert!(names.contains(&"invite") && names.contains(&"tally"), "{names:?}");
    assert!(!names.contains(&"promote"), "promote is for admins: {names:?}");
}

#[tokio::test]
async fn start_again_shows_the_status_with_this_weeks_count_and_uses_no_invite() {
    let c = Conversation::start().await;
    let code = c.invite("科工局", Role::Organiser, 5).await;
    let li = User::new(5003, "李四");
    c.say(&li, &format!("/start {code}")).await;
    c.say(&li, "/checkin 送服务 走访企业了解用工需求").await;

    let again = c.say(&li, &format!("/start {code}")).await;
    let bare = c.say(&li, "/start").await;

    for reply in [&again, &bare] {
        let t = text(reply);
        assert!(t.starts_with("李四，您好！您已是「科工局」的组织员。"), "{t}");
        assert!(t.contains("本周已登记 1 次"), "{t}");
        assert!(!t.contains("欢迎您"), "not welcomed twice: {t}");
    }
    assert_eq!(c.scalar("SELECT uses FROM invites").await, 1, "the second /start used nothing");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM members").await, 1);
}

#[tokio::test]
async fn a_used_up_or_unknown_invite_is_refused_politely_and_registers_nobody() {
    let c = Conversation::start().await;
    let code = c.invite("人社局", Role::Member, 1).await;
    c.register_with(&code, &User::new(5004, "王五")).await;

    let late = User::new(5005, "赵六");
    let used_up = c.say(&late, &format!("/start {code}")).await;
    let unknown = c.say(&late, "/start nosuchcode123").await;
    let garbled = c.say(&late, "/start 这不是邀请码").await;

    assert_eq!(texts(&used_up), ["这个邀请链接的名额已经用完。请向组织员索取新的邀请链接。"]);
    for reply in [&unknown, &garbled] {
        assert!(text(reply).contains("这个邀请码无效"), "{reply:#?}");
    }
    assert!(c.member(&late).await.is_none());
    assert_eq!(c.scalar("SELECT uses FROM invites").await, 1);
}

#[tokio::test]
async fn an_unregistered_person_is_told_to_get_an_invite_whatever_they_send() {
    let c = Conversation::start().await;
    let stranger = User::new(5006, "路人");

    let mut replies = Vec::new();
    for said in ["/checkin 送政策 宣讲政策", "你好", "/week", "/help", "/tally", "/start"] {
        replies.push((said, c.say(&stranger, said).await));
    }
    replies.push(("a photo", c.photo(&stranger, "photo-1", Some("#送温暖 看望五保户")).await));

    for (said, reply) in &replies {
        let [Reply::Send { text, keyboard: None }] = reply.as_slice() else { panic!("{said}: {reply:#?}") };
        assert!(text.contains("请向本单位的组织员或管理员索取邀请"), "{said}: {text}");
        assert!(!text.contains("/checkin"), "{said}: no commands offered to a stranger: {text}");
        assert!(is_polite_chinese(text), "{said}: {text}");
    }
    // A button (an old message forwarded to them, say) is answered, then explained.
    let pressed = c.press_data(&stranger, 1, "ck:abcdef:k:policy").await;
    assert!(matches!(&pressed[0], Reply::Answer { .. }), "{pressed:#?}");
    assert!(text(&pressed).contains("索取邀请"), "{pressed:#?}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(c.scalar("SELECT COUNT(*) FROM members").await, 0);
}

#[tokio::test]
async fn help_lists_exactly_the_commands_of_the_callers_role() {
    let c = Conversation::start().await;
    let (member, organiser, admin) =
        (User::new(5007, "党员"), User::new(5008, "组织员"), User::new(5009, "管理员"));
    c.register(&member, "人社局", Role::Member).await;
    c.register(&organiser, "人社局", Role::Organiser).await;
    c.register(&admin, "科工局", Role::Admin).await;

    let m = text(&c.say(&member, "/help").await);
    let o = text(&c.say(&organiser, "/help").await);
    let a = text(&c.say(&admin, "/help").await);

    let basic = ["checkin", "week", "undo", "remind", "cancel", "help", "link", "name"];
    let organising =
        ["invite", "members", "notice", "notices", "receipts", "tally", "missing", "export", "web"];
    let managing = ["deactivate", "activate"];
    assert_eq!(listed_commands(&m), basic);
    assert_eq!(listed_commands(&o), [&basic[..], &organising, &managing].concat());
    assert_eq!(listed_commands(&a), [&basic[..], &organising, &managing, &["promote", "demote"]].concat());
    for help in [&m, &o, &a] {
        assert!(help.contains("快速登记：直接发送\n送政策 为社区居民宣讲社保政策"), "{help}");
    }
}
