//! A tonic gRPC server behind the verifier: `cargo run --example tonic`.
//!
//! gRPC clients are not browsers: they keep no cookie jar, so they present
//! the access token themselves as `authorization: Bearer <token>` metadata
//! (enabled with `CookieAuthBuilder::bearer(true)`); a browser never attaches
//! an `Authorization` header on its own, so Bearer calls need no CSRF check.
//! Browsers call over gRPC-web (tonic-web, HTTP/1.1) instead, and there the
//! HttpOnly access cookie authenticates the call: those calls pass the CSRF
//! guard and CredentialedCors first (see `greeter::serve`).
//!
//! A call with a valid token reaches the handler, which reads
//! `VerifiedClaims` from the request extensions; any other call is answered
//! by the verifier with a trailers-only gRPC status (`UNAUTHENTICATED` with
//! the reason as the message, `UNAVAILABLE` if the revocation store fails)
//! and never reaches the handler.
//!
//! By default it trusts its own tokens: it starts with an ES256 key
//! generated at start and prints a demo token for `alice`, valid for an hour
//! (tokens die with the process). Call it:
//!
//! ```text
//! cargo run --example tonic -- call <token>   # hello you, you are alice
//! cargo run --example tonic -- call           # Unauthenticated: no token was presented
//! ```
//!
//! `call` exits 0 printing `hello you, you are SUB`; otherwise it exits 1
//! printing the gRPC code and message, `Unavailable: cannot connect to …`
//! when no server listens at `TONIC_ADDR`.
//!
//! With feature `jwks` it verifies another service's tokens instead, knowing
//! only its URL; for the demo (`cargo run --example demo`):
//!
//! ```text
//! TONIC_TRUST_ISSUER=http://127.0.0.1:3000 cargo run --example tonic --features jwks
//! cargo run --example tonic -- call <the demo's __Host-Http-access cookie value>
//! ```
//!
//! Environment:
//! * `TONIC_ADDR` — where to listen, and where `call` connects (default
//!   `127.0.0.1:50051`);
//! * `TONIC_JWKS_URL` — trust the keys of this JWK Set (needs `TONIC_ISSUER`);
//! * `TONIC_TRUST_ISSUER` — trust this issuer, its keys found by OpenID
//!   Connect discovery (`<issuer>/.well-known/openid-configuration`, whose
//!   `issuer` must match exactly);
//! * `TONIC_ISSUER` — the `iss` tokens must carry (default: the trusted issuer);
//! * `TONIC_AUDIENCE` — the audience they must name (default
//!   `tower-jwt-cookie-demo` when trusting another issuer);
//! * `TONIC_JWKS_COOLDOWN_SECS` — least time between refetches for unknown
//!   `kid`s (default: the library's, 30 s);
//! * `TONIC_ALLOWED_ORIGINS` — comma-separated origins whose pages may call
//!   over gRPC-web with cookies (default: the trusted issuer's origin, else
//!   `http://127.0.0.1:3000`);
//! * `RUST_LOG` — log filter (default `info`; `tower_jwt_cookie=debug` logs
//!   each refusal's reason, never the token).
//!
//! Revocation is per process here (`MemoryStore`): a logout at the issuer
//! reaches this service only through a shared store (see the README).

#![forbid(unsafe_code)]

// `GreeterServer::calls` is there for the tests.
#[allow(dead_code)]
mod greeter;
#[allow(dead_code)]
mod trust;

use std::error::Error;
use std::process::ExitCode;

use greeter::GreeterServer;
use tokio::net::TcpListener;
use tower_jwt_cookie::keys::SigningKey;
use tower_jwt_cookie::token::{self, Claims, NoCustomClaims, RegisteredClaims, TokenKind};
use tracing_subscriber::EnvFilter;
use trust::{Keys, Trust};

type BoxError = Box<dyn Error + Send + Sync>;

/// How long the printed demo token is valid.
const DEMO_TOKEN_SECS: i64 = 3600;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        // Colours only on a terminal: logs redirected to a file stay plain.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let addr = std::env::var("TONIC_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".to_owned());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => serve(&addr).await,
        Some("call") => greeter::call(&addr, args.get(1).map(String::as_str))
            .await
            .map(|line| println!("{line}"))
            .map_err(Into::into),
        Some(other) => Err(format!(
            "unknown command `{other}`; usage: `cargo run --example tonic [-- call [TOKEN]]`"
        )
        .into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tonic: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str) -> Result<(), BoxError> {
    let trust = Trust::from_env()?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (TONIC_ADDR): {e}"))?;
    let local = listener.local_addr()?;
    let (auth, key) = trust.auth().await?;

    println!(
        "gRPC and gRPC-web server ({}) on http://{local}",
        greeter::SERVICE
    );
    match (&trust.keys, key) {
        (Keys::Own, Some(key)) => {
            let token = demo_token(&key, &trust, auth.now())?;
            println!("  demo token for alice, valid {DEMO_TOKEN_SECS} s:");
            println!("  {token}");
            println!("  call it: TONIC_ADDR={local} cargo run --example tonic -- call {token}");
        }
        (keys, _) => {
            println!("  trusting tokens of {} ({keys:?})", trust.issuer);
            println!("  audience {}", trust.audience);
            println!("  call it: TONIC_ADDR={local} cargo run --example tonic -- call TOKEN");
        }
    }
    println!(
        "  gRPC-web pages allowed (TONIC_ALLOWED_ORIGINS): {}",
        trust.allowed_origins.join(", ")
    );
    println!("  press Ctrl-C to stop");
    let stop = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    greeter::serve(&auth, GreeterServer::default(), listener, stop).await?;
    println!("tonic: stopped");
    Ok(())
}

/// An access token as the issuer would mint one, signed with `key`.
fn demo_token(key: &SigningKey, trust: &Trust, now: i64) -> Result<String, BoxError> {
    let claims = Claims {
        registered: RegisteredClaims {
            iss: Some(trust.issuer.clone()),
            aud: vec![trust.audience.clone()],
            sub: Some("alice".into()),
            iat: Some(now),
            exp: Some(now + DEMO_TOKEN_SECS),
            jti: Some(format!("demo-{now}")),
            sid: Some("demo-session".into()),
            ..Default::default()
        },
        custom: NoCustomClaims,
    };
    Ok(token::encode(key, TokenKind::Access, &claims)?)
}
