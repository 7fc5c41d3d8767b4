//! [`JwtCookieIssuer`]: the layer that starts, refreshes and ends sessions.
//!
//! A handler authenticates the user however it likes and attaches a
//! [`Session`] command to its response: [`Session::issue`] (login),
//! [`Session::end`] (logout) or [`Session::end_all`] (logout everywhere).
//! The layer signs the tokens with the key provider's active key, records the
//! session in the [`RevocationStore`](crate::RevocationStore), writes the
//! `Set-Cookie` headers, and removes the command from the response.
//!
//! It also answers the refresh endpoint itself (default `POST /auth/refresh`):
//! the refresh cookie is verified (`typ refresh+jwt`, audience
//! `<audience>#refresh`) and rotated atomically in the store. Presenting a
//! superseded refresh token revokes the whole session and clears the cookies
//! (401 `refresh_reused`); inside a short grace window the *immediately
//! previous* token is accepted again and answered with the family's current
//! refresh token, so tabs refreshing at once converge and the family never
//! branches. Sessions end after an idle and an absolute lifetime.
//!
//! Store failures fail closed: 503, and no cookie is set for a session the
//! store did not record.
//!
//! ```
//! use http::{Request, Response, StatusCode, header::SET_COOKIE};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Session};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[4; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//!
//! let login = ServiceBuilder::new()
//!     .layer(auth.issuer()?)
//!     .service(service_fn(|_request: Request<String>| async move {
//!         // ... check the password, then:
//!         let mut response = Response::new(String::from("welcome"));
//!         Session::issue("alice").claims(serde_json::json!({ "roles": ["admin"] })).attach(&mut response);
//!         Ok::<_, std::convert::Infallible>(response)
//!     }));
//!
//! let response = login.oneshot(Request::post("/auth/login").body(String::new())?).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! let cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
//! assert!(cookies[0].to_str()?.starts_with("__Host-Http-access="));
//! assert!(cookies[1].to_str()?.starts_with("__Secure-refresh="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod candidates;
mod command;
pub mod control;
mod end;
mod future;
mod layer;
mod mint;
mod refresh;
mod run;
mod service;
mod unconsumed;

pub use command::Session;
pub use control::{SessionControl, SessionControlError};
pub use future::ResponseFuture;
pub use layer::JwtCookieIssuer;
pub use service::IssuerService;
