//! RedisStore's local revocation cache against a real redis-server: checks
//! answered with no round trip (counted by the server's own `INFO
//! commandstats`), revocations by another instance refused within the
//! staleness bound, immediately on the revoking instance, flushes when the
//! invalidation connection drops, the maximum age, the capacity, and the
//! same fail-closed behaviour as without the cache when Redis is killed or
//! frozen.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::support::redis_server::{RedisServer, redis_server, run_parallel_races_on_own_runtime};
use crate::support::*;
use http::StatusCode;
use tower_jwt_cookie::Rejection;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::revocation::redis::{LocalCache, RedisStore, RedisStoreError};
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
    TokenRevocation, TokenStatus, conformance,
};

/// The staleness bound of the cached stores here: short, so the tests that
/// wait for it are quick. Nothing asserts that delivery is faster than it;
/// answers after it are right by construction (see `local_cache.rs`).
const STALENESS: Duration = Duration::from_secs(1);

/// A call that takes longer than this hangs (not a timing assertion).
const HANG: Duration = Duration::from_secs(5);

async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(HANG, future)
        .await
        .expect("the call hung instead of failing closed")
}

fn settings() -> LocalCache {
    LocalCache::new().max_staleness(STALENESS)
}

/// A generous store bound (it bounds each heartbeat `PING` too), so a
/// loaded machine does not turn one slow `PONG` into a flush.
async fn cached_with(server: &RedisServer, settings: LocalCache) -> RedisStore {
    RedisStore::builder(server.url())
        .timeout(Duration::from_secs(2))
        .local_cache(settings)
        .connect()
        .await
        .unwrap()
}

async fn cached(server: &RedisServer) -> RedisStore {
    cached_with(server, settings()).await
}

/// How many scripts the server has run: each `check` that reached it is one.
fn scripts_run(server: &RedisServer) -> u64 {
    server
        .cli(&["INFO", "commandstats"])
        .iter()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

fn token<'a>(sub: &'a str, sid: &'a str, jti: &'a str) -> AccessCheck<'a> {
    AccessCheck {
        jti,
        sid,
        sub,
        issued_at: NOW,
        now: NOW,
    }
}

async fn start(store: &RedisStore, sub: &str, sid: &str, refresh_jti: &str) {
    let start = SessionStart {
        sid,
        sub,
        refresh_jti,
        now: NOW,
        idle_expires_at: NOW + 600,
        absolute_expires_at: NOW + 3600,
    };
    store.start_session(start).await.unwrap();
}

/// Polls `condition` until it holds, within 10 s: for events the store
/// reports no signal of (a connection it noticed dropping).
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// What the cache answers without a round trip (`None`: ask Redis).
fn from_memory(store: &RedisStore, token: AccessCheck<'_>) -> Option<TokenStatus> {
    store.check_now(token).map(|answer| answer.unwrap())
}

fn answering(store: &RedisStore) -> bool {
    store.local_cache_state().unwrap().answering
}

/// Checks `token` once through Redis and once more from the cache; returns
/// with it cached.
async fn cache(server: &RedisServer, store: &RedisStore, token: AccessCheck<'_>) {
    let before = scripts_run(server);
    assert_eq!(store.check(token).await.unwrap(), TokenStatus::Active);
    assert_eq!(
        scripts_run(server),
        before + 1,
        "the first check asks Redis"
    );
    assert_eq!(from_memory(store, token), Some(TokenStatus::Active));
    assert_eq!(store.check(token).await.unwrap(), TokenStatus::Active);
    assert_eq!(scripts_run(server), before + 1, "the next ones do not");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_store_passes_the_conformance_suite() {
    let Some(server) = redis_server() else { return };
    let store = RedisStore::builder(server.url())
        .timeout(Duration::from_secs(5))
        .local_cache(settings())
        .connect()
        .await
        .unwrap();
    conformance::run_all(&store).await;
    assert!(store.local_cache_state().unwrap().tokens > 0, "it cached");
}

#[test]
fn a_cached_store_passes_the_parallel_races() {
    let Some(server) = redis_server() else { return };
    run_parallel_races_on_own_runtime(cached(&server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_token_is_answered_from_memory_with_no_round_trip() {
    let Some(server) = redis_server() else { return };
    let store = cached(&server).await;
    assert_eq!(
        from_memory(&store, token("alice", "s1", "j1")),
        None,
        "nothing cached yet"
    );
    cache(&server, &store, token("alice", "s1", "j1")).await;
    let before = scripts_run(&server);
    for _ in 0..100 {
        assert_eq!(
            from_memory(&store, token("alice", "s1", "j1")),
            Some(TokenStatus::Active)
        );
    }
    assert_eq!(scripts_run(&server), before);
    // Another token of the same subject, or the same jti with another
    // session or issue time, is its own question.
    for other in [
        token("alice", "s1", "j2"),
        token("alice", "s2", "j1"),
        AccessCheck {
            issued_at: NOW - 1,
            ..token("alice", "s1", "j1")
        },
        token("bob", "s1", "j1"),
    ] {
        assert_eq!(from_memory(&store, other), None, "{other:?}");
    }
    let state = store.local_cache_state().unwrap();
    assert!(state.answering);
    assert_eq!((state.tokens, state.flushes), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_never_cached() {
    let Some(server) = redis_server() else { return };
    let store = cached(&server).await;
    let revoked = TokenRevocation {
        sub: "alice",
        jti: "j1",
        expires_at: NOW + 60,
    };
    store.revoke_token(revoked).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            store.check(token("alice", "s1", "j1")).await.unwrap(),
            TokenStatus::Revoked
        );
        assert_eq!(from_memory(&store, token("alice", "s1", "j1")), None);
    }
    assert_eq!(store.local_cache_state().unwrap().tokens, 0);
}

/// The four ways a token stops being active, each on its own subject, with
/// `token(sub, "s", "j")` cached beforehand.
async fn revoke_four_ways(store: &RedisStore) {
    store
        .revoke_token(TokenRevocation {
            sub: "by-token",
            jti: "j",
            expires_at: NOW + 60,
        })
        .await
        .unwrap();
    store
        .revoke_session(SessionRevocation {
            sub: "by-session",
            sid: "s",
            expires_at: NOW + 60,
        })
        .await
        .unwrap();
    store
        .revoke_subject("by-subject", NOW + 1, NOW + 60)
        .await
        .unwrap();
    // The superseded refresh token presented again, past the grace window.
    let reuse = Rotation {
        sub: "by-reuse",
        sid: "s",
        presented_jti: "r1",
        next_jti: "r3",
        now: NOW,
        grace_secs: 0,
        idle_expires_at: NOW + 600,
    };
    assert_eq!(store.rotate(reuse).await.unwrap(), RotateOutcome::Reused);
}

const FOUR_WAYS: [&str; 4] = ["by-token", "by-session", "by-subject", "by-reuse"];

/// Sessions `s` of every subject of [`FOUR_WAYS`], `by-reuse` rotated once
/// (r1 → r2), and each subject's token cached in every one of `caches`.
async fn prepare_four_ways(server: &RedisServer, writer: &RedisStore, caches: &[&RedisStore]) {
    for sub in FOUR_WAYS {
        start(writer, sub, "s", "r1").await;
    }
    let rotation = Rotation {
        sub: "by-reuse",
        sid: "s",
        presented_jti: "r1",
        next_jti: "r2",
        now: NOW,
        grace_secs: 0,
        idle_expires_at: NOW + 600,
    };
    assert_eq!(
        writer.rotate(rotation).await.unwrap(),
        RotateOutcome::Rotated
    );
    for store in caches {
        for sub in FOUR_WAYS {
            cache(server, store, token(sub, "s", "j")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_the_revoking_instance_is_refused_at_once() {
    let Some(server) = redis_server() else { return };
    let store = cached(&server).await;
    prepare_four_ways(&server, &store, &[&store]).await;
    revoke_four_ways(&store).await;
    // No waiting: the revoking call dropped the answers before returning.
    for sub in FOUR_WAYS {
        assert_eq!(from_memory(&store, token(sub, "s", "j")), None, "{sub}");
        assert_eq!(
            store.check(token(sub, "s", "j")).await.unwrap(),
            TokenStatus::Revoked,
            "{sub}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_another_instance_is_refused_here_within_the_staleness_bound() {
    let Some(server) = redis_server() else { return };
    let here = cached(&server).await;
    // The revoking instance has no cache of its own: its scripts publish
    // all the same.
    let there = server.store().await;
    prepare_four_ways(&server, &there, &[&here]).await;
    revoke_four_ways(&there).await;
    // Right by construction once the bound has passed: either the message
    // was applied, or no proof of liveness is younger than the bound and
    // the cache no longer answers.
    tokio::time::sleep(STALENESS).await;
    for sub in FOUR_WAYS {
        assert_eq!(from_memory(&here, token(sub, "s", "j")), None, "{sub}");
        assert_eq!(
            here.check(token(sub, "s", "j")).await.unwrap(),
            TokenStatus::Revoked,
            "{sub}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_and_refreshes_elsewhere_keep_the_answers_of_their_subject() {
    let Some(server) = redis_server() else { return };
    let here = cached(&server).await;
    let there = cached(&server).await;
    start(&there, "alice", "s1", "r1").await;
    cache(&server, &here, token("alice", "s1", "j1")).await;
    start(&there, "alice", "s2", "q1").await;
    let rotation = Rotation {
        sub: "alice",
        sid: "s1",
        presented_jti: "r1",
        next_jti: "r2",
        now: NOW,
        grace_secs: 5,
        idle_expires_at: NOW + 600,
    };
    assert_eq!(
        there.rotate(rotation).await.unwrap(),
        RotateOutcome::Rotated
    );
    // Once the cache answers after the bound has passed, its proof of
    // liveness was sent after those writes: anything they published is
    // applied by now.
    tokio::time::sleep(STALENESS).await;
    eventually("the cache answers", || answering(&here)).await;
    let before = scripts_run(&server);
    assert_eq!(
        from_memory(&here, token("alice", "s1", "j1")),
        Some(TokenStatus::Active)
    );
    assert_eq!(scripts_run(&server), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_one_app_instance_is_refused_on_the_other_within_the_bound() {
    let Some(server) = redis_server() else { return };
    let clock = ManualClock::new(NOW);
    let a = app(&builder(cached(&server).await, &clock).build().unwrap());
    let b = app(&builder(cached(&server).await, &clock).build().unwrap());
    let mut alice = Browser::default();
    assert_eq!(alice.login(&a, "alice").await.status, StatusCode::OK);
    assert_eq!(alice.me(&a).await.status, StatusCode::OK);
    assert_eq!(alice.me(&b).await.status, StatusCode::OK);
    let stolen = alice.clone();

    assert_eq!(alice.logout(&b).await.status, StatusCode::NO_CONTENT);
    let reply = stolen.clone().me(&b).await;
    assert_eq!(reply.rejection, Some(Rejection::Revoked), "at once on b");
    tokio::time::sleep(STALENESS).await;
    let reply = stolen.clone().me(&a).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.rejection,
        Some(Rejection::Revoked),
        "within the bound on a"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_invalidation_connection_flushes_the_cache_until_it_is_back() {
    let Some(server) = redis_server() else { return };
    let store = cached(&server).await;
    cache(&server, &store, token("alice", "s1", "j1")).await;

    // Redis closes every subscriber connection (the cache's), nothing else.
    server.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    eventually("the drop is noticed", || {
        store.local_cache_state().unwrap().flushes == 1
    })
    .await;
    // Emptied at once; whatever it answers from now on was read after the
    // new subscription was proven live.
    eventually("the subscriber is back", || answering(&store)).await;
    let state = store.local_cache_state().unwrap();
    assert_eq!(state.flushes, 1);
    assert_eq!(state.tokens, 0, "nothing from before the drop survives");
    cache(&server, &store, token("alice", "s1", "j1")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_is_reused_for_its_maximum_age_and_never_for_an_earlier_instant() {
    let Some(server) = redis_server() else { return };
    let store = cached_with(&server, settings().max_age(Duration::from_secs(2))).await;
    let at = |now| AccessCheck {
        now,
        ..token("alice", "s1", "j1")
    };
    cache(&server, &store, at(NOW)).await;
    assert_eq!(from_memory(&store, at(NOW + 1)), Some(TokenStatus::Active));
    assert_eq!(from_memory(&store, at(NOW + 2)), None, "older than max_age");
    assert_eq!(
        from_memory(&store, at(NOW - 1)),
        None,
        "an earlier instant may fall inside a revocation that has ended since"
    );
    cache(&server, &store, at(NOW + 2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_is_bounded_by_the_capacity_and_by_sixteen_tokens_a_subject() {
    let Some(server) = redis_server() else { return };
    let store = cached_with(&server, settings().capacity(64)).await;
    let subjects: Vec<String> = (0..300).map(|i| format!("user{i}")).collect();
    for sub in &subjects {
        assert_eq!(
            store.check(token(sub, "s", "j")).await.unwrap(),
            TokenStatus::Active
        );
    }
    let held = store.local_cache_state().unwrap().tokens;
    assert!((1..=64).contains(&held), "{held} tokens held");
    // Evicted answers are asked of Redis again, and are still right.
    let before = scripts_run(&server);
    let mut asked = 0;
    for sub in &subjects {
        if from_memory(&store, token(sub, "s", "j")).is_none() {
            asked += 1;
            assert_eq!(
                store.check(token(sub, "s", "j")).await.unwrap(),
                TokenStatus::Active
            );
        }
    }
    assert!(asked >= 300 - 64, "{asked} asked again");
    assert_eq!(scripts_run(&server), before + asked);

    let store = cached(&server).await;
    let jtis: Vec<String> = (0..40).map(|i| format!("j{i}")).collect();
    for jti in &jtis {
        store.check(token("alice", "s", jti)).await.unwrap();
    }
    assert_eq!(store.local_cache_state().unwrap().tokens, 16);
    assert_eq!(
        from_memory(&store, token("alice", "s", "j0")),
        None,
        "oldest gone"
    );
    assert_eq!(
        from_memory(&store, token("alice", "s", "j39")),
        Some(TokenStatus::Active)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_redis_stops_the_cache_and_checks_fail_closed_until_it_is_back() {
    let Some(mut server) = redis_server() else {
        return;
    };
    let store = cached(&server).await;
    cache(&server, &store, token("alice", "s1", "j1")).await;

    server.kill();
    eventually("the closed connection is noticed", || !answering(&store)).await;
    assert_eq!(from_memory(&store, token("alice", "s1", "j1")), None);
    let error = bounded(store.check(token("alice", "s1", "j1")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            redis_error(&error),
            RedisStoreError::Connection { .. } | RedisStoreError::Timeout { .. }
        ),
        "{error:?}"
    );

    server.restart();
    eventually("the subscriber is back", || answering(&store)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.check(token("alice", "s1", "j1")).await.is_err() {
        assert!(Instant::now() < deadline, "the store did not reconnect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        from_memory(&store, token("alice", "s1", "j1")),
        Some(TokenStatus::Active)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_redis_stops_the_cache_within_the_bound_and_checks_time_out() {
    let Some(server) = redis_server() else { return };
    let store = cached(&server).await;
    cache(&server, &store, token("alice", "s1", "j1")).await;

    server.freeze();
    // No proof of liveness can be younger than the bound by now.
    tokio::time::sleep(STALENESS).await;
    assert_eq!(from_memory(&store, token("alice", "s1", "j1")), None);
    let error = bounded(store.check(token("alice", "s1", "j1")))
        .await
        .unwrap_err();
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
    eventually("the subscriber is back", || answering(&store)).await;
    assert_eq!(
        store.check(token("alice", "s1", "j1")).await.unwrap(),
        TokenStatus::Active
    );
}

/// A Redis user without the revocation channel: connecting says so (and how
/// to grant it) instead of timing out.
#[tokio::test]
async fn a_subscription_refused_by_an_acl_is_a_configuration_error_naming_the_fix() {
    let Some(server) = redis_server() else { return };
    server.cli(&[
        "ACL",
        "SETUSER",
        "nochannel",
        "on",
        ">secret",
        "~*",
        "resetchannels",
        "+@all",
    ]);
    let url = format!("redis://nochannel:secret@127.0.0.1:{}/", server.port());
    let error = RedisStore::builder(url)
        .timeout(Duration::from_secs(2))
        .local_cache(settings())
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, RedisStoreError::Config(_)), "{error:?}");
    let message = error.to_string();
    // Redis's own reason (redis-rs spells `NOPERM` as `NoPerm`).
    assert!(message.to_lowercase().contains("noperm"), "{message}");
    assert!(message.contains("+subscribe +ping &"), "{message}");
}

#[tokio::test]
async fn settings_that_cannot_work_are_configuration_errors() {
    for (settings, says) in [
        (
            LocalCache::new().capacity(0),
            "capacity is 0 tokens, below 32",
        ),
        // A subject's 16 answers would not fit: quick_cache refuses an
        // entry heavier than its hot share.
        (
            LocalCache::new().capacity(31),
            "capacity is 31 tokens, below 32",
        ),
        (LocalCache::new().max_age(Duration::ZERO), "at least 1 s"),
        (
            LocalCache::new().max_staleness(Duration::from_millis(1)),
            "at least 20 ms",
        ),
    ] {
        // Refused before any connection is tried.
        let error = RedisStore::builder("redis://127.0.0.1:1/")
            .local_cache(settings)
            .connect()
            .await
            .unwrap_err();
        assert!(matches!(error, RedisStoreError::Config(_)), "{error:?}");
        assert!(error.to_string().contains(says), "{error}");
    }
}

/// The typed error behind a store failure.
fn redis_error(error: &tower_jwt_cookie::revocation::StoreError) -> &RedisStoreError {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<RedisStoreError>())
        .expect("a RedisStoreError")
}
