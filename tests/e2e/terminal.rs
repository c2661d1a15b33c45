//! The terminal platform, `sansong chat --as <name>`, as a newcomer uses it: the real binary,
//! a real SQLite file, no account and no network.

use crate::support::cli;
use crate::support::repo_path;
use crate::support::terminal::Terminal;

/// A fresh database with the example organisation and an admin invite; its URL and the code.
async fn org_and_invite(dir: &std::path::Path) -> (String, String) {
    let db = format!("sqlite://{}?mode=rwc", dir.join("sansong.db").display());
    let (code, _, err) =
        cli(&db, &["org", "load", repo_path("config/org.example.toml").to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&db, &["invite", "--unit", "人社局", "--role", "admin"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("终端：sansong chat --as <姓名>，然后发送「加入 "), "{out}");
    let invite = out.lines().find_map(|l| l.strip_prefix("邀请码：")).expect("a code").trim().to_owned();
    (db, invite)
}

#[tokio::test]
async fn a_newcomer_joins_checks_in_publishes_a_notice_and_exports_all_in_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (db, invite) = org_and_invite(dir.path()).await;
    let files = dir.path().join("files");
    let mut t = Terminal::open(&db, "张三", &files);
    t.expect("输入「退出」结束").await;

    t.ask(&format!("加入 {invite}"), "欢迎您，张三！").await;
    t.ask("送温暖 看望五保户王大爷", "✅ 已登记，编号 #1").await;
    let kinds = t.ask("登记", "[4] 取消").await;
    assert!(kinds.contains("[1] 送政策  [2] 送服务  [3] 送温暖"), "{kinds}");
    t.ask("2", "类型：送服务").await;
    t.ask("帮独居老人买药", "[1] 下一步").await;
    t.ask("下一步", "[1] ✅ 确认登记").await;
    t.ask("1", "✅ 已登记，编号 #2").await;
    let week = t.ask("本周", "帮独居老人买药").await;
    assert!(week.contains("共 2 次") && week.contains("看望五保户王大爷"), "{week}");

    t.ask("通知", "请发送通知内容").await;
    t.ask("请各支部本周内完成走访", "[1] 全体成员").await;
    t.ask("1", "[1] 立即发送").await;
    t.ask("立即发送", "[4] 预览").await;
    t.ask("需确认", "☑ 需确认").await;
    t.ask("预览", "确认发布").await;
    t.say("确认发布").await;
    t.expect("已发布通知 #1").await;
    t.expect("📢 通知\n请各支部本周内完成走访\n（请回复「收到」确认）").await;
    t.ask("收到", "已确认收到通知「请各支部本周内完成走访」").await;
    let saved = t.ask("导出", "条登记记录").await;
    assert!(saved.contains("[文件已保存："), "{saved}");
    assert_eq!(t.close().await, 0);

    let exported: Vec<_> = std::fs::read_dir(&files).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(exported.len(), 1, "{exported:?}");
    assert!(exported[0].to_string_lossy().ends_with(".xlsx"));
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let scalar = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(scalar("SELECT COUNT(*) FROM accounts WHERE platform = 'terminal'").await, 1);
    assert_eq!(scalar("SELECT COUNT(*) FROM checkins WHERE deleted_at IS NULL").await, 2);
    assert_eq!(
        scalar("SELECT COUNT(*) FROM deliveries WHERE platform = 'terminal' AND status = 'sent' AND acked_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        scalar("SELECT COUNT(*) FROM inbox WHERE platform = 'terminal' AND outcome = 'ok'").await,
        17,
        "every line typed went through the inbox"
    );
}

#[tokio::test]
async fn the_terminal_keeps_who_it_is_between_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (db, invite) = org_and_invite(dir.path()).await;
    let files = dir.path().join("files");

    let mut first = Terminal::open(&db, "李四", &files);
    first.ask(&format!("加入 {invite}"), "欢迎您，李四！").await;
    first.ask("送政策 为社区居民宣讲社保政策", "编号 #1").await;
    assert_eq!(first.close().await, 0);
    let mut second = Terminal::open(&db, "李四", &files);
    let week = second.ask("本周", "为社区居民宣讲社保政策").await;
    // A new session's lines are new messages, never taken for the old session's (a repeat
    // would show #1 again as already recorded).
    second.ask("送服务 帮助办理社保卡", "✅ 已登记，编号 #2").await;
    assert_eq!(second.close().await, 0);

    assert!(week.contains("共 1 次"), "{week}");
}

#[tokio::test]
async fn lines_left_unhandled_by_a_killed_session_are_set_aside_when_the_person_returns() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = org_and_invite(dir.path()).await;
    let store = sansong::store::Store::open(&db).await.unwrap();
    let core = sansong::Core::new(
        store,
        sansong::config::Config { database_url: db.clone(), ..sansong::config::Config::default() },
        std::sync::Arc::new(sansong::clock::SystemClock),
        sansong::platform_limits(),
    );
    let person = core.store.handle(sansong::domain::Platform::Terminal, "周八").await.unwrap();
    let stale = format!("{person}:killed-mid-line");
    core.store.inbox_put_one(sansong::domain::Platform::Terminal, &stale, "本周", core.now()).await.unwrap();

    let files = dir.path().join("files");
    let mut t = Terminal::open(&db, "周八", &files);
    t.ask("帮助", "您还没有加入").await;
    assert_eq!(t.close().await, 0);

    let outcome: String = sqlx::query_scalar("SELECT outcome FROM inbox WHERE update_key = ?")
        .bind(&stale)
        .fetch_one(core.store.pool())
        .await
        .unwrap();
    assert_eq!(outcome, "abandoned");
    assert_eq!(core.store.inbox_backlog().await.unwrap(), 0, "no row left pending for ever");
}
