//! Why a request was refused, and how that becomes a response.
//!
//! Every layer refuses with a [`Rejection`]. The default [`Responder`] turns it
//! into HTTP 401 (with `WWW-Authenticate`), 403 (CSRF and CORS refusals),
//! 500 or 503, with a small JSON body, or, for gRPC requests, into a gRPC
//! status. The `Rejection` is also put in the
//! response extensions so outer layers and tests can see the exact reason.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Response, StatusCode};
//! use tower_jwt_cookie::rejection::{Rejection, RequestInfo, Responder};
//!
//! // A responder that hides the reason from clients.
//! let terse = |rejection: &Rejection, _request: &RequestInfo<'_>| {
//!     Response::builder()
//!         .status(rejection.status())
//!         .body(Bytes::new())
//!         .unwrap()
//! };
//! let method = http::Method::GET;
//! let uri: http::Uri = "/api".parse().unwrap();
//! let headers = http::HeaderMap::new();
//! let response = terse.respond(&Rejection::Expired, &RequestInfo::new(&method, &uri, &headers));
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! ```

mod cors;
mod csrf;
mod prebuilt;
mod reason;
mod response;

pub use cors::CorsReason;
pub use csrf::CsrfReason;
pub use reason::Rejection;
pub use response::{DefaultResponder, RequestInfo, Responder};
pub(crate) use response::{rejection_response, rejection_response_for};
