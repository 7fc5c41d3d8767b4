//! Sessions end to end: login, refresh rotation with reuse detection and a
//! grace window, logout, logout everywhere, idle and absolute expiry, and
//! every cookie attribute. Time is a ManualClock: no sleeps.

use std::time::Duration;

use http::Method;
use http::header::CACHE_CONTROL;
use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::clock::ManualClock;

use crate::support::*;

fn setup() -> (ManualClock, App) {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock).build().unwrap();
    (clock, app(&auth))
}

fn cookie_line(name: &str, value: &str, path: &str, max_age: i64) -> String {
    format!("{name}={value}; HttpOnly; SameSite=Strict; Secure; Path={path}; Max-Age={max_age}")
}

#[tokio::test]
async fn login_sets_both_cookies_with_every_attribute() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    let reply = browser.login(&app, "alice").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers[CACHE_CONTROL], "no-store");
    let access = browser.access().to_owned();
    let refresh = browser.refresh_token().to_owned();
    assert_eq!(
        reply.set_cookies(),
        [
            cookie_line("__Host-Http-access", &access, "/", 900),
            cookie_line("__Http-refresh", &refresh, "/auth", 86_400),
        ]
    );
    let (a, r) = (payload_of(&access), payload_of(&refresh));
    assert_eq!(
        a["exp"],
        NOW + 900,
        "Max-Age equals the access token's remaining life"
    );
    assert_eq!(
        r["exp"],
        NOW + 86_400,
        "Max-Age equals the refresh token's remaining life"
    );
    assert_eq!(
        (a["sub"].as_str(), a["aud"].as_str(), a["iat"].as_i64()),
        (Some("alice"), Some("app"), Some(NOW))
    );
    assert_eq!(r["aud"], "app#refresh");
    assert_eq!(a["sid"], r["sid"]);
    assert_ne!(a["jti"], r["jti"]);
    assert_eq!(a["roles"][0], "user");
}

#[tokio::test]
async fn refresh_writes_both_cookies_with_every_attribute() {
    let (clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    clock.advance(600);
    let reply = browser.refresh(&app).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers[CACHE_CONTROL], "no-store");
    assert_eq!(
        reply.set_cookies(),
        [
            cookie_line("__Host-Http-access", browser.access(), "/", 900),
            cookie_line("__Http-refresh", browser.refresh_token(), "/auth", 86_400),
        ]
    );
    let body = reply.json();
    assert_eq!(body["access_expires_at"], NOW + 600 + 900);
    assert_eq!(body["session_expires_at"], NOW + 7 * 86_400);
}

#[tokio::test]
async fn logout_clears_both_cookies_repeating_their_paths() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let reply = browser.logout(&app).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.set_cookies(),
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ]
    );
    assert!(browser.cookies.is_empty());
}

#[tokio::test]
async fn reuse_and_clearing_cookies_repeat_a_configured_domain() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .access_cookie("__Secure-access")
        .cookie_domain("app.example")
        .same_site(tower_jwt_cookie::cookie::SameSite::Lax)
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    let reply = browser.login(&app, "alice").await;
    let set = reply.set_cookies();
    assert_eq!(
        set[0],
        format!(
            "__Secure-access={}; HttpOnly; SameSite=Lax; Secure; Path=/; Domain=app.example; Max-Age=900",
            browser.cookie("__Secure-access").unwrap()
        )
    );
    assert!(set[1].ends_with(
        "; HttpOnly; SameSite=Lax; Secure; Path=/auth; Domain=app.example; Max-Age=86400"
    ));
    let reply = browser.logout(&app).await;
    assert_eq!(
        reply.set_cookies(),
        [
            "__Secure-access=; HttpOnly; SameSite=Lax; Secure; Path=/; Domain=app.example; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "__Http-refresh=; HttpOnly; SameSite=Lax; Secure; Path=/auth; Domain=app.example; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    );
}

#[tokio::test]
async fn refresh_cookie_is_not_sent_with_api_calls() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let request = browser.request(Method::GET, "/api/me", "");
    let cookie = request.headers()[http::header::COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("__Host-Http-access="));
    assert!(!cookie.contains("__Http-refresh"));
}

#[tokio::test]
async fn login_me_refresh_me_logout_me_is_refused_with_the_access_token_unexpired() {
    let (clock, app) = setup();
    let mut browser = Browser::default();
    assert_eq!(browser.login(&app, "alice").await.status, 200);
    let me = browser.me(&app).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["sub"], "alice");
    clock.advance(300);
    assert_eq!(browser.refresh(&app).await.status, 200);
    let me = browser.me(&app).await;
    assert_eq!(me.status, 200);
    assert_eq!(
        me.json()["roles"][0],
        "user",
        "custom claims survive a refresh"
    );
    let kept = browser.clone();
    assert_eq!(browser.logout(&app).await.status, 204);

    // The access token the browser just had is still unexpired...
    let mut attacker = kept;
    assert!(payload_of(attacker.access())["exp"].as_i64().unwrap() > clock_now(&clock));
    // ...but refused on the very next request, and so is the refresh token.
    let me = attacker.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
    let refresh = attacker.refresh(&app).await;
    assert_eq!(
        (refresh.status.as_u16(), refresh.reason()),
        (401, Some("revoked"))
    );
    // And the logged-out browser has no cookies left.
    let me = browser.me(&app).await;
    assert_eq!(
        (me.status.as_u16(), me.reason()),
        (401, Some("missing_token"))
    );
}

fn clock_now(clock: &ManualClock) -> i64 {
    use tower_jwt_cookie::clock::Clock;
    clock.now()
}

#[tokio::test]
async fn reusing_a_superseded_refresh_token_revokes_the_whole_family() {
    let (clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut thief = browser.clone(); // a stolen copy of the first refresh token
    clock.advance(60);
    assert_eq!(browser.refresh(&app).await.status, 200);
    clock.advance(60); // beyond the 5 s grace window

    let reply = thief.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("refresh_reused"))
    );
    assert_eq!(
        reply.set_cookies(),
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ]
    );
    assert!(reply.body.contains("refresh_reused"));

    // The newest refresh token and the family's access tokens are refused.
    let reply = browser.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked"))
    );
    let me = browser.me(&app).await;
    assert_eq!(
        (me.status.as_u16(), me.reason()),
        (401, Some("missing_token")),
        "cookies were cleared"
    );
}

#[tokio::test]
async fn family_access_tokens_are_refused_after_reuse() {
    let (clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut thief = browser.clone();
    clock.advance(10);
    browser.refresh(&app).await;
    let newest_access = browser.clone();
    clock.advance(10);
    assert_eq!(thief.refresh(&app).await.reason(), Some("refresh_reused"));
    let mut victim = newest_access;
    let me = victim.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
}

#[tokio::test]
async fn two_tabs_refreshing_within_grace_converge_on_one_refresh_token() {
    let (clock, app) = setup();
    let mut tab_a = Browser::default();
    tab_a.login(&app, "alice").await;
    let mut tab_b = tab_a.clone();
    let first = tab_a.refresh_token().to_owned();
    clock.advance(100);
    let a = tab_a.refresh(&app).await;
    clock.advance(2); // inside the 5 s grace window
    let b = tab_b.refresh(&app).await;
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
    let (ra, rb) = (
        payload_of(tab_a.refresh_token()),
        payload_of(tab_b.refresh_token()),
    );
    assert_eq!(
        ra["jti"], rb["jti"],
        "both tabs hold the family's current refresh token"
    );
    assert_eq!(ra["sid"], rb["sid"]);
    assert_eq!(tab_a.me(&app).await.status, 200);
    assert_eq!(tab_b.me(&app).await.status, 200);

    // The family did not branch: tab B's token rotates, then tab A's (now
    // previous) token is accepted within grace...
    clock.advance(100);
    assert_eq!(tab_b.refresh(&app).await.status, 200);
    assert_eq!(tab_a.refresh(&app).await.status, 200);
    // ...while a token two rotations old is reuse.
    let mut old = Browser::default();
    old.set_refresh(&first);
    let reply = old.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("refresh_reused"))
    );
    let reply = tab_a.refresh(&app).await;
    assert_eq!(
        reply.reason(),
        Some("revoked"),
        "the reuse revoked the family tab A belongs to"
    );
}

#[tokio::test]
async fn a_token_two_rotations_old_is_refused_even_inside_the_grace_window() {
    let (clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut oldest = browser.clone();
    clock.advance(1);
    browser.refresh(&app).await;
    browser.refresh(&app).await; // two rotations in the same second
    let reply = oldest.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("refresh_reused"))
    );
    assert_eq!(browser.refresh(&app).await.reason(), Some("revoked"));
}

#[tokio::test]
async fn logout_everywhere_revokes_a_second_session_on_the_next_request_and_a_later_login_works() {
    let (clock, app) = setup();
    let (mut laptop, mut phone) = (Browser::default(), Browser::default());
    laptop.login(&app, "alice").await;
    phone.login(&app, "alice").await; // same second
    let mut bob = Browser::default();
    bob.login(&app, "bob").await;
    assert_eq!(phone.me(&app).await.status, 200);

    let reply = laptop.logout_all(&app).await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.set_cookies().len(), 2);

    let me = phone.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
    let refresh = phone.refresh(&app).await;
    assert_eq!(
        (refresh.status.as_u16(), refresh.reason()),
        (401, Some("revoked"))
    );
    assert_eq!(bob.me(&app).await.status, 200, "other users are untouched");

    // A login in the same second works, and keeps working.
    let mut tablet = Browser::default();
    assert_eq!(tablet.login(&app, "alice").await.status, 200);
    assert_eq!(tablet.me(&app).await.status, 200);
    clock.advance(30);
    assert_eq!(tablet.refresh(&app).await.status, 200);
    assert_eq!(tablet.me(&app).await.status, 200);
}

#[tokio::test]
async fn session_control_end_ends_that_session_only_access_and_refresh() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock).build().unwrap();
    let app = app(&auth);
    let (mut laptop, mut phone) = (Browser::default(), Browser::default());
    laptop.login(&app, "alice").await;
    phone.login(&app, "alice").await;
    let sid = laptop.me(&app).await.json()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(phone.me(&app).await.json()["sid"], sid.as_str());

    // An admin ends the laptop's session, outside any request of alice's.
    auth.sessions().end("alice", &sid).await.unwrap();

    let me = laptop.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
    let refresh = laptop.refresh(&app).await;
    assert_eq!(
        (refresh.status.as_u16(), refresh.reason()),
        (401, Some("revoked"))
    );
    assert_eq!(
        refresh.set_cookies(),
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ],
        "a session that can never refresh again loses its cookies"
    );
    assert!(laptop.cookies.is_empty());

    // Her other session lives on, refresh included.
    assert_eq!(phone.me(&app).await.status, 200);
    clock.advance(30);
    assert_eq!(phone.refresh(&app).await.status, 200);
    let me = phone.me(&app).await;
    assert_eq!(me.status, 200);
    assert_ne!(me.json()["sid"], sid.as_str());
}

#[tokio::test]
async fn a_session_ends_after_its_idle_lifetime() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .session_idle_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    let reply = browser.login(&app, "alice").await;
    assert!(reply.set_cookies()[1].ends_with("Max-Age=3600"));
    clock.advance(3599);
    assert_eq!(
        browser.refresh(&app).await.status,
        200,
        "a refresh inside the idle lifetime works"
    );
    let mut idle = browser.clone();
    clock.advance(3600);
    let reply = idle.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("session_expired"))
    );
    assert_eq!(
        reply.set_cookies(),
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ]
    );
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_often_it_refreshes() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .session_idle_lifetime(Duration::from_secs(3600))
        .session_absolute_lifetime(Duration::from_secs(3 * 3600))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut last = None;
    for _ in 0..3 {
        clock.advance(3000);
        let reply = browser.refresh(&app).await;
        assert_eq!(reply.status, 200);
        last = Some(reply);
    }
    // At NOW+9000 the session has 1800 s left: no cookie outlives it.
    let set = last.unwrap().set_cookies();
    assert!(set[0].ends_with("Max-Age=900"));
    assert!(set[1].ends_with("Max-Age=1800"), "{}", set[1]);
    assert_eq!(payload_of(browser.refresh_token())["exp"], NOW + 3 * 3600);
    clock.advance(1800);
    let reply = browser.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("session_expired"))
    );
}

#[tokio::test]
async fn the_refresh_endpoint_answers_post_only() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let reply = browser.send(&app, Method::GET, "/auth/refresh", "").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.headers[http::header::ALLOW], "POST");
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn responses_without_a_session_command_pass_untouched() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let reply = browser.send(&app, Method::GET, "/public", "").await;
    assert_eq!(reply.status, 200);
    assert!(reply.set_cookies().is_empty());
    assert!(reply.headers.get(CACHE_CONTROL).is_none());
}

#[tokio::test]
async fn custom_claims_with_a_registered_name_are_refused_with_500() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    let reply = browser
        .send(&app, Method::POST, "/auth/login-bad-claims", "")
        .await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (500, Some("issue_failed"))
    );
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn logout_without_a_session_just_clears_the_cookies() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.set_refresh("not.a.token");
    let reply = browser.logout(&app).await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.set_cookies().len(), 2);
}

#[tokio::test]
async fn logout_takes_effect_on_every_instance_sharing_the_store() {
    let clock = ManualClock::new(NOW);
    let store = MemoryStore::new();
    let instance_a = app(&builder(store.clone(), &clock).build().unwrap());
    let instance_b = app(&builder(store, &clock).build().unwrap());
    let mut browser = Browser::default();
    browser.login(&instance_a, "alice").await;
    let mut copy = browser.clone();
    assert_eq!(copy.me(&instance_b).await.status, 200);
    assert_eq!(browser.logout(&instance_a).await.status, 204);
    let me = copy.me(&instance_b).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
    let refresh = copy.refresh(&instance_b).await;
    assert_eq!(
        (refresh.status.as_u16(), refresh.reason()),
        (401, Some("revoked"))
    );
}

#[tokio::test]
async fn the_refresh_cookie_is_read_by_its_exact_case_sensitive_name() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let token = browser.refresh_token().to_owned();
    let mut renamed = Browser::default();
    renamed
        .cookies
        .insert("__http-refresh".into(), (token.clone(), "/auth".into()));
    renamed
        .cookies
        .insert("__Http-refresh ".into(), (token, "/auth".into()));
    let reply = renamed.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("missing_token"))
    );
}

#[tokio::test]
async fn a_family_revoked_for_reuse_stays_revoked_past_its_idle_expiry() {
    // Access tokens (900 s) outlive the idle expiry (600 s after a refresh):
    // the revocation must hold until they expire, not until the idle expiry.
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .session_idle_lifetime(Duration::from_secs(600))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut thief = browser.clone();
    clock.advance(10);
    assert_eq!(browser.refresh(&app).await.status, 200);
    assert_eq!(payload_of(browser.access())["exp"], NOW + 910);
    clock.advance(10);
    assert_eq!(thief.refresh(&app).await.reason(), Some("refresh_reused"));
    clock.advance(680); // NOW + 700: past the idle expiry (NOW + 610), token alive
    let me = browser.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
    clock.advance(209); // NOW + 909: the access token's last second
    let me = browser.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("revoked")));
}

#[tokio::test]
async fn a_grace_window_refresh_never_outlives_the_sessions_idle_expiry() {
    let (clock, app) = setup();
    let mut tab_a = Browser::default();
    tab_a.login(&app, "alice").await;
    let mut tab_b = tab_a.clone();
    clock.advance(100);
    assert_eq!(tab_a.refresh(&app).await.status, 200); // idle expiry NOW + 100 + 86_400
    clock.advance(2); // inside the 5 s grace window
    let reply = tab_b.refresh(&app).await;
    assert_eq!(reply.status, 200);
    let refresh = tab_b.refresh_token().to_owned();
    assert_eq!(
        payload_of(&refresh)["jti"],
        payload_of(tab_a.refresh_token())["jti"],
        "the family's current token"
    );
    assert_eq!(
        reply.set_cookies(),
        [
            cookie_line("__Host-Http-access", tab_b.access(), "/", 900),
            cookie_line("__Http-refresh", &refresh, "/auth", 86_398),
        ]
    );
    assert_eq!(payload_of(&refresh)["exp"], NOW + 100 + 86_400);
    assert_eq!(reply.json()["refresh_expires_at"], NOW + 100 + 86_400);
}

/// Logout with `cookies` as the Cookie header: 204 and both cookies cleared.
async fn logout_with(app: &App, cookies: &str) {
    let mut request = Browser::default().request(Method::POST, "/auth/logout", "");
    request
        .headers_mut()
        .insert(http::header::COOKIE, cookies.parse().unwrap());
    let mut browser = Browser::default();
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .unwrap();
    browser.absorb(response.headers());
    assert_eq!(response.status(), 204);
    let set: Vec<_> = response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        set,
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ]
    );
}

#[tokio::test]
async fn a_planted_refresh_cookie_cannot_redirect_or_block_a_logout() {
    use tower_jwt_cookie::cookie::DuplicateCookies;
    for policy in [DuplicateCookies::Reject, DuplicateCookies::First] {
        for forged in [false, true] {
            let clock = ManualClock::new(NOW);
            let auth = builder(MemoryStore::new(), &clock)
                .duplicate_cookies(policy)
                .build()
                .unwrap();
            let app = app(&auth);
            let mut victim = Browser::default();
            victim.login(&app, "alice").await;
            let mut mallory = Browser::default();
            mallory.login(&app, "mallory").await;
            // Mallory's own valid refresh token, or one with a bad signature,
            // planted from a sibling subdomain with a longer Path (sent first).
            let planted = mallory.refresh_token().to_owned();
            let planted = if forged {
                format!(
                    "{}.{}",
                    &planted[..planted.rfind('.').unwrap()],
                    "A".repeat(43)
                )
            } else {
                planted
            };
            // The browser dropped the access cookie at its Max-Age.
            clock.advance(1000);
            let own = victim.refresh_token().to_owned();
            logout_with(
                &app,
                &format!("__Http-refresh={planted}; __Http-refresh={own}"),
            )
            .await;
            let reply = victim.refresh(&app).await;
            assert_eq!(
                (reply.status.as_u16(), reply.reason()),
                (401, Some("revoked")),
                "{policy:?}, forged: {forged}: the victim's own session was revoked"
            );
            assert_eq!(
                reply.set_cookies(),
                [
                    clearing_line("__Host-Http-access", "/"),
                    clearing_line("__Http-refresh", "/auth")
                ]
            );
        }
    }
}

#[tokio::test]
async fn logout_identifies_the_session_from_an_expired_access_token() {
    let (clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let access = browser.access().to_owned();
    clock.advance(1000); // the access token expired 100 s ago
    logout_with(&app, &format!("__Host-Http-access={access}")).await;
    let reply = browser.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked"))
    );
}

#[tokio::test]
async fn max_age_applies_to_access_tokens_only_not_to_refresh_tokens() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .max_age(Duration::from_secs(600))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    clock.advance(700);
    let me = browser.me(&app).await;
    assert_eq!((me.status.as_u16(), me.reason()), (401, Some("too_old")));
    let reply = browser.refresh(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.set_cookies(),
        [
            cookie_line("__Host-Http-access", browser.access(), "/", 900),
            cookie_line("__Http-refresh", browser.refresh_token(), "/auth", 86_400),
        ]
    );
    assert_eq!(browser.me(&app).await.status, 200);
}

#[tokio::test]
async fn a_refresh_of_a_logged_out_session_clears_the_cookies() {
    let (_clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut other_tab = browser.clone();
    browser.logout(&app).await;
    let reply = other_tab.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some("revoked"))
    );
    assert_eq!(
        reply.set_cookies(),
        [
            clearing_line("__Host-Http-access", "/"),
            clearing_line("__Http-refresh", "/auth")
        ]
    );
    assert!(other_tab.cookies.is_empty());
    assert_eq!(reply.headers[CACHE_CONTROL], "no-store");
}
