//! Operating the bot: backups taken while it writes, restores refused while it runs.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::support::{Binary, TestApp, TgUser, cli, cli_env, eventually, eventually_every};

async fn open_readonly(path: &std::path::Path) -> sqlx::SqliteConnection {
    SqliteConnectOptions::new().filename(path).read_only(true).connect().await.unwrap()
}

#[tokio::test]
async fn a_backup_taken_while_1000_checkins_are_written_holds_every_one_acknowledged_before_it() {
    let app = TestApp::spawn().await;
    let users = app.register_many(50, 70_000, "人社局").await;
    let file = app.dir.path().join("backup.db");
    // 1,000 check-ins arrive over about two seconds; the backup starts a third of the way in.
    let mut before = Vec::new();
    let mut backup = None;
    for i in 0..1000 {
        app.fake.text(&users[i % users.len()], &format!("/checkin 送服务 第{i}次服务"));
        if i == 300 {
            // Often: the backup must start while the rest of the check-ins are still coming in.
            let (within, every) = (Duration::from_secs(30), Duration::from_millis(5));
            eventually_every("200 check-ins to be written", within, every, || async {
                (app.scalar("SELECT COUNT(*) FROM checkins").await >= 200).then_some(())
            })
            .await;
            // Everything committed by now has been (or is being) acknowledged to its member.
            before = sqlx::query_scalar("SELECT id FROM checkins ORDER BY id")
                .fetch_all(app.core.store.pool())
                .await
                .unwrap();
            let (db, target) = (app.db_url.clone(), file.to_str().unwrap().to_owned());
            backup = Some(tokio::spawn(async move { cli(&db, &["backup", &target]).await }));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (code, out, err) = backup.unwrap().await.unwrap();
    app.settle().await;
    let written_during = app.scalar("SELECT COUNT(*) FROM checkins").await;
    assert_eq!(written_during, 1000);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("完整性检查"), "{out}");
    let mut copy = open_readonly(&file).await;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut copy).await.unwrap();
    assert_eq!(integrity, "ok");
    let in_copy: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM checkins ORDER BY id").fetch_all(&mut copy).await.unwrap();
    for id in &before {
        assert!(in_copy.binary_search(id).is_ok(), "check-in {id} acknowledged before the backup is in it");
    }
    assert!(in_copy.len() < 1000, "taken mid-way ({} check-ins)", in_copy.len());
    copy.close().await.unwrap();
    assert!(!app.dir.path().join("backup.db.partial").exists(), "no partial file left");
    let (code, _, err) = app.cli(&["backup", file.to_str().unwrap()]).await;
    assert_eq!(code, 1, "an existing file is not overwritten");
    assert!(err.contains("exists"), "{err}");
}

#[tokio::test]
async fn restore_is_refused_while_a_bot_runs_and_then_brings_the_backup_back() {
    let mut app = TestApp::spawn().await;
    let user = TgUser::new(71_000, "张三");
    app.register(&user, "人社局", sansong::domain::Role::Member).await;
    app.say(&user, "/checkin 送政策 备份之前的登记").await;
    let file = app.dir.path().join("before.db");
    assert_eq!(app.cli(&["backup", file.to_str().unwrap()]).await.0, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'backup' AND actor = 'cli'").await,
        1
    );
    app.say(&user, "/checkin 送服务 备份之后的登记").await;
    app.stop().await;

    let mut bot = Binary::spawn_run(&app.fake.url, &app.db_url);
    let lock = std::path::PathBuf::from(format!("{}.lock", app.db_url.trim_start_matches("sqlite://")));
    eventually("the bot to take its lock", Duration::from_secs(20), || {
        std::future::ready(lock.exists().then_some(()))
    })
    .await;
    let (code, _, err) = app.cli(&["restore", file.to_str().unwrap()]).await;
    assert_eq!(code, 1);
    assert!(err.contains("机器人正在使用这个数据库"), "{err}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM checkins").await, 2, "nothing was touched");
    bot.sigterm();
    assert_eq!(bot.wait_exit().await, Some(0));

    let (code, out, err) = app.cli(&["restore", file.to_str().unwrap()]).await;

    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 条登记"), "{out}");
    let db = std::path::PathBuf::from(app.db_url.trim_start_matches("sqlite://"));
    let mut restored = open_readonly(&db).await;
    let descriptions: Vec<String> =
        sqlx::query_scalar("SELECT description FROM checkins").fetch_all(&mut restored).await.unwrap();
    assert_eq!(descriptions, ["备份之前的登记"]);
    let restore_logged: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'restore'")
        .fetch_one(&mut restored)
        .await
        .unwrap();
    assert!(restore_logged.contains("before.db"), "the restored database says where it came from");
    restored.close().await.unwrap();
    let kept = std::fs::read_dir(app.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains(".before-restore-"));
    assert!(kept, "the replaced database is kept");
}

#[tokio::test]
async fn the_bot_backs_up_at_its_cron_and_keeps_only_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let app = {
        let backups = backups.clone();
        TestApp::spawn_with(move |c| {
            c.backup_dir = backups;
            c.backup_keep = 2;
        })
        .await
    };
    let count = || std::fs::read_dir(&backups).map(|d| d.count()).unwrap_or(0);
    eventually("the backup to be scheduled", Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM periodic_jobs WHERE job = 'backup'").await > 0).then_some(())
    })
    .await;

    for (day, n) in [(26, 1), (27, 2), (28, 3)] {
        app.set_now(crate::support::beijing(2026, 11, day, 3, 0));
        wait_for_backups(&app, n).await;
    }

    assert_eq!(count(), 2, "the oldest of three is removed");
    let mut names: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["sansong-20261127-030000.db", "sansong-20261128-030000.db"]);
    let outcome: String =
        sqlx::query_scalar("SELECT outcome FROM periodic_runs WHERE job = 'backup' ORDER BY due_at DESC")
            .fetch_one(app.core.store.pool())
            .await
            .unwrap();
    assert!(outcome.contains("sansong-20261128-030000.db"), "{outcome}");
}

async fn wait_for_backups(app: &TestApp, n: i64) {
    eventually(&format!("backup {n} to be taken"), Duration::from_secs(20), || async {
        (app.scalar("SELECT COUNT(*) FROM periodic_runs WHERE job = 'backup'").await >= n).then_some(())
    })
    .await;
}

// Multi-threaded: the fake Bot API must answer while the test waits for the command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_every_item_ok_and_never_prints_the_token() {
    let app = TestApp::spawn().await;
    let backups = app.dir.path().join("backups");
    let env = [
        ("TELOXIDE_TOKEN", crate::support::fake_api::TOKEN),
        ("TELOXIDE_API_URL", app.fake.url.as_str()),
        ("SANSONG_BACKUP_DIR", backups.to_str().unwrap()),
        // Before 1 November, when next year's holidays are not due yet (the shipped calendar
        // has 2026 only).
        ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
    ];

    let (code, out, err) = cli_env(&app.db_url, &["check"], &env).await;

    assert_eq!(code, 0, "{out}{err}");
    for line in [
        "✓ 时区 timezone：Asia/Shanghai",
        "✓ 周报时间 report_cron",
        "✓ 数据库 database_url",
        "个迁移均已应用",
        "✓ Bot API (getMe)：@",
        "全部检查通过",
    ] {
        assert!(out.contains(line), "{line} in:\n{out}");
    }
    assert!(!out.contains(crate::support::fake_api::TOKEN) && !err.contains(crate::support::fake_api::TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_each_kind_of_bad_config_and_run_refuses_with_the_same_words() {
    let app = TestApp::spawn().await;
    let bad = [
        ("SANSONG_TIMEZONE", "Mars/Olympus"),
        ("SANSONG_REPORT_CRON", "0 9 * *"),
        ("SANSONG_QUIET_HOURS", "22:00-25:00"),
        ("SANSONG_BROADCAST_RATE", "-1"),
        ("SANSONG_HOLIDAYS_DIR", "/nonexistent/holidays"),
    ];

    let (code, out, _) = cli_env(&app.db_url, &["check"], &bad).await;

    assert_eq!(code, 1, "{out}");
    for line in [
        "✗ 时区 timezone：\"Mars/Olympus\" 不是 IANA 时区名",
        "✗ 周报时间 report_cron：",
        "✗ 免打扰时段 quiet_hours：",
        "✗ 发送速率 broadcast_rate：",
        "✗ 节假日 holidays_dir：/nonexistent/holidays 不存在",
        "✗ 平台：没有配置任何平台",
    ] {
        assert!(out.contains(line), "{line} in:\n{out}");
    }
    let (code, _, err) =
        cli_env(&app.db_url, &["run"], &[("SANSONG_TIMEZONE", "Mars/Olympus"), ("TELOXIDE_TOKEN", "1:x")])
            .await;
    assert_eq!(code, 2);
    assert!(err.contains("✗ 时区 timezone：\"Mars/Olympus\" 不是 IANA 时区名"), "{err}");

    let wrong_token = [("TELOXIDE_TOKEN", "123:wrong"), ("TELOXIDE_API_URL", app.fake.url.as_str())];
    let (code, out, _) = cli_env(&app.db_url, &["check"], &wrong_token).await;
    assert_eq!(code, 1);
    assert!(out.contains("✗ Bot API (getMe)：令牌无效"), "{out}");
    assert!(!out.contains("123:wrong"), "the token is not printed");
    let unreachable = [("TELOXIDE_TOKEN", "123:x"), ("TELOXIDE_API_URL", "http://127.0.0.1:9")];
    let (_, out, _) = cli_env(&app.db_url, &["check"], &unreachable).await;
    assert!(out.contains("✗ Bot API (getMe)：无法连接"), "{out}");
}

pub(crate) fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

pub(crate) async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Waits (with a deadline) until GET `path` answers `status`; returns the body.
pub(crate) async fn until_status(addr: std::net::SocketAddr, path: &str, status: u16) -> String {
    let (within, every) = (Duration::from_secs(40), Duration::from_millis(50));
    eventually_every(&format!("{path} to answer {status}"), within, every, || async {
        match reqwest::get(format!("http://{addr}{path}")).await {
            Ok(response) if response.status().as_u16() == status => Some(response.text().await.unwrap()),
            _ => None,
        }
    })
    .await
}

#[tokio::test]
async fn healthz_turns_503_when_the_bot_api_stops_answering_and_200_when_it_is_back() {
    let addr = free_port();
    let app = TestApp::spawn_with(move |c| {
        c.metrics_addr = Some(addr);
        c.health_window = Duration::from_secs(1);
    })
    .await;
    let body = until_status(addr, "/healthz", 200).await;
    assert!(body.contains("\"status\":\"ok\""), "{body}");

    app.fake.fail("getUpdates", None, 1_000_000, crate::support::FaultKind::ServerError);
    let body = until_status(addr, "/healthz", 503).await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "unhealthy");
    assert!(json["reason"].as_str().unwrap().contains("Bot API"), "{body}");
    assert!(!body.contains(crate::support::fake_api::TOKEN));

    app.fake.clear_faults();
    until_status(addr, "/healthz", 200).await;
}

#[tokio::test]
async fn in_webhook_mode_a_quiet_bot_stays_healthy_and_turns_503_when_the_bot_api_stops_answering() {
    let (addr, listen) = (free_port(), free_port());
    let url = url::Url::parse(&format!("http://{listen}/tg")).unwrap();
    let app = TestApp::spawn_with(move |c| {
        c.metrics_addr = Some(addr);
        c.health_window = Duration::from_secs(3);
        c.webhook_url = Some(url);
        c.webhook_listen = listen;
    })
    .await;
    // No update arrives at all: after more than a whole health window of silence (four
    // heartbeats, one a second), the bot must still count as healthy.
    app.fake.wait_for("four heartbeats", |v| (v.calls("getWebhookInfo").len() >= 4).then_some(())).await;
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(app.fake.calls("getUpdates").is_empty(), "no polling in webhook mode");

    app.fake.fail("getWebhookInfo", None, 1_000_000, crate::support::FaultKind::ServerError);
    let body = until_status(addr, "/healthz", 503).await;
    assert!(body.contains("Bot API"), "{body}");
    app.fake.clear_faults();
    until_status(addr, "/healthz", 200).await;
}

/// `name{labels} value` lines and `# HELP`/`# TYPE` comments, as Prometheus reads them.
fn parse_prometheus(text: &str) -> std::collections::HashMap<String, f64> {
    let mut samples = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(comment.starts_with("HELP ") || comment.starts_with("TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name {name:?}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "labels closed: {line}");
        }
        samples.insert(series.to_owned(), value.parse::<f64>().unwrap_or_else(|_| panic!("value: {line}")));
    }
    samples
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_their_counters_move() {
    let addr = free_port();
    let app = TestApp::spawn_with(move |c| c.metrics_addr = Some(addr)).await;
    let user = TgUser::new(72_000, "张三");
    app.register(&user, "人社局", sansong::domain::Role::Member).await;
    until_status(addr, "/metrics", 200).await;
    let (_, before) = get(addr, "/metrics").await;
    let before = parse_prometheus(&before);

    app.say(&user, "/checkin 送政策 宣讲").await;
    app.say(&user, "/week").await;
    app.settle().await;
    let (status, text) = get(addr, "/metrics").await;

    assert_eq!(status, 200);
    let after = parse_prometheus(&text);
    let moved = |k: &str| after[k] - before.get(k).copied().unwrap_or(0.0);
    assert_eq!(moved("sansong_checkins_recorded_total"), 1.0);
    assert!(moved("sansong_updates_handled_total{outcome=\"ok\"}") >= 2.0);
    assert!(
        moved("sansong_api_request_duration_seconds_count{platform=\"telegram\"}") >= 2.0,
        "replies and polls are timed"
    );
    assert!(after.contains_key("sansong_outbox_backlog"));
    assert!(after.contains_key("sansong_deliveries_total{outcome=\"sent\"}"));
    assert!(after.contains_key("sansong_rate_limited_total{platform=\"telegram\"}"));
    assert!(!text.contains("platform=\"dingtalk\""), "a platform the bot does not run on is not shown");
    assert!(!text.contains(crate::support::fake_api::TOKEN));
}

#[tokio::test]
async fn in_webhook_mode_updates_with_the_secret_are_handled_and_others_refused() {
    let listen = free_port();
    let url = format!("http://{listen}/tg");
    let app = {
        let url = url::Url::parse(&url).unwrap();
        TestApp::spawn_with(move |c| {
            c.webhook_url = Some(url);
            c.webhook_listen = listen;
        })
        .await
    };
    let user = TgUser::new(73_000, "张三");
    app.register(&user, "人社局", sansong::domain::Role::Member).await;
    let registered =
        app.fake.wait_for("setWebhook", |v| v.calls("setWebhook").first().map(|c| c.params.clone())).await;
    assert_eq!(registered["url"], url.as_str());
    let secret = registered["secret_token"].as_str().expect("a secret token").to_owned();
    assert!(secret.len() >= 32);
    assert!(app.fake.calls("getUpdates").is_empty(), "no polling in webhook mode");
    let client = reqwest::Client::new();
    let update = |id: i64, text: &str| {
        let (mut body, _) = app.fake.text_update(&user, text, None);
        body["update_id"] = serde_json::json!(id);
        body
    };

    let forged = client.post(&url).json(&update(900_001, "/checkin 送政策 伪造的登记")).send().await.unwrap();
    let wrong = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "guess")
        .json(&update(900_002, "/checkin 送政策 猜的密钥"))
        .send()
        .await
        .unwrap();
    let mark = app.fake.mark();
    let real = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", &secret)
        .json(&update(900_003, "/checkin 送政策 真正的登记"))
        .send()
        .await
        .unwrap();

    assert_eq!(forged.status().as_u16(), 401);
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(real.status().as_u16(), 200);
    let receipt = app.fake.next_to(user.id, mark).await;
    assert!(receipt.text.contains("已登记"), "{}", receipt.text);
    app.settle().await;
    let descriptions: Vec<String> =
        app.checkins_of(&user).await.into_iter().map(|(_, _, description)| description).collect();
    assert_eq!(descriptions, ["真正的登记"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox").await, 1, "refused requests never reach the inbox");
}

#[tokio::test]
async fn while_the_sender_finds_telegram_down_healthz_says_why_since_when_and_how_much_waits() {
    let addr = free_port();
    let app = TestApp::spawn_with(move |c| {
        c.metrics_addr = Some(addr);
        c.outage_probe = Duration::from_millis(50);
    })
    .await;
    let users = app.register_many(10, 67_000, "人社局").await;
    until_status(addr, "/healthz", 200).await;
    app.fake.outage(Duration::from_secs(3), crate::support::Outage::BadGateway);

    let draft = sansong::notices::NoticeDraft {
        body: "故障通知".into(),
        media: None,
        audience: sansong::notices::Audience { all: true, ..Default::default() },
        schedule: sansong::notices::Schedule::Now,
        ack: false,
        policy: false,
        urgent: false,
        remind_after: None,
    };
    sansong::notices::create(&app.core, &sansong::members::Actor::Cli, &draft, None).await.unwrap();
    let down = until_status(addr, "/healthz", 503).await;
    let body: serde_json::Value = serde_json::from_str(&down).unwrap();
    assert!(body["reason"].as_str().unwrap().contains("Bot API is down"), "{down}");
    assert!(body["since"].is_string() && body["backlog"].as_i64().unwrap() > 0, "{down}");
    let (_, metrics) = get(addr, "/metrics").await;
    assert!(metrics.contains("sansong_platform_down{platform=\"telegram\"} 1"), "{metrics}");

    until_status(addr, "/healthz", 200).await;
    let (_, metrics) = get(addr, "/metrics").await;
    assert!(metrics.contains("sansong_platform_down{platform=\"telegram\"} 0"), "{metrics}");
    assert!(metrics.contains("sansong_platform_outages_total{platform=\"telegram\"} 1"), "{metrics}");
    for user in &users {
        crate::notices::received(&app, user, "故障通知").await;
    }
}
