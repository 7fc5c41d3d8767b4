//! The verifier service over `MemoryStore`, over `RedisStore`, and over
//! `RedisStore` with its local revocation cache, in one run on a redis-server
//! this bench starts itself (like tests/it/redis.rs):
//!
//! 1. requests/s through the verifier (HS256, token cache off, so every
//!    request asks the store) at 1 and 256 requests in flight, and the cost
//!    of one answered-from-memory check beside `MemoryStore::check_now`;
//! 2. the same with redis-server slowed to a fifth of its speed (blocked
//!    8 ms of every 10 ms by `DEBUG SLEEP`): the cached verifier keeps
//!    its rate, the uncached one follows Redis down;
//! 3. how long a revocation on one instance takes to be refused on another
//!    (p50/p99/max over `REVOCATIONS` subjects);
//! 4. how many invalidations one workload (logins, refreshes, a few
//!    logouts) sends each instance: the revocation channel this crate
//!    publishes on, beside RESP3 `CLIENT TRACKING` in broadcast mode on the
//!    key prefix.
//!
//! `cargo bench --features redis --bench local_cache`
//!
//! Every load level is bounded by `MAX_OPS` requests and `MAX_TIME`.
//! Goals: a check answered from the cache within 1.5× of MemoryStore's;
//! with Redis slowed, the cached verifier keeps at least 80% of its rate
//! (what it loses is CPU on a 2-core machine, not waiting for Redis) while
//! the uncached one falls with Redis.

#[path = "../tests/it/support/redis_server.rs"]
mod redis_server;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http::{Request, Response};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::revocation::redis::{LocalCache, RedisStore};
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Session};

const MAX_OPS: usize = 200_000;
const MAX_TIME: Duration = Duration::from_secs(3);
const LEVELS: [usize; 2] = [1, 256];
const REVOCATIONS: usize = 1000;

fn ok(_: Request<()>) -> Ready<Result<Response<()>, Infallible>> {
    ready(Ok(Response::new(())))
}

/// A signed-in access cookie for `auth`, and the store primed with its
/// session (a real login through the issuer would do the same writes).
async fn signed_in<S: RevocationStore + Clone>(auth: &CookieAuth<S>) -> String {
    let issuer = auth.issuer().unwrap();
    let login = service_fn(|_: Request<()>| async {
        let mut response = Response::new(());
        Session::issue("alice").attach(&mut response);
        Ok::<_, Infallible>(response)
    });
    let response = issuer
        .layer(login)
        .oneshot(Request::post("/login").body(()).unwrap())
        .await
        .unwrap();
    response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-Http-access="))
        .expect("an access cookie")
}

fn auth<S: RevocationStore>(store: S) -> CookieAuth<S> {
    let key = SigningKey::hmac("k1", Algorithm::HS256, &[0x5a; 32]).unwrap();
    CookieAuth::builder(KeyRing::with_signing_key(key), store)
        .issuer("https://app.example")
        .audience("app")
        .clock(ManualClock::new(unix_now()))
        .build()
        .unwrap()
}

fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// Requests per second through the verifier: `in_flight` tasks, each
/// sending `cookie` in a loop, until `MAX_OPS` in all or `MAX_TIME`.
async fn load<S: RevocationStore + Clone>(
    auth: &CookieAuth<S>,
    cookie: &str,
    in_flight: usize,
) -> f64 {
    let layer = auth.verifier::<serde_json::Value>().without_token_cache();
    let per_task = MAX_OPS / in_flight;
    let started = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let mut service = layer.layer(service_fn(ok));
            let cookie = cookie.to_owned();
            tokio::spawn(async move {
                let mut done = 0;
                while done < per_task && started.elapsed() < MAX_TIME {
                    let request = Request::get("/api/me")
                        .header("cookie", &cookie)
                        .body(())
                        .unwrap();
                    let response = service.ready().await.unwrap().call(request).await.unwrap();
                    assert_eq!(response.status(), 200, "the verifier accepts the token");
                    done += 1;
                    // An answer from memory never waits, so without this a
                    // task would hold the one thread and starve the cache's
                    // subscriber (a server's connections yield on I/O).
                    if done % 64 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                done
            })
        })
        .collect();
    let mut all = 0;
    for task in tasks {
        all += task.await.unwrap();
    }
    all as f64 / started.elapsed().as_secs_f64()
}

/// Mean ns of one `check_now` answered from memory, over `rounds` rounds
/// of 100,000 calls; between rounds the runtime runs the cache's subscriber
/// (which must prove itself live to keep the cache answering).
async fn check_now_ns(store: &impl RevocationStore, token: AccessCheck<'_>, rounds: u32) -> f64 {
    const CALLS: u32 = 100_000;
    let mut spent = Duration::ZERO;
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..CALLS {
            let answer = store
                .check_now(black_box(token))
                .expect("answered from memory");
            black_box(answer.unwrap());
        }
        spent += started.elapsed();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    spent.as_nanos() as f64 / f64::from(rounds * CALLS)
}

/// Blocks redis-server 8 ms of every 10 ms (`DEBUG SLEEP` from a thread of
/// its own, so no process is spawned per cycle) until dropped.
struct Slowed {
    running: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Slowed {
    fn start(server: &redis_server::RedisServer) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let mut conn = redis::Client::open(server.url())
            .unwrap()
            .get_connection()
            .unwrap();
        let thread = std::thread::spawn(move || {
            while flag.load(Ordering::Relaxed) {
                let _: () = redis::cmd("DEBUG")
                    .arg("SLEEP")
                    .arg("0.008")
                    .query(&mut conn)
                    .unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Self {
            running,
            thread: Some(thread),
        }
    }
}

impl Drop for Slowed {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
    }
}

async fn cached_store(server: &redis_server::RedisServer) -> RedisStore {
    RedisStore::builder(server.url())
        .local_cache(LocalCache::new())
        .connect()
        .await
        .unwrap()
}

/// Session `s` of `sub`, started at `now` with refresh token `r0`.
fn session_of(sub: &str, now: i64) -> SessionStart<'_> {
    SessionStart {
        sid: "s",
        sub,
        refresh_jti: "r0",
        now,
        idle_expires_at: now + 600,
        absolute_expires_at: now + 3600,
    }
}

/// Ends session `s` of `sub` (logout) at `now`.
async fn end_session(store: &RedisStore, sub: &str, now: i64) {
    let logout = SessionRevocation {
        sub,
        sid: "s",
        expires_at: now + 600,
    };
    store.revoke_session(logout).await.unwrap();
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), *samples.last().unwrap())
}

/// Part 3: revoke on `there`, measure until `here` refuses.
async fn invalidation_delays(here: &RedisStore, there: &RedisStore, now: i64) {
    let mut after_ack = Vec::with_capacity(REVOCATIONS);
    let mut from_start = Vec::with_capacity(REVOCATIONS);
    for i in 0..REVOCATIONS {
        let sub = format!("delay-{i}");
        there.start_session(session_of(&sub, now)).await.unwrap();
        let token = AccessCheck {
            jti: "j",
            sid: "s",
            sub: &sub,
            issued_at: now,
            now,
        };
        here.check(token).await.unwrap();
        assert!(
            here.check_now(token).is_some(),
            "cached before the revocation"
        );
        let started = Instant::now();
        end_session(there, &sub, now).await;
        let acknowledged = started.elapsed();
        let deadline = Instant::now() + Duration::from_secs(5);
        while here.check_now(token).is_some() {
            assert!(Instant::now() < deadline, "never refused");
            tokio::task::yield_now().await;
        }
        let refused = started.elapsed();
        from_start.push(refused);
        after_ack.push(refused.saturating_sub(acknowledged));
    }
    let (p50, p99, max) = percentiles(from_start);
    println!("  from the revoking call's start: p50 {p50:.1?}, p99 {p99:.1?}, max {max:.1?}");
    let (p50, p99, max) = percentiles(after_ack);
    println!(
        "  after the revoking instance's acknowledgement: p50 {p50:.1?}, p99 {p99:.1?}, max {max:.1?}"
    );
}

/// Part 4: invalidations each instance receives for one workload.
async fn invalidation_counts(server: &redis_server::RedisServer, store: &RedisStore, now: i64) {
    use redis::{AsyncConnectionConfig, PushKind};

    // This crate's channel, counted by a plain subscriber.
    let client = redis::Client::open(server.url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe("tjc:revocations").await.unwrap();
    // Client-side caching in broadcast mode on the store's prefix (RESP3).
    let resp3 = redis::Client::open(format!("{}?protocol=resp3", server.url())).unwrap();
    let (pushes, mut received) = tokio::sync::mpsc::unbounded_channel();
    let config = AsyncConnectionConfig::new().set_push_sender(pushes);
    let mut tracking = resp3
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg(&["TRACKING", "ON", "BCAST", "PREFIX", "tjc:"][..])
        .query_async(&mut tracking)
        .await
        .unwrap();

    let (logins, refreshes, logouts) = (200, 600, 10);
    for i in 0..logins {
        let sub = format!("work-{i}");
        store.start_session(session_of(&sub, now)).await.unwrap();
    }
    for r in 0..refreshes {
        let sub = format!("work-{}", r % logins);
        let round = r / logins;
        let (presented, next) = (format!("r{round}"), format!("r{}", round + 1));
        let rotation = Rotation {
            sub: &sub,
            sid: "s",
            presented_jti: &presented,
            next_jti: &next,
            now,
            grace_secs: 5,
            idle_expires_at: now + 600,
        };
        assert_eq!(
            store.rotate(rotation).await.unwrap(),
            RotateOutcome::Rotated
        );
    }
    for i in 0..logouts {
        let sub = format!("work-{i}");
        end_session(store, &sub, now).await;
    }
    // A marker on both paths: everything before it has arrived once it has.
    let _: () = redis::cmd("PUBLISH")
        .arg(&["tjc:revocations", "marker"][..])
        .query_async(&mut tracking)
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(&["tjc:marker", "1"][..])
        .query_async(&mut tracking)
        .await
        .unwrap();
    let mut on_channel = 0;
    {
        use futures_util::StreamExt;
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            if message.get_payload_bytes() == b"marker" {
                break;
            }
            on_channel += 1;
        }
    }
    let mut tracked_keys = 0;
    'pushes: while let Some(push) = received.recv().await {
        if push.kind != PushKind::Invalidate {
            continue;
        }
        let keys: Vec<String> = match push.data.first() {
            Some(value) => redis::from_redis_value(value.clone()).unwrap_or_default(),
            None => Vec::new(),
        };
        for key in keys {
            if key == "tjc:marker" {
                break 'pushes;
            }
            tracked_keys += 1;
        }
    }
    println!(
        "  workload: {logins} logins, {refreshes} refreshes, {logouts} logouts (all by one instance)"
    );
    println!("  revocation channel (this crate): {on_channel} messages to every instance");
    println!(
        "  CLIENT TRACKING BCAST PREFIX tjc: {tracked_keys} invalidated keys to every instance"
    );
}

fn main() {
    // `DEBUG SLEEP` slows the server in part 2.
    let debug = |_| vec!["--enable-debug-command".to_owned(), "local".to_owned()];
    let Some(server) = redis_server::redis_server_with(debug) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let memory = auth(MemoryStore::new());
        let redis = auth(server.store().await);
        let cached = auth(cached_store(&server).await);
        let (memory_cookie, redis_cookie, cached_cookie) =
            (signed_in(&memory).await, signed_in(&redis).await, signed_in(&cached).await);
        println!("1. verifier requests/s (HS256, token cache off: every request asks the store)");
        for in_flight in LEVELS {
            let on_memory = load(&memory, &memory_cookie, in_flight).await;
            let on_redis = load(&redis, &redis_cookie, in_flight).await;
            let on_cached = load(&cached, &cached_cookie, in_flight).await;
            println!(
                "  {in_flight:>3} in flight: MemoryStore {on_memory:>9.0}   RedisStore {on_redis:>9.0}   \
                 RedisStore + local cache {on_cached:>9.0}   cached / memory {:.2}   cached / redis {:.1}x",
                on_cached / on_memory,
                on_cached / on_redis,
            );
        }
        let now = unix_now();
        let token = AccessCheck {
            jti: "j",
            sid: "s",
            sub: "bench",
            issued_at: now,
            now,
        };
        let (memory_store, cached_store) = (memory.store().clone(), cached.store().clone());
        cached_store.check(token).await.unwrap();
        let memory_ns = check_now_ns(&memory_store, token, 20).await;
        let cached_ns = check_now_ns(&cached_store, token, 20).await;
        println!(
            "  one check answered from memory: MemoryStore {memory_ns:.0} ns, RedisStore + local cache \
             {cached_ns:.0} ns ({:.2}x)",
            cached_ns / memory_ns
        );

        println!("2. the same at 256 in flight with redis-server blocked 8 ms of every 10 ms");
        let before = (
            load(&redis, &redis_cookie, 256).await,
            load(&cached, &cached_cookie, 256).await,
        );
        let slowed = Slowed::start(&server);
        let during = (
            load(&redis, &redis_cookie, 256).await,
            load(&cached, &cached_cookie, 256).await,
        );
        drop(slowed);
        println!(
            "  RedisStore {:>9.0} -> {:>9.0} ({:.0}%)   RedisStore + local cache {:>9.0} -> {:>9.0} ({:.0}%)",
            before.0,
            during.0,
            100.0 * during.0 / before.0,
            before.1,
            during.1,
            100.0 * during.1 / before.1,
        );

        println!("3. a revocation on one instance refused on another ({REVOCATIONS} subjects)");
        let here = cached_store.clone();
        let there = server.store().await;
        invalidation_delays(&here, &there, now).await;

        println!("4. invalidations one workload sends each instance");
        invalidation_counts(&server, &there, now).await;
    });
}
