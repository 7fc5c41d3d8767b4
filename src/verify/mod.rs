//! [`JwtCookieVerifier`]: the layer that verifies access tokens.
//!
//! The token comes from the access cookie (exact name, default
//! `__Host-Http-access`) or, when enabled, from `Authorization: Bearer`. Its size
//! and alphabet are checked before any parsing; its algorithm is the one its
//! key is bound to; its claims are validated; the revocation store is asked
//! last. A request that passes carries [`VerifiedClaims<C>`] in its
//! extensions; any other gets the configured rejection response and never
//! reaches the inner service.
//!
//! ```
//! use http::{Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Rejection, VerifiedClaims};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[3; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//!
//! let service = ServiceBuilder::new()
//!     .layer(auth.verifier::<serde_json::Value>())
//!     .service(service_fn(|request: Request<String>| async move {
//!         let claims = request.extensions().get::<VerifiedClaims<serde_json::Value>>().unwrap();
//!         Ok::<_, std::convert::Infallible>(Response::new(format!("hello {}", claims.subject())))
//!     }));
//!
//! // No cookie: refused before the handler runs.
//! let response = service.oneshot(Request::new(String::new())).await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.extensions().get::<Rejection>(), Some(&Rejection::MissingToken));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod authorize;
pub mod cache;
mod claims;
mod future;
mod layer;
pub(crate) mod optional;
mod service;

pub use claims::{TokenSource, VerifiedClaims};
pub use future::ResponseFuture;
pub use layer::JwtCookieVerifier;
pub use service::VerifierService;
