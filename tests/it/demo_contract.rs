//! The demo's HTTP contract (the routes of `examples/demo/app.rs`), checked with a real HTTP
//! client over TCP against the demo running in-process: every route, its
//! statuses, each cookie's attributes, clearing, rotation and reuse
//! detection, logout and logout everywhere, and the JWKS.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::demo::DemoServer;
use crate::support::demo::users::Users;

pub(super) fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// One `Set-Cookie` header, split into name, value and attributes.
#[derive(Debug, Clone)]
struct SetCookie {
    name: String,
    value: String,
    attributes: Vec<String>,
}

impl SetCookie {
    fn parse(header: &str) -> Self {
        let mut parts = header.split(';').map(str::trim);
        let (name, value) = parts.next().unwrap().split_once('=').unwrap();
        Self {
            name: name.to_owned(),
            value: value.to_owned(),
            attributes: parts.map(str::to_owned).collect(),
        }
    }

    fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find_map(|a| {
            let (n, v) = a.split_once('=')?;
            n.eq_ignore_ascii_case(name).then_some(v)
        })
    }

    fn pair(&self) -> String {
        format!("{}={}", self.name, self.value)
    }
}

fn set_cookies(headers: &HeaderMap) -> Vec<SetCookie> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| SetCookie::parse(v.to_str().unwrap()))
        .collect()
}

fn named<'a>(cookies: &'a [SetCookie], name: &str) -> &'a SetCookie {
    cookies
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no Set-Cookie for {name} in {cookies:?}"))
}

/// The cookies of one browser session.
#[derive(Debug, Clone)]
pub(super) struct Tokens {
    access: String,
    refresh: String,
}

impl Tokens {
    fn from(cookies: &[SetCookie]) -> Self {
        Self {
            access: named(cookies, "__Host-Http-access").pair(),
            refresh: named(cookies, "__Http-refresh").pair(),
        }
    }

    /// What a browser sends to `/api/*` (Path=/ only).
    pub(super) fn api(&self) -> &str {
        &self.access
    }

    /// What a browser sends to `/auth/*` (both cookies).
    pub(super) fn auth(&self) -> String {
        format!("{}; {}", self.access, self.refresh)
    }
}

pub(super) async fn login(server: &DemoServer, user: &str, password: &str) -> reqwest::Response {
    client()
        .post(server.at("/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap()
}

pub(super) async fn login_ok(server: &DemoServer, user: &str, password: &str) -> Tokens {
    let response = login(server, user, password).await;
    assert_eq!(response.status(), StatusCode::OK);
    Tokens::from(&set_cookies(response.headers()))
}

pub(super) async fn get(server: &DemoServer, path: &str, cookie: &str) -> reqwest::Response {
    let mut request = client().get(server.at(path));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

pub(super) async fn post(server: &DemoServer, path: &str, cookie: &str) -> reqwest::Response {
    let mut request = client().post(server.at(path));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

async fn me_status(server: &DemoServer, tokens: &Tokens) -> StatusCode {
    get(server, "/api/me", tokens.api()).await.status()
}

async fn refresh(server: &DemoServer, refresh_cookie: &str) -> reqwest::Response {
    post(server, "/auth/refresh", refresh_cookie).await
}

async fn reason(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn page_is_plain_html_with_a_separate_script_and_strict_headers() {
    let server = DemoServer::start(|_| {}).await;
    let page = get(&server, "/", "").await;
    assert_eq!(page.status(), StatusCode::OK);
    let h = page.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    // Plain http: no HSTS (RFC 6797 §7.2); tests/browser.rs sees it over HTTPS.
    assert_eq!(h.get("strict-transport-security"), None);
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="/app.js" defer></script>"#));
    assert_eq!(html.matches("<script").count(), 1, "no inline script");
    for handler in [" onclick=", " onsubmit=", " onload=", "javascript:"] {
        assert!(!html.contains(handler), "inline handler {handler}");
    }

    let script = get(&server, "/app.js", "").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    assert!(script.text().await.unwrap().contains("/auth/refresh"));
    let style = get(&server, "/app.css", "").await;
    assert_eq!(style.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_sets_both_token_cookies_with_their_attributes() {
    let server = DemoServer::start(|_| {}).await;
    let response = login(&server, "alice", "wonderland").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(response.headers());
    assert_eq!(cookies.len(), 2, "{cookies:?}");

    let access = named(&cookies, "__Host-Http-access");
    assert!(access.has("HttpOnly") && access.has("Secure"), "{access:?}");
    assert_eq!(access.attr("SameSite"), Some("Strict"));
    assert_eq!(access.attr("Path"), Some("/"));
    assert_eq!(access.attr("Max-Age"), Some("900"), "15 min access token");
    assert_eq!(
        access.attr("Domain"),
        None,
        "__Host- cookies have no Domain"
    );
    assert_eq!(access.value.matches('.').count(), 2, "a compact JWT");

    let refresh = named(&cookies, "__Http-refresh");
    assert!(
        refresh.has("HttpOnly") && refresh.has("Secure"),
        "{refresh:?}"
    );
    assert_eq!(refresh.attr("SameSite"), Some("Strict"));
    assert_eq!(refresh.attr("Path"), Some("/auth"), "never sent to /api");
    assert_eq!(refresh.attr("Max-Age"), Some("86400"), "the idle lifetime");
    assert_eq!(refresh.attr("Domain"), None);

    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "sub": "alice", "roles": ["reader", "writer"] })
    );
}

#[tokio::test]
async fn wrong_password_or_unknown_user_is_401_without_cookies() {
    let server = DemoServer::start(|_| {}).await;
    for (user, password) in [
        ("alice", "WONDERLAND"),
        ("alice", ""),
        ("bob", "wonderland"),
        ("nobody", "builder"),
        ("alice", &"x".repeat(10_000)),
    ] {
        let response = login(&server, user, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{user}");
        assert!(set_cookies(response.headers()).is_empty());
        assert_eq!(reason(response).await, "invalid_credentials");
    }
    assert_eq!(
        login(&server, "bob", "builder").await.status(),
        StatusCode::OK
    );
}

#[test]
fn an_unknown_user_costs_as_much_as_a_wrong_password() {
    // Without the dummy hash an unknown name is answered in microseconds and
    // a known one in tens of milliseconds: a user-enumeration oracle. The
    // bound is loose (0.3x) so that a busy machine cannot make it flaky.
    let users = Users::demo();
    let median = |user: &str| {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                assert!(users.authenticate(user, "not the password").is_none());
                start.elapsed()
            })
            .collect();
        times.sort();
        times[2]
    };
    let known = median("alice");
    let unknown = median("mallory");
    assert!(
        unknown.as_secs_f64() >= 0.3 * known.as_secs_f64(),
        "unknown user {unknown:?} vs wrong password {known:?}"
    );
    assert_eq!(
        users.authenticate("alice", "wonderland").unwrap().name,
        "alice"
    );
    assert_eq!(users.authenticate("bob", "builder").unwrap().name, "bob");
}

#[tokio::test]
async fn me_answers_200_with_sub_roles_exp_only_with_a_valid_access_cookie() {
    let server = DemoServer::start(|_| {}).await;
    let tokens = login_ok(&server, "bob", "builder").await;
    let response = get(&server, "/api/me", tokens.api()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sub"], "bob");
    assert_eq!(body["roles"], json!(["reader", "admin"]));
    assert!(body["exp"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(body.as_object().unwrap().len(), 3);

    let none = get(&server, "/api/me", "").await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(
        none.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(reason(none).await, "missing_token");

    let forged = format!("{}x", tokens.access);
    let response = get(&server, "/api/me", &forged).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The refresh token is never an access token, even in the access cookie.
    let swapped = tokens
        .refresh
        .replace("__Http-refresh", "__Host-Http-access");
    let response = get(&server, "/api/me", &swapped).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn notes_need_a_session_and_are_refused_cross_site() {
    let server = DemoServer::start(|_| {}).await;
    let tokens = login_ok(&server, "alice", "wonderland").await;
    let add = |cookie: String, headers: Vec<(&'static str, &'static str)>| {
        let mut request = client()
            .post(server.at("/api/notes"))
            .json(&json!({ "text": "buy milk" }));
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    let created = add(
        tokens.api().to_owned(),
        vec![("sec-fetch-site", "same-origin")],
    )
    .await
    .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.json::<Value>().await.unwrap(),
        json!({ "id": 1, "text": "buy milk" })
    );

    let forged = add(
        tokens.api().to_owned(),
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://evil.example"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(reason(forged).await, "csrf_cross_site");
    let old_browser = add(
        tokens.api().to_owned(),
        vec![("origin", "http://evil.example")],
    )
    .await
    .unwrap();
    assert_eq!(old_browser.status(), StatusCode::FORBIDDEN);

    let anonymous = add(String::new(), vec![]).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let list = get(&server, "/api/notes", tokens.api()).await;
    assert_eq!(list.status(), StatusCode::OK);
    assert_eq!(
        list.json::<Value>().await.unwrap(),
        json!([{ "id": 1, "text": "buy milk" }])
    );
    assert_eq!(
        server.notes.total(),
        1,
        "the refused requests created nothing"
    );
}

#[tokio::test]
async fn login_refresh_and_logout_are_behind_the_csrf_guard_too() {
    let server = DemoServer::start(|_| {}).await;
    let tokens = login_ok(&server, "alice", "wonderland").await;
    let forged_login = client()
        .post(server.at("/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "http://evil.example")
        .json(&json!({ "username": "alice", "password": "wonderland" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged_login.status(), StatusCode::FORBIDDEN);
    assert!(set_cookies(forged_login.headers()).is_empty());
    for path in ["/auth/refresh", "/auth/logout", "/auth/logout-all"] {
        let forged = client()
            .post(server.at(path))
            .header("cookie", tokens.auth())
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(set_cookies(forged.headers()).is_empty(), "{path}");
    }
    assert_eq!(
        me_status(&server, &tokens).await,
        StatusCode::OK,
        "session untouched"
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let server = DemoServer::start(|_| {}).await;
    let first = login_ok(&server, "alice", "wonderland").await;

    let response = refresh(&server, &first.refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(response.headers());
    let second = Tokens::from(&cookies);
    assert_ne!(second.refresh, first.refresh, "rotated");
    assert_ne!(second.access, first.access);
    assert_eq!(
        named(&cookies, "__Http-refresh").attr("Path"),
        Some("/auth")
    );
    assert!(named(&cookies, "__Host-Http-access").has("HttpOnly"));
    let body: Value = response.json().await.unwrap();
    for field in [
        "access_expires_at",
        "refresh_expires_at",
        "session_expires_at",
    ] {
        assert!(body[field].is_i64(), "{field} in {body}");
    }
    assert_eq!(me_status(&server, &second).await, StatusCode::OK);

    let response = refresh(&server, &second.refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let third = Tokens::from(&set_cookies(response.headers()));

    // The first refresh token is two rotations old: reuse, whatever the grace window.
    let reused = refresh(&server, &first.refresh).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    let cleared = set_cookies(reused.headers());
    assert!(
        cleared.iter().all(|c| c.attr("Max-Age") == Some("0")),
        "{cleared:?}"
    );
    assert_eq!(reason(reused).await, "refresh_reused");

    // The family is revoked: the newest tokens are refused too.
    assert_eq!(
        refresh(&server, &third.refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me_status(&server, &third).await, StatusCode::UNAUTHORIZED);

    let no_cookie = refresh(&server, "").await;
    assert_eq!(no_cookie.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_this_session_and_clears_both_cookies() {
    let server = DemoServer::start(|_| {}).await;
    let phone = login_ok(&server, "alice", "wonderland").await;
    let laptop = login_ok(&server, "alice", "wonderland").await;

    let response = post(&server, "/auth/logout", &phone.auth()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookies(response.headers());
    let access = named(&cleared, "__Host-Http-access");
    let refresh_cookie = named(&cleared, "__Http-refresh");
    for (cookie, path) in [(access, "/"), (refresh_cookie, "/auth")] {
        assert_eq!(cookie.value, "");
        assert_eq!(cookie.attr("Max-Age"), Some("0"));
        assert_eq!(cookie.attr("Path"), Some(path), "clearing repeats the Path");
        assert!(cookie.has("Secure") && cookie.has("HttpOnly"));
    }

    assert_eq!(me_status(&server, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&server, &phone.refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me_status(&server, &laptop).await,
        StatusCode::OK,
        "other sessions live on"
    );
    assert_eq!(
        refresh(&server, &laptop.refresh).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_everywhere_revokes_every_session_of_the_user_only() {
    let server = DemoServer::start(|_| {}).await;
    let phone = login_ok(&server, "alice", "wonderland").await;
    let laptop = login_ok(&server, "alice", "wonderland").await;
    let bob = login_ok(&server, "bob", "builder").await;

    let response = post(&server, "/auth/logout-all", &phone.auth()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookies(response.headers());
    assert_eq!(cleared.len(), 2);
    assert!(cleared.iter().all(|c| c.attr("Max-Age") == Some("0")));

    for tokens in [&phone, &laptop] {
        assert_eq!(me_status(&server, tokens).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            refresh(&server, &tokens.refresh).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(me_status(&server, &bob).await, StatusCode::OK);
    let again = login_ok(&server, "alice", "wonderland").await;
    assert_eq!(
        me_status(&server, &again).await,
        StatusCode::OK,
        "a new login works"
    );
}

#[tokio::test]
async fn jwks_publishes_the_public_signing_key_and_nothing_private() {
    let server = DemoServer::start(|_| {}).await;
    let response = get(&server, "/.well-known/jwks.json", "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        assert!(
            key.get(private).is_none(),
            "private member {private} published"
        );
    }

    // The published key verifies the tokens the demo issues (checked with
    // plain jsonwebtoken, as a third party would; with both crypto features
    // on it needs to be told which backend to use).
    #[cfg(feature = "aws_lc_rs")]
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let tokens = login_ok(&server, "alice", "wonderland").await;
    let token = tokens.access.trim_start_matches("__Host-Http-access=");
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["tower-jwt-cookie-demo"]);
    validation.set_issuer(&[server.url.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["sub"], "alice");
}

#[tokio::test]
async fn allowed_origin_gets_credentialed_cors_and_others_do_not() {
    let spa = "http://localhost:5173";
    let server = DemoServer::start(|c| c.allowed_origins = vec![spa.to_owned()]).await;
    let tokens = login_ok(&server, "alice", "wonderland").await;
    let preflight = |origin: &'static str| {
        client()
            .request(reqwest::Method::OPTIONS, server.at("/api/notes"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(spa).await.unwrap();
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(allowed.headers()["access-control-allow-origin"], spa);
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let other = preflight("http://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // The allow-listed page may also POST (the guard trusts the same origins).
    let cross = client()
        .post(server.at("/api/notes"))
        .header("cookie", tokens.api())
        .header("origin", spa)
        .header("sec-fetch-site", "same-site")
        .json(&json!({ "text": "from the SPA" }))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::CREATED);
    assert_eq!(cross.headers()["access-control-allow-origin"], spa);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_refused() {
    let server = DemoServer::start(|_| {}).await;
    assert_eq!(
        get(&server, "/nope", "").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&server, "/auth/login", "").await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}
