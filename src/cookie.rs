//! Reading token cookies: the exact, case-sensitive name, without parsing
//! every cookie in the header.
//!
//! Duplicate names: a `Cookie` header can carry the same name twice (a cookie
//! set for a parent domain or another path, possibly by an attacker on a
//! sibling subdomain: "cookie tossing"). By default that request is refused
//! with [`Rejection::DuplicateCookie`]
//! rather than guessing which one is genuine; [`DuplicateCookies::First`]
//! takes the first, which browsers order most-specific path first.
//!
//! Writing: every cookie the issuer writes is described by a [`CookieSpec`]
//! checked when the configuration is built (`__Host-` and `__Host-Http-`:
//! Secure, `Path=/`, no Domain; `__Secure-` and `__Http-`: Secure;
//! `SameSite=None` only with Secure), is
//! HttpOnly, carries SameSite explicitly, and has a Max-Age no longer than its
//! token's life. Clearing repeats the Path and Domain.
//!
//! ```
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, ConfigError, CookieAuth, MemoryStore};
//!
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[5; 32])?);
//! let result = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .cookie_domain("app.example") // not allowed with the default `__Host-Http-access`
//!     .build();
//! assert!(matches!(result, Err(ConfigError::CookiePrefix { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::HeaderMap;
use http::header::COOKIE;

use crate::rejection::Rejection;

// Writing and clearing cookies (JwtCookieIssuer).
mod spec;
pub use spec::{CookieSpec, SameSite};
pub(crate) use spec::{Prefix, check_cookie_name, path_matches};

/// What to do when the token cookie's name appears more than once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DuplicateCookies {
    /// Refuse the request (default).
    #[default]
    Reject,
    /// Use the first occurrence.
    First,
}

/// The outcome of looking for one cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CookieLookup<'a> {
    /// No cookie of that name.
    Missing,
    /// The value of the cookie (possibly empty).
    Found(&'a [u8]),
    /// The name appeared more than once and the policy refuses that.
    Duplicate,
}

/// Finds cookie `name` across every `Cookie` header line (HTTP/2 may split them).
/// Names match byte for byte: no case folding, no trimming inside the pair,
/// no `$Version` or quoting rules.
pub(crate) fn find_cookie<'a>(
    headers: &'a HeaderMap,
    name: &str,
    duplicates: DuplicateCookies,
) -> CookieLookup<'a> {
    let mut values = cookie_values(headers, name);
    match values.next() {
        None => CookieLookup::Missing,
        Some(first) if duplicates == DuplicateCookies::First => CookieLookup::Found(first),
        Some(first) => match values.next() {
            None => CookieLookup::Found(first),
            Some(_) => CookieLookup::Duplicate,
        },
    }
}

/// The token in cookie `name` for the verifier and the refresh endpoint:
/// missing or empty is [`Rejection::MissingToken`], a duplicate the policy
/// refuses is [`Rejection::DuplicateCookie`].
pub(crate) fn token_cookie<'a>(
    headers: &'a HeaderMap,
    name: &str,
    duplicates: DuplicateCookies,
) -> Result<&'a [u8], Rejection> {
    match find_cookie(headers, name, duplicates) {
        CookieLookup::Found([]) | CookieLookup::Missing => Err(Rejection::MissingToken),
        CookieLookup::Found(token) => Ok(token),
        CookieLookup::Duplicate => Err(Rejection::DuplicateCookie),
    }
}

/// Every value of cookie `name`, in header order, matched as [`find_cookie`]
/// does. Logout reads them all: a planted duplicate must not hide the
/// genuine cookie.
pub(crate) fn cookie_values<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> impl Iterator<Item = &'a [u8]> {
    let name = name.as_bytes();
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|line| pairs(line.as_bytes()))
        .filter_map(move |pair| {
            trim_leading_space(pair)
                .strip_prefix(name)?
                .strip_prefix(b"=")
        })
}

/// The `;`-separated pairs of one `Cookie` line (memchr: this runs on every request).
fn pairs(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(b';', current) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fn trim_leading_space(pair: &[u8]) -> &[u8] {
    let start = pair
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(pair.len());
    &pair[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(lines: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for line in lines {
            h.append(COOKIE, HeaderValue::from_bytes(line).unwrap());
        }
        h
    }

    #[test]
    fn matches_the_exact_name_only() {
        let h = headers(&[
            b"__host-access=lower; __Host-Http-access2=x; x__Host-Http-access=y; __Host-Http-access=tok; z=1",
        ]);
        assert_eq!(
            find_cookie(&h, "__Host-Http-access", DuplicateCookies::Reject),
            CookieLookup::Found(b"tok")
        );
        let h = headers(&[b"__Host-Http-access =spaced"]);
        assert_eq!(
            find_cookie(&h, "__Host-Http-access", DuplicateCookies::Reject),
            CookieLookup::Missing
        );
    }

    #[test]
    fn reads_across_split_cookie_lines_and_detects_duplicates() {
        let h = headers(&[b"a=1", b"__Host-Http-access=tok"]);
        assert_eq!(
            find_cookie(&h, "__Host-Http-access", DuplicateCookies::Reject),
            CookieLookup::Found(b"tok")
        );
        let h = headers(&[b"__Host-Http-access=one", b"__Host-Http-access=two"]);
        assert_eq!(
            find_cookie(&h, "__Host-Http-access", DuplicateCookies::Reject),
            CookieLookup::Duplicate
        );
        assert_eq!(
            find_cookie(&h, "__Host-Http-access", DuplicateCookies::First),
            CookieLookup::Found(b"one")
        );
    }

    #[test]
    fn tolerates_non_utf8_bytes_around_the_cookie() {
        let h = headers(&[b"junk=\xff\xfe; __Host-Http-access=tok"]);
        assert_eq!(
            find_cookie(&h, "__Host-Http-access", DuplicateCookies::Reject),
            CookieLookup::Found(b"tok")
        );
    }
}
