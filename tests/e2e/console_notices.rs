//! The console's 通知, 成员 and 邀请 pages, over HTTP against the real `sansong run` binary with
//! Telegram and DingTalk on their fakes and a real SQLite file: a notice composed on the web is
//! delivered on both platforms, acknowledged there, and counted by unit in the web's receipts;
//! a form sent twice publishes once; pause, resume and cancel; the agenda equals what
//! `sansong notice show` prints; an organiser cannot reach another unit by URL or by form;
//! invites made on the web are redeemed in a chat and stop when withdrawn; role changes.

use reqwest::StatusCode;
use sansong::domain::Role;

use crate::support::TgUser;
use crate::support::console::{Console, Page};
use crate::support::fake_dingtalk::DtUser;

fn admin() -> TgUser {
    TgUser::new(72_001, "冯管理")
}
fn organiser() -> TgUser {
    TgUser::new(72_002, "陈组织")
}
fn member_tg() -> TgUser {
    TgUser::new(72_003, "褚党员")
}
fn member_dt() -> DtUser {
    DtUser::new("dt72004", "卫党员")
}

/// The value of the form field `name` in a page.
fn field(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start =
        page.body.find(&marker).unwrap_or_else(|| panic!("no field {name} in {}", page.body)) + marker.len();
    page.body[start..].split('"').next().unwrap().to_owned()
}

/// The notice id a 303 after publishing points at.
fn published_id(page: &Page) -> i64 {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.headers["location"].to_str().unwrap();
    location.trim_start_matches("/notices/").split('?').next().unwrap().parse().unwrap()
}

/// Opens the form, previews `fields`, and presses 「确认发布」: the publishing POST's answer
/// and the fields it sent (to send again).
async fn compose(c: &Console, session: &str, fields: &[(&str, &str)]) -> (Page, Vec<(String, String)>) {
    let form = c.get(Some(session), "/notices/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let nonce = field(&form, "nonce");
    let mut sent: Vec<(String, String)> = vec![("nonce".into(), nonce)];
    sent.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let pairs = |extra: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = sent.clone();
        all.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        all
    };
    let as_refs =
        |v: &Vec<(String, String)>| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let preview_fields = pairs(&[("action", "preview")]);
    let refs: Vec<(&str, &str)> = preview_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let preview = c.post_multipart(session, "/notices/new", &refs, None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("预览：成员收到的样子"), "{}", preview.body);
    let fingerprint = field(&preview, "previewed");
    let publish = pairs(&[("action", "publish"), ("previewed", &fingerprint)]);
    let refs: Vec<(&str, &str)> = publish.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let published = c.post_multipart(session, "/notices/new", &refs, None).await;
    (published, as_refs(&publish))
}

async fn resend(c: &Console, session: &str, fields: &[(String, String)]) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.post_multipart(session, "/notices/new", &refs, None).await
}

#[tokio::test]
async fn a_notice_composed_on_the_web_reaches_telegram_and_dingtalk_and_their_acknowledgements_show_by_unit()
{
    let c = Console::start_with_dingtalk().await;
    let dt = c.dingtalk.as_ref().unwrap();
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    c.app.register(&member_tg(), "人社局", Role::Member).await;
    c.register_dingtalk(&member_dt(), "科工局", Role::Member).await;
    let tg_mark = c.app.fake.mark();
    let dt_mark = dt.mark();

    let (published, fields) = compose(
        &c,
        &session,
        &[
            ("body", "请于周五前学习《社保新政》"),
            ("to", "all"),
            ("when", "now"),
            ("ack", "1"),
            ("urgent", "1"),
        ],
    )
    .await;
    let id = published_id(&published);
    let again = resend(&c, &session, &fields).await;

    assert_eq!(published_id(&again), id, "a form sent twice publishes the one notice");
    assert_eq!(c.app.scalar("SELECT COUNT(*) FROM notices WHERE created_by NOT LIKE 'system:%'").await, 1);
    assert_eq!(
        c.app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notice' AND actor LIKE '网页 %'").await,
        1
    );
    let on_telegram = c.app.fake.next_to(member_tg().id, tg_mark).await;
    assert!(
        on_telegram.text.contains("社保新政") && on_telegram.button("收到").is_some(),
        "{on_telegram:#?}"
    );
    let on_dingtalk = dt.next_to(&member_dt(), dt_mark).await;
    assert!(on_dingtalk.text.contains("社保新政"), "{on_dingtalk:#?}");

    // Both acknowledge where they are; the admin (who received it too) does not.
    let acked = c.app.press(&member_tg(), &on_telegram, "收到").await;
    assert!(!acked.text.is_empty());
    let mark = dt.mark();
    dt.say(&member_dt(), "收到");
    dt.next_to(&member_dt(), mark).await;

    let receipts = c.get(Some(&session), &format!("/notices/{id}")).await;
    assert_eq!(receipts.status, StatusCode::OK);
    let body = &receipts.body;
    let row = |unit: &str| {
        let start =
            body.find(&format!("<tr><td>{unit}</td>")).unwrap_or_else(|| panic!("no row for {unit}: {body}"));
        body[start..].split("</tr>").next().unwrap().to_owned()
    };
    // 人社局: the admin and the Telegram member, one acknowledged; 科工局: the DingTalk member, acknowledged.
    assert!(
        row("人社局").contains("<td>2</td>") && row("人社局").contains("value=\"1\">"),
        "{}",
        row("人社局")
    );
    assert!(
        row("科工局").contains("<td>1</td>") && row("科工局").contains("value=\"1\">"),
        "{}",
        row("科工局")
    );
    let waiting = body.split("<h3>尚未确认</h3>").nth(1).unwrap();
    assert!(
        waiting.contains("冯管理") && !waiting.contains("褚党员") && !waiting.contains("卫党员"),
        "{waiting}"
    );
}

#[tokio::test]
async fn reminding_from_the_web_reaches_only_those_who_have_not_acknowledged_and_only_once() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    c.app.register(&member_tg(), "人社局", Role::Member).await;
    let (published, _) = compose(
        &c,
        &session,
        &[("body", "周一例会"), ("to", "all"), ("when", "now"), ("ack", "1"), ("urgent", "1")],
    )
    .await;
    let id = published_id(&published);
    let notice = c.app.fake.next_to(member_tg().id, 0).await;
    c.app.fake.next_to(admin().id, 0).await;
    c.app
        .press(
            &admin(),
            &c.app
                .fake
                .outgoing_to(admin().id)
                .into_iter()
                .rev()
                .find(|o| o.text.contains("周一例会"))
                .unwrap(),
            "收到",
        )
        .await;
    // The fake holds the message a moment before the bot marks it sent: only a sent delivery
    // is reminded.
    crate::support::eventually("both deliveries marked sent", std::time::Duration::from_secs(20), || async {
        (c.app.scalar("SELECT COUNT(*) FROM deliveries WHERE kind = 'notice' AND status = 'sent'").await == 2)
            .then_some(())
    })
    .await;

    let mark = c.app.fake.mark();
    let first = c.post(Some(&session), &format!("/notices/{id}/remind"), &[], None).await;
    let second = c.post(Some(&session), &format!("/notices/{id}/remind"), &[], None).await;

    assert_eq!(first.headers["location"], format!("/notices/{id}?done=reminded"));
    assert_eq!(second.headers["location"], format!("/notices/{id}?done=reminded_before"));
    let reminder = c.app.fake.next_to(member_tg().id, mark).await;
    assert!(reminder.text.contains("周一例会") && reminder.message_id != notice.message_id, "{reminder:#?}");
    c.app
        .fake
        .wait_for("the reminder to be the only one", |v| {
            (v.outgoing().iter().filter(|o| o.seq >= mark && o.text.contains("周一例会")).count() == 1)
                .then_some(())
        })
        .await;
    assert_eq!(
        c.app.scalar("SELECT COUNT(*) FROM deliveries WHERE kind = 'reminder'").await,
        1,
        "the admin acknowledged"
    );
    let shown = c.get(Some(&session), &format!("/notices/{id}?done=reminded_before")).await;
    assert!(shown.body.contains("这一轮已经提醒过"), "{}", shown.body);
}

#[tokio::test]
async fn pausing_resuming_and_cancelling_on_the_web_do_what_the_chat_does_and_a_second_cancel_is_answered() {
    let c = Console::start().await;
    let session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let (published, _) = compose(
        &c,
        &session,
        &[("body", "每日学习提醒"), ("to", "own"), ("when", "later"), ("when_text", "每个工作日 09:00")],
    )
    .await;
    let id = published_id(&published);
    let status =
        || async { c.app.scalar(&format!("SELECT status = 'active' FROM notices WHERE id = {id}")).await };
    assert_eq!(status().await, 1);

    let paused = c.post(Some(&session), &format!("/notices/{id}/pause"), &[], None).await;
    let paused_again = c.post(Some(&session), &format!("/notices/{id}/pause"), &[], None).await;
    assert_eq!(paused_again.status, StatusCode::SEE_OTHER, "a second press is no error and changes nothing");
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert_eq!(status().await, 0);
    let page = c.get(Some(&session), &format!("/notices/{id}?done=pause")).await;
    assert!(page.body.contains("通知已暂停") && page.body.contains(">恢复</button>"), "{}", page.body);
    c.post(Some(&session), &format!("/notices/{id}/resume"), &[], None).await;
    assert_eq!(status().await, 1);
    let cancelled = c.post(Some(&session), &format!("/notices/{id}/cancel"), &[], None).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let again = c.post(Some(&session), &format!("/notices/{id}/cancel"), &[], None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains(&format!("#{id}")), "{}", again.body);
    assert_eq!(c.app.scalar(&format!("SELECT status = 'cancelled' FROM notices WHERE id = {id}")).await, 1);
    assert_eq!(
        c.app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notice' AND actor LIKE '网页 %' AND after IS NOT NULL").await,
        3,
        "pause, resume and cancel are audited, as from the web"
    );
}

#[tokio::test]
async fn the_agenda_lists_each_notices_sends_as_sansong_notice_show_prints_them() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let mut ids = Vec::new();
    // The binary runs on the real clock.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let once = format!("{} 10:00", (today + chrono::Days::new(3)).format("%Y-%m-%d"));
    for (body, when) in
        [("工作日学习", "每个工作日 09:00"), ("周一例会", "每周一 15:30"), ("一次性通知", once.as_str())]
    {
        let (published, _) =
            compose(&c, &session, &[("body", body), ("to", "all"), ("when", "later"), ("when_text", when)])
                .await;
        ids.push(published_id(&published));
    }
    let agenda = c.get(Some(&session), "/notices").await;
    assert_eq!(agenda.status, StatusCode::OK);
    // (day, time, id) of every send the agenda lists.
    let mut listed = Vec::new();
    for day in agenda.body.split("<section class=\"group agenda-day\"><h3>").skip(1) {
        let label = day.split("</h3>").next().unwrap().to_owned();
        for item in day.split("<li><strong>").skip(1) {
            let time = item.split("</strong>").next().unwrap().to_owned();
            let id: i64 = item.split("\">#").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
            listed.push((label.clone(), time, id));
        }
    }
    for id in ids {
        let (code, out, err) = c.app.cli(&["notice", "show", &id.to_string()]).await;
        assert_eq!(code, 0, "{err}");
        let next = out.lines().find_map(|l| l.strip_prefix("接下来：")).unwrap_or_else(|| panic!("{out}"));
        for shown in next.split('；') {
            // `2026-12-07 周一 09:00` → `12月7日 周一`, `09:00`.
            let mut parts = shown.split(' ');
            let date = chrono::NaiveDate::parse_from_str(parts.next().unwrap(), "%Y-%m-%d").unwrap();
            let weekday = parts.next().unwrap();
            let time = parts.next().unwrap();
            let label =
                format!("{}月{}日 {weekday}", chrono::Datelike::month(&date), chrono::Datelike::day(&date));
            if date > today + chrono::Days::new(13) {
                continue;
            }
            assert!(
                listed.contains(&(label.clone(), time.to_owned(), id)),
                "notice #{id}'s send {shown} is not in the agenda {listed:#?}"
            );
        }
        let in_agenda = listed.iter().filter(|(_, _, i)| *i == id).count();
        assert!(in_agenda >= next.split('；').count().min(1), "{listed:#?}");
    }
}

#[tokio::test]
async fn an_organiser_cannot_compose_for_another_unit_nor_see_or_touch_anothers_notices() {
    let c = Console::start().await;
    let admin_session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let organiser_session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let (published, _) = compose(
        &c,
        &admin_session,
        &[("body", "全市通知"), ("to", "all"), ("when", "later"), ("when_text", "每个工作日 09:00")],
    )
    .await;
    let admins = published_id(&published);

    // By form manipulation: everyone, or 人社局 (unit 1).
    let form = c.get(Some(&organiser_session), "/notices/new").await;
    assert!(!form.body.contains("value=\"all\""), "an organiser is not offered everyone");
    let nonce = field(&form, "nonce");
    for fields in [
        vec![("nonce", nonce.as_str()), ("body", "越权"), ("to", "all"), ("action", "preview")],
        vec![
            ("nonce", nonce.as_str()),
            ("body", "越权"),
            ("to", "units"),
            ("unit", "2"),
            ("action", "preview"),
        ],
    ] {
        let refused = c.post_multipart(&organiser_session, "/notices/new", &fields, None).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("本单位"), "{}", refused.body);
        assert!(refused.body.contains(">越权</textarea>"), "the form comes back as typed");
    }
    // By URL: another's notice, its receipts, its buttons.
    let list = c.get(Some(&organiser_session), "/notices").await;
    assert!(!list.body.contains("全市通知"), "{}", list.body);
    let seen = c.get(Some(&organiser_session), &format!("/notices/{admins}")).await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND);
    assert!(!seen.body.contains("全市通知"));
    for action in ["pause", "cancel", "remind"] {
        let refused =
            c.post(Some(&organiser_session), &format!("/notices/{admins}/{action}"), &[], None).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(c.app.scalar(&format!("SELECT status = 'active' FROM notices WHERE id = {admins}")).await, 1);
    assert_eq!(c.app.scalar("SELECT COUNT(*) FROM notices WHERE body = '越权'").await, 0);
    // And a member has no console at all.
    let member = c.app.register(&member_tg(), "科工局", Role::Member).await;
    assert_eq!(member.role, Role::Member);
    let link = c.app.say(&member_tg(), "后台").await;
    assert!(crate::support::console::login_path(&link.text).is_none(), "{}", link.text);
}

#[tokio::test]
async fn a_photo_uploaded_with_a_notice_is_checked_previewed_and_sent_as_a_photo() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    c.app.register(&member_tg(), "人社局", Role::Member).await;
    let form = c.get(Some(&session), "/notices/new").await;
    let nonce = field(&form, "nonce");
    let base =
        [("nonce", nonce.as_str()), ("body", "活动照片"), ("to", "all"), ("when", "now"), ("urgent", "1")];
    let with = |action: &'static str| {
        let mut v = base.to_vec();
        v.push(("action", action));
        v
    };

    let program = c
        .post_multipart(
            &session,
            "/notices/new",
            &with("preview"),
            Some(("setup.exe", b"MZ\x90\x00rest".to_vec())),
        )
        .await;
    assert_eq!(program.status, StatusCode::BAD_REQUEST);
    assert!(program.body.contains("不支持这种文件"), "{}", program.body);
    let png = crate::support::fake_dingtalk::FakeDingTalk::picture("web");
    let png = if png.starts_with(b"\x89PNG") { png } else { tiny_png() };
    let preview =
        c.post_multipart(&session, "/notices/new", &with("preview"), Some(("活动.png", png.clone()))).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let src = format!("/notices/draft/{nonce}/file");
    assert!(preview.body.contains(&src), "{}", preview.body);
    let (status, headers, bytes) = c.get_bytes(&session, &src).await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, png.len()));
    assert_eq!(headers["content-type"], "image/png");
    let other = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    assert_eq!(
        c.get(Some(&other), &src).await.status,
        StatusCode::NOT_FOUND,
        "only its uploader sees a draft's file"
    );

    let mut publish = with("publish");
    let fingerprint = field(&preview, "previewed");
    publish.push(("previewed", &fingerprint));
    let published = c.post_multipart(&session, "/notices/new", &publish, None).await;
    published_id(&published);
    let sent = c
        .app
        .fake
        .wait_for_outgoing("the photo to the member", |o| {
            o.chat_id == member_tg().id && o.media.as_ref().is_some_and(|m| m.0 == "photo")
        })
        .await;
    assert!(sent.text.contains("活动照片"), "{sent:#?}");
    assert!(
        c.app.fake.outgoing().iter().any(|o| o.uploaded && o.media.as_ref().is_some_and(|m| m.0 == "photo")),
        "the picture went up from its bytes once"
    );
}

/// The smallest PNG: one white pixel.
fn tiny_png() -> Vec<u8> {
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        &[255, 255, 255],
        1,
        1,
        image::ColorType::Rgb8,
    )
    .unwrap();
    out
}

#[tokio::test]
async fn an_invite_made_on_the_web_is_redeemed_in_a_chat_and_a_withdrawn_one_lets_nobody_in() {
    let c = Console::start().await;
    let session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let page = c.get(Some(&session), "/invites").await;
    let nonce = field(&page, "nonce");
    let form =
        [("nonce", nonce.as_str()), ("unit", "科工局"), ("role", "member"), ("uses", "2"), ("days", "7")];

    let made = c.post(Some(&session), "/invites", &form, None).await;
    let again = c.post(Some(&session), "/invites", &form, None).await;

    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(made.headers["location"], again.headers["location"], "a form sent twice makes one invite");
    assert_eq!(c.app.scalar("SELECT COUNT(*) FROM invites WHERE created_by LIKE 'tg:%'").await, 1);
    let shown = c.get(Some(&session), made.headers["location"].to_str().unwrap()).await;
    assert_eq!(shown.status, StatusCode::OK);
    let code =
        shown.body.split("<code class=\"code\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(
        shown.body.contains("<svg") && shown.body.contains(&format!("start={code}")),
        "a QR code of the Telegram link"
    );

    let newcomer = TgUser::new(72_010, "蒋新人");
    let joined = c.app.say(&newcomer, &format!("/start {code}")).await;
    assert!(joined.text.contains("科工局"), "{}", joined.text);

    let id = made.headers["location"].to_str().unwrap().trim_start_matches("/invites/").to_owned();
    let revoked = c.post(Some(&session), &format!("/invites/{id}/revoke"), &[], None).await;
    assert_eq!(revoked.headers["location"], "/invites?done=revoked");
    let late = c.app.say(&TgUser::new(72_011, "沈迟到"), &format!("/start {code}")).await;
    assert!(late.text.contains("已过期"), "{}", late.text);
    assert_eq!(
        c.app
            .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'invite_revoked' AND actor LIKE '网页 %'")
            .await,
        1
    );

    // An admin's invite to 科工局 as organiser is not the organiser's to see or hand on.
    let admin_session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let admin_page = c.get(Some(&admin_session), "/invites").await;
    let admins = c
        .post(
            Some(&admin_session),
            "/invites",
            &[("nonce", field(&admin_page, "nonce").as_str()), ("unit", "科工局"), ("role", "organiser")],
            None,
        )
        .await;
    let admins_invite = admins.headers["location"].to_str().unwrap().to_owned();
    assert_ne!(c.get(Some(&session), &admins_invite).await.status, StatusCode::OK);
    let listed = c.get(Some(&session), "/invites").await;
    assert!(!listed.body.contains(&format!("href=\"{admins_invite}\"")), "{}", listed.body);
    let id = admins_invite.trim_start_matches("/invites/");
    assert_ne!(
        c.post(Some(&session), &format!("/invites/{id}/revoke"), &[], None).await.status,
        StatusCode::SEE_OTHER
    );

    // An organiser may not invite into another unit, nor make an organiser.
    for (unit, role) in [("人社局", "member"), ("科工局", "organiser")] {
        let refused = c
            .post(
                Some(&session),
                "/invites",
                &[("nonce", "abcdefghijklmnop1"), ("unit", unit), ("role", role)],
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{unit} {role}: {}", refused.body);
    }
}

#[tokio::test]
async fn roles_and_status_change_on_the_web_under_the_chats_rules_and_a_second_press_changes_nothing() {
    let c = Console::start().await;
    let admin_session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let organiser_session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let member = c.app.register(&member_tg(), "人社局", Role::Member).await;
    let other = c.app.register(&TgUser::new(72_020, "杨党员"), "科工局", Role::Member).await;

    let promoted = c
        .post(Some(&admin_session), &format!("/members/{}/role", member.id), &[("role", "organiser")], None)
        .await;
    let twice = c
        .post(Some(&admin_session), &format!("/members/{}/role", member.id), &[("role", "organiser")], None)
        .await;
    assert_eq!((promoted.status, twice.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert_eq!(
        c.app.scalar(&format!("SELECT role = 'organiser' FROM members WHERE id = {}", member.id)).await,
        1
    );
    assert_eq!(
        c.app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'role' AND actor LIKE '网页 %'").await,
        1
    );

    // An organiser: no role changes; status of their own unit's members only.
    let refused = c
        .post(Some(&organiser_session), &format!("/members/{}/role", other.id), &[("role", "admin")], None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Refused before the member is looked up: no answer tells which member ids exist.
    let nobody = c.post(Some(&organiser_session), "/members/999999/role", &[("role", "admin")], None).await;
    assert_eq!((nobody.status, &nobody.body), (StatusCode::FORBIDDEN, &refused.body));
    let elsewhere =
        c.post(Some(&organiser_session), &format!("/members/{}/deactivate", member.id), &[], None).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    let own = c.post(Some(&organiser_session), &format!("/members/{}/deactivate", other.id), &[], None).await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.app.scalar(&format!("SELECT status = 'inactive' FROM members WHERE id = {}", other.id)).await,
        1
    );
    let list = c.get(Some(&organiser_session), "/members").await;
    assert!(list.body.contains("杨党员") && !list.body.contains("褚党员"), "{}", list.body);
    let by_url = c.get(Some(&organiser_session), "/members?unit=人社局").await;
    assert_eq!(by_url.status, StatusCode::FORBIDDEN);
}
