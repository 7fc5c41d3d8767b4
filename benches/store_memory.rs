//! Memory per session on `MemoryStore`, measured roughly: the process's
//! resident set before and after `SESSIONS` logins through the issuer
//! (in-process), divided by the sessions. It includes the allocator's
//! overhead and the ids' strings, so it is what a deployment pays.
//!
//! `cargo bench --bench store_memory` (Linux: reads `/proc/self/statm`).

use std::convert::Infallible;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use tower::{ServiceExt, service_fn};
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Session};

const SESSIONS: usize = 100_000;

fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = MemoryStore::new();
    let key = SigningKey::hmac("k1", Algorithm::HS256, &[7; 32]).unwrap();
    let auth = CookieAuth::builder(KeyRing::with_signing_key(key), store.clone())
        .issuer("https://app.example")
        .audience("app")
        .build()
        .unwrap();
    let login = service_fn(|request: Request<Full<Bytes>>| async move {
        let mut response = http::Response::new(Full::new(Bytes::new()));
        let user = request.uri().query().unwrap_or_default().to_owned();
        Session::issue(user).attach(&mut response);
        Ok::<_, Infallible>(response)
    });
    let issuer = tower::Layer::layer(&auth.issuer().unwrap(), login);
    let Some(before) = resident_bytes() else {
        println!("store_memory: needs /proc/self/statm (Linux)");
        return;
    };
    runtime.block_on(async {
        for i in 0..SESSIONS {
            let request = Request::post(format!("/auth/login?user{i}"))
                .body(Full::default())
                .unwrap();
            let response = issuer.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 200);
        }
    });
    let after = resident_bytes().unwrap();
    let entries = store.len();
    println!(
        "store_memory: {SESSIONS} sessions, {entries} entries ({:.1} per session), \
         resident +{:.1} MiB = ~{} bytes per session",
        entries as f64 / SESSIONS as f64,
        (after - before) as f64 / (1024.0 * 1024.0),
        (after - before) / SESSIONS
    );
}
