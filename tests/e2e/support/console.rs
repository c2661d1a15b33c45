//! The web console under test: the real `sansong run` binary serving it on a free loopback
//! port beside Telegram (against the fake Bot API), on the test's SQLite file, with an HTTP
//! client that keeps no cookies of its own (each test holds its sessions by hand) and follows
//! no redirects (so a 303 and its `Set-Cookie` are seen).

#![allow(dead_code)]

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use super::fake_api::TOKEN;
use super::fake_dingtalk::{CLIENT_ID, CLIENT_SECRET, DtUser, FakeDingTalk};
use super::wait::eventually;
use super::{Binary, TestApp, TgUser};

pub struct Console {
    pub app: TestApp,
    /// The fake DingTalk, when the binary runs on DingTalk too.
    pub dingtalk: Option<FakeDingTalk>,
    pub bin: Binary,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub http: reqwest::Client,
    /// What the binary printed on its standard output and error.
    pub stdout: std::path::PathBuf,
    pub stderr: std::path::PathBuf,
}

/// A page's answer.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where 「立即备份」 writes: in the test's folder, under a long name without a place to break
/// it, as a county server's path can be, so that the 系统 page is shown to fit a phone's screen
/// with such a path in it.
pub fn backup_dir(app: &TestApp) -> std::path::PathBuf {
    app.dir.path().join("sansongcampaignbackupskeptonthecountyserverforthirtydays")
}

impl Console {
    /// The bot (example organisation loaded) with the console on, Telegram on the fake.
    pub async fn start() -> Console {
        let mut app = TestApp::spawn().await;
        app.stop().await;
        Console::start_on(app, true).await
    }

    /// The bot on Telegram and DingTalk at once (each against its fake), with the console.
    pub async fn start_with_dingtalk() -> Console {
        let mut app = TestApp::spawn().await;
        app.stop().await;
        let fake = FakeDingTalk::start().await;
        fake.set_now(chrono::Utc::now());
        Console::start_full(app, true, Some(fake), &[]).await
    }

    /// [`Console::start`], with `env` on top (a backup folder, a holidays folder, a clock).
    pub async fn start_with_env(env: &[(&str, String)]) -> Console {
        let mut app = TestApp::spawn().await;
        app.stop().await;
        Console::start_full(app, true, None, env).await
    }

    /// `sansong run` on `app`'s database, with Telegram (`telegram`) or with no platform at all.
    pub async fn start_on(app: TestApp, telegram: bool) -> Console {
        Console::start_full(app, telegram, None, &[]).await
    }

    async fn start_full(
        app: TestApp,
        telegram: bool,
        dingtalk: Option<FakeDingTalk>,
        env: &[(&str, String)],
    ) -> Console {
        app.fake.set_now(chrono::Utc::now());
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let stdout = app.dir.path().join("run.stdout");
        let stderr = app.dir.path().join("run.stderr");
        // As every binary test runs it, with the console on a port of its own and what it
        // prints kept.
        let mut command = super::app::run_command(&app.db_url);
        command
            .env("SANSONG_BACKUP_CRON", "off")
            // On a real clock, a weekly report missed earlier in the week goes out at start and
            // would reach the admin a test has just made, in the middle of its conversation.
            .env("SANSONG_REPORT_CRON", "off")
            // 「立即备份」 writes into the test's own folder, never the repository's `data/`.
            .env("SANSONG_BACKUP_DIR", backup_dir(&app))
            .env("SANSONG_WEB_ADDR", format!("127.0.0.1:{port}"))
            .env("SANSONG_PUBLIC_URL", &base)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap());
        if telegram {
            command
                .env("TELOXIDE_TOKEN", TOKEN)
                .env("TELOXIDE_API_URL", &app.fake.url)
                .env("SANSONG_POLL_TIMEOUT_SECS", "2");
        } else {
            command.env_remove("TELOXIDE_TOKEN").env_remove("SANSONG_DINGTALK_CLIENT_ID");
        }
        if let Some(fake) = &dingtalk {
            command
                .env("SANSONG_DINGTALK_CLIENT_ID", CLIENT_ID)
                .env("SANSONG_DINGTALK_CLIENT_SECRET", CLIENT_SECRET)
                .env("SANSONG_DINGTALK_API_URL", &fake.url)
                .env("SANSONG_DINGTALK_OAPI_URL", &fake.url)
                .env("SANSONG_DELIVERY_RETRY_MS", "50");
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let bin = Binary { child: command.spawn().expect("the sansong binary starts") };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let console = Console { app, dingtalk, bin, base, http, stdout, stderr };
        let css = format!("{}/assets/console.css", console.base);
        eventually("the console to answer", Duration::from_secs(30), || {
            let (http, css) = (console.http.clone(), css.clone());
            async move { http.get(&css).send().await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        if telegram {
            console
                .app
                .fake
                .wait_for("the bot to poll", |v| (!v.calls("getUpdates").is_empty()).then_some(()))
                .await;
        }
        if let Some(fake) = &console.dingtalk {
            fake.wait_connections(1).await;
        }
        console
    }

    /// Registers a DingTalk person directly (no chat), as `unit`'s `role`.
    pub async fn register_dingtalk(&self, user: &DtUser, unit: &str, role: sansong::domain::Role) {
        use sansong::domain::{Account, Person, Platform};
        use sansong::members::{self, Actor, InviteRequest, Registration};
        let core = &self.app.core;
        let request =
            InviteRequest { unit: Some(unit.into()), role: Some(role), uses: Some(1), expires_in: None };
        let code = members::create_invite(core, &Actor::Cli, &request, None).await.unwrap().code;
        let person_id = core.store.handle(Platform::DingTalk, &user.staff_id).await.unwrap();
        let person = Person {
            account: Account { platform: Platform::DingTalk, person_id },
            name: user.nick.clone(),
            username: None,
        };
        assert!(matches!(members::register(core, &person, &code).await.unwrap(), Registration::New(_)));
    }

    /// A multipart form POST as the console's page sends it (same origin): `fields`, and a
    /// file as `file` when given (name, bytes).
    pub async fn post_multipart(
        &self,
        cookie: &str,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((name, bytes)) = file {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
        }
        let request = self
            .http
            .post(self.url(path))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .header("cookie", format!("sansong_session={cookie}"))
            .multipart(form);
        page(request.send().await.unwrap()).await
    }

    /// A path of the console as a full URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path` with the session `cookie` (if any).
    pub async fn get(&self, cookie: Option<&str>, path: &str) -> Page {
        let mut request = self.http.get(self.url(path));
        if let Some(c) = cookie {
            request = request.header("cookie", format!("sansong_session={c}"));
        }
        page(request.send().await.unwrap()).await
    }

    /// GET `path`, raw bytes (an export, a photo).
    pub async fn get_bytes(&self, cookie: &str, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self
            .http
            .get(self.url(path))
            .header("cookie", format!("sansong_session={cookie}"))
            .send()
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    /// A form POST as the console's own page sends it (same origin), or from `origin`.
    pub async fn post(
        &self,
        cookie: Option<&str>,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let mut request = self
            .http
            .post(self.url(path))
            .header("origin", origin.unwrap_or(&self.base))
            .header("sec-fetch-site", if origin.is_some() { "cross-site" } else { "same-origin" })
            .form(form);
        if let Some(c) = cookie {
            request = request.header("cookie", format!("sansong_session={c}"));
        }
        page(request.send().await.unwrap()).await
    }

    /// `user` sends `后台` in the chat; the link the bot answers with.
    ///
    /// The answer, not merely the next message: a message the bot sends of its own accord may
    /// come first (the weekly report, caught up when the binary starts after its Monday on a
    /// real clock, reaches an admin who has just joined).
    pub async fn link_from_chat(&self, user: &TgUser) -> String {
        let mark = self.app.fake.mark();
        self.app.fake.text(user, "后台");
        let reply = self
            .app
            .fake
            .wait_for_outgoing("a login link in the chat", |o| {
                o.chat_id == user.id && o.seq >= mark && login_path(&o.text).is_some()
            })
            .await;
        login_path(&reply.text).unwrap_or_else(|| panic!("no login link in {:?}", reply.text))
    }

    /// Opens a login link and presses 「登录」: the session cookie.
    pub async fn log_in(&self, path: &str) -> String {
        let shown = self.get(None, path).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        let pressed = self.post(None, path, &[], None).await;
        assert_eq!(pressed.status, StatusCode::SEE_OTHER, "{}", pressed.body);
        session_of(&pressed.headers).expect("a session cookie")
    }

    /// `user` (registered in `unit` with `role`) logs in through a link from the chat.
    pub async fn session_for(&self, user: &TgUser, unit: &str, role: sansong::domain::Role) -> String {
        self.app.register(user, unit, role).await;
        let link = self.link_from_chat(user).await;
        self.log_in(&link).await
    }

    /// What `sansong run` printed on its standard output so far.
    pub fn printed(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }
}

async fn page(response: reqwest::Response) -> Page {
    let (status, headers) = (response.status(), response.headers().clone());
    Page { status, headers, body: response.text().await.unwrap() }
}

/// `/login/<token>` (or `/setup/<token>`) from a text holding a console link.
pub fn login_path(text: &str) -> Option<String> {
    ["/login/", "/setup/"].iter().find_map(|prefix| {
        let (_, rest) = text.split_once(prefix)?;
        let token: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect();
        (token.len() == 32).then(|| format!("{prefix}{token}"))
    })
}

/// The session a response's `Set-Cookie` starts.
pub fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .find_map(|c| c.strip_prefix("sansong_session="))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
        .filter(|c| !c.is_empty())
}
