use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::refresh::{method_not_allowed, refresh};
use super::run::SavedRequest;
use crate::body::ResponseBody;
use crate::config::CookieAuth;
use crate::revocation::RevocationStore;

/// The service made by [`JwtCookieIssuer`](super::JwtCookieIssuer).
pub struct IssuerService<I, S> {
    pub(super) inner: I,
    pub(super) auth: CookieAuth<S>,
}

impl<I, S> IssuerService<I, S> {
    crate::macros::inner_service_accessors!();
}

impl<I: Clone, S> Clone for IssuerService<I, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<I: fmt::Debug, S> fmt::Debug for IssuerService<I, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerService")
            .field("inner", &self.inner)
            .field("auth", &self.auth)
            .finish()
    }
}

impl<I, S, ReqBody, ResBody> Service<Request<ReqBody>> for IssuerService<I, S>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S: RevocationStore,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = I::Error;
    type Future = ResponseFuture<I::Future, ResBody, S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let shared = &self.auth.shared;
        // Exact path: no normalisation, so no alternative spelling reaches it.
        if request.uri().path() == shared.sessions.refresh_path {
            if request.method() != Method::POST {
                return ResponseFuture::ready(method_not_allowed());
            }
            let (parts, _body) = request.into_parts();
            return ResponseFuture::answering(refresh(Arc::clone(shared), parts));
        }
        let saved = SavedRequest::new(&request, self.auth.shared.bearer);
        ResponseFuture::calling(self.inner.call(request), Arc::clone(shared), saved)
    }
}
