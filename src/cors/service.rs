use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header;
use http::{HeaderMap, Method, Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::policy::{CorsConfig, VARY_PREFLIGHT};
use crate::body::ResponseBody;
use crate::rejection::{Rejection, rejection_response};

/// The service made by [`CredentialedCors`](super::CredentialedCors).
#[derive(Clone)]
pub struct CorsService<I> {
    pub(super) inner: I,
    pub(super) config: Arc<CorsConfig>,
}

impl<I> CorsService<I> {
    crate::macros::inner_service_accessors!();
}

impl<I: fmt::Debug> fmt::Debug for CorsService<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<I, ReqBody, ResBody> Service<Request<ReqBody>> for CorsService<I>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = I::Error;
    type Future = ResponseFuture<I::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let config = &*self.config;
        if request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            let response = match config.preflight(request.headers()) {
                Ok(response) => response,
                Err(reason) => {
                    tracing::info!(
                        reason = reason.code(),
                        origin = %origin_for_log(request.headers()),
                        path = request.uri().path(),
                        "CORS preflight refused: {reason}"
                    );
                    let mut response =
                        rejection_response(&*config.responder, Rejection::Cors(reason), &request);
                    response.headers_mut().append(header::VARY, VARY_PREFLIGHT);
                    response
                }
            };
            return ResponseFuture::preflight(response);
        }
        let actual = config.actual_headers(request.headers());
        ResponseFuture::inner(self.inner.call(request), actual)
    }
}

/// The `Origin` for a log line: bounded, lossy, never anything but the origin.
fn origin_for_log(headers: &HeaderMap) -> String {
    headers.get(header::ORIGIN).map_or_else(
        || "<none>".to_owned(),
        |v| String::from_utf8_lossy(&v.as_bytes()[..v.len().min(100)]).into_owned(),
    )
}
