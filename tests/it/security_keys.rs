//! Attacks on keys, signatures and the order in which claims are checked.
//! Each test is named after the attack it stops.

use crate::support::{
    App, Browser, Fixture, NOW, assemble, assert_accepted, assert_refused, header, pem,
};
use serde_json::{Map, Value};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyError, KeyProvider, KeyRing, SigningKey, VerifyingKey};
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::{Algorithm, MemoryStore, Rejection};

// RSA keys over 4096 bits, and signatures longer than any key makes.

/// A ring signing with the RSA key in `file`, and the same key's public half
/// alone in a verify-only ring (what a relying party loads from our JWKS).
async fn signs_and_verifies(file: &str, alg: Algorithm) {
    let f =
        Fixture::with_key(SigningKey::from_pem("k1", alg, &pem(&format!("{file}.pem"))).unwrap());
    let token = f.mint(|_| {});
    assert_accepted(&f.auth, &token).await;

    let public = VerifyingKey::from_pem("k1", alg, &pem(&format!("{file}.pub.pem"))).unwrap();
    let verify_only = KeyRing::new();
    verify_only.insert_verifying(public).unwrap();
    let relying = Fixture::build(verify_only, MemoryStore::new(), |b| b);
    assert_accepted(&relying.auth, &token).await;
}

#[tokio::test]
async fn rsa_4608_bit_key_verifies_what_it_signs() {
    for alg in [Algorithm::RS256, Algorithm::PS512] {
        signs_and_verifies("rsa4608", alg).await;
    }
}

#[tokio::test]
async fn rsa_8192_bit_key_the_largest_accepted_verifies_what_it_signs() {
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        signs_and_verifies("rsa8192", alg).await;
    }
}

#[test]
fn rsa_key_over_8192_bits_is_refused_when_loaded_not_when_its_tokens_arrive() {
    let message = "the RSA key has 8704 bits; the largest accepted is 8192 \
                   (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096`)";
    let err = SigningKey::from_pem("k", Algorithm::RS256, &pem("rsa8704.pem")).unwrap_err();
    assert!(
        matches!(err, KeyError::RsaTooLarge { bits: 8704 }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), message);
    let err = VerifyingKey::from_pem("k", Algorithm::RS256, &pem("rsa8704.pub.pem")).unwrap_err();
    assert!(
        matches!(err, KeyError::RsaTooLarge { bits: 8704 }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), message);
}

#[tokio::test]
async fn oversized_signature_is_bad_signature_not_malformed() {
    // 600 bytes fits no HMAC key; 1025 bytes (one more than RSA-8192's) and
    // 4000 bytes fit no key at all. Valid base64url each time: the token is
    // well-formed, its signature just cannot be ours.
    let hmac = Fixture::new();
    let rsa = Fixture::with_key(crate::support::signing_key("k1", Algorithm::RS256));
    for (f, alg) in [(&hmac, "HS256"), (&rsa, "RS256")] {
        for len in [600, 1025, 4000] {
            let token = assemble(
                &header(alg),
                &crate::support::payload(crate::support::NOW),
                &vec![0x42; len],
            );
            assert_refused(&f.auth, &token, Rejection::BadSignature).await;
        }
    }
}

// Issuer, audience and type are checked before the time claims (RFC 8725
// §3.8, §3.9, §3.11): a token for another issuer or audience is not ours to
// judge, so its age must not decide what happens to our cookies.

async fn logged_in() -> (ManualClock, App, Browser) {
    let clock = ManualClock::new(NOW);
    let auth = crate::support::builder(MemoryStore::new(), &clock)
        .build()
        .unwrap();
    let app = crate::support::app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    clock.advance(10);
    (clock, app, browser)
}

/// A refresh token for the browser's session, signed with our own key, with
/// `iss`, `aud` and `exp` chosen by the caller.
fn our_key_refresh_token(like: &str, iss: &str, aud: &str, exp: i64) -> String {
    let real = crate::support::payload_of(like);
    let mut custom = Map::new();
    custom.insert("auth_time".into(), real["auth_time"].clone());
    let claims = Claims {
        registered: RegisteredClaims {
            iss: Some(iss.into()),
            sub: Some("alice".into()),
            aud: vec![aud.into()],
            exp: Some(exp),
            iat: Some(NOW - 100),
            jti: real["jti"].as_str().map(Into::into),
            sid: real["sid"].as_str().map(Into::into),
            nbf: None,
        },
        custom: Value::Object(custom),
    };
    let key = crate::support::keys().signing_key().unwrap();
    token::encode(&key, TokenKind::Refresh, &claims).unwrap()
}

/// Presents `token` as the refresh cookie: 401 `reason`, no cookie set or
/// cleared, and the browser's own session still rotates afterwards.
async fn refused_and_nothing_cleared(token: &str, reason: &str) {
    let (_clock, app, mut browser) = logged_in().await;
    let mut attacker = browser.clone();
    attacker.set_refresh(token);
    let reply = attacker.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (401, Some(reason)),
        "{}",
        reply.body
    );
    assert_eq!(
        reply.set_cookies(),
        Vec::<String>::new(),
        "nothing is cleared"
    );
    let reply = browser.refresh(&app).await;
    assert_eq!(
        reply.status, 200,
        "the session is untouched: {}",
        reply.body
    );
}

#[tokio::test]
async fn expired_refresh_token_of_another_issuer_is_wrong_issuer_and_clears_nothing() {
    let (_c, _a, browser) = logged_in().await;
    let staging = our_key_refresh_token(
        browser.refresh_token(),
        "https://staging.app.example",
        "app#refresh",
        NOW,
    );
    refused_and_nothing_cleared(&staging, "wrong_issuer").await;
}

#[tokio::test]
async fn expired_refresh_token_for_another_audience_is_wrong_audience_and_clears_nothing() {
    let (_c, _a, browser) = logged_in().await;
    let tenant = our_key_refresh_token(
        browser.refresh_token(),
        "https://app.example",
        "other-tenant#refresh",
        NOW,
    );
    refused_and_nothing_cleared(&tenant, "wrong_audience").await;
}

#[test]
fn foreign_tokens_past_their_time_claims_get_the_identity_reason_not_the_time_reason() {
    let f = Fixture::build(
        KeyRing::with_signing_key(crate::support::signing_key("k1", Algorithm::HS256)),
        MemoryStore::new(),
        |b| b.max_age(std::time::Duration::from_secs(60)),
    );
    let now = f.clock_now();
    let verify = |jwt: &str, kind| {
        token::verify::<Value>(jwt.as_bytes(), kind, &f.ring, f.auth.policy(), now)
    };
    type Edit = fn(&mut Claims<Value>);
    let times: [(Rejection, Edit); 4] = [
        (Rejection::Expired, |c| {
            c.registered.exp = Some(crate::support::NOW - 1)
        }),
        (Rejection::NotYetValid, |c| {
            c.registered.nbf = Some(crate::support::NOW + 600)
        }),
        (Rejection::IssuedInFuture, |c| {
            c.registered.iat = Some(crate::support::NOW + 600)
        }),
        (Rejection::TooOld, |c| {
            c.registered.iat = Some(crate::support::NOW - 600)
        }),
    ];
    for (time_reason, time) in times {
        let what = time_reason.reason();
        let other_issuer = f.mint(|c| {
            time(c);
            c.registered.iss = Some("https://staging.app.example".into());
        });
        assert_eq!(
            verify(&other_issuer, TokenKind::Access),
            Err(Rejection::WrongIssuer),
            "{what}"
        );
        let other_audience = f.mint(|c| {
            time(c);
            c.registered.aud = vec!["other-tenant".into()];
        });
        assert_eq!(
            verify(&other_audience, TokenKind::Access),
            Err(Rejection::WrongAudience),
            "{what}"
        );
        let wrong_type = f.mint(time);
        assert_eq!(
            verify(&wrong_type, TokenKind::Refresh),
            Err(Rejection::WrongType),
            "{what}"
        );
        // Ours in every respect but time: the time reason.
        assert_eq!(
            verify(&wrong_type, TokenKind::Access),
            Err(time_reason),
            "{what}"
        );
    }
}

// The JWKS publishes only this issuer's signing keys: a verify-only key
// (a partner's) published here would let relying parties accept the
// partner's tokens as ours.

#[test]
fn jwks_never_publishes_verify_only_keys() {
    // Our previous key (inactive, its tokens still live), our active key, and
    // a partner service's public key we accept tokens from.
    let ring = KeyRing::with_signing_key(crate::support::signing_key(
        "ours-2026-10",
        Algorithm::EdDSA,
    ));
    ring.insert_signing(crate::support::signing_key(
        "ours-2026-11",
        Algorithm::ES256,
    ))
    .unwrap();
    ring.activate("ours-2026-11").unwrap();
    let partner =
        VerifyingKey::from_pem("partner", Algorithm::RS256, &pem("rsa2048.pub.pem")).unwrap();
    ring.insert_verifying(partner).unwrap();

    let kids = |ring: &KeyRing| -> Vec<String> {
        let jwks = ring.jwks();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kids(&ring), ["ours-2026-10", "ours-2026-11"]);
    // The partner's key still verifies its tokens here; it is just not ours
    // to publish.
    assert_eq!(ring.kids(), ["ours-2026-10", "ours-2026-11", "partner"]);
    assert!(ring.verifying_key(Some("partner")).is_some());

    // Once the previous key's tokens have expired it is retired and leaves the set.
    ring.retire("ours-2026-10").unwrap();
    assert_eq!(kids(&ring), ["ours-2026-11"]);

    // A ring that only verifies publishes nothing.
    let verify_only = KeyRing::new();
    verify_only
        .insert_verifying(
            VerifyingKey::from_pem("partner", Algorithm::RS256, &pem("rsa2048.pub.pem")).unwrap(),
        )
        .unwrap();
    assert_eq!(verify_only.jwks(), serde_json::json!({ "keys": [] }));
}
