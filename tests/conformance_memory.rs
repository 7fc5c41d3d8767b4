//! MemoryStore passes the public RevocationStore conformance suite, and
//! forgets every entry after its expiry (memory stays bounded).
#![cfg(feature = "conformance")]

use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::revocation::{RevocationStore, SessionStart, conformance};

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    conformance::run_all(&MemoryStore::new()).await;
}

#[test]
fn memory_store_passes_the_parallel_races_on_two_threads_and_more() {
    let store = MemoryStore::new();
    for threads in [2, 8, 32] {
        conformance::run_parallel_races(&store, threads);
    }
}

#[tokio::test]
async fn memory_store_forgets_every_entry_after_its_expiry() {
    let store = MemoryStore::new();
    let now = 1_000;
    for i in 0..1_000 {
        let (sid, sub, jti) = (format!("s{i}"), format!("u{}", i % 10), format!("j{i}"));
        let start = SessionStart {
            sid: &sid,
            sub: &sub,
            refresh_jti: &jti,
            now,
            idle_expires_at: now + 100,
            absolute_expires_at: now + 200,
        };
        store.start_session(start).await.unwrap();
        store.revoke_token(&jti, now + 50).await.unwrap();
    }
    store.revoke_subject("u1", now, now + 300).await.unwrap();
    assert!(store.len() >= 2_000);
    store.purge_expired(now + 200);
    // Left: u1's cutoff and its 100 revoked sessions, all remembered until now+300.
    assert_eq!(store.len(), 101);
    store.purge_expired(now + 300);
    assert!(store.is_empty());
}

#[tokio::test]
async fn memory_store_sweeps_expired_entries_as_writes_arrive() {
    let store = MemoryStore::new();
    for i in 0..10_000i64 {
        // Each token is revoked for 10 s; time moves one second per write.
        store
            .revoke_token(&format!("j{i}"), 1_000 + i + 10)
            .await
            .unwrap();
        store
            .check(tower_jwt_cookie::revocation::AccessCheck {
                jti: "x",
                sid: "y",
                sub: "z",
                issued_at: 1_000 + i,
                now: 1_000 + i,
            })
            .await
            .unwrap();
    }
    assert!(
        store.len() < 64 * 64 * 2,
        "store kept {} entries",
        store.len()
    );
}
