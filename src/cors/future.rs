use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use super::layer::CorsConfig;
use super::service::add_actual_headers;
use crate::body::ResponseBody;

pin_project! {
    /// The response future of [`CorsService`](super::CorsService): the inner
    /// service's response with CORS headers added, or a preflight answer.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner {
            #[pin]
            future: F,
            allowed: Option<HeaderValue>,
            config: Arc<CorsConfig>,
        },
        Preflight {
            response: Option<Response<Bytes>>,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn inner(future: F, allowed: Option<HeaderValue>, config: Arc<CorsConfig>) -> Self {
        Self {
            kind: Kind::Inner {
                future,
                allowed,
                config,
            },
        }
    }

    pub(super) fn preflight(response: Response<Bytes>) -> Self {
        Self {
            kind: Kind::Preflight {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner {
                future,
                allowed,
                config,
            } => {
                let mut response = ready!(future.poll(cx))?;
                add_actual_headers(response.headers_mut(), allowed.take(), config);
                Poll::Ready(Ok(response.map(ResponseBody::inner)))
            }
            KindProj::Preflight { response } => {
                let response = response.take().expect("polled after completion");
                Poll::Ready(Ok(response.map(ResponseBody::full)))
            }
        }
    }
}
