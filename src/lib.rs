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
//!   [`MemoryStore`], and (feature `conformance`) the suite any store must
//!   pass. Store failures refuse requests (fail closed).
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
//! ```
//! use axum::{Router, routing::get};
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, VerifiedClaims};
//!
//! #[derive(Clone, serde::Deserialize)]
//! struct MyClaims {
//!     roles: Vec<String>,
//! }
//!
//! async fn me(axum::Extension(claims): axum::Extension<VerifiedClaims<MyClaims>>) -> String {
//!     format!("{} has roles {:?}", claims.subject(), claims.custom().roles)
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Demo secret only: load real keys with SigningKey::from_env or from_pem.
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[42; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/api/me", get(me))
//!     .layer(auth.verifier::<MyClaims>());
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
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
pub mod axum;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz;

pub use config::{CookieAuth, CookieAuthBuilder};
pub use cors::CredentialedCors;
pub use csrf::CsrfSameSiteGuard;
pub use error::ConfigError;
pub use issue::{JwtCookieIssuer, Session};
pub use keys::Algorithm;
pub use rejection::Rejection;
pub use revocation::{MemoryStore, RevocationStore};
pub use verify::{JwtCookieVerifier, TokenSource, VerifiedClaims};
