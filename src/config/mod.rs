//! [`CookieAuth`]: the one configuration every layer is built from, so cookie
//! names, keys, store, clock and policies cannot disagree between them.

mod builder;
mod error;

use std::fmt;
use std::sync::Arc;

pub use builder::CookieAuthBuilder;
pub use error::ConfigError;

use crate::clock::Clock;
use crate::cookie::{CookieSpec, DuplicateCookies};
use crate::cors::CorsBuilder;
use crate::csrf::{CsrfGuardBuilder, CsrfTokenCheck, CsrfTokens};
use crate::issue::{JwtCookieIssuer, SessionSettings};
use crate::keys::KeyProvider;
use crate::origin::Origin;
use crate::rejection::Responder;
use crate::revocation::{MemoryStore, RevocationStore};
use crate::token::{CustomClaims, ValidationPolicy};
use crate::verify::JwtCookieVerifier;

/// The default access-token cookie.
pub const DEFAULT_ACCESS_COOKIE: &str = "__Host-access";

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
    /// Issuer settings (JwtCookieIssuer).
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
            .field("access_cookie", &s.sessions.access_cookie.name())
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

    /// The layer that verifies access tokens and provides `VerifiedClaims<C>`.
    pub fn verifier<C: CustomClaims>(&self) -> JwtCookieVerifier<C, S> {
        JwtCookieVerifier::new(self)
    }

    /// The layer that issues sessions, serves the refresh endpoint and ends
    /// sessions. Errors when the key provider has no signing key.
    pub fn issuer(&self) -> Result<JwtCookieIssuer<S>, ConfigError> {
        if self.shared.keys.signing_key().is_none() {
            return Err(ConfigError::NoSigningKey);
        }
        Ok(JwtCookieIssuer::new(self))
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
        &self.shared.sessions.access_cookie
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

/// A cookie name must be an RFC 9110 token (RFC 6265 §4.1.1).
pub(crate) fn check_cookie_name(name: &str) -> Result<(), ConfigError> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(ConfigError::InvalidCookieName(name.to_owned()));
    }
    Ok(())
}

// ---- Cross-origin layers (CredentialedCors, CsrfSameSiteGuard) ----------

impl<S> CookieAuth<S> {
    /// The allowed cross-origin origins, normalized.
    pub fn allowed_origins(&self) -> &[Origin] {
        &self.shared.allowed_origins
    }

    /// A [`CredentialedCors`](crate::CredentialedCors) builder allowing exactly
    /// [`allowed_origins`](CookieAuthBuilder::allowed_origins), with this
    /// configuration's responder. Set methods and headers, then `build()`.
    pub fn cors(&self) -> CorsBuilder {
        CorsBuilder::from_shared(
            self.shared.allowed_origins.clone(),
            Arc::clone(&self.shared.responder),
        )
    }

    /// A [`CsrfSameSiteGuard`](crate::CsrfSameSiteGuard) builder that trusts
    /// every CORS-allowed origin, with this configuration's responder.
    pub fn csrf_guard(&self) -> CsrfGuardBuilder {
        let mut builder = crate::csrf::CsrfSameSiteGuard::builder();
        builder.shared_origins = self.shared.allowed_origins.clone();
        builder.responder = Arc::clone(&self.shared.responder);
        builder
    }

    /// The double-submit check for sessions verified by `verifier::<C>()`,
    /// with the tokens the issuer sets and this configuration's responder.
    /// Place it inside the verifier. An error unless
    /// [`csrf_double_submit`](CookieAuthBuilder::csrf_double_submit) was set.
    pub fn csrf_token_check<C>(&self) -> Result<CsrfTokenCheck<C>, ConfigError> {
        let tokens = self
            .shared
            .csrf_tokens
            .clone()
            .ok_or(ConfigError::NoCsrfTokens)?;
        Ok(CsrfTokenCheck::new(tokens).with_responder(Arc::clone(&self.shared.responder)))
    }
}
