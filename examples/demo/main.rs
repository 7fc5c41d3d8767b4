//! The demo server: `cargo run --example demo`.
//!
//! An axum app composing the crate's four layers (CredentialedCors →
//! CsrfSameSiteGuard → JwtCookieIssuer → JwtCookieVerifier) from one
//! `CookieAuth`, on the embedded defaults: `MemoryStore` (or `RedisStore`
//! when `REDIS_URL` is set), and an ES256 key generated at start (or read
//! from `DEMO_KEY_FILE`). `app.rs` has the routes; `tests/it/demo_contract.rs`
//! checks their HTTP contract.
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
//!   `kid` is its RFC 7638 thumbprint, so a new file means a new `kid`.
//!   Refused if its group or others may read or write it (`chmod 600` it),
//!   like ssh refuses such a private key;
//! * `DEMO_TLS_CERT` + `DEMO_TLS_KEY` — PEM certificate chain and private
//!   key: serve HTTPS (rustls) on `DEMO_ADDR`; the key file is refused as
//!   `DEMO_KEY_FILE` is;
//! * `DEMO_IGNORE_INSECURE_KEY_PERMISSIONS=1` — read both key files whatever
//!   their mode: only for files something else protects (a secrets mount);
//! * `DEMO_TLS_SELF_SIGNED=1` — serve HTTPS with a certificate generated at
//!   start for `localhost` and `127.0.0.1`; its SHA-256 fingerprint is
//!   printed, to compare with what the browser shows before accepting it;
//! * `DEMO_ACCESS_TOKEN_SECS` — access-token lifetime in seconds (default
//!   900), e.g. `20` to watch the page refresh an expired token;
//! * `DEMO_TOKEN_CACHE` — `off` verifies every token from scratch (the
//!   verifier's token cache is on by default; `benches/http_load.sh` compares);
//! * `REDIS_URL` — e.g. `redis://127.0.0.1:6379/`: keep sessions and
//!   revocations in Redis (`RedisStore`, needs `--features redis`), so several
//!   instances started with the same `DEMO_KEY_FILE` and `REDIS_URL` act as
//!   one service (a logout on one is refused on all);
//! * `REDIS_LOCAL_CACHE=1` — with `REDIS_URL`: answer checks from a local
//!   revocation cache kept fresh by Redis pub/sub (no round trip per
//!   request; a revocation elsewhere is refused here within 1 s);
//! * `RUST_LOG` — log filter (default `info`).

// Some of the app's API (`Demo::notes`, `Notes::total`) is there for the tests.
#[allow(dead_code)]
mod app;
mod page;
mod settings;
mod shell;
mod tls;
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
    let key_files = settings::KeyFiles::from_value(
        std::env::var_os(settings::IGNORE_KEY_PERMISSIONS).as_deref(),
    )?;
    let tls = tls_from_env(key_files)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listening = if local.ip().is_unspecified() {
        format!("{scheme}://localhost:{}", local.port())
    } else {
        format!("{scheme}://{local}")
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
    if let Some(lifetime) =
        settings::access_token_lifetime(std::env::var_os("DEMO_ACCESS_TOKEN_SECS").as_deref())?
    {
        config.access_lifetime = lifetime;
    }
    config.token_cache = std::env::var("DEMO_TOKEN_CACHE").as_deref() != Ok("off");
    let key_source = match std::env::var_os("DEMO_KEY_FILE") {
        Some(path) => {
            let pem = key_files.read("DEMO_KEY_FILE", path.as_ref())?;
            config.signing_key = Some(
                SigningKey::from_pem("demo-file", Algorithm::ES256, &pem)
                    .map_err(|e| format!("DEMO_KEY_FILE: {e}"))?,
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
    let access_secs = config.access_lifetime.as_secs();
    let shared_key = std::env::var_os("DEMO_KEY_FILE").is_some();
    let (demo, store) = match std::env::var("REDIS_URL") {
        Ok(url) => redis_demo(config, &url, shared_key).await?,
        Err(_) if std::env::var_os("REDIS_LOCAL_CACHE").is_some() => {
            return Err(
                "REDIS_LOCAL_CACHE is set without REDIS_URL: the local cache sits in \
                        front of the Redis store; set REDIS_URL too (or unset it)"
                    .into(),
            );
        }
        Err(_) => (app::build(config)?, "in-memory (MemoryStore)".to_owned()),
    };

    println!("tower-jwt-cookie demo listening on {listening}/ (issuer {origin})");
    println!("  users: alice / wonderland, bob / builder");
    println!("  keys: {key_source}; public keys at {origin}/.well-known/jwks.json");
    println!("  discovery: {origin}/.well-known/openid-configuration");
    println!("  cross-origin pages allowed (DEMO_ALLOWED_ORIGINS): {allowed}");
    println!("  access tokens live {access_secs} s (DEMO_ACCESS_TOKEN_SECS)");
    println!(
        "  token cache (DEMO_TOKEN_CACHE): {}",
        if config_token_cache { "on" } else { "off" }
    );
    println!("  store: {store}; press Ctrl-C to stop");

    match tls {
        Some(tls) => {
            println!("  HTTPS: certificate SHA-256 {}", tls.fingerprint);
            tls::serve(listener, demo.router, tls.config, shutdown_signal()).await;
        }
        None => {
            axum::serve(listener, demo.router)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
        }
    }
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
    let local_cache = match std::env::var("REDIS_LOCAL_CACHE").as_deref() {
        Ok("1") => true,
        Ok("0") | Err(_) => false,
        Ok(other) => return Err(format!("REDIS_LOCAL_CACHE is {other:?}; use 1 or 0").into()),
    };
    let describe = settings::redis_store_description(url, local_cache, shared_key);
    let mut builder = tower_jwt_cookie::RedisStore::builder(url);
    if local_cache {
        builder = builder.local_cache(tower_jwt_cookie::revocation::redis::LocalCache::new());
    }
    let store = builder.connect().await.map_err(|e| {
        let server = settings::redacted_redis_url(url);
        format!("cannot use the Redis store at REDIS_URL ({server}): {e}")
    })?;
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

/// HTTPS from `DEMO_TLS_CERT` + `DEMO_TLS_KEY`, or `DEMO_TLS_SELF_SIGNED=1`; `None`: plain http.
fn tls_from_env(key_files: settings::KeyFiles) -> Result<Option<tls::Tls>, BoxError> {
    let cert = std::env::var_os("DEMO_TLS_CERT");
    let key = std::env::var_os("DEMO_TLS_KEY");
    let self_signed = std::env::var("DEMO_TLS_SELF_SIGNED").is_ok_and(|v| v == "1");
    match (cert, key, self_signed) {
        (None, None, false) => Ok(None),
        (None, None, true) => Ok(Some(tls::Tls::self_signed()?)),
        (Some(cert), Some(key), false) => Ok(Some(tls::Tls::from_pem_files(
            cert.as_ref(),
            key.as_ref(),
            key_files,
        )?)),
        (Some(_), Some(_), true) => Err(
            "set either DEMO_TLS_CERT + DEMO_TLS_KEY or DEMO_TLS_SELF_SIGNED=1, not both".into(),
        ),
        _ => Err("DEMO_TLS_CERT and DEMO_TLS_KEY go together: set both (PEM files)".into()),
    }
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
