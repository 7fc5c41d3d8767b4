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
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use quick_cache::sync::Cache;

use crate::keys::{Algorithm, KeyProvider};
use crate::rejection::Rejection;
use crate::token::decode;
use crate::token::{Claims, ValidationPolicy};

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
    capacity: NonZeroUsize,
    max_age: i64,
    hmac: bool,
    /// Whether any token was ever recorded. Written once; until then a
    /// token's header decides before any lookup (an application whose
    /// tokens are all of a kind this cache does not take never looks up).
    populated: AtomicBool,
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

impl<C: Clone> VerifiedCache<C> {
    pub(crate) fn new(settings: &TokenCache) -> Self {
        Self {
            entries: Cache::new(settings.capacity.get()),
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
        let Some(entry) = self.entries.get(token) else {
            return Lookup::Miss;
        };
        // A stale entry is dropped at once: a provider's generation need
        // not be monotonic, and a clock stepped back must not revive it.
        if entry.generation != generation || now >= entry.stale_at {
            self.entries.remove(token);
            return Lookup::Miss;
        }
        let r = &entry.claims.registered;
        match decode::check_times(r.exp, r.nbf, r.iat, policy, now) {
            Ok(()) => Lookup::Hit(entry.claims),
            Err(rejection) => {
                self.entries.remove(token);
                Lookup::Refused(rejection)
            }
        }
    }
}

/// One token on its way through the verifier with the cache: looked up
/// first, recorded once every check passed.
pub(crate) struct Admission<'a, C> {
    cache: Cow<'a, Arc<VerifiedCache<C>>>,
    token: Cow<'a, [u8]>,
    generation: u64,
}

impl<C: Clone> Admission<'_, C> {
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
