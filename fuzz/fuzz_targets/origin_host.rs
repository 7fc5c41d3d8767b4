//! `Origin` parsing and the CSRF guard's `Origin`/`Host` comparison.
//!
//! The input is `origin \n host`.
//! * Parse → format → parse round-trips: a parsed origin re-parses to
//!   itself, from `Display` and from its scheme plus `host_port()`; it is
//!   lower case, has no path, and its default port is gone.
//! * The guard (no trusted origins, no `Sec-Fetch-Site`) accepts an unsafe
//!   request exactly when the model says so: `Origin` is not `null`, has a
//!   `://`, and what follows equals the non-empty `Host`, ignoring ASCII case.
//! * A trusted origin is accepted cross-site only when `Origin` is its
//!   exact serialization.
#![no_main]

use std::convert::Infallible;
use std::sync::LazyLock;

use http::{Method, Request, Response};
use libfuzzer_sys::fuzz_target;
use tower::{ServiceExt, service_fn};
use tower_jwt_cookie::CsrfSameSiteGuard;
use tower_jwt_cookie::origin::Origin;
use tower_jwt_cookie_fuzz::block_on;

fn round_trip(input: &str) -> Option<Origin> {
    let origin = Origin::parse(input).ok()?;
    let text = origin.as_str();
    assert_eq!(Origin::parse(text).as_ref(), Ok(&origin), "{input:?}");
    assert_eq!(Origin::parse(&origin.to_string()).as_ref(), Ok(&origin));
    let (scheme, host_port) = text.split_once("://").unwrap();
    assert_eq!(host_port, origin.host_port());
    assert_eq!(
        Origin::parse(&format!("{scheme}://{host_port}")).as_ref(),
        Ok(&origin)
    );
    assert!(!text.bytes().any(|b| b.is_ascii_uppercase()), "{text}");
    assert!(!host_port.contains(['/', '?', '#', '@']), "{text}");
    let default_port = match scheme {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default_port {
        assert!(!host_port.ends_with(port), "{text}");
    }
    Some(origin)
}

static GUARD: LazyLock<CsrfSameSiteGuard> = LazyLock::new(CsrfSameSiteGuard::new);

fn accepted(guard: &CsrfSameSiteGuard, origin: &[u8], host: &[u8], cross_site: bool) -> bool {
    let mut request = Request::builder().method(Method::POST).uri("/notes");
    if !origin.is_empty() {
        request = request.header("origin", origin);
    }
    if !host.is_empty() {
        request = request.header("host", host);
    }
    if cross_site {
        request = request.header("sec-fetch-site", "cross-site");
    }
    let Ok(request) = request.body(String::new()) else {
        return false;
    };
    let inner = service_fn(|_: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    });
    let service = tower::Layer::layer(guard, inner);
    let status = block_on(service.oneshot(request)).unwrap().status();
    assert!(status == 200 || status == 403, "{status}");
    status == 200
}

fuzz_target!(|data: &[u8]| {
    let (origin, host) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let valid_header = |v: &[u8]| v.is_empty() || http::HeaderValue::from_bytes(v).is_ok();
    if !valid_header(origin) || !valid_header(host) {
        return;
    }
    // Without Origin the guard passes non-browser clients: not this model.
    if !origin.is_empty() {
        let expected = origin != b"null"
            && !host.is_empty()
            && origin
                .windows(3)
                .position(|w| w == b"://")
                .is_some_and(|i| origin[i + 3..].eq_ignore_ascii_case(host));
        assert_eq!(accepted(&GUARD, origin, host, false), expected);
    }
    let Some(parsed) = std::str::from_utf8(origin).ok().and_then(round_trip) else {
        return;
    };
    assert!(accepted(
        &GUARD,
        parsed.as_str().as_bytes(),
        parsed.host_port().as_bytes(),
        false
    ));
    let Ok(trusting) = CsrfSameSiteGuard::builder()
        .trusted_origin(parsed.as_str())
        .build()
    else {
        return;
    };
    assert!(accepted(&trusting, parsed.as_str().as_bytes(), b"", true));
    assert_eq!(
        accepted(&trusting, origin, b"", true),
        origin == parsed.as_str().as_bytes()
    );
});
