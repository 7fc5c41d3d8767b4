//! CredentialedCors: the Fetch standard's CORS protocol
//! (<https://fetch.spec.whatwg.org/#http-cors-protocol>) for credentialed
//! requests, without the shortcuts that are unsafe with cookies.
//!
//! Tables marked "rs/cors" port the credentialed cases of rs/cors's
//! `cors_test.go` (TestSpec and the Test* functions: allowed/disallowed
//! origin, method, header, exposed headers, credentials, max-age, Private
//! Network Access, GHSA-mh55-gqvf-xfwm, rs/cors#184); tables marked
//! "expressjs" port expressjs/cors `test/test.js` (origin arrays, Vary,
//! credentials, maxAge, exposed headers, preflight short-circuit). Where those
//! libraries allow something unsafe for cookie sessions (`*`, reflecting any
//! origin, regexps, echoing any requested header) the row asserts the refusal.

use std::time::Duration;

use http::header::{self, HeaderName};
use http::{HeaderMap, Method, StatusCode};
use tower::{Layer, ServiceExt};
use tower_jwt_cookie::Rejection;
use tower_jwt_cookie::cors::{CorsConfigError, CredentialedCors};
use tower_jwt_cookie::rejection::CorsReason;

use crate::support::{Calls, request};

const ALLOWED: &str = "http://foobar.com";

fn cors() -> CredentialedCors {
    CredentialedCors::builder()
        .allow_origin(ALLOWED)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            HeaderName::from_static("x-header-1"),
            HeaderName::from_static("x-header-2"),
            header::CONTENT_TYPE,
        ])
        .build()
        .unwrap()
}

async fn run(
    cors: &CredentialedCors,
    method: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Option<Rejection>, usize) {
    let calls = Calls::default();
    let response = cors
        .layer(calls.service())
        .oneshot(request(method, "/foo", headers))
        .await
        .unwrap();
    let rejection = response.extensions().get::<Rejection>().cloned();
    (
        response.status(),
        response.headers().clone(),
        rejection,
        calls.get(),
    )
}

fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

fn vary(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

// ---- Build-time validation ------------------------------------------------

#[test]
fn refuses_wildcard_null_and_non_origins_at_build_time() {
    // rs/cors `AllowedOrigins: {"*"}`, expressjs `origin: true` / `'*'` / regexps:
    // all permissive with credentials, so all configuration errors here.
    #[rustfmt::skip]
    let bad = [
        "*", "null", "", "foobar.com", "http://*.foobar.com", "http://foobar.com/", "http://foobar.com/path",
        "http://foobar.com?x", "http://foobar.com#x", "/foo\\.com$/", "http://foo bar.com", "http://user@foobar.com",
    ];
    for origin in bad {
        let built = CredentialedCors::builder().allow_origin(origin).build();
        match built {
            Err(CorsConfigError::InvalidOrigin(error)) => {
                assert!(
                    error.to_string().contains("scheme://host[:port]"),
                    "{origin:?}: {error}"
                );
            }
            other => panic!("{origin:?} gave {other:?}"),
        }
    }
    let star = CredentialedCors::builder()
        .allow_origin("*")
        .build()
        .unwrap_err()
        .to_string();
    assert!(star.contains("wildcard"), "{star}");
    let null = CredentialedCors::builder()
        .allow_origin("null")
        .build()
        .unwrap_err()
        .to_string();
    assert!(null.contains("sandboxed"), "{null}");
}

#[test]
fn refuses_empty_allow_list_and_wildcard_methods_or_headers() {
    assert_eq!(
        CredentialedCors::builder().build().unwrap_err(),
        CorsConfigError::NoOrigins
    );
    let ok = || CredentialedCors::builder().allow_origin(ALLOWED);
    let star = HeaderName::from_static("*");
    assert_eq!(
        ok().allow_headers([star.clone()]).build().unwrap_err(),
        CorsConfigError::Wildcard("allowed headers")
    );
    assert_eq!(
        ok().expose_headers([star]).build().unwrap_err(),
        CorsConfigError::Wildcard("exposed headers")
    );
    let any = Method::from_bytes(b"*").unwrap();
    assert_eq!(
        ok().allow_methods([any]).build().unwrap_err(),
        CorsConfigError::Wildcard("allowed methods")
    );
    assert_eq!(
        ok().request_headers_limits(0, 1).build().unwrap_err(),
        CorsConfigError::ZeroBound
    );
}

#[test]
fn normalizes_allowed_origins_like_browsers_serialize_them() {
    let cors = CredentialedCors::builder()
        .allow_origins(["HTTPS://App.Example:443", "http://localhost:3000"])
        .build()
        .unwrap();
    let origins: Vec<&str> = cors.origins().iter().map(|o| o.as_str()).collect();
    assert_eq!(origins, ["https://app.example", "http://localhost:3000"]);
}

/// An origin spelled in a form browsers never send could never match; it is
/// refused with the spelling to use instead of being accepted silently.
#[tokio::test]
async fn ip_origins_not_in_browser_form_are_refused_with_the_form_to_use() {
    let error = CredentialedCors::builder()
        .allow_origin("http://[0:0::1]:3000")
        .build()
        .unwrap_err();
    let CorsConfigError::InvalidOrigin(origin_error) = &error else {
        panic!("unexpected error {error:?}");
    };
    assert_eq!(origin_error.suggestion(), Some("http://[::1]:3000"));
    assert!(
        error
            .to_string()
            .contains("write it as `http://[::1]:3000`"),
        "{error}"
    );
    for input in [
        "http://127.1",
        "http://0x7f.0.0.1",
        "http://[::FFFF:1.2.3.4]",
        "https://bücher.example",
    ] {
        assert!(
            matches!(
                CredentialedCors::builder().allow_origin(input).build(),
                Err(CorsConfigError::InvalidOrigin(_))
            ),
            "{input}"
        );
    }
    // The canonical spelling matches what a browser sends.
    let cors = CredentialedCors::builder()
        .allow_origin("http://[::1]:3000")
        .build()
        .unwrap();
    let (status, headers, rejection, calls) =
        run(&cors, "GET", &[("origin", "http://[::1]:3000")]).await;
    assert_eq!((status, rejection, calls), (StatusCode::OK, None, 1));
    assert_eq!(
        get(&headers, "access-control-allow-origin"),
        Some("http://[::1]:3000")
    );
}

// ---- Reflection and Vary (Fetch standard: CORS protocol and HTTP caches) ----

// rs/cors TestAllowedOrigin / TestDisallowedOrigin / TestAllowedCredentials;
// expressjs "matches request origin against array of origin checks",
// "doesn't match request origin against array of invalid origin checks".
#[tokio::test]
async fn reflects_only_allow_listed_origins_exactly_with_credentials() {
    #[rustfmt::skip]
    let table: &[(&str, Option<&str>)] = &[
        (ALLOWED, Some(ALLOWED)),
        ("http://barbaz.com", None),
        ("http://foobar.com.evil.example", None),   // suffix (unanchored regexp bug class)
        ("http://evilfoobar.com", None),             // expressjs /foo\.com$/ would match this
        ("https://foobar.com", None),                // other scheme
        ("http://foobar.com:8080", None),            // other port
        ("http://FOOBAR.com", None),                 // browsers send lower case; exact match
        ("http://foobar.com/", None),
        ("null", None),
        ("*", None),
    ];
    for (origin, expected) in table {
        let (status, headers, _, calls) = run(&cors(), "GET", &[("origin", origin)]).await;
        assert_eq!((status, calls), (StatusCode::OK, 1), "{origin}");
        assert_eq!(
            get(&headers, "access-control-allow-origin"),
            *expected,
            "{origin}"
        );
        assert_eq!(
            get(&headers, "access-control-allow-credentials"),
            expected.map(|_| "true"),
            "{origin}"
        );
        assert_eq!(
            vary(&headers),
            ["origin"],
            "{origin}: Vary: Origin allowed or not"
        );
        assert!(
            headers.get("access-control-allow-methods").is_none(),
            "{origin}: not a preflight"
        );
    }
}

#[tokio::test]
async fn vary_origin_is_on_every_response_even_without_origin() {
    let (_, headers, _, _) = run(&cors(), "GET", &[]).await;
    assert_eq!(vary(&headers), ["origin"]);
    assert!(headers.get("access-control-allow-origin").is_none());
    // A repeated Origin header is not reflected.
    let (_, headers, _, _) = run(&cors(), "GET", &[("origin", ALLOWED), ("origin", ALLOWED)]).await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

// rs/cors TestExposedHeader; expressjs "can specify exposed headers".
#[tokio::test]
async fn exposes_configured_headers_only_to_allowed_origins() {
    let cors = CredentialedCors::builder()
        .allow_origin(ALLOWED)
        .expose_headers([
            HeaderName::from_static("x-header-1"),
            HeaderName::from_static("x-header-2"),
        ])
        .build()
        .unwrap();
    let (_, headers, _, _) = run(&cors, "GET", &[("origin", ALLOWED)]).await;
    assert_eq!(
        get(&headers, "access-control-expose-headers"),
        Some("x-header-1,x-header-2")
    );
    let (_, headers, _, _) = run(&cors, "GET", &[("origin", "http://barbaz.com")]).await;
    assert!(headers.get("access-control-expose-headers").is_none());
}

// ---- Preflight ------------------------------------------------------------

// rs/cors TestAllowedMethod / TestAllowedHeader / TestOriginHeader /
// TestAllowedCredentials; expressjs "shortcircuits preflight requests",
// "overrides defaults" (credentials, maxAge).
#[tokio::test]
async fn preflight_is_answered_204_before_the_inner_service_and_echoes_only_what_was_requested() {
    let cors = CredentialedCors::builder()
        .allow_origin(ALLOWED)
        .allow_methods([Method::PUT, Method::DELETE])
        .allow_headers([
            HeaderName::from_static("x-header-1"),
            HeaderName::from_static("x-header-2"),
        ])
        .max_age(Duration::from_secs(123))
        .build()
        .unwrap();
    let (status, headers, rejection, calls) = run(
        &cors,
        "OPTIONS",
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "X-Header-2, X-HEADER-1"),
        ],
    )
    .await;
    assert_eq!(
        (status, calls, rejection),
        (StatusCode::NO_CONTENT, 0, None)
    );
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        get(&headers, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        get(&headers, "access-control-allow-methods"),
        Some("PUT"),
        "only the requested method"
    );
    assert_eq!(
        get(&headers, "access-control-allow-headers"),
        Some("x-header-2,x-header-1"),
        "only the requested headers"
    );
    assert_eq!(get(&headers, "access-control-max-age"), Some("123"));
    assert_eq!(
        vary(&headers),
        ["origin, access-control-request-method, access-control-request-headers"]
    );
    assert!(
        headers
            .get("access-control-allow-private-network")
            .is_none()
    );

    // No requested headers: no Access-Control-Allow-Headers at all.
    let (_, headers, _, _) = run(
        &cors,
        "OPTIONS",
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "DELETE"),
        ],
    )
    .await;
    assert_eq!(
        get(&headers, "access-control-allow-methods"),
        Some("DELETE")
    );
    assert!(headers.get("access-control-allow-headers").is_none());
}

type Headers = &'static [(&'static str, &'static str)];

// rs/cors TestDisallowedOrigin/Method/Header (preflight variants).
#[tokio::test]
async fn refused_preflights_carry_the_reason_and_no_grant() {
    #[rustfmt::skip]
    let table: &[(&str, Headers, CorsReason)] = &[
        ("disallowed origin", &[("origin", "http://barbaz.com"), ("access-control-request-method", "GET")], CorsReason::OriginNotAllowed),
        ("no origin", &[("access-control-request-method", "GET")], CorsReason::OriginNotAllowed),
        ("disallowed method", &[("origin", ALLOWED), ("access-control-request-method", "PATCH")], CorsReason::MethodNotAllowed),
        ("method case matters", &[("origin", ALLOWED), ("access-control-request-method", "put")], CorsReason::MethodNotAllowed),
        ("repeated request method", &[("origin", ALLOWED), ("access-control-request-method", "GET"), ("access-control-request-method", "GET")], CorsReason::MethodNotAllowed),
        ("one disallowed header refuses all", &[("origin", ALLOWED), ("access-control-request-method", "GET"), ("access-control-request-headers", "X-Header-3, X-Header-1")], CorsReason::HeaderNotAllowed),
        ("authorization is not implied", &[("origin", ALLOWED), ("access-control-request-method", "GET"), ("access-control-request-headers", "authorization")], CorsReason::HeaderNotAllowed),
    ];
    for (name, headers, reason) in table {
        let (status, out, rejection, calls) = run(&cors(), "OPTIONS", headers).await;
        assert_eq!((status, calls), (StatusCode::FORBIDDEN, 0), "{name}");
        assert_eq!(rejection, Some(Rejection::Cors(*reason)), "{name}");
        for grant in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-allow-methods",
            "access-control-allow-headers",
        ] {
            assert!(out.get(grant).is_none(), "{name}: {grant} must not be sent");
        }
        assert!(
            vary(&out).iter().any(|v| v.contains("origin")),
            "{name}: Vary: Origin"
        );
        assert!(out.get(header::WWW_AUTHENTICATE).is_none(), "{name}");
    }
}

// expressjs "passes control to next middleware" for non-preflight OPTIONS.
#[tokio::test]
async fn options_without_request_method_is_an_ordinary_request() {
    let (status, headers, rejection, calls) = run(&cors(), "OPTIONS", &[("origin", ALLOWED)]).await;
    assert_eq!((status, calls, rejection), (StatusCode::OK, 1, None));
    assert_eq!(get(&headers, "access-control-allow-origin"), Some(ALLOWED));
    assert!(headers.get("access-control-allow-methods").is_none());
}

// ---- Access-Control-Request-Headers parsing (GHSA-mh55-gqvf-xfwm) ----------

// rs/cors#184: the list split over several header lines.
#[tokio::test]
async fn request_headers_split_over_several_lines_are_accepted() {
    let (status, headers, _, _) = run(
        &cors(),
        "OPTIONS",
        &[
            ("origin", ALLOWED),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-header-1"),
            ("access-control-request-headers", "content-type,x-header-2"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        get(&headers, "access-control-allow-headers"),
        Some("x-header-1,content-type,x-header-2")
    );
}

// rs/cors GHSA-mh55-gqvf-xfwm: a list of many commas must not cost memory or time.
#[tokio::test]
async fn request_headers_are_bounded_in_length_and_count() {
    let commas = ",".repeat(100_000);
    let many = vec!["x-header-1"; 65].join(",");
    let long_lines: Vec<String> = (0..300).map(|_| "x-header-1".to_owned()).collect();
    for (name, values) in [
        ("commas", vec![commas]),
        ("65 names", vec![many]),
        ("many lines", long_lines),
    ] {
        let mut headers = vec![
            ("origin", ALLOWED),
            ("access-control-request-method", "GET"),
        ];
        headers.extend(
            values
                .iter()
                .map(|v| ("access-control-request-headers", v.as_str())),
        );
        let (status, _, rejection, _) = run(&cors(), "OPTIONS", &headers).await;
        assert_eq!(
            (status, rejection),
            (
                StatusCode::FORBIDDEN,
                Some(Rejection::Cors(CorsReason::TooManyHeaders))
            ),
            "{name}"
        );
    }
    // Within the bounds, empty elements are skipped rather than counted.
    let sparse = [
        ("origin", ALLOWED),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", ",, x-header-1 ,,"),
    ];
    assert_eq!(
        run(&cors(), "OPTIONS", &sparse).await.0,
        StatusCode::NO_CONTENT
    );
}

// ---- Private Network Access (WICG Private Network Access draft) ------------

// rs/cors TestSpec "PrivateNetworkAccess" rows.
#[tokio::test]
async fn private_network_access_only_on_opt_in() {
    let pna = [
        ("origin", ALLOWED),
        ("access-control-request-method", "GET"),
        ("access-control-request-private-network", "true"),
    ];
    let (_, headers, _, _) = run(&cors(), "OPTIONS", &pna).await;
    assert!(
        headers
            .get("access-control-allow-private-network")
            .is_none(),
        "off by default"
    );
    let opted_in = CredentialedCors::builder()
        .allow_origin(ALLOWED)
        .allow_private_network(true)
        .build()
        .unwrap();
    let (_, headers, _, _) = run(&opted_in, "OPTIONS", &pna).await;
    assert_eq!(
        get(&headers, "access-control-allow-private-network"),
        Some("true")
    );
    // Only when the browser asks for it.
    let (_, headers, _, _) = run(&opted_in, "OPTIONS", &pna[..2]).await;
    assert!(
        headers
            .get("access-control-allow-private-network")
            .is_none()
    );
}

// ---- Handler headers and observability --------------------------------------

#[tokio::test]
async fn inner_cors_grants_are_removed_for_origins_not_on_the_list() {
    let cors = cors();
    let leaky = tower::service_fn(|_: http::Request<String>| async {
        let mut response = http::Response::new(String::new());
        response
            .headers_mut()
            .insert("access-control-allow-origin", "*".parse().unwrap());
        response
            .headers_mut()
            .insert(header::VARY, "accept-encoding".parse().unwrap());
        Ok::<_, std::convert::Infallible>(response)
    });
    let response = cors
        .layer(leaky)
        .oneshot(request("GET", "/", &[("origin", "http://barbaz.com")]))
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // expressjs "appends to an existing Vary header".
    assert_eq!(vary(response.headers()), ["accept-encoding", "origin"]);
}

#[test]
fn refused_preflight_is_explained_in_a_tracing_event() {
    let capture = crate::support::capture::Capture::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let headers = [
            ("origin", ALLOWED),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-secret-header"),
        ];
        assert_eq!(
            run(&cors(), "OPTIONS", &headers).await.0,
            StatusCode::FORBIDDEN
        );
    });
    let events = capture.text();
    assert!(
        events.contains("x-secret-header"),
        "the offending header is named: {events}"
    );
    assert!(
        events.contains("cors_header_not_allowed"),
        "the reason is named: {events}"
    );
    assert!(events.contains(ALLOWED), "the origin is named: {events}");
}
