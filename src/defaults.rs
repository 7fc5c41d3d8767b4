//! Every default of the crate, in one place: what a layer does when its
//! builder is not told otherwise. The builders' docs state each value;
//! [`CookieAuth::access_cookie_spec`](crate::CookieAuth::access_cookie_spec)
//! and friends tell a running program what it was configured with.

use std::time::Duration;

// ---- Tokens -------------------------------------------------------------

/// Life of an access token (and Max-Age of its cookie): short, so a stolen
/// token is useful only briefly (RFC 8725 §3.10; OWASP JWT cheat sheet).
pub(crate) const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Clock-skew allowance for `exp`, `nbf` and `iat`.
pub(crate) const LEEWAY: Duration = Duration::ZERO;
/// Longest accepted token, checked before any parsing.
pub(crate) const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Entries the verifier's token cache holds (each: the token bytes and its
/// claims). Worst case with `MAX_TOKEN_LEN` tokens: 4096 × 8 KiB of token
/// bytes (32 MiB) plus the decoded claims; typical (≈ 500-byte tokens):
/// about 4 MiB.
pub(crate) const TOKEN_CACHE_CAPACITY: usize = 4096;
/// How long a cached verification is reused before the token is verified
/// from scratch again (its `exp` and the store are checked on every hit).
pub(crate) const TOKEN_CACHE_MAX_AGE: Duration = Duration::from_secs(300);
/// Replicas each thread keeps of cache entries presented on two threads at
/// once (see `verify::cache`): 16 × (8 KiB + claims) per thread at worst.
pub(crate) const TOKEN_CACHE_REPLICAS_PER_THREAD: usize = 16;

// ---- Sessions (refresh families) ----------------------------------------

/// A session ends when it is not refreshed for this long.
pub(crate) const SESSION_IDLE_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A session ends this long after login, whatever happens.
pub(crate) const SESSION_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long after a rotation the previous refresh token may be presented
/// again (tabs refreshing at once) without counting as reuse.
pub(crate) const REFRESH_GRACE: Duration = Duration::from_secs(5);
/// The refresh endpoint, served by the issuer itself (`POST`).
pub(crate) const REFRESH_PATH: &str = "/auth/refresh";

// ---- Cookies ------------------------------------------------------------

/// The access-token cookie: host-only, `Secure`, `Path=/`, `HttpOnly`,
/// `SameSite=Strict`. The `__Host-Http-` prefix (RFC 6265bis) means a
/// browser accepts it only from an HTTP response, never from a script; a
/// browser that does not know that prefix still applies the `__Host-` rules
/// it starts with (RFC 6265bis §4.1.3.2), so nothing is lost there.
pub(crate) const ACCESS_COOKIE: &str = "__Host-Http-access";
/// The refresh-token cookie: `HttpOnly`, `Secure`, `SameSite=Strict`,
/// scoped to [`REFRESH_COOKIE_PATH`]. A browser that knows the `__Http-`
/// prefix (RFC 6265bis §4.1.3; Chromium 140 and later) stores such a cookie
/// only from an HTTP response over a secure connection, with `HttpOnly` and
/// `Secure`: no script on the page can plant one (the attacker's own refresh
/// token, which would log the victim into the attacker's account on the
/// page's next refresh) or overwrite it, and no plain-http response can
/// either. Not `__Host-Http-`, which needs `Path=/`: the refresh token would
/// travel with every API call.
///
/// What is left:
/// * a browser that does not know `__Http-` takes it as an ordinary name: a
///   script can plant it there (as it can a `__Secure-` cookie in every
///   browser), and so can a network attacker through the plain-http origin
///   while no genuine one is stored (RFC 6265bis §5.7 keeps plain http from
///   shadowing a stored Secure cookie of that name, not from adding one
///   where there is none), which is why the demo sends HSTS with
///   `includeSubDomains`;
/// * in every browser a sibling subdomain's server may set it with `Domain=`
///   (only `__Host-` names stop that, and they need `Path=/`). Refresh and
///   logout read every value sent: junk cannot block them, and a second
///   valid token makes them refuse rather than guess.
///
/// An explicit `.refresh_cookie("__Secure-refresh")` is the other trade: old
/// browsers keep it off plain http even without HSTS, but a script can plant
/// it in every browser.
pub(crate) const REFRESH_COOKIE: &str = "__Http-refresh";
/// The access cookie under `.insecure_http_cookies_for_local_development()`:
/// every prefix needs `Secure`, so the plain-http name has none.
pub(crate) const INSECURE_ACCESS_COOKIE: &str = "access";
/// The refresh cookie under the local-development switch.
pub(crate) const INSECURE_REFRESH_COOKIE: &str = "refresh";
/// The refresh cookie's `Path`: sent to refresh and logout only, never with
/// ordinary API calls.
pub(crate) const REFRESH_COOKIE_PATH: &str = "/auth";
/// The double-submit CSRF cookie: readable by the page, host-only, `Secure`.
pub(crate) const CSRF_COOKIE: &str = "__Host-csrf";
/// The CSRF cookie under the local-development switch (no prefix: every
/// prefix needs `Secure`).
pub(crate) const INSECURE_CSRF_COOKIE: &str = "csrf";
/// The request header carrying the double-submit CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

// ---- CORS ---------------------------------------------------------------

/// Longest `Access-Control-Request-Headers` value (all lines together) a
/// preflight may carry (rs/cors GHSA-mh55-gqvf-xfwm).
pub(crate) const MAX_REQUEST_HEADERS_LEN: usize = 2048;
/// Most header names a preflight may request.
pub(crate) const MAX_REQUEST_HEADERS: usize = 64;

// ---- Remote key sets (feature `jwks`) -----------------------------------

/// Connect and total timeout of each JWKS or discovery request.
#[cfg(feature = "jwks")]
pub(crate) const JWKS_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest accepted JWKS or discovery document.
#[cfg(feature = "jwks")]
pub(crate) const JWKS_MAX_DOCUMENT_SIZE: usize = 256 * 1024;
/// Least time between two refetches for unknown `kid`s: a forger can put a
/// fresh `kid` in every token, and each must not become a request to the
/// issuer (which would turn a flood of junk tokens into one against it).
#[cfg(feature = "jwks")]
pub(crate) const JWKS_UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);
/// A key set is kept at least this long, whatever `max-age` says, so a
/// server cannot make every instance refetch all the time.
#[cfg(feature = "jwks")]
pub(crate) const JWKS_MIN_CACHE: Duration = Duration::from_secs(60);
/// A key set is kept at most this long: a key the issuer withdraws stops
/// verifying within it.
#[cfg(feature = "jwks")]
pub(crate) const JWKS_MAX_CACHE: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a key set is kept when the server sends no `max-age`.
#[cfg(feature = "jwks")]
pub(crate) const JWKS_CACHE: Duration = Duration::from_secs(5 * 60);

// ---- Redis store (feature `redis`) --------------------------------------

/// The bound on every `RedisStore` call: past it the call fails and the
/// request that needed it is refused (503), instead of waiting on a server
/// that may never answer.
#[cfg(feature = "redis")]
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// The prefix of every key the store writes, so several applications can
/// share one Redis database.
#[cfg(feature = "redis")]
pub(crate) const REDIS_KEY_PREFIX: &str = "tjc:";
/// Replicas that must acknowledge a write (`WAIT`) before it counts: none,
/// the primary's acknowledgement suffices.
#[cfg(feature = "redis")]
pub(crate) const REDIS_WAIT_FOR_REPLICAS: u32 = 0;
/// Tokens whose answers the local revocation cache keeps (each about 100
/// bytes plus its `jti` and `sid`).
#[cfg(feature = "redis")]
pub(crate) const LOCAL_CACHE_CAPACITY: usize = 100_000;
/// How long one cached answer is reused before Redis is asked again: a
/// safety net, since invalidations are what keep answers right.
#[cfg(feature = "redis")]
pub(crate) const LOCAL_CACHE_MAX_AGE: Duration = Duration::from_secs(60);
/// The local cache's staleness bound: it stops answering once the
/// invalidation path has not been proven live for this long.
#[cfg(feature = "redis")]
pub(crate) const LOCAL_CACHE_MAX_STALENESS: Duration = Duration::from_secs(1);
