//! The verifier in front of a real tonic server, called by a real tonic
//! client over HTTP/2 on 127.0.0.1: what a gRPC client sees when its Bearer
//! token is accepted or refused, and that a refused call never reaches the
//! handler. Then the same server over gRPC-web (HTTP/1.1), as a browser
//! calls it: the access cookie authenticates, behind the CSRF guard and
//! CredentialedCors.

#[path = "../../examples/tonic/greeter.rs"]
pub(crate) mod greeter;

use std::future::Future;
use std::time::Duration;

use greeter::{GreeterClient, GreeterServer, HelloRequest, with_bearer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Endpoint;
use tonic::{Code, Status};
use tower_jwt_cookie::revocation::SessionRevocation;
use tower_jwt_cookie::token::MAX_LEEWAY_SECS;
use tower_jwt_cookie::{MemoryStore, RevocationStore};

use crate::support::*;

/// How long any one step (connect, call, shutdown) may take.
const DEADLINE: Duration = Duration::from_secs(10);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {DEADLINE:?}"))
}

/// The page allowed to call over gRPC-web with cookies.
const PAGE: &str = "https://app.example";

/// The fixture's configuration with `Authorization: Bearer` accepted, and
/// one page allowed to call over gRPC-web.
fn fixture<S: RevocationStore>(store: S) -> Fixture<S> {
    Fixture::build(keys(), store, |b| b.bearer(true).allowed_origins([PAGE]))
}

/// A greeter server on an ephemeral port and a client connected to it.
struct Running {
    addr: std::net::SocketAddr,
    greeter: GreeterServer,
    client: GreeterClient,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), Box<dyn std::error::Error + Send + Sync>>>,
}

async fn start<S: RevocationStore>(fixture: &Fixture<S>) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let greeter = GreeterServer::default();
    let (stop, stopped) = oneshot::channel::<()>();
    let auth = fixture.auth.clone();
    let served = greeter.clone();
    let server = tokio::spawn(async move {
        greeter::serve(&auth, served, listener, async {
            let _ = stopped.await;
        })
        .await
    });
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(DEADLINE)
        .timeout(DEADLINE);
    let channel = within("connecting", channel.connect()).await.unwrap();
    Running {
        addr,
        greeter,
        client: GreeterClient::new(channel),
        stop,
        server,
    }
}

impl Running {
    async fn call(&mut self, token: Option<&str>) -> Result<greeter::HelloReply, Status> {
        let message = HelloRequest {
            name: "grpc".into(),
        };
        let request = match token {
            Some(token) => with_bearer(message, token).unwrap(),
            None => tonic::Request::new(message),
        };
        within("the call", self.client.say_hello(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Calls with `token`, expects a refusal, and checks the handler never ran.
    async fn refused(&mut self, token: Option<&str>) -> Status {
        let status = self.call(token).await.expect_err("the call was accepted");
        assert_eq!(
            self.greeter.calls(),
            0,
            "the handler ran for a refused call"
        );
        status
    }

    /// Stops the server gracefully; it must shut down cleanly.
    async fn stop(self) {
        let _ = self.stop.send(());
        within("shutdown", self.server).await.unwrap().unwrap();
    }
}

fn code_and_message(status: &Status) -> (Code, &str) {
    (status.code(), status.message())
}

/// The session of every fixture token.
const FIXTURE_SESSION: SessionRevocation<'static> = SessionRevocation {
    sub: "alice",
    sid: "sid-1",
    expires_at: NOW + 900,
};

#[tokio::test]
async fn a_valid_bearer_token_reaches_the_handler_with_its_subject() {
    let fixture = fixture(MemoryStore::new());
    let mut running = start(&fixture).await;
    let token = fixture.mint(|c| c.registered.sub = Some("carol".into()));

    let reply = running.call(Some(&token)).await.unwrap();

    assert_eq!(reply.subject, "carol");
    assert_eq!(reply.message, "hello grpc");
    assert_eq!(running.greeter.calls(), 1);
    running.stop().await;
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let fixture = fixture(MemoryStore::new());
    let mut running = start(&fixture).await;

    let status = running.refused(None).await;

    assert_eq!(
        code_and_message(&status),
        (Code::Unauthenticated, "no token was presented")
    );
    running.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let fixture = fixture(MemoryStore::new());
    let mut running = start(&fixture).await;
    let token = fixture.mint(|_| {});
    // valid_claims expire 900 s after issue; step past the widest leeway too.
    fixture.clock.advance(900 + MAX_LEEWAY_SECS + 1);

    let status = running.refused(Some(&token)).await;

    assert_eq!(
        code_and_message(&status),
        (Code::Unauthenticated, "the token has expired")
    );
    running.stop().await;
}

#[tokio::test]
async fn a_token_with_a_wrong_signature_is_unauthenticated() {
    let fixture = fixture(MemoryStore::new());
    let mut running = start(&fixture).await;
    // Right header, kid and claims; signed with a secret the server does not hold.
    let token = forge_hs256(&header("HS256"), &payload(NOW), &[0x42; 32]);

    let status = running.refused(Some(&token)).await;

    assert_eq!(
        code_and_message(&status),
        (Code::Unauthenticated, "the token's signature is invalid")
    );
    running.stop().await;
}

#[tokio::test]
async fn a_failing_revocation_store_is_unavailable() {
    let fixture = fixture(TestStore::broken());
    let mut running = start(&fixture).await;
    let token = fixture.mint(|_| {});

    let status = running.refused(Some(&token)).await;

    assert_eq!(
        code_and_message(&status),
        (Code::Unavailable, "the session store is unavailable")
    );
    // The token itself was good: the store was asked, and failed closed.
    let checks = fixture.auth.store().checks();
    assert_eq!(checks, 1);
    running.stop().await;
}

#[tokio::test]
async fn a_revoked_session_is_unauthenticated() {
    let fixture = fixture(MemoryStore::new());
    let mut running = start(&fixture).await;
    let token = fixture.mint(|_| {});
    fixture
        .auth
        .store()
        .revoke_session(FIXTURE_SESSION) // every fixture token's session
        .await
        .unwrap();

    let status = running.refused(Some(&token)).await;

    assert_eq!(
        code_and_message(&status),
        (Code::Unauthenticated, "the token has been revoked")
    );
    running.stop().await;
}

#[tokio::test]
async fn the_same_token_is_accepted_until_its_session_is_revoked() {
    let fixture = fixture(MemoryStore::new());
    let mut running = start(&fixture).await;
    let token = fixture.mint(|_| {});

    assert_eq!(running.call(Some(&token)).await.unwrap().subject, "alice");
    fixture
        .auth
        .store()
        .revoke_session(FIXTURE_SESSION)
        .await
        .unwrap();
    let status = running.call(Some(&token)).await.unwrap_err();

    assert_eq!(
        code_and_message(&status),
        (Code::Unauthenticated, "the token has been revoked")
    );
    assert_eq!(running.greeter.calls(), 1, "only the first call ran");
    running.stop().await;
}

// ---- The example's client mode: `cargo run --example tonic -- call` ------

/// What `-- call` prints: the reply, or the refusal's gRPC code and message.
#[tokio::test]
async fn the_client_mode_prints_the_reply_or_the_code_and_message_of_the_refusal() {
    let fixture = fixture(MemoryStore::new());
    let running = start(&fixture).await;
    let addr = running.addr.to_string();
    let token = fixture.mint(|c| c.registered.sub = Some("carol".into()));

    assert_eq!(
        within("the call", greeter::call(&addr, Some(&token))).await,
        Ok("hello you, you are carol".to_owned())
    );
    assert_eq!(
        within("the call", greeter::call(&addr, None)).await,
        Err("Unauthenticated: no token was presented".to_owned())
    );
    fixture.clock.advance(900 + MAX_LEEWAY_SECS + 1);
    assert_eq!(
        within("the call", greeter::call(&addr, Some(&token))).await,
        Err("Unauthenticated: the token has expired".to_owned())
    );
    assert_eq!(running.greeter.calls(), 1, "only the accepted call ran");
    running.stop().await;
}

/// With no server at the address, the client mode reports gRPC's
/// `Unavailable`, the address and the operating system's reason.
#[tokio::test]
async fn the_client_mode_reports_a_server_that_is_down_as_unavailable() {
    // A port nothing listens on: bound, then released.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = tokio::net::TcpStream::connect(addr).await.unwrap_err();

    let outcome = within("the call", greeter::call(&addr.to_string(), Some("t.o.k"))).await;

    assert_eq!(
        outcome,
        Err(format!(
            "Unavailable: cannot connect to {addr} (TONIC_ADDR): {refused}"
        ))
    );
}

/// With feature `tonic` the verifier wraps one service (`add_service`), not
/// the whole server: routing by the service's gRPC name still works.
#[cfg(feature = "tonic")]
#[tokio::test]
async fn the_verifier_can_guard_a_single_service() {
    use tower::Layer;

    let fixture = fixture(MemoryStore::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let greeter = GreeterServer::default();
    let guarded = fixture
        .auth
        .verifier::<tower_jwt_cookie::token::NoCustomClaims>()
        .layer(greeter.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(guarded)
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(DEADLINE);
    let mut client = GreeterClient::new(within("connecting", channel.connect()).await.unwrap());

    let refused = within(
        "the call",
        client.say_hello(tonic::Request::new(HelloRequest { name: "x".into() })),
    )
    .await
    .unwrap_err();
    assert_eq!(
        code_and_message(&refused),
        (Code::Unauthenticated, "no token was presented")
    );
    assert_eq!(greeter.calls(), 0);
    let token = fixture.mint(|_| {});
    let request = with_bearer(HelloRequest { name: "x".into() }, &token).unwrap();
    let reply = within("the call", client.say_hello(request))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.subject, "alice");
    assert_eq!(greeter.calls(), 1);

    let _ = stop.send(());
    within("shutdown", server).await.unwrap().unwrap();
}

// ---- gRPC-web: a browser's call, authenticated by the access cookie -----

/// A gRPC-web call as a browser's grpc-web client makes it.
struct WebCall<'a> {
    cookie: Option<&'a str>,
    origin: Option<&'a str>,
    fetch_site: &'a str,
}

/// What came back: HTTP status and headers, the grpc-status and message
/// (from the headers of a trailers-only answer, or from the trailer frame),
/// and the reply message if any.
#[derive(Debug)]
struct WebAnswer {
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    grpc_status: String,
    grpc_message: String,
    reply: Option<greeter::HelloReply>,
}

impl Running {
    async fn web_call(&self, call: WebCall<'_>) -> WebAnswer {
        use prost::Message;
        let message = HelloRequest { name: "web".into() }.encode_to_vec();
        let mut frame = vec![0u8];
        frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(&message);
        let mut request = reqwest::Client::new()
            .post(format!("http://{}/greeter.Greeter/SayHello", self.addr))
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("sec-fetch-site", call.fetch_site)
            .body(frame);
        if let Some(token) = call.cookie {
            request = request.header("cookie", format!("__Host-Http-access={token}"));
        }
        if let Some(origin) = call.origin {
            request = request.header("origin", origin);
        }
        let response = within("the gRPC-web call", request.send()).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let body = within("the gRPC-web body", response.bytes()).await.unwrap();
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        let (mut grpc_status, mut grpc_message) = (header("grpc-status"), header("grpc-message"));
        let mut reply = None;
        let mut rest = &body[..];
        while rest.len() >= 5 {
            let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
            let (flag, payload) = (rest[0], &rest[5..5 + len]);
            if flag & 0x80 == 0 {
                reply = Some(greeter::HelloReply::decode(payload).unwrap());
            } else {
                for line in std::str::from_utf8(payload).unwrap().split("\r\n") {
                    match line.split_once(':') {
                        Some(("grpc-status", v)) => grpc_status = Some(v.trim().to_owned()),
                        Some(("grpc-message", v)) => grpc_message = Some(v.trim().to_owned()),
                        _ => {}
                    }
                }
            }
            rest = &rest[5 + len..];
        }
        WebAnswer {
            status,
            headers,
            grpc_status: grpc_status.expect("a grpc-status"),
            grpc_message: grpc_message.unwrap_or_default(),
            reply,
        }
    }
}

#[tokio::test]
async fn a_grpc_web_call_is_authenticated_by_the_access_cookie() {
    let fixture = fixture(MemoryStore::new());
    let running = start(&fixture).await;
    let token = fixture.mint(|c| c.registered.sub = Some("carol".into()));

    // From the server's own origin, and from the allowed page.
    for (origin, fetch_site) in [(None, "same-origin"), (Some(PAGE), "cross-site")] {
        let answer = running
            .web_call(WebCall {
                cookie: Some(&token),
                origin,
                fetch_site,
            })
            .await;
        assert_eq!(answer.status, reqwest::StatusCode::OK);
        assert_eq!(answer.grpc_status, "0", "{answer:?}");
        let reply = answer.reply.expect("a reply message");
        assert_eq!(
            (reply.message.as_str(), reply.subject.as_str()),
            ("hello web", "carol")
        );
        assert!(
            answer.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/grpc-web"),
        );
        let allowed = answer.headers.get("access-control-allow-origin");
        assert_eq!(allowed.map(|v| v.to_str().unwrap()), origin);
        if origin.is_some() {
            assert_eq!(answer.headers["access-control-allow-credentials"], "true");
            let exposed = answer.headers["access-control-expose-headers"]
                .to_str()
                .unwrap();
            assert!(exposed.contains("grpc-status") && exposed.contains("grpc-message"));
        }
    }
    assert_eq!(running.greeter.calls(), 2);
    running.stop().await;
}

#[tokio::test]
async fn a_cross_site_grpc_web_call_with_the_cookie_is_refused_before_the_handler() {
    let fixture = fixture(MemoryStore::new());
    let running = start(&fixture).await;
    let token = fixture.mint(|_| {});

    let answer = running
        .web_call(WebCall {
            cookie: Some(&token),
            origin: Some("https://evil.example"),
            fetch_site: "cross-site",
        })
        .await;

    // Trailers-only, in the request's content type: PERMISSION_DENIED.
    assert_eq!(answer.status, reqwest::StatusCode::OK);
    assert_eq!(answer.grpc_status, "7", "{answer:?}");
    assert_eq!(
        answer.grpc_message,
        "cross-site request refused: the request came from another site"
    );
    assert!(answer.reply.is_none());
    assert!(answer.headers.get("access-control-allow-origin").is_none());
    assert_eq!(running.greeter.calls(), 0, "the handler ran");
    running.stop().await;
}

#[tokio::test]
async fn a_grpc_web_call_without_a_cookie_is_unauthenticated() {
    let fixture = fixture(MemoryStore::new());
    let running = start(&fixture).await;

    let answer = running
        .web_call(WebCall {
            cookie: None,
            origin: None,
            fetch_site: "same-origin",
        })
        .await;

    assert_eq!(answer.grpc_status, "16", "{answer:?}");
    assert_eq!(answer.grpc_message, "no token was presented");
    assert_eq!(running.greeter.calls(), 0);
    running.stop().await;
}

#[tokio::test]
async fn grpc_web_preflights_are_answered_for_the_allowed_page_only() {
    let fixture = fixture(MemoryStore::new());
    let running = start(&fixture).await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(
                reqwest::Method::OPTIONS,
                format!("http://{}/greeter.Greeter/SayHello", running.addr),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-grpc-web")
            .send()
    };

    let allowed = within("the preflight", preflight(PAGE)).await.unwrap();
    assert_eq!(allowed.status(), reqwest::StatusCode::NO_CONTENT);
    assert_eq!(allowed.headers()["access-control-allow-origin"], PAGE);
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-headers"],
        "content-type,x-grpc-web"
    );

    let refused = within("the preflight", preflight("https://evil.example"))
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(running.greeter.calls(), 0);
    running.stop().await;
}
