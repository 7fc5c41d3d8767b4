//! The two stacks every verifier test runs through (an axum Router and a bare
//! `tower::service_fn`), and assertions over both.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::routing::get;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::revocation::RevocationStore;
use tower_jwt_cookie::{CookieAuth, Rejection, VerifiedClaims};

/// Which stack a request goes through.
#[derive(Clone, Copy, Debug)]
pub enum Stack {
    Axum,
    ServiceFn,
}

pub const STACKS: [Stack; 2] = [Stack::Axum, Stack::ServiceFn];

/// What came back, with the body read.
#[derive(Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub rejection: Option<Rejection>,
    pub body: String,
}

impl Outcome {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

pub fn cookie_request(token: &str) -> Request<Body> {
    Request::get("/api/me")
        .header("cookie", format!("theme=dark; __Host-Http-access={token}"))
        .body(Body::empty())
        .unwrap()
}

async fn handler_body(claims: &VerifiedClaims<Value>) -> String {
    json!({ "sub": claims.subject(), "roles": claims.custom()["roles"] }).to_string()
}

/// Sends `request` through the verifier in front of `stack`; the handler
/// answers 200 with the subject and roles, and counts its calls in `calls`.
pub async fn send_counting<S: RevocationStore>(
    auth: &CookieAuth<S>,
    stack: Stack,
    request: Request<Body>,
    calls: Arc<AtomicUsize>,
) -> Outcome {
    let response: Response<Body> = match stack {
        Stack::Axum => {
            let app =
                axum::Router::new()
                    .route(
                        "/{*path}",
                        get(
                            move |axum::Extension(claims): axum::Extension<
                                VerifiedClaims<Value>,
                            >| async move {
                                calls.fetch_add(1, Ordering::SeqCst);
                                handler_body(&claims).await
                            },
                        ),
                    )
                    .layer(auth.verifier::<Value>());
            app.oneshot(request).await.unwrap()
        }
        Stack::ServiceFn => {
            let service = ServiceBuilder::new()
                .layer(auth.verifier::<Value>())
                .service(service_fn(move |request: Request<Body>| {
                    let calls = Arc::clone(&calls);
                    async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let claims = request
                            .extensions()
                            .get::<VerifiedClaims<Value>>()
                            .unwrap()
                            .clone();
                        Ok::<_, Infallible>(Response::new(Body::from(handler_body(&claims).await)))
                    }
                }));
            service.oneshot(request).await.unwrap().map(Body::new)
        }
    };
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Outcome {
        status: parts.status,
        rejection: parts.extensions.get::<Rejection>().cloned(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn send<S: RevocationStore>(
    auth: &CookieAuth<S>,
    stack: Stack,
    request: Request<Body>,
) -> Outcome {
    send_counting(auth, stack, request, Arc::new(AtomicUsize::new(0))).await
}

/// Sends `token` in the access cookie through both stacks and asserts the
/// refusal is exactly `expected`, with a 401/503 and no handler call.
pub async fn assert_refused<S: RevocationStore>(
    auth: &CookieAuth<S>,
    token: &str,
    expected: Rejection,
) {
    for stack in STACKS {
        let calls = Arc::new(AtomicUsize::new(0));
        let outcome = send_counting(auth, stack, cookie_request(token), Arc::clone(&calls)).await;
        assert_eq!(
            outcome.rejection.as_ref(),
            Some(&expected),
            "{stack:?}: {}",
            outcome.body
        );
        assert_eq!(outcome.status, expected.status(), "{stack:?}");
        assert_eq!(outcome.json()["error"], expected.reason(), "{stack:?}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "{stack:?}: the handler ran"
        );
    }
}

/// Sends `token` through both stacks and asserts the handler answered for alice.
pub async fn assert_accepted<S: RevocationStore>(auth: &CookieAuth<S>, token: &str) {
    for stack in STACKS {
        let outcome = send(auth, stack, cookie_request(token)).await;
        assert_eq!(
            outcome.status,
            StatusCode::OK,
            "{stack:?}: {}",
            outcome.body
        );
        assert_eq!(outcome.rejection, None);
        assert_eq!(
            outcome.json(),
            json!({ "sub": "alice", "roles": ["reader"] })
        );
    }
}
