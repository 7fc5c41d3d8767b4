//! The verifier as a Tower layer: token sources, response formats, custom
//! responders, key rotation under load and the unknown-`kid` refresh hook.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::cookie::DuplicateCookies;
use tower_jwt_cookie::keys::{KeyProvider, KeyRefresh, KeyRing, SigningKey, VerifyingKey};
use tower_jwt_cookie::rejection::RequestInfo;
use tower_jwt_cookie::revocation::RevocationStore;
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Rejection, VerifiedClaims};

use crate::support::*;

fn request_with(headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::get("/api/me");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn answers_a_missing_token_with_a_bare_bearer_challenge() {
    let f = Fixture::new();
    for stack in STACKS {
        let outcome = send(&f.auth, stack, request_with(&[])).await;
        assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
        assert_eq!(outcome.rejection, Some(Rejection::MissingToken));
        assert_eq!(outcome.headers["www-authenticate"], "Bearer");
        assert_eq!(outcome.headers["cache-control"], "no-store");
        assert_eq!(outcome.headers["content-type"], "application/json");
        assert_eq!(
            outcome.json(),
            json!({ "error": "missing_token", "message": "no token was presented" })
        );
    }
}

#[tokio::test]
async fn answers_an_invalid_token_with_an_rfc6750_challenge() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.exp = Some(NOW - 1));
    for stack in STACKS {
        let outcome = send(&f.auth, stack, cookie_request(&token)).await;
        assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            outcome.headers["www-authenticate"],
            r#"Bearer error="invalid_token", error_description="the token has expired""#
        );
        assert_eq!(
            outcome.json(),
            json!({ "error": "expired", "message": "the token has expired" })
        );
    }
}

#[tokio::test]
async fn an_empty_cookie_counts_as_no_token() {
    let f = Fixture::new();
    for stack in STACKS {
        let outcome = send(
            &f.auth,
            stack,
            request_with(&[("cookie", "__Host-Http-access=")]),
        )
        .await;
        assert_eq!(outcome.rejection, Some(Rejection::MissingToken));
    }
}

#[tokio::test]
async fn matches_the_cookie_name_exactly() {
    let f = Fixture::new();
    let token = f.mint(|_| {});
    for name in [
        "__host-access",
        "__Host-Access",
        "__Host-Http-access ",
        "Host-access",
        "__Host-Http-access2",
    ] {
        for stack in STACKS {
            let cookie = format!("{name}={token}");
            let outcome = send(&f.auth, stack, request_with(&[("cookie", &cookie)])).await;
            assert_eq!(outcome.rejection, Some(Rejection::MissingToken), "{name:?}");
        }
    }
}

#[tokio::test]
async fn refuses_a_duplicated_token_cookie_by_default() {
    let f = Fixture::new();
    let token = f.mint(|_| {});
    let cookie = format!("__Host-Http-access={token}; __Host-Http-access={token}");
    for stack in STACKS {
        let outcome = send(&f.auth, stack, request_with(&[("cookie", &cookie)])).await;
        assert_eq!(outcome.status, StatusCode::UNAUTHORIZED);
        assert_eq!(outcome.rejection, Some(Rejection::DuplicateCookie));
    }
    // Split over two Cookie lines (HTTP/2) is the same duplicate.
    let line = format!("__Host-Http-access={token}");
    for stack in STACKS {
        let outcome = send(
            &f.auth,
            stack,
            request_with(&[("cookie", &line), ("cookie", &line)]),
        )
        .await;
        assert_eq!(outcome.rejection, Some(Rejection::DuplicateCookie));
    }
}

#[tokio::test]
async fn can_take_the_first_of_duplicated_cookies_when_configured() {
    let f = Fixture::build(
        KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
        MemoryStore::new(),
        |b| b.duplicate_cookies(DuplicateCookies::First),
    );
    let token = f.mint(|_| {});
    let cookie = format!("__Host-Http-access={token}; __Host-Http-access=garbage");
    for stack in STACKS {
        assert_eq!(
            send(&f.auth, stack, request_with(&[("cookie", &cookie)]))
                .await
                .status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn ignores_bearer_tokens_unless_enabled() {
    let f = Fixture::new();
    let auth = format!("Bearer {}", f.mint(|_| {}));
    for stack in STACKS {
        let outcome = send(&f.auth, stack, request_with(&[("authorization", &auth)])).await;
        assert_eq!(outcome.rejection, Some(Rejection::MissingToken));
    }
}

#[tokio::test]
async fn accepts_bearer_tokens_when_enabled_and_prefers_them_to_the_cookie() {
    let f = Fixture::build(
        KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
        MemoryStore::new(),
        |b| b.bearer(true),
    );
    let good = f.mint(|_| {});
    let expired = f.mint(|c| c.registered.exp = Some(NOW - 1));
    for stack in STACKS {
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let header = format!("{scheme} {good}");
            let outcome = send(&f.auth, stack, request_with(&[("authorization", &header)])).await;
            assert_eq!(outcome.status, StatusCode::OK, "{scheme}");
        }
        let header = format!("Bearer {expired}");
        let cookie = format!("__Host-Http-access={good}");
        let outcome = send(
            &f.auth,
            stack,
            request_with(&[("authorization", &header), ("cookie", &cookie)]),
        )
        .await;
        assert_eq!(
            outcome.rejection,
            Some(Rejection::Expired),
            "Bearer wins over the cookie"
        );
        // A non-Bearer scheme is not ours: the cookie is used.
        let outcome = send(
            &f.auth,
            stack,
            request_with(&[("authorization", "Basic YTpi"), ("cookie", &cookie)]),
        )
        .await;
        assert_eq!(outcome.status, StatusCode::OK);
        let outcome = send(
            &f.auth,
            stack,
            request_with(&[("authorization", "Bearer   ")]),
        )
        .await;
        assert_eq!(outcome.rejection, Some(Rejection::MissingToken));
        let twice = [
            ("authorization", header.as_str()),
            ("authorization", header.as_str()),
        ];
        let outcome = send(&f.auth, stack, request_with(&twice)).await;
        assert_eq!(
            outcome.rejection,
            Some(Rejection::Malformed("more than one Authorization header"))
        );
    }
}

#[tokio::test]
async fn answers_grpc_requests_with_a_grpc_status() {
    let f = Fixture::new();
    for stack in STACKS {
        let request = request_with(&[("content-type", "application/grpc+proto")]);
        let outcome = send(&f.auth, stack, request).await;
        assert_eq!(outcome.status, StatusCode::OK);
        assert_eq!(
            outcome.headers["content-type"], "application/grpc+proto",
            "the request's own flavour"
        );
        assert_eq!(outcome.headers["grpc-status"], "16");
        assert_eq!(outcome.headers["grpc-message"], "no token was presented");
        assert_eq!(outcome.rejection, Some(Rejection::MissingToken));
        assert_eq!(outcome.body, "");
    }
    let broken = Fixture::with_store(TestStore::broken());
    let token = broken.mint(|_| {});
    let cookie = format!("__Host-Http-access={token}");
    for stack in STACKS {
        let request = request_with(&[("content-type", "application/grpc"), ("cookie", &cookie)]);
        let outcome = send(&broken.auth, stack, request).await;
        assert_eq!(outcome.headers["grpc-status"], "14");
        assert_eq!(outcome.rejection, Some(Rejection::StoreUnavailable));
    }
}

#[tokio::test]
async fn a_custom_responder_replaces_the_default_and_the_rejection_stays_in_extensions() {
    let f = Fixture::build(
        KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
        MemoryStore::new(),
        |b| {
            b.responder(|rejection: &Rejection, request: &RequestInfo<'_>| {
                Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header("location", format!("/login?from={}", request.uri.path()))
                    .header("x-reason", rejection.reason())
                    .body(Bytes::from_static(b"please log in"))
                    .unwrap()
            })
        },
    );
    for stack in STACKS {
        let outcome = send(&f.auth, stack, request_with(&[])).await;
        assert_eq!(outcome.status, StatusCode::SEE_OTHER);
        assert_eq!(outcome.headers["location"], "/login?from=/api/me");
        assert_eq!(outcome.headers["x-reason"], "missing_token");
        assert_eq!(outcome.body, "please log in");
        assert_eq!(outcome.rejection, Some(Rejection::MissingToken));
    }
}

#[derive(Clone, Debug, serde::Deserialize, PartialEq)]
struct AppClaims {
    roles: Vec<String>,
    tenant: Option<String>,
}

#[tokio::test]
async fn inserts_typed_custom_claims_for_the_handler() {
    let f = Fixture::new();
    let token = f.mint(|c| c.custom = json!({ "roles": ["admin"], "tenant": "acme" }));
    let service = ServiceBuilder::new()
        .layer(f.auth.verifier::<AppClaims>())
        .service(service_fn(|request: Request<Body>| async move {
            let claims = request
                .extensions()
                .get::<VerifiedClaims<AppClaims>>()
                .cloned()
                .unwrap();
            Ok::<_, Infallible>(Response::new(Body::from(format!(
                "{} {} {:?} {:?}",
                claims.subject(),
                claims.session_id(),
                claims.custom().roles,
                claims.custom().tenant
            ))))
        }));
    let response = service.oneshot(cookie_request(&token)).await.unwrap();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], br#"alice sid-1 ["admin"] Some("acme")"#);

    // Claims of the wrong shape are refused, not defaulted.
    let wrong = f.mint(|c| c.custom = json!({ "roles": "admin" }));
    let service = ServiceBuilder::new()
        .layer(f.auth.verifier::<AppClaims>())
        .service(service_fn(|_: Request<Body>| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        }));
    let response = service.oneshot(cookie_request(&wrong)).await.unwrap();
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::Malformed(
            "the custom claims do not have the expected shape"
        ))
    );
}

/// A service that must be polled ready before each call; clones start unready.
struct ReadyOnce {
    ready: bool,
}

impl Clone for ReadyOnce {
    fn clone(&self) -> Self {
        Self { ready: false }
    }
}

impl Service<Request<Body>> for ReadyOnce {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<Body>, Infallible>>;
    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        self.ready = true;
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<Body>) -> Self::Future {
        assert!(std::mem::take(&mut self.ready), "called without poll_ready");
        std::future::ready(Ok(Response::new(Body::empty())))
    }
}

async fn three_calls_through<S: RevocationStore>(fixture: &Fixture<S>) {
    let token = fixture.mint(|_| {});
    let mut service = ServiceBuilder::new()
        .layer(fixture.auth.verifier::<serde_json::Value>())
        .service(ReadyOnce { ready: false });
    for _ in 0..3 {
        let response = service
            .ready()
            .await
            .unwrap()
            .call(cookie_request(&token))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn calls_the_inner_service_that_was_polled_ready() {
    // MemoryStore answers at once (`check_now`): the polled service is called
    // in `call`. TestStore only answers asynchronously: the polled service
    // is moved into the future and an unready clone stays behind.
    three_calls_through(&Fixture::new()).await;
    three_calls_through(&Fixture::with_store(TestStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_a_rotated_key_verify_until_it_is_retired() {
    let f = Fixture::new();
    let old_token = f.mint(|_| {});
    f.ring
        .insert_signing(SigningKey::hmac("k2", Algorithm::HS512, &[0x11; 64]).unwrap())
        .unwrap();
    f.ring.activate("k2").unwrap();
    let new_token = f.mint(|_| {});
    assert!(
        new_token.starts_with("eyJhbGciOiJIUzUxMiIsImtpZCI6ImsyIi"),
        "signed by k2: {new_token}"
    );

    // Verify both continuously from several tasks while the old key is retired.
    let auth = f.auth.clone();
    let retired = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (auth, old_token, new_token, retired) = (
            auth.clone(),
            old_token.clone(),
            new_token.clone(),
            Arc::clone(&retired),
        );
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                let seen_retired = retired.load(Ordering::SeqCst) == 1;
                let new = send(&auth, Stack::ServiceFn, cookie_request(&new_token)).await;
                assert_eq!(new.status, StatusCode::OK);
                let old = send(&auth, Stack::ServiceFn, cookie_request(&old_token)).await;
                if seen_retired {
                    assert_eq!(old.rejection, Some(Rejection::UnknownKey));
                } else {
                    assert!(
                        old.status == StatusCode::OK
                            || old.rejection == Some(Rejection::UnknownKey)
                    );
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    tokio::task::yield_now().await;
    assert_eq!(
        f.ring.retire("k2").unwrap_err().to_string(),
        "the key `k2` is the active signing key; activate another key before retiring it"
    );
    f.ring.retire("k1").unwrap();
    retired.store(1, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    assert_refused(&f.auth, &old_token, Rejection::UnknownKey).await;
    assert_accepted(&f.auth, &new_token).await;
    assert_eq!(f.ring.kids(), vec!["k2".to_owned()]);
}

/// A provider that learns key `k2` only when asked to refresh, counting refreshes.
struct RefreshingProvider {
    ring: KeyRing,
    refreshes: Arc<AtomicUsize>,
    learns: bool,
}

impl KeyProvider for RefreshingProvider {
    fn verifying_key(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        self.ring.verifying_key(kid)
    }
    fn signing_key(&self) -> Option<Arc<SigningKey>> {
        self.ring.signing_key()
    }
    fn refresh_for_unknown_kid(&self, _kid: Option<&str>) -> Option<KeyRefresh> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        let ring = self.ring.clone();
        let learns = self.learns;
        Some(Box::pin(async move {
            tokio::task::yield_now().await;
            if learns && ring.verifying_key(Some("k2")).is_none() {
                ring.insert_verifying(
                    VerifyingKey::hmac("k2", Algorithm::HS256, &[0x22; 32]).unwrap(),
                )
                .unwrap();
            }
        }))
    }
}

/// A configuration over a [`RefreshingProvider`] holding `k1`, and its refresh count.
fn refreshing_auth(learns: bool) -> (CookieAuth<MemoryStore>, Arc<AtomicUsize>) {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let provider = RefreshingProvider {
        ring: KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
        refreshes: Arc::clone(&refreshes),
        learns,
    };
    let auth = CookieAuth::builder(provider, MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(tower_jwt_cookie::clock::ManualClock::new(NOW))
        .build()
        .unwrap();
    (auth, refreshes)
}

#[tokio::test]
async fn waits_for_a_key_refresh_once_when_the_kid_is_unknown() {
    for learns in [true, false] {
        let (auth, refreshes) = refreshing_auth(learns);
        let forged = forge_hs256(
            &json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k2" }),
            &payload(NOW),
            &[0x22; 32],
        );
        let outcome = send(&auth, Stack::ServiceFn, cookie_request(&forged)).await;
        if learns {
            assert_eq!(outcome.status, StatusCode::OK);
        } else {
            assert_eq!(outcome.rejection, Some(Rejection::UnknownKey));
        }
        assert_eq!(
            refreshes.load(Ordering::SeqCst),
            1,
            "exactly one refresh per request"
        );
    }
}

#[tokio::test]
async fn a_key_learned_by_refresh_still_checks_the_signature_and_kid_shape() {
    let (auth, refreshes) = refreshing_auth(true);
    // Names k2, which the refresh teaches, but is signed with another secret.
    let forged = forge_hs256(
        &json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k2" }),
        &payload(NOW),
        &[0x33; 32],
    );
    let outcome = send(&auth, Stack::ServiceFn, cookie_request(&forged)).await;
    assert_eq!(outcome.rejection, Some(Rejection::BadSignature));
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    // A kid no configured key could have never reaches the refresh hook.
    for kid in ["k".repeat(129), "../k2".to_owned(), "k 2".to_owned()] {
        let forged = forge_hs256(
            &json!({ "alg": "HS256", "typ": "at+jwt", "kid": kid }),
            &payload(NOW),
            &[0x22; 32],
        );
        let outcome = send(&auth, Stack::ServiceFn, cookie_request(&forged)).await;
        assert_eq!(outcome.rejection, Some(Rejection::UnknownKey), "{kid}");
    }
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_synchronous_store_error_fails_closed_too() {
    let f = Fixture::with_store(TestStore::failing_now());
    assert_refused(&f.auth, &f.mint(|_| {}), Rejection::StoreUnavailable).await;
}

#[tokio::test]
async fn publishes_only_public_keys_in_the_jwks() {
    let ring = KeyRing::with_signing_key(signing_key("ec", Algorithm::ES256));
    ring.insert_signing(signing_key("ed", Algorithm::EdDSA))
        .unwrap();
    ring.insert_signing(signing_key("rsa", Algorithm::RS256))
        .unwrap();
    ring.insert_signing(signing_key("hmac", Algorithm::HS256))
        .unwrap();
    let jwks = ring.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "the HMAC secret is never published: {jwks}");
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["crv"], "P-256");
    assert_eq!(keys[0]["alg"], "ES256");
    assert_eq!(keys[1]["kty"], "OKP");
    assert_eq!(keys[1]["crv"], "Ed25519");
    assert_eq!(keys[2]["kty"], "RSA");
    assert_eq!(keys[2]["e"], "AQAB");
    for key in keys {
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{private} in {key}");
        }
    }
    // A published key verifies what its private half signs.
    let x = keys[1]["x"].as_str().unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, x).unwrap();
    let verifier = VerifyingKey::from_der("ed", Algorithm::EdDSA, &raw).unwrap();
    let only_public = KeyRing::new();
    only_public.insert_verifying(verifier).unwrap();
    let f = Fixture::with_key(signing_key("ed", Algorithm::EdDSA));
    let token = f.mint(|_| {});
    let auth = CookieAuth::builder(only_public, MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(f.clock.clone())
        .build()
        .unwrap();
    assert_accepted(&auth, &token).await;
}

#[cfg(feature = "aws_lc_rs")] // key pairs are generated with aws-lc
#[tokio::test]
async fn generated_keys_sign_tokens_that_verify() {
    for alg in [
        Algorithm::HS256,
        Algorithm::HS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let f = Fixture::with_key(SigningKey::generate("gen", alg).unwrap());
        assert_accepted(&f.auth, &f.mint(|_| {})).await;
        assert_eq!(f.ring.signing_key().unwrap().algorithm(), alg);
    }
    let other = SigningKey::generate("gen", Algorithm::ES256).unwrap();
    let f = Fixture::with_key(SigningKey::generate("gen", Algorithm::ES256).unwrap());
    let ring = KeyRing::with_signing_key(other);
    let token = tower_jwt_cookie::token::encode(
        &ring.signing_key().unwrap(),
        tower_jwt_cookie::token::TokenKind::Access,
        &valid_claims(NOW),
    )
    .unwrap();
    assert_refused(&f.auth, &token, Rejection::BadSignature).await;
    let err = SigningKey::generate("gen", Algorithm::RS256).unwrap_err();
    assert!(err.to_string().contains("openssl genpkey"), "{err}");
}
