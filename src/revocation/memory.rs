use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;

/// Keys are token, session and user ids the issuer wrote into signed tokens,
/// not strings an attacker picks freely, so a fast per-process-seeded hasher
/// (foldhash) replaces SipHash on this hot path.
type Map<V> = HashMap<Box<str>, V, RandomState>;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError};

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard, ShardedLockWriteGuard};

use super::{
    AccessCheck, RETENTION_MARGIN_SECS, RevocationStore, RotateOutcome, Rotation,
    SessionRevocation, SessionStart, StoreError, TokenRevocation, TokenStatus,
};

const SHARDS: usize = 64;
/// A shard sweeps its expired entries once its writes since the last sweep
/// reach its size (at least this many): amortised O(1) per write.
const MIN_SWEEP_INTERVAL: usize = 64;

/// The embedded store: revocations and refresh families in this process's
/// memory, for a single instance.
///
/// Entries live in 64 shards, each behind its own `ShardedLock` (crossbeam:
/// a read lock takes only the calling thread's slice of the lock, so readers
/// on different cores never write a shared word, even for the same token),
/// chosen by a keyed hash; a check takes three read locks, so concurrent
/// readers do not contend. Expired entries are swept as writes
/// arrive, so memory stays proportional to the live tokens. Cloning gives
/// another handle to the same store.
#[derive(Clone, Debug)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    hasher: RandomState,
    shards: Box<[ShardedLock<Shard>]>,
    /// The latest `now` any call carried: the store has no clock of its own
    /// (callers' clocks may be simulated), so sweeps use the time it was told.
    latest_now: AtomicI64,
}

#[derive(Debug, Default)]
struct Shard {
    tokens: Map<i64>,
    subjects: Map<Subject>,
    sessions: Map<Session>,
    writes: usize,
}

#[derive(Debug, Clone, Copy)]
struct Cutoff {
    issued_before: i64,
    expires_at: i64,
}

/// What the store knows of one subject: its logout-everywhere cutoff, and its
/// live sessions (so logout everywhere can revoke them all, including those
/// started earlier in the same second).
#[derive(Debug, Default)]
struct Subject {
    cutoff: Option<Cutoff>,
    /// Session ids with the instant each may be forgotten.
    sessions: Vec<(Box<str>, i64)>,
}

impl Subject {
    fn forget_expired(&mut self, now: i64) {
        if self.cutoff.is_some_and(|c| c.expires_at <= now) {
            self.cutoff = None;
        }
        self.sessions.retain(|&(_, exp)| exp > now);
    }

    fn is_empty(&self) -> bool {
        self.cutoff.is_none() && self.sessions.is_empty()
    }
}

#[derive(Debug)]
struct Session {
    sub: Box<str>,
    started_at: i64,
    current: Box<str>,
    previous: Option<Box<str>>,
    rotated_at: i64,
    idle_expires_at: i64,
    absolute_expires_at: i64,
    /// Set when the session was revoked; kept until [`Session::forget_at`].
    revoked: bool,
}

impl Session {
    /// When the session ends (it can no longer rotate).
    fn expires_at(&self) -> i64 {
        self.idle_expires_at.min(self.absolute_expires_at)
    }

    /// When the entry may be dropped. A revoked session is kept until its
    /// absolute expiry: an access token minted near its idle expiry (or
    /// re-minted in the grace window) can outlive the idle expiry, never the
    /// absolute one, and must stay refused until it expires.
    fn forget_at(&self) -> i64 {
        if self.revoked {
            self.absolute_expires_at
        } else {
            self.expires_at()
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        let shards = (0..SHARDS)
            .map(|_| ShardedLock::new(Shard::default()))
            .collect();
        Self {
            inner: Arc::new(Inner {
                hasher: RandomState::default(),
                shards,
                latest_now: AtomicI64::new(i64::MIN),
            }),
        }
    }

    /// The number of entries held, expired or not (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| {
                let s = read(s);
                s.tokens.len() + s.subjects.len() + s.sessions.len()
            })
            .sum()
    }

    /// Whether the store holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry that expired at or before `now`.
    pub fn purge_expired(&self, now: i64) {
        for shard in self.inner.shards.iter() {
            write(shard).sweep(now);
        }
    }

    /// Records `now` and returns the latest time seen. A plain load first:
    /// the time moves once a second, and only then does one caller write.
    /// An unconditional `fetch_max` on every check would write the shared
    /// cache line each time, bouncing it between cores.
    fn observe(&self, now: i64) -> i64 {
        let latest = self.latest_now();
        if now <= latest {
            return latest;
        }
        self.inner
            .latest_now
            .fetch_max(now, Ordering::Relaxed)
            .max(now)
    }

    fn latest_now(&self) -> i64 {
        self.inner.latest_now.load(Ordering::Relaxed)
    }

    fn shard(&self, key: &str) -> &ShardedLock<Shard> {
        let index = self.inner.hasher.hash_one(key) as usize % SHARDS;
        &self.inner.shards[index]
    }

    fn status(&self, token: &AccessCheck<'_>) -> TokenStatus {
        self.observe(token.now);
        if self.is_revoked(token) {
            TokenStatus::Revoked
        } else {
            TokenStatus::Active
        }
    }

    /// An empty id names nothing (see "Empty ids" on [`RevocationStore`]):
    /// it is never looked up, and revoking one writes nothing.
    fn is_revoked(&self, token: &AccessCheck<'_>) -> bool {
        let now = token.now;
        (!token.jti.is_empty() && self.token_revoked(token.jti, now))
            || (!token.sid.is_empty() && self.session_revoked(token.sid, now))
            || (!token.sub.is_empty()
                && self
                    .subject_cutoff(token.sub, now)
                    .is_some_and(|c| token.issued_at < c))
    }

    fn token_revoked(&self, jti: &str, now: i64) -> bool {
        read(self.shard(jti))
            .tokens
            .get(jti)
            .is_some_and(|&exp| exp > now)
    }

    fn session_revoked(&self, sid: &str, now: i64) -> bool {
        read(self.shard(sid))
            .sessions
            .get(sid)
            .is_some_and(|s| s.revoked && s.forget_at() > now)
    }

    fn subject_cutoff(&self, sub: &str, now: i64) -> Option<i64> {
        read(self.shard(sub))
            .subjects
            .get(sub)
            .and_then(|s| s.cutoff)
            .filter(|c| c.expires_at > now)
            .map(|c| c.issued_before)
    }

    fn revoke_session_now(&self, sid: &str, expires_at: i64) {
        let mut shard = write(self.shard(sid));
        match shard.sessions.get_mut(sid) {
            Some(session) => {
                session.revoked = true;
                session.absolute_expires_at = session.absolute_expires_at.max(expires_at);
            }
            None => {
                shard.sessions.insert(
                    sid.into(),
                    Session {
                        sub: "".into(),
                        started_at: i64::MIN,
                        current: "".into(),
                        previous: None,
                        rotated_at: i64::MIN,
                        idle_expires_at: expires_at,
                        absolute_expires_at: expires_at,
                        revoked: true,
                    },
                );
            }
        }
        shard.after_write(self.latest_now());
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl Shard {
    /// Sweeps now and then, keeping every entry [`RETENTION_MARGIN_SECS`]
    /// past its expiry: checks arrive as of `now - leeway`, behind the time
    /// the writes carry.
    fn after_write(&mut self, now: i64) {
        self.writes += 1;
        let size = self.tokens.len() + self.subjects.len() + self.sessions.len();
        if now != i64::MIN && self.writes >= size.max(MIN_SWEEP_INTERVAL) {
            self.sweep(now.saturating_sub(RETENTION_MARGIN_SECS));
        }
    }

    fn sweep(&mut self, now: i64) {
        self.tokens.retain(|_, &mut exp| exp > now);
        self.subjects.retain(|_, s| {
            s.forget_expired(now);
            !s.is_empty()
        });
        self.sessions.retain(|_, s| s.forget_at() > now);
        self.writes = 0;
    }
}

fn read(lock: &ShardedLock<Shard>) -> ShardedLockReadGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a map half-updated in a way
    // that matters here (each write is one insert or field update).
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(lock: &ShardedLock<Shard>) -> ShardedLockWriteGuard<'_, Shard> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl RevocationStore for MemoryStore {
    async fn check(&self, token: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        Ok(self.status(&token))
    }

    fn check_now(&self, token: AccessCheck<'_>) -> Option<Result<TokenStatus, StoreError>> {
        Some(Ok(self.status(&token)))
    }

    async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
        if token.jti.is_empty() {
            return Ok(());
        }
        let mut shard = write(self.shard(token.jti));
        let entry = shard
            .tokens
            .entry(token.jti.into())
            .or_insert(token.expires_at);
        *entry = (*entry).max(token.expires_at);
        shard.after_write(self.latest_now());
        Ok(())
    }

    async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
        if !session.sid.is_empty() {
            self.revoke_session_now(session.sid, session.expires_at);
        }
        Ok(())
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
        let sessions = {
            let mut shard = write(self.shard(sub));
            let subject = shard.subjects.entry(sub.into()).or_default();
            let cutoff = subject.cutoff.get_or_insert(Cutoff {
                issued_before,
                expires_at,
            });
            cutoff.issued_before = cutoff.issued_before.max(issued_before);
            cutoff.expires_at = cutoff.expires_at.max(expires_at);
            let sessions = std::mem::take(&mut subject.sessions);
            shard.after_write(self.latest_now());
            sessions
        };
        // One shard lock at a time: the sessions live in their own shards.
        for (sid, session_expires_at) in sessions {
            self.revoke_session_now(&sid, session_expires_at.max(expires_at));
        }
        Ok(())
    }

    async fn start_session(&self, session: SessionStart<'_>) -> Result<(), StoreError> {
        let now = self.observe(session.now);
        let mut shard = write(self.shard(session.sid));
        shard.sessions.insert(
            session.sid.into(),
            Session {
                sub: session.sub.into(),
                started_at: session.now,
                current: session.refresh_jti.into(),
                previous: None,
                rotated_at: session.now,
                idle_expires_at: session.idle_expires_at.min(session.absolute_expires_at),
                absolute_expires_at: session.absolute_expires_at,
                revoked: false,
            },
        );
        shard.after_write(now);
        drop(shard);
        let mut shard = write(self.shard(session.sub));
        let subject = shard.subjects.entry(session.sub.into()).or_default();
        subject.forget_expired(now.saturating_sub(RETENTION_MARGIN_SECS));
        subject
            .sessions
            .push((session.sid.into(), session.absolute_expires_at));
        shard.after_write(now);
        Ok(())
    }

    async fn rotate(&self, rotation: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let now = rotation.now;
        self.observe(now);
        if self.token_revoked(rotation.presented_jti, now) {
            return Ok(RotateOutcome::Unknown);
        }
        // Read the subject first, without holding the session's shard: the
        // subject may live in the same shard.
        let sub = read(self.shard(rotation.sid))
            .sessions
            .get(rotation.sid)
            .map(|s| s.sub.clone());
        let Some(sub) = sub else {
            return Ok(RotateOutcome::Unknown);
        };
        let sub_cutoff = self.subject_cutoff(&sub, now);
        let mut shard = write(self.shard(rotation.sid));
        let Some(session) = shard.sessions.get_mut(rotation.sid) else {
            return Ok(RotateOutcome::Unknown);
        };
        if session.revoked
            || session.expires_at() <= now
            || sub_cutoff.is_some_and(|cutoff| session.started_at < cutoff)
        {
            return Ok(RotateOutcome::Unknown);
        }
        let outcome = if *session.current == *rotation.presented_jti {
            session.previous = Some(std::mem::replace(
                &mut session.current,
                rotation.next_jti.into(),
            ));
            session.rotated_at = now;
            session.idle_expires_at = rotation.idle_expires_at.min(session.absolute_expires_at);
            RotateOutcome::Rotated
        } else if session.previous.as_deref() == Some(rotation.presented_jti)
            && now < session.rotated_at.saturating_add(rotation.grace_secs)
        {
            RotateOutcome::WithinGrace {
                current_jti: session.current.to_string(),
                idle_expires_at: session.expires_at(),
            }
        } else {
            session.revoked = true;
            RotateOutcome::Reused
        };
        shard.after_write(self.latest_now());
        Ok(outcome)
    }
}
