//! The app of `examples/hyper`: a hand-written router behind the layers, no
//! framework. Shared with `tests/it/hyper_example.rs`, which serves it over
//! real HTTP.
//!
//! The layers take any `http_body::Body` the router answers with and return
//! `Response<ResponseBody<B>>`: the router never builds a `ResponseBody`. The
//! one place two body types meet is a route behind the verifier (whose
//! answer is `ResponseBody<Full<Bytes>>`) next to routes that answer
//! `Full<Bytes>` directly: `http_body_util::Either` joins them without boxing.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::revocation::RevocationStore;
use tower_jwt_cookie::{CookieAuth, Session, VerifiedClaims};

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// `GET /api/me` (behind the verifier), `POST /auth/login` (body
/// `user:password`), `POST /auth/logout`, `POST /auth/logout-all`; the
/// issuer and the CSRF guard around everything. `POST /auth/refresh` is
/// answered by the issuer itself.
pub fn app<S, ReqBody>(
    auth: &CookieAuth<S>,
) -> Result<
    impl Service<
        Request<ReqBody>,
        Response = Response<impl Body<Data = Bytes, Error = BoxError> + Send + use<S, ReqBody>>,
        Error = Infallible,
        Future = impl Send + use<S, ReqBody>,
    > + Clone
    + Send
    + use<S, ReqBody>,
    BoxError,
>
where
    S: RevocationStore,
    ReqBody: Body<Data = Bytes, Error: Send> + Send + 'static,
{
    // A route behind the verifier: it finds the claims in the request extensions.
    let me = ServiceBuilder::new()
        .layer(auth.verifier::<serde_json::Value>())
        .service(service_fn(|request: Request<ReqBody>| async move {
            let claims = request
                .extensions()
                .get::<VerifiedClaims<serde_json::Value>>()
                .expect("behind the verifier");
            Ok::<_, Infallible>(text(StatusCode::OK, format!("hello {}", claims.subject())))
        }));
    let router = service_fn(move |request: Request<ReqBody>| {
        let me = me.clone();
        async move {
            let route = (request.method().clone(), request.uri().path().to_owned());
            let response = match (route.0, route.1.as_str()) {
                (Method::GET, "/api/me") => {
                    return Ok(me.oneshot(request).await?.map(Either::Right));
                }
                (Method::POST, "/auth/login") => {
                    let Ok(body) = request.into_body().collect().await else {
                        return Ok(
                            text(StatusCode::BAD_REQUEST, "unreadable body").map(Either::Left)
                        );
                    };
                    // Your password check goes here (argon2: examples/demo/users.rs).
                    if body.to_bytes() != "alice:wonderland" {
                        return Ok(
                            text(StatusCode::UNAUTHORIZED, "wrong password").map(Either::Left)
                        );
                    }
                    let mut response = text(StatusCode::OK, "welcome");
                    Session::issue("alice").attach(&mut response);
                    response
                }
                (Method::POST, "/auth/logout") => {
                    let mut response = text(StatusCode::NO_CONTENT, "");
                    Session::end().attach(&mut response);
                    response
                }
                (Method::POST, "/auth/logout-all") => {
                    let mut response = text(StatusCode::NO_CONTENT, "");
                    Session::end_all().attach(&mut response);
                    response
                }
                _ => text(StatusCode::NOT_FOUND, "not found"),
            };
            Ok::<_, Infallible>(response.map(Either::Left))
        }
    });
    Ok(ServiceBuilder::new()
        .layer(auth.csrf_guard().build()?)
        .layer(auth.issuer()?)
        .service(router))
}

/// Serves `app` on `listener` with hyper's HTTP/1 connection, one task per
/// connection, until the task running this is dropped.
pub async fn serve<A, B>(listener: TcpListener, app: A) -> std::io::Result<()>
where
    A: Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    A::Future: Send + 'static,
    B: Body<Data = Bytes, Error = BoxError> + Send + 'static,
{
    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection: {error}");
            }
        });
    }
}
