//! [`CredentialedCors`]: CORS for cookie sessions — credentials always on,
//! an exact allow-list of origins, never `*`, never `null`.
//!
//! * Built from exact `scheme://host[:port]` origins; `*`, `null`, paths or
//!   patterns are a [`CorsConfigError`] from [`build`](CorsBuilder::build),
//!   never a panic and never a permissive fallback.
//! * Only an allow-listed `Origin` is reflected in
//!   `Access-Control-Allow-Origin`, always with
//!   `Access-Control-Allow-Credentials: true`. Every response carries
//!   `Vary: Origin`; preflight answers also vary on the request-method and
//!   request-headers headers.
//! * A preflight (OPTIONS with `Access-Control-Request-Method`) is answered
//!   here with 204 before any inner layer (authentication included) runs.
//!   Only the requested method and headers are echoed; one requested header
//!   that is not allowed refuses the whole preflight (403,
//!   [`Rejection::Cors`](crate::Rejection::Cors)), and the refusal is
//!   explained in a `tracing` event at INFO level. An OPTIONS without
//!   `Access-Control-Request-Method` is an ordinary request.
//! * `Access-Control-Request-Headers` is read across all its header lines,
//!   bounded in length and number of names.
//! * Private Network Access only with [`allow_private_network`](CorsBuilder::allow_private_network).
//!
//! CORS relaxes the same-origin policy for reading responses; it does not stop
//! a cross-site form POST from being sent. Put
//! [`CsrfSameSiteGuard`](crate::csrf::CsrfSameSiteGuard) inside it.
//!
//! ```
//! use http::{Method, Request, Response, StatusCode, header};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_jwt_cookie::cors::CredentialedCors;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let cors = CredentialedCors::builder()
//!     .allow_origin("https://app.example")
//!     .allow_methods([Method::GET, Method::POST, Method::DELETE])
//!     .build()?;
//! let service = ServiceBuilder::new().layer(cors).service(service_fn(|_: Request<String>| async {
//!     Ok::<_, std::convert::Infallible>(Response::new(String::from("hi")))
//! }));
//!
//! let preflight = Request::options("/api/notes/1")
//!     .header(header::ORIGIN, "https://app.example")
//!     .header(header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE")
//!     .body(String::new())?;
//! let response = service.clone().oneshot(preflight).await?;
//! assert_eq!(response.status(), StatusCode::NO_CONTENT);
//! assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://app.example");
//! assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
//!
//! // `*` is a configuration error, not a permissive layer.
//! assert!(CredentialedCors::builder().allow_origin("*").build().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod future;
mod layer;
mod policy;
mod request_headers;
mod service;

pub use future::ResponseFuture;
pub use layer::{CorsBuilder, CorsConfigError, CredentialedCors};
pub use service::CorsService;
