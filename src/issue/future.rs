use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::Response;
use pin_project_lite::pin_project;

use super::command::Session;
use super::mint::append_cookies;
use super::refresh::Answer;
use super::run::{self, Finish, SavedRequest, Task};
use crate::body::ResponseBody;
use crate::config::Shared;
use crate::revocation::RevocationStore;

pin_project! {
    /// The response future of [`IssuerService`](super::IssuerService).
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture<F, ResBody, S> {
        #[pin]
        state: State<F, ResBody, S>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, ResBody, S> {
        // The inner service is answering; a session command may follow.
        Calling {
            #[pin]
            future: F,
            shared: Option<Arc<Shared<S>>>,
            request: Option<SavedRequest>,
        },
        // A session command's store call is running.
        Finishing {
            task: Task,
            response: Option<Response<ResBody>>,
        },
        // The refresh endpoint is answering.
        Answering {
            answer: Answer,
        },
        // A response the layer wrote, ready now.
        Ready {
            response: Option<Response<Bytes>>,
        },
    }
}

impl<F, ResBody, S> ResponseFuture<F, ResBody, S> {
    pub(super) fn calling(future: F, shared: Arc<Shared<S>>, request: SavedRequest) -> Self {
        Self {
            state: State::Calling {
                future,
                shared: Some(shared),
                request: Some(request),
            },
        }
    }

    pub(super) fn answering(answer: Answer) -> Self {
        Self {
            state: State::Answering { answer },
        }
    }

    pub(super) fn ready(response: Response<Bytes>) -> Self {
        Self {
            state: State::Ready {
                response: Some(response),
            },
        }
    }
}

crate::macros::response_future_debug!(impl<F, ResBody, S> ResponseFuture<F, ResBody, S>);

impl<F, ResBody, S, E> Future for ResponseFuture<F, ResBody, S>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    S: RevocationStore,
{
    type Output = Result<Response<ResponseBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Calling {
                    future,
                    shared,
                    request,
                } => {
                    let mut response = ready!(future.poll(cx))?;
                    let Some(session) = response.extensions_mut().remove::<Session>() else {
                        return Poll::Ready(Ok(response.map(ResponseBody::inner)));
                    };
                    let shared = shared.take().expect("polled after completion");
                    let request = request.take().expect("polled after completion");
                    let task = run::run(shared, request, session.take());
                    this.state.set(State::Finishing {
                        task,
                        response: Some(response),
                    });
                }
                StateProj::Finishing { task, response } => {
                    let finish = ready!(task.as_mut().poll(cx));
                    let mut response = response.take().expect("polled after completion");
                    return Poll::Ready(Ok(match finish {
                        Finish::Cookies(cookies) => {
                            append_cookies(response.headers_mut(), cookies);
                            response.map(ResponseBody::inner)
                        }
                        Finish::Replace(replacement) => replacement.map(ResponseBody::full),
                    }));
                }
                StateProj::Answering { answer } => {
                    let response = ready!(answer.as_mut().poll(cx));
                    return Poll::Ready(Ok(response.map(ResponseBody::full)));
                }
                StateProj::Ready { response } => {
                    let response = response.take().expect("polled after completion");
                    return Poll::Ready(Ok(response.map(ResponseBody::full)));
                }
            }
        }
    }
}
