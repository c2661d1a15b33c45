//! What the conversation does with the unexpected: groups, stale and forged buttons, floods,
//! unknown commands, messages it cannot use, and people blocking the bot.

use crate::support::{BOT, Content, Conversation, Reply, Role, User, is_polite_chinese, text, texts};

#[tokio::test]
async fn in_a_group_a_command_is_sent_to_the_private_chat_and_chatter_is_ignored() {
    let c = Conversation::start().await;
    let user = User::new(10_001, "吴九");
    c.register(&user, "人社局", Role::Member).await;
    let group = -100_555;

    let command = c.in_group(&user, group, "/checkin 送政策 在群里登记").await;
    let photo = c
        .in_group_content(
            &user,
            group,
            Content::Photo {
                file_id: "p".into(), caption: Some("#送温暖 看望五保户".into()), album: None
            },
            None,
        )
        .await;
    let chatter = c.in_group(&user, group, "大家辛苦了").await;
    let other_bot = c.in_group(&user, group, "/help@some_other_bot").await;

    let pointer = format!("为保护个人信息，登记和查询请私聊我：https://t.me/{BOT}");
    assert_eq!(texts(&command), [pointer.as_str()]);
    assert_eq!(texts(&photo), [pointer.as_str()], "a photo check-in too");
    assert_eq!(chatter, [], "ordinary chatter gets no answer");
    assert_eq!(other_bot, [], "a command for another bot is not ours");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    let mine = c.say(&user, &format!("/help@{BOT}")).await;
    assert!(text(&mine).starts_with("可用的命令"), "in private, addressed to us: {mine:#?}");
}

#[tokio::test]
async fn an_expired_or_forged_button_is_answered_without_a_failure() {
    let c = Conversation::start().await;
    let member = User::new(10_002, "冯一");
    c.register(&member, "人社局", Role::Member).await;
    let expired = "这个选项已失效。发送「登记」重新开始登记。";

    let cases = [
        ("ck:zzzzzz:k:policy", expired),
        ("ck:zzzzzz:s:notanumber", expired),
        ("nc:zzzzzz:ok", "这个选项已失效。发送「通知」重新开始。"),
        ("ak:999999", "这条通知不是发给您的，或已失效。"),
        ("gx:999999", "抱歉，没有找到您可以查看的通知 #999999。请发送「通知列表」查看。"),
        ("mb:padmin:1", "抱歉，这项功能仅限管理员使用。"),
        ("nm:c:1", "抱歉，没有找到您可以查看的通知 #1。请发送「通知列表」查看。"),
        ("完全不认识的数据", expired),
        ("", expired),
    ];
    for (data, said) in cases {
        // `press_data` checks there is exactly one answer and no internal failure.
        let replies = c.press_data(&member, 12_345, data).await;
        assert!(matches!(replies[0], Reply::Answer { .. }), "{data:?}: {replies:#?}");
        assert_eq!(texts(&replies), [said], "{data:?}");
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(c.member(&member).await.unwrap().role, Role::Member);
}

#[tokio::test]
async fn an_unknown_command_and_an_unusable_message_get_a_pointer_to_help() {
    let c = Conversation::start().await;
    let user = User::new(10_005, "陈二");
    c.register(&user, "人社局", Role::Member).await;

    let unknown = texts(&c.say(&user, "/frobnicate now").await);
    let sticker = texts(&c.deliver(&c.incoming(&user, Content::Other("sticker"))).await.replies);
    let text_alone = text(&c.say(&user, "今天去社区了").await);

    assert_eq!(unknown, ["抱歉，没有 /frobnicate 这个命令。请发送「帮助」查看可用的命令。"]);
    assert_eq!(sticker, ["抱歉，暂时处理不了这类消息。请发送「帮助」查看我能做什么。"]);
    assert!(text_alone.starts_with("您想登记活动吗？请发送「登记」按步骤登记"), "{text_alone}");
    for t in [&unknown[0], &sticker[0], &text_alone] {
        assert!(is_polite_chinese(t), "{t}");
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
}

#[tokio::test]
async fn a_member_who_blocks_the_bot_is_marked_unreachable_until_they_write_again() {
    let c = Conversation::start().await;
    let user = User::new(10_006, "卫三");
    c.register(&user, "人社局", Role::Member).await;

    let blocked = c.deliver(&c.incoming(&user, Content::Membership { blocked: true })).await;
    let was_unreachable = c.member(&user).await.unwrap().unreachable;
    c.say(&user, "/week").await;

    assert_eq!(blocked.replies, [], "nothing to say to someone who blocked us");
    assert!(was_unreachable);
    assert!(!c.member(&user).await.unwrap().unreachable, "writing again makes them reachable");
}

#[tokio::test]
async fn a_deactivated_member_is_told_so_and_cannot_check_in() {
    let c = Conversation::start().await;
    let organiser = User::new(10_007, "蒋组织");
    let member = User::new(10_008, "沈四");
    c.register(&organiser, "人社局", Role::Organiser).await;
    c.register(&member, "人社局", Role::Member).await;

    let done = text(&c.say(&organiser, "/deactivate 沈四").await);
    let refused = texts(&c.say(&member, "/checkin 送政策 宣讲").await);

    assert!(done.starts_with("已停用 沈四（人社局）"), "{done}");
    assert_eq!(refused, ["您的账号已停用，暂时不能登记。如有疑问，请联系本单位管理员。"]);
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 0);
}

#[tokio::test]
async fn where_a_chat_goes_is_an_error_to_try_again_not_nobody_while_the_database_cannot_say() {
    use sansong::domain::Platform;
    use sansong::handling::address::{Address, address, group_chat};
    let c = Conversation::start().await;
    let person = c.core.store.handle(Platform::WeCom, "zhangsan").await.unwrap();
    let group = group_chat(&c.core, Platform::WeCom, "wrgroup1").await.unwrap();

    assert_eq!(address(&c.core, person).await.unwrap(), Some(Address::Person("zhangsan".into())));
    assert_eq!(address(&c.core, group).await.unwrap(), Some(Address::Group("wrgroup1".into())));
    assert_eq!(address(&c.core, 987_654_321).await.unwrap(), None, "a chat with no id: nobody");
    sqlx::query("ALTER TABLE handles RENAME TO handles_away").execute(c.core.store.pool()).await.unwrap();
    assert!(address(&c.core, person).await.is_err(), "not \"nobody\": the sender tries again later");
}
