//! The name a member is called by: given with the invite (`加入 <code> 张三`) or later
//! (`我的名字 张三`), audited, and asked for where the platform tells the bot no names (WeCom).

use std::sync::Arc;

use sansong::texts::members::CommandStyle;
use tokio::sync::Notify;

use crate::support::{ChatContext, Conversation, Role, User, is_polite_chinese, text};

#[tokio::test]
async fn a_member_sets_the_name_they_are_called_by_and_lists_and_the_audit_show_it() {
    let c = Conversation::start().await;
    let zhang = User::new(5101, "zhangsan");
    c.register(&zhang, "人社局", Role::Member).await;

    let shown = text(&c.say(&zhang, "我的名字").await);
    let changed = text(&c.say(&zhang, "我的名字 张三").await);
    let shown_after = text(&c.say(&zhang, "/name").await);

    assert!(shown.contains("「zhangsan」") && shown.contains("我的名字 张三"), "{shown}");
    assert_eq!(changed, "好的，以后在统计和名单中显示为「张三」。");
    assert!(shown_after.contains("「张三」"), "{shown_after}");
    assert_eq!(c.member(&zhang).await.unwrap().name, "张三");
    let audited: (String, String, String) = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE action = 'name' AND member_id IS NOT NULL",
    )
    .fetch_one(c.core.store.pool())
    .await
    .unwrap();
    assert_eq!(audited, ("name".into(), "zhangsan".into(), "张三".into()));
}

#[tokio::test]
async fn a_name_given_with_the_invite_is_the_members_name_from_the_start() {
    let c = Conversation::start().await;
    let code = c.invite("科工局", Role::Member, 5).await;
    let li = User::new(5102, "lisi");

    let welcome = text(&c.say(&li, &format!("加入 {code} 「李四」")).await);

    assert!(welcome.starts_with("欢迎您，李四！"), "{welcome}");
    assert_eq!(c.member(&li).await.unwrap().name, "李四");
}

#[tokio::test]
async fn a_name_that_cannot_be_one_is_refused_politely_and_nothing_changes() {
    let c = Conversation::start().await;
    let wang = User::new(5103, "王五");
    c.register(&wang, "人社局", Role::Member).await;
    let code = c.invite("人社局", Role::Member, 5).await;
    let stranger = User::new(5104, "zhao");

    let refused = text(&c.say(&wang, "我的名字 <b>王五</b>").await);
    let too_long = text(&c.say(&wang, &format!("我的名字 {}", "名".repeat(41))).await);
    let refused_join = text(&c.say(&stranger, &format!("加入 {code} @所有人")).await);

    for answer in [&refused, &too_long, &refused_join] {
        assert!(is_polite_chinese(answer) && answer.contains("不能用作名称"), "{answer}");
    }
    assert_eq!(c.member(&wang).await.unwrap().name, "王五");
    assert!(c.member(&stranger).await.is_none(), "nobody joined under a name that cannot be one");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'name'").await, 0);
}

#[tokio::test]
async fn where_the_platform_gives_no_names_a_newcomer_is_asked_for_theirs_unless_they_gave_it() {
    let mut c = Conversation::start().await;
    c.chat =
        ChatContext::new(None, Arc::new(Notify::new())).with_commands(CommandStyle::WordOnly).names_unknown();
    let code = c.invite("人社局", Role::Member, 5).await;

    let unnamed = c.say(&User::new(5105, "zhouba"), &format!("加入 {code}")).await;
    let named = c.say(&User::new(5106, "wujiu"), &format!("加入 {code} 吴九")).await;

    assert_eq!(unnamed.len(), 1, "one message: {unnamed:#?}");
    let welcome = text(&unnamed);
    assert!(welcome.starts_with("欢迎您，zhouba！"), "{welcome}");
    assert!(welcome.contains("暂时用「zhouba」称呼您") && welcome.contains("我的名字 张三"), "{welcome}");
    assert_eq!(named.len(), 1, "{named:#?}");
    assert!(text(&named).starts_with("欢迎您，吴九！") && !text(&named).contains("暂时用"));
}
