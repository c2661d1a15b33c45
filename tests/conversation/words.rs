//! Using the bot without a slash: command words in either script, a check-in that starts with
//! its kind, `收到` typed, an invite code sent on its own, and options typed by number or label.
//! These are how people on a platform without slash commands use everything.

use crate::support::*;

async fn renshe() -> (Conversation, User, User) {
    let c = Conversation::start().await;
    let organiser = User::new(60_001, "李组织");
    c.register(&organiser, "人社局", Role::Organiser).await;
    let member = User::new(60_002, "张三");
    c.register(&member, "人社局", Role::Member).await;
    (c, organiser, member)
}

#[tokio::test]
async fn each_command_word_answers_exactly_like_its_slash_command() {
    let (c, organiser, member) = renshe().await;
    c.say(&member, "/checkin 送政策 为社区居民宣讲社保政策").await;
    let pairs: [(&User, &str, &str); 10] = [
        (&member, "本周", "/week"),
        (&member, "上周", "/week last"),
        (&member, "我的登记 2026-W47", "/week 2026-W47"),
        (&member, "提醒", "/remind"),
        (&organiser, "统计 上周 按成员", "/tally last by:member"),
        (&organiser, "統計 上週 按成員", "/tally last by:member"),
        (&organiser, "未登记", "/missing"),
        (&organiser, "成员", "/members"),
        (&organiser, "通知列表", "/notices"),
        (&organiser, "幫助", "/help"),
    ];
    for (user, word, slash) in pairs {
        let by_word = texts(&c.say(user, word).await);
        let by_slash = texts(&c.say(user, slash).await);
        assert_eq!(by_word, by_slash, "{word} vs {slash}");
        assert!(!by_word.is_empty() && !by_word[0].contains("您想登记活动吗"), "{word}: {by_word:?}");
    }
}

#[tokio::test]
async fn a_message_that_starts_with_a_kind_is_recorded_as_a_check_in_and_undone_by_a_word() {
    let (c, _, member) = renshe().await;

    let receipt = text(&c.say(&member, "送温暖 看望五保户王大爷").await);
    let traditional = text(&c.say(&member, "昨天送服務 幫獨居老人買藥").await);
    let undone = text(&c.say(&member, "撤销").await);

    assert!(receipt.starts_with("✅ 已登记，编号 #1"), "{receipt}");
    assert!(traditional.starts_with("✅ 已登记，编号 #2"), "{traditional}");
    assert!(undone.contains("#2"), "the newest is undone: {undone}");
    let left = c.checkins_of(&member).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!((left[0].1.as_str(), left[0].2.as_str()), ("warmth", "看望五保户王大爷"));
}

#[tokio::test]
async fn chat_that_merely_mentions_a_kind_is_not_recorded() {
    let (c, _, member) = renshe().await;

    for said in ["政策怎么落实？", "明天送温暖吗", "通知各支部本周内完成走访"] {
        let reply = text(&c.say(&member, said).await);
        assert!(reply.starts_with("您想登记活动吗？"), "{said}: {reply}");
    }
    assert!(c.checkins_of(&member).await.is_empty());
}

#[tokio::test]
async fn a_kind_sent_alone_starts_the_guided_check_in_with_that_kind_chosen() {
    let (c, _, member) = renshe().await;

    let prompt = c.say(&member, "送温暖").await;

    assert!(text(&prompt).starts_with("类型：送温暖"), "{prompt:#?}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 1);
}

#[tokio::test]
async fn the_guided_check_in_can_be_done_entirely_by_typing_numbers_and_labels() {
    let (c, _, member) = renshe().await;

    let kinds = c.say(&member, "登记").await;
    let second = c.say(&member, "2").await;
    let extras = c.say(&member, "帮独居老人买药").await;
    let confirm = c.say(&member, "下一步").await;
    let done = c.say(&member, "1").await;

    assert_eq!(&labels(&kinds)[..3], ["送政策", "送服务", "送温暖"], "{kinds:#?}");
    assert!(text(&second).starts_with("类型：送服务"), "2 picked the second kind: {second:#?}");
    assert!(labels(&extras).contains(&"下一步".to_owned()), "{extras:#?}");
    assert!(labels(&confirm).contains(&"✅ 确认登记".to_owned()), "{confirm:#?}");
    assert!(text(&done).contains("已登记"), "{done:#?}");
    let recorded = c.checkins_of(&member).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!((recorded[0].1.as_str(), recorded[0].2.as_str()), ("service", "帮独居老人买药"));
    assert_eq!(c.scalar("SELECT COUNT(*) FROM choices").await, 0, "nothing is on offer any more");
    let after = text(&c.say(&member, "1").await);
    assert!(after.starts_with("您想登记活动吗？"), "a number after the dialogue picks nothing: {after}");
}

#[tokio::test]
async fn in_a_dialogue_a_longer_text_that_starts_with_a_word_is_the_answer_not_a_command() {
    let (c, _, member) = renshe().await;
    c.say(&member, "送政策").await;

    let extras = c.say(&member, "撤销了原定的讲座，改为入户宣讲").await;
    c.say(&member, "下一步").await;
    c.say(&member, "确认登记").await;

    assert!(labels(&extras).contains(&"下一步".to_owned()), "{extras:#?}");
    let recorded = c.checkins_of(&member).await;
    assert_eq!(recorded.len(), 1, "the word 撤销 undid nothing: {recorded:?}");
    assert_eq!(recorded[0].2, "撤销了原定的讲座，改为入户宣讲");
}

#[tokio::test]
async fn an_organiser_composes_and_publishes_a_notice_by_typing_every_choice() {
    let (c, organiser, member) = renshe().await;

    c.say(&organiser, "通知").await;
    let audience = c.say(&organiser, "请各支部本周内完成走访").await;
    let when = c.say(&organiser, "1").await;
    let options = c.say(&organiser, "立即发送").await;
    let preview = c.say(&organiser, "预览").await;
    let published = text(&c.say(&organiser, "确认发布").await);

    assert_eq!(labels(&audience)[0], "本单位全体");
    assert!(labels(&when).iter().any(|l| l.contains("立即发送")), "{when:#?}");
    assert!(labels(&options).iter().any(|l| l.contains("预览")), "{options:#?}");
    assert!(labels(&preview).iter().any(|l| l.contains("确认发布")), "{preview:#?}");
    assert!(published.starts_with("已发布通知 #"), "{published}");
    assert_eq!(c.fire_notices().await, 1);
    assert_eq!(c.deliveries_to(&member).await.len(), 1);
}

#[tokio::test]
async fn shou_dao_typed_acknowledges_the_newest_notice_that_asks_for_it() {
    let (c, organiser, member) = renshe().await;
    c.say(&organiser, "/notice").await;
    let audience = c.say(&organiser, "冬季走访安排，请确认收到").await;
    let when = c.press(&organiser, &audience, "本单位全体").await;
    let options = c.press(&organiser, &when, "立即发送").await;
    let options = c.press(&organiser, &options, "需确认").await;
    let preview = c.press(&organiser, &options, "预览").await;
    c.press(&organiser, &preview, "确认发布").await;
    c.fire_notices().await;
    c.deliver_notice(&member).await;

    let first = texts(&c.say(&member, "收到！").await);
    let again = texts(&c.say(&member, "收到").await);

    assert_eq!(first, ["已确认收到通知「冬季走访安排，请确认收到」，谢谢。"]);
    assert_eq!(again, ["目前没有需要确认收到的通知。"]);
    assert_eq!(c.scalar("SELECT COUNT(*) FROM deliveries WHERE acked_at IS NOT NULL").await, 1);
}

#[tokio::test]
async fn someone_new_joins_with_jia_ru_and_the_code_or_the_code_alone() {
    let c = Conversation::start().await;
    let (wang, zhao) = (User::new(60_010, "王五"), User::new(60_011, "赵六"));
    let code = c.invite("人社局", Role::Member, 2).await;

    let by_word = text(&c.say(&wang, &format!("加入 {code}")).await);
    let by_code = text(&c.say(&zhao, &code).await);

    assert!(by_word.starts_with("欢迎您，王五！"), "{by_word}");
    assert!(by_code.starts_with("欢迎您，赵六！"), "{by_code}");
    assert!(c.member(&wang).await.is_some() && c.member(&zhao).await.is_some());
}

#[tokio::test]
async fn words_are_not_commands_in_a_group() {
    let (c, _, member) = renshe().await;

    let said = c.in_group(&member, -100_500, "本周").await;

    assert!(said.is_empty(), "the bot keeps quiet in groups: {said:#?}");
}

#[tokio::test]
async fn a_notice_text_that_starts_with_bang_ding_or_jia_ru_is_the_notices_text() {
    let (c, organiser, _) = renshe().await;
    c.say(&organiser, "通知").await;

    let audience = c.say(&organiser, "绑定政务钉钉账号的通知：请本周内完成").await;

    assert_eq!(labels(&audience)[0], "本单位全体", "the composer took it as the notice: {audience:#?}");
}
