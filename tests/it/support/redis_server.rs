//! A real `redis-server` for tests: started on a free loopback port in its
//! own temporary directory (`--appendonly yes --appendfsync always --save ""`),
//! so a test can kill it (-9), freeze it (SIGSTOP / SIGCONT) and restart it
//! on the same port and directory. A missing `redis-server` fails under
//! `CI=true` and skips (with the reason printed) otherwise.
#![allow(dead_code)]

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tower_jwt_cookie::revocation::redis::RedisStore;
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
    StoreError, TokenRevocation, TokenStatus,
};

/// How long the server may take to accept commands after a (re)start.
const READY_WITHIN: Duration = Duration::from_secs(10);

pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    extra_args: Vec<String>,
    child: Option<Child>,
}

/// A started server, or `None` (after printing why) when `redis-server` is
/// not installed and CI is not set. Under `CI=true` a missing server panics.
pub fn redis_server() -> Option<RedisServer> {
    redis_server_with(|_| Vec::new())
}

/// As [`redis_server`], with more `redis-server` arguments, made from the
/// server's port.
pub fn redis_server_with(extra_args: impl FnOnce(u16) -> Vec<String>) -> Option<RedisServer> {
    let installed = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        let why = "redis-server is not installed (apt-get install redis-server)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}; CI=true, so this is a failure");
        }
        eprintln!("skipping: {why}");
        return None;
    }
    let port = free_port();
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "tjc-redis-{port}-{:016x}",
        u64::from_le_bytes(random)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = RedisServer {
        port,
        dir,
        extra_args: extra_args(port),
        child: None,
    };
    server.start();
    Some(server)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl RedisServer {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn store(&self) -> RedisStore {
        RedisStore::builder(self.url()).connect().await.unwrap()
    }

    fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .args(["--daemonize", "no", "--logfile", "redis.log"])
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start redis-server");
        self.child = Some(child);
        self.wait_ready();
    }

    /// Polls with PING until the server answers PONG (it has loaded its
    /// append-only file), or panics after [`READY_WITHIN`].
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if self.ping() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let log = std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                panic!("redis-server exited ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "redis-server did not get ready");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("not running").id()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} failed");
    }

    /// kill -9: no shutdown, no final fsync.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("not running");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }

    /// SIGSTOP: the kernel still accepts connections, nothing answers.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT.
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    /// Starts again on the same port and directory (replaying the AOF).
    pub fn restart(&mut self) {
        self.start();
    }

    /// A second server replicating this one (`--replicaof`), returned once
    /// this primary lists it as `online` in `INFO replication` (it has
    /// loaded the primary's data and receives its writes), polled within
    /// [`READY_WITHIN`].
    pub fn replica(&self) -> RedisServer {
        let primary = self.port.to_string();
        let replica =
            redis_server_with(|_| vec!["--replicaof".into(), "127.0.0.1".into(), primary])
                .expect("redis-server is installed: the primary runs");
        let in_sync = format!("port={},state=online", replica.port);
        let deadline = Instant::now() + READY_WITHIN;
        while !self
            .cli(&["INFO", "replication"])
            .iter()
            .any(|line| line.starts_with("slave") && line.contains(&in_sync))
        {
            assert!(Instant::now() < deadline, "the replica did not get in sync");
            std::thread::sleep(Duration::from_millis(20));
        }
        replica
    }

    /// The value of `field` in `INFO <section>`.
    pub fn info(&self, section: &str, field: &str) -> String {
        let prefix = format!("{field}:");
        self.cli(&["INFO", section])
            .iter()
            .find_map(|line| line.strip_prefix(&prefix).map(str::to_owned))
            .unwrap_or_else(|| panic!("INFO {section} has no {field}"))
    }

    /// Runs a command with `redis-cli` and returns its output lines.
    pub fn cli(&self, args: &[&str]) -> Vec<String> {
        let output = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        assert!(output.status.success(), "redis-cli {args:?} failed");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A frozen process still dies of SIGKILL.
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A store whose futures enter a tokio runtime while they are polled, so
/// the conformance suite's thread-per-racer executor can drive RedisStore
/// (whose timeouts and reconnections need a runtime context). It changes
/// no answer: every call goes to the inner store.
pub struct InRuntime<S> {
    pub store: S,
    pub runtime: Handle,
}

pin_project_lite::pin_project! {
    struct Entered<F> {
        runtime: Handle,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Entered<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.runtime.enter();
        this.future.poll(cx)
    }
}

/// Races the conformance suite's rotations on OS threads (2, 8 and 32 of
/// them) against the store `connect` builds, on a runtime of its own: the
/// suite's thread executor has none, so the store is wrapped in
/// [`InRuntime`].
#[cfg(feature = "conformance")]
pub fn run_parallel_races_on_own_runtime<S, F>(connect: F)
where
    S: RevocationStore,
    F: Future<Output = S>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = InRuntime {
        store: runtime.block_on(connect),
        runtime: runtime.handle().clone(),
    };
    for threads in [2, 8, 32] {
        tower_jwt_cookie::revocation::conformance::run_parallel_races(&store, threads);
    }
}

impl<S: RevocationStore> InRuntime<S> {
    fn enter<F: Future>(&self, future: F) -> Entered<F> {
        Entered {
            runtime: self.runtime.clone(),
            future,
        }
    }
}

impl<S: RevocationStore> RevocationStore for InRuntime<S> {
    async fn check(&self, t: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        self.enter(self.store.check(t)).await
    }
    async fn revoke_token(&self, t: TokenRevocation<'_>) -> Result<(), StoreError> {
        self.enter(self.store.revoke_token(t)).await
    }
    async fn revoke_session(&self, s: SessionRevocation<'_>) -> Result<(), StoreError> {
        self.enter(self.store.revoke_session(s)).await
    }
    async fn revoke_subject(&self, sub: &str, b: i64, e: i64) -> Result<(), StoreError> {
        self.enter(self.store.revoke_subject(sub, b, e)).await
    }
    async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
        self.enter(self.store.start_session(s)).await
    }
    async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        self.enter(self.store.rotate(r)).await
    }
}
