//! Bad refresh cookies get 401 with the exact reason and leave the family
//! untouched (the real refresh token still rotates afterwards), unless they
//! prove reuse.

use http::Method;
use http::header::COOKIE;
use serde_json::{Map, Value};
use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, SigningKey};
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::{Algorithm, Rejection};

use crate::support::*;

async fn logged_in() -> (ManualClock, App, Browser) {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock).build().unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    clock.advance(10);
    (clock, app, browser)
}

/// Presents `bad` as the refresh cookie: 401 with `reason`, no cookie
/// written; then the browser's real token still rotates.
async fn refused_and_family_untouched(bad: &str, reason: &str) {
    let (_clock, app, mut browser) = logged_in().await;
    let mut attacker = browser.clone();
    attacker.set_refresh(bad);
    let reply = attacker.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some(reason)),
        "{}",
        reply.body
    );
    assert!(
        reply.set_cookies().is_empty(),
        "bad input never clears or sets cookies"
    );
    assert!(reply.body.contains(reason));
    let reply = browser.refresh(&app).await;
    assert_eq!(reply.status, 200, "the family is untouched: {}", reply.body);
}

/// A refresh token for alice's session with every claim right, signed by `key`.
fn refresh_token(key: &SigningKey, kind: TokenKind, aud: &str, like: &str) -> String {
    let real = payload_of(like);
    let mut custom = Map::new();
    custom.insert("auth_time".into(), real["auth_time"].clone());
    let claims = Claims {
        registered: RegisteredClaims {
            iss: Some("https://app.example".into()),
            sub: Some("alice".into()),
            aud: vec![aud.into()],
            exp: real["exp"].as_i64(),
            iat: real["iat"].as_i64(),
            jti: real["jti"].as_str().map(Into::into),
            sid: real["sid"].as_str().map(Into::into),
            nbf: None,
        },
        custom: Value::Object(custom),
    };
    token::encode(key, kind, &claims).unwrap()
}

#[tokio::test]
async fn a_forged_refresh_token_is_refused_with_bad_signature() {
    let (_c, _a, browser) = logged_in().await;
    let forger = SigningKey::hmac("k1", Algorithm::HS256, &[9; 32]).unwrap();
    let forged = refresh_token(
        &forger,
        TokenKind::Refresh,
        "app#refresh",
        browser.refresh_token(),
    );
    refused_and_family_untouched(&forged, "bad_signature").await;
}

#[tokio::test]
async fn a_truncated_refresh_token_is_refused() {
    let (_c, _a, browser) = logged_in().await;
    let real = browser.refresh_token();
    // 43 signature characters cut to 40: still base64url, 30 bytes.
    refused_and_family_untouched(&real[..real.len() - 3], "bad_signature").await;
    let (_c, _a, browser) = logged_in().await;
    let real = browser.refresh_token();
    let cut = real.rfind('.').unwrap();
    refused_and_family_untouched(&real[..cut], "malformed").await;
}

#[tokio::test]
async fn an_access_token_in_the_refresh_cookie_is_refused_with_wrong_type() {
    let (_c, _a, browser) = logged_in().await;
    refused_and_family_untouched(browser.access(), "wrong_type").await;
}

#[tokio::test]
async fn a_refresh_typed_token_for_the_access_audience_is_refused_with_wrong_audience() {
    let (_c, _a, browser) = logged_in().await;
    let key = keys().signing_key().unwrap();
    let token = refresh_token(&key, TokenKind::Refresh, "app", browser.refresh_token());
    refused_and_family_untouched(&token, "wrong_audience").await;
}

#[tokio::test]
async fn an_oversized_refresh_cookie_is_refused_with_too_large() {
    refused_and_family_untouched(&"a".repeat(9000), "too_large").await;
}

#[tokio::test]
async fn a_missing_refresh_cookie_is_refused_with_missing_token() {
    let (_c, app, browser) = logged_in().await;
    let mut bare = Browser::default();
    let reply = bare.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("missing_token"))
    );
    assert!(reply.set_cookies().is_empty());
    drop(browser);
}

#[tokio::test]
async fn a_duplicated_refresh_cookie_is_refused_with_duplicate_cookie() {
    let (_c, app, mut browser) = logged_in().await;
    let real = browser.refresh_token().to_owned();
    // A junk duplicate is skipped (tests/it/attacks.rs); a second token of
    // ours, for another session, leaves the issuer unable to tell which
    // session the browser means.
    let mut mallory = Browser::default();
    mallory.login(&app, "mallory").await;
    let attacker = mallory.refresh_token().to_owned();
    let mut request = browser.request(Method::POST, "/auth/refresh", "");
    request.headers_mut().insert(
        COOKIE,
        format!("__Http-refresh={real}; __Http-refresh={attacker}")
            .parse()
            .unwrap(),
    );
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::DuplicateCookie)
    );
    assert_eq!(
        browser.refresh(&app).await.status,
        200,
        "the family is untouched"
    );
}

#[tokio::test]
async fn a_validly_signed_superseded_token_proves_reuse() {
    let (clock, app, mut browser) = logged_in().await;
    let old = browser.refresh_token().to_owned();
    browser.refresh(&app).await;
    clock.advance(6);
    let mut thief = Browser::default();
    thief.set_refresh(&old);
    let reply = thief.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("refresh_reused"))
    );
    assert_eq!(browser.refresh(&app).await.reason(), Some("revoked"));
}
