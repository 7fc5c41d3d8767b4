//! The `Cookie` header reader against a plain model: lines split on `\n`
//! (each a `Cookie` header line), pairs on `;`, leading spaces and tabs
//! dropped, the name matched byte for byte up to `=`. The first line names
//! the cookie looked for (or the default access cookie when it is empty).
#![no_main]

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use tower_jwt_cookie::__fuzz::{cookie_values, token_cookie};
use tower_jwt_cookie::Rejection;
use tower_jwt_cookie::cookie::DuplicateCookies;

fn model<'a>(lines: &[&'a [u8]], name: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for line in lines {
        for pair in line.split(|&b| b == b';') {
            let start = pair
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(pair.len());
            let pair = &pair[start..];
            if pair.len() > name.len() && pair.starts_with(name) && pair[name.len()] == b'=' {
                out.push(&pair[name.len() + 1..]);
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == b'\n');
    let name = parts.next().unwrap_or_default();
    let Ok(name) = std::str::from_utf8(name) else {
        return;
    };
    let name = if name.is_empty() {
        "__Host-access"
    } else {
        name
    };
    let mut headers = HeaderMap::new();
    let mut lines = Vec::new();
    for line in parts {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
            lines.push(line);
        }
    }
    let found: Vec<&[u8]> = cookie_values(&headers, name).collect();
    assert_eq!(found, model(&lines, name.as_bytes()));
    for value in &found {
        assert!(!value.contains(&b';'), "a value runs past its pair");
    }
    let expected = match found.as_slice() {
        [] | [[]] => Err(Rejection::MissingToken),
        [one] => Ok(*one),
        _ => Err(Rejection::DuplicateCookie),
    };
    assert_eq!(
        token_cookie(&headers, name, DuplicateCookies::Reject),
        expected
    );
    let first = match found.first() {
        None | Some([]) => Err(Rejection::MissingToken),
        Some(value) => Ok(*value),
    };
    assert_eq!(token_cookie(&headers, name, DuplicateCookies::First), first);
});
