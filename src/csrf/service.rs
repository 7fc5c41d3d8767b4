use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::policy::GuardConfig;
use crate::body::ResponseBody;
use crate::future::ResponseFuture;
use crate::rejection::{Rejection, rejection_response};

/// The service made by [`CsrfSameSiteGuard`](super::CsrfSameSiteGuard).
#[derive(Clone)]
pub struct CsrfGuardService<I> {
    pub(super) inner: I,
    pub(super) config: Arc<GuardConfig>,
}

impl<I> CsrfGuardService<I> {
    crate::macros::inner_service_accessors!();
}

impl<I: fmt::Debug> fmt::Debug for CsrfGuardService<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfGuardService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<I, ReqBody, ResBody> Service<Request<ReqBody>> for CsrfGuardService<I>
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
        match config.check(request.method(), request.uri(), request.headers()) {
            Ok(()) => ResponseFuture::called(self.inner.call(request)),
            Err(reason) if config.report_only => {
                tracing::warn!(
                    reason = reason.code(),
                    method = %request.method(),
                    path = request.uri().path(),
                    "CSRF guard in report-only mode: this request would be refused"
                );
                ResponseFuture::called(self.inner.call(request))
            }
            Err(reason) => {
                let response =
                    rejection_response(&*config.responder, Rejection::Csrf(reason), &request);
                ResponseFuture::ready(response)
            }
        }
    }
}
