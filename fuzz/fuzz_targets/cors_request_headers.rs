//! The CORS preflight's `Access-Control-Request-Headers` parser, through the
//! public layer. Lines split on `\n` are header lines. Model: the names are
//! the comma-separated elements of every line, trimmed, empty ones skipped;
//! the preflight succeeds (204) exactly when the lines total at most 64
//! bytes, there are at most 4 names, and every name is allowed (ASCII case
//! ignored) — and then `Access-Control-Allow-Headers` echoes them lower-cased.
//! Otherwise it is refused with 403 and no CORS grant.
#![no_main]

use std::convert::Infallible;
use std::sync::LazyLock;

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_HEADERS,
    HeaderName,
};
use http::{HeaderValue, Method, Request, Response};
use libfuzzer_sys::fuzz_target;
use tower::{ServiceExt, service_fn};
use tower_jwt_cookie::CredentialedCors;
use tower_jwt_cookie_fuzz::block_on;

const MAX_LEN: usize = 64;
const MAX_NAMES: usize = 4;
const ALLOWED: [&str; 3] = ["content-type", "x-csrf-token", "authorization"];

static CORS: LazyLock<CredentialedCors> = LazyLock::new(|| {
    CredentialedCors::builder()
        .allow_origin("https://spa.example")
        .allow_methods([Method::POST])
        .allow_headers(ALLOWED.map(HeaderName::from_static))
        .request_headers_limits(MAX_LEN, MAX_NAMES)
        .build()
        .unwrap()
});

fn model(lines: &[&[u8]]) -> Option<String> {
    if lines.iter().map(|l| l.len()).sum::<usize>() > MAX_LEN {
        return None;
    }
    let names: Vec<&[u8]> = lines
        .iter()
        .flat_map(|l| l.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|n| !n.is_empty())
        .collect();
    if names.len() > MAX_NAMES {
        return None;
    }
    let mut echo = Vec::new();
    for name in names {
        echo.push(
            *ALLOWED
                .iter()
                .find(|a| a.as_bytes().eq_ignore_ascii_case(name))?,
        );
    }
    Some(echo.join(","))
}

fuzz_target!(|data: &[u8]| {
    let mut request = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/notes")
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "POST");
    let mut lines = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            request = request.header(ACCESS_CONTROL_REQUEST_HEADERS, value);
            lines.push(line);
        }
    }
    let request = request.body(String::new()).unwrap();
    let inner = service_fn(|_: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    });
    let service = tower::Layer::layer(&*CORS, inner);
    let response = block_on(service.oneshot(request)).unwrap();
    let echoed = response
        .headers()
        .get(ACCESS_CONTROL_ALLOW_HEADERS)
        .map(|v| v.to_str().unwrap().to_owned());
    match model(&lines) {
        Some(expected) => {
            assert_eq!(response.status(), 204);
            assert_eq!(echoed.unwrap_or_default(), expected);
        }
        None => {
            assert_eq!(response.status(), 403);
            assert!(echoed.is_none());
            assert!(
                response
                    .headers()
                    .get(ACCESS_CONTROL_ALLOW_ORIGIN)
                    .is_none()
            );
        }
    }
});
