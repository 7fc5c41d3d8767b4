use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::authorize::Authorization;
use super::{TokenSource, VerifiedClaims};
use crate::body::ResponseBody;
use crate::rejection::{Rejection, Responder, rejection_response};

pin_project! {
    /// The response future of [`VerifierService`](super::VerifierService).
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture<I, ReqBody, C>
    where
        I: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<I, ReqBody, C>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<I, ReqBody, C>
    where
        I: Service<Request<ReqBody>>,
    {
        Authorizing {
            authorization: Authorization<C>,
            source: TokenSource,
            request: Option<Request<ReqBody>>,
            inner: Option<I>,
            responder: Arc<dyn Responder>,
        },
        Calling {
            #[pin]
            future: I::Future,
        },
        Rejected {
            response: Option<Response<bytes::Bytes>>,
        },
    }
}

impl<I, ReqBody, C> ResponseFuture<I, ReqBody, C>
where
    I: Service<Request<ReqBody>>,
{
    pub(super) fn authorizing(
        authorization: Authorization<C>,
        source: TokenSource,
        request: Request<ReqBody>,
        inner: I,
        responder: Arc<dyn Responder>,
    ) -> Self {
        Self {
            state: State::Authorizing {
                authorization,
                source,
                request: Some(request),
                inner: Some(inner),
                responder,
            },
        }
    }

    pub(super) fn calling(future: I::Future) -> Self {
        Self {
            state: State::Calling { future },
        }
    }

    pub(super) fn rejected(
        rejection: Rejection,
        request: &Request<ReqBody>,
        responder: &dyn Responder,
    ) -> Self {
        Self {
            state: State::Rejected {
                response: Some(rejection_response(responder, rejection, request)),
            },
        }
    }
}

crate::macros::response_future_debug!(
    impl<I, ReqBody, C> ResponseFuture<I, ReqBody, C> where I: Service<Request<ReqBody>>
);

impl<I, ReqBody, ResBody, C> Future for ResponseFuture<I, ReqBody, C>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: Clone + Send + Sync + 'static,
{
    type Output = Result<Response<ResponseBody<ResBody>>, I::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Authorizing {
                    authorization,
                    source,
                    request,
                    inner,
                    responder,
                } => {
                    let outcome = ready!(authorization.as_mut().poll(cx));
                    let mut request = request.take().expect("polled after completion");
                    match outcome {
                        Ok(claims) => {
                            request
                                .extensions_mut()
                                .insert(VerifiedClaims::new(claims, *source));
                            let mut inner = inner.take().expect("polled after completion");
                            let future = inner.call(request);
                            this.state.set(State::Calling { future });
                        }
                        Err(rejection) => {
                            let response = rejection_response(&**responder, rejection, &request);
                            return Poll::Ready(Ok(response.map(ResponseBody::full)));
                        }
                    }
                }
                StateProj::Calling { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(ResponseBody::inner)));
                }
                StateProj::Rejected { response } => {
                    let response = response.take().expect("polled after completion");
                    return Poll::Ready(Ok(response.map(ResponseBody::full)));
                }
            }
        }
    }
}
