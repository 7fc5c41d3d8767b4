//! The SQLite store of `examples/custom_store` passes the same conformance
//! suite as MemoryStore, and drives real sessions.

#[path = "../../examples/custom_store/sqlite_store.rs"]
mod sqlite_store;

use sqlite_store::SqliteStore;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::revocation::{RevocationStore, SessionStart, TokenRevocation, conformance};

use crate::support::*;

#[tokio::test]
async fn sqlite_store_passes_the_conformance_suite() {
    conformance::run_all(&SqliteStore::open_in_memory().unwrap()).await;
}

#[test]
fn sqlite_store_passes_the_parallel_races() {
    let store = SqliteStore::open_in_memory().unwrap();
    conformance::run_parallel_races(&store, 8);
}

#[tokio::test]
async fn sqlite_store_forgets_entries_after_their_expiry() {
    let store = SqliteStore::open_in_memory().unwrap();
    let start = SessionStart {
        sid: "s",
        sub: "u",
        refresh_jti: "r",
        now: 100,
        idle_expires_at: 150,
        absolute_expires_at: 200,
    };
    store.start_session(start).await.unwrap();
    let revocation = TokenRevocation {
        sub: "u",
        jti: "j",
        expires_at: 120,
    };
    store.revoke_token(revocation).await.unwrap();
    store.revoke_subject("v", 100, 130).await.unwrap();
    assert_eq!(store.len().unwrap(), 3);
    store.purge_expired(200).unwrap();
    assert_eq!(store.len().unwrap(), 0);
}

#[tokio::test]
async fn sessions_work_end_to_end_on_the_sqlite_store() {
    let clock = ManualClock::new(NOW);
    let auth = builder(SqliteStore::open_in_memory().unwrap(), &clock)
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    let mut thief = browser.clone();
    clock.advance(30);
    assert_eq!(browser.refresh(&app).await.status, 200);
    assert_eq!(browser.me(&app).await.status, 200);
    clock.advance(30);
    assert_eq!(thief.refresh(&app).await.reason(), Some("refresh_reused"));
    assert_eq!(browser.refresh(&app).await.reason(), Some("revoked"));
    let mut other = Browser::default();
    other.login(&app, "alice").await;
    assert_eq!(other.logout(&app).await.status, 204);
}

#[tokio::test]
async fn sqlite_check_reads_while_another_connection_holds_the_write_lock() {
    use tower_jwt_cookie::revocation::{AccessCheck, TokenStatus};
    let path = std::env::temp_dir().join(format!("tjc-sqlite-{}-{}.db", std::process::id(), NOW));
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    let mut writer = rusqlite::Connection::open(&path).unwrap();
    let tx = writer
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let check = AccessCheck {
        jti: "j",
        sid: "s",
        sub: "u",
        issued_at: 100,
        now: 110,
    };
    // A read-only check must not need the write lock another process holds.
    assert_eq!(store.check(check).await.unwrap(), TokenStatus::Active);
    tx.rollback().unwrap();
    drop(store);
    let _ = std::fs::remove_file(&path);
}
