//! The signed double-submit token (OWASP CSRF Prevention Cheat Sheet,
//! "Signed Double-Submit Cookie") wired through the issuer:
//! login and refresh set a readable `__Host-csrf` cookie bound to the
//! session, logout clears it, and `CsrfTokenCheck` behind the verifier
//! accepts exactly that session's token.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::rejection::CsrfReason;
use tower_jwt_cookie::{CookieAuth, MemoryStore, Rejection};

use crate::support::*;

fn setup() -> (CookieAuth<MemoryStore>, App) {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .csrf_double_submit(csrf_tokens())
        .build()
        .unwrap();
    let app = app(&auth);
    (auth, app)
}

fn csrf_line(value: &str, max_age: i64) -> String {
    format!("__Host-csrf={value}; Path=/; Max-Age={max_age}; Secure; SameSite=Strict")
}

#[tokio::test]
async fn login_and_refresh_set_a_readable_csrf_cookie_bound_to_the_session() {
    let (_auth, app) = setup();
    let mut browser = Browser::default();
    let reply = browser.login(&app, "alice").await;
    assert_eq!(reply.status, StatusCode::OK);
    let csrf = browser.cookie("__Host-csrf").unwrap().to_owned();
    let lines = reply.set_cookies();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        lines[2],
        csrf_line(&csrf, 86_400),
        "readable (no HttpOnly), host-only, as long as the refresh cookie"
    );
    let sid = payload_of(browser.access())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        csrf_tokens().verify(&sid, csrf.as_bytes()),
        "bound to this session"
    );
    assert!(!csrf_tokens().verify("another-session", csrf.as_bytes()));

    let reply = browser.refresh(&app).await;
    assert_eq!(reply.status, StatusCode::OK);
    let renewed = browser.cookie("__Host-csrf").unwrap().to_owned();
    assert_ne!(renewed, csrf, "a fresh random value on every refresh");
    assert!(
        csrf_tokens().verify(&sid, renewed.as_bytes()),
        "still bound to the same session"
    );
    assert_eq!(reply.set_cookies()[2], csrf_line(&renewed, 86_400));
}

#[tokio::test]
async fn logout_clears_the_csrf_cookie_too() {
    let (_auth, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let reply = browser.logout(&app).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let lines = reply.set_cookies();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[2], csrf_line("", 0));
    assert_eq!(browser.cookie("__Host-csrf"), None);
}

/// verifier → double-submit check → handler, with the browser's cookies.
async fn post_note(
    auth: &CookieAuth<MemoryStore>,
    browser: &Browser,
    header: Option<&str>,
) -> (StatusCode, Option<Rejection>) {
    let service = ServiceBuilder::new()
        .layer(auth.verifier::<Value>())
        .layer(auth.csrf_token_check::<Value>().unwrap())
        .service(service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        }));
    let mut request = browser.request(Method::POST, "/api/notes", "{}");
    if let Some(value) = header {
        request
            .headers_mut()
            .insert("x-csrf-token", value.parse().unwrap());
    }
    let response = service.oneshot(request).await.unwrap();
    (
        response.status(),
        response.extensions().get::<Rejection>().cloned(),
    )
}

#[tokio::test]
async fn the_check_accepts_the_issued_token_and_refuses_another_sessions() {
    let (auth, app) = setup();
    let mut alice = Browser::default();
    alice.login(&app, "alice").await;
    let mut bob = Browser::default();
    bob.login(&app, "bob").await;

    let own = alice.cookie("__Host-csrf").unwrap().to_owned();
    assert_eq!(
        post_note(&auth, &alice, Some(&own)).await,
        (StatusCode::OK, None)
    );
    assert_eq!(
        post_note(&auth, &alice, None).await,
        (
            StatusCode::FORBIDDEN,
            Some(Rejection::Csrf(CsrfReason::MissingToken))
        )
    );
    // Bob's valid token, planted in Alice's header and cookie: bound to another session.
    let bobs = bob.cookie("__Host-csrf").unwrap().to_owned();
    let mut planted = alice.clone();
    planted
        .cookies
        .insert("__Host-csrf".into(), (bobs.clone(), "/".into()));
    assert_eq!(
        post_note(&auth, &planted, Some(&bobs)).await,
        (
            StatusCode::FORBIDDEN,
            Some(Rejection::Csrf(CsrfReason::InvalidToken))
        )
    );
}
