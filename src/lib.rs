//! # tower-jwt-cookie
//!
//! Tower layers that keep JWT sessions in HttpOnly cookies the way security
//! engineers say it should be done, for any Tower server (axum, tonic, hyper).
//!
//! * [`JwtCookieVerifier`] verifies the access token of each request (cookie,
//!   or `Authorization: Bearer`) and inserts [`VerifiedClaims<C>`].
//! * [`JwtCookieIssuer`] turns [`Session`] commands that handlers attach to
//!   responses (login, logout, logout everywhere) into signed tokens, store
//!   records and `Set-Cookie` headers, and serves the refresh endpoint:
//!   rotation with reuse detection, a grace window for concurrent tabs, idle
//!   and absolute session lifetimes.
//! * [`keys`]: every key is bound to one algorithm; [`KeyRing`](keys::KeyRing)
//!   rotates keys without locking readers.
//! * [`revocation`]: the [`RevocationStore`] contract (logout, logout
//!   everywhere, refresh-token rotation with reuse detection), the embedded
//!   [`MemoryStore`], (feature `redis`) `RedisStore` shared by every
//!   instance, and (feature `conformance`) the suite any store must pass.
//!   Store failures refuse requests (fail closed).
//! * [`CredentialedCors`] answers preflights and reflects an exact allow-list
//!   of origins with credentials; [`CsrfSameSiteGuard`] refuses cross-site
//!   unsafe requests before the handler runs (CORS is not CSRF protection:
//!   use both). See [`cors`] and [`csrf`].
//! * Feature `axum`: `VerifiedClaims<C>` is an extractor and `Session` a
//!   response part.
//! * [`Rejection`] says why a request was refused; the default responses have
//!   a JSON body, or are a gRPC status: 401 with `WWW-Authenticate` for token
//!   problems, 403 (no challenge) for CSRF and CORS refusals, 503 when the
//!   store is unavailable, 500 when a session cannot be issued.
//!
//! All layers are built from one [`CookieAuth`], so they cannot disagree about
//! cookie names, keys, stores or policies.
//!
//! ## Quick start (axum)
//!
//! The README's quick start, with a built-in secret instead of a key from the
//! environment: handlers take [`VerifiedClaims<C>`] as an extractor and
//! return [`Session`] commands as response parts (feature `axum`, on by
//! default). Without axum, `Session::issue(..).attach(&mut response)` and
//! `request.extensions().get::<VerifiedClaims<C>>()` do the same (see
//! [`issue`] and [`verify`]).
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Session, VerifiedClaims};
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct MyClaims {
//!     roles: Vec<String>,
//! }
//!
//! async fn login() -> (Session, &'static str) {
//!     // ... check the password first (argon2: examples/demo/users.rs).
//!     (Session::issue("alice").claims(MyClaims { roles: vec!["admin".into()] }), "welcome")
//! }
//!
//! async fn me(claims: VerifiedClaims<MyClaims>) -> String {
//!     format!("{} has roles {:?}", claims.subject(), claims.custom().roles)
//! }
//!
//! # #[cfg(feature = "axum")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Demo secret only: load real keys with SigningKey::from_env or from_pem.
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[42; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/api/me", get(me))
//!     .route_layer(auth.verifier::<MyClaims>())
//!     .route("/auth/login", post(login))
//!     .route("/auth/logout", post(|| async { Session::end() }))
//!     .route("/auth/logout-all", post(|| async { Session::end_all() }))
//!     .layer(auth.issuer()?)
//!     .layer(auth.csrf_guard().build()?);
//! # let _ = app;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "axum"))]
//! # fn main() {}
//! ```
//!
//! ## Cargo features
//!
//! | feature | what it adds |
//! |---|---|
//! | `aws_lc_rs` (default) | the aws-lc crypto backend |
//! | `rust_crypto` | the pure-Rust crypto backend (used when `aws_lc_rs` is off) |
//! | `axum` (default) | [`VerifiedClaims<C>`] as an extractor, [`Session`] as a response part (module `axum`) |
//! | `tonic` | [`VerifierService`](verify::VerifierService) is a tonic `NamedService` |
//! | `conformance` | `revocation::conformance`: the test suite every [`RevocationStore`] must pass |
//! | `jwks` | `keys::remote`: verify another issuer's tokens from its JWKS or OIDC discovery |
//! | `redis` | `RedisStore`: sessions and revocations shared by every instance on one Redis |
//! | `redis-cluster` | `RedisStore::cluster_builder`: the same store on Redis Cluster |
//!
//! Every item that needs a feature says which one in these docs: on docs.rs,
//! or locally with `RUSTDOCFLAGS="--cfg docsrs" cargo +nightly doc
//! --all-features`, it carries an "Available on crate feature … only" badge
//! (a stable `cargo doc` shows the items without the badges).
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod body;
pub mod clock;
mod config;
pub mod cookie;
pub mod cors;
pub mod csrf;
mod defaults;
mod double_submit_token;
mod error;
mod future;
mod header;
pub mod issue;
pub mod keys;
mod macros;
pub mod origin;
pub mod rejection;
pub mod revocation;
pub mod token;
pub mod verify;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz;

pub use config::{CookieAuth, CookieAuthBuilder};
pub use cors::CredentialedCors;
pub use csrf::CsrfSameSiteGuard;
pub use error::ConfigError;
pub use issue::control::SessionControl;
pub use issue::{JwtCookieIssuer, Session};
pub use keys::Algorithm;
pub use rejection::Rejection;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use revocation::redis::RedisStore;
pub use revocation::{MemoryStore, RevocationStore};
pub use verify::{JwtCookieVerifier, TokenSource, VerifiedClaims};
