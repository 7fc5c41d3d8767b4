//! End to end through the demo's whole `Router` (CORS, CSRF guard, issuer,
//! verifier, security headers, refusal logging, handler) against the same
//! `GET /api/me` answer without the crate's layers (a fixed answer inside
//! the demo's shell of security headers and refusal logging,
//! `examples/demo/shell.rs`, given the same cookie), in the same run.
//! In-process (`tower::ServiceExt::oneshot`), so it measures the stack, not
//! the network.
//!
//! `cargo bench --bench demo_stack` prints criterion's figures, then the
//! ratio and requests/s per core for each signing algorithm, with the
//! verifier's token cache on (the default) and off.

#![allow(dead_code)] // the demo's modules carry what main.rs uses too

#[path = "../examples/demo/app.rs"]
mod app;
#[path = "../examples/demo/page.rs"]
mod page;
#[path = "../examples/demo/shell.rs"]
mod shell;
#[path = "support/mod.rs"]
mod support;
#[path = "../examples/demo/users.rs"]
mod users;

use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use criterion::Criterion;
use http::header::CACHE_CONTROL;
use http::{Request, StatusCode};
use serde_json::json;
use support::Run;
use tower::ServiceExt;
use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::SigningKey;

const ORIGIN: &str = "http://127.0.0.1:3000";
const ALGORITHMS: [(&str, Algorithm); 2] =
    [("ES256", Algorithm::ES256), ("EdDSA", Algorithm::EdDSA)];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Logs alice in through the demo's own login route; returns her access cookie.
fn login(rt: &tokio::runtime::Runtime, router: &Router) -> String {
    let request = Request::post("/auth/login")
        .header("content-type", "application/json")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(
            r#"{"username":"alice","password":"wonderland"}"#,
        ))
        .unwrap();
    let response = rt.block_on(router.clone().oneshot(request)).unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("__Host-Http-access="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

fn me_request(cookie: &str) -> Request<Body> {
    Request::get("/api/me")
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("demo_stack");

    let bare = Router::new().route(
        "/api/me",
        get(|| async {
            (
                [(CACHE_CONTROL, "no-store")],
                Json(
                    json!({ "sub": "alice", "roles": ["reader", "writer"], "exp": 1_800_000_900 }),
                ),
            )
        }),
    );
    let bare = shell::wrap(bare, false);
    let mut cookies = Vec::new();
    for ((name, alg), cache) in ALGORITHMS.into_iter().flat_map(|a| [(a, true), (a, false)]) {
        let mut config = app::DemoConfig::new(ORIGIN);
        config.signing_key = Some(SigningKey::generate("bench", alg).unwrap());
        config.token_cache = cache;
        let demo = app::build(config).unwrap();
        let cookie = login(&rt, &demo.router);
        cookies.push(cookie.clone());
        let case = if cache {
            "whole_demo_stack"
        } else {
            "whole_demo_stack_cache_off"
        };
        group.bench_function(format!("{name}/{case}"), |b| {
            b.iter(|| {
                let response = rt
                    .block_on(demo.router.clone().oneshot(me_request(&cookie)))
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK);
            })
        });
    }
    // The same request (the same cookie) as the demo's.
    let cookie = &cookies[0];
    group.bench_function("without_layers", |b| {
        b.iter(|| {
            let response = rt
                .block_on(bare.clone().oneshot(me_request(cookie)))
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        })
    });
    group.finish();
}

fn main() {
    let (run, mut criterion) = Run::start();
    bench(&mut criterion);
    criterion.final_summary();

    let Some(bare) = run.mean_ns("demo_stack/without_layers") else {
        return;
    };
    println!(
        "\nGET /api/me through the whole demo stack vs the same answer and shell without the crate's layers:"
    );
    println!(
        "  without layers {bare:>9.0} ns  ({:>7.0} requests/s per core)",
        1e9 / bare
    );
    for (name, _) in ALGORITHMS {
        for (case, label) in [
            ("whole_demo_stack", "cache on "),
            ("whole_demo_stack_cache_off", "cache off"),
        ] {
            if let Some(full) = run.mean_ns(&format!("demo_stack/{name}_{case}")) {
                println!(
                    "  {name:6} {label} {full:>9.0} ns  ({:>7.0} requests/s per core)  ratio {:.1}x",
                    1e9 / full,
                    full / bare
                );
            }
        }
    }
}
