//! Tokens: a verifier fixture that mints valid access tokens, and raw JWS
//! assembly for forging the ones no key of ours would sign.

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::revocation::RevocationStore;
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::{CookieAuth, CookieAuthBuilder, MemoryStore};

use super::{AUDIENCE, ISSUER, NOW, builder_with, keys};

/// A configuration on a ManualClock at [`NOW`], and the key ring it verifies with.
pub struct Fixture<S = MemoryStore> {
    pub ring: KeyRing,
    pub clock: ManualClock,
    pub auth: CookieAuth<S>,
}

impl Fixture {
    pub fn new() -> Self {
        Self::with_store(MemoryStore::new())
    }

    pub fn with_key(key: SigningKey) -> Self {
        Self::build(KeyRing::with_signing_key(key), MemoryStore::new(), |b| b)
    }
}

impl<S: RevocationStore> Fixture<S> {
    pub fn with_store(store: S) -> Self {
        Self::build(keys(), store, |b| b)
    }

    pub fn build(
        ring: KeyRing,
        store: S,
        configure: impl FnOnce(CookieAuthBuilder<S>) -> CookieAuthBuilder<S>,
    ) -> Self {
        let clock = ManualClock::new(NOW);
        let auth = configure(builder_with(ring.clone(), store, &clock))
            .build()
            .unwrap();
        Self { ring, clock, auth }
    }

    /// A valid access token for alice, changed by `edit`.
    pub fn mint(&self, edit: impl FnOnce(&mut Claims<Value>)) -> String {
        self.mint_kind(TokenKind::Access, edit)
    }

    pub fn mint_kind(&self, kind: TokenKind, edit: impl FnOnce(&mut Claims<Value>)) -> String {
        let mut claims = valid_claims(self.clock_now());
        edit(&mut claims);
        let key = self.ring.signing_key().unwrap();
        token::encode(&key, kind, &claims).unwrap()
    }

    pub fn clock_now(&self) -> i64 {
        use tower_jwt_cookie::clock::Clock;
        self.clock.now()
    }
}

pub fn valid_claims(now: i64) -> Claims<Value> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    Claims {
        registered: RegisteredClaims {
            iss: Some(ISSUER.into()),
            sub: Some("alice".into()),
            aud: vec![AUDIENCE.into()],
            exp: Some(now + 900),
            nbf: None,
            iat: Some(now),
            jti: Some(format!("jti-{}", NEXT.fetch_add(1, Ordering::Relaxed))),
            sid: Some("sid-1".into()),
        },
        custom: json!({ "roles": ["reader"] }),
    }
}

/// Builds a compact JWS from raw header and payload JSON with `signature` bytes.
pub fn assemble(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Forges a token with any header, HMAC-SHA256-signed with `secret`.
pub fn forge_hs256(header: &Value, payload: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The registered claims of a valid token as JSON, for forging.
pub fn payload(now: i64) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 900,
        "jti": "forged", "sid": "sid-1", "roles": ["reader"]
    })
}

pub fn header(alg: &str) -> Value {
    json!({ "alg": alg, "typ": "at+jwt", "kid": "k1" })
}

/// The payload of a JWT, unverified (tests only).
pub fn payload_of(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}
