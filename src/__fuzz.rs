//! Crate-internal parsers for the `fuzz/` crate (feature `fuzzing`). Not
//! public API: no semver promise, hidden from the docs.
//!
//! ```
//! use http::{HeaderMap, HeaderValue, header::COOKIE};
//!
//! let mut headers = HeaderMap::new();
//! headers.append(COOKIE, HeaderValue::from_static("a=1; __Host-access=tok"));
//! let found: Vec<&[u8]> = tower_jwt_cookie::__fuzz::cookie_values(&headers, "__Host-access").collect();
//! assert_eq!(found, [b"tok"]);
//! ```

use http::HeaderMap;

use crate::Rejection;
use crate::cookie::DuplicateCookies;

/// Every value of cookie `name` across the `Cookie` lines, in order.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = &'a [u8]> {
    crate::cookie::cookie_values(headers, name)
}

/// The most keys `keys::remote::parse_jwks` accepts in one set.
#[cfg(feature = "jwks")]
pub const JWKS_MAX_KEYS: usize = crate::keys::remote::MAX_KEYS;

/// Forgets this thread's kept JOSE header (`token/header_memo.rs`), so the
/// next verification on it reads its header afresh.
pub fn forget_header_memo() {
    crate::token::header_memo::forget();
}

/// The token cookie as the verifier and the refresh endpoint read it.
pub fn token_cookie<'a>(
    headers: &'a HeaderMap,
    name: &str,
    duplicates: DuplicateCookies,
) -> Result<&'a [u8], Rejection> {
    crate::cookie::token_cookie(headers, name, duplicates)
}
