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
    let (pool, people) = crate::support::app::members_on(&db, "wecom", "wecom", n).await;
    let users = people.iter().map(|(id, name)| WcUser::new(id, name)).collect();
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

/// A private deployment's long connection on TLS with its own CA's certificate
/// (`tests/fixtures/private-ca*.pem`, for localhost and 127.0.0.1): answers each subscribe
/// with the right credentials. Its address, and how many subscribed.
async fn private_deployment() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use futures::{SinkExt, StreamExt};
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_tungstenite::tungstenite::Message;
    let fixture = |name: &str| crate::support::repo_path(&format!("tests/fixtures/{name}"));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("private-ca-server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("private-ca-server.key")).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://localhost:{}/aibot", listener.local_addr().unwrap().port());
    let subscribed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = subscribed.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, count) = (acceptor.clone(), count.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate ends here.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else { return };
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let ok = frame["cmd"] == "aibot_subscribe" && frame["body"]["secret"] == SECRET;
                    count.fetch_add(usize::from(ok), std::sync::atomic::Ordering::SeqCst);
                    let answer = serde_json::json!({
                        "headers": { "req_id": frame["headers"]["req_id"] },
                        "errcode": if ok { 0 } else { 853_000 },
                        "errmsg": if ok { "ok" } else { "invalid bot_id or secret" },
                    });
                    let _ = ws.send(Message::Text(answer.to_string().into())).await;
                }
            });
        }
    });
    (url, subscribed)
}

#[tokio::test]
async fn a_private_deployments_own_ca_is_trusted_for_its_long_connection_and_without_it_nothing_connects() {
    let (url, subscribed) = private_deployment().await;
    let settings = |ca_file: Option<std::path::PathBuf>| sansong::config::WeComConfig {
        bot_id: crate::support::fake_wecom::BOT_ID.into(),
        ws_url: url.parse().unwrap(),
        ca_file,
        rate: 10.0,
    };
    let ca = crate::support::repo_path("tests/fixtures/private-ca.pem");

    let with_ca = sansong::wecom::link::check(settings(Some(ca)), SECRET).await;
    let without = sansong::wecom::link::check(settings(None), SECRET).await;
    let not_a_ca = sansong::wecom::link::Link::new(
        settings(Some(crate::support::repo_path("config/holidays/2026.toml"))),
        SECRET.into(),
    );

    assert_eq!(with_ca, Ok(()));
    let refused = without.unwrap_err();
    assert!(
        refused.contains("无法连接企业微信长连接") && refused.contains("SANSONG_WECOM_CA_FILE"),
        "{refused}"
    );
    assert_eq!(
        subscribed.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "only the client with the CA got through"
    );
    let e = not_a_ca.err().expect("a CA file without a certificate is refused at start").to_string();
    assert!(e.contains("no certificate"), "{e}");
}
