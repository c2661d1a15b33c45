//! Commands in the middle of a dialogue: the line that says it is still open (once, until the
//! person goes on), 「继续」 after a command that brought options of its own, a refused command,
//! and the dialogue's time limit, which a command does not extend.

use chrono::Duration;

use crate::support::{Conversation, Role, User, labels, text};

const STILL_OPEN: &str = "「登记」还在进行：回复序号继续，或发送「取消」退出。";

/// A member of 人社局 at the guided check-in's extras step (after the description).
async fn at_extras() -> (Conversation, User) {
    let c = Conversation::start().await;
    let member = User::new(70_001, "张三");
    c.register(&member, "人社局", Role::Member).await;
    c.say(&member, "登记").await;
    c.say(&member, "2").await;
    c.say(&member, "帮独居老人买药").await;
    (c, member)
}

#[tokio::test]
async fn the_still_open_line_comes_once_and_again_after_the_person_goes_on_with_the_dialogue() {
    let (c, member) = at_extras().await;

    let first = text(&c.say(&member, "本周").await);
    let second = text(&c.say(&member, "提醒").await);
    let confirm = c.say(&member, "下一步").await;
    let after_going_on = text(&c.say(&member, "本周").await);

    assert!(first.ends_with(&format!("\n\n{STILL_OPEN}")), "{first}");
    assert!(!second.contains("还在进行"), "not after every command: {second}");
    assert!(text(&confirm).starts_with("请确认"), "{confirm:#?}");
    assert!(after_going_on.ends_with(STILL_OPEN), "{after_going_on}");
    c.say(&member, "确认").await;
    assert_eq!(c.checkins_of(&member).await.len(), 1);
}

#[tokio::test]
async fn a_refused_command_mid_dialogue_still_says_the_dialogue_is_open() {
    let (c, member) = at_extras().await;

    let refused = text(&c.say(&member, "统计 上周").await);

    assert!(refused.contains("组织员"), "the refusal: {refused}");
    assert!(refused.ends_with(STILL_OPEN), "{refused}");
}

#[tokio::test]
async fn after_a_command_with_options_of_its_own_jixu_shows_the_step_again() {
    let c = Conversation::start().await;
    let organiser = User::new(70_002, "李组织");
    c.register(&organiser, "人社局", Role::Organiser).await;
    // A notice already published, so that 通知列表 shows its pause and cancel buttons.
    for said in ["通知", "冬季走访安排", "1", "立即发送", "预览", "确认发布"] {
        c.say(&organiser, said).await;
    }
    for said in ["通知", "第二条通知", "1", "立即发送"] {
        c.say(&organiser, said).await;
    }

    let listed = c.say(&organiser, "通知列表").await;
    let again = c.say(&organiser, "继续").await;
    let preview = c.say(&organiser, "确认").await;

    assert!(labels(&listed).iter().any(|l| l.starts_with("暂停")), "{listed:#?}");
    assert!(
        text(&listed).ends_with("「发布通知」还在进行：发送「继续」回到这一步，或发送「取消」退出。"),
        "numbers now pick the list's buttons: {listed:#?}"
    );
    assert!(text(&again).contains("选项（点击切换）"), "{again:#?}");
    assert!(labels(&again).contains(&"预览".to_owned()), "{again:#?}");
    assert!(labels(&preview).iter().any(|l| l.contains("确认发布")), "确认 pressed 预览: {preview:#?}");
}

#[tokio::test]
async fn a_command_mid_dialogue_does_not_keep_the_dialogue_past_its_time() {
    let (c, member) = at_extras().await;
    c.advance(Duration::hours(23));
    let told = text(&c.say(&member, "本周").await);
    c.advance(Duration::hours(2));

    let later = text(&c.say(&member, "确认").await);

    assert!(told.ends_with(STILL_OPEN), "{told}");
    assert!(later.starts_with("您想登记活动吗？"), "a day after its last step it is forgotten: {later}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0);
    assert!(c.checkins_of(&member).await.is_empty());
}
