//! Cookie-name prefixes (RFC 6265bis §4.1.3): the defaults, the rules of
//! `__Host-Http-` and `__Http-` enforced at build time, and the local
//! plain-http switch, which alone makes the default names work.

use http::StatusCode;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::cookie::SameSite;
use tower_jwt_cookie::csrf::CsrfTokens;
use tower_jwt_cookie::{ConfigError, CookieAuthBuilder, MemoryStore};

use crate::support::*;

fn base() -> CookieAuthBuilder<MemoryStore> {
    builder(MemoryStore::new(), &ManualClock::new(NOW))
}

fn problem(builder: CookieAuthBuilder<MemoryStore>) -> (String, &'static str) {
    match builder.build().unwrap_err() {
        ConfigError::CookiePrefix { name, problem } => (name, problem),
        other => panic!("expected a prefix error, got {other:?}"),
    }
}

#[tokio::test]
async fn default_token_cookies_are_host_http_access_and_http_refresh() {
    let auth = base().build().unwrap();
    assert_eq!(auth.access_cookie_spec().name(), "__Host-Http-access");
    assert_eq!(auth.refresh_cookie_spec().name(), "__Http-refresh");
    let mut browser = Browser::default();
    let set = browser.login(&app(&auth), "alice").await.set_cookies();
    assert!(
        set[0].starts_with("__Host-Http-access=")
            && set[0].ends_with("; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=900"),
        "{}",
        set[0]
    );
    assert!(!set[0].contains("Domain"), "{}", set[0]);
    assert!(
        set[1].starts_with("__Http-refresh=")
            && set[1].ends_with("; HttpOnly; SameSite=Strict; Secure; Path=/auth; Max-Age=86400"),
        "{}",
        set[1]
    );
}

#[tokio::test]
async fn the_former_secure_refresh_name_is_still_an_explicit_choice() {
    let auth = base().refresh_cookie("__Secure-refresh").build().unwrap();
    assert_eq!(auth.refresh_cookie_spec().name(), "__Secure-refresh");
    let app = app(&auth);
    let mut browser = Browser::default();
    let set = browser.login(&app, "alice").await.set_cookies();
    let token = browser.cookie("__Secure-refresh").unwrap().to_owned();
    assert_eq!(
        set[1],
        format!(
            "__Secure-refresh={token}; HttpOnly; SameSite=Strict; Secure; Path=/auth; Max-Age=86400"
        )
    );
    // The refresh endpoint reads the configured name, and only that one.
    let mut renamed = Browser::default();
    renamed
        .cookies
        .insert("__Http-refresh".into(), (token.clone(), "/auth".into()));
    let reply = renamed.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("missing_token"))
    );
    assert_eq!(browser.refresh(&app).await.status, StatusCode::OK);
}

#[test]
fn host_http_cookie_with_a_domain_or_a_narrow_path_is_refused() {
    let (name, message) = problem(base().cookie_domain("app.example"));
    assert_eq!(name, "__Host-Http-access");
    assert!(message.contains("cannot have a Domain"), "{message}");
    assert!(message.contains("remove `.cookie_domain(..)`"), "{message}");

    let (name, message) = problem(base().refresh_cookie("__Host-Http-refresh"));
    assert_eq!(name, "__Host-Http-refresh");
    assert!(message.contains("needs Path=/"), "{message}");

    // Browsers match prefixes case-insensitively, and so does the check.
    let (name, _) = problem(
        base()
            .access_cookie("__HOST-HTTP-a")
            .cookie_domain("app.example"),
    );
    assert_eq!(name, "__HOST-HTTP-a");
}

#[tokio::test]
async fn http_prefixed_refresh_cookie_may_have_a_narrow_path_and_a_domain() {
    let auth = base()
        .access_cookie("__Http-access")
        .refresh_cookie("__Http-refresh")
        .cookie_domain("app.example")
        .build()
        .unwrap();
    let mut browser = Browser::default();
    let set = browser.login(&app(&auth), "alice").await.set_cookies();
    assert!(
        set[1].starts_with("__Http-refresh=")
            && set[1]
                .contains("; HttpOnly; SameSite=Strict; Secure; Path=/auth; Domain=app.example;"),
        "{}",
        set[1]
    );
}

#[test]
fn csrf_cookie_cannot_take_a_prefix_that_needs_http_only() {
    for name in ["__Host-Http-csrf", "__http-csrf"] {
        let tokens = CsrfTokens::new(&[7; 32])
            .unwrap()
            .with_cookie_name(name)
            .unwrap();
        let (refused, message) = problem(base().csrf_double_submit(tokens));
        assert_eq!(refused, name);
        assert!(message.contains("cannot be HttpOnly"), "{message}");
        assert!(message.contains("`__Host-csrf`"), "{message}");
    }
}

#[tokio::test]
async fn local_development_switch_alone_works_with_the_default_names() {
    let auth = base()
        .insecure_http_cookies_for_local_development()
        .build()
        .unwrap();
    assert_eq!(auth.access_cookie_spec().name(), "access");
    assert_eq!(auth.refresh_cookie_spec().name(), "refresh");
    assert!(!auth.access_cookie_spec().secure());
    let app = app(&auth);
    let mut browser = Browser::default();
    let set = browser.login(&app, "alice").await.set_cookies();
    assert_eq!(set[0].split_once('=').unwrap().0, "access", "{}", set[0]);
    assert!(set.iter().all(|c| !c.contains("Secure")), "{set:?}");
    assert_eq!(browser.me(&app).await.status, StatusCode::OK);
    assert_eq!(browser.refresh(&app).await.status, StatusCode::OK);
    assert_eq!(browser.me(&app).await.status, StatusCode::OK);
    assert_eq!(browser.logout(&app).await.status, StatusCode::NO_CONTENT);
    assert_eq!(browser.me(&app).await.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn local_development_switch_names_every_change_needed_at_once() {
    let error = base()
        .insecure_http_cookies_for_local_development()
        .access_cookie("__Host-Http-access")
        .refresh_cookie("__Secure-refresh")
        .csrf_double_submit(csrf_tokens().with_cookie_name("__Host-csrf").unwrap())
        .same_site(SameSite::None)
        .build()
        .unwrap_err();
    assert_eq!(
        error,
        ConfigError::PlainHttpCookies(vec![
            "cookie `__Host-Http-access` has the `__Host-Http-` prefix: drop `.access_cookie(..)` to get `access`, or pass a name without a prefix".into(),
            "cookie `__Secure-refresh` has the `__Secure-` prefix: drop `.refresh_cookie(..)` to get `refresh`, or pass a name without a prefix".into(),
            "cookie `__Host-csrf` has the `__Host-` prefix: drop `CsrfTokens::with_cookie_name(..)` to get `csrf`, or pass a name without a prefix".into(),
            "SameSite=None needs Secure: use `.same_site(SameSite::Lax)` or `Strict`".into(),
        ])
    );
    let message = error.to_string();
    assert!(
        message.starts_with(
            "`.insecure_http_cookies_for_local_development()` writes cookies without Secure"
        ),
        "{message}"
    );
    // The switch replaces names left at their default, not names equal to
    // it: the default refresh name, chosen explicitly, is refused too.
    assert_eq!(
        base()
            .insecure_http_cookies_for_local_development()
            .refresh_cookie("__Http-refresh")
            .build()
            .unwrap_err(),
        ConfigError::PlainHttpCookies(vec![
            "cookie `__Http-refresh` has the `__Http-` prefix: drop `.refresh_cookie(..)` to get `refresh`, or pass a name without a prefix".into(),
        ])
    );
}

/// verifier → double-submit check → handler: the status of a POST carrying
/// `browser`'s cookies and `header` as `X-CSRF-Token`.
async fn csrf_checked_post(
    auth: &tower_jwt_cookie::CookieAuth<MemoryStore>,
    browser: &Browser,
    header: &str,
) -> StatusCode {
    use tower::{ServiceBuilder, ServiceExt, service_fn};
    let service = ServiceBuilder::new()
        .layer(auth.verifier::<serde_json::Value>())
        .layer(auth.csrf_token_check::<serde_json::Value>().unwrap())
        .service(service_fn(|_: http::Request<_>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        }));
    let mut request = browser.request(http::Method::POST, "/api/notes", "{}");
    request
        .headers_mut()
        .insert("x-csrf-token", header.parse().unwrap());
    service.oneshot(request).await.unwrap().status()
}

/// The switch covers the double-submit cookie too: with the default name it
/// is written `csrf` without `Secure` (a `__Host-` cookie without it is
/// dropped by the browser, and every checked request would be refused), a
/// chosen name without a prefix is kept, and the check passes with it.
#[tokio::test]
async fn local_development_switch_covers_the_csrf_cookie() {
    for (tokens, name) in [
        (csrf_tokens(), "csrf"),
        (csrf_tokens().with_cookie_name("xsrf").unwrap(), "xsrf"),
    ] {
        let auth = base()
            .insecure_http_cookies_for_local_development()
            .csrf_double_submit(tokens)
            .build()
            .unwrap();
        let app = app(&auth);
        let mut browser = Browser::default();
        let set = browser.login(&app, "alice").await.set_cookies();
        let token = browser.cookie(name).expect("the CSRF cookie").to_owned();
        assert_eq!(
            set[2],
            format!("{name}={token}; Path=/; Max-Age=86400; SameSite=Strict")
        );
        assert_eq!(browser.cookie("__Host-csrf"), None);

        assert_eq!(
            csrf_checked_post(&auth, &browser, &token).await,
            StatusCode::OK
        );
        assert_eq!(
            csrf_checked_post(&auth, &browser, "forged").await,
            StatusCode::FORBIDDEN
        );

        let set = browser.logout(&app).await.set_cookies();
        assert_eq!(
            set[2],
            format!("{name}=; Path=/; Max-Age=0; SameSite=Strict")
        );
        assert_eq!(browser.cookie(name), None);
    }
}
