//! RedisStore against a real redis-server this test starts itself: the
//! conformance suite, two application instances sharing one Redis, and
//! faults (kill -9, SIGSTOP, restart).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::support::capture::Capture;
use crate::support::redis_server::{RedisServer, redis_server, run_parallel_races_on_own_runtime};
use crate::support::*;
use http::StatusCode;
use tower_jwt_cookie::Rejection;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::revocation::redis::{RedisStore, RedisStoreError};
use tower_jwt_cookie::revocation::{
    AccessCheck, RETENTION_MARGIN_SECS, RevocationStore, SessionRevocation, SessionStart,
    TokenRevocation, TokenStatus, conformance,
};

/// A request that takes longer than this hangs: the test fails instead of
/// waiting forever. (Not a timing assertion: the store's bound is 250 ms.)
const HANG: Duration = Duration::from_secs(5);

async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG, future)
        .await
        .expect("the request hung instead of failing closed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_conformance_suite() {
    let Some(server) = redis_server() else { return };
    // The contract, not the latency bound (the fault tests check that): a
    // loaded CI machine must not turn one slow answer among thousands into
    // a failed rule.
    let store = RedisStore::builder(server.url())
        .timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap();
    conformance::run_all(&store).await;
}

#[test]
fn redis_store_passes_the_parallel_races() {
    let Some(server) = redis_server() else { return };
    run_parallel_races_on_own_runtime(server.store());
}

#[tokio::test]
async fn every_key_is_tagged_by_subject_and_expires_the_retention_margin_after_its_entry() {
    let Some(server) = redis_server() else { return };
    assert_key_layout(&server, &server.store().await, "tjc:").await;
}

#[tokio::test]
async fn a_custom_key_prefix_starts_every_key_and_every_key_still_expires() {
    let Some(server) = redis_server() else { return };
    let store = RedisStore::builder(server.url())
        .key_prefix("shop:")
        .connect()
        .await
        .unwrap();
    assert_key_layout(&server, &store, "shop:").await;
}

/// Writes one entry of each kind through `store` (the only writer on
/// `server`) and checks the keys it made: exactly these names under
/// `prefix`, each with a hash tag per subject and an expiry.
async fn assert_key_layout(server: &RedisServer, store: &RedisStore, prefix: &str) {
    let start = SessionStart {
        sid: "s1",
        sub: "alice",
        refresh_jti: "r1",
        now: NOW,
        idle_expires_at: NOW + 100,
        absolute_expires_at: NOW + 200,
    };
    store.start_session(start).await.unwrap();
    let token = TokenRevocation {
        sub: "alice",
        jti: "j1",
        expires_at: NOW + 50,
    };
    store.revoke_token(token).await.unwrap();
    store.revoke_subject("bob", NOW, NOW + 300).await.unwrap();
    let expiry = |key: &str| server.cli(&["EXPIRETIME", key]);
    // The leeway rule: kept `RETENTION_MARGIN_SECS` past the entry's end.
    let kept = |end: i64| [(end + RETENTION_MARGIN_SECS).to_string()];
    let mut keys = server.cli(&["--scan"]);
    keys.sort();
    let key = |rest: &str| format!("{prefix}{rest}");
    assert_eq!(
        keys,
        [
            key("{alice}:l"),
            key("{alice}:s:s1"),
            key("{alice}:t:j1"),
            key("{bob}:u")
        ]
    );
    assert_eq!(expiry(&key("{alice}:s:s1")), kept(NOW + 100));
    assert_eq!(expiry(&key("{alice}:l")), kept(NOW + 200));
    assert_eq!(expiry(&key("{alice}:t:j1")), kept(NOW + 50));
    assert_eq!(expiry(&key("{bob}:u")), kept(NOW + 300));

    // Revoked: the session is kept until its absolute expiry.
    let logout = SessionRevocation {
        sub: "alice",
        sid: "s1",
        expires_at: NOW + 10,
    };
    store.revoke_session(logout).await.unwrap();
    assert_eq!(expiry(&key("{alice}:s:s1")), kept(NOW + 200));
}

/// `name:calls` of every command `INFO commandstats` lists.
fn command_calls(server: &RedisServer) -> Vec<(String, u64)> {
    let mut calls: Vec<(String, u64)> = server
        .cli(&["INFO", "commandstats"])
        .iter()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let count = stats.strip_prefix("calls=")?.split(',').next()?;
            Some((name.to_owned(), count.parse().unwrap()))
        })
        .collect();
    calls.sort();
    calls
}

/// The clients connected now, but the `redis-cli` that asks.
fn store_connections(server: &RedisServer) -> usize {
    server
        .cli(&["CLIENT", "LIST"])
        .iter()
        .filter(|line| !line.contains("cmd=client|list"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checks_share_one_connection_and_each_is_one_script_call() {
    const IN_FLIGHT: u64 = 256;
    let Some(server) = redis_server() else { return };
    let store = server.store().await;
    let check = |store: RedisStore| async move {
        let token = AccessCheck {
            sub: "alice",
            sid: "s1",
            jti: "j1",
            issued_at: NOW,
            now: NOW + 1,
        };
        store.check(token).await
    };
    assert_eq!(check(store.clone()).await.unwrap(), TokenStatus::Active);
    assert_eq!(store_connections(&server), 1);
    server.cli(&["CONFIG", "RESETSTAT"]);

    let mut checks = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        checks.spawn(check(store.clone()));
    }
    for answer in bounded(checks.join_all()).await {
        assert_eq!(answer.unwrap(), TokenStatus::Active);
    }

    // Every check went over the one connection the store opened at start,
    // each as one EVALSHA: one round trip. Redis counts the commands a
    // script runs inside the server too (the check's GET of the token key
    // and HMGETs of the session and subject keys); the rest are this test's
    // own redis-cli calls.
    assert_eq!(store_connections(&server), 1);
    let count = |name: &str| (name.to_owned(), IN_FLIGHT);
    assert_eq!(
        command_calls(&server),
        [
            ("client|list".to_owned(), 1),
            ("config|resetstat".to_owned(), 1),
            count("evalsha"),
            count("get"),
            ("hmget".to_owned(), 2 * IN_FLIGHT),
        ]
    );
}

#[tokio::test]
async fn a_key_prefix_with_a_brace_is_a_configuration_error() {
    // Refused before any connection is tried.
    let error = RedisStore::builder("redis://127.0.0.1:1/")
        .key_prefix("app{1}:")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, RedisStoreError::Config(_)), "{error:?}");
    assert!(error.to_string().contains("without braces"), "{error}");
}

#[tokio::test]
async fn an_unreachable_server_at_connect_is_a_typed_error_within_the_bound() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // closed again: nothing listens there
    let error = bounded(
        RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
            .timeout(Duration::from_millis(100))
            .connect(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            RedisStoreError::Connection { .. } | RedisStoreError::Timeout { .. }
        ),
        "{error:?}"
    );
}

/// The typed error behind a store failure.
fn redis_error(error: &tower_jwt_cookie::revocation::StoreError) -> &RedisStoreError {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<RedisStoreError>())
        .expect("a RedisStoreError")
}

#[tokio::test]
async fn a_write_without_the_required_replicas_is_not_reported_as_done() {
    let Some(server) = redis_server() else { return };
    // WAIT is given most of the store's bound; a generous bound keeps a
    // loaded machine from turning the missing replica into a timeout.
    let store = RedisStore::builder(server.url())
        .wait_for_replicas(1) // this server has none
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let token = TokenRevocation {
        sub: "alice",
        jti: "j1",
        expires_at: NOW + 50,
    };
    let error = bounded(store.revoke_token(token)).await.unwrap_err();
    assert!(
        matches!(
            redis_error(&error),
            RedisStoreError::Replicas {
                operation: "revoke_token",
                wanted: 1,
                acknowledged: 0
            }
        ),
        "{error:?}"
    );
}

/// Waits until `condition` holds (polled: Redis sends no event for it),
/// within 10 s.
async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_replica_writes_wait_for_it_on_their_own_connection_and_checks_never_queue_behind() {
    let Some(primary) = redis_server() else {
        return;
    };
    let replica = primary.replica();
    // WAIT is given 3/4 of the bound (3 s here): room for the checks below
    // to run while it blocks, even on a loaded machine.
    let store = RedisStore::builder(primary.url())
        .wait_for_replicas(1)
        .timeout(Duration::from_secs(4))
        .connect()
        .await
        .unwrap();
    let clock = ManualClock::new(NOW);
    let app = app(&builder(store.clone(), &clock).build().unwrap());

    // In sync: a logout is acknowledged once the replica holds it.
    let mut alice = Browser::default();
    assert_eq!(alice.login(&app, "alice").await.status, StatusCode::OK);
    let logged_out = alice.clone();
    let sid = payload_of(alice.access())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = bounded(alice.logout(&app)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let session = format!("tjc:{{alice}}:s:{sid}");
    assert_eq!(replica.cli(&["HGET", &session, "rev"]), ["1"]);
    let mut bob = Browser::default();
    assert_eq!(bob.login(&app, "bob").await.status, StatusCode::OK);

    // A frozen replica acknowledges nothing: a write's WAIT blocks (on the
    // writes' connection) until its own timeout.
    replica.freeze();
    let write = tokio::spawn({
        let store = store.clone();
        async move {
            let token = TokenRevocation {
                sub: "carol",
                jti: "j1",
                expires_at: NOW + 50,
            };
            store.revoke_token(token).await
        }
    });
    let blocked = || primary.info("clients", "blocked_clients");
    wait_for("the write's WAIT to block", || blocked() == "1").await;
    // Meanwhile checks are answered, through the stack and directly.
    assert_eq!(bob.me(&app).await.status, StatusCode::OK);
    let reply = logged_out.clone().me(&app).await;
    assert_eq!(reply.rejection, Some(Rejection::Revoked));
    let check = AccessCheck {
        jti: "j2",
        sid: "s",
        sub: "dave",
        issued_at: NOW,
        now: NOW,
    };
    assert_eq!(store.check(check).await.unwrap(), TokenStatus::Active);
    assert_eq!(
        blocked(),
        "1",
        "the checks were answered while the WAIT still blocked"
    );
    let error = bounded(write).await.unwrap().unwrap_err();
    assert!(
        matches!(
            redis_error(&error),
            RedisStoreError::Replicas {
                operation: "revoke_token",
                wanted: 1,
                acknowledged: 0
            }
        ),
        "{error:?}"
    );
    replica.thaw();
}

/// Two application instances (two issuer + verifier stacks, each with its
/// own connection) on one Redis, on one clock.
struct Instances {
    clock: ManualClock,
    a: App,
    b: App,
}

async fn two_instances(server: &RedisServer) -> Instances {
    let clock = ManualClock::new(NOW);
    let a = app(&builder(server.store().await, &clock).build().unwrap());
    let b = app(&builder(server.store().await, &clock).build().unwrap());
    Instances { clock, a, b }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_one_instance_is_refused_on_the_other_at_the_next_request() {
    let Some(server) = redis_server() else { return };
    let Instances { a, b, .. } = two_instances(&server).await;
    let mut alice = Browser::default();
    assert_eq!(alice.login(&a, "alice").await.status, StatusCode::OK);
    assert_eq!(alice.me(&b).await.status, StatusCode::OK);
    let stolen = alice.clone();

    assert_eq!(alice.logout(&b).await.status, StatusCode::NO_CONTENT);
    let reply = stolen.clone().me(&a).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.rejection, Some(Rejection::Revoked));
    let reply = stolen.clone().refresh(&a).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.rejection, Some(Rejection::Revoked));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_on_one_instance_of_a_token_rotated_on_the_other_revokes_the_family_on_both() {
    let Some(server) = redis_server() else { return };
    let Instances { clock, a, b } = two_instances(&server).await;
    let mut alice = Browser::default();
    alice.login(&a, "alice").await;
    let mut thief = alice.clone();
    clock.advance(30);
    assert_eq!(alice.refresh(&a).await.status, StatusCode::OK);
    clock.advance(30); // past the 5 s grace window

    let reply = thief.refresh(&b).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.rejection, Some(Rejection::RefreshReused));
    for app in [&a, &b] {
        let reply = alice.clone().me(app).await;
        assert_eq!(reply.rejection, Some(Rejection::Revoked));
        let reply = alice.clone().refresh(app).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.rejection, Some(Rejection::Revoked));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_everywhere_on_one_instance_is_seen_by_the_other() {
    let Some(server) = redis_server() else { return };
    let Instances { a, b, .. } = two_instances(&server).await;
    let (mut laptop, mut phone) = (Browser::default(), Browser::default());
    laptop.login(&a, "alice").await;
    phone.login(&b, "alice").await;
    let mut bob = Browser::default();
    bob.login(&a, "bob").await;

    assert_eq!(phone.logout_all(&b).await.status, StatusCode::NO_CONTENT);
    let reply = laptop.me(&a).await;
    assert_eq!(reply.rejection, Some(Rejection::Revoked));
    assert_eq!(laptop.refresh(&a).await.rejection, Some(Rejection::Revoked));
    assert_eq!(bob.me(&a).await.status, StatusCode::OK, "another subject");
    // A login after the call (same second) works on both.
    let mut again = Browser::default();
    again.login(&a, "alice").await;
    assert_eq!(again.me(&b).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_refreshes_over_both_instances_converge_on_one_successor() {
    let Some(server) = redis_server() else { return };
    let Instances { clock, a, b } = two_instances(&server).await;
    let mut alice = Browser::default();
    alice.login(&a, "alice").await;
    let first = payload_of(alice.refresh_token())["jti"].clone();
    clock.advance(10);

    // One thread, sixteen requests in flight at once (the app is not Sync,
    // so the tabs run as local tasks).
    let local = tokio::task::LocalSet::new();
    let successors = local
        .run_until(async {
            let tabs: Vec<_> = (0..16)
                .map(|i| {
                    let mut tab = alice.clone();
                    let app = if i % 2 == 0 { a.clone() } else { b.clone() };
                    tokio::task::spawn_local(async move {
                        let status = tab.refresh(&app).await.status;
                        (status, payload_of(tab.refresh_token())["jti"].clone())
                    })
                })
                .collect();
            let mut successors = Vec::new();
            for tab in tabs {
                let (status, jti) = bounded(tab).await.unwrap();
                assert_eq!(status, StatusCode::OK, "every tab refreshes (grace window)");
                successors.push(jti);
            }
            successors
        })
        .await;
    assert_ne!(successors[0], first);
    assert!(
        successors.iter().all(|jti| *jti == successors[0]),
        "the family branched: {successors:?}"
    );
}

/// Every kind of request on both instances is refused as store-unavailable
/// (503), without hanging. A write that timed out against a frozen server
/// runs when it resumes, so the refresh and the logout use sessions of their
/// own (`spare`), not the one the test goes on with.
async fn assert_fails_closed(instances: &Instances, signed_in: &Browser, spare: &Browser) {
    for app in [&instances.a, &instances.b] {
        let reply = bounded(signed_in.clone().me(app)).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "check");
        assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
        let reply = bounded(Browser::default().login(app, "dave")).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "login");
        assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
        let reply = bounded(spare.clone().refresh(app)).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "refresh");
        assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
        let reply = bounded(spare.clone().logout(app)).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "logout");
        assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
        assert!(reply.set_cookies().is_empty(), "cookies kept for a retry");
    }
}

/// Waits until `app` serves `browser` again (it reconnects by itself; there
/// is no event to wait for, so this polls), within 10 s.
async fn wait_until_serving(app: &App, browser: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = bounded(browser.clone().me(app)).await;
        if reply.status == StatusCode::OK {
            return;
        }
        assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
        assert!(Instant::now() < deadline, "the instance did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_redis_fails_closed_and_nothing_acknowledged_is_lost_after_restart() {
    let Some(mut server) = redis_server() else {
        return;
    };
    let instances = two_instances(&server).await;
    let Instances { clock, a, b } = &instances;
    // Reuse detection (on B, of a token rotated on A) revokes frank's family.
    let mut frank = Browser::default();
    frank.login(a, "frank").await;
    let mut frank_thief = frank.clone();
    clock.advance(30);
    assert_eq!(frank.refresh(a).await.status, StatusCode::OK);
    clock.advance(30); // past the 5 s grace window
    let reply = frank_thief.refresh(b).await;
    assert_eq!(reply.rejection, Some(Rejection::RefreshReused));
    // One access token revoked by its `jti`; its session lives on.
    let mut grace = Browser::default();
    grace.login(b, "grace").await;
    let access = payload_of(grace.access());
    let token = TokenRevocation {
        sub: "grace",
        jti: access["jti"].as_str().unwrap(),
        expires_at: access["exp"].as_i64().unwrap(),
    };
    server.store().await.revoke_token(token).await.unwrap();
    let grace_revoked = grace.clone();
    let mut bob = Browser::default();
    bob.login(a, "bob").await;
    let mut carol = Browser::default();
    carol.login(b, "carol").await;
    let carol_before_logout = carol.clone();
    assert_eq!(carol.logout(b).await.status, StatusCode::NO_CONTENT);
    let mut dave = Browser::default();
    dave.login(a, "dave").await;
    let dave_before = dave.clone();
    assert_eq!(dave.logout_all(a).await.status, StatusCode::NO_CONTENT);

    let mut erin = Browser::default();
    erin.login(a, "erin").await;

    server.kill();
    assert_fails_closed(&instances, &bob, &erin).await;

    server.restart();
    wait_until_serving(a, &bob).await;
    wait_until_serving(b, &bob).await;
    for app in [a, b] {
        let reply = carol_before_logout.clone().me(app).await;
        assert_eq!(reply.rejection, Some(Rejection::Revoked), "logout lost");
        let reply = dave_before.clone().me(app).await;
        assert_eq!(
            reply.rejection,
            Some(Rejection::Revoked),
            "logout-everywhere lost"
        );
        let reply = frank.clone().me(app).await;
        assert_eq!(reply.rejection, Some(Rejection::Revoked), "reuse lost");
        let reply = frank.clone().refresh(app).await;
        assert_eq!(reply.rejection, Some(Rejection::Revoked), "reuse lost");
        let reply = grace_revoked.clone().me(app).await;
        assert_eq!(reply.rejection, Some(Rejection::Revoked), "jti lost");
    }
    // Only that token was revoked: its session still refreshes.
    assert_eq!(grace.refresh(a).await.status, StatusCode::OK);
    assert_eq!(grace.me(b).await.status, StatusCode::OK);
    assert_eq!(bob.refresh(b).await.status, StatusCode::OK);
    assert_eq!(bob.me(a).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_redis_fails_closed_and_both_instances_recover_when_it_resumes() {
    let Some(server) = redis_server() else { return };
    let instances = two_instances(&server).await;
    let mut bob = Browser::default();
    bob.login(&instances.a, "bob").await;
    let mut erin = Browser::default();
    erin.login(&instances.b, "erin").await;

    let store = server.store().await;

    server.freeze();
    assert_fails_closed(&instances, &bob, &erin).await;
    let check = AccessCheck {
        jti: "j",
        sid: "s",
        sub: "bob",
        issued_at: NOW,
        now: NOW,
    };
    let error = bounded(store.check(check)).await.unwrap_err();
    assert!(
        matches!(
            redis_error(&error),
            RedisStoreError::Timeout {
                operation: "check",
                ..
            }
        ),
        "{error:?}"
    );
    server.thaw();

    wait_until_serving(&instances.a, &bob).await;
    wait_until_serving(&instances.b, &bob).await;
    assert_eq!(bob.refresh(&instances.b).await.status, StatusCode::OK);
}

/// The warning every layer logs when it refuses a request because the
/// store failed.
const REFUSAL: &str = "revocation store failed; refusing the request";

// Current-thread runtime: the capture records this thread's events.
#[tokio::test]
async fn a_store_failure_is_logged_as_a_warning_naming_the_call_and_no_token() {
    let Some(mut server) = redis_server() else {
        return;
    };
    let clock = ManualClock::new(NOW);
    let app = app(&builder(server.store().await, &clock).build().unwrap());
    let mut alice = Browser::default();
    alice.login(&app, "alice").await;
    let (access, refresh) = (alice.access().to_owned(), alice.refresh_token().to_owned());
    let mut secrets = vec![access.clone(), refresh.clone()];
    for token in [&access, &refresh] {
        // The payload and signature parts, and the token's id.
        secrets.extend(token.split('.').skip(1).map(str::to_owned));
        secrets.push(payload_of(token)["jti"].as_str().unwrap().to_owned());
    }
    secrets.push(payload_of(&access)["sid"].as_str().unwrap().to_owned());

    server.kill();
    let capture = Capture::start();
    let refused = [
        bounded(alice.clone().me(&app)).await,
        bounded(alice.clone().refresh(&app)).await,
        bounded(alice.clone().logout(&app)).await,
    ];
    let events = capture.events();
    drop(capture);
    for reply in &refused {
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
    }
    let warnings: Vec<&String> = events.iter().filter(|e| e.contains(REFUSAL)).collect();
    assert_eq!(warnings.len(), 3, "one per refused request: {events:#?}");
    for (warning, call) in warnings.iter().zip(["check", "rotate", "revoke_session"]) {
        assert!(warning.starts_with("level=WARN "), "{warning}");
        assert!(warning.contains(&format!("redis {call}: ")), "{warning}");
    }
    for event in &events {
        for secret in &secrets {
            assert!(!event.contains(secret.as_str()), "{secret} logged: {event}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_the_wrong_type_under_the_prefix_is_a_typed_script_error_and_a_503() {
    let Some(server) = redis_server() else { return };
    let store = server.store().await;
    let clock = ManualClock::new(NOW);
    let app = app(&builder(store.clone(), &clock).build().unwrap());
    let mut alice = Browser::default();
    alice.login(&app, "alice").await;
    let claims = payload_of(alice.access());
    let (jti, sid) = (
        claims["jti"].as_str().unwrap(),
        claims["sid"].as_str().unwrap(),
    );
    // Something else wrote a hash where the store keeps a revoked token's
    // string: the check script's GET fails with WRONGTYPE.
    let key = format!("tjc:{{alice}}:t:{jti}");
    assert_eq!(server.cli(&["HSET", &key, "x", "1"]), ["1"]);

    let reply = alice.me(&app).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
    let check = AccessCheck {
        jti,
        sid,
        sub: "alice",
        issued_at: NOW,
        now: NOW,
    };
    let error = bounded(store.check(check)).await.unwrap_err();
    match redis_error(&error) {
        RedisStoreError::Script {
            operation: "check",
            source,
        } => assert_eq!(source.code(), Some("WRONGTYPE"), "{source}"),
        other => panic!("not a Script error: {other:?}"),
    }
}

/// The documented cost of a timed-out refresh: Redis runs it when it
/// resumes, so the token the client still holds is the family's previous
/// one; a retry within the grace window converges on the successor, a later
/// one is reuse and logs the user out (fails closed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_timed_out_on_a_frozen_redis_runs_when_it_resumes_and_a_late_retry_is_reuse()
{
    let Some(server) = redis_server() else { return };
    let Instances { clock, a, b } = two_instances(&server).await;
    let mut alice = Browser::default();
    alice.login(&a, "alice").await;
    let sid = payload_of(alice.access())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let held = payload_of(alice.refresh_token())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = format!("tjc:{{alice}}:s:{sid}");

    server.freeze();
    let reply = bounded(alice.refresh(&a)).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.rejection, Some(Rejection::StoreUnavailable));
    assert!(reply.set_cookies().is_empty(), "the client keeps its token");
    server.thaw();
    wait_for("the timed-out rotation to run", || {
        server.cli(&["HGET", &session, "prev"]) == [held.as_str()]
    })
    .await;
    wait_until_serving(&a, &alice).await;
    wait_until_serving(&b, &alice).await;

    // Within the grace window: the successor the client never received.
    let mut early = alice.clone();
    assert_eq!(early.refresh(&b).await.status, StatusCode::OK);
    let successor = server.cli(&["HGET", &session, "cur"]);
    assert_eq!(
        successor,
        [payload_of(early.refresh_token())["jti"].as_str().unwrap()]
    );

    clock.advance(6); // past the 5 s grace window since the rotation
    let reply = alice.refresh(&a).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.rejection, Some(Rejection::RefreshReused));
    for app in [&a, &b] {
        let reply = early.clone().me(app).await;
        assert_eq!(reply.rejection, Some(Rejection::Revoked), "logged out");
    }
}

/// The cookies a demo login set, as one `Cookie` line.
#[cfg(feature = "axum")]
fn login_cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_demo_instances_on_one_redis_act_as_one_service() {
    use crate::support::demo::DemoServer;
    use tower_jwt_cookie::Algorithm;
    use tower_jwt_cookie::keys::SigningKey;

    let Some(server) = redis_server() else { return };
    // What two `cargo run --example demo` processes started with the same
    // DEMO_KEY_FILE, DEMO_PUBLIC_ORIGIN and REDIS_URL share.
    let origin = "http://demo.example";
    let shared = |config: &mut crate::support::demo::app::DemoConfig| {
        config.public_origin = origin.to_owned();
        config.signing_key =
            Some(SigningKey::from_pem("demo", Algorithm::ES256, &pem("p256.pem")).unwrap());
    };
    let a = DemoServer::start_with_store(server.store().await, shared).await;
    let b = DemoServer::start_with_store(server.store().await, shared).await;
    let client = reqwest::Client::new();
    let login = client
        .post(a.at("/auth/login"))
        .json(&serde_json::json!({ "username": "alice", "password": "wonderland" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookies = login_cookies(&login);
    let me = |server: &DemoServer| {
        client
            .get(server.at("/api/me"))
            .header("cookie", &cookies)
            .send()
    };
    assert_eq!(me(&b).await.unwrap().status(), StatusCode::OK);
    let logout = client
        .post(b.at("/auth/logout"))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let refused = me(&a).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "revoked");
}
