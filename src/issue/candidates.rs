//! Choosing among several values of one token cookie.
//!
//! A browser sends every cookie whose domain and path match, longer paths
//! first (RFC 6265bis §5.8.3), so a sibling subdomain can plant values of a
//! `__Http-` or `__Secure-` cookie (those prefixes bind `Secure`, not the
//! host) that arrive before the genuine one. Refresh and logout therefore
//! read every value:
//!
//! * a value that fails the cheap structure check (length, base64url
//!   alphabet, three parts) is skipped and does not count;
//! * at most [`MAX_CANDIDATES`] well-formed values have their signature
//!   checked; a request carrying more is refused as
//!   [`Rejection::DuplicateCookie`] rather than answered on a guess, so
//!   planted values can neither hide the genuine cookie nor make a logout
//!   report success while the session lives on.

use http::HeaderMap;

use crate::cookie::cookie_values;
use crate::rejection::Rejection;
use crate::token::decode::CompactToken;

/// At most this many well-formed values of one cookie are signature-checked.
pub(crate) const MAX_CANDIDATES: usize = 4;

/// The well-formed values of one cookie.
pub(crate) struct Candidates<'a> {
    /// Every value that could be a token, in header order.
    pub(crate) tokens: Vec<&'a [u8]>,
    /// Why the first non-empty value that could not be a token was refused:
    /// the answer when there is nothing else.
    pub(crate) junk: Option<Rejection>,
}

/// The values of cookie `name` that pass the structure check of a token of
/// at most `max_len` bytes; empty values count as absent. Refused with
/// [`Rejection::DuplicateCookie`] when more than [`MAX_CANDIDATES`] do.
pub(crate) fn candidates<'a>(
    headers: &'a HeaderMap,
    name: &str,
    max_len: usize,
) -> Result<Candidates<'a>, Rejection> {
    let mut found = Candidates {
        tokens: Vec::new(),
        junk: None,
    };
    for value in cookie_values(headers, name).filter(|v| !v.is_empty()) {
        match CompactToken::split(value, max_len) {
            Ok(_) if found.tokens.len() == MAX_CANDIDATES => {
                return Err(Rejection::DuplicateCookie);
            }
            Ok(_) => found.tokens.push(value),
            Err(rejection) => {
                found.junk.get_or_insert(rejection);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::COOKIE;

    const TOKEN: &str = "eyJh.eyJi.c2ln";

    fn headers(line: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, line.parse().unwrap());
        h
    }

    #[test]
    fn junk_values_do_not_use_up_the_bound() {
        let line = format!("r=x; r=y; r=z; r=w; r=!!; r=; r={TOKEN}");
        let headers = headers(&line);
        let found = candidates(&headers, "r", 8192).unwrap();
        assert_eq!(found.tokens, vec![TOKEN.as_bytes()]);
        assert!(matches!(found.junk, Some(Rejection::Malformed(_))));
    }

    #[test]
    fn more_well_formed_values_than_the_bound_are_refused() {
        let line = vec![format!("r={TOKEN}"); MAX_CANDIDATES + 1].join("; ");
        assert_eq!(
            candidates(&headers(&line), "r", 8192).err(),
            Some(Rejection::DuplicateCookie)
        );
        let line = vec![format!("r={TOKEN}"); MAX_CANDIDATES].join("; ");
        assert_eq!(
            candidates(&headers(&line), "r", 8192).unwrap().tokens.len(),
            MAX_CANDIDATES
        );
    }

    #[test]
    fn empty_values_are_absent() {
        let headers = headers("r=");
        let found = candidates(&headers, "r", 8192).unwrap();
        assert!(found.tokens.is_empty() && found.junk.is_none());
    }
}
