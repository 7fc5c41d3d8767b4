//! The demo server: `cargo run --example demo`.
//!
//! An axum app composing the crate's four layers (CredentialedCors →
//! CsrfSameSiteGuard → JwtCookieIssuer → JwtCookieVerifier) from one
//! `CookieAuth`, on the embedded defaults: `MemoryStore` (or `RedisStore`
//! when `REDIS_URL` is set), and an ES256 key generated at start (or read
//! from `DEMO_KEY_FILE`). Its HTTP contract is
//! section 6 of DESIGN.md; see `app.rs` for the routes.
//!
//! Environment:
//! * `DEMO_ADDR` — where to listen (default `127.0.0.1:3000`);
//! * `DEMO_PUBLIC_ORIGIN` — the origin users reach, when it is not the listen
//!   address (a proxy or load balancer in front of several instances): the
//!   tokens' issuer, the same on every instance of one service;
//! * `DEMO_ALLOWED_ORIGINS` — comma-separated origins (`https://spa.example`)
//!   whose pages may call the API with cookies;
//! * `DEMO_KEY_FILE` — a PKCS#8 PEM ES256 private key to sign with, e.g. from
//!   `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`; its
//!   `kid` is its RFC 7638 thumbprint, so a new file means a new `kid`;
//! * `REDIS_URL` — e.g. `redis://127.0.0.1:6379/`: keep sessions and
//!   revocations in Redis (`RedisStore`, needs `--features redis`), so several
//!   instances started with the same `DEMO_KEY_FILE` and `REDIS_URL` act as
//!   one service (a logout on one is refused on all);
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
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (DEMO_ADDR): {e}"))?;
    let local = listener.local_addr()?;
    let listening = if local.ip().is_unspecified() {
        format!("http://localhost:{}", local.port())
    } else {
        format!("http://{local}")
    };
    // Instances behind one load balancer share its origin: the tokens'
    // issuer, so each accepts the others' tokens.
    let origin = std::env::var("DEMO_PUBLIC_ORIGIN").unwrap_or_else(|_| listening.clone());

    let mut config = app::DemoConfig::new(&origin);
    if let Ok(list) = std::env::var("DEMO_ALLOWED_ORIGINS") {
        config.allowed_origins = list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
    }
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
    let shared_key = std::env::var_os("DEMO_KEY_FILE").is_some();
    let (demo, store) = match std::env::var("REDIS_URL") {
        Ok(url) => redis_demo(config, &url, shared_key).await?,
        Err(_) => (app::build(config)?, "in-memory (MemoryStore)".to_owned()),
    };

    println!("tower-jwt-cookie demo listening on {listening}/ (issuer {origin})");
    println!("  users: alice / wonderland, bob / builder");
    println!("  keys: {key_source}; public keys at {origin}/.well-known/jwks.json");
    println!("  discovery: {origin}/.well-known/openid-configuration");
    println!("  cross-origin pages allowed (DEMO_ALLOWED_ORIGINS): {allowed}");
    println!("  store: {store}; press Ctrl-C to stop");

    axum::serve(listener, demo.router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    println!("demo: stopped");
    Ok(())
}

/// The demo on `RedisStore`, and how to describe it.
#[cfg(feature = "redis")]
async fn redis_demo(
    config: app::DemoConfig,
    url: &str,
    shared_key: bool,
) -> Result<(app::Demo, String), BoxError> {
    // The address without any `user:password@`.
    let server = url.rsplit_once('@').map_or(url, |(_, host)| host);
    let store = tower_jwt_cookie::RedisStore::builder(url)
        .connect()
        .await
        .map_err(|e| format!("cannot use the Redis store at REDIS_URL ({server}): {e}"))?;
    let mut describe = format!("Redis at {server} (RedisStore), shared with every instance on it");
    if !shared_key {
        describe.push_str(
            "; set DEMO_KEY_FILE to the same key on every instance, or each signs with its own",
        );
    }
    Ok((app::build_with_store(config, store)?, describe))
}

#[cfg(not(feature = "redis"))]
async fn redis_demo(_: app::DemoConfig, _: &str, _: bool) -> Result<(app::Demo, String), BoxError> {
    Err(
        "REDIS_URL is set, but the demo was built without the Redis store: \
         run `cargo run --example demo --features redis` (or unset REDIS_URL)"
            .into(),
    )
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
