//! The subscriber that keeps a local cache fresh: one dedicated pub/sub
//! connection per store, subscribed to the revocation channel, applying each
//! message and proving itself live with a `PING` every heartbeat (see
//! `local_cache.rs` for why that bounds staleness). It reconnects with the
//! store's backoff after any failure, flushing the cache first, and ends
//! when the store is dropped.

use std::future::Future;
use std::pin::pin;
use std::sync::Weak;
use std::time::Duration;

use futures_util::{FutureExt as _, StreamExt as _};
use redis::{Client, Msg};

use super::builder::{RECONNECT_MAX_DELAY, RECONNECT_MIN_DELAY};
use super::local_cache::AnswerCache;

/// How the subscriber paces itself.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pace {
    /// Bound on connecting, subscribing and each `PING`.
    pub(super) timeout: Duration,
    /// Time between `PING`s.
    pub(super) heartbeat: Duration,
}

/// Starts the subscriber on the current tokio runtime.
pub(super) fn spawn(client: Client, channel: String, cache: Weak<AnswerCache>, pace: Pace) {
    tokio::spawn(run(client, channel, cache, pace));
}

/// Why a subscription ended.
enum Ended {
    /// The store was dropped: stop.
    Dropped,
    /// The connection failed, closed or stopped answering; `proven` tells
    /// whether it had been proven live at least once (then reconnecting
    /// starts again from the shortest delay).
    Down { proven: bool },
}

async fn run(client: Client, channel: String, cache: Weak<AnswerCache>, pace: Pace) {
    let mut delay = RECONNECT_MIN_DELAY;
    loop {
        match subscription(&client, &channel, &cache, pace).await {
            Ended::Dropped => return,
            Ended::Down { proven } => {
                let Some(live) = cache.upgrade() else { return };
                live.flush();
                drop(live);
                if proven {
                    tracing::warn!(
                        "redis local cache: the invalidation connection is down; \
                         every check goes to Redis until it is back"
                    );
                    delay = RECONNECT_MIN_DELAY;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(RECONNECT_MAX_DELAY);
            }
        }
    }
}

/// One subscribed connection, for as long as it stays live.
async fn subscription(
    client: &Client,
    channel: &str,
    cache: &Weak<AnswerCache>,
    pace: Pace,
) -> Ended {
    let down = Ended::Down { proven: false };
    let Ok(Ok(mut pubsub)) = bounded(pace, client.get_async_pubsub()).await else {
        return down;
    };
    match bounded(pace, pubsub.subscribe(channel)).await {
        Ok(Ok(())) => {}
        // An answer, not a lost connection: Redis refused (e.g. `NOPERM`,
        // an ACL without this channel or without SUBSCRIBE).
        Ok(Err(error)) if !error.is_io_error() => {
            if let Some(live) = cache.upgrade() {
                live.subscription_refused(error.to_string());
            }
            return down;
        }
        _ => return down,
    }
    let (mut sink, mut messages) = pubsub.split();
    match cache.upgrade() {
        Some(live) => live.resubscribed(),
        None => return Ended::Dropped,
    }
    let mut proven = false;
    loop {
        let Some(sent) = cache.upgrade().map(|live| live.now()) else {
            return Ended::Dropped;
        };
        let mut pong = pin!(bounded(pace, sink.ping::<redis::Value>()));
        loop {
            tokio::select! {
                biased;
                message = messages.next() => match message {
                    Some(message) => apply(cache, &message),
                    None => return Ended::Down { proven },
                },
                answer = &mut pong => match answer {
                    Ok(Ok(_)) => break,
                    _ => return Ended::Down { proven },
                },
            }
        }
        // Messages delivered before the PONG are already queued (the
        // connection's reader hands them over in the order they came):
        // apply them before the PONG counts as proof.
        // `unconstrained`: tokio's per-task budget would otherwise make the
        // channel report "empty" after a burst, cutting the drain short.
        while let Some(Some(message)) = tokio::task::unconstrained(messages.next()).now_or_never() {
            apply(cache, &message);
        }
        match cache.upgrade() {
            Some(live) => live.proven(sent),
            None => return Ended::Dropped,
        }
        proven = true;
        let mut next = pin!(tokio::time::sleep(pace.heartbeat));
        loop {
            tokio::select! {
                biased;
                message = messages.next() => match message {
                    Some(message) => apply(cache, &message),
                    None => return Ended::Down { proven },
                },
                () = &mut next => break,
            }
        }
    }
}

/// Applies one message: the subject whose answers go.
fn apply(cache: &Weak<AnswerCache>, message: &Msg) {
    let Some(live) = cache.upgrade() else { return };
    match std::str::from_utf8(message.get_payload_bytes()) {
        Ok(sub) => live.invalidate(sub),
        // Subjects are JSON strings, so always UTF-8; anything else on the
        // channel is not understood, and nothing cached is trusted.
        Err(_) => live.invalidate_all(),
    }
}

async fn bounded<F: Future>(pace: Pace, f: F) -> Result<F::Output, tokio::time::error::Elapsed> {
    tokio::time::timeout(pace.timeout, f).await
}
