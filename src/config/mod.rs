//! [`CookieAuth`]: the one configuration every layer is built from, so cookie
//! names, keys, store, clock and policies cannot disagree between them.
//!
//! This module is the floor of the crate: it imports no layer. Each layer
//! adds its own constructor (`CookieAuth::verifier` in `verify/`,
//! `CookieAuth::issuer` in `issue/`, `CookieAuth::cors` in `cors/`,
//! `CookieAuth::csrf_guard` and `csrf_token_check` in `csrf/`).

mod builder;
mod sessions;

use std::fmt;
use std::sync::Arc;

pub use builder::CookieAuthBuilder;
pub(crate) use sessions::SessionSettings;

use crate::clock::Clock;
use crate::cookie::{CookieSpec, DuplicateCookies};
use crate::double_submit_token::CsrfTokens;
use crate::keys::KeyProvider;
use crate::origin::Origin;
use crate::rejection::Responder;
use crate::revocation::{MemoryStore, RevocationStore};
use crate::token::ValidationPolicy;

/// Shared configuration of every layer. Cheap to clone (one `Arc`).
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_cookie::keys::{KeyRing, SigningKey};
/// use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore};
///
/// let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[9; 32])?);
/// let auth = CookieAuth::builder(keys, MemoryStore::new())
///     .issuer("https://app.example")
///     .audience("app")
///     .leeway(Duration::from_secs(30))
///     .build()?;
/// let verifier = auth.verifier::<serde_json::Value>();
/// # let _ = verifier;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CookieAuth<S = MemoryStore> {
    pub(crate) shared: Arc<Shared<S>>,
}

pub(crate) struct Shared<S> {
    pub(crate) keys: Arc<dyn KeyProvider>,
    pub(crate) store: S,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: ValidationPolicy,
    /// `policy` without `max_age`, for refresh tokens: `max_age` bounds how
    /// old an access token may be; a refresh token's `iat` is its last
    /// rotation, and the session's idle and absolute lifetimes bound it.
    pub(crate) refresh_policy: ValidationPolicy,
    /// `policy` without time checks: logout identifies the session from a
    /// token of ours even once it expired.
    pub(crate) identify_policy: ValidationPolicy,
    pub(crate) bearer: bool,
    pub(crate) duplicates: DuplicateCookies,
    pub(crate) responder: Arc<dyn Responder>,
    pub(crate) allowed_origins: Vec<Origin>,
    /// Signed double-submit tokens, when enabled: the issuer sets their cookie.
    pub(crate) csrf_tokens: Option<CsrfTokens>,
    /// The access-token cookie: the verifier reads it, the issuer writes it.
    pub(crate) access_cookie: CookieSpec,
    /// Issuer settings (JwtCookieIssuer): lifetimes, refresh endpoint and cookie.
    pub(crate) sessions: SessionSettings,
}

impl<S> Clone for CookieAuth<S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S> fmt::Debug for CookieAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.shared;
        f.debug_struct("CookieAuth")
            .field("policy", &s.policy)
            .field("access_cookie", &s.access_cookie.name())
            .field("bearer", &s.bearer)
            .field("duplicates", &s.duplicates)
            .finish_non_exhaustive()
    }
}

impl<S: RevocationStore> CookieAuth<S> {
    /// Starts a configuration with its keys and revocation store.
    pub fn builder(keys: impl KeyProvider, store: S) -> CookieAuthBuilder<S> {
        CookieAuthBuilder::new(Arc::new(keys), store)
    }

    /// The validation policy.
    pub fn policy(&self) -> &ValidationPolicy {
        &self.shared.policy
    }

    /// The revocation store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// How the issuer writes and clears the access-token cookie (name, Path,
    /// Domain, SameSite, Secure): for a front end or proxy that must agree.
    pub fn access_cookie_spec(&self) -> &CookieSpec {
        &self.shared.access_cookie
    }

    /// How the issuer writes and clears the refresh-token cookie.
    pub fn refresh_cookie_spec(&self) -> &CookieSpec {
        &self.shared.sessions.refresh_cookie
    }

    /// The key provider.
    pub fn keys(&self) -> &Arc<dyn KeyProvider> {
        &self.shared.keys
    }

    /// The current time by the configured clock.
    pub fn now(&self) -> i64 {
        self.shared.clock.now()
    }
}

impl<S> CookieAuth<S> {
    /// The allowed cross-origin origins, normalized: what
    /// [`cors`](Self::cors) allows and [`csrf_guard`](Self::csrf_guard) trusts.
    pub fn allowed_origins(&self) -> &[Origin] {
        &self.shared.allowed_origins
    }
}
