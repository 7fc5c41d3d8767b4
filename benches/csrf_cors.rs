//! Per-request cost of CsrfSameSiteGuard, CsrfTokenCheck's token check and
//! CredentialedCors on their allowed paths and on their refusals (a 403 with
//! the default JSON body), against an empty service call measured in the
//! same run. Every case builds its request inside the timed loop, as a server
//! does (batches built ahead made glibc consolidate the freed requests inside
//! the timing), and polls a future that is ready at once (no runtime).
//!
//! `cargo bench --bench csrf_cors` prints, after criterion's figures, each
//! refusal's layer cost over its layer's allowed path (the goal: at most
//! 2x), a layer's cost being its case's mean minus the empty service's
//! (the same request, no layer).

use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[path = "support/mod.rs"]
mod support;

use bytes::Bytes;
use criterion::Criterion;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Method, Request, Response};
use support::Run;
use tower::{Layer, Service, service_fn};
use tower_jwt_cookie::CredentialedCors;
use tower_jwt_cookie::csrf::{CsrfSameSiteGuard, CsrfTokens};
use tower_jwt_cookie::rejection::{CsrfReason, Rejection};

const SPA: &str = "https://spa.example";

fn call<S: Service<Request<String>>>(service: &mut S, request: Request<String>) -> S::Response
where
    S::Error: std::fmt::Debug,
{
    let mut future = pin!(service.call(request));
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result.unwrap(),
        Poll::Pending => unreachable!("every service here is ready at once"),
    }
}

fn empty() -> impl Service<
    Request<String>,
    Response = Response<String>,
    Error = std::convert::Infallible,
    Future = Ready<Result<Response<String>, std::convert::Infallible>>,
> + Clone {
    service_fn(|_: Request<String>| ready(Ok(Response::new(String::new()))))
}

fn request(method: Method, headers: &[(&'static str, &'static str)]) -> Request<String> {
    let mut request = Request::builder()
        .method(method)
        .uri("/api/notes")
        .header("host", "api.example");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(String::new()).unwrap()
}

fn bench<S>(c: &mut Criterion, name: &str, mut service: S, make: impl Fn() -> Request<String>)
where
    S: Service<Request<String>>,
    S::Error: std::fmt::Debug,
{
    c.bench_function(name, |b| b.iter(|| black_box(call(&mut service, make()))));
}

fn benches(c: &mut Criterion) {
    let same_origin = || {
        request(
            Method::POST,
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://api.example"),
            ],
        )
    };
    bench(c, "baseline/empty_service", empty(), same_origin);
    // The floor of any refusal: a 403 with a static body, the two headers
    // and the rejection in the extensions, built by hand (no check).
    bench(
        c,
        "baseline/bare_403",
        service_fn(|_: Request<String>| {
            let mut response = Response::new(Bytes::from_static(b"{}"));
            *response.status_mut() = http::StatusCode::FORBIDDEN;
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
                .extensions_mut()
                .insert(Rejection::Csrf(CsrfReason::CrossSite));
            ready(Ok::<_, std::convert::Infallible>(response))
        }),
        same_origin,
    );

    let guard = CsrfSameSiteGuard::builder()
        .trusted_origin(SPA)
        .build()
        .unwrap();
    bench(
        c,
        "csrf/same_origin_fetch_metadata",
        guard.layer(empty()),
        same_origin,
    );
    bench(c, "csrf/origin_equals_host", guard.layer(empty()), || {
        request(Method::POST, &[("origin", "https://api.example")])
    });
    bench(
        c,
        "csrf/trusted_cross_site_origin",
        guard.layer(empty()),
        || {
            request(
                Method::POST,
                &[("sec-fetch-site", "cross-site"), ("origin", SPA)],
            )
        },
    );
    bench(c, "csrf/safe_method", guard.layer(empty()), || {
        request(Method::GET, &[("sec-fetch-site", "cross-site")])
    });
    bench(c, "csrf/refused_cross_site", guard.layer(empty()), || {
        request(
            Method::POST,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
        )
    });

    let tokens = CsrfTokens::new(&[7; 32]).unwrap();
    let token = tokens.mint("session-1").unwrap();
    let cookie: &'static str = Box::leak(format!("__Host-csrf={token}").into_boxed_str());
    let header: &'static str = Box::leak(String::from(token).into_boxed_str());
    let with_token = request(
        Method::POST,
        &[("cookie", cookie), ("x-csrf-token", header)],
    );
    c.bench_function("csrf/double_submit_check", |b| {
        b.iter(|| black_box(tokens.check(black_box("session-1"), with_token.headers())))
    });

    let cors = CredentialedCors::builder()
        .allow_origins([SPA, "https://admin.example"])
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            http::header::CONTENT_TYPE,
            HeaderName::from_static("x-csrf-token"),
        ])
        .build()
        .unwrap();
    bench(
        c,
        "cors/allowed_origin_request",
        cors.layer(empty()),
        || request(Method::POST, &[("origin", SPA)]),
    );
    bench(c, "cors/same_origin_request", cors.layer(empty()), || {
        request(Method::GET, &[])
    });
    bench(c, "cors/preflight", cors.layer(empty()), || {
        request(
            Method::OPTIONS,
            &[
                ("origin", SPA),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type,x-csrf-token",
                ),
            ],
        )
    });
    bench(c, "cors/refused_preflight", cors.layer(empty()), || {
        request(
            Method::OPTIONS,
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "POST"),
            ],
        )
    });
    bench(
        c,
        "stack/cors_then_csrf_allowed_post",
        cors.layer(guard.layer(empty())),
        || {
            request(
                Method::POST,
                &[("sec-fetch-site", "cross-site"), ("origin", SPA)],
            )
        },
    );
}

/// Each refusal over the allowed path of the same layer, means of this run:
/// whole requests, and the layers' own costs (minus the empty service).
fn print_ratios(run: &Run) {
    println!(
        "\nmeans of this run; refusal / allowed path of the same layer, as layer costs \
         (minus baseline/empty_service; goal: at most 2x) and as whole requests:"
    );
    let pairs = [
        ("csrf/refused_cross_site", "csrf/trusted_cross_site_origin"),
        ("cors/refused_preflight", "cors/preflight"),
    ];
    let mean = |id: &str| run.mean_ns(&id.replace('/', "_"));
    let Some(empty) = mean("baseline/empty_service") else {
        return;
    };
    if let Some(floor) = mean("baseline/bare_403") {
        println!(
            "  the floor of a refusal (a hand-built 403: two headers, the rejection in its extensions): {:.0} ns",
            floor - empty
        );
    }
    for (refused, allowed) in pairs {
        if let (Some(r), Some(a)) = (mean(refused), mean(allowed)) {
            println!(
                "  {refused:26} {:>7.0} ns / {allowed:32} {:>7.0} ns = {:.2}x (whole requests {r:.0} / {a:.0} ns = {:.2}x)",
                r - empty,
                a - empty,
                (r - empty) / (a - empty),
                r / a
            );
        }
    }
}

fn main() {
    let (run, mut criterion) = Run::start();
    benches(&mut criterion);
    criterion.final_summary();
    print_ratios(&run);
}
