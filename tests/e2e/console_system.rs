//! The console's admin pages, over HTTP against the real `sansong run` binary: the audit log
//! (filtered by day, actor, action and unit; console actions marked 网页), the system page
//! (「立即备份」, the holiday warning), and the JSON API's read-only tokens (shown once, kept as
//! a hash, reading but never writing, stopping at once when revoked or when their admin is
//! demoted). Organisers are refused all of it.

use reqwest::StatusCode;
use sansong::domain::Role;
use sansong::members::{self, Actor, Change};

use crate::support::console::{Console, Page, backup_dir};
use crate::support::{TgUser, repo_path};

fn admin() -> TgUser {
    TgUser::new(73_001, "韩管理")
}
fn organiser() -> TgUser {
    TgUser::new(73_002, "周组织")
}
fn member() -> TgUser {
    TgUser::new(73_003, "吴党员")
}

/// The console as [`Console::start`] runs it (backing up into the test's own folder), with `env`
/// on top (a holidays folder, a moved clock).
async fn console_with(env: &[(&str, String)]) -> Console {
    Console::start_with_env(env).await
}

async fn console() -> Console {
    console_with(&[]).await
}

/// A request with `Authorization: Bearer <token>` and no cookie; a POST as the console's own
/// page would send it (same origin), so only the token is in question.
async fn with_token(c: &Console, method: reqwest::Method, path: &str, token: &str) -> Page {
    let mut request = c.http.request(method.clone(), c.url(path)).bearer_auth(token);
    if method == reqwest::Method::POST {
        request = request
            .header("origin", &c.base)
            .header("sec-fetch-site", "same-origin")
            .form(&[("name", "偷偷创建"), ("form", "abcdefghijklmnopqrstuvwx")]);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    Page { status, headers, body: response.text().await.unwrap() }
}

/// The one-time key of the system page's token form.
fn form_key(system_page: &str) -> String {
    let (_, rest) = system_page.split_once("name=\"form\" value=\"").expect("the token form's key");
    rest.chars().take_while(char::is_ascii_alphanumeric).collect()
}

/// The token a creation page shows.
fn shown_token(body: &str) -> Option<String> {
    let (_, rest) = body.split_once(sansong::tokens::PREFIX)?;
    let tail: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect();
    Some(format!("{}{tail}", sansong::tokens::PREFIX))
}

/// An admin creates a token named `name` on the system page: (its id, the token).
async fn create_token(c: &Console, session: &str, name: &str) -> (i64, String) {
    let system = c.get(Some(session), "/system").await;
    assert_eq!(system.status, StatusCode::OK, "{}", system.body);
    let created = c
        .post(Some(session), "/system/tokens", &[("name", name), ("form", &form_key(&system.body))], None)
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let token = shown_token(&created.body).unwrap_or_else(|| panic!("no token in {}", created.body));
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = ?")
        .bind(name)
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap();
    (id, token)
}

/// The rows of a page's table (not its filters, menus or header).
fn table(body: &str) -> &str {
    body.split_once("<tbody>").and_then(|(_, rest)| rest.split_once("</tbody>")).map_or("", |(rows, _)| rows)
}

async fn member_id(c: &Console, user: &TgUser) -> i64 {
    sqlx::query_scalar("SELECT member_id FROM accounts WHERE person_id = ?")
        .bind(user.id)
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap()
}

async fn count(c: &Console, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(c.app.core.store.pool()).await.unwrap()
}

#[tokio::test]
async fn an_organiser_is_refused_the_audit_log_the_system_page_and_the_token_routes() {
    let c = console().await;
    let admin_session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let organiser_session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let (id, _) = create_token(&c, &admin_session, "市级平台").await;
    let system = c.get(Some(&organiser_session), "/system").await;
    let revoke = format!("/system/tokens/{id}/revoke");

    let audit = c.get(Some(&organiser_session), "/audit").await;
    let filtered = c.get(Some(&organiser_session), "/audit?unit=%E7%A7%91%E5%B7%A5%E5%B1%80").await;
    let create = c
        .post(
            Some(&organiser_session),
            "/system/tokens",
            &[("name", "组织员的"), ("form", "abcdefghijklmnopqrstuvwx")],
            None,
        )
        .await;
    let revoked = c.post(Some(&organiser_session), &revoke, &[], None).await;
    let backup = c.post(Some(&organiser_session), "/system/backup", &[("seen", "")], None).await;
    let overview = c.get(Some(&organiser_session), "/").await;

    for (what, page) in [
        ("/audit", &audit),
        ("/audit?unit=", &filtered),
        ("/system", &system),
        ("creating a token", &create),
        ("revoking one", &revoked),
        ("backing up", &backup),
    ] {
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{what}: {}", page.body);
        assert!(page.body.contains("仅限管理员使用"), "{what}: a polite page: {}", page.body);
    }
    assert_eq!(count(&c, "SELECT COUNT(*) FROM api_tokens").await, 1, "the organiser made no token");
    assert_eq!(count(&c, "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL").await, 0);
    assert!(!backup_dir(&c.app).exists(), "no backup was taken");
    assert!(!overview.body.contains("href=\"/system\""), "the menu offers organisers no 系统");
    let admin_view = c.get(Some(&admin_session), "/").await;
    assert!(admin_view.body.contains("href=\"/system\"") && admin_view.body.contains("href=\"/audit\""));
}

#[tokio::test]
async fn the_audit_log_filters_by_day_actor_action_and_unit_and_marks_console_actions_as_web() {
    let c = console().await;
    let admin_session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let organiser_session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let kegong = c.app.register(&member(), "科工局", Role::Member).await;
    // On the console: a token (网页); on the command line: a promotion in 科工局; long ago: a
    // backup from the command line.
    create_token(&c, &admin_session, "大屏").await;
    members::change(&c.app.core, &Actor::Cli, kegong.id, Change::Promote(Some(Role::Organiser)))
        .await
        .unwrap();
    let long_ago = crate::support::beijing(2026, 1, 15, 9, 0);
    c.app.core.store.audit(long_ago, "cli", "backup", "/srv/backup-january.db").await.unwrap();
    let page = |q: &'static str| {
        let (c, s) = (&c, admin_session.clone());
        async move {
            let page = c.get(Some(&s), &format!("/audit{q}")).await;
            assert_eq!(page.status, StatusCode::OK, "{q}: {}", page.body);
            page.body
        }
    };

    let all = page("").await;
    let by_organiser = page("?actor=%E5%91%A8%E7%BB%84%E7%BB%87").await;
    let on_the_web = page("?actor=%E7%BD%91%E9%A1%B5").await;
    let tokens = page("?action=api_token").await;
    let kegong_unit = page("?unit=%E7%A7%91%E5%B7%A5%E5%B1%80").await;
    let january = page("?from=2026-01-01&to=2026-01-31").await;
    let none = page("?from=2026-02-01&to=2026-02-02").await;
    let past_the_end = page("?page=9").await;
    let bad_day = c.get(Some(&admin_session), "/audit?from=yesterday").await;
    let bad_unit = c.get(Some(&admin_session), "/audit?unit=%E5%A4%96%E4%BA%A4%E9%83%A8").await;

    let all_rows = table(&all);
    assert!(all_rows.contains("登录后台") && all_rows.contains("创建 API 令牌"), "{all_rows}");
    assert!(all_rows.contains("身份变更") && all_rows.contains("组织员"), "{all_rows}");
    for row in all_rows.split("<tr>").filter(|r| r.contains("登录后台") || r.contains("创建 API 令牌"))
    {
        assert!(
            row.contains(">网页</span>") && row.contains("网页 tg:"),
            "a console action says 网页: {row}"
        );
    }
    let cli_row = all_rows.split("<tr>").find(|r| r.contains("身份变更")).unwrap();
    assert!(cli_row.contains(">命令行</span>"), "{cli_row}");
    let newest_first =
        all_rows.find("创建 API 令牌").unwrap() < all_rows.find("/srv/backup-january.db").unwrap();
    assert!(newest_first, "{all_rows}");

    let rows = table(&by_organiser);
    assert!(rows.contains("周组织") && !rows.contains("韩管理") && !rows.contains("身份变更"), "{rows}");
    let rows = table(&on_the_web);
    assert!(rows.contains("韩管理") && rows.contains("周组织") && !rows.contains("身份变更"), "{rows}");
    let rows = table(&tokens);
    assert!(rows.contains("大屏") && !rows.contains("登录后台"), "{rows}");
    assert!(tokens.contains("<option value=\"api_token\" selected>"), "the filter is kept in the form");
    let rows = table(&kegong_unit);
    assert!(rows.contains("周组织"), "by a member of the unit: {rows}");
    assert!(rows.contains("吴党员") && rows.contains("身份变更"), "about a member of the unit: {rows}");
    assert!(!rows.contains("韩管理") && !rows.contains("大屏"), "nothing of 人社局's: {rows}");
    let rows = table(&january);
    assert!(rows.contains("/srv/backup-january.db") && !rows.contains("登录后台"), "{rows}");
    assert!(none.contains("没有符合条件的记录"), "{none}");
    // A page past the end is the last page, its rows with it (not an empty table labelled so).
    let rows = table(&past_the_end);
    assert!(past_the_end.contains("第 1/1 页"), "{past_the_end}");
    assert!(rows.contains("创建 API 令牌") && rows.contains("/srv/backup-january.db"), "{rows}");
    assert_eq!(bad_day.status, StatusCode::BAD_REQUEST);
    assert!(bad_day.body.contains("参数「from」"), "{}", bad_day.body);
    assert_eq!(bad_unit.status, StatusCode::BAD_REQUEST);
    assert!(bad_unit.body.contains("没有找到单位「外交部」"), "{}", bad_unit.body);
    drop(organiser_session);
}

#[tokio::test]
async fn api_tokens_read_and_cannot_write_and_stop_at_once_when_revoked() {
    let c = console().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    c.app.register(&member(), "科工局", Role::Member).await;
    let reply = c.app.say(&member(), "送服务 帮企业办理社保登记").await;
    assert!(reply.text.contains("已登记"), "{reply:?}");
    let (id, token) = create_token(&c, &session, "市级平台").await;
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    let tally = with_token(&c, get.clone(), "/api/v1/tally", &token).await;
    let checkins = with_token(&c, get.clone(), "/api/v1/checkins", &token).await;
    let console_page = with_token(&c, get.clone(), "/system", &token).await;
    let overview = with_token(&c, get.clone(), "/", &token).await;
    let make_token = with_token(&c, post.clone(), "/system/tokens", &token).await;
    let backup = with_token(&c, post.clone(), "/system/backup", &token).await;
    let revoke = with_token(&c, post.clone(), &format!("/system/tokens/{id}/revoke"), &token).await;
    let post_api = with_token(&c, post.clone(), "/api/v1/tally", &token).await;
    let wrong = with_token(&c, get.clone(), "/api/v1/tally", "sansong_not-a-token").await;

    assert_eq!(tally.status, StatusCode::OK, "{}", tally.body);
    let json: serde_json::Value = serde_json::from_str(&tally.body).unwrap();
    assert_eq!(json["unit"], serde_json::Value::Null, "an admin's scope: every unit");
    assert!(tally.body.contains("科工局"), "{}", tally.body);
    assert_eq!(checkins.status, StatusCode::OK);
    assert!(checkins.body.contains("帮企业办理社保登记"), "{}", checkins.body);
    for (what, page) in [("/system", &console_page), ("/", &overview)] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "a token opens no console page: {what}");
    }
    for (what, page) in [("a token", &make_token), ("a backup", &backup), ("a revocation", &revoke)] {
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "a token changes nothing: {what}: {}", page.body);
    }
    assert_eq!(post_api.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("API 令牌无效"), "{}", wrong.body);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM api_tokens").await, 1);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL").await, 1);
    assert!(!backup_dir(&c.app).exists(), "no backup was taken");
    assert_eq!(count(&c, "SELECT COUNT(*) FROM api_tokens WHERE last_used_at IS NOT NULL").await, 1);
    let listed = c.get(Some(&session), "/system").await.body;
    assert!(listed.contains("市级平台") && !listed.contains("从未使用"), "its last use is listed");

    let revoked = c.post(Some(&session), &format!("/system/tokens/{id}/revoke"), &[], None).await;
    let after = with_token(&c, get.clone(), "/api/v1/tally", &token).await;
    let again = c.post(Some(&session), &format!("/system/tokens/{id}/revoke"), &[], None).await;

    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "refused from the very next request");
    assert_eq!(again.status, StatusCode::SEE_OTHER, "revoking twice changes nothing");
    let listed = c.get(Some(&session), "/system").await.body;
    assert!(listed.contains("已吊销"), "{listed}");
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT action, actor FROM audit_log WHERE action LIKE 'api_token%' ORDER BY id")
            .fetch_all(c.app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(audited.len(), 2, "created and revoked, once each: {audited:?}");
    assert!(audited.iter().all(|(_, actor)| actor.starts_with("网页 ")), "{audited:?}");
}

#[tokio::test]
async fn a_token_is_shown_once_and_only_its_hash_is_kept() {
    let c = console().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let system = c.get(Some(&session), "/system").await;
    let form = [("name", "数据中台"), ("form", &form_key(&system.body) as &str)];

    let created = c.post(Some(&session), "/system/tokens", &form, None).await;
    let resent = c.post(Some(&session), "/system/tokens", &form, None).await;
    let listed = c.get(Some(&session), "/system").await;

    let token = shown_token(&created.body).expect("the new token is shown");
    assert!(token.len() >= 40, "{token}");
    assert_eq!(created.headers["cache-control"], "no-store");
    assert!(created.body.contains("只显示这一次"), "{}", created.body);
    assert_eq!(resent.status, StatusCode::OK);
    assert!(resent.body.contains("已经创建过令牌") && shown_token(&resent.body).is_none(), "{}", resent.body);
    assert!(!listed.body.contains(&token) && listed.body.contains("数据中台"), "listed, never shown again");
    let kept: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(c.app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(kept, vec![sansong::logins::hash(&token)], "one token, kept as its SHA-256");
    assert!(kept[0].len() == 64 && kept[0].bytes().all(|b| b.is_ascii_hexdigit()));
    for file in ["sansong.db", "sansong.db-wal"] {
        let bytes = std::fs::read(c.app.dir.path().join(file)).unwrap_or_default();
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token is nowhere in {file}");
    }
    let logged = std::fs::read_to_string(&c.stderr).unwrap_or_default();
    assert!(!logged.contains(&token), "nor in the log");
    let bad_name = c
        .post(Some(&session), "/system/tokens", &[("name", "  "), ("form", &form_key(&listed.body))], None)
        .await;
    assert_eq!(bad_name.status, StatusCode::OK, "the page again, with what to change");
    assert!(bad_name.body.contains("不能用作名称"), "{}", bad_name.body);
    let stale = c.post(Some(&session), "/system/tokens", &[("name", "旧页面")], None).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    assert!(stale.body.contains("表单已失效"), "{}", stale.body);
    assert_eq!(count(&c, "SELECT COUNT(*) FROM api_tokens").await, 1);
}

#[tokio::test]
async fn a_token_stops_working_when_the_admin_who_created_it_is_demoted() {
    let c = console().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let (_, token) = create_token(&c, &session, "大屏").await;
    let admin_id = member_id(&c, &admin()).await;
    assert_eq!(with_token(&c, reqwest::Method::GET, "/api/v1/tally", &token).await.status, StatusCode::OK);

    members::change(&c.app.core, &Actor::Cli, admin_id, Change::Demote(Some(Role::Organiser))).await.unwrap();
    let demoted = with_token(&c, reqwest::Method::GET, "/api/v1/tally", &token).await;

    assert_eq!(demoted.status, StatusCode::UNAUTHORIZED, "{}", demoted.body);
    assert!(demoted.body.contains("不再是管理员"), "{}", demoted.body);
}

#[tokio::test]
async fn backing_up_now_makes_a_file_the_page_then_lists_and_a_resent_form_takes_no_second() {
    let c = console().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let backups = backup_dir(&c.app);
    let before = c.get(Some(&session), "/system").await;
    assert!(before.body.contains("还没有备份"), "{}", before.body);
    assert!(before.body.contains("name=\"seen\" value=\"\""), "{}", before.body);

    let pressed = c.post(Some(&session), "/system/backup", &[("seen", "")], None).await;
    let resent = c.post(Some(&session), "/system/backup", &[("seen", "")], None).await;
    let after = c.get(Some(&session), "/system?done=backup").await;

    assert_eq!(pressed.status, StatusCode::SEE_OTHER, "{}", pressed.body);
    assert_eq!(pressed.headers["location"], "/system?done=backup#backups");
    assert_eq!(resent.headers["location"], "/system?done=newer#backups", "the same form does nothing twice");
    let files: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("sansong-") && files[0].ends_with(".db"), "{files:?}");
    let checkins = sansong::backup::verify(&backups.join(&files[0])).await.unwrap();
    assert_eq!(checkins, count(&c, "SELECT COUNT(*) FROM checkins").await, "a sound copy");
    assert!(after.body.contains(&files[0]) && after.body.contains("备份已完成"), "{}", after.body);
    assert!(after.body.contains(&format!("name=\"seen\" value=\"{}\"", files[0])));
    let logged: Vec<String> = sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = 'backup'")
        .fetch_all(c.app.core.store.pool())
        .await
        .unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].starts_with("网页 ") && logged[0].ends_with("韩管理"), "{logged:?}");
}

#[tokio::test]
async fn the_system_page_warns_when_next_years_holiday_file_is_missing() {
    let holidays = tempfile::tempdir().unwrap();
    std::fs::copy(repo_path("config/holidays/2026.toml"), holidays.path().join("2026.toml")).unwrap();
    let c = console_with(&[
        ("SANSONG_HOLIDAYS_DIR", holidays.path().display().to_string()),
        ("SANSONG_NOW", "2026-11-20T10:00:00+08:00".to_owned()),
    ])
    .await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;

    let missing = c.get(Some(&session), "/system").await;

    assert_eq!(missing.status, StatusCode::OK, "{}", missing.body);
    assert!(missing.body.contains("已载入 2026 年"), "{}", missing.body);
    assert!(missing.body.contains("2027 年的节假日安排尚未载入"), "{}", missing.body);
    assert!(missing.body.contains(&holidays.path().join("2027.toml").display().to_string()));
    assert!(missing.body.contains("节假日 年度安排"), "the check's line too: {}", missing.body);
    assert!(missing.body.contains("✓") && missing.body.contains("数据库 database_url"), "{}", missing.body);
    assert!(missing.body.contains("Telegram") && missing.body.contains("正常"), "{}", missing.body);

    std::fs::write(
        holidays.path().join("2027.toml"),
        "year = 2027\nholidays = [\"2027-01-01\"]\nworkdays = []\n",
    )
    .unwrap();
    let loaded = c.get(Some(&session), "/system").await;

    assert!(loaded.body.contains("2026 年、2027 年"), "{}", loaded.body);
    assert!(!loaded.body.contains("尚未载入"), "{}", loaded.body);
}
