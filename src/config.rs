//! [`CookieAuth`]: the one configuration every layer is built from, so cookie
//! names, keys, store, clock and policies cannot disagree between them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::cookie::{CookieSpec, DuplicateCookies, SameSite};
use crate::cors::CorsBuilder;
use crate::csrf::{CsrfGuardBuilder, CsrfTokenCheck, CsrfTokens};
use crate::issue::{JwtCookieIssuer, SessionOptions, SessionSettings};
use crate::keys::KeyProvider;
use crate::origin::{Origin, OriginError};
use crate::rejection::{DefaultResponder, Responder};
use crate::revocation::{MemoryStore, RevocationStore};
use crate::token::{CustomClaims, MAX_LEEWAY_SECS, RequiredClaim, ValidationPolicy};
use crate::verify::JwtCookieVerifier;

/// The default access-token cookie.
pub const DEFAULT_ACCESS_COOKIE: &str = "__Host-access";

/// A configuration that cannot work, found when it is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No issuer was set.
    #[error(
        "no issuer set: call `.issuer(\"https://your-app.example\")`; tokens are checked against it"
    )]
    MissingIssuer,
    /// No audience was set.
    #[error("no audience set: call `.audience(\"your-api\")`; tokens are checked against it")]
    MissingAudience,
    /// The leeway is longer than 60 seconds.
    #[error(
        "leeway of {0} s is too long: use at most {MAX_LEEWAY_SECS} s (0 is fine with synchronised clocks)"
    )]
    LeewayTooLong(u64),
    /// `exp` was made optional.
    #[error("`exp` cannot be optional: tokens without an expiry would live forever")]
    ExpMustBeRequired,
    /// The maximum token length is outside 256 B ..= 64 KiB.
    #[error("max token length {0} is outside 256..=65536 bytes")]
    MaxTokenLen(usize),
    /// A cookie name is not a valid RFC 6265 token.
    #[error(
        "cookie name `{0}` is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~ only)"
    )]
    InvalidCookieName(String),
    /// An allowed origin (for CORS and the CSRF guard) is not exact `scheme://host[:port]`.
    #[error("allowed origin: {0}")]
    InvalidOrigin(OriginError),

    // --- Sessions: JwtCookieIssuer and its cookies ---
    /// The double-submit check was asked for, but no tokens were configured.
    #[error(
        "no CSRF tokens configured: call `.csrf_double_submit(CsrfTokens::new(&secret)?)` on the builder, so the issuer sets the cookie the check reads"
    )]
    NoCsrfTokens,
    /// The key provider has no signing key, so the issuer cannot sign.
    #[error(
        "the key set has no signing key: build the KeyRing with `KeyRing::with_signing_key(..)` (a verifier-only key set cannot issue sessions)"
    )]
    NoSigningKey,
    /// A cookie name's `__Host-` / `__Secure-` prefix conflicts with its attributes.
    #[error("cookie `{name}`: {problem}")]
    CookiePrefix {
        /// The cookie name.
        name: String,
        /// What is wrong and how to fix it.
        problem: &'static str,
    },
    /// `SameSite=None` without `Secure`, which browsers refuse.
    #[error(
        "cookie `{0}`: SameSite=None requires Secure; use SameSite::Lax or Strict for plain-http local development"
    )]
    SameSiteNoneWithoutSecure(String),
    /// A cookie path is not an RFC 6265 path.
    #[error(
        "cookie path `{0}` is invalid: it must start with `/` and contain only visible ASCII without `;` or `,`"
    )]
    InvalidCookiePath(String),
    /// A cookie domain is not a host name.
    #[error(
        "cookie domain `{0}` is invalid: use a host name such as `app.example` (letters, digits, `-`, `.`; no leading dot)"
    )]
    InvalidCookieDomain(String),
    /// The refresh endpoint is outside the refresh cookie's path, so the cookie would never reach it.
    #[error(
        "refresh path `{refresh_path}` is outside the refresh cookie's path `{cookie_path}`: put the endpoint under the cookie's path, e.g. `{cookie_path}/refresh`"
    )]
    RefreshPathOutsideCookiePath {
        /// The refresh endpoint's path.
        refresh_path: String,
        /// The refresh cookie's `Path`.
        cookie_path: String,
    },
    /// A cookie's Max-Age is longer than the life of the token it carries.
    #[error(
        "cookie `{0}`: its Max-Age is longer than its token's life; make it at most the token lifetime (access lifetime or session idle lifetime)"
    )]
    CookieOutlivesToken(String),
    /// A token or session lifetime is zero or inconsistent.
    #[error("{0}")]
    InvalidLifetime(&'static str),
    /// The refresh grace window is longer than 60 seconds.
    #[error("refresh grace window of {0} s is too long: use a few seconds (at most 60)")]
    GraceTooLong(u64),
    /// The access and refresh cookies have the same name.
    #[error("the access and refresh cookies are both named `{0}`: give them different names")]
    SameCookieNames(String),
}

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
        CookieAuthBuilder {
            keys: Arc::new(keys),
            store,
            clock: Arc::new(SystemClock),
            issuer: String::new(),
            audience: String::new(),
            leeway: Duration::ZERO,
            max_age: None,
            required: Vec::new(),
            optional: Vec::new(),
            max_token_len: crate::token::DEFAULT_MAX_TOKEN_LEN,
            access_cookie: DEFAULT_ACCESS_COOKIE.to_owned(),
            bearer: false,
            duplicates: DuplicateCookies::default(),
            responder: Arc::new(DefaultResponder),
            allowed_origins: Vec::new(),
            csrf_tokens: None,
            sessions: SessionOptions::default(),
        }
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

/// Builds a [`CookieAuth`]; every setting is checked in [`build`](Self::build).
#[must_use]
pub struct CookieAuthBuilder<S> {
    keys: Arc<dyn KeyProvider>,
    store: S,
    clock: Arc<dyn Clock>,
    issuer: String,
    audience: String,
    leeway: Duration,
    max_age: Option<Duration>,
    required: Vec<RequiredClaim>,
    optional: Vec<RequiredClaim>,
    max_token_len: usize,
    access_cookie: String,
    bearer: bool,
    duplicates: DuplicateCookies,
    responder: Arc<dyn Responder>,
    allowed_origins: Vec<String>,
    csrf_tokens: Option<CsrfTokens>,
    sessions: SessionOptions,
}

impl<S: RevocationStore> CookieAuthBuilder<S> {
    /// The issuer (`iss`) tokens carry and must carry. Required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The audience (`aud`) access tokens carry and must carry. Required.
    /// Refresh tokens use `<audience>#refresh`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat`: at most 60 s. Default 0.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuse access tokens whose `iat` is older than this, whatever their
    /// `exp`. Refresh tokens are not checked against it: the session's idle
    /// and absolute lifetimes bound them.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Also require `claim` to be present (default: `exp`, `iat`, `sub`, `jti`, `sid`).
    pub fn require(mut self, claim: RequiredClaim) -> Self {
        self.required.push(claim);
        self
    }

    /// Accept tokens without `claim`. `exp` cannot be made optional.
    ///
    /// Revocation is keyed by `jti`, `sid` and `sub`: tokens without one of
    /// them cannot be revoked that way (logout cannot reach a token without
    /// `sid`). Relax these only for tokens this crate does not issue.
    pub fn allow_missing(mut self, claim: RequiredClaim) -> Self {
        self.optional.push(claim);
        self
    }

    /// Longest accepted token, 256 B ..= 64 KiB. Default 8 KiB.
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// The access-token cookie's name. Default `__Host-access`.
    pub fn access_cookie(mut self, name: impl Into<String>) -> Self {
        self.access_cookie = name.into();
        self
    }

    /// Also accept `Authorization: Bearer` (for gRPC and non-browser clients).
    /// When present it takes precedence over the cookie. Default off.
    pub fn bearer(mut self, enabled: bool) -> Self {
        self.bearer = enabled;
        self
    }

    /// What to do when the token cookie appears twice. Default: reject.
    pub fn duplicate_cookies(mut self, policy: DuplicateCookies) -> Self {
        self.duplicates = policy;
        self
    }

    /// The clock; default the system clock. Tests use [`ManualClock`](crate::clock::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the default rejection responses.
    pub fn responder(mut self, responder: impl Responder) -> Self {
        self.responder = Arc::new(responder);
        self
    }

    // --- Sessions: JwtCookieIssuer settings ---

    /// Life of access tokens (and Max-Age of their cookie). Default 15 min.
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.sessions.access_lifetime = lifetime;
        self
    }

    /// A session ends when it is not refreshed for this long. Default 24 h.
    pub fn session_idle_lifetime(mut self, lifetime: Duration) -> Self {
        self.sessions.idle_lifetime = lifetime;
        self
    }

    /// A session ends this long after login, whatever happens. Default 7 days.
    pub fn session_absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.sessions.absolute_lifetime = lifetime;
        self
    }

    /// How long after a rotation the immediately previous refresh token may be
    /// presented again (tabs refreshing at once) without counting as reuse.
    /// At most 60 s; 0 turns it off. Default 5 s.
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.sessions.grace = grace;
        self
    }

    /// Path of the refresh endpoint the issuer answers (`POST`), matched
    /// exactly. Must lie under the refresh cookie's path. Default `/auth/refresh`.
    pub fn refresh_path(mut self, path: impl Into<String>) -> Self {
        self.sessions.refresh_path = path.into();
        self
    }

    /// The refresh-token cookie's name. Default `__Secure-refresh`.
    pub fn refresh_cookie(mut self, name: impl Into<String>) -> Self {
        self.sessions.refresh_cookie = name.into();
        self
    }

    /// The refresh cookie's `Path`: the auth routes that need it (refresh,
    /// logout), so it never travels with ordinary API calls. Default `/auth`.
    pub fn refresh_cookie_path(mut self, path: impl Into<String>) -> Self {
        self.sessions.refresh_cookie_path = path.into();
        self
    }

    /// A `Domain` for both token cookies (shares them with subdomains). Not
    /// allowed with a `__Host-` name. Default: none (host-only cookies).
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.sessions.domain = Some(domain.into());
        self
    }

    /// `SameSite` of both token cookies. Default `Strict`.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.sessions.same_site = same_site;
        self
    }

    /// A Max-Age for the access cookie shorter than the access-token life.
    pub fn access_cookie_max_age(mut self, max_age: Duration) -> Self {
        self.sessions.access_cookie_max_age = Some(max_age);
        self
    }

    /// A Max-Age for the refresh cookie shorter than the idle lifetime.
    pub fn refresh_cookie_max_age(mut self, max_age: Duration) -> Self {
        self.sessions.refresh_cookie_max_age = Some(max_age);
        self
    }

    /// Writes cookies WITHOUT `Secure`, so they travel over plain http, for
    /// local development only: anyone on the network can read them then.
    /// `__Host-`/`__Secure-` names need Secure, so rename the cookies too.
    pub fn insecure_http_cookies_for_local_development(mut self) -> Self {
        self.sessions.insecure_http = true;
        self
    }

    /// Checks every setting and builds the configuration.
    pub fn build(self) -> Result<CookieAuth<S>, ConfigError> {
        if self.issuer.is_empty() {
            return Err(ConfigError::MissingIssuer);
        }
        if self.audience.is_empty() {
            return Err(ConfigError::MissingAudience);
        }
        let leeway = self.leeway.as_secs();
        if leeway > MAX_LEEWAY_SECS as u64 {
            return Err(ConfigError::LeewayTooLong(leeway));
        }
        if self.optional.contains(&RequiredClaim::Exp) {
            return Err(ConfigError::ExpMustBeRequired);
        }
        if !(256..=65536).contains(&self.max_token_len) {
            return Err(ConfigError::MaxTokenLen(self.max_token_len));
        }
        check_cookie_name(&self.access_cookie)?;
        let allowed_origins =
            crate::origin::parse_all(&self.allowed_origins).map_err(ConfigError::InvalidOrigin)?;
        let sessions = self.sessions.build(&self.access_cookie)?;

        let mut policy = ValidationPolicy::new(self.issuer, self.audience);
        policy.leeway = leeway as i64;
        policy.max_age = self
            .max_age
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        policy.max_token_len = self.max_token_len;
        for claim in self.required {
            policy.required |= claim.bit();
        }
        for claim in self.optional {
            policy.required &= !claim.bit();
        }
        let mut refresh_policy = policy.clone();
        refresh_policy.max_age = None;
        let mut identify_policy = policy.clone();
        // Saturating arithmetic: `exp`, `nbf`, `iat` and max-age never fail.
        identify_policy.leeway = i64::MAX / 4;
        identify_policy.max_age = None;
        Ok(CookieAuth {
            shared: Arc::new(Shared {
                keys: self.keys,
                store: self.store,
                clock: self.clock,
                policy,
                refresh_policy,
                identify_policy,
                bearer: self.bearer,
                duplicates: self.duplicates,
                responder: self.responder,
                allowed_origins,
                csrf_tokens: self.csrf_tokens,
                sessions,
            }),
        })
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

// ---- Cross-origin settings (CredentialedCors, CsrfSameSiteGuard) ----------

impl<S: RevocationStore> CookieAuthBuilder<S> {
    /// Exact origins (`scheme://host[:port]`) of the pages allowed to call this
    /// API with cookies from another origin. [`CookieAuth::cors`] allows them
    /// and [`CookieAuth::csrf_guard`] trusts them, so the two layers can never
    /// disagree. `*`, `null` and anything with a path are refused in `build`.
    pub fn allowed_origins<I, T>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.allowed_origins
            .extend(origins.into_iter().map(Into::into));
        self
    }

    /// Enables signed double-submit CSRF tokens (defence in depth behind the
    /// Fetch-Metadata guard): the issuer sets a script-readable `__Host-csrf`
    /// cookie bound to the session on login and refresh and clears it on
    /// logout, and [`CookieAuth::csrf_token_check`] requires it back in a
    /// header. Use a secret of its own, not a JWT key.
    pub fn csrf_double_submit(mut self, tokens: CsrfTokens) -> Self {
        self.csrf_tokens = Some(tokens);
        self
    }
}

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
