//! axum integration (feature `axum`): [`VerifiedClaims<C>`] as an extractor,
//! and [`Session`] commands as response parts.
//!
//! ```
//! use axum::{Json, Router, routing::{get, post}};
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Session, VerifiedClaims};
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct Roles {
//!     roles: Vec<String>,
//! }
//!
//! async fn login() -> (Session, Json<&'static str>) {
//!     // ... check the password first.
//!     (Session::issue("alice").claims(Roles { roles: vec!["admin".into()] }), Json("welcome"))
//! }
//!
//! async fn me(claims: VerifiedClaims<Roles>) -> String {
//!     format!("{} {:?}", claims.subject(), claims.custom().roles)
//! }
//!
//! // Behind `auth.verifier::<Roles>().optional()`: `None` without a token.
//! async fn home(claims: Option<VerifiedClaims<Roles>>) -> String {
//!     match claims {
//!         Some(claims) => format!("welcome back, {}", claims.subject()),
//!         None => "welcome, stranger".to_owned(),
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[8; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! let api = Router::new().route("/api/me", get(me)).layer(auth.verifier::<Roles>());
//! let public = Router::new().route("/", get(home)).layer(auth.verifier::<Roles>().optional());
//! let app: Router = Router::new()
//!     .route("/auth/login", post(login))
//!     .route("/auth/logout", post(|| async { Session::end() }))
//!     .merge(api)
//!     .merge(public)
//!     .layer(auth.issuer()?);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use http::StatusCode;
use http::request::Parts;

use crate::issue::Session;
use crate::verify::VerifiedClaims;
use crate::verify::optional::Anonymous;

impl IntoResponseParts for Session {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self.armed());
        Ok(res)
    }
}

impl IntoResponse for Session {
    /// An empty `204 No Content` carrying the command (e.g. a logout handler).
    fn into_response(self) -> Response {
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.extensions_mut().insert(self.armed());
        response
    }
}

/// The extractor's rejection: no [`VerifiedClaims<C>`] in the request, which
/// means the route is not behind [`JwtCookieVerifier`](crate::JwtCookieVerifier)
/// for this `C`. A server bug, not a client error: 500 with a plain message.
pub struct MissingVerifiedClaims<C> {
    _claims: PhantomData<fn() -> C>,
}

impl<C> MissingVerifiedClaims<C> {
    /// The message logged and sent.
    pub fn message(&self) -> String {
        format!(
            "VerifiedClaims<{}> is missing from the request extensions: this route is not behind \
             JwtCookieVerifier; add `.layer(auth.verifier::<{}>())` around it (with the same claims type)",
            std::any::type_name::<C>(),
            std::any::type_name::<C>(),
        )
    }
}

impl<C> fmt::Debug for MissingVerifiedClaims<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl<C> IntoResponse for MissingVerifiedClaims<C> {
    fn into_response(self) -> Response {
        let message = self.message();
        tracing::error!("{message}");
        (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    }
}

impl<S, C> FromRequestParts<S> for VerifiedClaims<C>
where
    S: Send + Sync,
    C: Clone + Send + Sync + 'static,
{
    type Rejection = MissingVerifiedClaims<C>;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(MissingVerifiedClaims {
                _claims: PhantomData,
            })
    }
}

/// `Option<VerifiedClaims<C>>`, for routes behind
/// [`JwtCookieVerifier::optional`](crate::JwtCookieVerifier::optional):
/// `None` when the request carried no token. A token that failed a check
/// never gets here (the verifier refused it). On a route behind no verifier
/// this is the same 500 as the plain extractor: a forgotten layer is a bug,
/// not an anonymous user.
impl<S, C> OptionalFromRequestParts<S> for VerifiedClaims<C>
where
    S: Send + Sync,
    C: Clone + Send + Sync + 'static,
{
    type Rejection = MissingVerifiedClaims<C>;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if let Some(claims) = parts.extensions.get::<Self>() {
            return Ok(Some(claims.clone()));
        }
        if parts.extensions.get::<Anonymous>().is_some() {
            return Ok(None);
        }
        Err(MissingVerifiedClaims {
            _claims: PhantomData,
        })
    }
}
