//! RedisStore on a real 3-master Redis Cluster this test starts itself: the
//! whole conformance suite, the load spread over all masters, and a
//! restarted master.

use crate::support::NOW;
use crate::support::redis_cluster::redis_cluster;
use crate::support::redis_server::run_parallel_races_on_own_runtime;
use tower_jwt_cookie::revocation::redis::{LocalCache, RedisStore, RedisStoreError};
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, SessionRevocation, SessionStart, TokenStatus, conformance,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_store_passes_the_conformance_suite() {
    let Some(cluster) = redis_cluster() else {
        return;
    };
    conformance::run_all(&cluster.store().await).await;
}

#[test]
fn redis_cluster_store_passes_the_parallel_races() {
    let Some(cluster) = redis_cluster() else {
        return;
    };
    run_parallel_races_on_own_runtime(cluster.store());
}

fn start<'a>(sid: &'a str, sub: &'a str) -> SessionStart<'a> {
    SessionStart {
        sid,
        sub,
        refresh_jti: "r1",
        now: NOW,
        idle_expires_at: NOW + 100,
        absolute_expires_at: NOW + 200,
    }
}

#[tokio::test]
async fn sessions_of_many_subjects_land_on_every_master_and_each_subject_on_one() {
    let Some(cluster) = redis_cluster() else {
        return;
    };
    let store = cluster.store().await;
    let subjects: Vec<String> = (0..64).map(|i| format!("user-{i}")).collect();
    for sub in &subjects {
        store.start_session(start("s1", sub)).await.unwrap();
        store.start_session(start("s2", sub)).await.unwrap();
    }
    // Each subject's keys (two sessions and the live set) are on one node...
    let mut total = 0;
    for node in &cluster.nodes {
        let keys = node.cli(&["--scan"]);
        let dbsize: usize = node.cli(&["DBSIZE"])[0].parse().unwrap();
        assert_eq!(keys.len(), dbsize);
        // ...so the load really spreads: every master holds some subjects.
        assert!(dbsize > 0, "master {} holds no key", node.port());
        for sub in &subjects {
            let here = keys
                .iter()
                .filter(|k| k.starts_with(&format!("tjc:{{{sub}}}:")))
                .count();
            assert!(
                here == 0 || here == 3,
                "{sub}: {here} of 3 keys on one node"
            );
        }
        total += dbsize;
    }
    assert_eq!(total, subjects.len() * 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_survives_a_master_restart_and_the_client_finds_it_again() {
    let Some(mut cluster) = redis_cluster() else {
        return;
    };
    let store = cluster.store().await;
    let subjects: Vec<String> = (0..16).map(|i| format!("user-{i}")).collect();
    for sub in &subjects {
        store.start_session(start("s1", sub)).await.unwrap();
        let logout = SessionRevocation {
            sub,
            sid: "s1",
            expires_at: NOW + 10,
        };
        store.revoke_session(logout).await.unwrap();
    }
    // kill -9 and restart one master: its AOF has every acknowledged write,
    // and the scripts it lost are loaded again on NOSCRIPT.
    cluster.nodes[0].kill();
    cluster.nodes[0].restart();
    let check = |sub| AccessCheck {
        sub,
        jti: "j1",
        sid: "s1",
        issued_at: NOW,
        now: NOW + 1,
    };
    for sub in &subjects {
        // Until the restarted node is reachable again, calls fail closed
        // (an error, never Active); then every revocation is still there.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            match store.check(check(sub)).await {
                Ok(status) => break status,
                Err(_) => {
                    assert!(std::time::Instant::now() < deadline, "never recovered");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        };
        assert_eq!(status, TokenStatus::Revoked, "{sub}");
    }
}

#[tokio::test]
async fn an_empty_seed_list_is_a_configuration_error() {
    let error = RedisStore::cluster_builder(Vec::<String>::new())
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, RedisStoreError::Config(_)), "{error:?}");
    assert!(
        error.to_string().contains("no cluster seed node"),
        "{error}"
    );
}

#[tokio::test]
async fn a_local_cache_on_a_cluster_is_a_configuration_error_that_says_why() {
    // Refused before any connection is tried.
    let error = RedisStore::cluster_builder(["redis://127.0.0.1:1/"])
        .local_cache(LocalCache::new())
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, RedisStoreError::Config(_)), "{error:?}");
    assert!(error.to_string().contains("ordered pub/sub"), "{error}");
}
