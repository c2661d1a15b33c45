//! WeCom with the real binary: `sansong run` on WeCom alone killed mid-burst and started again
//! (WeCom never sends a callback twice, so what was received must already be stored), and
//! `sansong check` against the fake long connection.

use std::time::Duration;

use crate::support::Binary;
use crate::support::fake_wecom::{FakeWeCom, SECRET, WcUser};
use crate::support::wait::eventually;

/// A database with the example organisation and `n` WeCom members of 人社局.
async fn members_on_wecom(n: usize) -> (tempfile::TempDir, String, sqlx::SqlitePool, Vec<WcUser>) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sansong.db").display());
    let org = crate::support::repo_path("config/org.example.toml");
    let (code, _, err) = crate::support::cli(&db, &["org", "load", org.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let mut users = Vec::new();
    for i in 0..n {
        let userid = format!("wecom{i:03}");
        let handle: i64 = sqlx::query_scalar(
            "INSERT INTO handles (id, platform, external_id)
             VALUES ((SELECT COALESCE(MAX(id), 1152921504606846975) + 1 FROM handles), 'wecom', ?) RETURNING id",
        )
        .bind(&userid)
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO members (registered_as, reached_on, name, unit_id, role, registered_at)
             VALUES (?1, ?1, ?2, (SELECT id FROM units WHERE name = '人社局'), 'member', 0);
             INSERT INTO accounts (person_id, platform, member_id, linked_at)
             VALUES (?1, 'wecom', last_insert_rowid(), 0)",
        )
        .bind(handle)
        .bind(format!("党员{i:03}"))
        .execute(&pool)
        .await
        .unwrap();
        users.push(WcUser::new(&userid, &format!("党员{i:03}")));
    }
    (dir, db, pool, users)
}

async fn scalar(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn sigkill_during_a_burst_of_100_wecom_checkins_loses_none_and_records_none_twice() {
    let fake = FakeWeCom::start().await;
    let (_dir, db, pool, users) = members_on_wecom(100).await;
    let mut bot = Binary::spawn_wecom(&fake.url, &db);
    fake.wait_connections(1).await;

    let mut msgids = Vec::new();
    for (i, user) in users.iter().enumerate() {
        msgids.push(fake.say(user, &format!("送政策 第{i}次入户宣讲")));
    }
    // Killed once every callback is stored, while most are still being handled.
    eventually("all 100 callbacks in the inbox", Duration::from_secs(30), || async {
        (scalar(&pool, "SELECT COUNT(*) FROM inbox WHERE platform = 'wecom'").await == 100).then_some(())
    })
    .await;
    bot.sigkill();
    let handled_before =
        scalar(&pool, "SELECT COUNT(*) FROM inbox WHERE platform = 'wecom' AND handled_at IS NOT NULL").await;
    let _bot = Binary::spawn_wecom(&fake.url, &db);
    fake.wait_connections(2).await;
    // A callback WeCom happened to push twice, after the restart: still one check-in.
    fake.repeat(&msgids[0]);

    eventually("all 100 check-ins after the restart", Duration::from_secs(60), || async {
        let pending =
            scalar(&pool, "SELECT COUNT(*) FROM inbox WHERE platform = 'wecom' AND handled_at IS NULL").await;
        (scalar(&pool, "SELECT COUNT(*) FROM checkins").await >= 100 && pending == 0).then_some(())
    })
    .await;
    let total = scalar(&pool, "SELECT COUNT(*) FROM checkins").await;
    let members = scalar(&pool, "SELECT COUNT(DISTINCT member_id) FROM checkins").await;
    eprintln!("handled before the kill: {handled_before} of 100");
    assert!(handled_before < 100, "the kill came mid-burst ({handled_before} handled)");
    assert_eq!((total, members), (100, 100));
}

#[tokio::test]
async fn sansong_check_subscribes_once_names_wrong_credentials_and_never_prints_the_secret() {
    let fake = FakeWeCom::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sansong.db").display());
    let env = |secret: &'static str| {
        [
            ("SANSONG_WECOM_BOT_ID", crate::support::fake_wecom::BOT_ID),
            ("SANSONG_WECOM_SECRET", secret),
            ("SANSONG_WECOM_WS_URL", fake.url.as_str()),
            // Before November, when next year's holiday schedule is not yet due.
            ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
        ]
    };

    let (code, out, err) = crate::support::cli_env(&db, &["check"], &env(SECRET)).await;
    let (bad_code, bad_out, bad_err) = crate::support::cli_env(&db, &["check"], &env("wrong-secret")).await;

    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("✓ 企业微信智能机器人长连接：已订阅"), "{out}");
    assert_ne!(bad_code, 0);
    assert!(
        bad_out.contains("✗ 企业微信智能机器人长连接：企业微信拒绝了 Bot ID 或 Secret（853000）"),
        "{bad_out}"
    );
    assert_eq!(fake.subscribes(), 2, "one subscribe each");
    for printed in [&out, &err, &bad_out, &bad_err] {
        assert!(!printed.contains(SECRET) && !printed.contains("wrong-secret"), "{printed}");
    }
}

#[tokio::test]
async fn sansong_check_does_not_take_the_bot_from_the_running_sansong() {
    let fake = FakeWeCom::start().await;
    let (_dir, db, _pool, users) = members_on_wecom(1).await;
    let _bot = Binary::spawn_wecom(&fake.url, &db);
    fake.wait_connections(1).await;
    let env = [
        ("SANSONG_WECOM_BOT_ID", crate::support::fake_wecom::BOT_ID),
        ("SANSONG_WECOM_SECRET", SECRET),
        ("SANSONG_WECOM_WS_URL", fake.url.as_str()),
        ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
    ];

    let (_, out, _) = crate::support::cli_env(&db, &["check"], &env).await;
    let mark = fake.mark();
    fake.say(&users[0], "本周");
    let answer = fake.next_to(&users[0], mark).await;

    assert!(out.contains("✓ 企业微信智能机器人长连接：sansong 正在运行并已连接"), "{out}");
    assert_eq!(fake.subscribes(), 1, "check did not subscribe");
    assert!(answer.text.contains("本周"), "the running bot still answers: {answer:?}");
}
