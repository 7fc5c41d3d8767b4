//! Reading token cookies: the exact, case-sensitive name, without parsing
//! every cookie in the header.
//!
//! Duplicate names: a `Cookie` header can carry the same name twice (a cookie
//! set for a parent domain or another path, possibly by an attacker on a
//! sibling subdomain: "cookie tossing"). By default that request is refused
//! with [`Rejection::DuplicateCookie`](crate::Rejection::DuplicateCookie)
//! rather than guessing which one is genuine; [`DuplicateCookies::First`]
//! takes the first, which browsers order most-specific path first.

use http::HeaderMap;
use http::header::COOKIE;

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
    let name = name.as_bytes();
    let mut found = None;
    for line in headers.get_all(COOKIE) {
        for pair in line.as_bytes().split(|&b| b == b';') {
            let pair = trim_leading_space(pair);
            let Some(value) = pair
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(b"="))
            else {
                continue;
            };
            if found.is_some() {
                return CookieLookup::Duplicate;
            }
            if duplicates == DuplicateCookies::First {
                return CookieLookup::Found(value);
            }
            found = Some(value);
        }
    }
    found.map_or(CookieLookup::Missing, CookieLookup::Found)
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
            b"__host-access=lower; __Host-access2=x; x__Host-access=y; __Host-access=tok; z=1",
        ]);
        assert_eq!(
            find_cookie(&h, "__Host-access", DuplicateCookies::Reject),
            CookieLookup::Found(b"tok")
        );
        let h = headers(&[b"__Host-access =spaced"]);
        assert_eq!(
            find_cookie(&h, "__Host-access", DuplicateCookies::Reject),
            CookieLookup::Missing
        );
    }

    #[test]
    fn reads_across_split_cookie_lines_and_detects_duplicates() {
        let h = headers(&[b"a=1", b"__Host-access=tok"]);
        assert_eq!(
            find_cookie(&h, "__Host-access", DuplicateCookies::Reject),
            CookieLookup::Found(b"tok")
        );
        let h = headers(&[b"__Host-access=one", b"__Host-access=two"]);
        assert_eq!(
            find_cookie(&h, "__Host-access", DuplicateCookies::Reject),
            CookieLookup::Duplicate
        );
        assert_eq!(
            find_cookie(&h, "__Host-access", DuplicateCookies::First),
            CookieLookup::Found(b"one")
        );
    }

    #[test]
    fn tolerates_non_utf8_bytes_around_the_cookie() {
        let h = headers(&[b"junk=\xff\xfe; __Host-access=tok"]);
        assert_eq!(
            find_cookie(&h, "__Host-access", DuplicateCookies::Reject),
            CookieLookup::Found(b"tok")
        );
    }
}
