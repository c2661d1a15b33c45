//! DingTalk as its people know it, against the fake DingTalk: joining by department without an
//! invite (mapped, unmapped, in two units' departments, the permission missing, a lookup that
//! fails and then succeeds), ActionCard buttons for a few options and a numbered list for
//! more, pasted invites, the console link opening in DingTalk's sidebar, and the workbench
//! login with a good, a replayed and a forged auth code.

use std::time::Duration;

use reqwest::StatusCode;
use sansong::domain::Role;
use sansong::members::Actor;

use crate::dingtalk::tap;
use crate::support::console::{Console, login_path, session_of};
use crate::support::dingtalk_app::DingTalkApp;
use crate::support::eventually;
use crate::support::fake_dingtalk::{CLIENT_ID, DtUser, FakeDingTalk, Sent};

/// 人社局's department in the fake address book, and an office under it.
const RENSHE: i64 = 12345;
const RENSHE_OFFICE: i64 = 12350;
/// 科工局's department.
const KEGONG: i64 = 67890;

/// The fake address book: 人社局 (with an office under it) and 科工局 under the root, and a
/// department no unit has.
fn address_book(fake: &FakeDingTalk) {
    fake.add_department(RENSHE, "人力资源和社会保障局", 1);
    fake.add_department(RENSHE_OFFICE, "就业服务中心", RENSHE);
    fake.add_department(KEGONG, "科技和工业信息化局", 1);
    fake.add_department(55555, "档案馆", 1);
}

/// Gives a unit its DingTalk departments, as the 组织 page does.
async fn map(app: &DingTalkApp, unit: &str, departments: &[i64]) {
    let id = app.scalar(&format!("SELECT id FROM units WHERE name = '{unit}'")).await;
    sansong::org::edit::set_departments(&app.core, &Actor::Cli, id, departments).await.unwrap();
}

/// The next `n` messages to `user` from position `after` on.
async fn next_n(fake: &FakeDingTalk, user: &DtUser, after: usize, n: usize) -> Vec<Sent> {
    fake.wait_for(&format!("{n} messages to {}", user.staff_id), |f| {
        let mine: Vec<Sent> =
            f.sent().into_iter().filter(|s| s.seq >= after && s.to == user.staff_id).collect();
        (mine.len() >= n).then_some(mine)
    })
    .await
}

async fn is_member(app: &DingTalkApp, user: &DtUser) -> bool {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM accounts a JOIN handles h ON h.id = a.person_id
         WHERE h.platform = 'dingtalk' AND h.external_id = '{}'",
        user.staff_id
    ))
    .await
        == 1
}

#[tokio::test]
async fn an_official_in_a_mapped_department_joins_with_their_first_checkin_which_is_recorded() {
    let app = DingTalkApp::spawn().await;
    address_book(&app.fake);
    map(&app, "人社局", &[RENSHE]).await;
    // In an office under the mapped department: the office's people belong to 人社局 too.
    let zhang = DtUser::new("manager9001", "张三");
    app.fake.add_person(&zhang, &[RENSHE_OFFICE]);

    let mark = app.fake.mark();
    app.fake.say(&zhang, "送温暖 看望五保户王大爷");
    let sent = next_n(&app.fake, &zhang, mark, 2).await;

    assert!(
        sent[0].text.contains("已为您自动加入") && sent[0].text.contains("您已加入「人社局」，身份：党员"),
        "{sent:#?}"
    );
    assert!(
        sent[1].text.starts_with("✅ 已登记，编号 #1"),
        "the first message is handled, after the greeting: {sent:#?}"
    );
    assert_eq!(app.checkins_of(&zhang).await, [("warmth".to_owned(), "看望五保户王大爷".to_owned())]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'dingtalk_department' AND detail LIKE '%12345%人社局%' AND member_id IS NOT NULL").await,
        1,
        "the join is audited as 钉钉部门"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE role = 'member' AND invite_id IS NULL").await,
        1
    );
    // The next messages are a member's: no second greeting, no second lookup.
    let week = app.say(&zhang, "本周").await;
    assert!(week.text.contains("本周"), "{week:#?}");
    assert_eq!(app.fake.calls("/topapi/v2/department/listparentbyuser").len(), 1);
}

#[tokio::test]
async fn an_unmapped_official_and_one_in_two_units_departments_are_told_to_ask_for_an_invite() {
    let app = DingTalkApp::spawn().await;
    address_book(&app.fake);
    map(&app, "人社局", &[RENSHE]).await;
    map(&app, "科工局", &[KEGONG]).await;
    let wang = DtUser::new("manager9002", "王五");
    app.fake.add_person(&wang, &[55555]);
    let li = DtUser::new("manager9003", "李四");
    app.fake.add_person(&li, &[RENSHE, KEGONG]);

    let unmapped = app.say(&wang, "送温暖 看望五保户").await;
    let twice = app.say(&li, "送服务 帮独居老人买药").await;
    let joined = app.register(&li, "科工局", Role::Member).await;

    for reply in [&unmapped, &twice] {
        assert!(reply.text.contains("请向本单位的组织员或管理员索取邀请"), "{reply:#?}");
    }
    assert!(!is_member(&app, &wang).await);
    assert!(joined.text.contains("您已加入「科工局」"), "an invite still decides: {joined:#?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 0, "nothing recorded for a non-member");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'dingtalk_department'").await, 0);
}

#[tokio::test]
async fn without_the_address_book_permissions_nobody_joins_by_department_and_invites_still_work() {
    let app = DingTalkApp::spawn().await;
    address_book(&app.fake);
    map(&app, "人社局", &[RENSHE]).await;
    app.fake.set_permissions(false, false);
    let zhao = DtUser::new("manager9004", "赵六");
    app.fake.add_person(&zhao, &[RENSHE]);

    let refused = app.say(&zhao, "送政策 宣讲社保政策").await;
    let welcome = app.register(&zhao, "人社局", Role::Member).await;
    let receipt = app.say(&zhao, "送政策 宣讲社保政策").await;

    assert!(refused.text.contains("请向本单位的组织员或管理员索取邀请"), "{refused:#?}");
    assert!(welcome.text.contains("您已加入「人社局」"), "{welcome:#?}");
    assert!(receipt.text.starts_with("✅ 已登记"), "{receipt:#?}");
    // Both ways were tried: the departments, then the person's own (成员信息读权限).
    assert_eq!(app.fake.calls("/topapi/v2/department/listparentbyuser").len(), 1);
    assert_eq!(app.fake.calls("/topapi/v2/user/get").len(), 1);
}

#[tokio::test]
async fn sansong_check_says_which_address_book_permission_is_missing_and_which_department_is_out_of_scope() {
    let fake = FakeDingTalk::start().await;
    address_book(&fake);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sansong.db").display());
    let org = dir.path().join("org.toml");
    std::fs::write(
        &org,
        "[[units]]\nname = \"人社局\"\ndingtalk_departments = [12345, 99999]\n\n[[units]]\nname = \"科工局\"\ndingtalk_departments = [67890]\n",
    )
    .unwrap();
    let (code, out, err) = crate::support::cli(&db, &["org", "load", org.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}{err}");
    let env = [
        ("SANSONG_DINGTALK_CLIENT_ID", CLIENT_ID),
        ("SANSONG_DINGTALK_CLIENT_SECRET", crate::support::fake_dingtalk::CLIENT_SECRET),
        ("SANSONG_DINGTALK_API_URL", fake.url.as_str()),
        ("SANSONG_DINGTALK_OAPI_URL", fake.url.as_str()),
        ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
    ];

    fake.set_permissions(false, false);
    let (missing_code, missing, _) = crate::support::cli_env(&db, &["check"], &env).await;
    fake.set_permissions(true, true);
    fake.set_out_of_scope(&[KEGONG]);
    let (_, granted, _) = crate::support::cli_env(&db, &["check"], &env).await;

    assert_ne!(missing_code, 0, "{missing}");
    assert!(
        missing.contains("✗ 钉钉 通讯录部门信息读权限：未开通：按部门加入现在不起作用（邀请码照常可用"),
        "{missing}"
    );
    assert!(
        missing.contains("「权限管理」中申请「通讯录部门信息读权限」（qyapi_get_department_list）"),
        "{missing}"
    );
    assert!(
        missing.contains("✗ 钉钉 成员信息读权限：未开通") && missing.contains("qyapi_get_member"),
        "{missing}"
    );
    assert!(missing.contains("✓ 钉钉 access token"), "everything else still works: {missing}");
    assert!(
        granted.contains("✓ 钉钉 通讯录部门信息读权限：已开通（qyapi_get_department_list）"),
        "{granted}"
    );
    assert!(granted.contains("✓ 钉钉 成员信息读权限：已开通（qyapi_get_member）"), "{granted}");
    assert!(
        granted.contains(
            "✗ 钉钉 按部门加入的部门在通讯录授权范围内：不在应用的通讯录授权范围内：67890（科工局）"
        ),
        "{granted}"
    );
    assert!(granted.contains("钉钉通讯录中没有这些部门：99999（人社局）"), "{granted}");
}

#[tokio::test]
async fn sansong_org_dingtalk_lists_the_department_tree_with_ids_member_counts_and_the_units_without_any() {
    let fake = FakeDingTalk::start().await;
    address_book(&fake);
    fake.add_person(&DtUser::new("u1", "甲"), &[RENSHE]);
    fake.add_person(&DtUser::new("u2", "乙"), &[RENSHE, RENSHE_OFFICE]);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sansong.db").display());
    let org = crate::support::repo_path("config/org.example.toml");
    crate::support::cli(&db, &["org", "load", org.to_str().unwrap()]).await;
    let mapping = dir.path().join("map.toml");
    std::fs::write(&mapping, "[[units]]\nname = \"人社局\"\ndingtalk_departments = [12345]\n").unwrap();
    let (code, out, err) = crate::support::cli(&db, &["org", "load", mapping.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("人社局 的钉钉部门：无 改为 12345"), "{out}");
    let env = [
        ("SANSONG_DINGTALK_CLIENT_ID", CLIENT_ID),
        ("SANSONG_DINGTALK_CLIENT_SECRET", crate::support::fake_dingtalk::CLIENT_SECRET),
        ("SANSONG_DINGTALK_API_URL", fake.url.as_str()),
        ("SANSONG_DINGTALK_OAPI_URL", fake.url.as_str()),
    ];

    let (code, tree, err) = crate::support::cli_env(&db, &["org", "dingtalk"], &env).await;
    fake.set_permissions(false, true);
    let (refused_code, _, refused) = crate::support::cli_env(&db, &["org", "dingtalk"], &env).await;

    assert_eq!(code, 0, "{tree}{err}");
    println!("{tree}");
    assert!(tree.contains("测试市人民政府（1）0 人\n"), "{tree}");
    assert!(tree.contains("\n  人力资源和社会保障局（12345）2 人  ✓ 人社局\n"), "{tree}");
    assert!(tree.contains("\n    就业服务中心（12350）1 人\n"), "{tree}");
    assert!(tree.contains("\n  科技和工业信息化局（67890）0 人\n"), "{tree}");
    assert!(tree.contains("还没有对应钉钉部门的单位：应急管理局、贸促会、科工局"), "{tree}");
    assert_ne!(refused_code, 0);
    assert!(
        refused.contains("通讯录部门信息读权限") && refused.contains("qyapi_get_department_list"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_lookup_that_fails_keeps_the_message_in_the_inbox_across_a_restart_until_it_succeeds() {
    let mut app = DingTalkApp::spawn().await;
    address_book(&app.fake);
    map(&app, "人社局", &[RENSHE]).await;
    let sun = DtUser::new("manager9005", "孙七");
    app.fake.add_person(&sun, &[RENSHE]);
    app.fake.set_directory_busy(true);

    let mark = app.fake.mark();
    let frame = app.fake.say(&sun, "送服务 帮独居老人买药");
    app.fake.ack_of(&frame).await;
    app.fake
        .wait_for("two failed lookups", |f| {
            (f.calls("/topapi/v2/department/listparentbyuser").len() >= 2).then_some(())
        })
        .await;
    let waiting =
        app.scalar("SELECT COUNT(*) FROM inbox WHERE platform = 'dingtalk' AND handled_at IS NULL").await;
    let said_before = app.fake.sent().iter().filter(|s| s.to == sun.staff_id).count();
    // A restart while DingTalk is still busy: the message is still there afterwards.
    app.stop().await;
    app.start().await;
    let tried = app.fake.calls("/topapi/v2/department/listparentbyuser").len();
    app.fake
        .wait_for("a lookup after the restart", |f| {
            (f.calls("/topapi/v2/department/listparentbyuser").len() > tried).then_some(())
        })
        .await;
    app.fake.set_directory_busy(false);
    let sent = next_n(&app.fake, &sun, mark, 2).await;
    app.settle().await;

    assert_eq!(waiting, 1, "kept in the inbox while the lookup fails");
    assert_eq!(said_before, 0, "nothing said while it waits");
    assert!(sent[0].text.contains("已为您自动加入"), "{sent:#?}");
    assert!(sent[1].text.starts_with("✅ 已登记，编号 #1"), "{sent:#?}");
    assert_eq!(app.checkins_of(&sun).await.len(), 1, "recorded once");
}

#[tokio::test]
async fn a_few_options_are_buttons_more_are_a_numbered_list_and_both_answer_to_their_number() {
    let app = DingTalkApp::spawn().await;
    let zhou = DtUser::new("manager9006", "周八");
    app.register(&zhou, "贸促会", Role::Member).await;
    // Six chambers: with 取消, seven options to choose a site from.
    let unit = app.scalar("SELECT id FROM units WHERE name = '贸促会'").await;
    for name in ["湖北临湘商会", "上海临湘商会", "深圳临湘商会"] {
        sansong::org::edit::add_site(&app.core, &Actor::Cli, unit, name, sansong::domain::LinkKind::Chamber)
            .await
            .unwrap();
    }

    let kinds = app.say(&zhou, "登记").await;
    let sites = app.say(&zhou, &tap(&kinds.text, "1. 送政策")).await;
    let stale = app.say(&zhou, &tap(&kinds.text, "2. 送服务")).await;
    let picked = app.say(&zhou, "6").await;

    assert_eq!(kinds.key, "sampleActionCard4", "{kinds:#?}");
    assert_eq!(kinds.param["actionTitle1"], "1. 送政策");
    assert!(
        kinds.param["actionURL1"]
            .as_str()
            .unwrap()
            .starts_with("dtmd://dingtalkclient/sendMessage?content=1%C2%B7")
    );
    assert_eq!(sites.key, "sampleMarkdown", "seven options: a list: {sites:#?}");
    assert!(
        sites.text.contains("[7. 取消](dtmd://dingtalkclient/sendMessage?content=7%C2%B7"),
        "{}",
        sites.text
    );
    assert!(stale.text.contains("这个选项已过期"), "an older message's button presses nothing: {stale:#?}");
    assert!(
        picked.text.contains("上海临湘商会") || picked.text.contains("深圳临湘商会"),
        "typed 6 picks the sixth: {picked:#?}"
    );

    // Two short options sit side by side, and the number typed answers them too.
    let describe = app.say(&zhou, "帮企业对接银行贷款").await;
    let next = tap(&describe.text, "1. 下一步");
    let confirm = app.say(&zhou, &next).await;
    let done = app.say(&zhou, "1").await;
    assert_eq!(confirm.key, "sampleActionCard6", "{confirm:#?}");
    assert!(done.text.starts_with("✅ 已登记"), "{done:#?}");
}

#[tokio::test]
async fn an_invite_pasted_with_its_brackets_quotes_spaces_or_full_stop_still_joins() {
    let app = DingTalkApp::spawn().await;
    let code = app.invite("人社局", Role::Member).await;
    let forms = [
        format!("加入 {code}」"),
        format!("「加入 {code}」"),
        format!("加入\u{3000}{code}"),
        format!("“加入 {code}”"),
        format!("加入 {code}。"),
    ];

    for (i, form) in forms.iter().enumerate() {
        let user = DtUser::new(&format!("paste{i}"), &format!("党员{i}"));
        let welcome = app.say(&user, form).await;
        assert!(welcome.text.contains("您已加入「人社局」"), "{form:?}: {welcome:#?}");
    }
}

#[tokio::test]
async fn the_console_link_sent_on_dingtalk_opens_in_its_sidebar_and_logs_in() {
    let c = Console::start_with_dingtalk().await;
    let dt = c.dingtalk.as_ref().unwrap();
    let boss = DtUser::new("manager9101", "钱组织");
    c.register_dingtalk(&boss, "人社局", Role::Organiser).await;

    let mark = dt.mark();
    dt.say(&boss, "后台");
    let reply = dt.next_to(&boss, mark).await;
    let link = reply
        .text
        .split("](dingtalk://dingtalkclient/page/link?url=")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no sidebar link in {reply:#?}"))
        .to_owned();
    let (encoded, slide) = link.split_once('&').unwrap();
    let url = url::form_urlencoded::parse(format!("u={encoded}").as_bytes()).next().unwrap().1.into_owned();
    let path = login_path(&url).expect("the login link inside");
    let session = c.log_in(&path).await;

    assert_eq!(reply.key, "sampleMarkdown");
    assert_eq!(slide, "pc_slide=true");
    assert!(url.starts_with(&c.base), "{url}");
    let overview = c.get(Some(&session), "/").await;
    assert_eq!(overview.status, StatusCode::OK);
}

/// DingTalk's in-app browser, as its user agent says.
const DINGTALK_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) DingTalk(7.6.5) nw Channel/201200";

#[tokio::test]
async fn the_workbench_page_logs_in_an_organiser_with_a_good_code_and_nobody_with_a_replayed_forged_or_members_code()
 {
    let c = Console::start_with_dingtalk().await;
    let dt = c.dingtalk.as_ref().unwrap();
    let boss = DtUser::new("manager9201", "冯组织");
    let member = DtUser::new("manager9202", "陈党员");
    let stranger = DtUser::new("manager9203", "路人");
    c.register_dingtalk(&boss, "人社局", Role::Organiser).await;
    c.register_dingtalk(&member, "人社局", Role::Member).await;
    for user in [&boss, &member, &stranger] {
        dt.add_person(user, &[1]);
    }
    let get = |ua: Option<&'static str>, path: &'static str| {
        let mut request = c.http.get(c.url(path));
        if let Some(ua) = ua {
            request = request.header("user-agent", ua);
        }
        async move { request.send().await.unwrap() }
    };

    let inside = get(Some(DINGTALK_UA), "/dingtalk?corpid=dingfakecorp").await;
    let inside_csp = inside.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let inside_body = inside.text().await.unwrap();
    let outside = get(None, "/dingtalk?corpid=dingfakecorp").await;
    let outside_csp = outside.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let outside_body = outside.text().await.unwrap();
    let other = get(Some(DINGTALK_UA), "/assets/console.css").await;
    let other_csp = other.headers()["content-security-policy"].to_str().unwrap().to_owned();

    let good = dt.auth_code(&boss);
    let logged_in = c.post(None, "/dingtalk/login", &[("code", &good)], None).await;
    let replayed = c.post(None, "/dingtalk/login", &[("code", &good)], None).await;
    let forged = c.post(None, "/dingtalk/login", &[("code", "forgedcode0123456789")], None).await;
    let members_code = dt.auth_code(&member);
    let as_member = c.post(None, "/dingtalk/login", &[("code", &members_code)], None).await;
    let strangers_code = dt.auth_code(&stranger);
    let as_stranger = c.post(None, "/dingtalk/login", &[("code", &strangers_code)], None).await;

    assert!(
        inside_body.contains(
            r#"<script src="https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js"></script>"#
        ),
        "{inside_body}"
    );
    assert!(inside_body.contains(r#"<script src="/assets/dingtalk-login.js"></script>"#), "{inside_body}");
    assert!(
        inside_body.contains(&format!(r#"data-corp-id="dingfakecorp" data-client-id="{CLIENT_ID}""#)),
        "{inside_body}"
    );
    assert!(
        inside_csp.contains(
            "script-src 'self' https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js;"
        ),
        "{inside_csp}"
    );
    assert!(
        !outside_body.contains("<script") && !outside_body.contains("alicdn"),
        "no outside request outside DingTalk: {outside_body}"
    );
    assert!(outside_body.contains("请在钉钉中打开"), "{outside_body}");
    for csp in [&outside_csp, &other_csp] {
        assert!(!csp.contains("alicdn") && csp.contains("script-src 'self';"), "{csp}");
    }
    assert_eq!(logged_in.status, StatusCode::SEE_OTHER, "{}", logged_in.body);
    let session = session_of(&logged_in.headers).expect("a session");
    let overview = c.get(Some(&session), "/").await;
    assert!(overview.body.contains("冯组织"), "{}", overview.body);
    for refused in [&replayed, &forged] {
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert!(refused.body.contains("无效或已经用过"), "{}", refused.body);
        assert!(session_of(&refused.headers).is_none());
    }
    for polite in [&as_member, &as_stranger] {
        assert_eq!(polite.status, StatusCode::FORBIDDEN, "{}", polite.body);
        assert!(polite.body.contains("管理后台供组织员和管理员使用"), "{}", polite.body);
        assert!(session_of(&polite.headers).is_none());
    }
    assert_eq!(
        dt.calls("/topapi/v2/user/getuserinfo").len(),
        4,
        "the replay was refused before DingTalk was asked"
    );
    eventually("the login audited", Duration::from_secs(10), || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'web_login' AND detail LIKE '%钉钉工作台%'",
        )
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap();
        (n == 1).then_some(())
    })
    .await;
}

/// A department-mapped official's first day on DingTalk, printed (`cargo test --test e2e
/// first_day_of_a_department -- --nocapture`): each frame the fake pushed, each address-book
/// call the bot made, and each robot message it sent.
#[tokio::test]
async fn first_day_of_a_department_mapped_official_as_frames_in_and_sends_out() {
    let app = DingTalkApp::spawn().await;
    address_book(&app.fake);
    map(&app, "人社局", &[RENSHE]).await;
    let zhang = DtUser::new("manager4101", "张三");
    app.fake.add_person(&zhang, &[RENSHE_OFFICE]);
    let mut transcript = String::new();
    let mut calls_seen = 0;
    let lines = [
        "送温暖 看望五保户王大爷，服务3人",
        "登记",
        "PRESS 2. 送服务",
        "昨天 帮独居老人买药",
        "PRESS 1. 下一步",
        "PRESS 1. ✅ 确认登记",
        "本周",
    ];
    let mut last: Option<Sent> = None;
    for line in lines {
        let text = match line.strip_prefix("PRESS ") {
            Some(label) => tap(&last.as_ref().unwrap().text, label),
            None => line.to_owned(),
        };
        let mark = app.fake.mark();
        let frame = app.fake.say(&zhang, &text);
        let ack = app.fake.ack_of(&frame).await;
        let want = if calls_seen == 0 { 2 } else { 1 };
        let sent = next_n(&app.fake, &zhang, mark, want).await;
        transcript.push_str(&format!(
            "→ CALLBACK {frame} (topic /v1.0/im/bot/messages/get, text {text:?}) ← ack code {}\n",
            ack["code"]
        ));
        for call in app.fake.calls("/topapi/v2/department/listparentbyuser").iter().skip(calls_seen) {
            transcript
                .push_str(&format!("← bot calls topapi/v2/department/listparentbyuser {}\n", call.body));
            calls_seen += 1;
        }
        for s in &sent {
            transcript.push_str(&format!(
                "← batchSend {} to {}:\n      {}\n",
                s.key,
                s.to,
                s.text.replace('\n', "\n      ")
            ));
        }
        last = sent.last().cloned();
    }
    println!("{transcript}");

    assert_eq!(calls_seen, 1, "one lookup for the whole day");
    assert_eq!(app.checkins_of(&zhang).await.len(), 2, "{transcript}");
    assert!(
        transcript.contains("已为您自动加入") && transcript.contains("✅ 已登记，编号 #2"),
        "{transcript}"
    );
}

#[tokio::test]
async fn someone_already_a_member_elsewhere_who_joined_by_department_first_can_still_bind_their_dingtalk() {
    use sansong::domain::{Account, Person, Platform};
    use sansong::members::{self, InviteRequest, Registration};
    let app = DingTalkApp::spawn().await;
    address_book(&app.fake);
    map(&app, "人社局", &[RENSHE]).await;
    // 王书记 is an admin on Telegram (the console's first admin, say).
    let request = InviteRequest {
        unit: Some("人社局".into()),
        role: Some(Role::Admin),
        uses: Some(1),
        expires_in: None,
    };
    let code = members::create_invite(&app.core, &Actor::Cli, &request, None).await.unwrap().code;
    let person = Person {
        account: Account { platform: Platform::Telegram, person_id: 4242 },
        name: "王书记".into(),
        username: None,
    };
    let Registration::New(admin) = members::register(&app.core, &person, &code).await.unwrap() else {
        panic!()
    };
    // They write to the DingTalk robot before binding: their department makes them a member.
    let wang = DtUser::new("manager9100", "王书记");
    app.fake.add_person(&wang, &[RENSHE]);
    let mark = app.fake.mark();
    app.fake.say(&wang, "你好");
    next_n(&app.fake, &wang, mark, 1).await;
    assert!(is_member(&app, &wang).await);

    let link = members::link_code(&app.core, &admin).await.unwrap();
    let bound = app.say(&wang, &format!("绑定 {link}")).await;

    assert!(bound.text.contains("已绑定：王书记"), "{bound:#?}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM accounts a JOIN handles h ON h.id = a.person_id
             WHERE h.external_id = 'manager9100' AND a.member_id = {}",
            admin.id
        ))
        .await,
        1,
        "the DingTalk account is the admin's now"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE invite_id IS NULL AND status = 'inactive'").await,
        1,
        "the member the department made is closed"
    );
}
