//! Bounded parsing of `Access-Control-Request-Headers`.
//!
//! The value is a comma-separated list of header names, possibly split over
//! several header lines (rs/cors#184: some proxies and HTTP/2 stacks do that).
//! A hostile value full of commas must not cost memory or time proportional
//! to its size (rs/cors GHSA-mh55-gqvf-xfwm), so the total length and the
//! number of names are bounded before anything is allocated, and the parser
//! allocates nothing but the echoed list.

use http::HeaderMap;
use http::header::{ACCESS_CONTROL_REQUEST_HEADERS, HeaderName};

use crate::rejection::CorsReason;

/// Checks every requested name against `allowed` (lower case) and returns the
/// lower-cased list to echo, or why the preflight must be refused. Empty
/// elements (`a,,b`, trailing commas) are skipped.
pub(crate) fn check_request_headers(
    headers: &HeaderMap,
    allowed: &[HeaderName],
    max_len: usize,
    max_count: usize,
) -> Result<String, CorsReason> {
    let lines = headers.get_all(ACCESS_CONTROL_REQUEST_HEADERS);
    let mut total = 0usize;
    for line in lines.iter() {
        total = total.saturating_add(line.len());
        if total > max_len {
            return Err(CorsReason::TooManyHeaders);
        }
    }
    let mut echo = String::new();
    let mut count = 0usize;
    for line in lines {
        for element in line.as_bytes().split(|&b| b == b',') {
            let name = element.trim_ascii();
            if name.is_empty() {
                continue;
            }
            count += 1;
            if count > max_count {
                return Err(CorsReason::TooManyHeaders);
            }
            let Some(allowed) = allowed
                .iter()
                .find(|a| a.as_str().as_bytes().eq_ignore_ascii_case(name))
            else {
                tracing::info!(
                    header = %String::from_utf8_lossy(&name[..name.len().min(64)]),
                    "CORS preflight refused: requested header is not in allow_headers"
                );
                return Err(CorsReason::HeaderNotAllowed);
            };
            if !echo.is_empty() {
                echo.push(',');
            }
            echo.push_str(allowed.as_str());
        }
    }
    Ok(echo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn map(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(
                ACCESS_CONTROL_REQUEST_HEADERS,
                HeaderValue::from_str(l).unwrap(),
            );
        }
        h
    }

    #[test]
    fn joins_lines_and_skips_empty_elements() {
        let allowed = [
            HeaderName::from_static("x-a"),
            HeaderName::from_static("x-b"),
        ];
        let got = check_request_headers(&map(&["X-A, ,", "x-b"]), &allowed, 100, 10).unwrap();
        assert_eq!(got, "x-a,x-b");
    }

    #[test]
    fn bounds_length_and_count() {
        let allowed = [HeaderName::from_static("x-a")];
        let commas = ",".repeat(5000);
        assert_eq!(
            check_request_headers(&map(&[&commas]), &allowed, 2048, 64),
            Err(CorsReason::TooManyHeaders)
        );
        let many = vec!["x-a"; 65].join(",");
        assert_eq!(
            check_request_headers(&map(&[&many]), &allowed, 2048, 64),
            Err(CorsReason::TooManyHeaders)
        );
    }
}
