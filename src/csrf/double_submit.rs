//! [`CsrfTokenCheck`]: the double-submit check, placed AFTER the verifier.
//!
//! Why after: a token is bound to the session id (`sid`), and the only
//! trustworthy `sid` is the one in an access token whose signature, claims
//! and revocation status have been checked. Reading `sid` before the verifier
//! would mean verifying the JWT twice (or trusting an unverified one), so the
//! Fetch-Metadata guard runs first (cheap, no crypto, refuses before any
//! authentication work), and this small layer runs right after the verifier,
//! reading [`VerifiedClaims::session_id`]. A refused request still never
//! reaches the handler.
//!
//! Requests whose token came in `Authorization: Bearer`
//! ([`TokenSource::Bearer`]) are not checked: a forging page cannot make a
//! browser send that header, and such clients have no CSRF cookie.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::method::is_safe;
use crate::body::ResponseBody;
use crate::config::CookieAuth;
use crate::double_submit_token::CsrfTokens;
use crate::error::ConfigError;
use crate::future::ResponseFuture;
use crate::rejection::{CsrfReason, DefaultResponder, Rejection, Responder, rejection_response};
use crate::token::NoCustomClaims;
use crate::verify::{TokenSource, VerifiedClaims};

/// Requires a valid double-submit token on unsafe requests of a verified
/// session. Place it inside (after) [`JwtCookieVerifier<C>`](crate::JwtCookieVerifier)
/// with the same `C`.
/// Requests authenticated with `Authorization: Bearer` pass unchecked (see
/// [`TokenSource`]).
#[must_use = "a layer does nothing unless it wraps a service"]
pub struct CsrfTokenCheck<C = NoCustomClaims> {
    tokens: CsrfTokens,
    responder: Arc<dyn Responder>,
    _claims: PhantomData<fn() -> C>,
}

impl<C> CsrfTokenCheck<C> {
    /// A check using `tokens` and the default 403 response.
    pub fn new(tokens: CsrfTokens) -> Self {
        Self {
            tokens,
            responder: Arc::new(DefaultResponder),
            _claims: PhantomData,
        }
    }

    /// Replaces the response to a refused request.
    pub fn responder(mut self, responder: impl Responder) -> Self {
        self.responder = Arc::new(responder);
        self
    }
}

impl<S> CookieAuth<S> {
    /// The double-submit check for sessions verified by `verifier::<C>()`,
    /// with the tokens the issuer sets and this configuration's responder.
    /// Place it inside the verifier. An error unless
    /// [`csrf_double_submit`](crate::CookieAuthBuilder::csrf_double_submit) was set.
    pub fn csrf_token_check<C>(&self) -> Result<CsrfTokenCheck<C>, ConfigError> {
        let tokens = self
            .shared
            .csrf_tokens
            .clone()
            .ok_or(ConfigError::NoCsrfTokens)?;
        Ok(CsrfTokenCheck {
            tokens,
            responder: Arc::clone(&self.shared.responder),
            _claims: PhantomData,
        })
    }
}

impl<C> Clone for CsrfTokenCheck<C> {
    fn clone(&self) -> Self {
        Self {
            tokens: self.tokens.clone(),
            responder: Arc::clone(&self.responder),
            _claims: PhantomData,
        }
    }
}

impl<C> fmt::Debug for CsrfTokenCheck<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfTokenCheck")
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl<I, C> Layer<I> for CsrfTokenCheck<C> {
    type Service = CsrfTokenService<I, C>;

    fn layer(&self, inner: I) -> Self::Service {
        CsrfTokenService {
            inner,
            check: self.clone(),
        }
    }
}

/// The service made by [`CsrfTokenCheck`].
pub struct CsrfTokenService<I, C> {
    inner: I,
    check: CsrfTokenCheck<C>,
}

impl<I, C> CsrfTokenService<I, C> {
    crate::macros::inner_service_accessors!();
}

impl<I: Clone, C> Clone for CsrfTokenService<I, C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            check: self.check.clone(),
        }
    }
}

impl<I: fmt::Debug, C> fmt::Debug for CsrfTokenService<I, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfTokenService")
            .field("inner", &self.inner)
            .field("check", &self.check)
            .finish()
    }
}

impl<I, C, ReqBody, ResBody> Service<Request<ReqBody>> for CsrfTokenService<I, C>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: Send + Sync + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = I::Error;
    type Future = ResponseFuture<I::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if is_safe(request.method()) {
            return ResponseFuture::called(self.inner.call(request));
        }
        let outcome = match request.extensions().get::<VerifiedClaims<C>>() {
            // A page cannot make a browser attach `Authorization` cross-site,
            // and Bearer clients (gRPC, mobile, scripts) have no CSRF cookie.
            Some(claims) if claims.source() == TokenSource::Bearer => Ok(()),
            Some(claims) => self
                .check
                .tokens
                .check(claims.session_id(), request.headers()),
            None => Err(CsrfReason::NoSession),
        };
        match outcome {
            Ok(()) => ResponseFuture::called(self.inner.call(request)),
            Err(reason) => {
                let response =
                    rejection_response(&*self.check.responder, Rejection::Csrf(reason), &request);
                ResponseFuture::ready(response)
            }
        }
    }
}
