use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::VerifiedClaims;
use super::authorize::{Authorized, authorize, find_token};
use super::cache::VerifiedCache;
use super::future::ResponseFuture;
use super::optional::Anonymous;
use crate::body::ResponseBody;
use crate::config::CookieAuth;
use crate::rejection::Rejection;
use crate::revocation::RevocationStore;
use crate::token::CustomClaims;

/// The service made by [`JwtCookieVerifier`](super::JwtCookieVerifier).
pub struct VerifierService<I, C, S> {
    pub(super) inner: I,
    pub(super) settings: Arc<Settings<C, S>>,
}

/// A verifier layer's settings, which it and every service it makes share
/// behind one `Arc`: axum clones a route's service for every request, and
/// each reference count a clone writes is memory shared by every core.
pub(super) struct Settings<C, S> {
    pub(super) auth: CookieAuth<S>,
    pub(super) optional: bool,
    pub(super) cache: Option<Arc<VerifiedCache<C>>>,
}

impl<C, S> Clone for Settings<C, S> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            optional: self.optional,
            cache: self.cache.clone(),
        }
    }
}

impl<I, C, S> VerifierService<I, C, S> {
    crate::macros::inner_service_accessors!();
}

impl<I: Clone, C, S> Clone for VerifierService<I, C, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<I: fmt::Debug, C, S> fmt::Debug for VerifierService<I, C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierService")
            .field("inner", &self.inner)
            .field("auth", &self.settings.auth)
            .field("optional", &self.settings.optional)
            .field("cache", &self.settings.cache)
            .finish()
    }
}

impl<I, C, S, ReqBody, ResBody> Service<Request<ReqBody>> for VerifierService<I, C, S>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    C: CustomClaims,
    S: RevocationStore,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = I::Error;
    type Future = ResponseFuture<I, ReqBody, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let settings = &*self.settings;
        let shared = &settings.auth.shared;
        let started = find_token(shared, request.headers()).and_then(|(token, source)| {
            authorize::<C, S>(shared, settings.cache.as_ref(), token)
                .map(|authorized| (authorized, source))
        });
        match started {
            // Answered without waiting: call the service that was polled ready.
            Ok((Authorized::Now(claims), source)) => {
                request
                    .extensions_mut()
                    .insert(VerifiedClaims::new(claims, source));
                ResponseFuture::calling(self.inner.call(request))
            }
            Ok((Authorized::Pending(authorization), source)) => {
                // The inner service is called later: take the one that was
                // polled ready and leave a clone (which may not be ready) behind.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                let responder = Arc::clone(&shared.responder);
                ResponseFuture::authorizing(authorization, source, request, inner, responder)
            }
            // Optional mode, and no token at all: anonymous (`optional.rs`).
            Err(Rejection::MissingToken) if settings.optional => {
                request.extensions_mut().insert(Anonymous);
                ResponseFuture::calling(self.inner.call(request))
            }
            Err(rejection) => ResponseFuture::rejected(rejection, &request, &*shared.responder),
        }
    }
}

/// Keeps the inner service's gRPC name, so tonic routes to a verified service
/// exactly as to the bare one.
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
impl<I: tonic::server::NamedService, C, S> tonic::server::NamedService
    for VerifierService<I, C, S>
{
    const NAME: &'static str = I::NAME;
}
