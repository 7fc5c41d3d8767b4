use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::Response;
use pin_project_lite::pin_project;

use super::policy::ActualHeaders;
use crate::body::ResponseBody;

pin_project! {
    /// The response future of [`CorsService`](super::CorsService): the inner
    /// service's response with CORS headers added, or a preflight answer.
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture<F> {
        #[pin]
        future: crate::future::ResponseFuture<F>,
        // `Some` for an actual request: the headers to add to its response.
        actual: Option<ActualHeaders>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn inner(future: F, actual: ActualHeaders) -> Self {
        Self {
            future: crate::future::ResponseFuture::called(future),
            actual: Some(actual),
        }
    }

    pub(super) fn preflight(response: Response<Bytes>) -> Self {
        Self {
            future: crate::future::ResponseFuture::ready(response),
            actual: None,
        }
    }
}

crate::macros::response_future_debug!(impl<F> ResponseFuture<F>);

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.future.poll(cx))?;
        if let Some(actual) = this.actual.take() {
            actual.add_to(response.headers_mut());
        }
        Poll::Ready(Ok(response))
    }
}
