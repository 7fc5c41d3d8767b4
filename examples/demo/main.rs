//! The demo server: `cargo run --example demo`.
//!
//! An axum app composing the crate's four layers (CredentialedCors →
//! CsrfSameSiteGuard → JwtCookieIssuer → JwtCookieVerifier) from one
//! `CookieAuth`, on the embedded defaults: `MemoryStore`, and an ES256 key
//! generated at start (or read from `DEMO_KEY_FILE`). Its HTTP contract is
//! section 6 of DESIGN.md; see `app.rs` for the routes.
//!
//! Environment:
//! * `DEMO_ADDR` — where to listen (default `127.0.0.1:3000`);
//! * `DEMO_ALLOWED_ORIGINS` — comma-separated origins (`https://spa.example`)
//!   whose pages may call the API with cookies;
//! * `DEMO_KEY_FILE` — a PKCS#8 PEM ES256 private key to sign with, e.g. from
//!   `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`; its
//!   `kid` is its RFC 7638 thumbprint, so a new file means a new `kid`;
//! * `DEMO_TOKEN_CACHE` — `off` verifies every token from scratch (the
//!   verifier's token cache is on by default; `benches/http_load.sh` compares);
//! * `REDIS_URL` — reserved for the Redis store, which this build does not have;
//! * `RUST_LOG` — log filter (default `info`).

// Some of the app's API (`Demo::notes`, `Notes::total`) is there for the tests.
#[allow(dead_code)]
mod app;
mod page;
mod users;

use std::error::Error;
use std::process::ExitCode;

use tokio::net::TcpListener;
use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::SigningKey;
use tracing_subscriber::EnvFilter;

type BoxError = Box<dyn Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Colours only on a terminal: logs redirected to a file stay plain.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    if std::env::var_os("REDIS_URL").is_some() {
        return Err("REDIS_URL is set, but this build has no Redis store yet; \
                    unset REDIS_URL to run on the in-memory store"
            .into());
    }
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (DEMO_ADDR): {e}"))?;
    let local = listener.local_addr()?;
    let origin = if local.ip().is_unspecified() {
        format!("http://localhost:{}", local.port())
    } else {
        format!("http://{local}")
    };

    let mut config = app::DemoConfig::new(&origin);
    if let Ok(list) = std::env::var("DEMO_ALLOWED_ORIGINS") {
        config.allowed_origins = list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
    }
    config.token_cache = std::env::var("DEMO_TOKEN_CACHE").as_deref() != Ok("off");
    let key_source = match std::env::var_os("DEMO_KEY_FILE") {
        Some(path) => {
            let pem = std::fs::read(&path)
                .map_err(|e| format!("cannot read DEMO_KEY_FILE {}: {e}", path.display()))?;
            config.signing_key = Some(
                SigningKey::from_pem("demo-file", Algorithm::ES256, &pem)
                    .map_err(|e| format!("DEMO_KEY_FILE is not an ES256 PEM private key: {e}"))?,
            );
            format!("ES256 key from {}", path.display())
        }
        None => "ES256 key generated at start (tokens die with the process)".to_owned(),
    };
    let allowed = if config.allowed_origins.is_empty() {
        "none (same-origin only)".to_owned()
    } else {
        config.allowed_origins.join(", ")
    };
    let config_token_cache = config.token_cache;
    let demo = app::build(config)?;

    println!("tower-jwt-cookie demo listening on {origin}/");
    println!("  users: alice / wonderland, bob / builder");
    println!("  keys: {key_source}; public keys at {origin}/.well-known/jwks.json");
    println!("  discovery: {origin}/.well-known/openid-configuration");
    println!("  cross-origin pages allowed (DEMO_ALLOWED_ORIGINS): {allowed}");
    println!(
        "  token cache (DEMO_TOKEN_CACHE): {}",
        if config_token_cache { "on" } else { "off" }
    );
    println!("  store: in-memory (MemoryStore); press Ctrl-C to stop");

    axum::serve(listener, demo.router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    println!("demo: stopped");
    Ok(())
}

/// Resolves on Ctrl-C (or SIGTERM): in-flight requests finish, then `serve` returns.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
