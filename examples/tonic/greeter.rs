//! `greeter.Greeter/SayHello`: a one-method gRPC service, its client, and the
//! server with the verifier in front (for gRPC and gRPC-web), shared by
//! `examples/tonic` and `tests/it/grpc.rs`.
//!
//! Written by hand the way `tonic-build` would generate it, so building needs
//! no `protoc`. The wire contract is this proto:
//!
//! ```proto
//! syntax = "proto3";
//! package greeter;
//! service Greeter { rpc SayHello(HelloRequest) returns (HelloReply); }
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; string subject = 2; }
//! ```

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::metadata::MetadataValue;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{GrpcMethod, IntoRequest, Request, Response, Status};
use tonic_prost::ProstCodec;
use tower::Service;
use tower_jwt_cookie::{CookieAuth, RevocationStore, VerifiedClaims};

/// The service's full name, as in the proto.
pub const SERVICE: &str = "greeter.Greeter";
const SAY_HELLO: &str = "/greeter.Greeter/SayHello";

/// `HelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Whom to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `HelloReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
    /// The `sub` of the verified access token: who the server thinks called.
    #[prost(string, tag = "2")]
    pub subject: String,
}

/// A request carrying `token` as `authorization: Bearer` metadata: gRPC
/// clients present the access token themselves (no cookie jar, so no CSRF).
pub fn with_bearer(
    message: HelloRequest,
    token: &str,
) -> Result<Request<HelloRequest>, tonic::metadata::errors::InvalidMetadataValue> {
    let mut request = Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {token}"))?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

/// The server side: routes `SayHello` to the handler and counts its calls
/// (so a test can prove a refused request never reached it).
#[derive(Clone, Debug, Default)]
pub struct GreeterServer {
    calls: Arc<AtomicUsize>,
}

impl GreeterServer {
    /// How many times the handler has run.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl NamedService for GreeterServer {
    const NAME: &'static str = SERVICE;
}

impl<B> Service<http::Request<B>> for GreeterServer
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != SAY_HELLO {
            return Box::pin(ready(Ok(Status::unimplemented("").into_http())));
        }
        let handler = SayHello {
            calls: Arc::clone(&self.calls),
        };
        Box::pin(async move {
            let mut grpc = Grpc::new(ProstCodec::<HelloReply, HelloRequest>::default());
            Ok(grpc.unary(handler, request).await)
        })
    }
}

/// The `SayHello` handler.
struct SayHello {
    calls: Arc<AtomicUsize>,
}

impl UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = Ready<Result<Response<HelloReply>, Status>>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        // tonic keeps the HTTP request's extensions, where the verifier put
        // the claims. Absent only if the verifier is not in front: refuse.
        let Some(claims) = request.extensions().get::<VerifiedClaims>() else {
            return ready(Err(Status::unauthenticated("no verified claims")));
        };
        let subject = claims.subject().to_owned();
        let name = &request.get_ref().name;
        ready(Ok(Response::new(HelloReply {
            message: format!("hello {name}"),
            subject,
        })))
    }
}

/// The request headers a gRPC-web client sends (grpc-web's PROTOCOL-WEB.md).
const GRPC_WEB_REQUEST_HEADERS: [&str; 4] =
    ["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout"];
/// The response headers a gRPC-web page must be able to read.
const GRPC_WEB_RESPONSE_HEADERS: [&str; 3] =
    ["grpc-status", "grpc-message", "grpc-status-details-bin"];

/// Serves `greeter` on `listener` behind `auth`'s verifier until `shutdown`,
/// to gRPC clients (HTTP/2, Bearer token) and to browsers over gRPC-web
/// (HTTP/1.1, translated by tonic-web), where the HttpOnly access cookie
/// authenticates the call.
///
/// A cookie travels with cross-site requests on its own, so gRPC-web calls
/// pass the CSRF guard first (a call from another site's page is refused
/// before anything runs), and CredentialedCors lets exactly the allowed
/// origins' pages read the answers. Native gRPC clients send neither
/// `Sec-Fetch-Site` nor `Origin` and pass both. The verifier sits inside
/// the gRPC-web translation, so its refusals are gRPC statuses either way.
///
/// `Server::layer` takes each layer as it is: their response bodies
/// (`ResponseBody<…>`) are `http_body::Body`s with `Bytes` data.
pub async fn serve<S: RevocationStore>(
    auth: &CookieAuth<S>,
    greeter: GreeterServer,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let cors = auth
        .cors()
        .allow_methods([http::Method::POST])
        .allow_headers(GRPC_WEB_REQUEST_HEADERS.map(http::HeaderName::from_static))
        .expose_headers(GRPC_WEB_RESPONSE_HEADERS.map(http::HeaderName::from_static))
        .build()?;
    let csrf = auth.csrf_guard().build()?;
    Server::builder()
        .accept_http1(true) // gRPC-web runs over HTTP/1.1
        .layer(cors)
        .layer(csrf)
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(auth.verifier::<tower_jwt_cookie::token::NoCustomClaims>())
        .add_service(greeter)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown)
        .await?;
    Ok(())
}

/// The client side.
#[derive(Clone, Debug)]
pub struct GreeterClient {
    inner: tonic::client::Grpc<Channel>,
}

impl GreeterClient {
    /// A client over `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            inner: tonic::client::Grpc::new(channel),
        }
    }

    /// Calls `SayHello`.
    pub async fn say_hello(
        &mut self,
        request: impl IntoRequest<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unavailable(format!("the channel is not ready: {e}")))?;
        let mut request = request.into_request();
        request
            .extensions_mut()
            .insert(GrpcMethod::new(SERVICE, "SayHello"));
        let codec = ProstCodec::<HelloRequest, HelloReply>::default();
        self.inner
            .unary(request, PathAndQuery::from_static(SAY_HELLO), codec)
            .await
    }
}

/// The example's client mode (`cargo run --example tonic -- call [TOKEN]`):
/// calls `SayHello` on `addr` with `token`, if any, as Bearer metadata. `Ok`
/// is the line printed on success (`hello you, you are SUB`), `Err` the gRPC
/// status of the failure as `Code: message`.
pub async fn call(addr: &str, token: Option<&str>) -> Result<String, String> {
    say_hello(addr, token)
        .await
        .map(|reply| format!("{}, you are {}", reply.message, reply.subject))
        .map_err(|status| format!("{:?}: {}", status.code(), status.message()))
}

async fn say_hello(addr: &str, token: Option<&str>) -> Result<HelloReply, Status> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| {
            Status::invalid_argument(format!("TONIC_ADDR `{addr}` is not host:port: {e}"))
        })?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| connect_failure(addr, error))?;
    let message = HelloRequest { name: "you".into() };
    let request = match token {
        Some(token) => with_bearer(message, token).map_err(|e| {
            Status::invalid_argument(format!("the token cannot be sent as metadata: {e}"))
        })?,
        None => Request::new(message),
    };
    GreeterClient::new(channel)
        .say_hello(request)
        .await
        .map(Response::into_inner)
}

/// A failed connect as the gRPC status a client reports for it: tonic's
/// `Status::from_error` finds tonic's `ConnectError` in the chain and answers
/// `Unavailable` ("most likely a transient condition", gRPC status codes:
/// <https://grpc.github.io/grpc/core/md_doc_statuscodes.html>), as it does
/// for a call on a lazily connected channel. The message names the address
/// and the innermost cause (`Connection refused (os error 111)`), not the
/// wrappers' "transport error: tcp connect error".
fn connect_failure(addr: &str, error: tonic::transport::Error) -> Status {
    let cause = std::iter::successors(Some(&error as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .last()
    .map(ToString::to_string)
    .unwrap_or_default();
    let code = Status::from_error(Box::new(error)).code();
    Status::new(
        code,
        format!("cannot connect to {addr} (TONIC_ADDR): {cause}"),
    )
}
