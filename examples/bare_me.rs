//! The demo's `GET /api/me` answer without any of the crate's layers: the
//! baseline `benches/http_load.sh` drives next to the demo. It answers the
//! same JSON (a fixed one: nothing is verified) with the same headers, inside
//! the same shell as the demo (`examples/demo/shell.rs`: security headers,
//! refusal log), on the same runtime and server (axum, tokio), so the load
//! figures compare the crate's layers and nothing else.
//!
//! `BARE_ADDR` — where to listen (default `127.0.0.1:3001`).

#[path = "demo/shell.rs"]
mod shell;

use axum::routing::get;
use axum::{Json, Router};
use http::header::CACHE_CONTROL;
use serde_json::json;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("BARE_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "bare /api/me listening on http://{}/",
        listener.local_addr()?
    );
    let router = Router::new().route(
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
    axum::serve(listener, shell::wrap(router, false)).await
}
