//! Notices in the chat: the composer up to publishing, and members' 「收到」 and 「去宣讲」.

use crate::support::{
    Conversation, Reply, Role, User, beijing, button_data, labels, number_after_hash, text, texts,
};

/// An organiser of 人社局 with two members, and a member of 科工局.
async fn renshe() -> (Conversation, User, [User; 2], User) {
    let c = Conversation::start().await;
    let organiser = User::new(50_001, "李组织");
    c.register(&organiser, "人社局", Role::Organiser).await;
    let members = [User::new(50_002, "张三"), User::new(50_003, "李四")];
    for m in &members {
        c.register(m, "人社局", Role::Member).await;
    }
    let outsider = User::new(50_004, "科工党员");
    c.register(&outsider, "科工局", Role::Member).await;
    (c, organiser, members, outsider)
}

/// Composes a notice to the organiser's unit, now; `ack`/`policy` toggle those options.
/// Returns the id of the published notice.
async fn publish(c: &Conversation, organiser: &User, body: &str, ack: bool, policy: bool) -> i64 {
    c.say(organiser, "/notice").await;
    let audience = c.say(organiser, body).await;
    let when = c.press(organiser, &audience, "本单位全体").await;
    let mut options = c.press(organiser, &when, "立即发送").await;
    if ack {
        options = c.press(organiser, &options, "需确认").await;
    }
    if policy {
        options = c.press(organiser, &options, "政策材料").await;
    }
    let preview = c.press(organiser, &options, "预览").await;
    let published = c.press(organiser, &preview, "确认发布").await;
    number_after_hash(&text(&published))
}

#[tokio::test]
async fn an_organiser_composes_a_notice_to_their_unit_and_publishes_it_after_a_preview() {
    let (c, organiser, members, outsider) = renshe().await;
    let body = "关于开展冬季送温暖活动的通知：本周五前完成走访。";

    let prompt = c.say(&organiser, "/notice").await;
    assert!(text(&prompt).contains("请发送通知内容"), "{prompt:#?}");
    let audience = c.say(&organiser, body).await;
    assert_eq!(labels(&audience), ["本单位全体", "本单位按身份", "取消"]);
    assert!(text(&audience).contains("组织员可向本单位「人社局」发送"), "{audience:#?}");
    let when = c.press(&organiser, &audience, "本单位全体").await;
    assert_eq!(labels(&when), ["立即发送", "取消"]);
    let options = c.press(&organiser, &when, "立即发送").await;
    let options = c.press(&organiser, &options, "需确认").await;
    assert!(labels(&options).iter().any(|l| l.starts_with("☑ 需确认")), "{:?}", labels(&options));
    let preview = c.press(&organiser, &options, "预览").await;

    let [Reply::Answer { .. }, shown, Reply::Send { text: summary, .. }] = preview.as_slice() else {
        panic!("the notice as members will see it, then a summary: {preview:#?}")
    };
    assert_eq!(texts(std::slice::from_ref(shown)), [body], "the exact message");
    assert_eq!(labels(std::slice::from_ref(shown)), ["收到"]);
    assert!(summary.contains("人社局 · 全体成员（现有 3 人）"), "{summary}");
    assert!(summary.contains("发送：立即") && summary.contains("选项：需确认"), "{summary}");
    let preview_button = c.press(&organiser, shown, "收到").await;
    assert_eq!(texts(&preview_button), ["这是预览：成员收到的通知上才能点这个按钮。"]);

    let published = c.press(&organiser, &preview, "确认发布").await;
    assert_eq!(texts(&published)[0], "已发布");
    let id = number_after_hash(&texts(&published)[1]);
    assert!(texts(&published)[1].starts_with(&format!("已发布通知 #{id}。")), "{published:#?}");
    let (stored, ack): (String, bool) = sqlx::query_as("SELECT body, ack_required FROM notices WHERE id = ?")
        .bind(id)
        .fetch_one(c.core.store.pool())
        .await
        .unwrap();
    assert_eq!((stored.as_str(), ack), (body, true));
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0, "the composer is done");

    assert_eq!(c.fire_notices().await, 1);
    for m in &members {
        assert_eq!(c.deliveries_to(m).await.len(), 1, "{} gets it", m.name);
    }
    assert_eq!(c.deliveries_to(&organiser).await.len(), 1, "the whole unit, its organiser too");
    assert!(c.deliveries_to(&outsider).await.is_empty(), "another unit's member gets nothing");
    let again = c.press(&organiser, &preview, "确认发布").await;
    assert!(text(&again).contains("已失效"), "a second press publishes nothing: {again:#?}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM notices").await, 1);
}

#[tokio::test]
async fn cancelling_the_composer_by_button_or_command_publishes_nothing_and_says_so_as_a_notice() {
    let (c, organiser, _, _) = renshe().await;
    c.say(&organiser, "/notice").await;
    let audience = c.say(&organiser, "草稿").await;

    let gone = c.press(&organiser, &audience, "取消").await;
    let nothing = c.say(&organiser, "/cancel").await;

    assert_eq!(texts(&gone)[..], ["已取消，这条通知没有发布。"]);
    assert!(text(&nothing).contains("无需取消"), "{nothing:#?}");
    c.say(&organiser, "/notice").await;
    let by_command = c.say(&organiser, "/cancel").await;
    assert_eq!(texts(&by_command), ["已取消，这条通知没有发布。"], "said as a notice, not a check-in");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM notices").await, 0);
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0);
}

#[tokio::test]
async fn a_notice_scheduled_by_typing_a_time_fires_only_when_its_time_comes() {
    let (c, organiser, [zhang, _], _) = renshe().await;
    c.say(&organiser, "/notice").await;
    let audience = c.say(&organiser, "周一上午九点开会").await;
    c.press(&organiser, &audience, "本单位全体").await;

    let past = c.say(&organiser, "2026-11-01 09:00").await;
    let options = c.say(&organiser, "2026-11-30 09:00").await;
    let preview = c.press(&organiser, &options, "预览").await;
    let published = text(&c.press(&organiser, &preview, "确认发布").await);

    assert!(text(&past).contains("已经过去了"), "{past:#?}");
    assert!(text(&preview).contains("发送：2026-11-30 09:00"), "{preview:#?}");
    assert!(published.contains("下次发送：2026-11-30 周一 09:00"), "{published}");
    assert_eq!(c.fire_notices().await, 0, "not yet");
    c.set_now(beijing(2026, 11, 30, 9, 0));
    assert_eq!(c.fire_notices().await, 1);
    assert_eq!(c.deliveries_to(&zhang).await.len(), 1);
}

#[tokio::test]
async fn a_member_presses_shou_dao_once_and_the_receipts_count_it() {
    let (c, organiser, [zhang, li], _) = renshe().await;
    let id = publish(&c, &organiser, "请确认收到本通知", true, false).await;
    c.fire_notices().await;
    let notice = c.deliver_notice(&zhang).await;
    let message_id = c.message_id_of(zhang.id, &notice[0]).unwrap();
    c.deliver_notice(&li).await;

    let first = c.press(&zhang, &notice, "收到").await;
    let second = c.press(&zhang, &first, "已确认").await;
    // Zhang's message forwarded to Li, who presses its button.
    let forwarded = c.press_data(&li, message_id, &button_data(&notice, "收到")).await;

    assert_eq!(texts(&first), ["已确认收到，谢谢。"]);
    assert_eq!(labels(&first), ["✓ 已确认"], "the button shows it");
    let shown = c.message(zhang.id, message_id).unwrap().reply;
    assert_eq!(texts(std::slice::from_ref(&shown)), ["请确认收到本通知"], "the notice itself is unchanged");
    assert_eq!(labels(std::slice::from_ref(&shown)), ["✓ 已确认"]);
    assert_eq!(texts(&second), ["您已经确认过了，无需再点。"]);
    assert_eq!(
        texts(&forwarded),
        ["这条通知不是发给您的，或已失效。"],
        "someone else's button records nothing"
    );
    let receipts = text(&c.say(&organiser, &format!("/receipts {id}")).await);
    assert!(receipts.contains("目标 3 人 · 已送达 2 · 待发送 1"), "{receipts}");
    assert!(
        receipts.contains("已确认 1 · 未确认 1\n尚未确认：\n  人社局：李四"),
        "not yet sent is not unconfirmed: {receipts}"
    );
}

#[tokio::test]
async fn qu_xuan_jiang_on_a_policy_notice_leads_to_a_songzhengce_checkin_citing_it() {
    let (c, organiser, [zhang, _], outsider) = renshe().await;
    let id = publish(&c, &organiser, "新版社保政策解读", false, true).await;
    c.fire_notices().await;
    let notice = c.deliver_notice(&zhang).await;

    let describe = c.press(&zhang, &notice, "去宣讲").await;
    assert!(text(&describe).contains("类型：送政策"), "{describe:#?}");
    assert!(text(&describe).contains("新版社保政策解读"), "it names the notice: {describe:#?}");
    let extras = c.say(&zhang, "在新球社区宣讲新版社保政策，服务20人").await;
    let confirm = c.press(&zhang, &extras, "下一步").await;
    c.press(&zhang, &confirm, "确认登记").await;

    let cited: Option<i64> =
        sqlx::query_scalar("SELECT notice_id FROM checkins").fetch_one(c.core.store.pool()).await.unwrap();
    assert_eq!(cited, Some(id));
    // A member the notice never reached cannot cite it by forging the button.
    let forged = c.press_data(&outsider, 1, &format!("gx:{id}")).await;
    assert!(text(&forged).contains(&format!("没有找到您可以查看的通知 #{id}")), "{forged:#?}");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins").await, 1);
}
