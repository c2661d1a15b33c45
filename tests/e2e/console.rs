//! The web console, over HTTP against the real `sansong run` binary, with Telegram on the fake
//! Bot API and a real SQLite file: signing in (a link's preview spends nothing, the button does,
//! once; the first admin's set-up link works once), every page and its JSON twin for an admin and
//! an organiser, scope by URL, rights that end with a demotion at the next request, cross-origin
//! POSTs refused, escaping, malformed parameters answered 400, and figures equal to the chat's.

use reqwest::StatusCode;
use sansong::domain::Role;
use sansong::members::{self, Actor, Change};

use crate::support::console::{Console, login_path, session_of};
use crate::support::{TgUser, eventually};

pub fn admin() -> TgUser {
    TgUser::new(71_001, "韩管理")
}
fn organiser() -> TgUser {
    TgUser::new(71_002, "周组织")
}
/// The Telegram chat of [`member_a`].
pub fn member_a_id() -> i64 {
    member_a().id
}
fn member_a() -> TgUser {
    TgUser::new(71_003, "吴党员")
}
fn member_b() -> TgUser {
    TgUser::new(71_004, "郑党员")
}

/// An admin of 人社局, an organiser of 科工局 and a member of each, with check-ins this week.
pub async fn campaign() -> (Console, String, String) {
    let c = Console::start().await;
    let admin_session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let organiser_session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    c.app.register(&member_a(), "人社局", Role::Member).await;
    c.app.register(&member_b(), "科工局", Role::Member).await;
    for (user, text) in [
        (member_a(), "送政策 为新球社区居民宣讲社保政策 服务12人"),
        (member_a(), "送温暖 看望五保户 <script>alert(1)</script>"),
        (member_b(), "送服务 帮企业办理社保登记"),
        (organiser(), "送温暖 走访困难职工"),
    ] {
        let reply = c.app.say(&user, text).await;
        assert!(reply.text.contains("已登记"), "{reply:?}");
    }
    (c, admin_session, organiser_session)
}

#[tokio::test]
async fn opening_a_login_link_spends_nothing_and_only_the_button_logs_in_once() {
    let c = Console::start().await;
    c.app.register(&organiser(), "科工局", Role::Organiser).await;
    let link = c.link_from_chat(&organiser()).await;

    // A chat app's preview, a mail scanner, the person themselves: GETs, as often as they like.
    for _ in 0..3 {
        let shown = c.get(None, &link).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(shown.body.contains("周组织") && shown.body.contains(">登录</button>"), "{}", shown.body);
        assert!(session_of(&shown.headers).is_none(), "a GET starts no session");
    }
    let pressed = c.post(None, &link, &[], None).await;
    let again = c.post(None, &link, &[], None).await;
    let reopened = c.get(None, &link).await;

    assert_eq!(pressed.status, StatusCode::SEE_OTHER);
    assert_eq!(pressed.headers["location"], "/");
    let cookie = pressed.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"),
        "{cookie}"
    );
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "a link works once");
    assert!(again.body.contains("已经用过或已过期") && session_of(&again.headers).is_none());
    assert_eq!(reopened.status, StatusCode::BAD_REQUEST);
    let session = session_of(&pressed.headers).unwrap();
    let overview = c.get(Some(&session), "/").await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.body.contains("周组织（科工局·组织员）"), "{}", overview.body);
}

#[tokio::test]
async fn an_expired_login_link_is_refused_and_logs_nobody_in() {
    let c = Console::start().await;
    let member = c.app.register(&organiser(), "科工局", Role::Organiser).await;
    // Made eleven minutes ago (the links live ten).
    c.app.clock.set(chrono::Utc::now() - chrono::Duration::minutes(11));
    let link = sansong::logins::login_link(&c.app.core, &Actor::Member(member), None).await.unwrap();
    let path = format!("/login/{}", link.token);

    let shown = c.get(None, &path).await;
    let pressed = c.post(None, &path, &[], None).await;

    assert_eq!(shown.status, StatusCode::BAD_REQUEST);
    assert_eq!(pressed.status, StatusCode::BAD_REQUEST);
    assert!(pressed.body.contains("已经用过或已过期"), "{}", pressed.body);
    assert!(session_of(&pressed.headers).is_none());
}

#[tokio::test]
async fn sansong_run_with_no_platform_serves_the_console_and_its_setup_link_works_once() {
    let mut app = crate::support::TestApp::spawn().await;
    app.stop().await;
    let c = Console::start_on(app, false).await;
    let printed =
        eventually("the set-up link on standard output", std::time::Duration::from_secs(20), || {
            std::future::ready(login_path(&c.printed()))
        })
        .await;
    let said = std::fs::read_to_string(&c.stderr).unwrap();

    let form = c.get(None, &printed).await;
    let other_origin =
        c.post(None, &printed, &[("name", "钱管理"), ("unit", "2")], Some("http://evil.example")).await;
    let bad_name = c.post(None, &printed, &[("name", "  "), ("unit", "2")], None).await;
    let done = c.post(None, &printed, &[("name", "钱管理"), ("unit", "2")], None).await;
    let twice = c.post(None, &printed, &[("name", "孙管理"), ("unit", "2")], None).await;

    assert!(said.contains("还没有配置聊天平台") && said.contains("sansong chat"), "{said}");
    assert!(c.printed().contains("管理后台："), "{}", c.printed());
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("人社局") && form.body.contains("name=\"new_unit\""), "{}", form.body);
    assert_eq!(other_origin.status, StatusCode::FORBIDDEN);
    assert_eq!(bad_name.status, StatusCode::OK, "the form again, with what to change");
    assert!(bad_name.body.contains("不能用作名称"), "{}", bad_name.body);
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let session = session_of(&done.headers).unwrap();
    assert_eq!(twice.status, StatusCode::BAD_REQUEST, "{}", twice.body);
    let admins: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, u.name FROM members m JOIN units u ON u.id = m.unit_id WHERE m.role = 'admin'",
    )
    .fetch_all(c.app.core.store.pool())
    .await
    .unwrap();
    assert_eq!(admins, vec![("钱管理".to_owned(), "人社局".to_owned())]);
    let overview = c.get(Some(&session), "/").await;
    assert!(overview.body.contains("钱管理（人社局·管理员）"), "{}", overview.body);
}

#[tokio::test]
async fn every_page_and_its_json_answer_an_admin_and_an_organiser() {
    let (c, admin_session, organiser_session) = campaign().await;
    let pages = [
        "/",
        "/?week=上周",
        "/tally",
        "/tally?by=member",
        "/tally?by=site&kind=warmth",
        "/tally?by=link",
        "/tally?from=2026-11-01&to=2026-12-31",
        "/coverage",
        "/coverage?weeks=4&link=community&kind=warmth",
        "/missing",
        "/missing?kind=policy",
        "/checkins",
        "/checkins?kind=warmth&page=1",
        "/api/v1/tally",
        "/api/v1/coverage",
        "/api/v1/missing",
        "/api/v1/checkins",
    ];
    for session in [&admin_session, &organiser_session] {
        for path in pages {
            let page = c.get(Some(session), path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
            let csp = page.headers["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'self'"),
                "{path}: {csp}"
            );
        }
    }
    let admin_view = c.get(Some(&admin_session), "/").await.body;
    let organiser_view = c.get(Some(&organiser_session), "/").await.body;
    for unit in ["应急管理局", "人社局", "贸促会", "科工局"] {
        assert!(admin_view.contains(unit), "the admin sees {unit}");
    }
    let order: Vec<usize> = ["应急管理局", "人社局", "贸促会", "科工局"]
        .iter()
        .map(|u| admin_view.find(&format!(">{u}</a>")).unwrap_or_else(|| panic!("{u} in {admin_view}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "units in the organisation's order, never ranked");
    assert!(organiser_view.contains("科工局") && !organiser_view.contains(">人社局</a>"), "{organiser_view}");
    assert!(admin_view.contains("<svg") && admin_view.contains("<polyline"), "charts drawn on the server");
}

#[tokio::test]
async fn an_organiser_sees_only_their_own_unit_however_the_url_is_edited() {
    let (c, admin_session, organiser_session) = campaign().await;
    let other_unit = urlencode("人社局");
    let member_a_id: i64 = sqlx::query_scalar("SELECT member_id FROM accounts WHERE person_id = ?")
        .bind(member_a().id)
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap();
    let photo_of_a = c.app.core.store.pool().clone();
    sqlx::query("UPDATE checkins SET photo_file_id = 'AgAD-a' WHERE member_id = ?")
        .bind(member_a_id)
        .execute(&photo_of_a)
        .await
        .unwrap();
    let a_checkin: i64 = sqlx::query_scalar("SELECT MIN(id) FROM checkins WHERE member_id = ?")
        .bind(member_a_id)
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap();

    for path in [
        format!("/?unit={other_unit}"),
        format!("/tally?unit={other_unit}"),
        format!("/coverage?unit={other_unit}"),
        format!("/missing?unit={other_unit}"),
        format!("/checkins?unit={other_unit}"),
        format!("/tally/export.xlsx?unit={other_unit}"),
        format!("/api/v1/tally?unit={other_unit}"),
        format!("/api/v1/checkins?unit={other_unit}"),
    ] {
        let page = c.get(Some(&organiser_session), &path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            !page.body.contains("吴党员") && !page.body.contains("宣讲社保政策"),
            "{path}: {}",
            page.body
        );
    }
    let by_member = c.get(Some(&organiser_session), &format!("/checkins?member={member_a_id}")).await;
    assert_eq!(by_member.status, StatusCode::OK);
    assert!(
        !by_member.body.contains("宣讲社保政策") && by_member.body.contains("共 0 条"),
        "{}",
        by_member.body
    );
    let photo = c.get(Some(&organiser_session), &format!("/photo/{a_checkin}")).await;
    assert_eq!(photo.status, StatusCode::NOT_FOUND, "another unit's photo is as if there were none");
    let api = c.get(Some(&organiser_session), "/api/v1/checkins").await;
    assert!(api.body.contains("帮企业办理社保登记") && !api.body.contains("宣讲社保政策"), "{}", api.body);
    let admin_sees = c.get(Some(&admin_session), &format!("/checkins?unit={other_unit}")).await;
    assert!(admin_sees.body.contains("宣讲社保政策"), "{}", admin_sees.body);

    // A member has no console at all, and no session is needed to be told so politely.
    c.app.register(&TgUser::new(71_009, "冯党员"), "科工局", Role::Member).await;
    let member_asks = c.app.say(&TgUser::new(71_009, "冯党员"), "后台").await;
    assert!(member_asks.text.contains("供组织员和管理员使用") && login_path(&member_asks.text).is_none());
    let anonymous = c.get(None, "/tally").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.body.contains("发送「后台」") && !anonymous.body.contains("人社局"),
        "{}",
        anonymous.body
    );
    let anonymous_api = c.get(None, "/api/v1/tally").await;
    assert_eq!(anonymous_api.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous_api.body.starts_with("{\"error\""), "{}", anonymous_api.body);
}

#[tokio::test]
async fn a_demotion_or_deactivation_ends_an_open_sessions_rights_at_the_next_request() {
    let (c, admin_session, organiser_session) = campaign().await;
    let find = |name: &'static str| {
        let core = c.app.core.clone();
        async move { members::find_members(&core, &Actor::Cli, name).await.unwrap().remove(0) }
    };
    let organiser_member = find("周组织").await;
    assert_eq!(c.get(Some(&organiser_session), "/tally").await.status, StatusCode::OK);
    let unused_link = c.link_from_chat(&organiser()).await;
    members::change(&c.app.core, &Actor::Cli, organiser_member.id, Change::Demote(Some(Role::Member)))
        .await
        .unwrap();
    let shown = c.get(None, &unused_link).await;
    let pressed = c.post(None, &unused_link, &[], None).await;
    assert_eq!((shown.status, pressed.status), (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN));
    assert!(session_of(&pressed.headers).is_none(), "a link sent before the demotion logs nobody in");
    let demoted = c.get(Some(&organiser_session), "/tally").await;
    assert_eq!(demoted.status, StatusCode::FORBIDDEN);
    assert!(demoted.body.contains("供组织员和管理员使用"), "{}", demoted.body);
    assert_eq!(c.get(Some(&organiser_session), "/api/v1/tally").await.status, StatusCode::FORBIDDEN);

    let admin_member = find("韩管理").await;
    assert_eq!(c.get(Some(&admin_session), "/").await.status, StatusCode::OK);
    members::change(&c.app.core, &Actor::Cli, admin_member.id, Change::Deactivate).await.unwrap();
    let deactivated = c.get(Some(&admin_session), "/").await;
    assert_eq!(deactivated.status, StatusCode::UNAUTHORIZED);
    assert!(!deactivated.body.contains("吴党员"));
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_and_spends_nothing() {
    let c = Console::start().await;
    c.app.register(&organiser(), "科工局", Role::Organiser).await;
    let link = c.link_from_chat(&organiser()).await;

    let forged = c.post(None, &link, &[], Some("http://evil.example")).await;
    let no_headers = c.http.post(c.url(&link)).send().await.unwrap();
    let session = c.log_in(&link).await;
    let forged_logout = c.post(Some(&session), "/logout", &[], Some("http://evil.example")).await;
    let still_in = c.get(Some(&session), "/").await;
    let logout = c.post(Some(&session), "/logout", &[], None).await;
    let after = c.get(Some(&session), "/").await;

    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("不是从本后台的页面发出的"), "{}", forged.body);
    assert_eq!(no_headers.status(), StatusCode::FORBIDDEN);
    assert_eq!(forged_logout.status, StatusCode::FORBIDDEN);
    assert_eq!(still_in.status, StatusCode::OK, "the forged 退出 changed nothing");
    assert_eq!(logout.status, StatusCode::OK);
    assert!(logout.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "退出 ends the session on the server");
}

#[tokio::test]
async fn what_people_typed_shows_as_text_and_never_runs() {
    let (c, admin_session, _) = campaign().await;
    let page = c.get(Some(&admin_session), "/checkins").await;
    assert!(!page.body.contains("<script>alert(1)</script>"), "{}", page.body);
    let shown = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;script&#62;alert(1)&#60;/script&#62;"];
    assert!(shown.iter().any(|s| page.body.contains(s)), "shown as characters: {}", page.body);
    // JSON carries the text as typed, as JSON, which no browser runs.
    let api = c.get(Some(&admin_session), "/api/v1/checkins").await;
    assert!(api.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(api.headers["x-content-type-options"], "nosniff");
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert!(
        json["checkins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["description"] == "看望五保户 <script>alert(1)</script>")
    );
}

#[tokio::test]
async fn a_malformed_parameter_gets_a_polite_400_never_a_500() {
    let (c, admin_session, _) = campaign().await;
    for (path, says) in [
        ("/?week=2026-W99", "2026-W49"),
        ("/tally?week=abc", "周请写成"),
        ("/tally?unit=%E4%B8%8D%E5%AD%98%E5%9C%A8", "没有找到单位"),
        ("/checkins?page=-1", "正整数"),
        ("/checkins?page=0", "正整数"),
        ("/coverage?weeks=99", "1 到 26"),
        ("/tally?by=score", "按单位"),
        ("/tally?from=2026-12-01", "起止日期"),
        ("/missing?kind=%3Cb%3E", "活动类型"),
        ("/api/v1/tally?week=2026-W99", "2026-W49"),
        ("/photo/abc", "照片"),
    ] {
        let page = c.get(Some(&admin_session), path).await;
        assert!(page.status.is_client_error(), "{path}: {}", page.status);
        assert!(page.body.contains(says), "{path}: {}", page.body);
        assert!(!page.body.contains("sqlx") && !page.body.contains("panicked"), "{path}");
    }
    let unknown = c.get(Some(&admin_session), "/no-such-page").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_figure_equals_the_chats_tally_for_the_same_week() {
    let (c, admin_session, _) = campaign().await;
    let chat = c.app.say(&admin(), "统计").await.text;
    let api: serde_json::Value =
        serde_json::from_str(&c.get(Some(&admin_session), "/api/v1/tally").await.body).unwrap();
    let page = c.get(Some(&admin_session), "/tally").await.body;

    for row in api["rows"].as_array().unwrap().iter().chain([&api["total"]]) {
        let name = row["name"].as_str().unwrap();
        let counts = &row["counts"];
        let line = format!(
            "{name}：成员 {} 人，已登记 {} 人｜送政策 {} · 送服务 {} · 送温暖 {}｜服务 {} 人次｜合计 {}",
            row["members"],
            row["active_members"],
            counts["policy"],
            counts["service"],
            counts["warmth"],
            row["people_served"],
            row["total"]
        );
        assert!(chat.contains(&line), "the chat says {line:?}:\n{chat}");
        let cells = format!(
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            row["members"],
            row["active_members"],
            counts["policy"],
            counts["service"],
            counts["warmth"],
            row["people_served"],
            row["total"]
        );
        assert!(page.contains(&cells) || name == "合计", "the page has {name}'s figures {cells}");
    }
    assert_eq!(api["total"]["total"], 4);
    assert_eq!(api["total"]["people_served"], 12);
}

#[tokio::test]
async fn the_web_export_is_the_chats_export_and_is_audited_as_done_on_the_web() {
    let (c, admin_session, _) = campaign().await;
    let (status, headers, bytes) = c.get_bytes(&admin_session, "/tally/export.xlsx").await;
    let (_, _, csv) = c.get_bytes(&admin_session, "/tally/export.csv").await;

    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let first = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&first).unwrap();
    assert_eq!(sheet.rows().count(), 1 + 4, "a header and the week's four records");
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4);
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action || ' ' || COALESCE(detail, '') FROM audit_log")
            .fetch_all(c.app.core.store.pool())
            .await
            .unwrap();
    assert!(audit.iter().any(|a| a.starts_with("web_login 网页")), "{audit:?}");
    assert!(audit.iter().filter(|a| a.starts_with("export 网页：")).count() == 2, "{audit:?}");
}

#[tokio::test]
async fn a_check_in_photo_is_fetched_from_telegram_once_kept_and_its_view_audited() {
    let (c, admin_session, _) = campaign().await;
    let (_, _) = c.app.fake.photo(&member_a(), "AgAD-photo-1", Some("#送温暖 看望独居老人"));
    let id: i64 = eventually("the photo check-in", std::time::Duration::from_secs(20), || async {
        sqlx::query_scalar::<_, i64>("SELECT id FROM checkins WHERE photo_file_id = 'AgAD-photo-1'")
            .fetch_optional(c.app.core.store.pool())
            .await
            .unwrap()
    })
    .await;
    let listed = c.get(Some(&admin_session), "/checkins").await;
    assert!(listed.body.contains(&format!("/photo/{id}")), "{}", listed.body);

    let (status, headers, bytes) = c.get_bytes(&admin_session, &format!("/photo/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, crate::support::fake_api::FakeApi::file_bytes("AgAD-photo-1"));
    assert!(headers["content-type"].to_str().is_ok());
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkin_photos WHERE checkin_id = ?")
        .bind(id)
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(kept, 1, "kept, so it opens without Telegram next time");
    let downloads = c.app.fake.calls("getFile").len();
    let (again, _, bytes_again) = c.get_bytes(&admin_session, &format!("/photo/{id}")).await;
    assert_eq!((again, bytes_again.len()), (StatusCode::OK, bytes.len()));
    assert_eq!(c.app.fake.calls("getFile").len(), downloads, "the second view asks Telegram nothing");
    let views: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'photo_view' AND detail LIKE '网页%'",
    )
    .fetch_one(c.app.core.store.pool())
    .await
    .unwrap();
    assert_eq!(views, 2);
}

#[tokio::test]
async fn tries_at_login_links_are_limited_per_address() {
    let c = Console::start().await;
    let mut statuses = Vec::new();
    for i in 0..32 {
        statuses.push(c.get(None, &format!("/login/{:0>32}", i)).await.status);
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::BAD_REQUEST), "{statuses:?}");
    assert_eq!(statuses[30], StatusCode::TOO_MANY_REQUESTS);
    assert!(c.get(None, "/login/x").await.body.contains("尝试次数太多"));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_session_ends_after_eight_hours_without_use_but_not_while_it_is_used() {
    let app = crate::support::TestApp::spawn().await;
    let member = app.register(&organiser(), "科工局", Role::Organiser).await;
    let link = sansong::logins::login_link(&app.core, &Actor::Member(member), None).await.unwrap();
    let session = sansong::logins::log_in(&app.core, &link.token).await.unwrap().token;
    let alive = |core: sansong::Core, token: String| async move {
        sansong::logins::session(&core, &token).await.unwrap().is_some()
    };

    app.clock.advance(chrono::Duration::hours(7));
    assert!(alive(app.core.clone(), session.clone()).await, "used within eight hours");
    app.clock.advance(chrono::Duration::hours(7));
    assert!(alive(app.core.clone(), session.clone()).await, "fourteen hours on, but used seven hours ago");
    app.clock.advance(chrono::Duration::hours(8) + chrono::Duration::minutes(2));
    assert!(!alive(app.core.clone(), session.clone()).await, "eight hours without use end it");
}

#[tokio::test]
async fn a_long_tally_comes_a_hundred_rows_a_page_and_the_export_holds_them_all() {
    let (c, admin_session, _) = campaign().await;
    c.app.register_many(120, 72_000, "人社局").await;

    let first = c.get(Some(&admin_session), "/tally?by=member").await.body;
    let second = c.get(Some(&admin_session), "/tally?by=member&page=2").await.body;
    let api: serde_json::Value =
        serde_json::from_str(&c.get(Some(&admin_session), "/api/v1/tally?by=member").await.body).unwrap();

    let members = api["rows"].as_array().unwrap().len();
    assert_eq!(members, 124, "the API gives every row");
    assert!(first.contains(&format!("共 {members} 条，第 1/2 页")) && first.contains("下一页"), "{first}");
    assert!(second.contains(&format!("共 {members} 条，第 2/2 页")) && second.contains("上一页"), "{second}");
    let rows = |page: &str| page.matches("<tr><td>").count();
    assert_eq!((rows(&first), rows(&second)), (100, members - 100));
    assert!(first.contains("图表从略") && !first.contains("<svg"), "no chart of a hundred bars");
    let by_unit = c.get(Some(&admin_session), "/tally").await.body;
    assert!(by_unit.contains("<svg") && !by_unit.contains("下一页"));
}
