use std::time::Duration;

/// Why a [`RedisStore`](super::RedisStore) call failed. It reaches callers
/// as the source of a [`StoreError`](crate::revocation::StoreError) (reach
/// it with `std::error::Error::source` and `downcast_ref`); the layers refuse
/// the request with 503 / gRPC UNAVAILABLE. No variant carries a key name,
/// a token or an identifier: only the operation and Redis's own message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// The builder's settings cannot work; the message says how to fix them.
    #[error("redis store configuration: {0}")]
    Config(String),
    /// No answer within the store's bound (a frozen, overloaded or
    /// unreachable server, or a reconnection still under way).
    #[error("redis {operation}: no answer within {after:?}")]
    Timeout {
        /// The store method (`check`, `rotate`, ...).
        operation: &'static str,
        /// The bound that passed.
        after: Duration,
    },
    /// The connection failed or could not be made (refused, reset, closed).
    #[error("redis {operation}: connection failed: {source}")]
    Connection {
        /// The store method.
        operation: &'static str,
        /// redis-rs's error.
        source: redis::RedisError,
    },
    /// Redis answered with an error (a script error, out of memory, a
    /// read-only replica, an unexpected reply).
    #[error("redis {operation}: command failed: {source}")]
    Script {
        /// The store method.
        operation: &'static str,
        /// redis-rs's error.
        source: redis::RedisError,
    },
    /// Fewer replicas than required acknowledged a write within the bound
    /// (`WAIT`); the write may be lost on failover, so it is not reported
    /// as done.
    #[error("redis {operation}: {acknowledged} of {wanted} replicas acknowledged the write")]
    Replicas {
        /// The store method.
        operation: &'static str,
        /// Replicas required.
        wanted: u32,
        /// Replicas that acknowledged.
        acknowledged: i64,
    },
}

impl RedisStoreError {
    /// Classifies redis-rs's error; its own response timeout (set to the
    /// store's `bound`) is a [`Timeout`](Self::Timeout) too.
    pub(super) fn from_redis(
        operation: &'static str,
        source: redis::RedisError,
        bound: Duration,
    ) -> Self {
        if source.is_timeout() {
            Self::Timeout {
                operation,
                after: bound,
            }
        } else if source.is_io_error()
            || source.is_connection_dropped()
            || source.is_connection_refusal()
        {
            Self::Connection { operation, source }
        } else {
            Self::Script { operation, source }
        }
    }
}
