//! One bot on Telegram and DingTalk at once: what is made on one platform reaches members on
//! the other, whole. A notice's picture composed on Telegram arrives on DingTalk as the
//! picture (fetched with `getFile`, uploaded to DingTalk once), and one composed on DingTalk
//! arrives on Telegram as a photo (downloaded with its download code, uploaded to Telegram).

use sansong::domain::Role;

use crate::support::TgUser;
use crate::support::both_app::BothApp;
use crate::support::fake_api::FakeApi;
use crate::support::fake_dingtalk::{DtUser, FakeDingTalk};

/// `organiser` composes a notice on Telegram, to their whole unit, now, and publishes it;
/// `content` sends what the notice is (a photo or a file with its words).
async fn publish_on_telegram(app: &BothApp, organiser: &TgUser, content: impl FnOnce(&FakeApi)) {
    let tg = &app.telegram;
    let mark = tg.mark();
    tg.text(organiser, "通知");
    tg.next_to(organiser.id, mark).await;
    let mark = tg.mark();
    content(tg);
    let audience = tg.next_to(organiser.id, mark).await;
    let mark = tg.mark();
    tg.press(organiser, audience.message_id, audience.button("本单位全体").unwrap());
    let when = tg.next_to(organiser.id, mark).await;
    let mark = tg.mark();
    tg.press(organiser, when.message_id, when.button("立即发送").unwrap());
    let options = tg.next_to(organiser.id, mark).await;
    let mark = tg.mark();
    tg.press(organiser, options.message_id, options.button("预览").unwrap());
    let shown = tg.next_to(organiser.id, mark).await;
    let summary = tg.next_to(organiser.id, shown.seq + 1).await;
    tg.press(organiser, summary.message_id, summary.button("确认发布").unwrap());
}

#[tokio::test]
async fn a_photo_notice_composed_on_telegram_reaches_a_dingtalk_member_as_the_picture() {
    let app = BothApp::spawn().await;
    let organiser = TgUser::new(80_001, "李组织");
    app.register_telegram(&organiser, "人社局", Role::Organiser).await;
    let on_telegram = TgUser::new(80_002, "张三");
    app.register_telegram(&on_telegram, "人社局", Role::Member).await;
    let on_dingtalk = DtUser::new("manager8003", "王五");
    app.register_dingtalk(&on_dingtalk, "人社局", Role::Member).await;

    publish_on_telegram(&app, &organiser, |tg| {
        tg.photo(&organiser, "poster-7", Some("冬季防火宣传海报，请张贴"));
    })
    .await;

    let photo = app
        .telegram
        .wait_for_outgoing("the photo on Telegram", |o| {
            o.chat_id == on_telegram.id && o.text.contains("冬季防火")
        })
        .await;
    let on_dt = app
        .dingtalk
        .wait_for("the picture and its words on DingTalk", |f| {
            let mine: Vec<_> = f.sent().into_iter().filter(|s| s.to == on_dingtalk.staff_id).collect();
            mine.iter().any(|s| s.text.contains("冬季防火")).then_some(mine)
        })
        .await;

    assert_eq!(photo.media, Some(("photo".into(), "poster-7".into())), "Telegram sends it by its id");
    assert_eq!(on_dt[0].key, "sampleImageMsg", "{on_dt:#?}");
    assert!(!on_dt[1].text.contains("请向发布人索取"), "{}", on_dt[1].text);
    let uploaded = app.dingtalk.uploads();
    assert_eq!(uploaded.len(), 1);
    assert_eq!(
        uploaded[0].1,
        FakeApi::file_bytes("poster-7").len(),
        "Telegram's bytes, uploaded to DingTalk"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_picture_notice_composed_on_dingtalk_reaches_a_telegram_member_as_a_photo() {
    let app = BothApp::spawn().await;
    let organiser = DtUser::new("manager8101", "冯组织");
    app.register_dingtalk(&organiser, "人社局", Role::Organiser).await;
    let on_telegram = TgUser::new(81_002, "张三");
    app.register_telegram(&on_telegram, "人社局", Role::Member).await;

    let dt = &app.dingtalk;
    let said = |text: &str| {
        let mark = dt.mark();
        dt.say(&organiser, text);
        mark
    };
    let mark = said("通知");
    dt.next_to(&organiser, mark).await;
    let mark = dt.mark();
    dt.picture_with_text(&organiser, "冬季防火宣传海报，请张贴");
    dt.next_to(&organiser, mark).await;
    for step in ["1", "立即发送", "预览"] {
        let mark = said(step);
        dt.next_to(&organiser, mark).await;
    }
    said("确认发布");

    let photo = app
        .telegram
        .wait_for_outgoing("the photo on Telegram", |o| {
            o.chat_id == on_telegram.id && o.text.contains("冬季防火")
        })
        .await;

    let (kind, file_id) = photo.media.clone().expect("a photo, not words alone");
    assert_eq!(kind, "photo");
    let (_, bytes) = app.telegram.file(&file_id).expect("uploaded to Telegram");
    let code =
        dt.calls("/v1.0/robot/messageFiles/download")[0].body["downloadCode"].as_str().unwrap().to_owned();
    assert_eq!(bytes, FakeDingTalk::picture(&code), "the picture as DingTalk gave it");
    app.stop().await;
}

#[tokio::test]
async fn a_file_sent_on_telegram_keeps_its_own_name_on_dingtalk() {
    let app = BothApp::spawn().await;
    let organiser = TgUser::new(82_001, "周组织");
    app.register_telegram(&organiser, "人社局", Role::Organiser).await;
    let on_dingtalk = DtUser::new("manager8203", "吴九");
    app.register_dingtalk(&on_dingtalk, "人社局", Role::Member).await;

    publish_on_telegram(&app, &organiser, |tg| {
        tg.document(&organiser, "doc-9", "2026年医保缴费政策.pdf", Some("医保缴费政策解读，见附件"));
    })
    .await;

    let file = app
        .dingtalk
        .wait_for("the file on DingTalk", |f| {
            f.sent().into_iter().find(|s| s.to == on_dingtalk.staff_id && s.key == "sampleFile")
        })
        .await;
    assert_eq!(file.param["fileName"], "2026年医保缴费政策.pdf");
    assert_eq!(file.param["fileType"], "pdf");
    assert_eq!(app.dingtalk.uploads()[0].0, "2026年医保缴费政策.pdf");
    app.stop().await;
}
