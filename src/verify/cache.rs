//! The verified-token cache: an access token that passed every check is
//! remembered by its exact bytes, so the next request presenting it skips
//! the signature (≈ 60 µs for ES256, far more for RS256) and the claim
//! parsing.
//!
//! What a hit still does, every time:
//! * the key provider's [`generation`](crate::keys::KeyProvider::generation)
//!   must equal the one the token was verified under: retiring or replacing
//!   a key (or a JWKS refetch) invalidates every entry at once, without a
//!   scan; a provider that reports no generation gets no cache;
//! * `exp`, `nbf`, `iat` and `max_age` are checked against the clock;
//! * the revocation store is asked, exactly as on a miss;
//! * an entry older than [`TokenCache::max_age`] is verified from scratch.
//!
//! Only tokens that passed every check (the store's included) enter; a
//! refused token never does. The key is the whole token, not a hash of it,
//! so two different tokens can never share an entry.
//!
//! Memory is bounded by [`TokenCache::capacity`]: each entry holds the token
//! bytes (at most the policy's `max_token_len`, 8 KiB by default) and its
//! decoded claims, so the worst case is about
//! `capacity × (max_token_len + claims)`: 4096 × 8 KiB = 32 MiB of token
//! bytes with the defaults, plus claims that for plain structs are smaller
//! than the token's payload (a `serde_json::Value` can take a few times its
//! JSON size). Typical tokens (≈ 500 bytes) make it about 4 MiB. The
//! claims are shared (`Arc`) with the requests that presented the token, so
//! a hit copies no string; an evicted entry's claims live on only as long
//! as a request in flight still holds them.
//!
//! One token presented on several cores at once (a page's parallel calls,
//! a busy service account) would make every core write that one `Arc`'s
//! reference count, and the cores would take turns owning its cache line.
//! So a hit that finds the claims held by another request right now copies
//! them into a replica private to its thread (at most 16 per thread, the
//! least useful evicted first), and that thread's next hits use its own
//! copy. A replica is checked exactly as the shared entry is (the same key
//! generation, age, time claims, and the store on every hit); it only saves
//! the shared lookup. This adds at most `threads × 16 × (max_token_len +
//! claims)` to the bound above (2 MiB for 16 threads with 8 KiB tokens),
//! counting every thread that ever verified while the cache lived: a
//! thread's replicas are dropped with the cache, and a new thread reuses an
//! exited one's.
//!
//! The cache is [quick_cache](https://docs.rs/quick_cache) (CLOCK-Pro
//! eviction, sharded): chosen over moka by measurement, a hit costing about
//! a quarter of moka's on this crate's 2-core bench machine.
//!
//! ```
//! use std::num::NonZeroUsize;
//! use std::time::Duration;
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::verify::cache::TokenCache;
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore};
//!
//! let keys = KeyRing::with_signing_key(SigningKey::generate("k1", Algorithm::ES256)?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//!
//! // On by default for asymmetric keys; tuned here, HMAC tokens included.
//! let settings = TokenCache::new()
//!     .capacity(NonZeroUsize::new(10_000).unwrap())
//!     .max_age(Duration::from_secs(60))
//!     .include_hmac(true);
//! let verifier = auth.verifier::<serde_json::Value>().token_cache(settings);
//! // Or every token verified from scratch:
//! let uncached = auth.verifier::<serde_json::Value>().without_token_cache();
//! # let _ = (verifier, uncached);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use quick_cache::sync::Cache;
use thread_local::ThreadLocal;

use crate::keys::{Algorithm, KeyProvider};
use crate::rejection::Rejection;
use crate::token::decode;
use crate::token::{Claims, CustomClaims, ValidationPolicy};

/// The claims of a cached token are shared (one `Arc`) by every request
/// that presents it: a custom claims type with interior mutability (a
/// `Mutex`, a `OnceLock`) would share that state between those requests.
///
/// Settings of the verifier's verified-token cache (see the
/// [module docs](self) for what a hit still checks and the memory bound).
///
/// Defaults: 4096 entries, entries reused for at most 5 minutes, tokens
/// verified with HMAC keys not cached (an HS256 verification is already
/// cheap; opt in with [`include_hmac`](Self::include_hmac)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenCache {
    capacity: NonZeroUsize,
    max_age: Duration,
    hmac: bool,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenCache {
    /// The default settings.
    pub fn new() -> Self {
        Self {
            capacity: NonZeroUsize::new(crate::defaults::TOKEN_CACHE_CAPACITY)
                .expect("the default capacity is not zero"),
            max_age: crate::defaults::TOKEN_CACHE_MAX_AGE,
            hmac: false,
        }
    }

    /// How many tokens are kept at most (least useful evicted first).
    #[must_use]
    pub fn capacity(mut self, entries: NonZeroUsize) -> Self {
        self.capacity = entries;
        self
    }

    /// How long a cached verification is reused, in whole seconds of the
    /// crate's clock; after that the token is verified from scratch (and
    /// cached again). Under one second, nothing is ever reused.
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// Whether tokens verified with HMAC keys (HS256/384/512) are cached too.
    #[must_use]
    pub fn include_hmac(mut self, include: bool) -> Self {
        self.hmac = include;
        self
    }
}

/// The cache itself, shared by every service a verifier layer makes.
pub(crate) struct VerifiedCache<C> {
    /// The claims are shared with the requests that presented the token
    /// (`VerifiedClaims` holds the same `Arc`): a hit copies no string.
    entries: Cache<Box<[u8]>, Entry<C>>,
    /// Each thread's private copies of entries it found held by another
    /// request (see the module docs): hits on them write no shared memory.
    replicas: Box<dyn PerThread<C>>,
    capacity: NonZeroUsize,
    max_age: i64,
    hmac: bool,
    /// Whether any token was ever recorded. Written once; until then a
    /// token's header decides before any lookup (an application whose
    /// tokens are all of a kind this cache does not take never looks up).
    populated: AtomicBool,
}

/// One thread's replicas. Never borrowed across a call out of this module.
type Replicas<C> = RefCell<quick_cache::unsync::Cache<Box<[u8]>, Entry<C>>>;

/// The calling thread's replicas. A trait object, so that the cache (and
/// the public services holding it) need no `Send + Sync` bound on `C` of
/// their own: `ThreadLocal` demands one on its type.
trait PerThread<C>: Send + Sync {
    fn replicas(&self) -> &Replicas<C>;
}

impl<C: Send + Sync> PerThread<C> for ThreadLocal<Replicas<C>> {
    fn replicas(&self) -> &Replicas<C> {
        self.get_or(|| {
            RefCell::new(quick_cache::unsync::Cache::new(
                crate::defaults::TOKEN_CACHE_REPLICAS_PER_THREAD,
            ))
        })
    }
}

#[derive(Clone)]
struct Entry<C> {
    claims: Arc<Claims<C>>,
    /// The key provider's generation when the token was verified.
    generation: u64,
    /// When the entry stops being reused (insertion + max age).
    stale_at: i64,
}

/// What the cache says of a token.
pub(crate) enum Lookup<C> {
    /// Cached, same key generation, fresh, and its time claims still hold.
    Hit(Arc<Claims<C>>),
    /// Cached, but its time claims no longer hold (expired): refused as a
    /// full verification would refuse it.
    Refused(Rejection),
    /// Verify from scratch.
    Miss,
}

impl<C> fmt::Debug for VerifiedCache<C> {
    // Never the entries: they are tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("capacity", &self.capacity)
            .field("max_age", &self.max_age)
            .field("hmac", &self.hmac)
            .finish_non_exhaustive()
    }
}

impl<C: CustomClaims> VerifiedCache<C> {
    pub(crate) fn new(settings: &TokenCache) -> Self {
        Self {
            entries: Cache::new(settings.capacity.get()),
            replicas: Box::new(ThreadLocal::<Replicas<C>>::new()),
            capacity: settings.capacity,
            max_age: i64::try_from(settings.max_age.as_secs()).unwrap_or(i64::MAX),
            hmac: settings.hmac,
            populated: AtomicBool::new(false),
        }
    }

    /// Starts an admission for `token`, or `None` when `keys` reports no
    /// generation. The generation is read before the key is looked up, so
    /// an entry never claims a newer key set than the one it was verified
    /// under.
    pub(crate) fn admission<'a>(
        self: &'a Arc<Self>,
        keys: &dyn KeyProvider,
        token: &'a [u8],
    ) -> Option<Admission<'a, C>> {
        Some(Admission {
            cache: Cow::Borrowed(self),
            token: Cow::Borrowed(token),
            generation: keys.generation()?,
        })
    }

    fn lookup(
        &self,
        token: &[u8],
        generation: u64,
        policy: &ValidationPolicy,
        now: i64,
    ) -> Lookup<C> {
        let replicas = self.replicas.replicas();
        let replica = replicas.borrow().get(token).cloned();
        let (entry, replicated) = match replica {
            Some(entry) if entry.is_current(generation, now) => (entry, true),
            stale => {
                if stale.is_some() {
                    replicas.borrow_mut().remove(token);
                }
                let Some(entry) = self.entries.get(token) else {
                    return Lookup::Miss;
                };
                // A stale entry is dropped at once: a provider's generation
                // need not be monotonic, and a clock stepped back must not
                // revive it.
                if !entry.is_current(generation, now) {
                    self.entries.remove(token);
                    return Lookup::Miss;
                }
                (entry, false)
            }
        };
        let r = &entry.claims.registered;
        if let Err(rejection) = decode::check_times(r.exp, r.nbf, r.iat, policy, now) {
            // The same bytes are the same claims: refused for every thread.
            if replicated {
                replicas.borrow_mut().remove(token);
            }
            self.entries.remove(token);
            return Lookup::Refused(rejection);
        }
        // Held by the cache, by this lookup, and by another request now:
        // this thread gets a copy of its own rather than sharing the count.
        if !replicated && Arc::strong_count(&entry.claims) > 2 {
            let replica = Entry {
                claims: Arc::new(Claims::clone(&entry.claims)),
                ..entry
            };
            let claims = Arc::clone(&replica.claims);
            replicas.borrow_mut().insert(Box::from(token), replica);
            return Lookup::Hit(claims);
        }
        Lookup::Hit(entry.claims)
    }
}

impl<C> Entry<C> {
    /// Verified under the current key generation, and younger than the
    /// cache's maximum age.
    fn is_current(&self, generation: u64, now: i64) -> bool {
        self.generation == generation && now < self.stale_at
    }
}

/// One token on its way through the verifier with the cache: looked up
/// first, recorded once every check passed.
pub(crate) struct Admission<'a, C> {
    cache: Cow<'a, Arc<VerifiedCache<C>>>,
    token: Cow<'a, [u8]>,
    generation: u64,
}

impl<C: CustomClaims> Admission<'_, C> {
    /// Whether tokens of `alg` are cached (the header's `alg`, which is
    /// the algorithm of the key a cached token was verified with).
    pub(crate) fn admits(&self, alg: Algorithm) -> bool {
        self.cache.hmac || !alg.is_hmac()
    }

    /// Whether to look the token up before its header is read: when tokens
    /// of every algorithm are cached, or once any token was (then the token
    /// presented is most likely a cached one). Only the order changes: a
    /// token of an algorithm the cache does not take is never in it.
    pub(crate) fn ask_before_header(&self) -> bool {
        self.cache.hmac || self.cache.populated.load(Ordering::Relaxed)
    }

    /// The cached verdict for this token.
    pub(crate) fn lookup(&self, policy: &ValidationPolicy, now: i64) -> Lookup<C> {
        self.cache.lookup(&self.token, self.generation, policy, now)
    }

    /// Records `claims`, which passed every check at `now`.
    pub(crate) fn record(self, claims: &Arc<Claims<C>>, now: i64) {
        let entry = Entry {
            claims: Arc::clone(claims),
            generation: self.generation,
            stale_at: now.saturating_add(self.cache.max_age),
        };
        self.cache
            .entries
            .insert(self.token.into_owned().into_boxed_slice(), entry);
        // Read first: the shared flag is written once, not on every insert.
        if !self.cache.populated.load(Ordering::Relaxed) {
            self.cache.populated.store(true, Ordering::Relaxed);
        }
    }

    /// The same admission, owning its token (to finish after an await).
    pub(crate) fn into_owned(self) -> Admission<'static, C> {
        Admission {
            cache: Cow::Owned(self.cache.into_owned()),
            token: Cow::Owned(self.token.into_owned()),
            generation: self.generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{NoCustomClaims, RegisteredClaims};

    const NOW: i64 = 1_700_000_000;
    const TOKEN: &[u8] = b"the.exact.token";

    /// A cache holding `TOKEN` (generation 7, `exp` in 60 s, reusable for
    /// 300 s), and the claims as the request that verified it holds them.
    fn cache() -> (VerifiedCache<NoCustomClaims>, Arc<Claims<NoCustomClaims>>) {
        let cache = VerifiedCache::new(&TokenCache::new());
        let registered = RegisteredClaims {
            sub: Some("alice".into()),
            exp: Some(NOW + 60),
            ..RegisteredClaims::default()
        };
        let claims = Arc::new(Claims {
            registered,
            custom: NoCustomClaims,
        });
        let entry = Entry {
            claims: Arc::clone(&claims),
            generation: 7,
            stale_at: NOW + 300,
        };
        cache.entries.insert(Box::from(TOKEN), entry);
        (cache, claims)
    }

    fn policy() -> ValidationPolicy {
        ValidationPolicy::new("https://app.example".into(), "app".into())
    }

    fn hit(lookup: Lookup<NoCustomClaims>) -> Arc<Claims<NoCustomClaims>> {
        let Lookup::Hit(claims) = lookup else {
            panic!("not a hit")
        };
        claims
    }

    fn replicas(cache: &VerifiedCache<NoCustomClaims>) -> usize {
        cache.replicas.replicas().borrow().len()
    }

    #[test]
    fn a_hit_shares_the_entry_while_no_other_request_holds_it() {
        let (cache, verifying_request) = cache();
        drop(verifying_request);
        let first = hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        drop(first);
        let second = hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        assert_eq!(replicas(&cache), 0, "nothing copied");
        assert_eq!(Arc::strong_count(&second), 2, "the entry's own claims");
    }

    #[test]
    fn claims_another_request_holds_are_copied_into_this_threads_replica() {
        let (cache, held) = cache();
        let copy = hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        assert!(!Arc::ptr_eq(&copy, &held), "a copy of its own");
        assert_eq!(*copy, *held);
        assert_eq!(replicas(&cache), 1);
        let again = hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        assert!(Arc::ptr_eq(&again, &copy), "served from the replica");
        std::thread::scope(|scope| {
            scope.spawn(|| {
                assert_eq!(replicas(&cache), 0, "another thread has its own");
                let there = hit(cache.lookup(TOKEN, 7, &policy(), NOW));
                assert!(!Arc::ptr_eq(&there, &copy));
                assert_eq!(replicas(&cache), 1);
            });
        });
    }

    #[test]
    fn a_replica_of_an_older_key_generation_is_dropped_with_its_entry() {
        let (cache, _held) = cache();
        hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        assert_eq!(replicas(&cache), 1);
        assert!(matches!(
            cache.lookup(TOKEN, 8, &policy(), NOW),
            Lookup::Miss
        ));
        assert_eq!(replicas(&cache), 0);
        assert_eq!(cache.entries.len(), 0);
    }

    #[test]
    fn a_replica_past_the_maximum_age_is_dropped_with_its_entry() {
        let (cache, _held) = cache();
        hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        assert!(matches!(
            cache.lookup(TOKEN, 7, &policy(), NOW + 300),
            Lookup::Miss
        ));
        assert_eq!(replicas(&cache), 0);
        assert_eq!(cache.entries.len(), 0);
    }

    #[test]
    fn an_expired_replica_is_refused_and_dropped_with_its_entry() {
        let (cache, _held) = cache();
        hit(cache.lookup(TOKEN, 7, &policy(), NOW));
        assert!(matches!(
            cache.lookup(TOKEN, 7, &policy(), NOW + 60),
            Lookup::Refused(Rejection::Expired)
        ));
        assert_eq!(replicas(&cache), 0);
        assert_eq!(cache.entries.len(), 0);
    }

    #[test]
    fn a_thread_keeps_at_most_its_share_of_replicas() {
        let cache = VerifiedCache::<NoCustomClaims>::new(&TokenCache::new());
        let claims = Arc::new(Claims {
            registered: RegisteredClaims::default(),
            custom: NoCustomClaims,
        });
        let tokens: Vec<Vec<u8>> = (0..100).map(|i| format!("token-{i}").into()).collect();
        for token in &tokens {
            let entry = Entry {
                claims: Arc::clone(&claims),
                generation: 7,
                stale_at: NOW + 300,
            };
            cache
                .entries
                .insert(token.clone().into_boxed_slice(), entry);
            hit(cache.lookup(token, 7, &policy(), NOW));
        }
        let kept = replicas(&cache);
        assert!(
            (1..=crate::defaults::TOKEN_CACHE_REPLICAS_PER_THREAD).contains(&kept),
            "{kept} replicas"
        );
    }
}
