use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use super::policy::CorsConfig;
use crate::body::ResponseBody;

pin_project! {
    /// The response future of [`CorsService`](super::CorsService): the inner
    /// service's response with CORS headers added, or a preflight answer.
    pub struct ResponseFuture<F> {
        #[pin]
        future: crate::future::ResponseFuture<F>,
        // `Some` for an actual request: the headers to add to its response.
        actual: Option<(Option<HeaderValue>, Arc<CorsConfig>)>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn inner(future: F, allowed: Option<HeaderValue>, config: Arc<CorsConfig>) -> Self {
        Self {
            future: crate::future::ResponseFuture::called(future),
            actual: Some((allowed, config)),
        }
    }

    pub(super) fn preflight(response: Response<Bytes>) -> Self {
        Self {
            future: crate::future::ResponseFuture::ready(response),
            actual: None,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.future.poll(cx))?;
        if let Some((allowed, config)) = this.actual.take() {
            config.add_actual_headers(response.headers_mut(), allowed);
        }
        Poll::Ready(Ok(response))
    }
}
