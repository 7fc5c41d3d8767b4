//! Feature `jwks`: verify tokens of another issuer, knowing only its URL.
//!
//! [`RemoteJwks`] is a [`KeyProvider`] that fetches an RFC 7517 JWK Set over
//! HTTPS (or finds it by OpenID Connect discovery), keeps it in a lock-free
//! snapshot, and refreshes it in a background tokio task:
//!
//! * **Lookups never wait.** A token whose `kid` is known is verified from
//!   an `arc-swap` snapshot; no lock and no fetch is on its path.
//! * **Caching.** `Cache-Control: max-age` is honoured, clamped to
//!   [`cache_bounds`](RemoteJwksBuilder::cache_bounds) (default 60 s ..= 24 h,
//!   5 min without `max-age`); the set is refetched at three quarters of that,
//!   ahead of expiry.
//! * **Unknown `kid`.** One refetch at most per
//!   [`unknown_kid_cooldown`](RemoteJwksBuilder::unknown_kid_cooldown)
//!   (default 30 s), shared by every request that missed meanwhile; the rest
//!   are rejected at once as unknown keys. `kid` is attacker-chosen, so a
//!   flood of random kids costs at most one fetch per cooldown.
//! * **Hostile or broken documents never replace the last good set**: HTTP
//!   errors, timeouts, invalid JSON, HMAC keys, private members, unknown key
//!   types or curves, `use` other than `sig`, duplicate kids, an `alg` the key
//!   type cannot have, oversize documents ([`parse_jwks`], [`JwksError`]).
//!   Each refusal is logged as a `tracing` warning and kept in
//!   [`RemoteJwks::last_refusal`].
//! * **Bounded requests**: https only (plain http for loopback addresses),
//!   redirects never followed, connect and total timeouts (default 5 s), a
//!   maximum document size (default 256 KiB).
//! * **Stops with the provider.** The task ends when the last clone of the
//!   provider is dropped, or on [`RefreshHandle::stop`].
//!
//! ## Why reqwest (with rustls)
//!
//! The client is `reqwest` on `rustls`, built once per provider and reused
//! (its pool keeps the connection to the issuer). reqwest gives, as
//! configuration, exactly the bounds this needs (redirect policy, connect and
//! total timeouts, streaming the body to enforce a size limit); with
//! `hyper-util` each would be code of ours (a timeout around connect and
//! around the body, a TLS connector, a pool). rustls uses aws-lc-rs, the
//! crypto library of this crate's default backend (`aws_lc_rs`), so with it
//! no second crypto library is compiled. reqwest passes rustls its provider
//! explicitly (the process-wide one if the application installed one, else
//! aws-lc-rs), so two providers in one process (say `ring` from another
//! dependency) never make rustls panic. Trust roots come from the platform (`rustls-platform-verifier`:
//! the OS certificate store), so nothing is downloaded at build or run time
//! and the machine's CA policy (and its updates) applies.
//!
//! ## Example
//!
//! ```no_run
//! use tower_jwt_cookie::keys::remote::RemoteJwks;
//! use tower_jwt_cookie::token::ForeignTokens;
//! use tower_jwt_cookie::{CookieAuth, MemoryStore};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Discovery: https://login.example/.well-known/openid-configuration must
//! // name exactly this issuer; its `jwks_uri` is then fetched.
//! let keys = RemoteJwks::discover("https://login.example").build().await?;
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://login.example")
//!     .audience("my-api")
//!     .bearer(true)
//!     // An identity provider's tokens: `typ: JWT` or none, no `sid`/`jti`.
//!     .foreign_tokens(ForeignTokens::new().accept_typ("JWT").accept_missing_typ())
//!     .build()?;
//! let verifier = auth.verifier::<serde_json::Value>();
//! # let _ = verifier;
//! # Ok(())
//! # }
//! ```

mod cache;
mod discovery;
mod document;
mod error;
mod fetch;
mod refresh;

use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use reqwest::Url;
use tokio::sync::{Notify, watch};

#[cfg(feature = "fuzzing")]
pub(crate) use document::MAX_KEYS;
pub use document::{JwksPolicy, KeySet, parse_jwks};
pub use error::JwksError;

use self::cache::CacheBounds;
use self::fetch::{Fetcher, Limits, check_url};
use self::refresh::{Gate, State};
use super::{KeyProvider, KeyRefresh, SigningKey, VerifyingKey};
use crate::clock::{Clock, SystemClock};
use crate::defaults;

/// A remote JWK Set as a [`KeyProvider`]; see the [module docs](self).
///
/// Cloning gives another handle to the same keys and task. It verifies only
/// (it has no signing key), so `CookieAuth::issuer()` refuses it.
#[derive(Clone)]
pub struct RemoteJwks {
    state: Arc<State>,
    owner: Arc<Owner>,
}

/// Dropped with the last `RemoteJwks` clone: its sender closes, which stops
/// the task.
struct Owner {
    stop: watch::Sender<bool>,
}

impl RemoteJwks {
    /// A provider for the JWK Set at `url` (https, or http on loopback).
    pub fn builder(url: impl Into<String>) -> RemoteJwksBuilder {
        RemoteJwksBuilder::new(Source::Jwks(url.into()))
    }

    /// A provider for the key set of `issuer`, found by OpenID Connect
    /// discovery at `<issuer>/.well-known/openid-configuration`, whose
    /// `issuer` must equal `issuer` exactly.
    pub fn discover(issuer: impl Into<String>) -> RemoteJwksBuilder {
        RemoteJwksBuilder::new(Source::Issuer(issuer.into()))
    }

    /// The current key set (a snapshot).
    pub fn key_set(&self) -> Arc<KeySet> {
        self.state.keys.load_full()
    }

    /// The key-set URL (after discovery, the issuer's `jwks_uri`).
    pub fn url(&self) -> &Url {
        &self.state.url
    }

    /// Why the latest refetch was refused; `None` once one succeeds.
    pub fn last_refusal(&self) -> Option<Arc<JwksError>> {
        self.state.last_refusal.load_full()
    }

    /// A handle that stops the background refresh or waits for it to end.
    pub fn refresh_handle(&self) -> RefreshHandle {
        RefreshHandle {
            owner: Arc::downgrade(&self.owner),
            finished: self.state.finished.clone(),
        }
    }
}

impl KeyProvider for RemoteJwks {
    fn verifying_key(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        self.state.keys.load().get(kid).cloned()
    }

    fn signing_key(&self) -> Option<Arc<SigningKey>> {
        None
    }

    fn with_verifying_key(&self, kid: Option<&str>, f: &mut dyn FnMut(Option<&VerifyingKey>)) {
        f(self.state.keys.load().get(kid).map(|key| &**key));
    }

    fn refresh_for_unknown_kid(&self, _kid: Option<&str>) -> Option<KeyRefresh> {
        self.state.refresh_for_miss()
    }

    fn generation(&self) -> Option<u64> {
        Some(self.state.keys.load().generation())
    }
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("url", &self.state.url.as_str())
            .field("kids", &self.state.keys.load().kids().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Stops a provider's background refresh, or waits until it has stopped.
#[derive(Clone, Debug)]
pub struct RefreshHandle {
    owner: Weak<Owner>,
    finished: watch::Receiver<u64>,
}

impl RefreshHandle {
    /// Stops the background task; the keys already fetched keep verifying,
    /// and unknown `kid`s are rejected without a fetch from now on.
    pub fn stop(&self) {
        if let Some(owner) = self.owner.upgrade() {
            owner.stop.send_replace(true);
        }
    }

    /// Whether the task is still running.
    pub fn is_running(&self) -> bool {
        self.finished.has_changed().is_ok()
    }

    /// Resolves once the task has ended (stopped, or its provider dropped).
    pub async fn stopped(mut self) {
        while self.finished.changed().await.is_ok() {}
    }
}

enum Source {
    Jwks(String),
    Issuer(String),
}

/// Builds a [`RemoteJwks`]: fetches the set once (a failure is an error: a
/// verifier with no keys would refuse everything), then starts the refresh.
#[must_use]
pub struct RemoteJwksBuilder {
    source: Source,
    policy: JwksPolicy,
    limits: Limits,
    bounds: CacheBounds,
    cooldown: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RemoteJwksBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Jwks(url) => ("jwks_uri", url),
            Source::Issuer(issuer) => ("issuer", issuer),
        };
        f.debug_struct("RemoteJwksBuilder")
            .field(source.0, source.1)
            .field("policy", &self.policy)
            .field("limits", &self.limits)
            .field("cooldown", &self.cooldown)
            .finish_non_exhaustive()
    }
}

impl RemoteJwksBuilder {
    fn new(source: Source) -> Self {
        Self {
            source,
            policy: JwksPolicy::default(),
            limits: Limits {
                connect_timeout: defaults::JWKS_TIMEOUT,
                timeout: defaults::JWKS_TIMEOUT,
                max_size: defaults::JWKS_MAX_DOCUMENT_SIZE,
            },
            bounds: CacheBounds::default(),
            cooldown: defaults::JWKS_UNKNOWN_KID_COOLDOWN,
            clock: Arc::new(SystemClock),
        }
    }

    /// How keys are bound to algorithms. Default [`JwksPolicy::new`].
    pub fn policy(mut self, policy: JwksPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Longest wait for a connection. Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.limits.connect_timeout = timeout;
        self
    }

    /// Longest whole request, body included. Default 5 s. An unknown-`kid`
    /// request waits for one fetch that starts after it arrived: at most
    /// this long, or twice when a fetch was already under way.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.limits.timeout = timeout;
        self
    }

    /// Largest accepted document, 1 KiB ..= 16 MiB. Default 256 KiB.
    pub fn max_document_size(mut self, bytes: usize) -> Self {
        self.limits.max_size = bytes;
        self
    }

    /// Least time between two refetches caused by unknown `kid`s, at least
    /// 1 s. Default 30 s. The clock counts whole seconds, so a fraction
    /// rounds up: the cooldown is never shorter than asked.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// `Cache-Control: max-age` is clamped to `min ..= max` (at least 1 s);
    /// without one the set is fresh for 5 minutes (clamped too). Default
    /// 60 s ..= 24 h.
    pub fn cache_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.bounds.min = min;
        self.bounds.max = max;
        self
    }

    /// The clock the cooldown is measured with (tests use
    /// [`ManualClock`](crate::clock::ManualClock)). Default the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn check(&self) -> Result<(), JwksError> {
        let secs = |d: Duration| d.as_secs();
        if self.limits.connect_timeout.is_zero() || self.limits.timeout.is_zero() {
            return Err(JwksError::InvalidConfig(
                "the JWKS timeouts must be longer than zero (default 5 s)",
            ));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.limits.max_size) {
            return Err(JwksError::InvalidConfig(
                "the maximum JWKS document size must be 1 KiB ..= 16 MiB (default 256 KiB)",
            ));
        }
        if secs(self.cooldown) < 1 {
            return Err(JwksError::InvalidConfig(
                "the unknown-kid cooldown must be at least 1 s (default 30 s)",
            ));
        }
        if secs(self.bounds.min) < 1 || self.bounds.min > self.bounds.max {
            return Err(JwksError::InvalidConfig(
                "the JWKS cache bounds must satisfy 1 s <= min <= max (default 60 s ..= 24 h)",
            ));
        }
        self.policy.check()
    }

    /// Checks the settings, discovers the key-set URL if asked to, fetches
    /// the set once and starts the background refresh. Must run inside a
    /// tokio runtime; the task lives on it.
    pub async fn build(self) -> Result<RemoteJwks, JwksError> {
        self.check()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| JwksError::NoRuntime)?;
        let fetcher = Fetcher::new(self.limits)?;
        let url = match &self.source {
            Source::Jwks(url) => check_url(url)?,
            Source::Issuer(issuer) => discovery::discover(&fetcher, issuer).await?,
        };
        let (stop, stop_rx) = watch::channel(false);
        let (finished_tx, finished) = watch::channel(0);
        let state = Arc::new(State {
            keys: ArcSwap::from_pointee(KeySet::default()),
            last_refusal: ArcSwapOption::empty(),
            url,
            fetcher,
            policy: self.policy,
            bounds: self.bounds,
            clock: self.clock,
            cooldown: whole_seconds_up(self.cooldown),
            gate: Mutex::new(Gate::default()),
            wake: Notify::new(),
            finished,
        });
        let ttl = state.fetch().await?;
        runtime.spawn(refresh::run(
            Arc::clone(&state),
            stop_rx,
            finished_tx,
            CacheBounds::refresh_after(ttl),
        ));
        Ok(RemoteJwks {
            state,
            owner: Arc::new(Owner { stop }),
        })
    }
}

/// `duration` in whole seconds, a fraction rounded up.
fn whole_seconds_up(duration: Duration) -> i64 {
    let secs = duration
        .as_secs()
        .saturating_add(u64::from(duration.subsec_nanos() > 0));
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults the docs promise, read back from builders nobody
    /// configured (literals, not the constants they are made of).
    #[test]
    fn an_unconfigured_builder_has_the_documented_defaults() {
        let secs = Duration::from_secs;
        for builder in [
            RemoteJwks::builder("https://idp.example/jwks.json"),
            RemoteJwks::discover("https://idp.example"),
        ] {
            assert_eq!(builder.limits.connect_timeout, secs(5));
            assert_eq!(builder.limits.timeout, secs(5));
            assert_eq!(builder.limits.max_size, 256 * 1024);
            assert_eq!(builder.cooldown, secs(30));
            assert_eq!(
                builder.bounds,
                CacheBounds {
                    min: secs(60),
                    max: secs(24 * 60 * 60),
                    default: secs(5 * 60),
                }
            );
            assert!(builder.check().is_ok(), "the defaults are in range");
        }
    }

    #[test]
    fn a_fractional_cooldown_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(Duration::from_secs(30)), 30);
        assert_eq!(whole_seconds_up(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds_up(Duration::from_nanos(1_000_000_001)), 2);
        assert_eq!(whole_seconds_up(Duration::MAX), i64::MAX);
    }
}
