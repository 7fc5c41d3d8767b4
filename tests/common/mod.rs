//! Shared fixtures: keys, a controllable clock, token minting and forging,
//! and the two stacks every verifier test runs through (an axum Router and a
//! bare `tower::service_fn`).
#![allow(dead_code)] // each test file uses a different part

pub mod capture;
mod cross_origin;

#[allow(unused_imports)] // not every test file uses these
pub use cross_origin::*;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
    StoreError, TokenRevocation, TokenStatus,
};
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Rejection, VerifiedClaims};

pub const NOW: i64 = 1_800_000_000;
pub const ISSUER: &str = "https://app.example";
pub const AUDIENCE: &str = "app";
pub const HMAC_SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

pub fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A signing key for `alg` from the committed test keys.
pub fn signing_key(kid: &str, alg: Algorithm) -> SigningKey {
    let file = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            return SigningKey::hmac(kid, alg, &[0x5a; 64][..hmac_len(alg)]).unwrap();
        }
        Algorithm::ES256 => "p256.pem",
        Algorithm::ES384 => "p384.pem",
        Algorithm::EdDSA => "ed25519.pem",
        _ => "rsa2048.pem",
    };
    SigningKey::from_pem(kid, alg, &pem(file)).unwrap()
}

fn hmac_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

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
        let key = SigningKey::hmac("k1", Algorithm::HS256, &HMAC_SECRET).unwrap();
        Self::build(KeyRing::with_signing_key(key), store, |b| b)
    }

    pub fn build(
        ring: KeyRing,
        store: S,
        configure: impl FnOnce(
            tower_jwt_cookie::CookieAuthBuilder<S>,
        ) -> tower_jwt_cookie::CookieAuthBuilder<S>,
    ) -> Self {
        let clock = ManualClock::new(NOW);
        let builder = CookieAuth::builder(ring.clone(), store)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .clock(clock.clone());
        let auth = configure(builder).build().unwrap();
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

/// Which stack a request goes through.
#[derive(Clone, Copy, Debug)]
pub enum Stack {
    Axum,
    ServiceFn,
}

pub const STACKS: [Stack; 2] = [Stack::Axum, Stack::ServiceFn];

/// What came back, with the body read.
#[derive(Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub rejection: Option<Rejection>,
    pub body: String,
}

impl Outcome {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

pub fn cookie_request(token: &str) -> Request<Body> {
    Request::get("/api/me")
        .header("cookie", format!("theme=dark; __Host-access={token}"))
        .body(Body::empty())
        .unwrap()
}

async fn handler_body(claims: &VerifiedClaims<Value>) -> String {
    json!({ "sub": claims.subject(), "roles": claims.custom()["roles"] }).to_string()
}

/// Sends `request` through the verifier in front of `stack`; the handler
/// answers 200 with the subject and roles, and counts its calls in `calls`.
pub async fn send_counting<S: RevocationStore>(
    auth: &CookieAuth<S>,
    stack: Stack,
    request: Request<Body>,
    calls: Arc<AtomicUsize>,
) -> Outcome {
    let response: Response<Body> = match stack {
        Stack::Axum => {
            let app =
                axum::Router::new()
                    .route(
                        "/{*path}",
                        get(
                            move |axum::Extension(claims): axum::Extension<
                                VerifiedClaims<Value>,
                            >| async move {
                                calls.fetch_add(1, Ordering::SeqCst);
                                handler_body(&claims).await
                            },
                        ),
                    )
                    .layer(auth.verifier::<Value>());
            app.oneshot(request).await.unwrap()
        }
        Stack::ServiceFn => {
            let service = ServiceBuilder::new()
                .layer(auth.verifier::<Value>())
                .service(service_fn(move |request: Request<Body>| {
                    let calls = Arc::clone(&calls);
                    async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let claims = request
                            .extensions()
                            .get::<VerifiedClaims<Value>>()
                            .unwrap()
                            .clone();
                        Ok::<_, Infallible>(Response::new(Body::from(handler_body(&claims).await)))
                    }
                }));
            service.oneshot(request).await.unwrap().map(Body::new)
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Outcome {
        status: parts.status,
        rejection: parts.extensions.get::<Rejection>().cloned(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn send<S: RevocationStore>(
    auth: &CookieAuth<S>,
    stack: Stack,
    request: Request<Body>,
) -> Outcome {
    send_counting(auth, stack, request, Arc::new(AtomicUsize::new(0))).await
}

/// Sends `token` in the access cookie through both stacks and asserts the
/// refusal is exactly `expected`, with a 401/503 and no handler call.
pub async fn assert_refused<S: RevocationStore>(
    auth: &CookieAuth<S>,
    token: &str,
    expected: Rejection,
) {
    for stack in STACKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let outcome = send_counting(auth, stack, cookie_request(token), Arc::clone(&calls)).await;
        assert_eq!(
            outcome.rejection.as_ref(),
            Some(&expected),
            "{stack:?}: {}",
            outcome.body
        );
        assert_eq!(outcome.status, expected.status(), "{stack:?}");
        assert_eq!(outcome.json()["error"], expected.reason(), "{stack:?}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "{stack:?}: the handler ran"
        );
    }
}

/// Sends `token` through both stacks and asserts the handler answered for alice.
pub async fn assert_accepted<S: RevocationStore>(auth: &CookieAuth<S>, token: &str) {
    for stack in STACKS {
        let outcome = send(auth, stack, cookie_request(token)).await;
        assert_eq!(
            outcome.status,
            StatusCode::OK,
            "{stack:?}: {}",
            outcome.body
        );
        assert_eq!(outcome.rejection, None);
        assert_eq!(
            outcome.json(),
            json!({ "sub": "alice", "roles": ["reader"] })
        );
    }
}

/// A store whose every call fails, and counts its checks.
#[derive(Default)]
pub struct BrokenStore {
    pub checks: AtomicUsize,
}

impl RevocationStore for BrokenStore {
    async fn check(&self, _: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        Err(StoreError::new("connection refused"))
    }
    async fn revoke_token(&self, _: TokenRevocation<'_>) -> Result<(), StoreError> {
        Err(StoreError::new("connection refused"))
    }
    async fn revoke_session(&self, _: SessionRevocation<'_>) -> Result<(), StoreError> {
        Err(StoreError::new("connection refused"))
    }
    async fn revoke_subject(&self, _: &str, _: i64, _: i64) -> Result<(), StoreError> {
        Err(StoreError::new("connection refused"))
    }
    async fn start_session(&self, _: SessionStart<'_>) -> Result<(), StoreError> {
        Err(StoreError::new("connection refused"))
    }
    async fn rotate(&self, _: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        Err(StoreError::new("connection refused"))
    }
}

/// A MemoryStore that counts checks (to prove what never reaches the store)
/// and answers only asynchronously, or, with `fail_now`, fails its
/// synchronous `check_now`.
#[derive(Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    pub checks: AtomicUsize,
    pub fail_now: bool,
}

impl CountingStore {
    /// A store whose `check_now` answers with an error.
    pub fn failing_now() -> Self {
        Self {
            fail_now: true,
            ..Self::default()
        }
    }
}

impl RevocationStore for CountingStore {
    async fn check(&self, token: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.inner.check(token).await
    }
    fn check_now(&self, _: AccessCheck<'_>) -> Option<Result<TokenStatus, StoreError>> {
        self.fail_now
            .then(|| Err(StoreError::new("cache poisoned")))
    }
    async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
        self.inner.revoke_token(token).await
    }
    async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
        self.inner.revoke_session(session).await
    }
    async fn revoke_subject(&self, sub: &str, before: i64, exp: i64) -> Result<(), StoreError> {
        self.inner.revoke_subject(sub, before, exp).await
    }
    async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
        self.inner.start_session(s).await
    }
    async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        self.inner.rotate(r).await
    }
}

pub fn provider_kids(ring: &dyn KeyProvider, kid: &str) -> bool {
    ring.verifying_key(Some(kid)).is_some()
}
