//! Optional authentication: [`JwtCookieVerifier::optional`](super::JwtCookieVerifier::optional).
//!
//! For a page that greets a logged-in user and still serves everyone else.
//! Only the absence of any token makes a request anonymous; a token that is
//! there but fails a check (bad signature, expired, revoked, malformed, a
//! duplicate cookie) is refused as by the strict verifier, so an attacker
//! cannot turn a revoked session into an anonymous one the handler trusts
//! more, and an expired token still gets the 401 the page needs to refresh.
//!
//! An anonymous request carries no [`VerifiedClaims<C>`](super::VerifiedClaims).
//! With axum, extract `Option<VerifiedClaims<C>>`: `None` behind the
//! optional verifier, and a 500 naming the fix on a route behind no
//! verifier at all (so a forgotten layer is not silently "anonymous").
//!
//! ```
//! use http::{Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, VerifiedClaims};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[3; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! let service = ServiceBuilder::new()
//!     .layer(auth.verifier::<serde_json::Value>().optional())
//!     .service(service_fn(|request: Request<String>| async move {
//!         let greeting = match request.extensions().get::<VerifiedClaims<serde_json::Value>>() {
//!             Some(claims) => format!("hello {}", claims.subject()),
//!             None => "hello stranger".to_owned(),
//!         };
//!         Ok::<_, std::convert::Infallible>(Response::new(greeting))
//!     }));
//!
//! // No token: the handler runs, anonymously.
//! let response = service.clone().oneshot(Request::new(String::new())).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! // A token that is there but bad: refused, as without `.optional()`.
//! let forged = Request::builder()
//!     .header("cookie", "__Host-Http-access=e30.e30.c2ln")
//!     .body(String::new())?;
//! let response = service.oneshot(forged).await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

/// Marks a request the optional verifier let through without a token, so
/// the axum extractor can tell "anonymous" from "no verifier on this route".
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anonymous;
