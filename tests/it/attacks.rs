//! Attacks from the adversarial review: revocations that must hold, logouts
//! that cannot be blinded, configurations that cannot collide. Each test is
//! named after the attack and failed before its fix.

use std::time::Duration;

use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use http::{Method, StatusCode};
use tower::ServiceExt;
use tower_jwt_cookie::clock::{Clock, ManualClock};
use tower_jwt_cookie::revocation::{AccessCheck, TokenRevocation, TokenStatus};
use tower_jwt_cookie::token::RequiredClaim;
use tower_jwt_cookie::{ConfigError, MemoryStore, RevocationStore};

use crate::support::*;

/// The refresh cookie's value with its signature replaced: well-formed, but
/// not ours.
fn forged(token: &str) -> String {
    format!("{}.{}", &token[..token.rfind('.').unwrap()], "A".repeat(43))
}

/// Sends `method path` with exactly this `Cookie` line (and `Authorization`).
async fn send_raw(
    app: &App,
    path: &str,
    cookies: Option<&str>,
    authorization: Option<&str>,
) -> Reply {
    let mut request = Browser::default().request(Method::POST, path, "");
    if let Some(cookies) = cookies {
        request
            .headers_mut()
            .insert(COOKIE, cookies.parse().unwrap());
    }
    if let Some(value) = authorization {
        request
            .headers_mut()
            .insert(AUTHORIZATION, value.parse().unwrap());
    }
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, _) = response.into_parts();
    Reply {
        status: parts.status,
        rejection: parts.extensions.get().cloned(),
        headers: parts.headers,
        body: String::new(),
    }
}

fn logged_in_app() -> (ManualClock, App) {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock).build().unwrap();
    (clock, app(&auth))
}

#[tokio::test]
async fn four_planted_junk_refresh_cookies_cannot_blind_a_logout() {
    let (clock, app) = logged_in_app();
    let mut victim = Browser::default();
    victim.login(&app, "alice").await;
    // The access cookie is gone (Max-Age); a sibling subdomain planted four
    // junk refresh cookies with a longer Path, so the browser sends them first.
    clock.advance(1000);
    let own = victim.refresh_token().to_owned();
    let junk = "__Http-refresh=x; ".repeat(4);
    let reply = send_raw(
        &app,
        "/auth/logout",
        Some(&format!("{junk}__Http-refresh={own}")),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = victim.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked")),
        "the genuine session must be ended"
    );
}

#[tokio::test]
async fn more_well_formed_planted_refresh_cookies_than_the_bound_refuse_the_logout() {
    let (clock, app) = logged_in_app();
    let mut victim = Browser::default();
    victim.login(&app, "alice").await;
    clock.advance(1000);
    let own = victim.refresh_token().to_owned();
    let planted = format!("__Http-refresh={}; ", forged(&own)).repeat(4);
    let reply = send_raw(
        &app,
        "/auth/logout",
        Some(&format!("{planted}__Http-refresh={own}")),
        None,
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("duplicate_cookie")),
        "a logout that cannot check every candidate must not report success"
    );
    assert!(
        reply.headers.get_all(SET_COOKIE).iter().next().is_none(),
        "the cookies are kept, so the user can retry"
    );
    assert_eq!(
        victim.refresh(&app).await.status,
        200,
        "nothing was revoked"
    );
}

#[tokio::test]
async fn a_planted_junk_refresh_cookie_cannot_block_refresh() {
    let (clock, app) = logged_in_app();
    let mut victim = Browser::default();
    victim.login(&app, "alice").await;
    clock.advance(10);
    let own = victim.refresh_token().to_owned();
    for planted in ["junk".to_owned(), forged(&own)] {
        let reply = send_raw(
            &app,
            "/auth/refresh",
            Some(&format!("__Http-refresh={planted}; __Http-refresh={own}")),
            None,
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "planted {planted}");
        assert_eq!(reply.set_cookies().len(), 2);
    }
}

#[tokio::test]
async fn two_valid_refresh_tokens_of_different_sessions_refuse_refresh() {
    let (clock, app) = logged_in_app();
    let mut victim = Browser::default();
    victim.login(&app, "alice").await;
    let mut mallory = Browser::default();
    mallory.login(&app, "mallory").await;
    clock.advance(10);
    let reply = send_raw(
        &app,
        "/auth/refresh",
        Some(&format!(
            "__Http-refresh={}; __Http-refresh={}",
            mallory.refresh_token(),
            victim.refresh_token()
        )),
        None,
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("duplicate_cookie"))
    );
    assert!(reply.set_cookies().is_empty());
    assert_eq!(victim.refresh(&app).await.status, 200);
    assert_eq!(mallory.refresh(&app).await.status, 200);
}

#[tokio::test]
async fn a_token_revoked_by_jti_stays_revoked_through_the_leeway() {
    let clock = ManualClock::new(NOW);
    let store = MemoryStore::new();
    let auth = builder(store.clone(), &clock)
        .leeway(Duration::from_secs(30))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let claims = payload_of(browser.access());
    let exp = claims["exp"].as_i64().unwrap();
    let revocation = TokenRevocation {
        sub: "alice",
        jti: claims["jti"].as_str().unwrap(),
        expires_at: exp,
    };
    store.revoke_token(revocation).await.unwrap();
    clock.set(exp + 10);
    let reply = browser.me(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked")),
        "accepted by the leeway, the token must still be revoked"
    );
}

#[tokio::test]
async fn a_family_revoked_for_reuse_stays_revoked_through_the_leeway() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .leeway(Duration::from_secs(30))
        .session_idle_lifetime(Duration::from_secs(1000))
        .session_absolute_lifetime(Duration::from_secs(1000))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let stolen = browser.refresh_token().to_owned();
    clock.advance(500);
    assert_eq!(browser.refresh(&app).await.status, 200);
    // Its exp is the session's absolute expiry, NOW + 1000.
    assert_eq!(payload_of(browser.access())["exp"], NOW + 1000);
    clock.advance(100);
    let mut thief = Browser::default();
    thief.set_refresh(&stolen);
    assert_eq!(thief.refresh(&app).await.reason(), Some("refresh_reused"));
    clock.set(NOW + 1010);
    let reply = browser.me(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked"))
    );
}

#[tokio::test]
async fn an_expired_access_token_cannot_log_out_everywhere() {
    let (clock, app) = logged_in_app();
    let mut old_laptop = Browser::default();
    old_laptop.login(&app, "alice").await;
    let stale = old_laptop.access().to_owned();
    clock.advance(2 * 24 * 3600);
    let mut phone = Browser::default();
    phone.login(&app, "alice").await;
    // No Origin header, so the CSRF guard would let it pass: only the issuer
    // stands between a days-old token and every session of the account.
    let reply = send_raw(
        &app,
        "/auth/logout-all",
        Some(&format!("__Host-Http-access={stale}")),
        None,
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("expired"))
    );
    assert!(reply.set_cookies().is_empty());
    assert_eq!(phone.me(&app).await.status, 200, "the phone is still in");
    assert_eq!(phone.refresh(&app).await.status, 200);
}

#[tokio::test]
async fn logout_everywhere_with_a_live_refresh_token_still_works_after_the_access_token_expired() {
    let (clock, app) = logged_in_app();
    let mut laptop = Browser::default();
    laptop.login(&app, "alice").await;
    let mut phone = Browser::default();
    phone.login(&app, "alice").await;
    clock.advance(1000); // the access token expired; the refresh token lives
    let reply = laptop.logout_all(&app).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(phone.refresh(&app).await.reason(), Some("revoked"));
}

#[tokio::test]
async fn a_token_older_than_a_whole_session_cannot_even_log_out() {
    let clock = ManualClock::new(NOW);
    let store = MemoryStore::new();
    let app = app(&builder(store.clone(), &clock).build().unwrap());
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let ancient = browser.access().to_owned();
    let sid = payload_of(&ancient)["sid"].as_str().unwrap().to_owned();
    clock.advance(8 * 24 * 3600); // past the 7-day absolute lifetime and exp
    let mut fresh = Browser::default();
    fresh.login(&app, "alice").await;
    assert_ne!(payload_of(fresh.access())["sid"], sid);
    let reply = send_raw(
        &app,
        "/auth/logout",
        Some(&format!("__Host-Http-access={ancient}")),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(fresh.me(&app).await.status, 200);
    // The ancient token named nothing: the store recorded no revocation.
    let check = AccessCheck {
        jti: "any",
        sid: &sid,
        sub: "alice",
        issued_at: clock.now(),
        now: clock.now(),
    };
    assert_eq!(store.check(check).await.unwrap(), TokenStatus::Active);
}

#[tokio::test]
async fn a_bearer_client_can_log_out() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .bearer(true)
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let token = browser.access().to_owned();
    let bearer = format!("Bearer {token}");
    let reply = send_raw(&app, "/auth/logout", None, Some(&bearer)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let mut client = Browser::default();
    let mut request = client.request(Method::GET, "/api/me", "");
    request
        .headers_mut()
        .insert(AUTHORIZATION, bearer.parse().unwrap());
    let response = app.clone().oneshot(request).await.unwrap();
    client.absorb(response.headers());
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.extensions().get(),
        Some(&tower_jwt_cookie::Rejection::Revoked)
    );
}

#[test]
fn max_age_without_iat_is_a_configuration_error() {
    let clock = ManualClock::new(NOW);
    let result = builder(MemoryStore::new(), &clock)
        .allow_missing(RequiredClaim::Iat)
        .max_age(Duration::from_secs(60))
        .build();
    assert_eq!(result.err(), Some(ConfigError::MaxAgeWithoutIat));
}

#[test]
fn a_csrf_cookie_named_like_a_token_cookie_is_a_configuration_error() {
    let clock = ManualClock::new(NOW);
    let result = builder(MemoryStore::new(), &clock)
        .access_cookie("__Host-csrf")
        .csrf_double_submit(csrf_tokens())
        .build();
    assert_eq!(
        result.err(),
        Some(ConfigError::SameCookieNames("__Host-csrf".into()))
    );
    // A script-readable CSRF cookie cannot take the default refresh name
    // (`__Http-` needs HttpOnly), so the clash is shown with a name it can.
    let result = builder(MemoryStore::new(), &clock)
        .refresh_cookie("__Secure-refresh")
        .csrf_double_submit(csrf_tokens().with_cookie_name("__Secure-refresh").unwrap())
        .build();
    assert_eq!(
        result.err(),
        Some(ConfigError::SameCookieNames("__Secure-refresh".into()))
    );
}

#[tokio::test]
async fn a_refresh_token_revoked_by_jti_cannot_refresh() {
    let clock = ManualClock::new(NOW);
    let store = MemoryStore::new();
    let app = app(&builder(store.clone(), &clock).build().unwrap());
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let claims = payload_of(browser.refresh_token());
    let revocation = TokenRevocation {
        sub: "alice",
        jti: claims["jti"].as_str().unwrap(),
        expires_at: claims["exp"].as_i64().unwrap(),
    };
    store.revoke_token(revocation).await.unwrap();
    clock.advance(10);
    let reply = browser.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked"))
    );
}
