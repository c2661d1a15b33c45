//! The `sansong` command line, run as a real process on a real database.

use sansong::domain::Role;

use crate::support::{TestApp, TgUser, cli, cli_env, repo_path};

fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/folder/sansong.db").display());
    (dir, url)
}

async fn count(url: &str, sql: &str) -> i64 {
    let store = sansong::store::Store::open(url).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(store.pool()).await.unwrap();
    store.close().await;
    n
}

#[tokio::test]
async fn org_load_creates_the_database_and_loading_the_same_file_twice_changes_nothing() {
    let (_dir, url) = temp_db();
    let file = repo_path("config/org.example.toml");
    let file = file.to_str().unwrap();

    let (code, out, err) = cli(&url, &["org", "load", file]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("新增单位 4 个，新增站点 7 个"), "{out}");
    let (code, out, _) = cli(&url, &["org", "load", file]).await;
    assert_eq!(code, 0);
    assert!(out.contains("未做任何改动"), "{out}");

    assert_eq!(count(&url, "SELECT COUNT(*) FROM units").await, 4);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM sites").await, 7);
    let (code, shown, _) = cli(&url, &["org", "show"]).await;
    assert_eq!(code, 0);
    assert!(shown.contains("五里牌街道新球社区") && shown.contains("联社区"), "{shown}");
}

#[tokio::test]
async fn a_bad_org_file_is_refused_with_line_numbers_and_nothing_is_written() {
    let (dir, url) = temp_db();
    cli(&url, &["org", "load", repo_path("config/org.example.toml").to_str().unwrap()]).await;
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[units]]\nname = \"财政局\"\n\n[[sites]]\nunit = \"财政局\"\nname = \"某某村\"\nlink = \"school\"\n\n[[sites]]\nname = \"无主社区\"\nlink = \"community\"\n",
    )
    .unwrap();

    let (code, out, err) = cli(&url, &["org", "load", bad.to_str().unwrap()]).await;

    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("第 7 行") && err.contains("「school」无法识别"), "{err}");
    assert!(err.contains("第 9 行") && err.contains("没有写所属单位"), "{err}");
    assert!(err.contains("未写入任何内容"), "{err}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM units WHERE name = '财政局'").await, 0);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM sites").await, 7);
}

#[tokio::test]
async fn invite_prints_an_unguessable_code_and_the_deep_link_with_the_documented_defaults() {
    // The running bot records its username, which the CLI then uses in links.
    let mut app = TestApp::spawn().await;
    app.stop().await;

    let (code, out, err) = cli(&app.db_url, &["invite", "--unit", "人社局"]).await;
    assert_eq!(code, 0, "{err}");
    let link = out.lines().find(|l| l.starts_with("https://")).expect("a link line").to_owned();
    let invite_code =
        link.strip_prefix("https://t.me/sansong_test_bot?start=").expect("the deep link").to_owned();
    assert!(
        invite_code.len() >= 20 && invite_code.chars().all(|c| c.is_ascii_alphanumeric()),
        "{invite_code}"
    );
    let (role, uses, days): (String, i64, i64) = sqlx::query_as(
        "SELECT role, max_uses, (expires_at - created_at + 3600) / 86400 FROM invites WHERE code = ?",
    )
    .bind(&invite_code)
    .fetch_one(app.core.store.pool())
    .await
    .unwrap();
    assert_eq!((role.as_str(), uses, days), ("member", 50, 14));

    let (code, out, _) = cli(
        &app.db_url,
        &["invite", "--unit", "科工局", "--role", "organiser", "--uses", "3", "--expires", "7d"],
    )
    .await;
    assert_eq!(code, 0);
    assert!(out.contains("组织员") && out.contains("可用：3 次"), "{out}");

    // The printed code really registers someone.
    app.start().await;
    let welcome = app.say(&TgUser::new(30_001, "新人"), &format!("/start {invite_code}")).await;
    assert!(welcome.text.contains("欢迎您，新人"), "{}", welcome.text);
}

#[tokio::test]
async fn invite_for_an_unknown_unit_or_a_bad_expiry_is_refused_politely() {
    let (_dir, url) = temp_db();
    cli(&url, &["org", "load", repo_path("config/org.example.toml").to_str().unwrap()]).await;
    let (code, _, err) = cli(&url, &["invite", "--unit", "财政局"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("没有找到单位「财政局」"), "{err}");
    let (code, _, err) = cli(&url, &["invite", "--unit", "人社局", "--expires", "forever"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("--expires"), "{err}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM invites").await, 0);
}

#[tokio::test]
async fn members_lists_members_as_a_table_or_as_json_rows_with_the_documented_fields() {
    let app = TestApp::spawn().await;
    app.register(&TgUser::new(30_010, "张三"), "人社局", Role::Member).await;
    app.register(&TgUser::new(30_011, "李四"), "科工局", Role::Organiser).await;

    let (code, out, err) = cli(&app.db_url, &["members", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 2);
    let zhang = rows.iter().find(|r| r["name"] == "张三").unwrap();
    assert_eq!(zhang["telegram_id"], 30_010);
    assert_eq!(zhang["unit"], "人社局");
    assert_eq!(zhang["role"], "member");
    assert_eq!(zhang["status"], "active");

    let (_, out, _) = cli(&app.db_url, &["members", "--unit", "科工局", "--format", "json"]).await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["role"], "organiser");

    let (code, table, _) = cli(&app.db_url, &["members"]).await;
    assert_eq!(code, 0);
    assert!(table.contains("张三") && table.contains("共 2 人"), "{table}");
}

#[tokio::test]
async fn settings_come_from_the_environment_and_bad_ones_stop_the_program_with_the_reason() {
    let (_dir, url) = temp_db();
    let (code, _, err) = cli_env(&url, &["members"], &[("SANSONG_TIMEZONE", "Mars/Olympus")]).await;
    assert_eq!(code, 2);
    assert!(err.contains("配置有误") && err.contains("Mars/Olympus"), "{err}");

    let (code, _, err) =
        cli_env(&url, &["members"], &[("SANSONG_CONFIG", "/nonexistent/sansong.toml")]).await;
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/sansong.toml"), "{err}");

    // No platform and no console: nothing to run (with the console on, it serves that alone).
    let (code, _, err) = cli_env(&url, &["run"], &[("SANSONG_WEB_ADDR", "off")]).await;
    assert_eq!(code, 2, "no platform, no console, nothing to run");
    assert!(err.contains("TELOXIDE_TOKEN") && err.contains("web_addr"), "{err}");
}

#[tokio::test]
async fn the_command_line_works_on_the_database_while_the_bot_runs() {
    let app = TestApp::spawn().await;
    let user = TgUser::new(30_020, "王五");
    app.register(&user, "人社局", Role::Member).await;

    let (code, out, err) = cli(&app.db_url, &["invite", "--unit", "人社局", "--uses", "2"]).await;
    assert_eq!(code, 0, "{err}");
    let invite_code = out.split("?start=").nth(1).unwrap().lines().next().unwrap().trim().to_owned();
    let receipt = app.say(&user, "/checkin 送政策 机器人运行时也能用命令行").await;
    let (code, out, _) = cli(&app.db_url, &["members", "--format", "json"]).await;
    let welcome = app.say(&TgUser::new(30_021, "赵六"), &format!("/start {invite_code}")).await;

    assert!(receipt.text.contains("✅ 已登记"), "{}", receipt.text);
    assert_eq!(code, 0);
    assert!(out.contains("王五") && out.contains("last_checkin_at"), "{out}");
    assert!(welcome.text.contains("欢迎您，赵六"), "{}", welcome.text);
}
