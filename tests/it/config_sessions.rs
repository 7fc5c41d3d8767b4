//! Misconfigured sessions are build-time errors whose message says how to fix
//! them; plain-http cookies exist only behind the local-development switch.

use std::time::Duration;

use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::cookie::SameSite;
use tower_jwt_cookie::keys::{KeyRing, VerifyingKey};
use tower_jwt_cookie::{Algorithm, ConfigError, CookieAuth, MemoryStore};

use crate::support::*;

fn base() -> tower_jwt_cookie::CookieAuthBuilder<MemoryStore> {
    builder(MemoryStore::new(), &ManualClock::new(NOW))
}

fn error(builder: tower_jwt_cookie::CookieAuthBuilder<MemoryStore>) -> (ConfigError, String) {
    let error = builder.build().unwrap_err();
    let message = error.to_string();
    (error, message)
}

#[test]
fn a_host_cookie_with_a_domain_is_refused() {
    let (e, message) = error(base().cookie_domain("app.example"));
    assert!(
        matches!(e, ConfigError::CookiePrefix { ref name, .. } if name == "__Host-Http-access")
    );
    assert!(message.contains("cannot have a Domain"), "{message}");
    assert!(
        message.contains("__Secure-"),
        "the message says how to fix it: {message}"
    );
}

#[test]
fn a_host_cookie_with_a_narrow_path_is_refused() {
    let (e, message) = error(base().refresh_cookie("__Host-refresh"));
    assert!(matches!(e, ConfigError::CookiePrefix { .. }));
    assert!(message.contains("Path=/"), "{message}");
}

#[tokio::test]
async fn the_local_development_switch_writes_cookies_without_secure() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .insecure_http_cookies_for_local_development()
        .access_cookie("access")
        .refresh_cookie("refresh")
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    let reply = browser.login(&app, "alice").await;
    let set = reply.set_cookies();
    assert!(set[0].starts_with("access="));
    assert!(
        set[0].ends_with("; HttpOnly; SameSite=Strict; Path=/; Max-Age=900"),
        "{}",
        set[0]
    );
    assert!(!set[1].contains("Secure"));
}

#[test]
fn same_site_none_without_secure_is_refused() {
    let (e, message) = error(
        base()
            .insecure_http_cookies_for_local_development()
            .same_site(SameSite::None),
    );
    assert_eq!(
        e,
        ConfigError::PlainHttpCookies(vec![
            "SameSite=None needs Secure: use `.same_site(SameSite::Lax)` or `Strict`".into()
        ])
    );
    assert!(message.contains("SameSite=None needs Secure"), "{message}");
}

#[test]
fn a_cookie_max_age_beyond_its_token_life_is_refused() {
    let (e, message) = error(base().access_cookie_max_age(Duration::from_secs(901)));
    assert_eq!(
        e,
        ConfigError::CookieOutlivesToken("__Host-Http-access".into())
    );
    assert!(message.contains("at most the token lifetime"), "{message}");
    let (e, _) = error(base().refresh_cookie_max_age(Duration::from_secs(86_401)));
    assert_eq!(e, ConfigError::CookieOutlivesToken("__Http-refresh".into()));
    assert!(
        base()
            .access_cookie_max_age(Duration::from_secs(600))
            .build()
            .is_ok()
    );
}

#[test]
fn an_empty_key_set_cannot_issue() {
    let ring = KeyRing::new();
    ring.insert_verifying(VerifyingKey::hmac("k1", Algorithm::HS256, &SECRET).unwrap())
        .unwrap();
    let auth = CookieAuth::builder(ring, MemoryStore::new())
        .issuer("https://app.example")
        .audience("app")
        .build()
        .expect("a verifier-only configuration is fine");
    let e = auth.issuer().unwrap_err();
    assert_eq!(e, ConfigError::NoSigningKey);
    assert!(e.to_string().contains("with_signing_key"), "{e}");
}

#[test]
fn a_refresh_path_outside_the_refresh_cookie_path_is_refused() {
    let (e, message) = error(base().refresh_path("/api/refresh"));
    assert!(matches!(
        e,
        ConfigError::RefreshPathOutsideCookiePath { .. }
    ));
    assert!(
        message.contains("/auth/refresh"),
        "the message suggests a path under the cookie's: {message}"
    );
    assert!(matches!(
        error(base().refresh_path("/authx/refresh")).0,
        ConfigError::RefreshPathOutsideCookiePath { .. }
    ));
}

#[test]
fn lifetimes_and_grace_are_checked() {
    assert!(matches!(
        error(base().session_idle_lifetime(Duration::from_secs(8 * 86_400))).0,
        ConfigError::InvalidLifetime(_)
    ));
    assert!(matches!(
        error(base().access_token_lifetime(Duration::ZERO)).0,
        ConfigError::InvalidLifetime(_)
    ));
    for zero in [
        base().session_idle_lifetime(Duration::ZERO),
        base().session_absolute_lifetime(Duration::ZERO),
        // Under a second rounds down to zero whole seconds.
        base().session_idle_lifetime(Duration::from_millis(999)),
    ] {
        let (e, message) = error(zero);
        assert!(matches!(e, ConfigError::InvalidLifetime(_)), "{e:?}");
        assert!(
            message.contains("a session lifetime is zero")
                && message.contains(".session_idle_lifetime(..)"),
            "the message says how to fix it: {message}"
        );
    }
    assert_eq!(
        error(base().refresh_grace(Duration::from_secs(61))).0,
        ConfigError::GraceTooLong(61)
    );
    assert_eq!(
        error(
            base()
                .refresh_cookie("__Host-Http-access")
                .refresh_cookie_path("/")
        )
        .0,
        ConfigError::SameCookieNames("__Host-Http-access".into())
    );
}

#[test]
fn cookie_attributes_cannot_be_injected_through_configuration() {
    assert_eq!(
        error(base().refresh_cookie_path("/auth; Domain=evil.example")).0,
        ConfigError::InvalidCookiePath("/auth; Domain=evil.example".into())
    );
    assert_eq!(
        error(
            base()
                .access_cookie("__Secure-access")
                .cookie_domain("evil.example\r\nX: 1")
        )
        .0,
        ConfigError::InvalidCookieDomain("evil.example\r\nX: 1".into())
    );
    assert!(matches!(
        error(base().refresh_cookie("a;b")).0,
        ConfigError::InvalidCookieName(_)
    ));
}

#[test]
fn the_cookie_specs_the_issuer_writes_are_readable() {
    let auth = base().build().unwrap();
    let access = auth.access_cookie_spec();
    assert_eq!(
        (access.name(), access.path(), access.domain()),
        ("__Host-Http-access", "/", None)
    );
    assert_eq!(
        (access.same_site(), access.secure()),
        (SameSite::Strict, true)
    );
    let refresh = auth.refresh_cookie_spec();
    assert_eq!(
        (refresh.name(), refresh.path(), refresh.domain()),
        ("__Http-refresh", "/auth", None)
    );
}
