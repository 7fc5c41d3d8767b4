//! The local revocation cache: "nothing revokes this token" answers kept in
//! process memory, so the common check needs no Redis round trip, and
//! dropped the moment Redis says something of their subject was revoked.
//!
//! # What keeps it fresh
//!
//! Every revoking script (`revoke_token`, `revoke_session`,
//! `revoke_subject`, and `rotate` when it detects reuse) `PUBLISH`es the
//! subject on the channel `<prefix>revocations` in the same atomic step as
//! the write. Each instance with a cache holds one dedicated subscriber
//! connection (see `invalidation.rs`); a message drops every cached answer
//! of that subject.
//!
//! Pub/sub, not RESP3 client-side caching (`CLIENT TRACKING`): tracking
//! invalidates by *key*, and the keys a check reads change on every login
//! and refresh (the session hash), so every rotation anywhere would evict
//! answers everywhere, and the default mode makes the server remember every
//! key every instance ever read (bounded by `tracking-table-max-keys`, whose
//! evictions are invalidation storms). A message per *revocation* is what
//! the cache needs to know, and nothing more: the README's table counts the
//! invalidations each way for one workload.
//!
//! # The staleness bound
//!
//! Pub/sub delivery is at most once, so the subscriber proves it is live:
//! every quarter of [`LocalCache::max_staleness`] it sends `PING` on the
//! subscriber connection. Redis answers commands and delivers messages on
//! one connection in order, so a `PONG` to a `PING` sent at `t` proves that
//! every revocation committed before `t` has been applied here. The cache
//! answers only while the last such proof is younger than `max_staleness`;
//! otherwise (a frozen or unreachable server, a slow link) every check goes
//! to Redis and fails within the store's timeout, exactly as without the
//! cache. When the subscriber connection drops, the cache is flushed at once
//! and refills only after it is back and proven live again.
//!
//! # Races
//!
//! An answer read from Redis is cached only if no invalidation (of any
//! subject) and no flush happened between sending the check and storing the
//! answer: a `ticket` (the invalidation count) is taken before the round
//! trip and compared after it, and again after the insert. So an answer
//! that a concurrent revocation made stale never survives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::defaults;
use crate::revocation::AccessCheck;

/// At most this many tokens of one subject are cached (one per device or
/// tab in use); a further one replaces the oldest.
const TOKENS_PER_SUBJECT: usize = 16;

/// The smallest capacity: the cache (quick_cache) refuses an entry heavier
/// than its hot share, and a subject weighs up to [`TOKENS_PER_SUBJECT`].
const MIN_CAPACITY: usize = 2 * TOKENS_PER_SUBJECT;

/// Settings of a [`RedisStore`](super::RedisStore)'s local revocation cache
/// (see [`RedisStoreBuilder::local_cache`](super::RedisStoreBuilder::local_cache)).
///
/// Defaults: 100 000 tokens, each answer reused for at most 60 s, and no
/// answer given once the invalidation path has not been proven live for
/// 1 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalCache {
    capacity: usize,
    max_age: Duration,
    max_staleness: Duration,
}

impl Default for LocalCache {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalCache {
    /// The default settings.
    pub fn new() -> Self {
        Self {
            capacity: defaults::LOCAL_CACHE_CAPACITY,
            max_age: defaults::LOCAL_CACHE_MAX_AGE,
            max_staleness: defaults::LOCAL_CACHE_MAX_STALENESS,
        }
    }

    /// How many tokens' answers are kept at most (default 100 000; least
    /// useful evicted first; at least 32). Each takes about 100 bytes plus
    /// its `jti` and `sid`.
    #[must_use]
    pub fn capacity(mut self, tokens: usize) -> Self {
        self.capacity = tokens;
        self
    }

    /// How long one answer is reused (default 60 s), in whole seconds of the
    /// caller's clock (the `now` of each check); then Redis is asked again.
    /// A safety net: invalidations, not this age, are what keep answers
    /// right.
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// The staleness bound (default 1 s): a revocation made by any instance
    /// is refused here at most this long after it was committed, however the
    /// network or the server behaves, because the cache stops answering when
    /// the invalidation path has not been proven live for this long. The proof
    /// (`PING` on the subscriber connection) is sent every quarter of it.
    /// Typical delivery on a LAN is far below it (the README has figures).
    #[must_use]
    pub fn max_staleness(mut self, bound: Duration) -> Self {
        self.max_staleness = bound;
        self
    }

    /// Checks the settings; the message says how to fix them.
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.capacity < MIN_CAPACITY {
            return Err(format!(
                "the local cache's capacity is {} tokens, below {MIN_CAPACITY}: one subject's \
                 answers (up to {TOKENS_PER_SUBJECT}) must fit with room to spare, or the cache \
                 would keep nothing for them; give it at least {MIN_CAPACITY} tokens, or do not \
                 enable it",
                self.capacity
            ));
        }
        if self.max_age < Duration::from_secs(1) {
            return Err(
                "the local cache's max_age is under one second (it counts whole seconds), \
                 so nothing would be reused; use at least 1 s"
                    .into(),
            );
        }
        if self.max_staleness < Duration::from_millis(20) {
            return Err(
                "the local cache's max_staleness is under 20 ms, shorter than a \
                        heartbeat round trip can be proven; use at least 20 ms"
                    .into(),
            );
        }
        Ok(())
    }

    /// How often the subscriber proves the invalidation path live.
    pub(super) fn heartbeat(&self) -> Duration {
        self.max_staleness / 4
    }
}

/// How many cached answers an instance of the cache holds, and whether it
/// is answering: for health checks and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalCacheState {
    /// Whether checks are answered from memory now: the invalidation path
    /// was proven live within the staleness bound.
    pub answering: bool,
    /// Tokens whose answers are cached.
    pub tokens: u64,
    /// How many times the cache was emptied because the subscriber
    /// connection dropped or stopped answering.
    pub flushes: u64,
}

/// The cached answers of one subject: tokens that nothing revoked.
#[derive(Clone, Default)]
struct Tokens(Vec<CachedToken>);

#[derive(Clone)]
struct CachedToken {
    jti: Box<str>,
    sid: Box<str>,
    issued_at: i64,
    /// The caller's `now` of the check that said "active": the answer holds
    /// for that instant and later ones (a revocation only ever ends as time
    /// passes), so it is reused for a `now` no earlier than this...
    checked_at: i64,
    /// ...and before this (`checked_at` + max age).
    stale_at: i64,
    /// The subject's stripe count when the answer was read: an
    /// invalidation since then means it never answers, even if a racing
    /// `remember` wrote it back after the invalidation removed it.
    stamp: u64,
}

impl CachedToken {
    fn answers(&self, token: &AccessCheck<'_>, stamp: u64) -> bool {
        self.stamp == stamp
            && *self.jti == *token.jti
            && *self.sid == *token.sid
            && self.issued_at == token.issued_at
            && (self.checked_at..self.stale_at).contains(&token.now)
    }
}

/// A subject weighs as many tokens as it holds answers for.
#[derive(Clone)]
struct PerToken;

impl Weighter<Box<str>, Arc<Tokens>> for PerToken {
    fn weight(&self, _: &Box<str>, tokens: &Arc<Tokens>) -> u64 {
        tokens.0.len() as u64
    }
}

/// The cache and its freshness, shared by the store and the subscriber task.
pub(super) struct AnswerCache {
    subjects: Cache<Box<str>, Arc<Tokens>, PerToken>,
    /// Invalidations and flushes so far: an answer read from Redis is stored
    /// only if this did not move meanwhile.
    invalidations: AtomicU64,
    /// Per stripe of subjects (by hash), invalidations so far; each cached
    /// answer carries its stripe's count from before it was read.
    stripes: [AtomicU64; STRIPES],
    /// Nanoseconds after `epoch` at which the last proven-live `PING` was
    /// sent; answers are given only while it is within `max_staleness`.
    /// 0: not proven since the connection was (re)made or dropped. Only the
    /// subscriber task writes it.
    proven_at: AtomicU64,
    flushes: AtomicU64,
    /// Why Redis last refused the subscription (an ACL without the channel
    /// or the command), so `connect` can say so instead of timing out;
    /// cleared once subscribed.
    refusal: std::sync::Mutex<Option<String>>,
    /// Woken by every proof, for `connect` to wait for the first.
    proof: tokio::sync::Notify,
    epoch: Instant,
    max_age: i64,
    max_staleness: Duration,
}

/// Invalidation counts taken before a round trip (see the module docs):
/// the global one and the subject's stripe.
#[derive(Clone, Copy)]
pub(super) struct Ticket {
    global: u64,
    stamp: u64,
}

/// Stripes of subjects for the per-subject invalidation counts.
const STRIPES: usize = 64;

fn stripe(sub: &str) -> usize {
    use std::hash::BuildHasher as _;
    (foldhash::fast::FixedState::with_seed(0x0074_6a63).hash_one(sub) as usize) % STRIPES
}

impl AnswerCache {
    pub(super) fn new(settings: &LocalCache) -> Self {
        let capacity = settings.capacity as u64;
        // quick_cache sizes its shards by the expected number of keys; a
        // subject usually holds one or two tokens.
        let subjects = Cache::with_weighter(settings.capacity, capacity, PerToken);
        Self {
            subjects,
            invalidations: AtomicU64::new(0),
            stripes: std::array::from_fn(|_| AtomicU64::new(0)),
            proven_at: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            refusal: std::sync::Mutex::new(None),
            proof: tokio::sync::Notify::new(),
            epoch: Instant::now(),
            max_age: i64::try_from(settings.max_age.as_secs()).unwrap_or(i64::MAX),
            max_staleness: settings.max_staleness,
        }
    }

    /// Whether answers may be given now.
    fn answering(&self) -> bool {
        match self.proven_at.load(Ordering::Acquire) {
            0 => false,
            proven => {
                self.epoch
                    .elapsed()
                    .saturating_sub(Duration::from_nanos(proven))
                    < self.max_staleness
            }
        }
    }

    /// `true` if a cached answer says nothing revokes `token`.
    pub(super) fn is_active(&self, token: &AccessCheck<'_>) -> bool {
        self.answering()
            && self.subjects.get(token.sub).is_some_and(|tokens| {
                let stamp = self.stripes[stripe(token.sub)].load(Ordering::SeqCst);
                tokens.0.iter().any(|t| t.answers(token, stamp))
            })
    }

    /// Taken before asking Redis; `None` when answers could not be stored.
    /// The counts are read before the liveness: a flush between the two
    /// then either shows as not answering or moves the counts past the
    /// ticket.
    pub(super) fn ticket(&self, sub: &str) -> Option<Ticket> {
        let global = self.invalidations.load(Ordering::SeqCst);
        let stamp = self.stripes[stripe(sub)].load(Ordering::SeqCst);
        self.answering().then_some(Ticket { global, stamp })
    }

    /// Stores "active" for `token`, read from Redis under `ticket`.
    pub(super) fn remember(&self, token: &AccessCheck<'_>, ticket: Ticket) {
        if self.invalidations.load(Ordering::SeqCst) != ticket.global {
            return;
        }
        let mut tokens = self
            .subjects
            .peek(token.sub)
            .map(|t| (*t).clone())
            .unwrap_or_default();
        tokens
            .0
            .retain(|t| t.stale_at > token.now && *t.jti != *token.jti);
        if tokens.0.len() >= TOKENS_PER_SUBJECT {
            tokens.0.remove(0);
        }
        tokens.0.push(CachedToken {
            jti: token.jti.into(),
            sid: token.sid.into(),
            issued_at: token.issued_at,
            checked_at: token.now,
            stale_at: token.now.saturating_add(self.max_age),
            stamp: ticket.stamp,
        });
        self.subjects.insert(token.sub.into(), Arc::new(tokens));
        // An invalidation that raced the insert may have run before it:
        // then the entry must not stay.
        if self.invalidations.load(Ordering::SeqCst) != ticket.global {
            self.subjects.remove(token.sub);
        }
    }

    /// Something of `sub` was revoked: its answers go.
    pub(super) fn invalidate(&self, sub: &str) {
        self.stripes[stripe(sub)].fetch_add(1, Ordering::SeqCst);
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.subjects.remove(sub);
    }

    /// The subscriber connection dropped or stopped answering: nothing is
    /// answered or stored until it is back and proven live.
    pub(super) fn flush(&self) {
        self.proven_at.store(0, Ordering::Release);
        self.invalidate_all();
        self.flushes.fetch_add(1, Ordering::Relaxed);
    }

    /// Every answer goes (a message that names no subject understood).
    pub(super) fn invalidate_all(&self) {
        for stripe in &self.stripes {
            stripe.fetch_add(1, Ordering::SeqCst);
        }
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.subjects.clear();
    }

    /// The subscriber connection is subscribed again. Answers resume once a
    /// `PING` sent after this point is answered ([`proven`](Self::proven)).
    /// Redis refused the subscription; logged the first time in a row.
    pub(super) fn subscription_refused(&self, why: String) {
        let mut refusal = self
            .refusal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if refusal.is_none() {
            tracing::warn!(
                error = %why,
                "redis local cache: Redis refused the invalidation subscription; \
                 every check goes to Redis until it is allowed"
            );
        }
        *refusal = Some(why);
    }

    /// Why Redis refused the subscription, if it did since the last one.
    pub(super) fn subscription_refusal(&self) -> Option<String> {
        self.refusal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn resubscribed(&self) {
        *self
            .refusal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.proven_at.store(0, Ordering::Release);
        // Answers read from Redis before the subscription could have missed
        // a message: neither stored nor kept.
        self.invalidate_all();
    }

    /// The instant a `PING` is sent, for [`proven`](Self::proven).
    pub(super) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// A `PING` sent at `sent` was answered, and every message before it
    /// applied.
    pub(super) fn proven(&self, sent: Duration) {
        let nanos = u64::try_from(sent.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.proven_at.store(nanos, Ordering::Release);
        self.proof.notify_waiters();
    }

    /// Resolves once answers may be given (the subscriber proved itself).
    pub(super) async fn answering_soon(&self) {
        loop {
            let proof = self.proof.notified();
            if self.answering() {
                return;
            }
            proof.await;
        }
    }

    pub(super) fn state(&self) -> LocalCacheState {
        LocalCacheState {
            answering: self.answering(),
            tokens: self.subjects.weight(),
            flushes: self.flushes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: AccessCheck<'static> = AccessCheck {
        jti: "j1",
        sid: "s1",
        sub: "alice",
        issued_at: 100,
        now: 110,
    };

    fn live() -> AnswerCache {
        let cache = AnswerCache::new(&LocalCache::new());
        cache.resubscribed();
        cache.proven(cache.now());
        cache
    }

    #[test]
    fn nothing_is_answered_before_the_first_proof() {
        let cache = AnswerCache::new(&LocalCache::new());
        assert!(cache.ticket(T.sub).is_none());
        cache.resubscribed();
        assert!(cache.ticket(T.sub).is_none(), "subscribed, not yet proven");
        cache.proven(cache.now());
        let ticket = cache.ticket(T.sub).unwrap();
        cache.remember(&T, ticket);
        assert!(cache.is_active(&T));
    }

    #[test]
    fn an_answer_read_across_an_invalidation_is_not_stored() {
        let cache = live();
        let ticket = cache.ticket(T.sub).unwrap();
        cache.invalidate("bob"); // any subject: the count moved
        cache.remember(&T, ticket);
        assert!(!cache.is_active(&T));
        assert_eq!(cache.state().tokens, 0);
    }

    #[test]
    fn an_answer_read_across_a_flush_and_resubscription_is_not_stored() {
        let cache = live();
        let ticket = cache.ticket(T.sub).unwrap();
        cache.flush();
        cache.resubscribed();
        cache.proven(cache.now());
        cache.remember(&T, ticket);
        assert!(!cache.is_active(&T));
    }

    #[test]
    fn a_flush_stops_answers_until_resubscribed_and_proven() {
        let cache = live();
        cache.remember(&T, cache.ticket(T.sub).unwrap());
        cache.flush();
        assert!(!cache.is_active(&T));
        assert_eq!(cache.state().flushes, 1);
        cache.resubscribed();
        assert!(!cache.state().answering);
        cache.proven(cache.now());
        assert!(cache.state().answering);
        assert!(!cache.is_active(&T), "emptied by the flush");
    }

    #[test]
    fn a_ticket_taken_while_down_is_not_kept_past_the_resubscription() {
        let cache = live();
        cache.flush();
        // Taken after the flush (not answering): none at all.
        assert!(cache.ticket(T.sub).is_none());
        // An answer stored while down (had a ticket slipped through) does
        // not survive resubscribing.
        let cache = live();
        let ticket = cache.ticket(T.sub).unwrap();
        cache.remember(&T, ticket);
        cache.flush();
        cache.resubscribed();
        cache.proven(cache.now());
        assert!(!cache.is_active(&T));
    }

    #[test]
    fn an_entry_written_back_after_its_invalidation_never_answers() {
        let cache = live();
        cache.remember(&T, cache.ticket(T.sub).unwrap());
        // A `remember` of another token of alice read the list, then the
        // invalidation ran, then the write-back restored the old entry:
        // simulated by invalidating and putting the old list back as is.
        let old = cache.subjects.peek(T.sub).unwrap();
        cache.invalidate(T.sub);
        cache.subjects.insert(T.sub.into(), old);
        assert!(!cache.is_active(&T));
    }

    #[test]
    fn an_invalidation_drops_only_its_subject() {
        let cache = live();
        let bob = AccessCheck { sub: "bob", ..T };
        cache.remember(&T, cache.ticket(T.sub).unwrap());
        cache.remember(&bob, cache.ticket(bob.sub).unwrap());
        cache.invalidate("alice");
        assert!(!cache.is_active(&T));
        assert!(cache.is_active(&bob));
    }
}
