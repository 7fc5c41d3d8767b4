//! The verify pipeline through the tower `Service` against bare
//! `jsonwebtoken::decode` of the same token, for HS256, ES256, EdDSA, RS256.
//!
//! `cargo bench --bench verify` prints criterion's figures, then per algorithm
//! the ratios of `token::verify` (the pipeline alone) and of the whole
//! verifier service to bare decode, and of the service to the pipeline (the
//! layer's own cost), all means from this run. Bare `decode` rebuilds its
//! HMAC key or re-parses its public key on every call; the pipeline keeps
//! them with the key, which is part of what is being compared.
//! The verifier call includes: reading the cookie header, the whole decode
//! pipeline, typed claims, a MemoryStore check against 1,000,000 revoked
//! entries, and inserting `VerifiedClaims` into the request extensions.

#[path = "support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{BatchSize, Criterion};
use http::{Request, Response};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use support::Run;
use tower::{Service, ServiceBuilder, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::revocation::{RevocationStore, TokenRevocation};
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, VerifiedClaims};

const REVOKED: usize = 1_000_000;
const ALGORITHMS: [(&str, Algorithm); 4] = [
    ("HS256", Algorithm::HS256),
    ("ES256", Algorithm::ES256),
    ("EdDSA", Algorithm::EdDSA),
    ("RS256", Algorithm::RS256),
];

#[derive(Clone, Deserialize)]
#[allow(dead_code)] // read by serde; the bench only needs the work done
struct AppClaims {
    roles: Vec<String>,
    name: String,
}

/// What bare jsonwebtoken decodes: the same claims, registered and custom.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BareClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    sid: String,
    roles: Vec<String>,
    name: String,
}

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn keys(alg: Algorithm) -> (SigningKey, DecodingKey) {
    match alg {
        Algorithm::HS256 => {
            let secret = [0x5a; 32];
            (
                SigningKey::hmac("k1", alg, &secret).unwrap(),
                DecodingKey::from_secret(&secret).unwrap(),
            )
        }
        Algorithm::ES256 => (
            SigningKey::from_pem("k1", alg, &key_file("p256.pem")).unwrap(),
            DecodingKey::from_ec_pem(&key_file("p256.pub.pem")).unwrap(),
        ),
        Algorithm::EdDSA => (
            SigningKey::from_pem("k1", alg, &key_file("ed25519.pem")).unwrap(),
            DecodingKey::from_ed_pem(&key_file("ed25519.pub.pem")).unwrap(),
        ),
        _ => (
            SigningKey::from_pem("k1", alg, &key_file("rsa2048.pem")).unwrap(),
            DecodingKey::from_rsa_pem(&key_file("rsa2048.pub.pem")).unwrap(),
        ),
    }
}

/// Polls a future that must complete without waiting (everything here does).
fn complete<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the bench expects futures that complete at once"),
    }
}

/// Now, by the system clock: bare `decode` validates `exp` against it.
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

fn store_with_revocations(now: i64) -> MemoryStore {
    let store = MemoryStore::new();
    for i in 0..REVOKED {
        let revocation = TokenRevocation {
            sub: "alice",
            jti: &format!("revoked-{i:07}"),
            expires_at: now + 900,
        };
        complete(store.revoke_token(revocation)).unwrap();
    }
    store
}

fn bench(c: &mut Criterion) {
    install_jsonwebtoken_provider();
    let now = unix_now();
    let store = store_with_revocations(now);
    let mut group = c.benchmark_group("verify");
    for (name, alg) in ALGORITHMS {
        let (signing, decoding) = keys(alg);
        let ring = KeyRing::with_signing_key(signing);
        let auth = CookieAuth::builder(ring.clone(), store.clone())
            .issuer("https://app.example")
            .audience("app")
            .clock(ManualClock::new(now))
            .build()
            .unwrap();
        let claims = Claims {
            registered: RegisteredClaims {
                iss: Some("https://app.example".into()),
                sub: Some("user-8c1f2a".into()),
                aud: vec!["app".into()],
                exp: Some(now + 86_400),
                nbf: None,
                iat: Some(now),
                jti: Some("01JDX3ZC9T8QJ6V2K4W5N7P0RS".into()),
                sid: Some("01JDX3ZC9S3M7Y2B8H6F4D1QAZ".into()),
            },
            custom: json!({ "roles": ["reader", "writer"], "name": "Alice Liddell" }),
        };
        let jwt = token::encode(&ring.signing_key().unwrap(), TokenKind::Access, &claims).unwrap();

        let mut validation = Validation::new(alg.as_str().parse().unwrap());
        validation.set_issuer(&["https://app.example"]);
        validation.set_audience(&["app"]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        // Both sides check exp (the token lives a day, longer than any run).
        validation.leeway = 0;
        group.bench_function(format!("{name}/bare_jsonwebtoken_decode"), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<BareClaims>(black_box(&jwt), &decoding, &validation).unwrap()
            })
        });

        let policy = auth.policy().clone();
        group.bench_function(format!("{name}/pipeline_only"), |b| {
            b.iter(|| {
                token::verify::<AppClaims>(
                    black_box(jwt.as_bytes()),
                    TokenKind::Access,
                    &ring,
                    &policy,
                    now,
                )
                .unwrap()
            })
        });

        let mut service = ServiceBuilder::new()
            .layer(auth.verifier::<AppClaims>())
            .service(service_fn(|request: Request<()>| async move {
                debug_assert!(
                    request
                        .extensions()
                        .get::<VerifiedClaims<AppClaims>>()
                        .is_some()
                );
                Ok::<_, Infallible>(Response::new(()))
            }));
        let cookie = format!("theme=dark; lang=en; __Host-Http-access={jwt}");
        group.bench_function(format!("{name}/verifier_service"), |b| {
            b.iter_batched(
                || {
                    Request::get("/api/me")
                        .header("cookie", &cookie)
                        .body(())
                        .unwrap()
                },
                |request| {
                    complete(std::future::poll_fn(|cx| service.poll_ready(cx))).unwrap();
                    let response = complete(service.call(request)).unwrap();
                    assert_eq!(response.status(), 200);
                    response
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn install_jsonwebtoken_provider() {
    #[cfg(feature = "aws_lc_rs")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(not(feature = "aws_lc_rs"))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    let _ = provider.install_default();
}

fn print_ratios(run: &Run) {
    println!("\nmeans of this run; ratios to bare jsonwebtoken::decode, and the layer's own cost:");
    for (name, _) in ALGORITHMS {
        let mean = |case: &str| run.mean_ns(&format!("verify/{name}_{case}"));
        let (Some(bare), Some(pipeline), Some(service)) = (
            mean("bare_jsonwebtoken_decode"),
            mean("pipeline_only"),
            mean("verifier_service"),
        ) else {
            continue;
        };
        println!(
            "  {name:6} bare {bare:>8.0} ns | token::verify {pipeline:>8.0} ns = {:.3}x | service {service:>8.0} ns = {:.3}x | service / token::verify = {:.3}x",
            pipeline / bare,
            service / bare,
            service / pipeline
        );
    }
}

fn main() {
    let (run, mut criterion) = Run::start();
    bench(&mut criterion);
    criterion.final_summary();
    print_ratios(&run);
}
