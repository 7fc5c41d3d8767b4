//! MemoryStore under load: `check` against 1,000,000 revoked entries,
//! single-threaded and while other threads read and write, and `rotate`
//! throughput. A bare `HashMap::get` over the same number of keys is the
//! baseline; the ratios are printed at the end.
//!
//! `cargo bench --bench store -- --warm-up-time 1 --measurement-time 2`

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use support::Run;
use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, Rotation, SessionStart, TokenRevocation,
};

const NOW: i64 = 1_800_000_000;
const ENTRIES: usize = 1_000_000;

/// MemoryStore's futures are ready at once: poll once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("MemoryStore futures complete immediately"),
    }
}

fn revocation(jti: &str) -> TokenRevocation<'_> {
    TokenRevocation {
        sub: "alice",
        jti,
        expires_at: NOW + 3600,
    }
}

fn filled_store() -> MemoryStore {
    let store = MemoryStore::new();
    for i in 0..ENTRIES {
        ready(store.revoke_token(revocation(&format!("revoked-{i}")))).unwrap();
    }
    store
}

fn check(store: &MemoryStore, jti: &str) -> bool {
    let token = AccessCheck {
        jti,
        sid: "session-1",
        sub: "alice",
        issued_at: NOW - 10,
        now: NOW,
    };
    ready(store.check(token)).is_ok()
}

/// Runs `step(0), step(1), …` on a thread until `stop`, then adds the count to `ops`.
fn spawn_until(
    stop: &Arc<AtomicBool>,
    ops: &Arc<AtomicU64>,
    mut step: impl FnMut(u64) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let (stop, ops) = (Arc::clone(stop), Arc::clone(ops));
    std::thread::spawn(move || {
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            step(i);
            i += 1;
        }
        ops.fetch_add(i, Ordering::Relaxed);
    })
}

fn print_ratios(run: &Run) {
    let mean_ns = |id: &str| run.mean_ns(&format!("store/{id}"));
    let Some(baseline) = mean_ns("baseline_hashmap_get_1m") else {
        return;
    };
    println!(
        "\nmeans of this run, and ratio to a bare HashMap::get over 1,000,000 keys ({baseline:.1} ns):"
    );
    for id in [
        "memory_check_1m_revoked_hit",
        "memory_check_1m_active_miss",
        "memory_check_1m_while_one_reads_and_one_writes",
        "memory_rotate",
    ] {
        if let Some(mean) = mean_ns(id) {
            println!(
                "  {id:48} {mean:>8.1} ns  {:>6.2}x  {:>11.0} ops/s",
                mean / baseline,
                1e9 / mean
            );
        }
    }
}

fn main() {
    let (run, mut c) = Run::start();
    let store = filled_store();
    assert_eq!(store.len(), ENTRIES);
    let keys: HashMap<String, i64> = (0..ENTRIES)
        .map(|i| (format!("revoked-{i}"), NOW + 3600))
        .collect();

    let mut group = c.benchmark_group("store");
    group.bench_function("baseline_hashmap_get_1m", |b| {
        b.iter(|| black_box(keys.get(black_box("revoked-424242"))))
    });
    group.bench_function("memory_check_1m_revoked_hit", |b| {
        b.iter(|| check(&store, black_box("revoked-424242")))
    });
    group.bench_function("memory_check_1m_active_miss", |b| {
        b.iter(|| check(&store, black_box("active-token")))
    });

    // Another reader and a writer run while this thread measures.
    let stop = Arc::new(AtomicBool::new(false));
    let background_ops = Arc::new(AtomicU64::new(0));
    let reader = spawn_until(&stop, &background_ops, {
        let store = store.clone();
        move |i| {
            black_box(check(&store, &format!("revoked-{}", i % ENTRIES as u64)));
        }
    });
    let writer = spawn_until(&stop, &background_ops, {
        let store = store.clone();
        move |i| {
            // Cycles over a million keys: the store stays at its size.
            let jti = format!("written-{}", i % ENTRIES as u64);
            ready(store.revoke_token(revocation(&jti))).unwrap();
        }
    });
    let started = Instant::now();
    group.bench_function("memory_check_1m_while_one_reads_and_one_writes", |b| {
        b.iter(|| check(&store, black_box("revoked-424242")))
    });
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    writer.join().unwrap();
    let background =
        background_ops.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();

    let rotations = MemoryStore::new();
    let start = SessionStart {
        sid: "family",
        sub: "alice",
        refresh_jti: "r0",
        now: NOW,
        idle_expires_at: NOW + 3600,
        absolute_expires_at: NOW + 7200,
    };
    ready(rotations.start_session(start)).unwrap();
    let mut current = "r0".to_owned();
    let mut n = 0u64;
    group.bench_function("memory_rotate", |b| {
        b.iter(|| {
            n += 1;
            let next = format!("r{n}");
            let rotation = Rotation {
                sub: "alice",
                sid: "family",
                presented_jti: &current,
                next_jti: &next,
                now: NOW,
                grace_secs: 5,
                idle_expires_at: NOW + 3600,
            };
            black_box(ready(rotations.rotate(rotation)).unwrap());
            current = next;
        })
    });
    group.finish();
    c.final_summary();
    print_ratios(&run);
    println!("background reader + writer during the contended check: {background:.0} ops/s");
}
