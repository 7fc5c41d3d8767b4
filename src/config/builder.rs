use std::sync::Arc;
use std::time::Duration;

use super::sessions::SessionOptions;
use super::{CookieAuth, Shared};
use crate::clock::{Clock, SystemClock};
use crate::cookie::{DuplicateCookies, Prefix, SameSite};
use crate::defaults;
use crate::double_submit_token::CsrfTokens;
use crate::error::ConfigError;
use crate::keys::KeyProvider;
use crate::rejection::{DefaultResponder, Responder};
use crate::revocation::RevocationStore;
use crate::token::{ForeignTokens, MAX_LEEWAY_SECS, RequiredClaim, ValidationPolicy};

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
    foreign: Option<ForeignTokens>,
    /// `None`: the default name (which depends on the plain-http switch).
    access_cookie: Option<String>,
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

    /// Accept access tokens this service did not issue (an identity
    /// provider's, another service's): the `typ` values of `foreign`, and
    /// `sid` and `jti` optional. See [`ForeignTokens`]. Default: only this
    /// crate's own tokens (`typ: at+jwt` with `sid` and `jti`).
    pub fn foreign_tokens(mut self, foreign: ForeignTokens) -> Self {
        self.foreign = Some(foreign);
        self
    }

    /// Longest accepted token, 256 B ..= 64 KiB. Default 8 KiB.
    pub fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// The access-token cookie's name. Default `__Host-Http-access` (`access`
    /// under [`insecure_http_cookies_for_local_development`](Self::insecure_http_cookies_for_local_development)).
    ///
    /// The `__Host-Http-` prefix (RFC 6265bis, Chromium 140 and later) makes
    /// the browser refuse the cookie from `document.cookie`, so an injected
    /// script cannot plant a token of the attacker's account; a browser
    /// without it still enforces the `__Host-` rules the name starts with.
    pub fn access_cookie(mut self, name: impl Into<String>) -> Self {
        self.access_cookie = Some(name.into());
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

    /// The refresh-token cookie's name. Default `__Http-refresh` (`refresh`
    /// under the local-development switch): browsers that know the `__Http-`
    /// prefix (RFC 6265bis, Chromium 140 and later) refuse it from scripts
    /// and from plain http, so neither can plant the attacker's refresh
    /// token; browsers that do not know it see an unprefixed name, so serve
    /// HSTS. `__Secure-refresh` keeps the `Secure` guarantee in those
    /// browsers, but a script can plant it in every browser.
    pub fn refresh_cookie(mut self, name: impl Into<String>) -> Self {
        self.sessions.refresh_cookie = Some(name.into());
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
    /// Every cookie prefix needs Secure, so the default names become `access`
    /// and `refresh`, and the double-submit CSRF cookie's `csrf`; a prefixed
    /// name set with `.access_cookie(..)`, `.refresh_cookie(..)` or
    /// `CsrfTokens::with_cookie_name(..)` (or `SameSite::None`) is a build
    /// error naming every change needed. (`http://localhost` needs no switch: browsers
    /// treat it as a secure context and keep `Secure` cookies there.)
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
        let allowed_origins =
            crate::origin::parse_all(&self.allowed_origins).map_err(ConfigError::InvalidOrigin)?;
        let insecure_http = self.sessions.insecure_http;
        let csrf_cookie = self
            .csrf_tokens
            .as_ref()
            .and_then(CsrfTokens::chosen_cookie_name);
        let (access_cookie, sessions) = self.sessions.build(self.access_cookie, csrf_cookie)?;
        // The CSRF cookie must reach the page over plain http too, or every
        // request behind `csrf_token_check` would be refused.
        let csrf_tokens = match self.csrf_tokens {
            Some(tokens) if insecure_http => Some(tokens.for_plain_http()),
            tokens => tokens,
        };

        let mut policy = ValidationPolicy::new(self.issuer, self.audience);
        policy.leeway = leeway as i64;
        policy.max_age = self
            .max_age
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        policy.max_token_len = self.max_token_len;
        if let Some(foreign) = &self.foreign {
            if let Some(typ) = foreign.invalid_type() {
                return Err(ConfigError::ForeignTokenType(typ.to_owned()));
            }
            // Tokens of other issuers name no session of ours, often no jti.
            policy.required &= !(RequiredClaim::Sid.bit() | RequiredClaim::Jti.bit());
        }
        policy.foreign = self.foreign;
        for claim in self.required {
            policy.required |= claim.bit();
        }
        for claim in self.optional {
            policy.required &= !claim.bit();
        }
        // A token without `iat` has no age: with `max_age` it would pass any
        // age check (panva/jose refuses such tokens whenever maxTokenAge is set).
        if policy.max_age.is_some() && policy.required & RequiredClaim::Iat.bit() == 0 {
            return Err(ConfigError::MaxAgeWithoutIat);
        }
        if let Some(tokens) = &csrf_tokens {
            // The page reads the CSRF cookie, so it cannot be HttpOnly, which
            // these prefixes demand: the browser would drop it.
            if Prefix::of(tokens.cookie_name()).is_some_and(Prefix::needs_http_only) {
                return Err(ConfigError::CookiePrefix {
                    name: tokens.cookie_name().to_owned(),
                    problem: "the CSRF cookie is read by the page, so it cannot be HttpOnly, which `__Http-` and `__Host-Http-` names need: use `__Host-csrf` (the default)",
                });
            }
            for token_cookie in [access_cookie.name(), sessions.refresh_cookie.name()] {
                if tokens.cookie_name() == token_cookie {
                    return Err(ConfigError::SameCookieNames(token_cookie.to_owned()));
                }
            }
        }
        let mut refresh_policy = policy.clone();
        refresh_policy.max_age = None;
        let mut identify_policy = policy.clone();
        // Logout names the session with a token of ours even after it
        // expired, but never one older than a whole session can live: no
        // token of an ended session is a credential for ever.
        identify_policy.leeway = sessions.absolute_lifetime;
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
                csrf_tokens,
                access_cookie,
                sessions,
            }),
        })
    }
}

impl<S> std::fmt::Debug for CookieAuthBuilder<S> {
    /// The settings that say what will be checked; never the keys or secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieAuthBuilder")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("max_age", &self.max_age)
            .field("access_cookie", &self.access_cookie)
            .field("bearer", &self.bearer)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl<S: RevocationStore> CookieAuthBuilder<S> {
    pub(super) fn new(keys: Arc<dyn KeyProvider>, store: S) -> Self {
        Self {
            keys,
            store,
            clock: Arc::new(SystemClock),
            issuer: String::new(),
            audience: String::new(),
            leeway: defaults::LEEWAY,
            max_age: None,
            required: Vec::new(),
            optional: Vec::new(),
            max_token_len: defaults::MAX_TOKEN_LEN,
            foreign: None,
            access_cookie: None,
            bearer: false,
            duplicates: DuplicateCookies::default(),
            responder: Arc::new(DefaultResponder),
            allowed_origins: Vec::new(),
            csrf_tokens: None,
            sessions: SessionOptions::default(),
        }
    }
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
    /// cookie (`csrf` under [`insecure_http_cookies_for_local_development`](Self::insecure_http_cookies_for_local_development))
    /// bound to the session on login and refresh and clears it on
    /// logout, and [`CookieAuth::csrf_token_check`] requires it back in a
    /// header. Use a secret of its own, not a JWT key.
    pub fn csrf_double_submit(mut self, tokens: CsrfTokens) -> Self {
        self.csrf_tokens = Some(tokens);
        self
    }
}
