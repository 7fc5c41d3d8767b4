//! [`RedisStore`] (feature `redis`): revocations and refresh families in
//! Redis, shared by every instance of the application.
//!
//! ```no_run
//! use std::time::Duration;
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::revocation::redis::RedisStore;
//! use tower_jwt_cookie::{Algorithm, CookieAuth};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::builder("redis://127.0.0.1:6379/")
//!     .key_prefix("myapp:")
//!     .timeout(Duration::from_millis(250)) // the default
//!     .connect()
//!     .await?;
//! let keys = KeyRing::with_signing_key(SigningKey::generate("k1", Algorithm::ES256)?);
//! let auth = CookieAuth::builder(keys, store)
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! # let _ = auth; Ok(()) }
//! ```
//!
//! # One connection, one round trip
//!
//! The store holds one redis-rs `ConnectionManager`: one multiplexed
//! connection that every clone of the store and every request shares, so
//! concurrent calls are pipelined on one socket, and that reconnects by
//! itself after the server went away. (With
//! [`RedisStoreBuilder::wait_for_replicas`], writes and their `WAIT` go
//! over a second one, because Redis answers nothing else on a connection
//! while a `WAIT` there blocks: checks never queue behind a replica.) Each
//! method is one Lua script call (`EVALSHA`, with redis-rs falling back to
//! loading the script after a `NOSCRIPT` answer, as after a restart or
//! failover), so `check` is one round trip and `rotate` is atomic: Redis
//! runs one script at a time.
//!
//! # Key layout
//!
//! Every key of one subject starts with `<prefix>{<sub>}:` (the subject is
//! percent-escaped where it holds `%`, `{` or `}`, so it is always one whole
//! hash tag):
//!
//! | key | type | holds | expires (`EXPIREAT`) |
//! |---|---|---|---|
//! | `tjc:{alice}:t:<jti>` | string | a revoked token: its `expires_at` | `expires_at` |
//! | `tjc:{alice}:s:<sid>` | hash | a session: `cur`, `prev`, `rot`, `idle`, `abs`, `start`, `rev` | idle expiry; once revoked, absolute expiry |
//! | `tjc:{alice}:u` | hash | logout-everywhere cutoff: `cut`, `cutexp` | `cutexp` |
//! | `tjc:{alice}:l` | sorted set | the subject's live sessions, scored by absolute expiry | the latest absolute expiry |
//!
//! The `{sub}` hash tag puts all of one subject's keys in one Redis Cluster
//! hash slot, so every script (check: token, session and cutoff; rotate:
//! session, cutoff and the presented token; logout everywhere: the cutoff,
//! the set and each of its sessions) touches one slot, and different
//! subjects spread over the whole cluster. Tagging by session instead would
//! split a subject's sessions over slots and make logout everywhere a
//! multi-slot operation; tagging by subject costs nothing, because every
//! caller knows the subject (it is in every token). Logout everywhere builds
//! its sessions' key names inside the script from the subject's prefix; they
//! carry the same tag, so they are in the slot of its declared keys.
//!
//! Every key expires [`RETENTION_MARGIN_SECS`](super::RETENTION_MARGIN_SECS)
//! (60 s) after the end of what it records, so memory stays bounded without
//! a sweeper. That margin is the leeway rule, not a clock-skew allowance:
//! the verifier asks about a token as of `now - leeway` (at most 60 s
//! back), so a revocation must outlive the token's expiry by that much. The
//! scripts compare expiries with the caller's clock, exactly as
//! [`MemoryStore`](super::MemoryStore) does, so Redis's clock matters only
//! for when keys expire: if it runs δ seconds ahead of the application's,
//! every key goes δ seconds early. With a leeway more than 60 − δ seconds,
//! a revoked token then becomes acceptable again for the last seconds of
//! its leeway; a clock behind only keeps keys longer. Keep the clocks
//! synchronised (NTP), or leave at least the expected skew of the leeway
//! unused (the default leeway is 0).
//!
//! # Failing closed, in bounded time
//!
//! Every call is bounded by [`RedisStoreBuilder::timeout`] (default
//! 250 ms), whether the server refuses connections, is killed, or accepts
//! connections and never answers (frozen): the call fails with a
//! [`RedisStoreError`] and the request is refused with 503 / gRPC
//! `UNAVAILABLE`. While the server is away, the connection manager keeps
//! reconnecting in the background (backoff from 25 ms up to 1 s), so the
//! same process serves again within about a second of the server's return.
//! A server that vanished without closing the connection (host down,
//! network cut) is detected by `TCP_USER_TIMEOUT` and keepalive probes
//! after 10 s, and the manager reconnects; until then, too, every call
//! fails within the bound.
//!
//! A write that timed out may still have been applied: a frozen server runs
//! the command waiting in its socket when it resumes, and a killed one may
//! have run it without its answer getting out. Revocations and logins are
//! safe to retry (a revocation again changes nothing; a login starts a new
//! session). A refresh is not: a rotation applied after its caller gave up
//! has moved the family on to a successor the client never received, and
//! the client still holds the token the store now keeps as the previous
//! one. Retried within the grace window, it gets the successor; retried
//! later, it counts as reuse and revokes the family. That fails closed: the
//! user has to log in again; no session is kept alive that should not be.
//!
//! # Local cache
//!
//! [`RedisStoreBuilder::local_cache`] answers "nothing revokes this token"
//! from process memory, with no round trip. Every revoking script publishes
//! the subject on `<prefix>revocations` (whether or not the writing instance
//! has a cache); a cached store holds one more connection, subscribed to that
//! channel, and drops a subject's answers when it is named. The revoking
//! instance drops them before its call returns. Elsewhere a revocation is
//! refused within [`LocalCache::max_staleness`]: the subscriber sends `PING`
//! on its own connection every quarter of it, Redis delivers messages and
//! replies on one connection in order, so each `PONG` proves everything
//! published before its `PING` applied, and the cache answers only while
//! the last proof is younger than the bound. A dropped subscriber connection
//! empties the cache until it is back and proven again; a frozen server
//! stops the proofs, so checks go to Redis and fail within the timeout.
//! Not available on a cluster (its pub/sub has no such order).
//!
//! ```no_run
//! use std::time::Duration;
//! use tower_jwt_cookie::revocation::redis::RedisStore;
//! use tower_jwt_cookie::revocation::redis::LocalCache;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::builder("redis://127.0.0.1:6379/")
//!     .local_cache(LocalCache::new().max_staleness(Duration::from_millis(500)))
//!     .connect()
//!     .await?;
//! assert!(store.local_cache_state().is_some_and(|state| state.answering));
//! # Ok(()) }
//! ```
//!
//! # Nothing acknowledged is lost
//!
//! A logout is answered only after Redis acknowledged the script that
//! wrote it. Whether that survives a crash depends on the server's
//! persistence settings:
//!
//! * `appendonly yes` + `appendfsync always`: every write is fsynced to the
//!   append-only file before Redis answers; a crash or power loss loses
//!   nothing acknowledged, at the cost of one fsync per write (logins,
//!   refreshes and logouts; checks are reads and cost none).
//! * `appendonly yes` + `appendfsync everysec` (Redis's default when the AOF
//!   is on): one fsync a second; a power loss or kernel crash can lose up to
//!   about a second of acknowledged writes, i.e. a logout can be undone.
//!   A crash of the Redis process alone loses nothing (the data is in the
//!   OS's page cache).
//! * RDB snapshots only (`save ...`) or no persistence: everything since the
//!   last snapshot is lost on restart.
//!
//! With replicas, [`RedisStoreBuilder::wait_for_replicas`] makes every write
//! wait (`WAIT`) for N replicas before it counts as done, so a failover to a
//! replica does not lose it either. The writes then have a connection of
//! their own (see there), so a slow or missing replica fails writes (within
//! the bound) but not checks.

mod builder;
mod connection;
mod error;
mod invalidation;
mod keys;
mod local_cache;
mod scripts;

use std::sync::Arc;
use std::time::Duration;

use redis::{FromRedisValue, Script, ScriptInvocation};

pub use builder::RedisStoreBuilder;
use connection::Connections;
pub use error::RedisStoreError;
use keys::Keys;
use local_cache::AnswerCache;
pub use local_cache::{LocalCache, LocalCacheState};
use scripts::Scripts;

use super::{
    AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
    StoreError, TokenRevocation, TokenStatus,
};

/// Times sent to Redis are clamped to ±2^50 s (35 million years): Lua's
/// numbers are doubles, exact only up to 2^53, and `EXPIREAT` refuses
/// instants whose milliseconds overflow.
const MAX_TIME: i64 = 1 << 50;

fn time(t: i64) -> i64 {
    t.clamp(-MAX_TIME, MAX_TIME)
}

/// The distributed store: revocations and refresh families in Redis, so
/// every instance of the application sees every logout. Cloning gives
/// another handle to the same connection. See the [module docs](self).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    connections: Connections,
    keys: Keys,
    scripts: Scripts,
    timeout: Duration,
    replicas: u32,
    /// The revocation channel (`<prefix>revocations`).
    channel: String,
    /// The local cache, when enabled.
    cache: Option<Arc<AnswerCache>>,
}

impl std::fmt::Debug for RedisStore {
    // The connection (whose address may hold a password) is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.inner.keys.prefix())
            .field("timeout", &self.inner.timeout)
            .field("replicas", &self.inner.replicas)
            .field("local_cache", &self.inner.cache.is_some())
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Starts configuring a store on `server`, e.g. `"redis://127.0.0.1:6379/"`
    /// (or any redis-rs connection info, such as `rediss://` for TLS when
    /// redis-rs's TLS feature is on).
    pub fn builder(server: impl redis::IntoConnectionInfo) -> RedisStoreBuilder {
        RedisStoreBuilder::new(server)
    }

    /// Starts configuring a store on a Redis Cluster (feature
    /// `redis-cluster`), given seed nodes such as
    /// `["redis://10.0.0.1:6379/", "redis://10.0.0.2:6379/"]`: any reachable
    /// one gives the client the slot map. Everything else (methods, key
    /// layout, timeouts, errors) is as on one server; every script touches
    /// the keys of one subject, which share one hash slot.
    ///
    /// ```no_run
    /// use tower_jwt_cookie::revocation::redis::RedisStore;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = RedisStore::cluster_builder(["redis://10.0.0.1:6379/", "redis://10.0.0.2:6379/"])
    ///     .key_prefix("myapp:")
    ///     .connect()
    ///     .await?;
    /// # let _ = store; Ok(()) }
    /// ```
    #[cfg(feature = "redis-cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-cluster")))]
    pub fn cluster_builder<T: redis::IntoConnectionInfo>(
        nodes: impl IntoIterator<Item = T>,
    ) -> RedisStoreBuilder {
        RedisStoreBuilder::cluster(nodes)
    }

    /// The local cache's state (`None` when it is not enabled): whether it
    /// is answering now and how many answers it holds.
    pub fn local_cache_state(&self) -> Option<LocalCacheState> {
        self.inner.cache.as_deref().map(AnswerCache::state)
    }

    /// Drops the local cache's answers of `sub`, after this instance wrote
    /// a revocation of it (whether or not the write was acknowledged: it
    /// may have been applied): immediate here, whatever the subscriber's
    /// delay.
    fn invalidate(&self, sub: &str) {
        if let Some(cache) = &self.inner.cache {
            cache.invalidate(sub);
        }
    }

    /// The command [`check`](RevocationStore::check) sends for `token`, as
    /// words (`EVALSHA <sha> 3 <keys> <now> <iat>`): to replay it with
    /// `redis-cli` or `redis-benchmark`.
    pub fn check_command(&self, token: AccessCheck<'_>) -> Vec<String> {
        let (keys, args) = self.check_parts(&token);
        let mut words = vec![
            "EVALSHA".to_owned(),
            self.inner.scripts.check.get_hash().to_owned(),
            keys.len().to_string(),
        ];
        words.extend(keys);
        words.extend(args.iter().map(i64::to_string));
        words
    }

    fn check_parts(&self, token: &AccessCheck<'_>) -> ([String; 3], [i64; 2]) {
        let keys = &self.inner.keys;
        (
            [
                keys.token(token.sub, token.jti),
                keys.session(token.sub, token.sid),
                keys.cutoff(token.sub),
            ],
            [time(token.now), time(token.issued_at)],
        )
    }

    /// Loads every script, within the bound. One `SCRIPT LOAD` each: on a
    /// cluster, redis-rs sends it to every primary (a pipeline would go to
    /// one node only).
    async fn load_scripts(&self) -> Result<(), RedisStoreError> {
        const OPERATION: &str = "connect";
        let s = &self.inner.scripts;
        let mut conn = self.inner.connections.checks.clone();
        let load = async {
            for script in [
                &s.check,
                &s.revoke_token,
                &s.revoke_session,
                &s.revoke_subject,
                &s.start_session,
                &s.rotate,
            ] {
                script.load_async(&mut conn).await?;
            }
            Ok(())
        };
        match tokio::time::timeout(self.inner.timeout, load).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(RedisStoreError::from_redis(
                OPERATION,
                e,
                self.inner.timeout,
            )),
            Err(_) => Err(RedisStoreError::Timeout {
                operation: OPERATION,
                after: self.inner.timeout,
            }),
        }
    }

    /// Runs one script call, then (for writes, when configured) `WAIT`s for
    /// replicas, all within the bound. A write and its `WAIT` go over the
    /// writes' connection: `WAIT` covers the writes of the connection it is
    /// sent on, and blocks that connection while it waits.
    async fn eval<T: FromRedisValue>(
        &self,
        operation: &'static str,
        invocation: &ScriptInvocation<'_>,
        write: bool,
    ) -> Result<T, StoreError> {
        let inner = &*self.inner;
        let mut conn = if write {
            inner.connections.writes.clone()
        } else {
            inner.connections.checks.clone()
        };
        let started = std::time::Instant::now();
        let call = async {
            let value = invocation
                .invoke_async::<T>(&mut conn)
                .await
                .map_err(|e| RedisStoreError::from_redis(operation, e, inner.timeout))?;
            if write && inner.replicas > 0 {
                // WAIT's own timeout ends before the call's bound, so too few
                // replicas is reported as such, not as a timeout.
                let remaining = inner.timeout.saturating_sub(started.elapsed());
                let wait_ms = u64::try_from(remaining.as_millis() * 3 / 4).unwrap_or(u64::MAX);
                let acknowledged: i64 = redis::cmd("WAIT")
                    .arg(inner.replicas)
                    .arg(wait_ms.max(1))
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| RedisStoreError::from_redis(operation, e, inner.timeout))?;
                if acknowledged < i64::from(inner.replicas) {
                    return Err(RedisStoreError::Replicas {
                        operation,
                        wanted: inner.replicas,
                        acknowledged,
                    });
                }
            }
            Ok(value)
        };
        match tokio::time::timeout(inner.timeout, call).await {
            Ok(result) => result.map_err(StoreError::new),
            Err(_) => Err(StoreError::new(RedisStoreError::Timeout {
                operation,
                after: inner.timeout,
            })),
        }
    }

    fn scripts(&self) -> &Scripts {
        &self.inner.scripts
    }

    fn keys(&self) -> &Keys {
        &self.inner.keys
    }
}

/// A script invocation with these keys and arguments.
fn invocation<'a>(script: &'a Script, keys: &[&str], args: &[&str]) -> ScriptInvocation<'a> {
    let mut invocation = script.prepare_invoke();
    for key in keys {
        invocation.key(*key);
    }
    for arg in args {
        invocation.arg(*arg);
    }
    invocation
}

impl RevocationStore for RedisStore {
    async fn check(&self, token: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        let cache = self.inner.cache.as_deref();
        if cache.is_some_and(|cache| cache.is_active(&token)) {
            return Ok(TokenStatus::Active);
        }
        let ticket = cache.and_then(|cache| cache.ticket(token.sub));
        let ([t, s, u], [now, iat]) = self.check_parts(&token);
        let mut call = self.scripts().check.prepare_invoke();
        call.key(t).key(s).key(u).arg(now).arg(iat);
        let revoked: i64 = self.eval("check", &call, false).await?;
        if revoked == 1 {
            return Ok(TokenStatus::Revoked);
        }
        if let (Some(cache), Some(ticket)) = (cache, ticket) {
            cache.remember(&token, ticket);
        }
        Ok(TokenStatus::Active)
    }

    fn check_now(&self, token: AccessCheck<'_>) -> Option<Result<TokenStatus, StoreError>> {
        let cache = self.inner.cache.as_deref()?;
        cache.is_active(&token).then_some(Ok(TokenStatus::Active))
    }

    // An empty id names nothing ("Empty ids" on `RevocationStore`): the
    // revocations of one write nothing and publish nothing.
    async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
        if token.jti.is_empty() {
            return Ok(());
        }
        let key = self.keys().token(token.sub, token.jti);
        let expires_at = time(token.expires_at).to_string();
        let call = invocation(
            &self.scripts().revoke_token,
            &[&key],
            &[&expires_at, &self.inner.channel, token.sub],
        );
        let written = self.eval::<i64>("revoke_token", &call, true).await;
        self.invalidate(token.sub);
        written.map(drop)
    }

    async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
        if session.sid.is_empty() {
            return Ok(());
        }
        let key = self.keys().session(session.sub, session.sid);
        let expires_at = time(session.expires_at).to_string();
        let call = invocation(
            &self.scripts().revoke_session,
            &[&key],
            &[&expires_at, &self.inner.channel, session.sub],
        );
        let written = self.eval::<i64>("revoke_session", &call, true).await;
        self.invalidate(session.sub);
        written.map(drop)
    }

    async fn revoke_subject(
        &self,
        sub: &str,
        issued_before: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if sub.is_empty() {
            return Ok(());
        }
        let keys = self.keys();
        let (cutoff, live, base) = (
            keys.cutoff(sub),
            keys.live_sessions(sub),
            keys.session_base(sub),
        );
        let (before, until) = (
            time(issued_before).to_string(),
            time(expires_at).to_string(),
        );
        let call = invocation(
            &self.scripts().revoke_subject,
            &[&cutoff, &live],
            &[&before, &until, &base, &self.inner.channel, sub],
        );
        let written = self.eval::<i64>("revoke_subject", &call, true).await;
        self.invalidate(sub);
        written.map(drop)
    }

    async fn start_session(&self, session: SessionStart<'_>) -> Result<(), StoreError> {
        let keys = self.keys();
        let (key, live) = (
            keys.session(session.sub, session.sid),
            keys.live_sessions(session.sub),
        );
        let [now, idle, absolute] = [
            session.now,
            session.idle_expires_at,
            session.absolute_expires_at,
        ]
        .map(|t| time(t).to_string());
        let call = invocation(
            &self.scripts().start_session,
            &[&key, &live],
            &[session.sid, session.refresh_jti, &now, &idle, &absolute],
        );
        self.eval::<i64>("start_session", &call, true).await?;
        Ok(())
    }

    async fn rotate(&self, rotation: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let keys = self.keys();
        let (session, cutoff, presented) = (
            keys.session(rotation.sub, rotation.sid),
            keys.cutoff(rotation.sub),
            keys.token(rotation.sub, rotation.presented_jti),
        );
        let [now, grace, idle] = [rotation.now, rotation.grace_secs, rotation.idle_expires_at]
            .map(|t| time(t).to_string());
        let call = invocation(
            &self.scripts().rotate,
            &[&session, &cutoff, &presented],
            &[
                rotation.presented_jti,
                rotation.next_jti,
                &now,
                &grace,
                &idle,
                &self.inner.channel,
                rotation.sub,
            ],
        );
        let answer: Result<(i64, Option<String>, i64), _> = self.eval("rotate", &call, true).await;
        // A reuse revoked the session; a failed call may have.
        if !matches!(answer, Ok((1 | 2, _, _))) {
            self.invalidate(rotation.sub);
        }
        let (code, current, idle_expires_at) = answer?;
        Ok(match (code, current) {
            (1, _) => RotateOutcome::Rotated,
            (2, Some(current_jti)) => RotateOutcome::WithinGrace {
                current_jti,
                idle_expires_at,
            },
            (3, _) => RotateOutcome::Reused,
            _ => RotateOutcome::Unknown,
        })
    }
}
