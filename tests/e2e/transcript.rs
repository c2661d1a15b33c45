//! A new member's first day, end to end, printed as a transcript (`cargo test transcript --
//! --nocapture`). The assertions pin down the key replies; the printout is for people reading.

use sansong::domain::Role;

use crate::support::{TestApp, TgUser};

struct Transcript(String);

impl Transcript {
    fn said(&mut self, who: &str, text: &str) {
        self.0.push_str(&format!("→ {who}: {text}\n"));
    }

    fn replied(&mut self, reply: &crate::support::fake_api::Outgoing) {
        let how = if reply.edit { "← bot (edits)" } else { "← bot" };
        self.0.push_str(&format!("{how}: {}\n", reply.text.replace('\n', "\n      ")));
        if !reply.buttons.is_empty() {
            self.0.push_str(&format!("      [{}]\n", reply.labels().join("] [")));
        }
    }
}

#[tokio::test]
async fn transcript_of_a_new_members_first_day() {
    let app = TestApp::spawn().await;
    let code = app.invite("人社局", Role::Member, 50).await;
    let zhang = TgUser::new(40_001, "张三");
    let mut t = Transcript(String::new());

    let (update, _) = app.fake.text_update(&zhang, "你好", None);
    t.0.push_str(&format!("(update as sent by the fake Bot API: {update})\n"));
    for text in [
        "你好".to_owned(),
        format!("/start {code}"),
        "/checkin 送政策 为新球社区居民宣讲社保政策，服务12人".to_owned(),
        "/checkin 送服務 幫助辦理社保卡".to_owned(),
        "/checkin 开会 学习文件".to_owned(),
    ] {
        t.said("张三", &text);
        let reply = app.say(&zhang, &text).await;
        t.replied(&reply);
    }

    t.said("张三", "/checkin");
    let kinds = app.say(&zhang, "/checkin").await;
    t.replied(&kinds);
    t.said("张三", "(presses 送温暖)");
    let describe = app.press(&zhang, &kinds, "送温暖").await;
    t.replied(&describe);
    t.said("张三", "为五保户打扫房前屋后卫生");
    let extras = app.say(&zhang, "为五保户打扫房前屋后卫生").await;
    t.replied(&extras);
    t.said("张三", "(sends a photo without caption)");
    let mark = app.fake.mark();
    app.fake.photo(&zhang, "AgACAgUAAxkBAAIB", None);
    let photo = app.fake.next_to(zhang.id, mark).await;
    t.replied(&photo);
    t.said("张三", "(presses 下一步)");
    let confirm = app.press(&zhang, &photo, "下一步").await;
    t.replied(&confirm);
    t.said("张三", "(presses 确认登记)");
    let receipt = app.press(&zhang, &confirm, "确认登记").await;
    t.replied(&receipt);

    for text in ["/week", "/undo", "/week"] {
        t.said("张三", text);
        let reply = app.say(&zhang, text).await;
        t.replied(&reply);
    }
    eprintln!("{}", t.0);

    assert!(t.0.contains("欢迎您，张三"));
    assert!(t.0.contains("2026年第48周您已登记 3 次"));
    assert!(t.0.contains("没有识别出活动类型「开会」"));
    assert!(t.0.contains("共 3 次：送政策 1 · 送服务 1 · 送温暖 1"));
    assert!(t.0.contains("共 2 次：送政策 1 · 送服务 1 · 送温暖 0"), "after /undo");
}

/// The same first day on DingTalk, as the fake pushes it (a robot message frame) and as the bot
/// sends (its batch sends: `msgKey` and `msgParam`), typed in Chinese words throughout.
#[tokio::test]
async fn transcript_of_a_new_members_first_day_on_dingtalk() {
    use crate::support::dingtalk_app::DingTalkApp;
    use crate::support::fake_dingtalk::DtUser;
    let app = DingTalkApp::spawn().await;
    let code = app.invite("人社局", Role::Member).await;
    let li = DtUser::new("manager9001", "李四");
    let mut t = String::new();
    let data = app.fake.message_data(&li, "text", serde_json::json!({ "text": { "content": "你好" } }));
    t.push_str(&format!("(the data of a CALLBACK frame the fake DingTalk pushes: {data})\n"));

    let exchange = |t: &mut String, said: &str, sent: &crate::support::fake_dingtalk::Sent| {
        t.push_str(&format!(
            "→ 李四: {said}\n← bot ({}): {}\n",
            sent.key,
            sent.text.replace('\n', "\n      ")
        ));
    };
    for text in [
        "你好".to_owned(),
        format!("加入 {code}"),
        "送政策 为新球社区居民宣讲社保政策，服务12人".to_owned(),
        "送服務 幫助辦理社保卡".to_owned(),
        "登记".to_owned(),
        "3".to_owned(),
        "为五保户打扫房前屋后卫生".to_owned(),
        "下一步".to_owned(),
        "确认登记".to_owned(),
        "本周".to_owned(),
        "撤销".to_owned(),
        "上周".to_owned(),
    ] {
        let sent = app.say(&li, &text).await;
        exchange(&mut t, &text, &sent);
    }
    eprintln!("{t}");

    assert!(t.contains("欢迎您，李四"));
    assert!(t.contains("[1. 送政策](dtmd://dingtalkclient/sendMessage?content=1%C2%B7"), "options are links");
    assert!(t.contains("共 3 次：送政策 1 · 送服务 1 · 送温暖 1"), "{t}");
    assert!(t.contains("已撤销"), "{t}");
}
