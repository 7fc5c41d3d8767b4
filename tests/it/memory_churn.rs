//! Bounded memory under churn: on a manual clock, thousands of sessions go
//! through their whole lives on `MemoryStore` (login, rotations, logout,
//! logout everywhere, or abandoned to expire). The store's entry count
//! stays under a stated bound while it runs, and drops to zero once every
//! session has expired and the retention margin has passed.

use std::time::Duration;

use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::clock::{Clock, ManualClock};
use tower_jwt_cookie::revocation::RETENTION_MARGIN_SECS;

use crate::support::*;

const ACCESS_SECS: i64 = 60;
const IDLE_SECS: i64 = 150;
const ABSOLUTE_SECS: i64 = 300;
const ROUND_SECS: i64 = 30;
const ROUNDS: usize = 150;
const LOGINS_PER_ROUND: usize = 40;
/// The store's shards (64) each sweep once their writes since the last
/// sweep reach their size, at least 64: up to that many stale entries
/// per shard may wait for the next sweep.
const SWEEP_SLACK: usize = 64 * 64;
/// At most three entries per session (its family, its subject's list of
/// sessions or logout-everywhere cutoff, its revoked access token), each
/// kept until at most twice the absolute lifetime after the session
/// started (a cutoff set near the end of a session lasts one more absolute
/// lifetime) plus the retention margin.
const ENTRIES_PER_SESSION: usize = 3;
const WINDOW_SECS: i64 = 2 * ABSOLUTE_SECS + RETENTION_MARGIN_SECS + ROUND_SECS;

#[tokio::test]
async fn the_store_stays_bounded_under_churn_and_empties_once_everything_expired() {
    let clock = ManualClock::new(NOW);
    let store = MemoryStore::new();
    let auth = builder(store.clone(), &clock)
        .access_token_lifetime(Duration::from_secs(ACCESS_SECS as u64))
        .session_idle_lifetime(Duration::from_secs(IDLE_SECS as u64))
        .session_absolute_lifetime(Duration::from_secs(ABSOLUTE_SECS as u64))
        .build()
        .unwrap();
    let app = app(&auth);
    let mut live: Vec<Browser> = Vec::new();
    let mut started_at: Vec<i64> = Vec::new();
    let mut peak = 0;
    let mut user = 0usize;
    for round in 0..ROUNDS {
        for _ in 0..LOGINS_PER_ROUND {
            let mut browser = Browser::default();
            // A few subjects with many sessions each, so logout everywhere
            // has sessions to end, and many with one.
            let name = if user.is_multiple_of(4) {
                format!("shared{}", user % 16)
            } else {
                format!("user{user}")
            };
            assert_eq!(browser.login(&app, &name).await.status, 200);
            live.push(browser);
            started_at.push(clock.now());
            user += 1;
        }
        let mut next = Vec::new();
        for (i, mut browser) in std::mem::take(&mut live).into_iter().enumerate() {
            match (i + round) % 10 {
                // Rotations; a refused one (the session ended) drops it.
                0..=4 => {
                    let rotated = browser.refresh(&app).await.status == 200;
                    if rotated {
                        next.push(browser);
                    }
                }
                5 => assert_eq!(browser.logout(&app).await.status, 204),
                6 if i % 7 == 0 => assert_eq!(browser.logout_all(&app).await.status, 204),
                // Abandoned: left to expire.
                _ => {}
            }
        }
        live = next;
        clock.advance(ROUND_SECS);
        let now = clock.now();
        let recent = started_at
            .iter()
            .filter(|&&t| t > now - WINDOW_SECS)
            .count();
        let bound = ENTRIES_PER_SESSION * recent + SWEEP_SLACK;
        let entries = store.len();
        assert!(
            entries <= bound,
            "round {round}: {entries} entries, bound {bound} ({recent} sessions in the window)"
        );
        peak = peak.max(entries);
    }
    let total = started_at.len();
    assert_eq!(total, ROUNDS * LOGINS_PER_ROUND);
    // The run is over six windows long, so a store that never swept would
    // hold ~1.6 entries per session ever started and break the bound: the
    // bound above follows the sessions of the last window only.
    assert!(WINDOW_SECS * 6 < ROUNDS as i64 * ROUND_SECS);

    // Everything has expired (twice the absolute lifetime covers cutoffs
    // set at the end of a session), plus the retention margin.
    clock.advance(2 * ABSOLUTE_SECS + RETENTION_MARGIN_SECS + 1);
    store.purge_expired(clock.now() - RETENTION_MARGIN_SECS);
    assert_eq!(store.len(), 0, "entries left after every session expired");
    assert!(store.is_empty());
    println!("memory churn: {total} sessions, peak {peak} entries, 0 after expiry");
}
