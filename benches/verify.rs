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
//! entries, inserting `VerifiedClaims` into the request extensions and
//! dropping them with the request.
//! It is measured with the token cache off (`verifier_service`), on a cache
//! hit (`verifier_cache_hit`, HMAC included) and on a miss at its most
//! expensive (`verifier_cache_miss`: lookup, drop of a stale entry, full
//! verification, insert). HS256 also measures two refusals (401): no token,
//! and a bad signature.
//!
//! Every service case builds its request inside the timed loop, as a server
//! does (batches built ahead made glibc coalesce and consolidate the freed
//! requests inside the timing, a cost no server pays); `no_layer` is the
//! same request through the bare inner service, and the ratios use the
//! layer's cost: a case's mean minus `no_layer`'s.
//!
//! The `scaling` group sends the same token from 1 and from 2 worker
//! threads at once (started once per case and kept for every sample, as a
//! server's workers are), for bare decode, the bare inner service
//! (`no_layer`, the harness's floor), the verifier with the cache off, and
//! a cache hit, and prints how throughput scales from 1 to 2 threads.

#[path = "support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::Criterion;
use http::{Request, Response};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use support::Run;
use tower::util::ServiceFn;
use tower::{Service, ServiceBuilder, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::revocation::{RevocationStore, TokenRevocation};
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::verify::VerifierService;
use tower_jwt_cookie::verify::cache::TokenCache;
use tower_jwt_cookie::{Algorithm, CookieAuth, JwtCookieVerifier, MemoryStore};

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
    let mut scaling = Vec::new();
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

        let cookie = format!("theme=dark; __Host-Http-access={jwt}");
        let mut bare_service = service_fn(ok as fn(_) -> _);
        group.bench_function(format!("{name}/no_layer"), |b| {
            b.iter(|| call(&mut bare_service, me_request(black_box(&cookie))))
        });
        let cases = [
            ("verifier_service", auth.verifier().without_token_cache()),
            (
                "verifier_cache_hit",
                auth.verifier()
                    .token_cache(TokenCache::new().include_hmac(true)),
            ),
            // Every entry is stale at once: each call looks up, drops the
            // entry, verifies from scratch and inserts again (a miss at its
            // most expensive).
            (
                "verifier_cache_miss",
                auth.verifier()
                    .token_cache(TokenCache::new().include_hmac(true).max_age(Duration::ZERO)),
            ),
        ];
        for (case, layer) in cases {
            let mut service = verified_service(layer);
            group.bench_function(format!("{name}/{case}"), |b| {
                b.iter(|| call(&mut service, me_request(black_box(&cookie))))
            });
        }
        if alg == Algorithm::HS256 {
            let mut service = verified_service(auth.verifier().without_token_cache());
            let refusals = [
                ("refused_missing_token", "theme=dark".to_owned()),
                (
                    "refused_bad_signature",
                    format!("__Host-Http-access={jwt}x"),
                ),
            ];
            for (case, cookie) in refusals {
                group.bench_function(format!("{name}/{case}"), |b| {
                    b.iter(|| call(&mut service, me_request(black_box(&cookie))))
                });
            }
        }
        scaling.push((name, auth, jwt, decoding, validation));
    }
    group.finish();
    bench_scaling(c, scaling);
}

type Layer = JwtCookieVerifier<AppClaims, MemoryStore>;
type Verified = VerifierService<
    ServiceFn<fn(Request<()>) -> Ready<Result<Response<()>, Infallible>>>,
    AppClaims,
    MemoryStore,
>;

fn ok(_: Request<()>) -> Ready<Result<Response<()>, Infallible>> {
    ready(Ok(Response::new(())))
}

fn verified_service(layer: Layer) -> Verified {
    ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(ok as fn(_) -> _))
}

fn me_request(cookie: &str) -> Request<()> {
    Request::get("/api/me")
        .header("cookie", cookie)
        .body(())
        .unwrap()
}

/// One request through `service`; the status is returned so nothing is
/// optimised away (200 on the allowed paths, 401 on the refusals).
fn call<S, B>(service: &mut S, request: Request<()>) -> u16
where
    S: Service<Request<()>, Response = Response<B>, Error = Infallible>,
{
    complete(std::future::poll_fn(|cx| service.poll_ready(cx))).unwrap();
    complete(service.call(request)).unwrap().status().as_u16()
}

/// The same token on every request from 1 and from 2 threads at once (the
/// worst case for state shared between cores): each case's time is per
/// request of the aggregate, so `1-thread mean / 2-thread mean` is how the
/// throughput scales.
fn bench_scaling(
    c: &mut Criterion,
    setups: Vec<(
        &'static str,
        CookieAuth<MemoryStore>,
        String,
        DecodingKey,
        Validation,
    )>,
) {
    let mut group = c.benchmark_group("scaling");
    for (name, auth, jwt, decoding, validation) in setups {
        if name != "HS256" && name != "ES256" {
            continue;
        }
        let cookie = format!("theme=dark; __Host-Http-access={jwt}");
        for threads in [1, 2] {
            scaled(
                &mut group,
                format!("{name}/bare_decode/{threads}"),
                threads,
                || {
                    || {
                        jsonwebtoken::decode::<BareClaims>(&jwt, &decoding, &validation).unwrap();
                    }
                },
            );
            // The harness's own floor: the same request through the bare
            // inner service, from 1 and 2 threads.
            scaled(
                &mut group,
                format!("{name}/no_layer/{threads}"),
                threads,
                || {
                    let mut service = service_fn(ok as fn(_) -> _);
                    let cookie = &cookie;
                    move || assert_eq!(call(&mut service, me_request(cookie)), 200)
                },
            );
            let cases = [
                ("verifier_service", auth.verifier().without_token_cache()),
                (
                    "verifier_cache_hit",
                    auth.verifier()
                        .token_cache(TokenCache::new().include_hmac(true)),
                ),
            ];
            for (case, layer) in cases {
                scaled(
                    &mut group,
                    format!("{name}/{case}/{threads}"),
                    threads,
                    || {
                        let mut service = verified_service(layer.clone());
                        let cookie = &cookie;
                        move || assert_eq!(call(&mut service, me_request(cookie)), 200)
                    },
                );
            }
        }
    }
    group.finish();
}

/// Benchmarks `id` on `threads` worker threads, each with its own job from
/// `make`. The workers start once and serve every sample (as a server's
/// worker threads do: a thread started per sample measured its start-up and
/// its allocator's cold start too); each sample runs `iters` jobs on every
/// worker at once, and its time is the wall time per worker's share, so the
/// mean is per request of the aggregate throughput.
fn scaled<F: FnMut()>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: String,
    threads: u32,
    make: impl Fn() -> F + Sync,
) {
    let workers = threads as usize;
    let start = Barrier::new(workers + 1);
    let done = Barrier::new(workers + 1);
    // The jobs per worker in this sample; `u64::MAX` stops the workers.
    let iters = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let Ok(mut job) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&make))
                else {
                    std::process::abort();
                };
                loop {
                    start.wait();
                    let count = iters.load(Ordering::SeqCst);
                    if count == u64::MAX {
                        return;
                    }
                    // A failed job must fail the bench, not leave the
                    // other threads waiting at the barrier forever.
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        for _ in 0..count {
                            job();
                        }
                    }));
                    if ran.is_err() {
                        std::process::abort();
                    }
                    done.wait();
                }
            });
        }
        group.bench_function(id, |b| {
            b.iter_custom(|count| {
                iters.store(count, Ordering::SeqCst);
                start.wait();
                let began = Instant::now();
                done.wait();
                began.elapsed() / threads
            })
        });
        iters.store(u64::MAX, Ordering::SeqCst);
        start.wait();
    });
}

fn install_jsonwebtoken_provider() {
    #[cfg(feature = "aws_lc_rs")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(not(feature = "aws_lc_rs"))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    let _ = provider.install_default();
}

fn print_ratios(run: &Run) {
    println!(
        "\nmeans of this run; a service case's layer cost is its mean minus no_layer's \
         (the same request through the bare inner service); ratios to bare jsonwebtoken::decode:"
    );
    for (name, _) in ALGORITHMS {
        let mean = |case: &str| run.mean_ns(&format!("verify/{name}_{case}"));
        let (Some(bare), Some(pipeline), Some(no_layer), Some(service)) = (
            mean("bare_jsonwebtoken_decode"),
            mean("pipeline_only"),
            mean("no_layer"),
            mean("verifier_service"),
        ) else {
            continue;
        };
        let layer = |case_mean: f64| case_mean - no_layer;
        let service = layer(service);
        println!(
            "  {name:6} bare {bare:>8.0} ns | token::verify {pipeline:>8.0} ns = {:.3}x | request alone {no_layer:>5.0} ns | layer, cache off {service:>8.0} ns = {:.3}x",
            pipeline / bare,
            service / bare,
        );
        if let (Some(hit), Some(miss)) = (mean("verifier_cache_hit"), mean("verifier_cache_miss")) {
            let (hit, miss) = (layer(hit), layer(miss));
            println!(
                "  {:6} layer, cache hit {hit:>8.0} ns = {:.3}x ({:.1}x faster than bare) | worst miss {miss:>8.0} ns = {:.3}x (miss / cache off = {:.3}x)",
                "",
                hit / bare,
                bare / hit,
                miss / bare,
                miss / service
            );
        }
        for case in ["refused_missing_token", "refused_bad_signature"] {
            if let Some(refused) = mean(case) {
                println!(
                    "  {:6} {case} {:>8.0} ns = {:.3}x the allowed request's layer cost (cache off)",
                    "",
                    layer(refused),
                    layer(refused) / service
                );
            }
        }
    }
    println!(
        "\nscaling, same token on every request: 1-thread mean / 2-thread mean (2.0 = perfect):"
    );
    for (name, _) in ALGORITHMS {
        for case in [
            "bare_decode",
            "no_layer",
            "verifier_service",
            "verifier_cache_hit",
        ] {
            let mean = |threads: u32| run.mean_ns(&format!("scaling/{name}_{case}_{threads}"));
            if let (Some(one), Some(two)) = (mean(1), mean(2)) {
                println!(
                    "  {name:6} {case:20} 1 thread {one:>8.0} ns | 2 threads {two:>8.0} ns per request | {:.2}x",
                    one / two
                );
            }
        }
    }
}

fn main() {
    let (run, mut criterion) = Run::start();
    bench(&mut criterion);
    criterion.final_summary();
    print_ratios(&run);
}
