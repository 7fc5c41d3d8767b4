//! Every default of the crate, in one place: what a layer does when its
//! builder is not told otherwise.
//!
//! ```
//! use tower_jwt_cookie::defaults;
//!
//! assert_eq!(defaults::ACCESS_COOKIE, "__Host-access");
//! assert_eq!(defaults::ACCESS_TOKEN_LIFETIME.as_secs(), 15 * 60);
//! ```

use std::time::Duration;

// ---- Tokens -------------------------------------------------------------

/// Life of an access token (and Max-Age of its cookie): short, so a stolen
/// token is useful only briefly (RFC 8725 §3.10; OWASP JWT cheat sheet).
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Clock-skew allowance for `exp`, `nbf` and `iat`.
pub const LEEWAY: Duration = Duration::ZERO;
/// Longest accepted token, checked before any parsing.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

// ---- Sessions (refresh families) ----------------------------------------

/// A session ends when it is not refreshed for this long.
pub const SESSION_IDLE_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A session ends this long after login, whatever happens.
pub const SESSION_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long after a rotation the previous refresh token may be presented
/// again (tabs refreshing at once) without counting as reuse.
pub const REFRESH_GRACE: Duration = Duration::from_secs(5);
/// The refresh endpoint, served by the issuer itself (`POST`).
pub const REFRESH_PATH: &str = "/auth/refresh";

// ---- Cookies ------------------------------------------------------------

/// The access-token cookie: host-only, `Secure`, `Path=/` (RFC 6265bis
/// §4.1.3.2), `HttpOnly`, `SameSite=Strict`.
pub const ACCESS_COOKIE: &str = "__Host-access";
/// The refresh-token cookie: `Secure`, scoped to [`REFRESH_COOKIE_PATH`].
pub const REFRESH_COOKIE: &str = "__Secure-refresh";
/// The refresh cookie's `Path`: sent to refresh and logout only, never with
/// ordinary API calls.
pub const REFRESH_COOKIE_PATH: &str = "/auth";
/// The double-submit CSRF cookie: readable by the page, host-only, `Secure`.
pub const CSRF_COOKIE: &str = "__Host-csrf";
/// The request header carrying the double-submit CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

// ---- CORS ---------------------------------------------------------------

/// Longest `Access-Control-Request-Headers` value (all lines together) a
/// preflight may carry (rs/cors GHSA-mh55-gqvf-xfwm).
pub const MAX_REQUEST_HEADERS_LEN: usize = 2048;
/// Most header names a preflight may request.
pub const MAX_REQUEST_HEADERS: usize = 64;
