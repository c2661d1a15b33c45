//! Headless Chromium, driven through chromedriver, for the web console's end-to-end tests: what
//! a person sees (the page's text, screenshots at desktop and phone widths), what they do (follow
//! links, fill in and post forms, download files), and that pages load nothing from elsewhere.
//!
//! [`start`] gives `None` (and says so once) where Debian's chromium and chromium-driver are not
//! installed, so `cargo test` still passes on a bare machine; under CI (`CI=true`) it fails instead.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long chromedriver's start, a page load, an element's arrival or a download may take: a
/// ceiling for a loaded CI machine, never a measure of speed.
const DEADLINE: Duration = Duration::from_secs(45);
/// How often a wait asks again.
const POLL: Duration = Duration::from_millis(50);
/// Without the ones after `--headless`, Chromium's own connections hang on a closed network.
const ARGS: &str = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --window-size=1366,768";

/// A Chromium session. Dropping it kills chromedriver and the browser; [`Browser::close`] ends
/// the session politely first.
pub struct Browser {
    client: Client,
    driver: Driver,
    profile: TempDir,
    downloads: TempDir,
    /// `target/browser-screenshots/<test>/`, emptied at start.
    pub screenshot_dir: PathBuf,
}

/// Starts chromedriver and a headless Chromium for the test named `test`.
pub async fn start(test: &str) -> Option<Browser> {
    let (chromium, chromedriver) = match (find("chromium"), find("chromedriver")) {
        (Some(chromium), Some(chromedriver)) => (chromium, chromedriver),
        (chromium, _) => {
            let why = if chromium.is_none() { "no chromium found" } else { "no chromedriver found" };
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{why}: the browser tests need Debian's chromium and chromium-driver; .ci/run installs them"
                );
            }
            static SKIPPED: Once = Once::new();
            SKIPPED.call_once(|| {
                eprintln!("browser tests skipped: {why} (apt-get install chromium chromium-driver)")
            });
            return None;
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port for chromedriver")
        .port();
    let mut driver = Command::new(&chromedriver);
    // Chromium makes its singleton socket under TMPDIR; a socket's path may not pass 107 bytes,
    // and a CI runner's long TMPDIR made Chromium exit at once ("session not created"). The
    // browser alone gets the system's short one.
    if std::env::temp_dir().as_os_str().len() > 48 && Path::new("/tmp").is_dir() {
        driver.env("TMPDIR", "/tmp");
    }
    // Under the C locale Chromium can name no file in Chinese: 活动照片.png is "not found" for an
    // upload, and 统计….xlsx downloads as "download". A runner's locale is not ours to choose.
    driver.env("LC_ALL", "C.UTF-8");
    let mut driver = driver
        .arg(format!("--port={port}"))
        // A process group of its own, so that Drop ends the browser along with it.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Driver)
        .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
    let until = Instant::now() + DEADLINE;
    while !driver_ready(port).await {
        if let Ok(Some(status)) = driver.0.try_wait() {
            panic!("chromedriver exited before it answered: {status}");
        }
        assert!(Instant::now() < until, "chromedriver did not answer on port {port} within {DEADLINE:?}");
        tokio::time::sleep(POLL).await;
    }
    let profile = tempfile::tempdir().expect("a temp dir for the Chromium profile");
    let downloads = tempfile::tempdir().expect("a temp dir for downloads");
    let mut args: Vec<String> = ARGS.split_whitespace().map(str::to_owned).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let prefs =
        json!({"download.default_directory": downloads.path(), "download.prompt_for_download": false});
    let options = json!({"binary": chromium, "args": args, "prefs": prefs});
    // Plain HTTP to chromedriver on loopback: no TLS stack needed.
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities([("goog:chromeOptions".to_owned(), options)].into_iter().collect())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not start {}: {e}", chromium.display()));
    let screenshot_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots").join(test);
    let _ = std::fs::remove_dir_all(&screenshot_dir);
    std::fs::create_dir_all(&screenshot_dir).expect("creating the screenshots folder");
    Some(Browser { client, driver, profile, downloads, screenshot_dir })
}

impl Browser {
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The body's innerText: what a person reads on the page.
    pub async fn text(&self) -> String {
        let text = self.js("return document.body.innerText").await;
        text.as_str().expect("innerText is a string").to_owned()
    }

    /// Clicks the `<button>` or `<input type=submit>` labelled `label`, and waits until the page
    /// it leads to has loaded.
    pub async fn click_button(&self, label: &str) {
        let mut seen = Vec::new();
        for el in self.client.find_all(Locator::Css("button, input[type=submit]")).await.expect("buttons") {
            let text = match el.tag_name().await.expect("a button's tag").as_str() {
                "button" => el.text().await.expect("a button's text"),
                _ => el.attr("value").await.expect("a submit's value").unwrap_or_default(),
            };
            if text.trim() == label {
                // The next page is loaded once this mark is gone with the old page.
                self.js("window.__leaving = true").await;
                el.click().await.unwrap_or_else(|e| panic!("clicking button {label:?}: {e}"));
                let loaded = "return !window.__leaving && document.readyState === 'complete'";
                return self.wait_for(&format!("the page after button {label:?}"), loaded).await;
            }
            seen.push(text.trim().to_owned());
        }
        panic!("no button {label:?} on {}; its buttons: {seen:?}", self.url().await);
    }

    /// Follows the link whose text is `text`, and waits until the page it leads to has loaded.
    pub async fn click_link(&self, text: &str) {
        let link = self.element(Locator::LinkText(text), &format!("link {text:?}")).await;
        self.js("window.__leaving = true").await;
        link.click().await.unwrap_or_else(|e| panic!("clicking link {text:?}: {e}"));
        let loaded = "return !window.__leaving && document.readyState === 'complete'";
        self.wait_for(&format!("the page after link {text:?}"), loaded).await;
    }

    /// Clicks the download link whose text is `text`: the page stays where it is; follow it
    /// with [`Browser::wait_for_download`].
    pub async fn click_download(&self, text: &str) {
        let link = self.element(Locator::LinkText(text), &format!("link {text:?}")).await;
        link.click().await.unwrap_or_else(|e| panic!("clicking link {text:?}: {e}"));
    }

    /// Types `value` into the (emptied) field matching `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.element(Locator::Css(css), &format!("field {css:?}")).await;
        field.clear().await.unwrap_or_else(|e| panic!("emptying {css:?}: {e}"));
        field.send_keys(value).await.unwrap_or_else(|e| panic!("typing into {css:?}: {e}"));
    }

    /// Clicks the element matching `css` (a checkbox, a radio button), once it is there and
    /// takes the click; a click refused meanwhile (the element not yet interactable) is tried
    /// again until the deadline, then fails naming the page.
    pub async fn click_css(&self, css: &str) {
        let until = Instant::now() + DEADLINE;
        loop {
            let refused = match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.click().await {
                    Ok(()) => return,
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if Instant::now() >= until {
                panic!("could not click {css:?} on {} within {DEADLINE:?}: {refused}", self.url().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Chooses the local file `path` in the file field matching `css`.
    pub async fn choose_file(&self, css: &str, path: &Path) {
        let field = self.element(Locator::Css(css), &format!("file field {css:?}")).await;
        let chosen = field.send_keys(&path.to_string_lossy()).await;
        chosen.unwrap_or_else(|e| panic!("choosing {} in {css:?}: {e}", path.display()));
    }

    /// Waits until `script` returns true on the current page; fails after the deadline with
    /// "timed out … waiting for {what}".
    pub async fn wait_until(&self, what: &str, script: &str) {
        self.wait_for(what, script).await
    }

    /// Chooses the option whose text is `option_text` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, option_text: &str) {
        let select = self.element(Locator::Css(css), &format!("select {css:?}")).await;
        let chosen = select.select_by_label(option_text).await;
        chosen.unwrap_or_else(|e| panic!("no option {option_text:?} in {css:?}: {e}"));
    }

    /// Saves `<name>-1366.png` (a 1366×768 screen) and `<name>-390.png` (390×844, a phone's), and
    /// fails if the page scrolls sideways on the phone.
    ///
    /// Both are DevTools' device metrics override (through chromedriver), not window sizes: a
    /// headless window of 1366×768 shows only 1366×625 of the page, and Chromium keeps windows
    /// at least 500 px wide.
    pub async fn screenshots(&self, name: &str) {
        let mut widths = Value::Null;
        for (width, height) in [(1366, 768), (390, 844)] {
            let screen = json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
            self.cdp("Emulation.setDeviceMetricsOverride", screen).await;
            let png = self.client.screenshot().await.expect("a screenshot");
            assert!(png.len() > 24 && png.starts_with(b"\x89PNG"), "screenshot {name}-{width} is not a PNG");
            let got = u32::from_be_bytes(png[16..20].try_into().expect("the PNG header's width"));
            assert_eq!(got, width, "screenshot {name}-{width} is {got} px wide");
            let path = self.screenshot_dir.join(format!("{name}-{width}.png"));
            std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            widths = self.js("return [document.documentElement.scrollWidth, window.innerWidth]").await;
        }
        let (scroll, inner) = (widths[0].as_u64().unwrap_or(0), widths[1].as_u64().unwrap_or(0));
        // What sticks out is named while the phone's screen is still emulated, so that a failure
        // on another machine (other fonts, longer paths) says what to mend.
        let culprits = if scroll > inner { self.js(STICKING_OUT).await } else { Value::Null };
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({})).await;
        assert!(
            scroll <= inner,
            "page {name} scrolls sideways at 390 px: it is {scroll} px wide, the screen {inner}; \
             sticking out: {culprits}"
        );
    }

    /// Fails, listing them, if the page or anything it loaded refers to another origin than
    /// `origin` (such as `http://127.0.0.1:8080`); `data:` URLs are fine.
    pub async fn assert_same_origin(&self, origin: &str) {
        let urls = self
            .js("const urls = performance.getEntriesByType('resource').map(e => e.name);
                for (const el of document.querySelectorAll('[src],[href]'))
                    for (const a of ['src', 'href']) if (el.hasAttribute(a)) urls.push(el.getAttribute(a));
                return urls;")
            .await;
        let origin = origin.trim_end_matches('/');
        let ours =
            |u: &str| u.strip_prefix(origin).is_some_and(|r| r.is_empty() || r.starts_with(['/', '?', '#']));
        // A scheme (a colon before any '/', '?' or '#'), or a host without one ("//cdn.example").
        let absolute =
            |u: &str| u.starts_with("//") || u.find(':').is_some_and(|i| !u[..i].contains(['/', '?', '#']));
        let mut offenders: Vec<&str> = (urls.as_array().expect("a list of URLs").iter())
            .filter_map(|url| url.as_str().map(str::trim))
            .filter(|u| absolute(u) && !ours(u) && !u.to_ascii_lowercase().starts_with("data:"))
            .collect();
        offenders.sort();
        offenders.dedup();
        assert!(
            offenders.is_empty(),
            "{} refers to other origins than {origin}: {offenders:?}",
            self.url().await
        );
    }

    /// The path of the downloaded file whose name ends with `suffix`, once Chromium has
    /// finished writing it. Files stay in the folder: a later wait finds an earlier download too.
    pub async fn wait_for_download(&self, suffix: &str) -> PathBuf {
        let until = Instant::now() + DEADLINE;
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(self.downloads.path())
                .expect("reading the download folder")
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect();
            let busy = files.iter().any(|path| path.extension().is_some_and(|ext| ext == "crdownload"));
            match files.iter().find(|path| path.to_string_lossy().ends_with(suffix)) {
                Some(path) if !busy => return path.clone(),
                _ => assert!(Instant::now() < until, "no download *{suffix} within {DEADLINE:?}: {files:?}"),
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Ends the session, and so the browser; chromedriver goes when this returns.
    pub async fn close(self) {
        self.client.close().await.expect("ending the browser session");
    }

    /// The element `locator` finds, waiting for it until the deadline.
    async fn element(&self, locator: Locator<'_>, what: &str) -> Element {
        let until = Instant::now() + DEADLINE;
        loop {
            match self.client.find(locator).await {
                Ok(element) => return element,
                Err(e) if Instant::now() >= until => panic!("no {what} on {}: {e}", self.url().await),
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.map_or_else(|e| format!("(no URL: {e})"), |url| url.to_string())
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("running {script:?}: {e}"))
    }

    async fn cdp(&self, cmd: &'static str, params: Value) {
        let sent = self.client.issue_cmd(Cdp(cmd, params)).await;
        sent.unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"));
    }

    /// Waits until `script` returns true (an error, as while a page is being replaced, is a no).
    async fn wait_for(&self, what: &str, script: &str) {
        let until = Instant::now() + DEADLINE;
        while !matches!(self.client.execute(script, vec![]).await, Ok(Value::Bool(true))) {
            assert!(Instant::now() < until, "timed out after {DEADLINE:?} waiting for {what}");
            tokio::time::sleep(POLL).await;
        }
    }
}

/// `name` on the PATH, else in /usr/bin.
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]);
    dirs.map(|dir| dir.join(name))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Whether chromedriver's `/status` says it is ready for a session.
async fn driver_ready(port: u16) -> bool {
    let asked = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        // chromedriver refuses HTTP/1.0, and may keep the connection open after answering.
        let request = b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        stream.write_all(request).await.ok()?;
        let (mut answer, mut chunk) = (Vec::new(), [0; 1024]);
        while !String::from_utf8_lossy(&answer).contains("\"ready\":") {
            let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
            answer.extend_from_slice(&chunk[..n]);
        }
        Some(String::from_utf8_lossy(&answer).contains("\"ready\":true"))
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), asked).await, Ok(Some(true)))
}

/// A DevTools command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({"cmd": self.0, "params": self.1}).to_string()))
    }
}

/// The chromedriver process, in a process group of its own.
struct Driver(Child);

impl Drop for Driver {
    /// Kills chromedriver and whatever it started that is still there, and reaps it.
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The innermost elements whose right edge or text passes the screen's, as "tag.class: text" (at most
/// eight), for the message of a page that scrolls sideways.
const STICKING_OUT: &str = "const w = window.innerWidth + 0.5, out = [];
    const sticks = el => !el.closest('.scroll') && (el.getBoundingClientRect().right > w
        || (el.scrollWidth > el.clientWidth + 0.5 && getComputedStyle(el).overflowX == 'visible'));
    for (const el of document.body.querySelectorAll('*')) {
        if (!sticks(el) || [...el.children].some(sticks)) continue;
        out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': '
            + (el.textContent || '').trim().slice(0, 60));
        if (out.length == 8) break;
    }
    return out;";
