//! Headers that must appear exactly once.
//!
//! A repeated `Origin`, `Host` or token header is ambiguous (which one did the
//! browser send, which one did a proxy add?), so every check that reads one
//! of them distinguishes absent, once and many, and decides about "many"
//! explicitly instead of silently taking the first value.

use http::HeaderMap;
use http::header::{AUTHORIZATION, AsHeaderName, HeaderValue};

use crate::rejection::Rejection;

/// How often a header appears in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Single<'a> {
    /// Not at all.
    Absent,
    /// Exactly once, with this value.
    One(&'a HeaderValue),
    /// More than once.
    Many,
}

/// Looks `name` up and says whether it is absent, present once, or repeated.
pub(crate) fn single<K: AsHeaderName>(headers: &HeaderMap, name: K) -> Single<'_> {
    let mut values = headers.get_all(name).into_iter();
    match (values.next(), values.next()) {
        (None, _) => Single::Absent,
        (Some(value), None) => Single::One(value),
        (Some(_), Some(_)) => Single::Many,
    }
}

/// `Authorization: Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1).
/// Other schemes are ignored; more than one `Authorization` line is refused.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<Option<&[u8]>, Rejection> {
    let value = match single(headers, AUTHORIZATION) {
        Single::Absent => return Ok(None),
        Single::Many => return Err(Rejection::Malformed("more than one Authorization header")),
        Single::One(value) => value,
    };
    let value = value.as_bytes();
    let Some(scheme) = value.get(..7) else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return Ok(None);
    }
    let token = value[7..].trim_ascii();
    if token.is_empty() {
        return Err(Rejection::MissingToken);
    }
    Ok(Some(token))
}
