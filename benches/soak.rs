//! Soak: many concurrent simulated users against the demo over real HTTP on
//! 127.0.0.1 — login, API calls, refresh, replay of old refresh tokens,
//! logout, logout everywhere — checking invariants on every response.
//!
//! `cargo bench --bench soak` runs two or three configurations, each for `SOAK_SECS`
//! (default 20) and at most `SOAK_MAX_REQUESTS` (default 200000) requests
//! with `SOAK_USERS` (default 32) users: one demo instance on `MemoryStore`,
//! then two instances sharing one `MemoryStore` (the same key and issuer;
//! users alternate between them request by request), and with feature
//! `redis` two instances sharing one redis-server it starts itself
//! (`RedisStore`, one connection each). `SOAK_URLS=http://a,http://b`
//! runs against servers already listening instead (e.g. two
//! `cargo run --example demo --features redis` processes on one
//! `REDIS_URL`); they must share key (`DEMO_KEY_FILE`) and store.
//!
//! Invariants, per response: no 5xx; a token revoked (by its own logout, by
//! reuse detection, or by a logout everywhere that completed after it was
//! issued) is never accepted; a session nobody revoked is never refused;
//! replaying a superseded refresh token after the grace window is always
//! detected (`refresh_reused`) and kills the family; a login right after a
//! logout everywhere works. It prints requests/s, latency percentiles and
//! every violation, and exits non-zero on any.

#![allow(dead_code)] // the demo's modules carry what main.rs uses too

#[path = "../examples/demo/app.rs"]
mod app;
#[path = "../examples/demo/page.rs"]
mod page;
#[cfg(feature = "redis")]
#[path = "../tests/it/support/redis_server.rs"]
mod redis_server;
#[path = "../examples/demo/shell.rs"]
mod shell;
#[path = "../examples/demo/users.rs"]
mod users;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::keys::SigningKey;
use tower_jwt_cookie::revocation::RevocationStore;

const ACCESS: &str = "__Host-Http-access";
const REFRESH: &str = "__Http-refresh";
const USERS: [(&str, &str); 2] = [("alice", "wonderland"), ("bob", "builder")];
/// The issuer's default refresh grace window is 5 s; replays wait longer.
const REPLAY_AFTER: Duration = Duration::from_secs(6);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Shared by every user: the request budget, the event clock and what
/// happened to each subject.
struct World {
    bases: Vec<String>,
    client: reqwest::Client,
    deadline: Instant,
    budget: AtomicUsize,
    /// A logical clock: every event takes a tick, so "before" and "after"
    /// between users are exact, not wall-clock guesses.
    ticks: AtomicU64,
    /// Per subject, each logout everywhere as (tick sent, tick answered;
    /// `u64::MAX` while in flight).
    logout_all: Mutex<HashMap<&'static str, Vec<(u64, u64)>>>,
    violations: Mutex<Vec<String>>,
    latencies: Mutex<Vec<u32>>,
}

impl World {
    fn tick(&self) -> u64 {
        self.ticks.fetch_add(1, Ordering::SeqCst)
    }

    fn violation(&self, what: String) {
        eprintln!("VIOLATION: {what}");
        self.violations.lock().unwrap().push(what);
    }

    fn running(&self) -> bool {
        Instant::now() < self.deadline && self.budget.load(Ordering::Relaxed) > 0
    }

    /// Whether a logout everywhere of `sub` answered after `issued_end` and
    /// before `sent` (the session must be dead), and whether one overlapped
    /// `[issued_start, answered]` at all (it may be).
    fn logout_all_between(
        &self,
        sub: &str,
        issued: (u64, u64),
        request: (u64, u64),
    ) -> (bool, bool) {
        self.logout_all_except(sub, issued, request, usize::MAX)
    }

    /// [`Self::logout_all_between`], leaving out the logout everywhere in `slot`.
    fn logout_all_except(
        &self,
        sub: &str,
        issued: (u64, u64),
        request: (u64, u64),
        slot: usize,
    ) -> (bool, bool) {
        let map = self.logout_all.lock().unwrap();
        let list = map.get(sub).map(Vec::as_slice).unwrap_or_default();
        let others = || {
            list.iter()
                .enumerate()
                .filter(|&(i, _)| i != slot)
                .map(|(_, span)| *span)
        };
        let must = others().any(|(start, end)| start > issued.1 && end < request.0);
        let may = others().any(|(start, end)| end > issued.0 && start < request.1);
        (must, may)
    }
}

struct Reply {
    status: StatusCode,
    cookies: Vec<(String, String)>,
    body: Value,
    /// Ticks when sent and when answered.
    span: (u64, u64),
}

impl Reply {
    fn reason(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

/// One simulated user: a cookie jar and what it knows of its session.
struct User {
    world: Arc<World>,
    id: usize,
    sub: &'static str,
    password: &'static str,
    jar: HashMap<String, String>,
    /// Ticks around the login that started the session.
    issued: (u64, u64),
    /// Superseded refresh tokens and when they were superseded.
    old_refresh: Vec<(String, Instant)>,
    requests: u64,
    rng: u64,
}

impl User {
    fn random(&mut self, n: u64) -> u64 {
        // xorshift64: reproducible per user, no dependency.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        cookies: &HashMap<String, String>,
    ) -> Option<Reply> {
        if self.world.budget.fetch_sub(1, Ordering::Relaxed) == 0 {
            self.world.budget.store(0, Ordering::Relaxed);
            return None;
        }
        self.requests += 1;
        let base = &self.world.bases[(self.id + self.requests as usize) % self.world.bases.len()];
        let mut request = self
            .world
            .client
            .request(method.clone(), format!("{base}{path}"))
            .header("sec-fetch-site", "same-origin");
        if !cookies.is_empty() {
            let line: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(COOKIE, line.join("; "));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let sent = self.world.tick();
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                self.world
                    .violation(format!("{method} {path}: transport error {error}"));
                return None;
            }
        };
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| {
                let (name, rest) = v.to_str().ok()?.split_once('=')?;
                Some((name.to_owned(), rest.split(';').next()?.to_owned()))
            })
            .collect();
        let body = response.json().await.unwrap_or(Value::Null);
        let answered = self.world.tick();
        let micros = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        self.world.latencies.lock().unwrap().push(micros);
        if status.is_server_error() {
            self.world
                .violation(format!("{method} {path}: {status} {body}"));
        }
        Some(Reply {
            status,
            cookies,
            body,
            span: (sent, answered),
        })
    }

    /// Sends with the jar and stores the cookies the answer sets or clears.
    async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> Option<Reply> {
        let jar = self.jar.clone();
        let reply = self.send(method, path, body, &jar).await?;
        for (name, value) in &reply.cookies {
            if value.is_empty() {
                self.jar.remove(name);
            } else {
                if name == REFRESH
                    && let Some(old) = self.jar.get(REFRESH)
                {
                    self.old_refresh.push((old.clone(), Instant::now()));
                }
                self.jar.insert(name.clone(), value.clone());
            }
        }
        Some(reply)
    }

    async fn login(&mut self) -> Option<()> {
        self.jar.clear();
        self.old_refresh.clear();
        let body = json!({ "username": self.sub, "password": self.password });
        let reply = self.call(Method::POST, "/auth/login", Some(body)).await?;
        if reply.status != StatusCode::OK
            || !self.jar.contains_key(ACCESS)
            || !self.jar.contains_key(REFRESH)
        {
            self.world.violation(format!(
                "user {} login: {} {}",
                self.id, reply.status, reply.body
            ));
            return None;
        }
        self.issued = reply.span;
        Some(())
    }

    /// An API call with the session's access token (see [`Self::live_call`]).
    async fn api(&mut self, path: &str) -> Option<bool> {
        self.live_call(Method::GET, path, path).await
    }

    /// A refresh with the session's refresh token (see [`Self::live_call`]).
    async fn refresh(&mut self) -> Option<bool> {
        self.live_call(Method::POST, "/auth/refresh", "refresh")
            .await
    }

    /// A request that needs the session (`what` names it in a violation):
    /// accepted exactly when the session is alive; a refusal the model
    /// allows (a logout everywhere that may have come first) ends the
    /// session.
    async fn live_call(&mut self, method: Method, path: &str, what: &str) -> Option<bool> {
        let reply = self.call(method, path, None).await?;
        let (must_die, may_die) = self
            .world
            .logout_all_between(self.sub, self.issued, reply.span);
        match reply.status {
            StatusCode::OK if must_die => {
                self.world.violation(format!(
                    "user {} {what}: accepted after logout everywhere revoked the session",
                    self.id
                ));
                Some(false)
            }
            StatusCode::OK => Some(true),
            StatusCode::UNAUTHORIZED if may_die => Some(false),
            status => {
                self.world.violation(format!(
                    "user {} {what}: live session refused: {status} {}",
                    self.id, reply.body
                ));
                Some(false)
            }
        }
    }

    /// Replays a refresh token superseded more than the grace window ago,
    /// as a thief would (its own jar). Reuse must be detected and must kill
    /// the family: the current access and refresh tokens stop working.
    async fn replay(&mut self) -> Option<bool> {
        let Some(index) = self
            .old_refresh
            .iter()
            .position(|(_, at)| at.elapsed() > REPLAY_AFTER)
        else {
            return Some(true);
        };
        let (old, _) = self.old_refresh.remove(index);
        let thief = HashMap::from([(REFRESH.to_owned(), old)]);
        let reply = self
            .send(Method::POST, "/auth/refresh", None, &thief)
            .await?;
        let (_, may_die) = self
            .world
            .logout_all_between(self.sub, self.issued, reply.span);
        let detected =
            reply.status == StatusCode::UNAUTHORIZED && reply.reason() == "refresh_reused";
        let excused = may_die && reply.status == StatusCode::UNAUTHORIZED;
        if !(detected || excused) {
            self.world.violation(format!(
                "user {}: replayed refresh token not detected: {} {}",
                self.id, reply.status, reply.body
            ));
        }
        self.expect_dead("after reuse detection").await
    }

    /// The session's current tokens, as the jar holds them, must be refused.
    async fn expect_dead(&mut self, when: &str) -> Option<bool> {
        let jar = self.jar.clone();
        let reply = self.send(Method::GET, "/api/me", None, &jar).await?;
        if reply.status != StatusCode::UNAUTHORIZED {
            self.world.violation(format!(
                "user {} {when}: revoked access token got {}",
                self.id, reply.status
            ));
        }
        let refresh = HashMap::from([(
            REFRESH.to_owned(),
            jar.get(REFRESH).cloned().unwrap_or_default(),
        )]);
        let reply = self
            .send(Method::POST, "/auth/refresh", None, &refresh)
            .await?;
        if reply.status != StatusCode::UNAUTHORIZED {
            self.world.violation(format!(
                "user {} {when}: revoked refresh token got {}",
                self.id, reply.status
            ));
        }
        Some(false)
    }

    async fn logout(&mut self) -> Option<bool> {
        let before = self.jar.clone();
        let reply = self.call(Method::POST, "/auth/logout", None).await?;
        let (_, may_die) = self
            .world
            .logout_all_between(self.sub, self.issued, reply.span);
        if reply.status != StatusCode::NO_CONTENT
            && !(may_die && reply.status == StatusCode::UNAUTHORIZED)
        {
            self.world.violation(format!(
                "user {} logout: {} {}",
                self.id, reply.status, reply.body
            ));
        }
        self.jar = before;
        self.expect_dead("after logout").await
    }

    /// Logout everywhere, then a login right away must work, and its token
    /// must be accepted unless another logout everywhere of the same
    /// subject overlapped.
    async fn logout_all(&mut self) -> Option<bool> {
        let start = self.world.tick();
        let slot = {
            let mut map = self.world.logout_all.lock().unwrap();
            let list = map.entry(self.sub).or_default();
            list.push((start, u64::MAX));
            list.len() - 1
        };
        let reply = self.call(Method::POST, "/auth/logout-all", None).await;
        let end = self.world.tick();
        // Only a logout everywhere that was answered 204 revoked anything: a
        // refused one (no live credential left, 401) revoked nothing, so it
        // must not count as ending the sessions issued before it.
        let effective = reply
            .as_ref()
            .is_some_and(|r| r.status == StatusCode::NO_CONTENT);
        self.world
            .logout_all
            .lock()
            .unwrap()
            .get_mut(self.sub)
            .unwrap()[slot] = if effective {
            (start, end)
        } else {
            (u64::MAX, u64::MAX)
        };
        let reply = reply?;
        // Another logout everywhere of the subject may have ended this
        // session first: then there is no live credential left (401).
        let (_, may_die) = self
            .world
            .logout_all_except(self.sub, self.issued, reply.span, slot);
        if reply.status != StatusCode::NO_CONTENT
            && !(may_die && reply.status == StatusCode::UNAUTHORIZED)
        {
            self.world.violation(format!(
                "user {} logout-all: {} {}",
                self.id, reply.status, reply.body
            ));
        }
        self.login().await?;
        self.api("/api/me").await?;
        Some(true)
    }

    async fn run(mut self) -> u64 {
        'sessions: while self.world.running() {
            if self.login().await.is_none() {
                break;
            }
            while self.world.running() {
                let alive = match self.random(100) {
                    0..50 => self.api("/api/me").await,
                    50..65 => self.api("/api/notes").await,
                    65..82 => self.refresh().await,
                    82..90 => self.replay().await,
                    90..96 => self.logout().await,
                    _ => self.logout_all().await,
                };
                match alive {
                    None => break 'sessions,
                    Some(false) => continue 'sessions,
                    Some(true) => {}
                }
            }
        }
        self.requests
    }
}

async fn soak(label: &str, bases: Vec<String>) -> bool {
    let secs = env_or("SOAK_SECS", 20u64);
    let users = env_or("SOAK_USERS", 32usize);
    let world = Arc::new(World {
        bases,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(users)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        deadline: Instant::now() + Duration::from_secs(secs),
        budget: AtomicUsize::new(env_or("SOAK_MAX_REQUESTS", 200_000usize)),
        ticks: AtomicU64::new(0),
        logout_all: Mutex::new(HashMap::new()),
        violations: Mutex::new(Vec::new()),
        latencies: Mutex::new(Vec::new()),
    });
    let started = Instant::now();
    let tasks: Vec<_> = (0..users)
        .map(|id| {
            let (sub, password) = USERS[id % USERS.len()];
            let user = User {
                world: Arc::clone(&world),
                id,
                sub,
                password,
                jar: HashMap::new(),
                issued: (0, 0),
                old_refresh: Vec::new(),
                requests: 0,
                rng: 0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9),
            };
            tokio::spawn(user.run())
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = std::mem::take(&mut *world.latencies.lock().unwrap());
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0.0, |&us| f64::from(us) / 1000.0)
    };
    let violations = world.violations.lock().unwrap();
    println!(
        "soak {label}: {users} users, {total} requests in {elapsed:.1} s = {:.0} req/s; \
         latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}; {} violation(s)",
        total as f64 / elapsed,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
        violations.len()
    );
    violations.is_empty()
}

/// Starts `count` in-process demo instances sharing one store and one key,
/// all issuing as the first one's origin; returns their base URLs.
/// `store` makes each instance's store: clones of one `MemoryStore`, or a
/// connection each to one Redis.
async fn start_demos<S, F>(count: usize, mut store: impl FnMut() -> F) -> Vec<String>
where
    S: RevocationStore,
    F: Future<Output = S>,
{
    let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/p256.pem")).unwrap();
    let mut listeners = Vec::new();
    for _ in 0..count {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let bases: Vec<String> = listeners
        .iter()
        .map(|l| format!("http://{}", l.local_addr().unwrap()))
        .collect();
    for listener in listeners {
        let mut config = app::DemoConfig::new(&bases[0]);
        config.signing_key =
            Some(SigningKey::from_pem("soak", tower_jwt_cookie::Algorithm::ES256, &pem).unwrap());
        let demo = app::build_with_store(config, store().await).unwrap();
        tokio::spawn(async move { axum::serve(listener, demo.router).await });
    }
    bases
}

/// Two instances on one redis-server started here (feature `redis`; without
/// `redis-server` installed this is skipped, or fails under `CI=true`).
#[cfg(feature = "redis")]
async fn on_redis() -> bool {
    let Some(server) = redis_server::redis_server() else {
        return true;
    };
    let connect = || tower_jwt_cookie::RedisStore::builder(server.url()).connect();
    let stores = || async { connect().await.expect("the soak's redis-server answers") };
    soak("2 instances, one Redis", start_demos(2, stores).await).await
}

#[cfg(not(feature = "redis"))]
async fn on_redis() -> bool {
    println!("soak on Redis: skipped (built without feature `redis`)");
    true
}

#[tokio::main]
async fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let ok = match std::env::var("SOAK_URLS") {
        Ok(urls) => {
            let bases = urls
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .collect();
            soak("external", bases).await
        }
        Err(_) => {
            let memory = MemoryStore::new();
            let shared = || std::future::ready(memory.clone());
            let one = soak("1 instance, MemoryStore", start_demos(1, shared).await).await;
            let two = soak(
                "2 instances, shared MemoryStore",
                start_demos(2, shared).await,
            )
            .await;
            one && two && on_redis().await
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
