//! The cross-service contract: the demo issues, the tonic example verifies
//! knowing only the demo's URL (OIDC discovery and its JWKS), before and
//! after the demo rotates its key; gRPC clients with the Bearer token and
//! browsers over gRPC-web with the demo's HttpOnly access cookie. Both run
//! in-process on 127.0.0.1, built from the examples' own code.

use std::time::Duration;

use crate::grpc::greeter;
use crate::support::demo::DemoServer;
use crate::tonic_env::trust::{DEMO_AUDIENCE, Keys, Trust};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use greeter::{GreeterClient, GreeterServer, HelloRequest, with_bearer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::Endpoint;
use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::{KeyProvider, SigningKey};

const DEADLINE: Duration = Duration::from_secs(10);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {DEADLINE:?}"))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DEADLINE)
        .build()
        .unwrap()
}

/// Logs in to the demo as alice; the value of its `__Host-Http-access` cookie.
async fn login(demo: &DemoServer) -> String {
    let response = within(
        "login",
        http()
            .post(demo.at("/auth/login"))
            .json(&json!({ "username": "alice", "password": "wonderland" }))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next()?;
            pair.strip_prefix("__Host-Http-access=").map(str::to_owned)
        })
        .expect("an access cookie")
}

/// The tonic example's server, trusting the demo by discovery.
struct Tonic {
    client: GreeterClient,
    _stop: oneshot::Sender<()>,
}

async fn tonic_trusting(demo: &DemoServer) -> Tonic {
    let trust = Trust {
        keys: Keys::Discover(demo.url.clone()),
        issuer: demo.url.clone(),
        audience: DEMO_AUDIENCE.to_owned(),
        cooldown: None,
        allowed_origins: vec![demo.url.clone()],
    };
    let (auth, own_key) = within("loading the demo's keys", trust.auth())
        .await
        .unwrap();
    assert!(own_key.is_none(), "it verifies only");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        greeter::serve(&auth, GreeterServer::default(), listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(DEADLINE)
        .timeout(DEADLINE);
    let channel = within("connecting", channel.connect()).await.unwrap();
    Tonic {
        client: GreeterClient::new(channel),
        _stop: stop,
    }
}

impl Tonic {
    async fn call(&mut self, token: &str) -> Result<String, (Code, String)> {
        let request = with_bearer(
            HelloRequest {
                name: "demo".into(),
            },
            token,
        )
        .unwrap();
        within("the call", self.client.say_hello(request))
            .await
            .map(|reply| {
                let reply = reply.into_inner();
                format!("{}, you are {}", reply.message, reply.subject)
            })
            .map_err(|status| (status.code(), status.message().to_owned()))
    }
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_tonic_service_verifies_the_demos_tokens_knowing_only_its_url_across_a_key_rotation() {
    let demo = DemoServer::start(|_| {}).await;
    let mut tonic = tonic_trusting(&demo).await;

    let first = login(&demo).await;
    assert_eq!(
        tonic.call(&first).await,
        Ok("hello demo, you are alice".into())
    );

    // The demo rotates: a new key (a new thumbprint kid) signs from now on,
    // and the old one is withdrawn from its JWKS.
    let old_kid = demo.keys.signing_key().unwrap().kid().to_owned();
    let next = SigningKey::generate("next", Algorithm::ES256)
        .unwrap()
        .with_thumbprint_kid()
        .unwrap();
    let new_kid = next.kid().to_owned();
    demo.keys.insert_signing(next).unwrap();
    demo.keys.activate(&new_kid).unwrap();
    demo.keys.retire(&old_kid).unwrap();

    let second = login(&demo).await;
    assert_eq!(kid_of(&second), new_kid);
    assert_ne!(new_kid, old_kid);
    // Unknown kid → one refetch of the demo's JWKS → verified.
    assert_eq!(
        tonic.call(&second).await,
        Ok("hello demo, you are alice".into())
    );
    // The refetched set no longer holds the old key.
    assert_eq!(
        tonic.call(&first).await,
        Err((
            Code::Unauthenticated,
            "the token was signed with an unknown key".into()
        ))
    );
}

#[tokio::test]
async fn a_browser_calls_the_tonic_service_over_grpc_web_with_the_demos_cookie() {
    use prost::Message;
    let demo = DemoServer::start(|_| {}).await;
    let trust = Trust {
        keys: Keys::Discover(demo.url.clone()),
        issuer: demo.url.clone(),
        audience: DEMO_AUDIENCE.to_owned(),
        cooldown: None,
        allowed_origins: vec![demo.url.clone()],
    };
    let (auth, _) = trust.auth().await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let greeter = GreeterServer::default();
    let served = greeter.clone();
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        greeter::serve(&auth, served, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let cookie = login(&demo).await;
    let message = HelloRequest { name: "web".into() }.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&message);
    // The demo's page (another port of the same host: same-site) calls.
    let call = |origin: &str, fetch_site: &'static str| {
        http()
            .post(format!("http://{addr}/greeter.Greeter/SayHello"))
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("origin", origin)
            .header("sec-fetch-site", fetch_site)
            .header("cookie", format!("theme=dark; __Host-Http-access={cookie}"))
            .body(frame.clone())
            .send()
    };

    let response = within("the gRPC-web call", call(&demo.url, "same-site"))
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        demo.url.as_str()
    );
    let body = response.bytes().await.unwrap();
    let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let reply = greeter::HelloReply::decode(&body[5..5 + len]).unwrap();
    assert_eq!(reply.subject, "alice");
    assert!(
        String::from_utf8_lossy(&body[5 + len..]).contains("grpc-status:0"),
        "the trailer frame says OK"
    );

    let refused = within(
        "the cross-site call",
        call("https://evil.example", "cross-site"),
    )
    .await
    .unwrap();
    assert_eq!(refused.headers()["grpc-status"], "7");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(greeter.calls(), 1, "the cross-site call never ran");
}

#[tokio::test]
async fn the_demo_publishes_discovery_documents_with_cache_headers_and_thumbprint_kids() {
    let demo = DemoServer::start(|_| {}).await;
    let get = |path: &str| http().get(demo.at(path)).send();

    let discovery = within("discovery", get("/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(discovery.status(), reqwest::StatusCode::OK);
    assert_eq!(discovery.headers()["cache-control"], "public, max-age=300");
    assert_eq!(
        discovery.json::<Value>().await.unwrap(),
        json!({ "issuer": demo.url, "jwks_uri": demo.at("/.well-known/jwks.json") })
    );

    let jwks = within("the JWKS", get("/.well-known/jwks.json"))
        .await
        .unwrap();
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=300");
    let jwks: Value = jwks.json().await.unwrap();
    let key = &jwks["keys"][0];
    // RFC 7638 §3, computed here from the published members.
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        key["crv"].as_str().unwrap(),
        key["x"].as_str().unwrap(),
        key["y"].as_str().unwrap()
    );
    let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    assert_eq!(key["kid"], thumbprint.as_str());
    assert_eq!(kid_of(&login(&demo).await), thumbprint);

    // Another key (another DEMO_KEY_FILE) has another kid.
    let other = DemoServer::start(|_| {}).await;
    assert_ne!(other.keys.kids(), demo.keys.kids());
}
