//! [`ConfigError`]: every way a configuration can be wrong, found when it is
//! built, each with a message saying how to fix it.

use crate::origin::OriginError;
use crate::token::MAX_LEEWAY_SECS;

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

    /// A foreign `typ` that may not be accepted as an access token.
    #[error(
        "ForeignTokens::accept_typ({0:?}): an access token's typ cannot be empty or the refresh-token type `refresh+jwt`"
    )]
    ForeignTokenType(String),
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
    /// A cookie name's prefix (`__Host-`, `__Host-Http-`, `__Secure-`,
    /// `__Http-`) conflicts with its attributes: a browser would drop it.
    #[error("cookie `{name}`: {problem}")]
    CookiePrefix {
        /// The cookie name.
        name: String,
        /// What is wrong and how to fix it.
        problem: &'static str,
    },
    /// The local plain-http switch is on, but other settings need `Secure`
    /// (a prefixed cookie name, `SameSite=None`): every change needed, at once.
    #[error(
        "`.insecure_http_cookies_for_local_development()` writes cookies without Secure, which these settings need; change all of them: {}",
        .0.join("; ")
    )]
    PlainHttpCookies(Vec<String>),
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
    /// Two of the crate's cookies (access, refresh, CSRF) have the same name:
    /// the browser would keep only one of them.
    #[error(
        "two of the access, refresh and CSRF cookies are both named `{0}`: give each its own name (`.access_cookie(..)`, `.refresh_cookie(..)`, `CsrfTokens::with_cookie_name(..)`)"
    )]
    SameCookieNames(String),
    /// `max_age` is set while `iat` may be missing, so a token without `iat`
    /// would pass every age check.
    #[error(
        "`.max_age(..)` needs `iat`: remove `.allow_missing(RequiredClaim::Iat)`, or drop `.max_age(..)`"
    )]
    MaxAgeWithoutIat,
}
