//! `RedisStore::check` on loopback, at 1, 16 and 256 checks in flight, beside
//! `MemoryStore::check` and beside the physical limit measured in the same
//! run: `redis-benchmark` sending the very same command (`EVALSHA` of the
//! same script on the same keys, from `RedisStore::check_command`) over one
//! connection with the same pipeline depth (`-c 1 -P N`), and a bare `PING`
//! round trip. It starts its own redis-server (like tests/it/redis.rs).
//!
//! `cargo bench --features redis --bench redis_store`
//!
//! Each level runs for at most `MAX_OPS` checks or `MAX_TIME`, whichever
//! comes first. Goals: at 256 in flight, RedisStore ≥ 50% of
//! redis-benchmark's checks/s; at 1 in flight, p99 < 2× the PING round trip.

#[path = "../tests/it/support/redis_server.rs"]
mod redis_server;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::revocation::{AccessCheck, RedisStore, RevocationStore, SessionStart};

const NOW: i64 = 1_800_000_000;
const LEVELS: [usize; 3] = [1, 16, 256];
const MAX_OPS: usize = 200_000;
const MAX_TIME: Duration = Duration::from_secs(3);

const TOKEN: AccessCheck<'static> = AccessCheck {
    jti: "access-1",
    sid: "session-1",
    sub: "alice",
    issued_at: NOW - 10,
    now: NOW,
};

/// Checks per second and latency percentiles of one level.
struct Figures {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn from(mut latencies: Vec<Duration>, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        Self {
            per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

/// `in_flight` tasks, each checking in a loop, until `MAX_OPS` checks in
/// total or `MAX_TIME`.
async fn load<S: RevocationStore>(store: Arc<S>, in_flight: usize) -> Figures {
    let per_task = MAX_OPS / in_flight;
    let started = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_task);
                while latencies.len() < per_task && started.elapsed() < MAX_TIME {
                    let t = Instant::now();
                    let status = store.check(TOKEN).await.expect("the store answers");
                    latencies.push(t.elapsed());
                    std::hint::black_box(status);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(MAX_OPS);
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    Figures::from(all, started.elapsed())
}

/// redis-benchmark's figures for `command` over one connection, `depth`
/// commands pipelined: (requests/s, p50, p99), from its CSV output.
fn redis_benchmark(port: u16, depth: usize, requests: usize, command: &[String]) -> Figures {
    let output = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-c", "1", "--csv"])
        .args(["-P", &depth.to_string(), "-n", &requests.to_string()])
        .args(command)
        .output()
        .expect("redis-benchmark (installed with redis-server)");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output: {}", String::from_utf8_lossy(&output.stderr)));
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    let fields: Vec<f64> = line
        .split(',')
        .skip(1)
        .map(|f| f.trim_matches('"').parse().expect("a CSV number"))
        .collect();
    let ms = |v: f64| Duration::from_secs_f64(v / 1000.0);
    Figures {
        per_sec: fields[0],
        p50: ms(fields[3]),
        p99: ms(fields[5]),
    }
}

fn row(name: &str, f: &Figures) {
    println!(
        "  {name:<34} {:>10.0} checks/s   p50 {:>8.1?}   p99 {:>8.1?}",
        f.per_sec, f.p50, f.p99
    );
}

fn main() {
    let Some(server) = redis_server::redis_server() else {
        return;
    };
    // One thread: the client, its connection's driver and the checking tasks
    // share it, so a reply wakes its task without a cross-thread hand-off.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let redis = Arc::new(runtime.block_on(server.store()));
    let memory = Arc::new(MemoryStore::new());
    let session = SessionStart {
        sid: TOKEN.sid,
        sub: TOKEN.sub,
        refresh_jti: "refresh-1",
        now: NOW,
        idle_expires_at: NOW + 3600,
        absolute_expires_at: NOW + 7200,
    };
    runtime.block_on(async {
        redis.start_session(session).await.unwrap();
        memory.start_session(session).await.unwrap();
        // Warm up the connection and the script cache.
        load(redis.clone(), 16).await;
    });
    let command = RedisStore::check_command(&redis, TOKEN);
    let ping = redis_benchmark(server.port(), 1, 20_000, &["PING".to_owned()]);
    println!("RedisStore::check on loopback (one connection), {command:?}");
    println!(
        "  bare PING round trip (redis-benchmark -c 1 -P 1): p50 {:.1?}, p99 {:.1?}",
        ping.p50, ping.p99
    );
    for in_flight in LEVELS {
        let on_redis = runtime.block_on(load(redis.clone(), in_flight));
        let on_memory = runtime.block_on(load(memory.clone(), in_flight));
        let requests = (on_redis.per_sec * 2.0).clamp(10_000.0, MAX_OPS as f64) as usize;
        let limit = redis_benchmark(server.port(), in_flight, requests, &command);
        println!("{in_flight} in flight:");
        row("RedisStore::check", &on_redis);
        row(
            &format!("redis-benchmark -c 1 -P {in_flight} EVALSHA"),
            &limit,
        );
        row("MemoryStore::check", &on_memory);
        println!(
            "  RedisStore / redis-benchmark: {:.0}% of checks/s;  MemoryStore / RedisStore: {:.0}x;  \
             RedisStore p99 / PING p50: {:.1}x, / PING p99: {:.1}x",
            100.0 * on_redis.per_sec / limit.per_sec,
            on_memory.per_sec / on_redis.per_sec,
            on_redis.p99.as_secs_f64() / ping.p50.as_secs_f64(),
            on_redis.p99.as_secs_f64() / ping.p99.as_secs_f64(),
        );
    }
}
