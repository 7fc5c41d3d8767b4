//! The demo in a real headless Chromium, driven through chromedriver
//! (WebDriver, `fantoccini`). The app runs in-process at
//! `http://127.0.0.1:P`; "other sites" are tiny servers reached as
//! `http://localhost:Q`: a different site to the browser, and, like the app,
//! a secure context, so `Secure` cookies work over plain http.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
//! Without them the tests print why and pass, except under `CI=true`, where
//! they fail. `CHROMIUM` and `CHROMEDRIVER` override the binaries' paths.
//! Screenshots go to `target/tmp/browser-screenshots/`.
//!
//! A binary of its own, not a module of `tests/it`: it starts Chromium and
//! chromedriver processes (one browser at a time, see `ONE_BROWSER`), takes
//! far longer than the rest of the suite, and needs programs the other tests
//! do not, so `cargo test --test it` runs everything else without a browser
//! and `cargo test --test browser` runs this alone. It shares the demo
//! fixture of `tests/it/support/demo.rs`.
#![cfg(feature = "axum")]

#[path = "it/support/demo.rs"]
mod demo_support;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use demo_support::DemoServer;
use demo_support::app::DemoConfig;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::cookie::SameSite;

/// One browser at a time: two Chromiums on a 2-core machine only make both slow.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const STEP: Duration = Duration::from_secs(15);

// ---- harness -------------------------------------------------------------

fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    candidates.iter().find_map(|name| {
        dirs.iter()
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

/// The browser and its driver, or `None` (after saying why) when they are
/// missing and this is not CI.
fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_binary(
        "CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = find_binary("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        (chromium, driver) => {
            let message = format!(
                "browser tests need Chromium and chromedriver (found chromium: {}, chromedriver: {}); \
                 on Debian: apt-get install chromium chromium-driver (or run .ci/run as root)",
                chromium.is_some(),
                driver.is_some()
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true: {message}");
            }
            eprintln!("SKIPPED: {message}");
            None
        }
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver (and the Chromium it starts) in a process group of their own,
/// killed when this is dropped, even if the test panicked.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the browser processes it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

struct Browser {
    client: Client,
    _driver: Driver,
}

impl Browser {
    async fn start(name: &str) -> Option<Self> {
        Self::start_with(name, &[]).await
    }

    /// [`start`](Self::start) with more Chromium flags.
    async fn start_with(name: &str, extra: &[String]) -> Option<Self> {
        let (chromium, chromedriver) = browser_binaries()?;
        let port = free_port();
        let profile = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("chromium-profile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let mut command = Command::new(&chromedriver);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let driver = Driver { child, profile };

        // Poll until chromedriver listens, with a deadline.
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1100,1200".to_owned(),
        ];
        args.push(format!("--user-data-dir={}", driver.profile.display()));
        args.extend(extra.iter().cloned());
        let mut caps = fantoccini::wd::Capabilities::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium,
                "args": args,
                // Credentialed cross-site fetches need third-party cookies,
                // which this Chromium blocks by default (as Safari, Firefox's
                // strict mode and Brave do): allow them, as a user would
                // have to. The CSRF tests need no such help.
                "prefs": {
                    "profile.cookie_controls_mode": 0,
                    "profile.block_third_party_cookies": false
                }
            }),
        );
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let client = tokio::time::timeout(Duration::from_secs(30), builder.connect(&url))
            .await
            .expect("no WebDriver session within 30 s")
            .expect("WebDriver session");
        Some(Self {
            client,
            _driver: driver,
        })
    }

    async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Polls `condition` (a JS expression) until it is truthy or the deadline passes.
    async fn wait_for(&self, condition: &str, what: &str) {
        let deadline = Instant::now() + STEP;
        let script = format!("return !!({condition});");
        loop {
            if self.client.execute(&script, vec![]).await.ok() == Some(Value::Bool(true)) {
                return;
            }
            let page = self
                .js("return location.href + ' :: ' + (document.body ? document.body.innerText : '')")
                .await;
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; page: {page}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks a button of the demo page and returns the status and text the
    /// page shows for the answer.
    async fn press(&self, id: &str) -> (String, String) {
        self.js("document.getElementById('output').dataset.status = ''")
            .await;
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for(
            "document.getElementById('output').dataset.status !== ''",
            id,
        )
        .await;
        let status = self
            .js("return document.getElementById('output').dataset.status")
            .await;
        let text = self
            .js("return document.getElementById('output').textContent")
            .await;
        (
            status.as_str().unwrap().to_owned(),
            text.as_str().unwrap().to_owned(),
        )
    }

    async fn type_into(&self, id: &str, text: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Opens the demo page and logs in through its form.
    async fn log_in(&self, app: &DemoServer, user: &str, password: &str) {
        self.open(&app.at("/")).await;
        self.type_into("username", user).await;
        self.type_into("password", password).await;
        let (status, text) = self.press("login").await;
        assert_eq!(status, "200", "login through the page: {text}");
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
        path
    }

    async fn access_cookie(&self) -> Option<String> {
        let cookies = self.client.get_all_cookies().await.unwrap();
        cookies
            .iter()
            .find(|c| c.name() == "__Host-Http-access")
            .map(|c| c.value().to_owned())
    }

    /// Navigates to `url` and waits until the page has loaded.
    async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.wait_for("document.readyState === 'complete'", url)
            .await;
    }

    /// The cookies the browser holds for `url` (a page it navigates to):
    /// name, value and HttpOnly, sorted by name.
    async fn cookies_at(&self, url: &str) -> Vec<(String, String, bool)> {
        self.client.goto(url).await.unwrap();
        let mut cookies: Vec<_> = self
            .client
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|c| {
                let http_only = c.http_only() == Some(true);
                (c.name().to_owned(), c.value().to_owned(), http_only)
            })
            .collect();
        cookies.sort();
        cookies
    }

    /// `document.cookie` after a script tried to set each of `attempts`.
    async fn script_sets(&self, attempts: &[&str]) -> String {
        let script =
            "for (const c of arguments[0]) { document.cookie = c; } return document.cookie;";
        let visible = self
            .client
            .execute(script, vec![json!(attempts)])
            .await
            .unwrap();
        visible.as_str().unwrap().to_owned()
    }
}

/// Another site: serves `pages` on `127.0.0.1:0`, reached as `http://localhost:PORT`.
async fn other_site(pages: Vec<(&'static str, String)>) -> String {
    let mut router = Router::new();
    for (path, html) in pages {
        router = router.route(path, get(move || async move { Html(html) }));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://localhost:{port}")
}

/// Runs `fetch(url, {credentials: "include"})` in the current page and
/// reports what the page could read.
async fn credentialed_fetch(browser: &Browser, url: &str) -> Value {
    let script = r#"
        const [url, done] = arguments;
        fetch(url, { credentials: "include" })
          .then(r => r.text().then(body => done({ read: true, status: r.status, body })))
          .catch(e => done({ read: false, error: String(e) }));
    "#;
    tokio::time::timeout(STEP, browser.client.execute_async(script, vec![json!(url)]))
        .await
        .expect("fetch finished")
        .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---- the tests -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_through_the_page_and_document_cookie_holds_no_token() {
    let _one = ONE_BROWSER.lock().await;
    let Some(browser) = Browser::start("login").await else {
        return;
    };
    let app = DemoServer::start(|_| {}).await;
    browser.log_in(&app, "alice", "wonderland").await;

    let (status, text) = browser.press("me").await;
    assert_eq!(status, "200", "{text}");
    assert!(text.contains(r#""sub":"alice""#), "{text}");

    browser
        .type_into("note-text", "written in a real browser")
        .await;
    let (status, text) = browser.press("add-note").await;
    assert_eq!(status, "201", "{text}");
    assert_eq!(app.notes.total(), 1);
    browser
        .wait_for(
            "document.querySelectorAll('#notes li').length === 1",
            "the note list",
        )
        .await;

    // The page's JavaScript sees no token; the browser does hold them, HttpOnly.
    let visible = browser.js("return document.cookie").await;
    assert_eq!(visible, json!(""), "document.cookie must hold no token");
    let shown = browser
        .js("return document.getElementById('document-cookie').textContent")
        .await;
    assert_eq!(shown, json!("\"\""));
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let access = cookies
        .iter()
        .find(|c| c.name() == "__Host-Http-access")
        .expect("the access cookie is set");
    assert_eq!(access.http_only(), Some(true));
    assert_eq!(access.secure(), Some(true));
    assert_eq!(access.same_site(), Some(cookie::SameSite::Strict));

    let shot = browser.screenshot("after-login").await;
    assert!(std::fs::metadata(shot).unwrap().len() > 10_000);
    browser.close().await;
}

/// An attacker page on another site that posts a form to `/api/notes` as
/// soon as it loads. `text/plain` with this field name makes the body valid
/// JSON, the classic trick; the guard must refuse it before any handler runs.
fn auto_submitting_form(app: &DemoServer) -> String {
    format!(
        r#"<!doctype html><title>win a prize</title>
        <form id="f" method="POST" action="{}" enctype="text/plain">
          <input type="hidden" name='{{"text":"forged","x":"' value='"}}'>
        </form>
        <script>document.getElementById("f").submit();</script>"#,
        app.at("/api/notes")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_auto_submitted_form_is_refused_with_strict_and_with_none_cookies() {
    let _one = ONE_BROWSER.lock().await;
    let Some(browser) = Browser::start("csrf").await else {
        return;
    };
    for same_site in [SameSite::Strict, SameSite::None] {
        let app = DemoServer::start(|c| c.same_site = same_site).await;
        browser.log_in(&app, "alice", "wonderland").await;
        let attacker = other_site(vec![
            ("/prize", auto_submitting_form(&app)),
            (
                "/prize-link",
                "<!doctype html><title>link</title>".to_owned(),
            ),
        ])
        .await;

        browser
            .client
            .goto(&format!("{attacker}/prize"))
            .await
            .unwrap();
        browser
            .wait_for(
                &format!(
                    "location.href === {:?} && document.body && document.body.innerText.length > 0",
                    app.at("/api/notes")
                ),
                "the forged POST's answer",
            )
            .await;
        let body = browser.js("return document.body.innerText").await;
        let answer: Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
        assert_eq!(
            answer["error"], "csrf_cross_site",
            "{same_site:?}: {answer}"
        );
        assert_eq!(app.notes.total(), 0, "{same_site:?}: no note was created");

        // Proof that the cookies did travel cross-site with SameSite=None
        // (so the guard alone stopped the POST), and not with Strict: a
        // cross-site navigation from the attacker's page to /api/me.
        browser
            .client
            .goto(&format!("{attacker}/prize-link"))
            .await
            .unwrap();
        browser
            .wait_for("document.readyState === 'complete'", "the attacker page")
            .await;
        browser
            .js(&format!("location.href = {:?}", app.at("/api/me")))
            .await;
        browser
            .wait_for(
                &format!(
                    "location.href === {:?} && document.body && document.body.innerText.length > 0",
                    app.at("/api/me")
                ),
                "the cross-site navigation",
            )
            .await;
        let body = browser.js("return document.body.innerText").await;
        let me: Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
        match same_site {
            SameSite::None => assert_eq!(me["sub"], "alice", "cookies sent cross-site: {me}"),
            _ => assert_eq!(
                me["error"], "missing_token",
                "Strict cookies stay home: {me}"
            ),
        }

        // The victim's session is intact.
        browser.client.goto(&app.at("/")).await.unwrap();
        let (status, _) = browser.press("me").await;
        assert_eq!(status, "200", "{same_site:?}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_listed_site_reads_api_me_with_credentials_and_another_cannot() {
    let _one = ONE_BROWSER.lock().await;
    let Some(browser) = Browser::start("cors").await else {
        return;
    };
    let blank = "<!doctype html><title>other site</title><p>other site</p>".to_owned();
    let spa = other_site(vec![("/", blank.clone())]).await;
    let stranger = other_site(vec![("/", blank)]).await;
    let allowed = spa.clone();
    let app = DemoServer::start(move |c: &mut DemoConfig| {
        c.same_site = SameSite::None;
        c.allowed_origins = vec![allowed];
    })
    .await;
    browser.log_in(&app, "alice", "wonderland").await;

    browser.client.goto(&format!("{spa}/")).await.unwrap();
    let read = credentialed_fetch(&browser, &app.at("/api/me")).await;
    assert_eq!(read["read"], true, "{read}");
    assert_eq!(read["status"], 200, "the cookie went along: {read}");
    let me: Value = serde_json::from_str(read["body"].as_str().unwrap()).unwrap();
    assert_eq!(me["sub"], "alice");

    browser.client.goto(&format!("{stranger}/")).await.unwrap();
    let refused = credentialed_fetch(&browser, &app.at("/api/me")).await;
    assert_eq!(
        refused["read"], false,
        "a non-allow-listed origin read the body: {refused}"
    );
    assert!(
        refused["error"].as_str().unwrap().contains("TypeError"),
        "{refused}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_refreshes_an_expired_access_token_and_logout_ends_the_session() {
    let _one = ONE_BROWSER.lock().await;
    let Some(browser) = Browser::start("refresh").await else {
        return;
    };
    // A 30-second access token on a clock the test moves: no sleeping.
    let clock = ManualClock::new(now());
    let server_clock = clock.clone();
    let app = DemoServer::start(move |c: &mut DemoConfig| {
        c.access_lifetime = Duration::from_secs(30);
        c.clock = Some(server_clock);
    })
    .await;
    browser.log_in(&app, "bob", "builder").await;
    let (status, _) = browser.press("me").await;
    assert_eq!(status, "200");
    let before = browser.access_cookie().await.expect("access cookie");

    clock.advance(31); // the access token has expired; the session has not
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "200", "the page refreshed and retried: {text}");
    let after = browser.access_cookie().await.expect("a new access cookie");
    assert_ne!(before, after, "the refresh set a new access token");
    browser.screenshot("after-refresh").await;

    let (status, _) = browser.press("logout").await;
    assert_eq!(status, "204");
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "401", "after logout: {text}");
    assert_eq!(
        browser.access_cookie().await,
        None,
        "the cookie was cleared"
    );
    browser.screenshot("after-logout").await;
    browser.close().await;
}

/// A page at `path` on another port of the demo's host. Cookies are not
/// isolated by port (RFC 6265 §8.5), so the browser holds for it exactly the
/// cookies it would send to the demo's `path`. The demo's own answer there
/// is an empty 405, which Chromium shows as its own error page, where
/// WebDriver lists no cookies at all.
async fn same_host_page(path: &'static str) -> String {
    let router = Router::new().route(path, get(|| async { Html("<p>the cookie jar</p>") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://127.0.0.1:{port}{path}")
}

/// The attacker's own session: `user` logs in to the demo without a
/// browser, and keeps the values of the two token cookies it set.
async fn own_session(app: &DemoServer, user: &str, password: &str) -> (String, String) {
    let response = reqwest::Client::new()
        .post(app.at("/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let value = |name: &str| {
        response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next()?.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {name} cookie"))
    };
    (value("__Host-Http-access"), value("__Http-refresh"))
}

/// The JSON answer the demo page shows (`label -> status\n{json}`).
fn shown_json(text: &str) -> Value {
    let (_, body) = text.split_once('\n').expect("a status line and a body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_cannot_plant_or_overwrite_the_token_cookies() {
    let _one = ONE_BROWSER.lock().await;
    let Some(browser) = Browser::start("prefixes").await else {
        return;
    };
    let app = DemoServer::start(|_| {}).await;
    // What a script would plant: bob's live tokens, so that alice's page
    // would work in bob's account (login CSRF by cookie).
    let (bob_access, bob_refresh) = own_session(&app, "bob", "builder").await;
    let refresh_url = app.at("/auth/refresh");
    let refresh_jar = same_host_page("/auth/refresh").await;
    browser.open(&app.at("/")).await;

    // Planting, before login, under the demo's own names and paths: the
    // `__Host-Http-` and `__Http-` names are refused to scripts. The same
    // script may set an old-style `__Host-` cookie (so it is the prefix that
    // stops it, not the page) and the former default `__Secure-refresh`.
    let visible = browser
        .script_sets(&[
            &format!("__Host-Http-access={bob_access}; Path=/; Secure; SameSite=Strict"),
            &format!("__Http-refresh={bob_refresh}; Path=/auth; Secure; SameSite=Strict"),
            &format!("__Http-refresh={bob_refresh}; Path=/auth/refresh; Secure; SameSite=Strict"),
            &format!("__Secure-refresh={bob_refresh}; Path=/auth; Secure; SameSite=Strict"),
            "__Host-control=set-by-script; Path=/; Secure; SameSite=Strict",
        ])
        .await;
    assert_eq!(visible, "__Host-control=set-by-script");
    // Everything a request to the refresh endpoint would carry.
    assert_eq!(
        browser.cookies_at(&refresh_jar).await,
        [
            (
                "__Host-control".to_owned(),
                "set-by-script".to_owned(),
                false
            ),
            ("__Secure-refresh".to_owned(), bob_refresh.clone(), false),
        ],
        "only the unprotected names were planted"
    );
    browser
        .script_sets(&["__Host-control=; Path=/; Secure; Max-Age=0"])
        .await;
    // The browser sends the planted `__Secure-refresh` with bob's live
    // token, and the refresh endpoint ignores it: it reads `__Http-refresh`
    // only. So the page's refresh-on-401 cannot log alice in as bob.
    browser.open(&app.at("/")).await;
    let (status, text) = browser.press("refresh").await;
    assert_eq!(status, "401", "{text}");
    assert_eq!(shown_json(&text)["error"], "missing_token", "{text}");
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "401", "{text}");
    assert_eq!(shown_json(&text)["error"], "missing_token", "{text}");

    // Overwriting, after login: the HttpOnly cookies stay as the server set
    // them, at their own path and at a narrower one (RFC 6265bis §5.7: a
    // script can neither set an `__Http-` name nor replace an HttpOnly cookie).
    browser.log_in(&app, "alice", "wonderland").await;
    let genuine_access = browser.access_cookie().await.expect("access cookie");
    let visible = browser
        .script_sets(&[
            &format!("__Host-Http-access={bob_access}; Path=/; Secure; SameSite=Strict"),
            &format!("__Http-refresh={bob_refresh}; Path=/auth; Secure; SameSite=Strict"),
            &format!("__Http-refresh={bob_refresh}; Path=/auth/refresh; Secure; SameSite=Strict"),
        ])
        .await;
    assert_eq!(visible, "", "no script-set cookie: {visible}");
    let jar = browser.cookies_at(&refresh_jar).await;
    let names: Vec<(&str, bool)> = jar.iter().map(|(n, _, h)| (n.as_str(), *h)).collect();
    assert_eq!(
        names,
        [
            ("__Host-Http-access", true),
            ("__Http-refresh", true),
            ("__Secure-refresh", false),
        ]
    );
    assert_eq!(jar[0].1, genuine_access);
    assert_ne!(jar[1].1, bob_refresh, "the refresh cookie is alice's own");
    assert_eq!(jar[2].1, bob_refresh, "still planted, still sent");

    browser.open(&app.at("/")).await;
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "200", "{text}");
    assert_eq!(shown_json(&text)["sub"], "alice", "{text}");
    let (status, text) = browser.press("refresh").await;
    assert_eq!(status, "200", "the genuine refresh cookie works: {text}");
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "200", "{text}");
    assert_eq!(shown_json(&text)["sub"], "alice", "still alice: {text}");
    browser.close().await;

    // And bob's token was live all along: it refreshes his own session.
    let response = reqwest::Client::new()
        .post(&refresh_url)
        .header("cookie", format!("__Http-refresh={bob_refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
}

/// A CA and a leaf certificate for `app.test` signed by it, as the demo's
/// TLS configuration, and the base64 SHA-256 of the CA's SubjectPublicKeyInfo
/// (what `--ignore-certificate-errors-spki-list` takes), so Chromium trusts
/// the chain without any system trust store.
fn test_certificates(host: &str) -> (demo_support::tls::Tls, String) {
    use base64::Engine;
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose, PublicKeyData,
    };
    use sha2::Digest;
    let ca_key = KeyPair::generate().unwrap();
    let spki = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(ca_key.subject_public_key_info()));
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tower-jwt-cookie browser-test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![host.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key =
        tokio_rustls::rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let tls = demo_support::tls::Tls::new(vec![leaf.der().clone(), ca.der().clone()], key).unwrap();
    (tls, spki)
}

/// What a plain-http listener saw on one connection.
#[derive(Debug, PartialEq)]
enum PlainHttpSaw {
    /// A TLS ClientHello (first byte 0x16): the browser upgraded the URL to https.
    TlsHandshake,
    /// A plaintext request, and its `Cookie` header if any.
    Request { cookie: Option<String> },
}

/// A plain-http listener on 127.0.0.1 that reports what each connection
/// carried and answers plaintext requests with a small page.
async fn plain_http_listener() -> (u16, tokio::sync::mpsc::UnboundedReceiver<PlainHttpSaw>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (report, seen) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let report = report.clone();
            tokio::spawn(async move {
                let mut bytes = Vec::new();
                let mut buf = [0; 4096];
                while !bytes.windows(4).any(|w| w == b"\r\n\r\n") && bytes.len() < 65536 {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => bytes.extend_from_slice(&buf[..n]),
                    }
                    if bytes.first() == Some(&0x16) {
                        let _ = report.send(PlainHttpSaw::TlsHandshake);
                        return;
                    }
                }
                if bytes.is_empty() {
                    return; // a speculative connection that never spoke
                }
                let head = String::from_utf8_lossy(&bytes);
                let cookie = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("Cookie: ")
                            .or_else(|| l.strip_prefix("cookie: "))
                    })
                    .map(str::to_owned);
                let _ = report.send(PlainHttpSaw::Request { cookie });
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 9\r\nconnection: close\r\n\r\nplaintext")
                    .await;
            });
        }
    });
    (port, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_demo_under_a_real_name_logs_in_and_out_and_keeps_cookies_off_plain_http() {
    let _one = ONE_BROWSER.lock().await;
    let host = "app.test";
    let (tls, spki) = test_certificates(host);
    let Some(browser) = Browser::start_with(
        "https",
        &[
            format!("--host-resolver-rules=MAP {host} 127.0.0.1"),
            format!("--ignore-certificate-errors-spki-list={spki}"),
        ],
    )
    .await
    else {
        return;
    };
    let app = DemoServer::start_https(tls.config, host, |_| {}).await;
    assert!(app.url.starts_with("https://app.test:"), "{}", app.url);

    browser.log_in(&app, "alice", "wonderland").await;
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "200", "{text}");
    assert!(text.contains(r#""sub":"alice""#), "{text}");
    let hsts = browser
        .client
        .execute_async(
            "const done = arguments[0]; fetch('/').then(r => done(r.headers.get('strict-transport-security')));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        hsts,
        json!("max-age=63072000; includeSubDomains"),
        "HSTS over HTTPS"
    );
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let access = cookies
        .iter()
        .find(|c| c.name() == "__Host-Http-access")
        .expect("the access cookie is set over HTTPS");
    assert_eq!(access.secure(), Some(true));
    assert_eq!(access.http_only(), Some(true));

    // The same name over plain http: nothing of the session goes there.
    // Chromium applies the HSTS it just received over HTTPS and upgrades the
    // URL, so the plain port sees only a TLS ClientHello, never a plaintext
    // request (and the cookies are Secure besides, asserted above).
    let (plain_port, mut seen) = plain_http_listener().await;
    let upgraded = browser
        .client
        .goto(&format!("http://{host}:{plain_port}/"))
        .await;
    assert!(
        upgraded.is_err(),
        "the navigation went over https to a plain-http port and failed"
    );
    let first = tokio::time::timeout(STEP, seen.recv())
        .await
        .expect("the browser connected to the plain-http port");
    assert_eq!(first, Some(PlainHttpSaw::TlsHandshake));
    while let Ok(other) = seen.try_recv() {
        assert_eq!(
            other,
            PlainHttpSaw::TlsHandshake,
            "no plaintext request at all"
        );
    }

    browser.client.goto(&app.at("/")).await.unwrap();
    browser
        .wait_for("document.readyState === 'complete'", "the page")
        .await;
    let (status, _) = browser.press("logout").await;
    assert_eq!(status, "204");
    let (status, text) = browser.press("me").await;
    assert_eq!(status, "401", "after logout: {text}");
    assert_eq!(browser.access_cookie().await, None);
    browser.close().await;
}
