//! The verifier in front of a real tonic server, called by a real tonic
//! client over HTTP/2 on 127.0.0.1: what a gRPC client sees when its Bearer
//! token is accepted or refused, and that a refused call never reaches the
//! handler.

#![forbid(unsafe_code)]

mod common;
#[path = "../examples/tonic/greeter.rs"]
mod greeter;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use greeter::{GreeterClient, GreeterServer, HelloRequest, with_bearer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Endpoint;
use tonic::{Code, Status};
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::revocation::SessionRevocation;
use tower_jwt_cookie::token::MAX_LEEWAY_SECS;
use tower_jwt_cookie::{Algorithm, MemoryStore, RevocationStore};

/// How long any one step (connect, call, shutdown) may take.
const DEADLINE: Duration = Duration::from_secs(10);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {DEADLINE:?}"))
}

/// The fixture's configuration with `Authorization: Bearer` accepted.
fn fixture<S: RevocationStore>(store: S) -> Fixture<S> {
    let key = SigningKey::hmac("k1", Algorithm::HS256, &HMAC_SECRET).unwrap();
    Fixture::build(KeyRing::with_signing_key(key), store, |b| b.bearer(true))
}

/// A greeter server on an ephemeral port and a client connected to it.
struct Running {
    greeter: GreeterServer,
    client: GreeterClient,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
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
    let fixture = fixture(BrokenStore::default());
    let mut running = start(&fixture).await;
    let token = fixture.mint(|_| {});

    let status = running.refused(Some(&token)).await;

    assert_eq!(
        code_and_message(&status),
        (Code::Unavailable, "the session store is unavailable")
    );
    // The token itself was good: the store was asked, and failed closed.
    let checks = fixture.auth.store().checks.load(Ordering::SeqCst);
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
