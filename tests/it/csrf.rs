//! CsrfSameSiteGuard (Fetch Metadata `Sec-Fetch-Site`, then `Origin`
//! against `Host`) and the signed double-submit check.
//!
//! The tables marked "Go" are ports of `src/net/http/csrf_test.go` (Go 1.25,
//! `CrossOriginProtection`, including the CVE-2025-47910 fix and
//! go.dev/issue/75054); each Go request targets `https://example.com/`, so
//! `Host: example.com` here.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Method, Response, StatusCode};
use tower::{Layer, ServiceExt};
use tower_jwt_cookie::Rejection;
use tower_jwt_cookie::csrf::{CsrfConfigError, CsrfSameSiteGuard};
use tower_jwt_cookie::rejection::CsrfReason;
use tower_jwt_cookie::rejection::RequestInfo;

use crate::support::{Calls, body_bytes, request};

/// Runs one request through `guard` and returns (status, rejection, handler calls).
async fn run(
    guard: &CsrfSameSiteGuard,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<Rejection>, usize) {
    let calls = Calls::default();
    let response = guard
        .layer(calls.service())
        .oneshot(request(method, path, headers))
        .await
        .unwrap();
    (
        response.status(),
        response.extensions().get::<Rejection>().cloned(),
        calls.get(),
    )
}

fn csrf(reason: CsrfReason) -> Option<Rejection> {
    Some(Rejection::Csrf(reason))
}

#[tokio::test]
async fn refuses_cross_site_post_before_handler_runs() {
    let guard = CsrfSameSiteGuard::new();
    let calls = Calls::default();
    let forged = request(
        "POST",
        "/api/transfer",
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://attacker.example"),
        ],
    );
    let response = guard.layer(calls.service()).oneshot(forged).await.unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        calls.get(),
        0,
        "the handler must never run for a refused request"
    );
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::Csrf(CsrfReason::CrossSite))
    );
    assert!(
        response.headers().get(WWW_AUTHENTICATE).is_none(),
        "a CSRF refusal is not an authentication challenge"
    );
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let body: serde_json::Value =
        serde_json::from_slice(&body_bytes(response.into_body()).await).unwrap();
    assert_eq!(body["error"], "csrf_cross_site");
}

#[tokio::test]
async fn safe_methods_are_exactly_get_head_options() {
    let guard = CsrfSameSiteGuard::new();
    let cross = [("sec-fetch-site", "cross-site")];
    for method in ["GET", "HEAD", "OPTIONS"] {
        assert_eq!(
            run(&guard, method, "/", &cross).await,
            (StatusCode::OK, None, 1),
            "{method}"
        );
    }
    for method in [
        "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND", "get",
    ] {
        assert_eq!(
            run(&guard, method, "/", &cross).await,
            (StatusCode::FORBIDDEN, csrf(CsrfReason::CrossSite), 0),
            "{method} must be checked"
        );
    }
}

/// name, method, Sec-Fetch-Site, Origin, status, reason.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    StatusCode,
    Option<CsrfReason>,
);

// Go: TestCrossOriginProtectionSecFetchSite.
#[tokio::test]
async fn sec_fetch_site_and_origin_table_from_go() {
    let guard = CsrfSameSiteGuard::new();
    #[rustfmt::skip]
    let table: &[Row] = &[
        ("same-origin allowed", "POST", "same-origin", "", StatusCode::OK, None),
        ("none allowed", "POST", "none", "", StatusCode::OK, None),
        ("cross-site blocked", "POST", "cross-site", "", StatusCode::FORBIDDEN, Some(CsrfReason::CrossSite)),
        ("same-site blocked", "POST", "same-site", "", StatusCode::FORBIDDEN, Some(CsrfReason::SameSite)),
        ("no header with no origin", "POST", "", "", StatusCode::OK, None),
        ("no header with matching origin", "POST", "", "https://example.com", StatusCode::OK, None),
        ("no header with mismatched origin", "POST", "", "https://attacker.example", StatusCode::FORBIDDEN, Some(CsrfReason::OriginMismatch)),
        ("no header with null origin", "POST", "", "null", StatusCode::FORBIDDEN, Some(CsrfReason::NullOrigin)),
        ("GET allowed", "GET", "cross-site", "", StatusCode::OK, None),
        ("HEAD allowed", "HEAD", "cross-site", "", StatusCode::OK, None),
        ("OPTIONS allowed", "OPTIONS", "cross-site", "", StatusCode::OK, None),
        ("PUT blocked", "PUT", "cross-site", "", StatusCode::FORBIDDEN, Some(CsrfReason::CrossSite)),
    ];
    for (name, method, site, origin, status, reason) in table {
        let mut headers = Vec::new();
        if !site.is_empty() {
            headers.push(("sec-fetch-site", *site));
        }
        if !origin.is_empty() {
            headers.push(("origin", *origin));
        }
        let (got, rejection, calls) = run(&guard, method, "/", &headers).await;
        assert_eq!(got, *status, "{name}");
        assert_eq!(rejection, reason.map(Rejection::Csrf), "{name}");
        assert_eq!(calls, usize::from(status.is_success()), "{name}");
    }
}

#[tokio::test]
async fn same_site_is_allowed_only_with_explicit_opt_in() {
    let headers = [
        ("sec-fetch-site", "same-site"),
        ("origin", "https://other.example.com"),
    ];
    let default = CsrfSameSiteGuard::new();
    assert_eq!(
        run(&default, "POST", "/", &headers).await.0,
        StatusCode::FORBIDDEN
    );
    let opted_in = CsrfSameSiteGuard::builder()
        .allow_same_site(true)
        .build()
        .unwrap();
    assert_eq!(
        run(&opted_in, "POST", "/", &headers).await,
        (StatusCode::OK, None, 1)
    );
    // The opt-in is for same-site only; cross-site stays refused.
    assert_eq!(
        run(&opted_in, "POST", "/", &[("sec-fetch-site", "cross-site")])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn refuses_unknown_or_repeated_sec_fetch_site_values() {
    let guard = CsrfSameSiteGuard::new();
    for value in [
        "Same-Origin",
        "same-origin ",
        "cross-origin",
        "",
        "same-origin, none",
    ] {
        assert_eq!(
            run(&guard, "POST", "/", &[("sec-fetch-site", value)]).await,
            (StatusCode::FORBIDDEN, csrf(CsrfReason::InvalidFetchSite), 0),
            "{value:?}"
        );
    }
    let repeated = [
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-site", "cross-site"),
    ];
    assert_eq!(
        run(&guard, "POST", "/", &repeated).await.1,
        csrf(CsrfReason::InvalidFetchSite)
    );
}

#[tokio::test]
async fn sec_fetch_site_takes_precedence_over_origin() {
    let guard = CsrfSameSiteGuard::new();
    // A same-origin fetch passes whatever Origin says; a cross-site one fails
    // even with an Origin equal to Host (the header the browser sets wins).
    let same = [
        ("sec-fetch-site", "same-origin"),
        ("origin", "https://attacker.example"),
    ];
    assert_eq!(run(&guard, "POST", "/", &same).await.0, StatusCode::OK);
    let cross = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://example.com"),
    ];
    assert_eq!(
        run(&guard, "POST", "/", &cross).await.0,
        StatusCode::FORBIDDEN
    );
}

// Go: TestCrossOriginProtectionTrustedOriginBypass.
#[tokio::test]
async fn trusted_origin_table_from_go() {
    let guard = CsrfSameSiteGuard::builder()
        .trusted_origin("https://trusted.example")
        .build()
        .unwrap();
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, StatusCode)] = &[
        ("trusted origin without sec-fetch-site", "https://trusted.example", "", StatusCode::OK),
        ("trusted origin with cross-site", "https://trusted.example", "cross-site", StatusCode::OK),
        ("untrusted origin without sec-fetch-site", "https://attacker.example", "", StatusCode::FORBIDDEN),
        ("untrusted origin with cross-site", "https://attacker.example", "cross-site", StatusCode::FORBIDDEN),
        // Exact matching, beyond Go's table: no suffix, prefix, port or scheme games.
        ("suffix of a trusted origin", "https://trusted.example.attacker.example", "cross-site", StatusCode::FORBIDDEN),
        ("trusted host on another port", "https://trusted.example:8443", "cross-site", StatusCode::FORBIDDEN),
        ("trusted host over http", "http://trusted.example", "cross-site", StatusCode::FORBIDDEN),
        ("trusted origin with a path", "https://trusted.example/", "cross-site", StatusCode::FORBIDDEN),
    ];
    for (name, origin, site, status) in table {
        let mut headers = vec![("origin", *origin)];
        if !site.is_empty() {
            headers.push(("sec-fetch-site", *site));
        }
        let (got, _, calls) = run(&guard, "POST", "/", &headers).await;
        assert_eq!(got, *status, "{name}");
        assert_eq!(
            calls,
            usize::from(status.is_success()),
            "{name}: handler calls"
        );
    }
}

#[tokio::test]
async fn origin_is_compared_with_host_or_with_the_public_origin_behind_a_proxy() {
    let by_host = CsrfSameSiteGuard::new();
    // Go compares the Origin's host[:port] with Host, case-insensitively.
    let cases = [
        ("https://example.com", true),
        ("https://EXAMPLE.com", true),
        ("https://example.com:8443", false),
        ("https://example.com.attacker.example", false),
    ];
    for (origin, ok) in cases {
        let status = run(&by_host, "POST", "/", &[("origin", origin)]).await.0;
        assert_eq!(status.is_success(), ok, "{origin}");
    }

    // Behind a proxy that rewrites Host to the upstream address.
    let proxied = CsrfSameSiteGuard::builder()
        .public_origin("https://app.example")
        .build()
        .unwrap();
    let upstream = |origin| vec![("origin", origin), ("host", "10.0.0.7:8080")];
    let call = |origin: &'static str| {
        let calls = Calls::default();
        let mut req = request("POST", "/", &[]);
        req.headers_mut().remove("host");
        for (n, v) in upstream(origin) {
            req.headers_mut().insert(n, v.parse().unwrap());
        }
        let svc = proxied.layer(calls.service());
        async move { svc.oneshot(req).await.unwrap().status() }
    };
    assert_eq!(call("https://app.example").await, StatusCode::OK);
    assert_eq!(
        call("http://10.0.0.7:8080").await,
        StatusCode::FORBIDDEN,
        "the rewritten Host is not the public origin"
    );
    assert_eq!(
        call("http://app.example").await,
        StatusCode::FORBIDDEN,
        "the scheme is part of the public origin"
    );
}

#[tokio::test]
async fn request_without_fetch_metadata_or_origin_passes_unless_fail_closed() {
    let open = CsrfSameSiteGuard::new();
    assert_eq!(
        run(&open, "POST", "/", &[]).await,
        (StatusCode::OK, None, 1)
    );
    let closed = CsrfSameSiteGuard::builder()
        .require_origin(true)
        .build()
        .unwrap();
    assert_eq!(
        run(&closed, "POST", "/", &[]).await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::MissingOrigin), 0)
    );
    // The switch does not affect browsers, which send one of the two headers.
    assert_eq!(
        run(&closed, "POST", "/", &[("sec-fetch-site", "same-origin")])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        run(&closed, "POST", "/", &[("origin", "https://example.com")])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn null_origin_is_refused_and_cannot_be_trusted() {
    let guard = CsrfSameSiteGuard::new();
    assert_eq!(
        run(&guard, "POST", "/", &[("origin", "null")]).await.1,
        csrf(CsrfReason::NullOrigin)
    );
    assert!(
        CsrfSameSiteGuard::builder()
            .trusted_origin("null")
            .build()
            .is_err()
    );
    assert!(guard.handle().add_trusted_origin("null").is_err());
}

// Go: TestCrossOriginProtectionPatternBypass, ported to exact routes. Go's
// patterns are ServeMux patterns; ours are exact method + path, so Go's
// wildcard row becomes "a pattern is not a wildcard" and every row that Go
// fixed for CVE-2025-47910 (redirects, `..`, trailing slashes) is refused.
#[tokio::test]
async fn bypass_routes_table_from_go_including_cve_2025_47910() {
    let guard = CsrfSameSiteGuard::builder()
        .bypass(Method::POST, "/bypass/")
        .bypass(Method::POST, "/only/123")
        .bypass(Method::POST, "/no-trailing")
        .bypass(Method::POST, "/yes-trailing/")
        .bypass(Method::PUT, "/put-only/")
        .bypass(Method::POST, "/post-only/")
        .build()
        .unwrap();
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, StatusCode)] = &[
        ("bypass path without sec-fetch-site", "/bypass/", "", StatusCode::OK),
        ("bypass path with cross-site", "/bypass/", "cross-site", StatusCode::OK),
        ("non-bypass path without sec-fetch-site", "/api/", "", StatusCode::FORBIDDEN),
        ("non-bypass path with cross-site", "/api/", "cross-site", StatusCode::FORBIDDEN),
        // CVE-2025-47910: paths a mux would clean or redirect to the bypass.
        ("redirect to bypass path without ..", "/foo/../bypass/bar", "", StatusCode::FORBIDDEN),
        ("redirect to bypass path with trailing slash", "/bypass", "", StatusCode::FORBIDDEN),
        ("redirect to non-bypass path with ..", "/foo/../api/bar", "", StatusCode::FORBIDDEN),
        ("redirect to non-bypass path with trailing slash", "/api", "", StatusCode::FORBIDDEN),
        ("dot segments resolving to the bypass", "/bypass/./", "", StatusCode::FORBIDDEN),
        ("double slash before the bypass", "//bypass/", "", StatusCode::FORBIDDEN),
        ("percent-encoded bypass", "/%62ypass/", "", StatusCode::FORBIDDEN),
        ("bypass path with a query still matches the path", "/bypass/?x=1", "", StatusCode::OK),
        ("exact route", "/only/123", "", StatusCode::OK),
        ("below an exact route", "/only/123/foo", "", StatusCode::FORBIDDEN),
        ("sibling of an exact route", "/only/124", "", StatusCode::FORBIDDEN),
        // go.dev/issue/75054
        ("no trailing slash exact match", "/no-trailing", "", StatusCode::OK),
        ("no trailing slash with slash", "/no-trailing/", "", StatusCode::FORBIDDEN),
        ("yes trailing slash exact match", "/yes-trailing/", "", StatusCode::OK),
        ("yes trailing slash without slash", "/yes-trailing", "", StatusCode::FORBIDDEN),
        ("method-specific hit", "/post-only/", "", StatusCode::OK),
        ("method-specific miss (PUT route, POST request)", "/put-only/", "", StatusCode::FORBIDDEN),
    ];
    for (name, path, site, status) in table {
        let mut headers = vec![("origin", "https://attacker.example")];
        if !site.is_empty() {
            headers.push(("sec-fetch-site", *site));
        }
        let (got, _, calls) = run(&guard, "POST", path, &headers).await;
        assert_eq!(got, *status, "{name}: {path}");
        assert_eq!(
            calls,
            usize::from(status.is_success()),
            "{name}: {path}: handler calls"
        );
    }
}

#[test]
fn bypass_routes_must_be_exact_paths() {
    #[rustfmt::skip]
    let bad: &[(Method, &str)] = &[
        (Method::POST, ""), (Method::POST, "bypass"), (Method::POST, "/a/../b"), (Method::POST, "/a/./b"),
        (Method::POST, "/a//b"), (Method::POST, "/a?b"), (Method::POST, "/a#b"), (Method::POST, "/only/{foo}"),
        (Method::POST, "/static/*"), (Method::POST, "/a%2Fb"), (Method::POST, "/a b"), (Method::GET, "/safe"),
    ];
    for (method, path) in bad {
        let built = CsrfSameSiteGuard::builder()
            .bypass(method.clone(), *path)
            .build();
        assert!(
            matches!(built, Err(CsrfConfigError::InvalidRoute(_))),
            "{method} {path:?} was accepted"
        );
        assert!(
            CsrfSameSiteGuard::new()
                .handle()
                .add_bypass_route(method.clone(), path)
                .is_err()
        );
    }
    let message = CsrfSameSiteGuard::builder()
        .bypass(Method::POST, "/a/../b")
        .build()
        .unwrap_err()
        .to_string();
    assert!(message.contains("exact path"), "{message}");
}

// Go: TestCrossOriginProtectionAddTrustedOriginErrors, plus the cases the
// issue names (bare host, `*`, userinfo, bad port).
#[test]
fn trusted_origin_validation_table_from_go() {
    #[rustfmt::skip]
    let table: &[(&str, &str, bool)] = &[
        ("valid origin", "https://example.com", false),
        ("valid origin with port", "https://example.com:8080", false),
        ("http origin", "http://example.com", false),
        ("missing scheme", "example.com", true),
        ("missing host", "https://", true),
        ("trailing slash", "https://example.com/", true),
        ("with path", "https://example.com/path", true),
        ("with query", "https://example.com?query=value", true),
        ("with fragment", "https://example.com#fragment", true),
        ("invalid url", "https://ex ample.com", true),
        ("empty string", "", true),
        ("null", "null", true),
        ("wildcard", "*", true),
        ("wildcard subdomain", "https://*.example.com", true),
        ("userinfo", "https://user@example.com", true),
        ("port zero", "https://example.com:0", true),
        ("port too large", "https://example.com:65536", true),
    ];
    let handle = CsrfSameSiteGuard::new().handle();
    for (name, origin, want_err) in table {
        let built = CsrfSameSiteGuard::builder().trusted_origin(*origin).build();
        assert_eq!(built.is_err(), *want_err, "{name}: build");
        if let Err(error) = built {
            assert!(
                matches!(error, CsrfConfigError::InvalidTrustedOrigin(_)),
                "{name}"
            );
            assert!(
                error.to_string().contains("scheme://host[:port]"),
                "{name}: message says how to fix it"
            );
        }
        assert_eq!(
            handle.add_trusted_origin(origin).is_err(),
            *want_err,
            "{name}: handle"
        );
    }
}

// Go: TestCrossOriginProtectionAddingBypassesConcurrently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_origins_and_routes_added_while_serving_take_effect() {
    let guard = CsrfSameSiteGuard::new();
    let handle = guard.handle();
    let headers = [
        ("origin", "https://concurrent.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    assert_eq!(
        run(&guard, "POST", "/", &headers).await.0,
        StatusCode::FORBIDDEN
    );

    // Set once the origin has been added: every request started after that
    // must pass. Before it, each request gets exactly one of the two
    // outcomes, and once one passed no later one is refused (an addition is
    // never lost or undone).
    let added = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let in_flight = {
        let guard = guard.clone();
        let added = added.clone();
        tokio::spawn(async move {
            let refused = (StatusCode::FORBIDDEN, csrf(CsrfReason::CrossSite), 0);
            let passed = (StatusCode::OK, None, 1);
            let mut seen_pass = false;
            for i in 0..200 {
                let after_add = added.load(std::sync::atomic::Ordering::SeqCst);
                let got = run(&guard, "POST", "/", &headers).await;
                if after_add || seen_pass {
                    assert_eq!(got, passed, "request {i}");
                } else {
                    assert!(got == refused || got == passed, "request {i}: {got:?}");
                }
                seen_pass |= got == passed;
                tokio::task::yield_now().await;
            }
        })
    };
    let adders: Vec<_> = (0..4)
        .map(|i| {
            let handle = handle.clone();
            tokio::spawn(async move {
                handle
                    .add_trusted_origin(&format!("https://n{i}.example"))
                    .unwrap();
                handle
                    .add_bypass_route(Method::POST, &format!("/hook/{i}"))
                    .unwrap();
            })
        })
        .collect();
    handle
        .add_trusted_origin("https://concurrent.example")
        .unwrap();
    added.store(true, std::sync::atomic::Ordering::SeqCst);
    for adder in adders {
        adder.await.unwrap();
    }
    in_flight.await.unwrap();

    assert_eq!(
        run(&guard, "POST", "/", &headers).await,
        (StatusCode::OK, None, 1)
    );
    assert_eq!(
        handle.trusted_origins().len(),
        5,
        "no concurrent addition was lost"
    );
    for i in 0..4 {
        let attacker = [("sec-fetch-site", "cross-site")];
        assert_eq!(
            run(&guard, "POST", &format!("/hook/{i}"), &attacker)
                .await
                .0,
            StatusCode::OK
        );
    }
}

// Go: TestCrossOriginProtectionSetDenyHandler.
#[tokio::test]
async fn responder_receives_the_reason_and_replaces_the_response() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let teapot = move |rejection: &Rejection, _: &RequestInfo<'_>| {
        log.lock().unwrap().push(rejection.clone());
        Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .body(Bytes::from(format!("custom error: {}", rejection.reason())))
            .unwrap()
    };
    let guard = CsrfSameSiteGuard::builder()
        .responder(teapot)
        .build()
        .unwrap();
    let calls = Calls::default();
    let forged = request("POST", "/", &[("sec-fetch-site", "cross-site")]);
    let response = guard.layer(calls.service()).oneshot(forged).await.unwrap();
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::Csrf(CsrfReason::CrossSite))
    );
    assert_eq!(
        &body_bytes(response.into_body()).await[..],
        b"custom error: csrf_cross_site"
    );
    assert_eq!(calls.get(), 0);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![Rejection::Csrf(CsrfReason::CrossSite)]
    );

    // A safe request never reaches the responder.
    assert_eq!(
        run(&guard, "GET", "/", &[("sec-fetch-site", "cross-site")])
            .await
            .0,
        StatusCode::OK
    );
    // Without the handler, the default 403 again.
    assert_eq!(
        run(
            &CsrfSameSiteGuard::new(),
            "POST",
            "/",
            &[("sec-fetch-site", "cross-site")]
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

#[test]
fn report_only_mode_lets_refused_requests_through() {
    let guard = CsrfSameSiteGuard::builder()
        .report_only(true)
        .build()
        .unwrap();
    let forged = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://attacker.example"),
    ];
    let capture = crate::support::capture::Capture::start();
    let outcome = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(run(&guard, "POST", "/transfer", &forged));
    assert_eq!(outcome, (StatusCode::OK, None, 1));
    let events = capture.text();
    assert!(
        events.contains("report-only mode"),
        "the would-be refusal is logged: {events}"
    );
    assert!(
        events.contains("csrf_cross_site"),
        "with its reason: {events}"
    );
    assert!(events.contains("/transfer"), "and its path: {events}");
}

#[tokio::test]
async fn grpc_requests_are_refused_with_permission_denied() {
    let guard = CsrfSameSiteGuard::new();
    let calls = Calls::default();
    let forged = request(
        "POST",
        "/pkg.Service/Method",
        &[
            ("content-type", "application/grpc"),
            ("sec-fetch-site", "cross-site"),
        ],
    );
    let response = guard.layer(calls.service()).oneshot(forged).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["grpc-status"], "7");
    assert_eq!(calls.get(), 0);
}

#[test]
fn csrf_rejections_are_403_permission_denied_without_a_challenge() {
    let r = Rejection::Csrf(CsrfReason::OriginMismatch);
    assert_eq!(
        (r.status(), r.grpc_code(), r.is_invalid_token(), r.reason()),
        (StatusCode::FORBIDDEN, 7, false, "csrf_origin_mismatch")
    );
}

// ---- Signed double-submit token (OWASP CSRF Prevention Cheat Sheet) --------

mod double_submit {
    use super::*;
    use crate::support::{access_token, auth_with_origins, csrf_tokens, keys};
    use tower::ServiceBuilder;
    use tower_jwt_cookie::csrf::{CsrfTokenCheck, CsrfTokens};
    use tower_jwt_cookie::{CookieAuth, MemoryStore};

    /// A configuration with double-submit tokens from `csrf_tokens`.
    fn auth_with_tokens(bearer: bool) -> CookieAuth<MemoryStore> {
        CookieAuth::builder(keys(), MemoryStore::new())
            .issuer(crate::support::ISSUER)
            .audience(crate::support::AUDIENCE)
            .bearer(bearer)
            .csrf_double_submit(csrf_tokens())
            .build()
            .unwrap()
    }

    #[test]
    fn the_token_check_needs_tokens_configured_on_the_builder() {
        let err = auth_with_origins(&[])
            .csrf_token_check::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(err, tower_jwt_cookie::ConfigError::NoCsrfTokens);
        assert!(err.to_string().contains(".csrf_double_submit("), "{err}");
    }

    /// verifier → double-submit check → counting handler, as documented.
    async fn post(headers: &[(&str, String)]) -> (StatusCode, Option<Rejection>, usize) {
        let auth = auth_with_tokens(false);
        let calls = Calls::default();
        let service = ServiceBuilder::new()
            .layer(auth.verifier::<serde_json::Value>())
            .layer(auth.csrf_token_check::<serde_json::Value>().unwrap())
            .service(calls.service());
        let mut req = request("POST", "/api/notes", &[("sec-fetch-site", "same-origin")]);
        for (name, value) in headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            req.headers_mut().append(name, value.parse().unwrap());
        }
        let response = service.oneshot(req).await.unwrap();
        (
            response.status(),
            response.extensions().get::<Rejection>().cloned(),
            calls.get(),
        )
    }

    fn cookies(auth_sid: &str, csrf: &str) -> String {
        let auth = auth_with_origins(&[]);
        format!(
            "__Host-Http-access={}; __Host-csrf={csrf}",
            access_token(&auth, auth_sid)
        )
    }

    #[tokio::test]
    async fn token_minted_for_this_session_passes() {
        let token = csrf_tokens().mint("session-1").unwrap();
        let got = post(&[
            ("cookie", cookies("session-1", &token)),
            ("x-csrf-token", token.to_string()),
        ])
        .await;
        assert_eq!(got, (StatusCode::OK, None, 1));
    }

    /// Bearer clients (gRPC, mobile) have no CSRF cookie and cannot be driven
    /// cross-site by a page; cookie sessions still need the token.
    #[tokio::test]
    async fn bearer_requests_skip_the_double_submit_check_cookie_requests_do_not() {
        use std::sync::Mutex;
        use tower_jwt_cookie::{TokenSource, VerifiedClaims};

        let auth = auth_with_tokens(true);
        let token = access_token(&auth, "session-1");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let service = ServiceBuilder::new()
            .layer(auth.verifier::<serde_json::Value>())
            .layer(auth.csrf_token_check::<serde_json::Value>().unwrap())
            .service(tower::service_fn(move |req: http::Request<String>| {
                let claims = req.extensions().get::<VerifiedClaims<serde_json::Value>>();
                log.lock().unwrap().push(claims.unwrap().source());
                async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) }
            }));
        let send = |headers: Vec<(&'static str, String)>| {
            let mut req = request("POST", "/api/notes", &[("sec-fetch-site", "same-origin")]);
            for (name, value) in headers {
                req.headers_mut().append(name, value.parse().unwrap());
            }
            let service = service.clone();
            async move {
                let response = service.oneshot(req).await.unwrap();
                (
                    response.status(),
                    response.extensions().get::<Rejection>().cloned(),
                )
            }
        };

        let bearer = send(vec![("authorization", format!("Bearer {token}"))]).await;
        assert_eq!(bearer, (StatusCode::OK, None));
        assert_eq!(*seen.lock().unwrap(), [TokenSource::Bearer]);

        let cookie = send(vec![("cookie", format!("__Host-Http-access={token}"))]).await;
        assert_eq!(
            cookie,
            (StatusCode::FORBIDDEN, csrf(CsrfReason::MissingToken))
        );
        assert_eq!(*seen.lock().unwrap(), [TokenSource::Bearer]);

        let csrf_token = csrf_tokens().mint("session-1").unwrap();
        let with_token = send(vec![
            (
                "cookie",
                format!("__Host-Http-access={token}; __Host-csrf={csrf_token}"),
            ),
            ("x-csrf-token", csrf_token.to_string()),
        ])
        .await;
        assert_eq!(with_token, (StatusCode::OK, None));
        assert_eq!(
            *seen.lock().unwrap(),
            [TokenSource::Bearer, TokenSource::Cookie]
        );
    }

    #[tokio::test]
    async fn token_minted_for_another_session_fails() {
        let token = csrf_tokens().mint("session-2").unwrap();
        let got = post(&[
            ("cookie", cookies("session-1", &token)),
            ("x-csrf-token", token.to_string()),
        ])
        .await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, csrf(CsrfReason::InvalidToken), 0)
        );
    }

    #[tokio::test]
    async fn token_signed_with_another_secret_fails() {
        let token = CsrfTokens::new(&[0x43; 32])
            .unwrap()
            .mint("session-1")
            .unwrap();
        let got = post(&[
            ("cookie", cookies("session-1", &token)),
            ("x-csrf-token", token.to_string()),
        ])
        .await;
        assert_eq!(got.1, csrf(CsrfReason::InvalidToken));
    }

    #[tokio::test]
    async fn header_must_equal_cookie() {
        let tokens = csrf_tokens();
        let (a, b) = (
            tokens.mint("session-1").unwrap(),
            tokens.mint("session-1").unwrap(),
        );
        let got = post(&[
            ("cookie", cookies("session-1", &a)),
            ("x-csrf-token", b.to_string()),
        ])
        .await;
        assert_eq!(
            got,
            (StatusCode::FORBIDDEN, csrf(CsrfReason::InvalidToken), 0)
        );
    }

    #[tokio::test]
    async fn missing_header_or_cookie_is_refused() {
        let token = csrf_tokens().mint("session-1").unwrap();
        let no_header = post(&[("cookie", cookies("session-1", &token))]).await;
        assert_eq!(
            no_header,
            (StatusCode::FORBIDDEN, csrf(CsrfReason::MissingToken), 0)
        );
        let auth = auth_with_origins(&[]);
        let only_access = format!("__Host-Http-access={}", access_token(&auth, "session-1"));
        let no_cookie = post(&[("cookie", only_access), ("x-csrf-token", token.to_string())]).await;
        assert_eq!(no_cookie.1, csrf(CsrfReason::MissingToken));
    }

    #[tokio::test]
    async fn duplicated_csrf_cookie_or_header_is_refused() {
        let token = csrf_tokens().mint("session-1").unwrap();
        let tossed = format!("{}; __Host-csrf={token}", cookies("session-1", &token));
        assert_eq!(
            post(&[("cookie", tossed), ("x-csrf-token", token.to_string())])
                .await
                .1,
            csrf(CsrfReason::InvalidToken)
        );
        let twice = [
            ("cookie", cookies("session-1", &token)),
            ("x-csrf-token", token.to_string()),
            ("x-csrf-token", token.to_string()),
        ];
        assert_eq!(post(&twice).await.1, csrf(CsrfReason::InvalidToken));
    }

    #[tokio::test]
    async fn safe_methods_need_no_token_and_no_session_fails_closed() {
        let calls = Calls::default();
        let check = CsrfTokenCheck::<serde_json::Value>::new(csrf_tokens());
        let get = check
            .layer(calls.service())
            .oneshot(request("GET", "/", &[]))
            .await
            .unwrap();
        assert_eq!(get.status(), StatusCode::OK);
        // Placed without a verifier in front: no verified session, refused.
        let post = check
            .layer(calls.service())
            .oneshot(request("POST", "/", &[]))
            .await
            .unwrap();
        assert_eq!(
            post.extensions().get::<Rejection>(),
            Some(&Rejection::Csrf(CsrfReason::NoSession))
        );
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn set_cookie_is_readable_host_only_and_strict() {
        let tokens = csrf_tokens();
        let token = tokens.mint("s").unwrap();
        let header = tokens.set_cookie(&token, std::time::Duration::from_secs(3600));
        assert_eq!(
            header.to_str().unwrap(),
            format!("__Host-csrf={token}; Path=/; Max-Age=3600; Secure; SameSite=Strict")
        );
        // Clearing repeats Path, Secure and SameSite so the browser matches it.
        assert_eq!(
            tokens.clear_cookie().to_str().unwrap(),
            "__Host-csrf=; Path=/; Max-Age=0; Secure; SameSite=Strict"
        );
        assert_eq!(
            format!("{token:?}"),
            "CsrfToken(<redacted>)",
            "Debug does not log the token"
        );
        assert!(
            format!("{tokens:?}").contains("<redacted>"),
            "Debug never prints the secret"
        );
        assert!(CsrfTokens::new(&[0; 16]).is_err());
    }
}

// ---- Host and the request's own origin -------------------------------------

#[tokio::test]
async fn repeated_host_is_refused_instead_of_falling_back_to_the_uri_authority() {
    let guard = CsrfSameSiteGuard::new();
    // Before the fix, two Host lines made the guard fall back to the URI's
    // authority, which here equals Origin, so the request passed.
    let calls = Calls::default();
    let mut req = request("POST", "https://example.com/api", &[]);
    req.headers_mut().remove("host");
    for host in ["internal.example", "example.com"] {
        req.headers_mut().append("host", host.parse().unwrap());
    }
    req.headers_mut()
        .insert("origin", "https://example.com".parse().unwrap());
    let response = guard.layer(calls.service()).oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::Csrf(CsrfReason::InvalidHost))
    );
    assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
    assert_eq!(calls.get(), 0);
    assert_eq!(CsrfReason::InvalidHost.code(), "csrf_invalid_host");

    // A trusted origin is still exempt, as for every other Origin refusal.
    let trusting = CsrfSameSiteGuard::builder()
        .trusted_origin("https://example.com")
        .build()
        .unwrap();
    let twice = [
        ("host", "internal.example"),
        ("origin", "https://example.com"),
    ];
    assert_eq!(
        run(&trusting, "POST", "/", &twice).await,
        (StatusCode::OK, None, 1)
    );
    assert_eq!(
        run(&guard, "POST", "/", &twice).await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::InvalidHost), 0)
    );
}

#[tokio::test]
async fn without_host_the_http2_authority_of_the_uri_is_the_own_origin() {
    let guard = CsrfSameSiteGuard::new();
    let run_h2 = |origin: &'static str| {
        let calls = Calls::default();
        let mut req = request(
            "POST",
            "https://example.com:8443/api",
            &[("origin", origin)],
        );
        req.headers_mut().remove("host");
        let service = guard.layer(calls.service());
        async move {
            let response = service.oneshot(req).await.unwrap();
            (
                response.status(),
                response.extensions().get::<Rejection>().cloned(),
                calls.get(),
            )
        }
    };
    assert_eq!(
        run_h2("https://example.com:8443").await,
        (StatusCode::OK, None, 1)
    );
    assert_eq!(
        run_h2("https://example.com").await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::OriginMismatch), 0)
    );
    assert_eq!(
        run_h2("https://attacker.example:8443").await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::OriginMismatch), 0)
    );
}

#[tokio::test]
async fn repeated_origin_is_refused_and_not_exempted_by_a_trusted_origin() {
    let guard = CsrfSameSiteGuard::builder()
        .trusted_origin("https://trusted.example")
        .build()
        .unwrap();
    let same_twice = [
        ("origin", "https://example.com"),
        ("origin", "https://example.com"),
    ];
    assert_eq!(
        run(&guard, "POST", "/", &same_twice).await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::OriginMismatch), 0)
    );
    let trusted_and_other = [
        ("origin", "https://trusted.example"),
        ("origin", "https://attacker.example"),
    ];
    assert_eq!(
        run(&guard, "POST", "/", &trusted_and_other).await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::OriginMismatch), 0)
    );
}

#[tokio::test]
async fn require_origin_with_a_bypass_route_exempts_only_that_route() {
    let guard = CsrfSameSiteGuard::builder()
        .require_origin(true)
        .bypass(Method::POST, "/hooks/payments")
        .build()
        .unwrap();
    assert_eq!(
        run(&guard, "POST", "/hooks/payments", &[]).await,
        (StatusCode::OK, None, 1)
    );
    assert_eq!(
        run(&guard, "POST", "/hooks/payments/", &[]).await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::MissingOrigin), 0)
    );
    assert_eq!(
        run(&guard, "PUT", "/hooks/payments", &[]).await,
        (StatusCode::FORBIDDEN, csrf(CsrfReason::MissingOrigin), 0)
    );
}
