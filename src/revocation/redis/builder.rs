use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::io::tcp::{TcpSettings, socket2::TcpKeepalive};
use redis::{Client, ConnectionInfo, IntoConnectionInfo};

use super::connection::{Connection, Connections};
use super::invalidation::{self, Pace};
use super::keys::Keys;
use super::local_cache::{AnswerCache, LocalCache};
use super::scripts::Scripts;
use super::{Inner, RedisStore, RedisStoreError};
use crate::defaults;

/// Reconnection backoff: first retry after this, doubling...
pub(super) const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(25);
/// ...up to this, so a server that comes back is found within about a second.
pub(super) const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(1000);
/// Attempts per reconnection; once spent, the next call starts another.
const RECONNECT_ATTEMPTS: usize = 8;
/// A peer that vanished without closing the connection (host down, network
/// cut: no RST) is declared dead when sent data stays unacknowledged this
/// long (`TCP_USER_TIMEOUT`, RFC 5482), or an idle connection's keepalive
/// probes go unanswered; the manager then reconnects. Until then every call
/// already fails within the bound. A frozen process is not dead: its kernel
/// acknowledges, and it answers again when it resumes.
const DEAD_PEER_AFTER: Duration = Duration::from_secs(10);

/// Where the store connects.
#[derive(Debug)]
enum Server {
    Single(Result<ConnectionInfo, redis::RedisError>),
    /// Seed nodes of a Redis Cluster: any reachable one tells the client the
    /// whole slot map.
    #[cfg(feature = "redis-cluster")]
    Cluster(Result<Vec<ConnectionInfo>, redis::RedisError>),
}

/// Configures a [`RedisStore`]; [`connect`](Self::connect) checks the
/// configuration and reaches the server.
#[derive(Debug)]
#[must_use]
pub struct RedisStoreBuilder {
    server: Server,
    prefix: String,
    timeout: Duration,
    replicas: u32,
    local_cache: Option<LocalCache>,
}

impl RedisStoreBuilder {
    pub(super) fn new(server: impl IntoConnectionInfo) -> Self {
        Self::with_server(Server::Single(server.into_connection_info()))
    }

    #[cfg(feature = "redis-cluster")]
    pub(super) fn cluster<T: IntoConnectionInfo>(nodes: impl IntoIterator<Item = T>) -> Self {
        let nodes = nodes
            .into_iter()
            .map(IntoConnectionInfo::into_connection_info)
            .collect();
        Self::with_server(Server::Cluster(nodes))
    }

    fn with_server(server: Server) -> Self {
        Self {
            server,
            prefix: defaults::REDIS_KEY_PREFIX.to_owned(),
            timeout: defaults::REDIS_TIMEOUT,
            replicas: defaults::REDIS_WAIT_FOR_REPLICAS,
            local_cache: None,
        }
    }

    /// The prefix of every key (default `tjc:`), so several applications
    /// can share one Redis database. It may not contain `{` or `}`: those
    /// would change the keys' hash tag.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on every store call (default 250 ms): a call that has no
    /// answer by then fails with [`RedisStoreError::Timeout`], and the
    /// request that needed it is refused (503). It covers waiting for a
    /// reconnection, the script, and `WAIT` for replicas.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// After every write, waits (`WAIT`) until `replicas` replicas have
    /// acknowledged it, within the call's bound; fewer is a
    /// [`RedisStoreError::Replicas`] failure (a logout is then refused, not
    /// reported as done). Default 0: the primary's acknowledgement suffices.
    ///
    /// Redis blocks the client that sent `WAIT` until it returns, answering
    /// nothing else on that connection
    /// (<https://redis.io/docs/latest/commands/wait/>). So with `replicas`
    /// above 0 the store opens a second connection and sends every write
    /// and its `WAIT` there: checks stay on the shared connection and never
    /// queue behind a slow or missing replica. Writes do queue behind each
    /// other's `WAIT` on theirs; with a replica gone, each write fails
    /// within the bound (`Replicas`, or `Timeout` for one that waited its
    /// turn), while checks go on being answered.
    pub fn wait_for_replicas(mut self, replicas: u32) -> Self {
        self.replicas = replicas;
        self
    }

    /// Answers checks from process memory when nothing revoked the token,
    /// with no Redis round trip, and learns of every revocation (by any
    /// instance) from Redis pub/sub: see [`LocalCache`] for the bounds and
    /// the README for the trade-off. The store then holds a second,
    /// dedicated subscriber connection. Not available on Redis Cluster
    /// (its pub/sub crosses the cluster bus with no ordering to prove
    /// freshness by); [`connect`](Self::connect) says so.
    pub fn local_cache(mut self, settings: LocalCache) -> Self {
        self.local_cache = Some(settings);
        self
    }

    /// Checks the configuration, connects, and loads the scripts (so the
    /// first requests need no `NOSCRIPT` round trip), within the bound.
    /// With a local cache, it also waits (within the bound again) until the
    /// subscriber has proven itself live, so the cache answers from the
    /// first request; otherwise it fails with `Timeout { operation:
    /// "subscribe" }`, or with `Config` naming the ACL to grant when Redis
    /// refused the subscription.
    pub async fn connect(self) -> Result<RedisStore, RedisStoreError> {
        if self.prefix.contains(['{', '}']) {
            return Err(RedisStoreError::Config(
                "the key prefix contains `{` or `}`, which would become every key's \
                 hash tag; choose a prefix without braces"
                    .into(),
            ));
        }
        if self.timeout.is_zero() {
            return Err(RedisStoreError::Config(
                "the timeout is zero, so every call would fail; use at least a few milliseconds"
                    .into(),
            ));
        }
        if let Some(settings) = &self.local_cache {
            settings.validate().map_err(RedisStoreError::Config)?;
        }
        // Writes get a connection of their own only when they `WAIT`.
        let separate_writes = self.replicas > 0;
        let (connections, client) = match self.server {
            Server::Single(server) => single(server, self.timeout, separate_writes)?,
            #[cfg(feature = "redis-cluster")]
            Server::Cluster(nodes) => {
                if self.local_cache.is_some() {
                    return Err(RedisStoreError::Config(
                        "the local cache needs one server's ordered pub/sub to bound its \
                         staleness, which Redis Cluster does not give; remove \
                         `.local_cache(..)` or use a single server (with replicas)"
                            .into(),
                    ));
                }
                (cluster(nodes, self.timeout, separate_writes).await?, None)
            }
        };
        let keys = Keys::new(&self.prefix);
        let channel = keys.channel();
        let cache = self
            .local_cache
            .as_ref()
            .map(|settings| Arc::new(AnswerCache::new(settings)));
        let store = RedisStore {
            inner: Arc::new(Inner {
                connections,
                keys,
                scripts: Scripts::new(),
                timeout: self.timeout,
                replicas: self.replicas,
                channel: channel.clone(),
                cache: cache.clone(),
            }),
        };
        store.load_scripts().await?;
        if let (Some(cache), Some(settings), Some(client)) = (cache, self.local_cache, client) {
            let pace = Pace {
                timeout: self.timeout,
                heartbeat: settings.heartbeat(),
            };
            invalidation::spawn(client, channel.clone(), Arc::downgrade(&cache), pace);
            // The first requests find the cache answering, or connecting fails.
            if tokio::time::timeout(self.timeout, cache.answering_soon())
                .await
                .is_err()
            {
                if let Some(why) = cache.subscription_refusal() {
                    return Err(RedisStoreError::Config(format!(
                        "Redis refused the local cache's subscription to {channel} ({why}); \
                         give the Redis user SUBSCRIBE, PING and that channel \
                         (ACL SETUSER <user> +subscribe +ping &{channel}), or do not enable \
                         the local cache"
                    )));
                }
                return Err(RedisStoreError::Timeout {
                    operation: "subscribe",
                    after: self.timeout,
                });
            }
        }
        Ok(store)
    }
}

fn invalid(e: redis::RedisError) -> RedisStoreError {
    RedisStoreError::Config(format!(
        "the server address is not valid ({e}); use redis://host:port/db"
    ))
}

/// One server, through connection managers that reconnect by themselves.
fn single(
    server: Result<ConnectionInfo, redis::RedisError>,
    timeout: Duration,
    separate_writes: bool,
) -> Result<(Connections, Option<Client>), RedisStoreError> {
    let server = server.map_err(invalid)?;
    let tcp = tcp_settings(server.tcp_settings().clone());
    let client = Client::open(server.set_tcp_settings(tcp)).map_err(invalid)?;
    // redis-rs bounds each connection attempt and each answer itself;
    // the store's own timeout (in `RedisStore::eval`) bounds the whole
    // call, including a wait for a reconnection in progress.
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_min_delay(RECONNECT_MIN_DELAY)
        .set_max_delay(RECONNECT_MAX_DELAY)
        .set_number_of_retries(RECONNECT_ATTEMPTS);
    let open = || {
        ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
            .map(Connection::Single)
            .map_err(|e| RedisStoreError::from_redis("connect", e, timeout))
    };
    let checks = open()?;
    let writes = if separate_writes {
        open()?
    } else {
        checks.clone()
    };
    Ok((Connections { checks, writes }, Some(client)))
}

/// A Redis Cluster: redis-rs's cluster connection (one connection per
/// node, redirections followed, the slot map refreshed on `MOVED` and after
/// connection failures). Connecting reads the slot map, within the bound.
#[cfg(feature = "redis-cluster")]
async fn cluster(
    nodes: Result<Vec<ConnectionInfo>, redis::RedisError>,
    timeout: Duration,
    separate_writes: bool,
) -> Result<Connections, RedisStoreError> {
    use redis::cluster::ClusterClientBuilder;

    let nodes = nodes.map_err(invalid)?;
    let Some(first) = nodes.first() else {
        return Err(RedisStoreError::Config(
            "no cluster seed node; give at least one redis://host:port/".into(),
        ));
    };
    let tcp = tcp_settings(first.tcp_settings().clone());
    let client = ClusterClientBuilder::new(nodes)
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .tcp_settings(tcp)
        .min_retry_wait(RECONNECT_MIN_DELAY.as_millis() as u64)
        .max_retry_wait(RECONNECT_MAX_DELAY.as_millis() as u64)
        .build()
        .map_err(invalid)?;
    let open = || async {
        match tokio::time::timeout(timeout, client.get_async_connection()).await {
            Ok(Ok(conn)) => Ok(Connection::Cluster(conn)),
            Ok(Err(e)) => Err(RedisStoreError::from_redis("connect", e, timeout)),
            Err(_) => Err(RedisStoreError::Timeout {
                operation: "connect",
                after: timeout,
            }),
        }
    };
    if separate_writes {
        let (checks, writes) = futures_util::future::try_join(open(), open()).await?;
        Ok(Connections { checks, writes })
    } else {
        let checks = open().await?;
        Ok(Connections {
            writes: checks.clone(),
            checks,
        })
    }
}

/// No Nagle delay (each check is a small write waiting for its answer), and
/// dead-peer detection (see [`DEAD_PEER_AFTER`]).
fn tcp_settings(tcp: TcpSettings) -> TcpSettings {
    let keepalive = TcpKeepalive::new()
        .with_time(DEAD_PEER_AFTER)
        .with_interval(DEAD_PEER_AFTER / 4);
    let tcp = tcp.set_nodelay(true).set_keepalive(keepalive);
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    let tcp = tcp.set_user_timeout(DEAD_PEER_AFTER);
    tcp
}
