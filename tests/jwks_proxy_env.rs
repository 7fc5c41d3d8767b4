//! Feature `jwks`: key-set fetches never go through a proxy named in the
//! environment. A binary of its own with a single test, for the reason
//! `tests/keys_env.rs` gives: `std::env::set_var` is only sound while no
//! other thread reads or writes the environment.
#![cfg(feature = "jwks")]

use std::io::ErrorKind;

use axum::routing::get;
use serde_json::json;
use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::remote::RemoteJwks;
use tower_jwt_cookie::keys::{KeyProvider, SigningKey};

#[test]
fn a_key_set_fetch_ignores_the_proxy_the_environment_names() {
    // The "proxy": a listener that never answers; the kernel queues any
    // connection offered to it, so `accept` below sees it.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    // SAFETY: this is the only test in this binary, and the runtime (the
    // only other threads) starts after this block.
    unsafe {
        for name in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            std::env::set_var(name, &proxy_url);
        }
        // An exemption or a CGI environment (where HTTP_PROXY is ignored,
        // httpoxy) would make the test pass whatever the client does.
        for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
            std::env::remove_var(name);
        }
    }
    let key = SigningKey::generate("k1", Algorithm::ES256).unwrap();
    let jwk = key
        .verifying_key()
        .public_key()
        .unwrap()
        .to_jwk("k1", Algorithm::ES256);
    let body = json!({ "keys": [jwk] }).to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/jwks.json", get(move || async move { body }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let jwks = RemoteJwks::builder(&url).build().await.unwrap();
        assert!(jwks.verifying_key(Some("k1")).is_some());
    });
    proxy.set_nonblocking(true).unwrap();
    assert_eq!(
        proxy.accept().map(drop).map_err(|e| e.kind()),
        Err(ErrorKind::WouldBlock),
        "the fetch went through the proxy"
    );
}
