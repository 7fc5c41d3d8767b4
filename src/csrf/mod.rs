//! [`CsrfSameSiteGuard`]: refuses cross-site state-changing browser requests
//! before the inner service runs, the way Go's `net/http`
//! `CrossOriginProtection` (and tower-http's port of it) does, plus what a
//! cookie-session API needs on top.
//!
//! For an unsafe method (anything but GET, HEAD, OPTIONS):
//!
//! 1. `Sec-Fetch-Site: same-origin` or `none` passes; `same-site` passes only
//!    with [`allow_same_site`](CsrfGuardBuilder::allow_same_site);
//!    `cross-site` and any other value are refused.
//! 2. Without `Sec-Fetch-Site`, `Origin` must be the request's own origin.
//!    By default, as in Go, its `host[:port]` is compared with `Host` (or,
//!    without `Host`, the HTTP/2 `:authority` in the URI), case-insensitively
//!    and ignoring the scheme, which a server behind TLS termination cannot
//!    know; a repeated `Host` or `Origin` is refused. With
//!    [`public_origin`](CsrfGuardBuilder::public_origin), `Origin` must equal
//!    that whole origin, scheme included. `Origin: null` is refused. Neither
//!    header: passes (non-browser client), unless
//!    [`require_origin`](CsrfGuardBuilder::require_origin) is set.
//! 3. A refused request still passes if its `Origin` is a trusted origin or
//!    its exact method and path is a [bypass route](BypassRoute).
//!
//! Refusals are 403 with [`Rejection::Csrf`](crate::Rejection::Csrf) in the
//! response extensions (never `WWW-Authenticate`); a
//! [`responder`](CsrfGuardBuilder::responder) replaces the response;
//! [`report_only`](CsrfGuardBuilder::report_only) logs instead of refusing.
//! Trusted origins and bypass routes can be added while serving through a
//! [`CsrfGuardHandle`].
//!
//! For defence in depth, [`CsrfTokens`] mints signed double-submit tokens
//! bound to the session; with `CookieAuthBuilder::csrf_double_submit` the
//! issuer sets them in the readable `__Host-csrf` cookie, and
//! [`CsrfTokenCheck`] (`CookieAuth::csrf_token_check`, placed after the
//! verifier) requires them back in `X-CSRF-Token`. CORS is not CSRF protection: a simple cross-site form POST
//! needs no preflight, so use this guard even with [`CredentialedCors`](crate::cors::CredentialedCors).
//!
//! ```
//! use http::{Method, Request, Response, StatusCode};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//! use tower_jwt_cookie::Rejection;
//! use tower_jwt_cookie::csrf::CsrfSameSiteGuard;
//! use tower_jwt_cookie::rejection::CsrfReason;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let guard = CsrfSameSiteGuard::builder()
//!     .trusted_origin("https://spa.example")
//!     .bypass(Method::POST, "/hooks/payments")
//!     .build()?;
//! let service = ServiceBuilder::new()
//!     .layer(guard)
//!     .service(service_fn(|_: Request<String>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(String::from("done")))
//!     }));
//!
//! let forged = Request::post("/api/transfer")
//!     .header("sec-fetch-site", "cross-site")
//!     .header("origin", "https://evil.example")
//!     .body(String::new())?;
//! let response = service.clone().oneshot(forged).await?;
//! assert_eq!(response.status(), StatusCode::FORBIDDEN);
//! assert_eq!(
//!     response.extensions().get::<Rejection>(),
//!     Some(&Rejection::Csrf(CsrfReason::CrossSite))
//! );
//!
//! let trusted = Request::post("/api/transfer")
//!     .header("sec-fetch-site", "cross-site")
//!     .header("origin", "https://spa.example")
//!     .body(String::new())?;
//! assert_eq!(service.oneshot(trusted).await?.status(), StatusCode::OK);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod double_submit;
mod layer;
mod method;
mod policy;
mod route;
mod service;

pub use crate::double_submit_token::{CsrfToken, CsrfTokenError, CsrfTokens};
pub use crate::future::ResponseFuture;
pub use double_submit::{CsrfTokenCheck, CsrfTokenService};
pub use layer::{CsrfConfigError, CsrfGuardBuilder, CsrfSameSiteGuard};
pub use policy::CsrfGuardHandle;
pub use route::{BypassRoute, RouteError};
pub use service::CsrfGuardService;
