//! The background refresh task and the unknown-`kid` gate.
//!
//! One task per provider does every fetch after the first: on schedule
//! (ahead of expiry), and when the gate lets an unknown `kid` through. So
//! concurrent misses share one fetch (single flight) and a flood of random
//! kids costs at most one fetch per cooldown.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use reqwest::Url;
use tokio::sync::{Notify, watch};

use super::JwksError;
use super::cache::CacheBounds;
use super::document::{JwksPolicy, KeySet, parse_jwks};
use super::fetch::Fetcher;
use crate::clock::Clock;
use crate::keys::KeyRefresh;

/// What the provider and its task share. Holds no way to stop the task, so
/// the task holding it does not keep itself alive.
pub(super) struct State {
    pub(super) keys: ArcSwap<KeySet>,
    pub(super) last_refusal: ArcSwapOption<JwksError>,
    pub(super) url: Url,
    pub(super) fetcher: Fetcher,
    pub(super) policy: JwksPolicy,
    pub(super) bounds: CacheBounds,
    pub(super) clock: Arc<dyn Clock>,
    /// Seconds between two unknown-`kid` refetches.
    pub(super) cooldown: i64,
    pub(super) gate: Mutex<Gate>,
    /// Wakes the task for an unknown-`kid` refetch.
    pub(super) wake: Notify,
    /// How many fetches the task has finished; closed when the task ends.
    pub(super) finished: watch::Receiver<u64>,
}

#[derive(Default)]
pub(super) struct Gate {
    /// When the last unknown-`kid` refetch was let through.
    last_miss: Option<i64>,
    /// The fetch count that answers the refetch in flight.
    pending: Option<u64>,
    /// Whether the task is fetching now: a miss is answered only by a fetch
    /// that starts after it, so it waits for the next one.
    fetching: bool,
}

impl State {
    /// Fetches, parses and, if the document is good, publishes the set.
    /// Returns the set's freshness.
    pub(super) async fn fetch(&self) -> Result<Duration, JwksError> {
        let fetched = self
            .fetcher
            .get(&self.url, "application/jwk-set+json, application/json")
            .await?;
        let set = parse_jwks(&fetched.body, &self.policy)?;
        // One writer (the first fetch, then only the task), so load-then-store
        // cannot lose a generation.
        let set = set.succeeding(&self.keys.load());
        self.keys.store(Arc::new(set));
        Ok(self.bounds.ttl(fetched.max_age))
    }

    /// One scheduled or requested refetch; a refusal keeps the last good set.
    async fn refresh(&self) -> Duration {
        match self.fetch().await {
            Ok(ttl) => {
                self.last_refusal.store(None);
                tracing::debug!(url = %self.url, ttl = ?ttl, "JWKS refreshed");
                CacheBounds::refresh_after(ttl)
            }
            Err(error) => {
                tracing::warn!(
                    url = %self.url,
                    %error,
                    "JWKS refused; the last good key set stays in use"
                );
                self.last_refusal.store(Some(Arc::new(error)));
                self.bounds.retry_after()
            }
        }
    }

    fn lock_gate(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The unknown-`kid` path: join the refetch in flight, or start one if
    /// the cooldown has passed, or `None` (reject now).
    pub(super) fn refresh_for_miss(&self) -> Option<KeyRefresh> {
        let target = {
            let mut gate = self.lock_gate();
            let finished = *self.finished.borrow();
            match gate.pending {
                Some(target) if target > finished => target,
                _ => {
                    let now = self.clock.now();
                    if gate
                        .last_miss
                        .is_some_and(|last| now.saturating_sub(last) < self.cooldown)
                    {
                        return None;
                    }
                    let target = finished + 1 + u64::from(gate.fetching);
                    gate.last_miss = Some(now);
                    gate.pending = Some(target);
                    self.wake.notify_one();
                    target
                }
            }
        };
        let mut finished = self.finished.clone();
        Some(Box::pin(async move {
            // Err: the task has stopped; the caller looks up once more and rejects.
            let _ = finished.wait_for(|&count| count >= target).await;
        }))
    }
}

/// Runs until `stop` changes or closes (the provider was dropped).
pub(super) async fn run(
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
    finished: watch::Sender<u64>,
    mut wait: Duration,
) {
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            () = state.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        state.lock_gate().fetching = true;
        wait = tokio::select! {
            biased;
            _ = stop.changed() => return,
            wait = state.refresh() => wait,
        };
        // Under the gate, so a miss sees the count and the flag change together.
        let mut gate = state.lock_gate();
        gate.fetching = false;
        finished.send_modify(|count| *count += 1);
    }
}
