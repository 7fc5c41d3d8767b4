//! Attacks from the adversarial review: revocations that must hold, logouts
//! that cannot be blinded, configurations that cannot collide. Each test is
//! named after the attack and failed before its fix.

use std::time::Duration;

use http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use http::{Method, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use tower_jwt_cookie::clock::{Clock, ManualClock};
use tower_jwt_cookie::revocation::{
    AccessCheck, RotateOutcome, Rotation, TokenRevocation, TokenStatus,
};
use tower_jwt_cookie::token::RequiredClaim;
use tower_jwt_cookie::{ConfigError, MemoryStore, RevocationStore};

use crate::support::*;

/// The refresh cookie's value with its signature replaced: well-formed, but
/// not ours.
fn forged(token: &str) -> String {
    format!("{}.{}", &token[..token.rfind('.').unwrap()], "A".repeat(43))
}

/// Sends `POST path` with exactly this `Cookie` line and these
/// `Authorization` lines.
async fn send_raw(app: &App, path: &str, cookies: Option<&str>, authorization: &[&str]) -> Reply {
    let mut request = Browser::default().request(Method::POST, path, "");
    if let Some(cookies) = cookies {
        request
            .headers_mut()
            .insert(COOKIE, cookies.parse().unwrap());
    }
    for value in authorization {
        request
            .headers_mut()
            .append(AUTHORIZATION, value.parse().unwrap());
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

/// The revocation check of the access token whose payload is `claims`, at `now`.
fn access_check(claims: &Value, now: i64) -> AccessCheck<'_> {
    AccessCheck {
        jti: claims["jti"].as_str().unwrap(),
        sid: claims["sid"].as_str().unwrap(),
        sub: claims["sub"].as_str().unwrap(),
        issued_at: claims["iat"].as_i64().unwrap(),
        now,
    }
}

/// A rotation that asks the store how it sees the refresh token whose
/// payload is `claims`, at `now` (the default 5 s grace): `WithinGrace`,
/// `Unknown` and `Reused` answers change nothing a test then looks at.
fn rotation_probe(claims: &Value, now: i64) -> Rotation<'_> {
    Rotation {
        sub: claims["sub"].as_str().unwrap(),
        sid: claims["sid"].as_str().unwrap(),
        presented_jti: claims["jti"].as_str().unwrap(),
        next_jti: "never current",
        now,
        grace_secs: 5,
        idle_expires_at: now + 24 * 3600,
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
        &[],
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
        &[],
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
    let plants: [fn(&str) -> String; 2] = [|_| "junk".to_owned(), forged];
    for plant in plants {
        // A session of its own per case: the genuine token is the family's
        // current one, so a 200 can only come from a real rotation, never
        // from the grace window a previous case opened.
        let clock = ManualClock::new(NOW);
        let store = MemoryStore::new();
        let app = app(&builder(store.clone(), &clock).build().unwrap());
        let mut victim = Browser::default();
        victim.login(&app, "alice").await;
        clock.advance(10);
        let own = victim.refresh_token().to_owned();
        let planted = plant(&own);
        let reply = send_raw(
            &app,
            "/auth/refresh",
            Some(&format!("__Http-refresh={planted}; __Http-refresh={own}")),
            &[],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "planted {planted}");
        assert_eq!(reply.set_cookies().len(), 2);
        let mut refreshed = Browser::default();
        refreshed.absorb(&reply.headers);
        let (old, new) = (payload_of(&own), payload_of(refreshed.refresh_token()));
        assert_eq!(new["sid"], old["sid"], "the genuine session was refreshed");
        assert_ne!(new["jti"], old["jti"], "with a new refresh token");
        // The store rotated the family once, from the genuine token to the
        // new one: the genuine token is now the previous one, inside its
        // grace window (a second rotation would make it reuse).
        assert_eq!(
            store
                .rotate(rotation_probe(&old, clock.now()))
                .await
                .unwrap(),
            RotateOutcome::WithinGrace {
                current_jti: new["jti"].as_str().unwrap().to_owned(),
                idle_expires_at: new["exp"].as_i64().unwrap(),
            },
            "planted {planted}"
        );
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
        &[],
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
        &[],
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
async fn a_token_revoked_by_jti_inside_its_leeway_cannot_log_out_every_device() {
    for cookie in ["__Host-Http-access", "__Http-refresh"] {
        let clock = ManualClock::new(NOW);
        let store = MemoryStore::new();
        let auth = builder(store.clone(), &clock)
            .leeway(Duration::from_secs(30))
            .build()
            .unwrap();
        let app = app(&auth);
        let mut laptop = Browser::default();
        laptop.login(&app, "alice").await;
        let mut phone = Browser::default();
        phone.login(&app, "alice").await;
        // The laptop's token leaked and was revoked by its jti until its exp.
        let stolen = laptop.cookie(cookie).unwrap().to_owned();
        let claims = payload_of(&stolen);
        let exp = claims["exp"].as_i64().unwrap();
        let revocation = TokenRevocation {
            sub: "alice",
            jti: claims["jti"].as_str().unwrap(),
            expires_at: exp,
        };
        store.revoke_token(revocation).await.unwrap();
        // Past its exp, inside the leeway: unexpired by the policy, and a
        // store may have forgotten a revocation whose `expires_at` passed.
        clock.set(exp + 10);
        if cookie == "__Host-Http-access" {
            assert_eq!(
                laptop.me(&app).await.reason(),
                Some("revoked"),
                "the verifier refuses the token this very second"
            );
        }
        // No Origin header: only the issuer's liveness check stands between
        // the revoked token and every session of the account.
        let reply = send_raw(
            &app,
            "/auth/logout-all",
            Some(&format!("{cookie}={stolen}")),
            &[],
        )
        .await;
        assert_eq!(
            (reply.status.as_u16(), reply.reason()),
            (401, Some("revoked")),
            "{cookie}: a revoked token is no live credential"
        );
        assert!(
            reply.set_cookies().is_empty(),
            "{cookie}: the cookies are kept"
        );
        // Nothing was revoked: neither the phone's session and token (no
        // cutoff for alice either) nor the laptop's session.
        let phone_token = payload_of(phone.access());
        let phone_check = access_check(&phone_token, clock.now());
        assert_eq!(
            store.check(phone_check).await.unwrap(),
            TokenStatus::Active,
            "{cookie}: the phone is still in"
        );
        let laptop_session = AccessCheck {
            jti: "another token of the session",
            sid: claims["sid"].as_str().unwrap(),
            ..phone_check
        };
        assert_eq!(
            store.check(laptop_session).await.unwrap(),
            TokenStatus::Active,
            "{cookie}: only the token was revoked, not its session"
        );
    }
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
        &[],
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
    let reply = send_raw(&app, "/auth/logout", None, &[&bearer]).await;
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

#[tokio::test]
async fn a_second_authorization_header_cannot_make_a_bearer_logout_report_success() {
    for path in ["/auth/logout", "/auth/logout-all"] {
        let clock = ManualClock::new(NOW);
        let store = MemoryStore::new();
        let auth = builder(store.clone(), &clock).bearer(true).build().unwrap();
        let app = app(&auth);
        let mut browser = Browser::default();
        browser.login(&app, "alice").await;
        let claims = payload_of(browser.access());
        let bearer = format!("Bearer {}", browser.access());
        // Two lines are ambiguous (which one did the client send, which one
        // did a proxy add?): refused, as the verifier refuses them, not
        // answered as if the request carried no token at all.
        let reply = send_raw(&app, path, None, &[&bearer, &bearer]).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            reply.rejection,
            Some(tower_jwt_cookie::Rejection::Malformed(
                "more than one Authorization header"
            )),
            "{path}"
        );
        assert!(reply.set_cookies().is_empty(), "{path}: nothing cleared");
        // Nothing was revoked: the session and its token still pass.
        assert_eq!(
            store
                .check(access_check(&claims, clock.now()))
                .await
                .unwrap(),
            TokenStatus::Active,
            "{path}"
        );
        let reply = send_raw(&app, "/api/me", None, &[&bearer]).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: still logged in");
    }
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
    let access = payload_of(browser.access());
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
    assert_eq!(
        reply.set_cookies(),
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ],
        "no new token is set; this refresh token can never succeed again, so both cookies are cleared"
    );
    // The store: the revoked token still cannot rotate (the refusal rotated
    // nothing in its place), and `revoke_token` ended that token only: the
    // session and its access token are not revoked.
    assert_eq!(
        store
            .rotate(rotation_probe(&claims, clock.now()))
            .await
            .unwrap(),
        RotateOutcome::Unknown
    );
    assert_eq!(
        store
            .check(access_check(&access, clock.now()))
            .await
            .unwrap(),
        TokenStatus::Active
    );
}
