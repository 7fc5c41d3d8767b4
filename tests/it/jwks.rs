//! Feature `jwks`: `RemoteJwks` against a real HTTP server on 127.0.0.1 that
//! can serve a changing document, fail, hang, go down, redirect or serve
//! hostile documents. Unknown `kid`s share one refetch cooldown (a forger
//! can send a fresh `kid` per token), and a broken or hostile document never
//! replaces the last good set. Tokens go through the verifier layer, so
//! what is checked is what a service behind `CookieAuth` sees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::capture::Capture;
use crate::support::{
    AUDIENCE, ISSUER, NOW, Stack, cookie_request, send, signing_key, valid_claims,
};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::remote::{JwksError, JwksPolicy, RemoteJwks, parse_jwks};
use tower_jwt_cookie::keys::{KeyError, KeyProvider, SigningKey};
use tower_jwt_cookie::token::{self, TokenKind};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Rejection};

/// The longest any step may take before the test fails (a deadline, not a
/// timing assertion: every step normally takes milliseconds).
const DEADLINE: Duration = Duration::from_secs(10);
/// The fetch timeout the providers here are built with.
const FETCH_TIMEOUT: Duration = Duration::from_millis(500);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {DEADLINE:?}"))
}

// ---- The key-set server -------------------------------------------------

/// What the server answers on one path.
#[derive(Clone)]
enum Answer {
    Json {
        body: String,
        cache_control: Option<&'static str>,
    },
    Status(u16),
    Redirect(&'static str),
    Hang,
    /// The body in 1 KiB chunks without `Content-Length`, so only reading it
    /// can find it too large.
    Chunked(String),
}

/// A body sent chunk by chunk (chunked transfer encoding).
struct Chunks(Vec<bytes::Bytes>);

impl http_body::Body for Chunks {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        let next = (!self.0.is_empty()).then(|| Ok(http_body::Frame::data(self.0.remove(0))));
        std::task::Poll::Ready(next)
    }
}

fn json_answer(body: &Value) -> Answer {
    json_answer_text(body.to_string())
}

fn json_answer_text(body: String) -> Answer {
    Answer::Json {
        body,
        cache_control: None,
    }
}

#[derive(Clone, Default)]
struct Routes {
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    /// How many requests arrived, on any path.
    requests: Arc<watch::Sender<usize>>,
}

struct KeyServer {
    base: String,
    routes: Routes,
    task: JoinHandle<()>,
}

impl KeyServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes = Routes::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(routes.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, routes, task }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn set(&self, path: &str, answer: Answer) {
        self.routes
            .answers
            .lock()
            .unwrap()
            .insert(path.to_owned(), answer);
    }

    fn requests(&self) -> usize {
        *self.routes.requests.borrow()
    }

    /// Waits until at least `count` requests have arrived.
    async fn await_requests(&self, count: usize) {
        let mut requests = self.routes.requests.subscribe();
        within("waiting for a fetch", requests.wait_for(|&n| n >= count))
            .await
            .unwrap();
    }

    /// Stops listening: connections are refused from now on (every answer
    /// closes its connection, so none is left in a pool).
    fn go_down(&self) {
        self.task.abort();
    }
}

async fn answer(State(routes): State<Routes>, request: Request) -> Response {
    let found = routes
        .answers
        .lock()
        .unwrap()
        .get(request.uri().path())
        .cloned();
    routes.requests.send_modify(|n| *n += 1);
    let mut response = match found {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Answer::Json {
            body,
            cache_control,
        }) => {
            let mut response = ([("content-type", "application/json")], body).into_response();
            if let Some(value) = cache_control {
                response
                    .headers_mut()
                    .insert("cache-control", value.parse().unwrap());
            }
            response
        }
        Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
        Some(Answer::Redirect(to)) => (StatusCode::FOUND, [("location", to)]).into_response(),
        Some(Answer::Hang) => std::future::pending().await,
        Some(Answer::Chunked(body)) => {
            let chunks = body
                .as_bytes()
                .chunks(1024)
                .map(bytes::Bytes::copy_from_slice)
                .collect();
            Response::new(axum::body::Body::new(Chunks(chunks)))
        }
    };
    response
        .headers_mut()
        .insert("connection", "close".parse().unwrap());
    response
}

// ---- Keys, tokens and the verifier --------------------------------------

struct Key {
    kid: &'static str,
    key: SigningKey,
}

impl Key {
    fn es256(kid: &'static str) -> Self {
        Self {
            kid,
            key: SigningKey::generate(kid, Algorithm::ES256).unwrap(),
        }
    }

    fn jwk(&self) -> Value {
        let public = self.key.verifying_key().public_key().unwrap();
        public.to_jwk(self.kid, Algorithm::ES256)
    }

    fn token(&self) -> String {
        token::encode(&self.key, TokenKind::Access, &valid_claims(NOW)).unwrap()
    }
}

fn set_of(jwks: &[Value]) -> Value {
    json!({ "keys": jwks })
}

/// A provider of the server's `/jwks.json`, a verifier using it, and the
/// clock its cooldown is measured with.
struct Verifier {
    jwks: RemoteJwks,
    auth: CookieAuth,
    clock: ManualClock,
}

const JWKS: &str = "/jwks.json";

async fn verifier(server: &KeyServer) -> Verifier {
    let clock = ManualClock::new(NOW);
    let jwks = RemoteJwks::builder(server.url(JWKS))
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .max_document_size(16 * 1024)
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    Verifier {
        auth: auth_for(jwks.clone(), &clock),
        jwks,
        clock,
    }
}

fn auth_for(jwks: RemoteJwks, clock: &ManualClock) -> CookieAuth {
    CookieAuth::builder(jwks, MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(clock.clone())
        .build()
        .unwrap()
}

impl Verifier {
    /// Verifies `token` through the verifier layer; `None` when accepted.
    async fn verify(&self, token: &str) -> Option<Rejection> {
        let outcome = within(
            "a verification",
            send(&self.auth, Stack::ServiceFn, cookie_request(token)),
        )
        .await;
        match outcome.rejection {
            None => {
                assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
                assert_eq!(outcome.json()["sub"], "alice");
                None
            }
            Some(rejection) => {
                assert_eq!(outcome.status, rejection.status());
                Some(rejection)
            }
        }
    }

    /// Steps past the unknown-kid cooldown (default 30 s).
    fn after_cooldown(&self) {
        self.clock.advance(30);
    }
}

/// A token signed by a key no set holds, with a random-looking `kid`.
fn unknown_kid_token(n: usize) -> String {
    let kid = format!("random-{n}");
    let key = SigningKey::generate(&kid, Algorithm::ES256).unwrap();
    token::encode(&key, TokenKind::Access, &valid_claims(NOW)).unwrap()
}

// ---- A new key, and the cooldown -----------------------------------------

#[tokio::test]
async fn a_new_kid_is_accepted_after_exactly_one_refetch() {
    let server = KeyServer::start().await;
    let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = verifier(&server).await;
    assert_eq!(server.requests(), 1, "the set is fetched once at build");
    assert_eq!(v.verify(&k1.token()).await, None);

    // The issuer publishes its next key and starts signing with it.
    server.set(JWKS, json_answer(&set_of(&[k1.jwk(), k2.jwk()])));
    assert_eq!(v.verify(&k2.token()).await, None);
    assert_eq!(server.requests(), 2, "exactly one refetch");

    // Known now: answered from the snapshot, no fetch.
    assert_eq!(v.verify(&k2.token()).await, None);
    assert_eq!(v.verify(&k1.token()).await, None);
    assert_eq!(server.requests(), 2);
    assert!(v.jwks.verifying_key(Some("k2")).is_some());
}

#[tokio::test]
async fn a_refetch_of_the_same_keys_keeps_the_generation_and_any_change_moves_it() {
    let server = KeyServer::start().await;
    let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = verifier(&server).await;
    let first = v.jwks.generation().unwrap();
    let refetch = |n| {
        let v = &v;
        async move {
            v.after_cooldown();
            let unknown = v.verify(&unknown_kid_token(n)).await;
            assert_eq!(unknown, Some(Rejection::UnknownKey));
        }
    };

    // The issuer serves the same set again: cached tokens stay valid.
    refetch(0).await;
    assert_eq!(server.requests(), 2);
    assert_eq!(v.jwks.generation(), Some(first));

    // The same `kid` with other key material is a replaced key.
    let replaced = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[replaced.jwk()])));
    refetch(1).await;
    assert_eq!(server.requests(), 3);
    assert_eq!(v.jwks.generation(), Some(first + 1));
    assert_eq!(v.verify(&k1.token()).await, Some(Rejection::BadSignature));

    // A key added, then the same keys reordered.
    server.set(JWKS, json_answer(&set_of(&[replaced.jwk(), k2.jwk()])));
    refetch(2).await;
    assert_eq!(v.jwks.generation(), Some(first + 2));
    server.set(JWKS, json_answer(&set_of(&[k2.jwk(), replaced.jwk()])));
    refetch(3).await;
    assert_eq!(server.requests(), 5);
    assert_eq!(v.jwks.generation(), Some(first + 3));
    assert_eq!(v.verify(&replaced.token()).await, None);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_at_most_one_fetch_per_cooldown() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = Arc::new(verifier(&server).await);
    let tokens: Arc<Vec<String>> = Arc::new((0..1000).map(unknown_kid_token).collect());

    let flood = |v: &Arc<Verifier>| {
        let mut calls = JoinSet::new();
        for i in 0..tokens.len() {
            let (v, tokens) = (Arc::clone(v), Arc::clone(&tokens));
            calls.spawn(async move { v.verify(&tokens[i]).await });
        }
        calls
    };
    let expect_all_unknown = |results: Vec<Option<Rejection>>| {
        assert_eq!(results.len(), 1000);
        assert!(results.iter().all(|r| *r == Some(Rejection::UnknownKey)));
    };

    // 1,000 concurrent requests with unknown kids: one shared fetch.
    expect_all_unknown(within("the flood", flood(&v).join_all()).await);
    assert_eq!(server.requests(), 2);

    // Still inside the cooldown: none at all.
    v.clock.advance(29);
    expect_all_unknown(within("the flood", flood(&v).join_all()).await);
    assert_eq!(server.requests(), 2);

    // The next cooldown allows exactly one more.
    v.clock.advance(1);
    expect_all_unknown(within("the flood", flood(&v).join_all()).await);
    assert_eq!(server.requests(), 3);
    assert_eq!(v.verify(&k1.token()).await, None);
}

// ---- Failures and hostile documents ---------------------------------------

/// A good EC key's JWK with `change` applied.
fn edited(jwk: &Value, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut jwk = jwk.clone();
    change(jwk.as_object_mut().unwrap());
    jwk
}

/// Every way a fetch can fail, and the error each must be refused with.
/// Each hostile document also holds `k2`, so a set that replaced the last
/// good one would let `k2`'s token through.
/// What a refusal must match.
type Check = fn(&JwksError) -> bool;

fn failures(k2: &Value) -> Vec<(&'static str, Answer, Check)> {
    let hostile = |keys: Vec<Value>| json_answer(&set_of(&keys));
    let with = |member: &'static str, value: Value| {
        edited(k2, move |m| {
            m.insert(member.into(), value);
        })
    };
    let mut cases: Vec<(&'static str, Answer, Check)> = vec![
        ("HTTP 500", Answer::Status(500), |e| {
            matches!(e, JwksError::Status(500))
        }),
        ("HTTP 404", Answer::Status(404), |e| {
            matches!(e, JwksError::Status(404))
        }),
        ("a redirect", Answer::Redirect("/elsewhere.json"), |e| {
            matches!(e, JwksError::Status(302))
        }),
        ("a hanging server", Answer::Hang, |e| {
            matches!(e, JwksError::Timeout)
        }),
        (
            "invalid JSON",
            Answer::Json {
                body: r#"{"keys": ["#.into(),
                cache_control: None,
            },
            |e| matches!(e, JwksError::InvalidJson),
        ),
        ("an array", json_answer(&json!([k2])), |e| {
            matches!(e, JwksError::InvalidJson)
        }),
        (
            "a duplicated member",
            Answer::Json {
                body: format!(
                    r#"{{"keys":[{}],"keys":[]}}"#,
                    serde_json::to_string(k2).unwrap()
                ),
                cache_control: None,
            },
            |e| matches!(e, JwksError::InvalidJson),
        ),
        ("an empty set", hostile(vec![]), |e| {
            matches!(e, JwksError::Empty)
        }),
        (
            "an oversize document",
            Answer::Json {
                body: format!(
                    r#"{{"keys":[{}],"pad":"{}"}}"#,
                    serde_json::to_string(k2).unwrap(),
                    "x".repeat(17 * 1024)
                ),
                cache_control: None,
            },
            |e| matches!(e, JwksError::TooLarge { limit: 16384 }),
        ),
        (
            "an oversize document without Content-Length",
            Answer::Chunked(format!(
                r#"{{"keys":[{}],"pad":"{}"}}"#,
                serde_json::to_string(k2).unwrap(),
                "x".repeat(17 * 1024)
            )),
            |e| matches!(e, JwksError::TooLarge { limit: 16384 }),
        ),
        (
            "an HMAC key",
            hostile(vec![k2.clone(), json!({ "kty": "oct", "kid": "h" })]),
            |e| matches!(e, JwksError::SymmetricKey { index: 1 }),
        ),
        (
            "an HMAC key with its secret",
            hostile(vec![
                k2.clone(),
                json!({ "kty": "oct", "kid": "h", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" }),
            ]),
            |e| {
                matches!(
                    e,
                    JwksError::PrivateMember {
                        index: 1,
                        member: "k"
                    }
                )
            },
        ),
        (
            "an unknown kty",
            hostile(vec![edited(k2, |m| {
                m.insert("kty".into(), json!("XYZ"));
            })]),
            |e| matches!(e, JwksError::UnknownKeyType { index: 0 }),
        ),
        (
            "an unknown crv",
            hostile(vec![with("crv", json!("P-521"))]),
            |e| matches!(e, JwksError::UnknownCurve { index: 0 }),
        ),
        (
            "an encryption key",
            hostile(vec![with("use", json!("enc"))]),
            |e| matches!(e, JwksError::NotForSignatures { index: 0 }),
        ),
        (
            "duplicate kids",
            hostile(vec![k2.clone(), k2.clone()]),
            |e| matches!(e, JwksError::DuplicateKid(kid) if kid == "k2"),
        ),
        (
            "an RSA alg on an EC key",
            hostile(vec![with("alg", json!("RS256"))]),
            |e| matches!(e, JwksError::AlgorithmMismatch { index: 0 }),
        ),
        (
            "a P-384 alg on a P-256 key",
            hostile(vec![with("alg", json!("ES384"))]),
            |e| matches!(e, JwksError::AlgorithmMismatch { index: 0 }),
        ),
        (
            "an HMAC alg on a public key",
            hostile(vec![with("alg", json!("HS256"))]),
            |e| matches!(e, JwksError::AlgorithmMismatch { index: 0 }),
        ),
        ("alg none", hostile(vec![with("alg", json!("none"))]), |e| {
            matches!(e, JwksError::AlgorithmMismatch { index: 0 })
        }),
    ];
    // Every private member, on an otherwise good public key.
    let private: [(&'static str, Check); 7] = [
        ("d", |e| {
            matches!(e, JwksError::PrivateMember { member: "d", .. })
        }),
        ("p", |e| {
            matches!(e, JwksError::PrivateMember { member: "p", .. })
        }),
        ("q", |e| {
            matches!(e, JwksError::PrivateMember { member: "q", .. })
        }),
        ("dp", |e| {
            matches!(e, JwksError::PrivateMember { member: "dp", .. })
        }),
        ("dq", |e| {
            matches!(e, JwksError::PrivateMember { member: "dq", .. })
        }),
        ("qi", |e| {
            matches!(e, JwksError::PrivateMember { member: "qi", .. })
        }),
        ("oth", |e| {
            matches!(e, JwksError::PrivateMember { member: "oth", .. })
        }),
    ];
    for (member, check) in private {
        cases.push((member, hostile(vec![with(member, json!("AQAB"))]), check));
    }
    cases
}

#[tokio::test]
async fn failures_and_hostile_documents_never_replace_the_last_good_set() {
    let logs = Capture::start();
    let server = KeyServer::start().await;
    let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = verifier(&server).await;

    for (what, answer, expected) in failures(&k2.jwk()) {
        server.set(JWKS, answer);
        v.after_cooldown();
        let before = server.requests();
        logs.clear();

        // The unknown kid causes one refetch, which is refused, within the timeout.
        assert_eq!(
            v.verify(&k2.token()).await,
            Some(Rejection::UnknownKey),
            "{what}"
        );
        assert_eq!(server.requests(), before + 1, "{what}: one refetch");
        let refusal = v.jwks.last_refusal().expect("a refusal is recorded");
        assert!(expected(&refusal), "{what}: refused with {refusal:?}");
        let logged = logs.text();
        assert!(
            logged.contains("JWKS refused") && logged.contains(&refusal.to_string()),
            "{what}: no warning with the reason in {logged}"
        );
        // The last good set keeps verifying.
        assert_eq!(v.verify(&k1.token()).await, None, "{what}");
        assert_eq!(
            v.jwks.key_set().kids().collect::<Vec<_>>(),
            ["k1"],
            "{what}"
        );
    }

    // A good document again: accepted, and the refusal is cleared.
    server.set(JWKS, json_answer(&set_of(&[k1.jwk(), k2.jwk()])));
    v.after_cooldown();
    assert_eq!(v.verify(&k2.token()).await, None);
    assert!(v.jwks.last_refusal().is_none());
}

#[tokio::test]
async fn the_last_good_set_keeps_verifying_while_the_server_is_down() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = verifier(&server).await;

    server.go_down();
    v.after_cooldown();
    assert_eq!(
        v.verify(&unknown_kid_token(1)).await,
        Some(Rejection::UnknownKey)
    );
    let refusal = v.jwks.last_refusal().expect("a refusal is recorded");
    assert!(matches!(*refusal, JwksError::Unreachable(_)), "{refusal:?}");
    assert_eq!(v.verify(&k1.token()).await, None);
}

#[tokio::test]
async fn a_known_kid_is_answered_while_a_fetch_hangs() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = Arc::new(verifier(&server).await);
    server.set(JWKS, Answer::Hang);

    let waiting = {
        let v = Arc::clone(&v);
        tokio::spawn(async move { v.verify(&unknown_kid_token(1)).await })
    };
    server.await_requests(2).await; // the refetch has reached the server and hangs
    assert_eq!(v.verify(&k1.token()).await, None);
    assert!(!waiting.is_finished(), "the refetch was still in flight");

    // The hanging fetch times out; the unknown kid is then rejected.
    assert_eq!(
        within("the hanging fetch", waiting).await.unwrap(),
        Some(Rejection::UnknownKey)
    );
    assert!(matches!(
        *v.jwks.last_refusal().unwrap(),
        JwksError::Timeout
    ));
}

// ---- Caching and the background task --------------------------------------

#[tokio::test]
async fn a_miss_during_a_background_fetch_is_answered_by_a_fetch_that_starts_after_it() {
    let server = KeyServer::start().await;
    let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
    server.set(
        JWKS,
        Answer::Json {
            body: set_of(&[k1.jwk()]).to_string(),
            cache_control: Some("max-age=1"),
        },
    );
    let clock = ManualClock::new(NOW);
    let jwks = RemoteJwks::builder(server.url(JWKS))
        .timeout(FETCH_TIMEOUT)
        .cache_bounds(Duration::from_secs(1), Duration::from_secs(60))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    let v = Verifier {
        auth: auth_for(jwks.clone(), &clock),
        jwks,
        clock,
    };

    // The scheduled refetch starts, and hangs; meanwhile the issuer publishes k2.
    server.set(JWKS, Answer::Hang);
    server.await_requests(2).await;
    server.set(JWKS, json_answer(&set_of(&[k1.jwk(), k2.jwk()])));

    // The hanging fetch began before this miss, so it cannot answer it.
    assert_eq!(v.verify(&k2.token()).await, None);
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn the_set_is_refreshed_in_the_background_ahead_of_its_max_age() {
    let server = KeyServer::start().await;
    let (k1, k2) = (Key::es256("k1"), Key::es256("k2"));
    server.set(
        JWKS,
        Answer::Json {
            body: set_of(&[k1.jwk()]).to_string(),
            // Clamped up to the 1 s lower bound configured below.
            cache_control: Some("public, max-age=0"),
        },
    );
    let jwks = RemoteJwks::builder(server.url(JWKS))
        .cache_bounds(Duration::from_secs(1), Duration::from_secs(60))
        .build()
        .await
        .unwrap();

    // The issuer rotates; no token asks for k2, the schedule finds it.
    server.set(
        JWKS,
        Answer::Json {
            body: set_of(&[k2.jwk()]).to_string(),
            cache_control: Some("max-age=1"),
        },
    );
    server.await_requests(2).await;
    within("the background refresh", async {
        while jwks.verifying_key(Some("k2")).is_none() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(jwks.verifying_key(Some("k1")).is_none(), "k1 was withdrawn");
}

#[tokio::test]
async fn plain_http_to_localhost_reaches_the_loopback_server() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let url = server.url(JWKS).replace("127.0.0.1", "localhost");
    assert!(url.starts_with("http://localhost:"), "{url}");
    let jwks = RemoteJwks::builder(url).build().await.unwrap();
    assert_eq!(server.requests(), 1);
    assert!(jwks.verifying_key(Some("k1")).is_some());
}

#[tokio::test]
async fn the_background_task_stops_when_the_provider_is_dropped() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = verifier(&server).await;
    let handle = v.jwks.refresh_handle();
    assert!(handle.is_running());

    drop(v); // the provider, and the CookieAuth holding a clone of it
    within("the task to stop", handle.clone().stopped()).await;
    assert!(!handle.is_running());
}

#[tokio::test]
async fn a_stopped_provider_keeps_its_keys_and_fetches_no_more() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let v = verifier(&server).await;

    let handle = v.jwks.refresh_handle();
    handle.stop();
    within("the task to stop", handle.stopped()).await;

    v.after_cooldown();
    assert_eq!(
        v.verify(&unknown_kid_token(1)).await,
        Some(Rejection::UnknownKey)
    );
    assert_eq!(v.verify(&k1.token()).await, None);
    assert_eq!(server.requests(), 1, "no fetch after stop");
}

// ---- Building: URLs, first fetch, discovery --------------------------------

#[tokio::test]
async fn plain_http_is_refused_unless_the_host_is_loopback() {
    for url in ["http://idp.example/jwks.json", "http://10.1.2.3/jwks.json"] {
        let error = RemoteJwks::builder(url).build().await.unwrap_err();
        assert!(
            matches!(&error, JwksError::InsecureUrl(u) if u == url),
            "{error:?}"
        );
        assert!(error.to_string().contains("must use https"));
    }
    let error = RemoteJwks::discover("http://idp.example")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, JwksError::InsecureUrl(_)), "{error:?}");
}

#[tokio::test]
async fn out_of_range_settings_are_configuration_errors() {
    let server = KeyServer::start().await;
    let builder = || RemoteJwks::builder(server.url(JWKS));
    for builder in [
        builder().unknown_kid_cooldown(Duration::ZERO),
        builder().timeout(Duration::ZERO),
        builder().max_document_size(10),
        builder().cache_bounds(Duration::from_secs(10), Duration::from_secs(5)),
        builder().policy(JwksPolicy::new().rsa_algorithm(Some(Algorithm::ES256))),
    ] {
        let error = builder.build().await.unwrap_err();
        assert!(matches!(error, JwksError::InvalidConfig(_)), "{error:?}");
    }
    assert_eq!(server.requests(), 0, "nothing was fetched");
}

/// A provider built with no settings takes a document of exactly 256 KiB
/// and refuses one byte more, whether the size is announced
/// (`Content-Length`) or found while reading (chunked).
#[tokio::test]
async fn a_provider_with_default_settings_refuses_a_document_over_256_kib() {
    const LIMIT: usize = 256 * 1024;
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    // JSON allows trailing whitespace: the same valid set, padded to `len`.
    let padded = |len: usize| {
        let set = set_of(&[k1.jwk()]).to_string();
        format!("{set}{}", " ".repeat(len - set.len()))
    };
    for (path, answer) in [
        ("/exact.json", json_answer_text(padded(LIMIT))),
        ("/exact-chunked.json", Answer::Chunked(padded(LIMIT))),
    ] {
        server.set(path, answer);
        let jwks = RemoteJwks::builder(server.url(path)).build().await.unwrap();
        assert!(jwks.verifying_key(Some("k1")).is_some(), "{path}");
    }
    for (path, answer) in [
        ("/over.json", json_answer_text(padded(LIMIT + 1))),
        ("/over-chunked.json", Answer::Chunked(padded(LIMIT + 1))),
    ] {
        server.set(path, answer);
        let error = RemoteJwks::builder(server.url(path))
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(error, JwksError::TooLarge { limit: LIMIT }),
            "{path}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_first_fetch_that_fails_is_a_build_error() {
    let server = KeyServer::start().await;
    server.set(JWKS, Answer::Status(503));
    let error = RemoteJwks::builder(server.url(JWKS))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, JwksError::Status(503)), "{error:?}");
}

const DISCOVERY: &str = "/.well-known/openid-configuration";

#[tokio::test]
async fn discovery_finds_the_key_set_of_the_exact_issuer() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let issuer = server.base.clone();
    server.set(
        DISCOVERY,
        json_answer(&json!({ "issuer": issuer, "jwks_uri": server.url(JWKS) })),
    );

    // A trailing slash on the configured issuer is not part of the path.
    let jwks = RemoteJwks::discover(format!("{issuer}/")).build().await;
    assert!(
        matches!(&jwks, Err(JwksError::IssuerMismatch { found, .. }) if *found == issuer),
        "{jwks:?}"
    );
    let jwks = RemoteJwks::discover(&issuer).build().await.unwrap();
    assert_eq!(jwks.url().as_str(), server.url(JWKS));
    assert!(jwks.verifying_key(Some("k1")).is_some());
}

#[tokio::test]
async fn discovery_with_a_mismatched_issuer_is_refused() {
    let server = KeyServer::start().await;
    let k1 = Key::es256("k1");
    server.set(JWKS, json_answer(&set_of(&[k1.jwk()])));
    let cases = [
        json!({ "issuer": "https://evil.example", "jwks_uri": server.url(JWKS) }),
        json!({ "issuer": format!("{}/", server.base), "jwks_uri": server.url(JWKS) }),
        json!({ "issuer": server.base.to_uppercase(), "jwks_uri": server.url(JWKS) }),
    ];
    for document in cases {
        server.set(DISCOVERY, json_answer(&document));
        let error = RemoteJwks::discover(&server.base)
            .build()
            .await
            .unwrap_err();
        match &error {
            JwksError::IssuerMismatch { expected, found } => {
                assert_eq!(expected, &server.base);
                assert_eq!(found, document["issuer"].as_str().unwrap());
            }
            other => panic!("{document}: {other:?}"),
        }
    }
    assert_eq!(server.requests(), 3, "no key set was fetched");

    // A jwks_uri that is not https (nor loopback) is refused too.
    server.set(
        DISCOVERY,
        json_answer(&json!({ "issuer": server.base, "jwks_uri": "http://idp.example/jwks" })),
    );
    let error = RemoteJwks::discover(&server.base)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, JwksError::InsecureUrl(_)), "{error:?}");
    server.set(DISCOVERY, json_answer(&json!({ "issuer": server.base })));
    let error = RemoteJwks::discover(&server.base)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(error, JwksError::InvalidDiscovery), "{error:?}");
}

// ---- parse_jwks: binding keys to algorithms ------------------------------

#[test]
fn each_key_is_bound_to_its_alg_or_to_the_one_its_type_implies() {
    let k1 = Key::es256("k1");
    let without_alg = edited(&k1.jwk(), |m| {
        m.remove("alg");
    });
    let set = parse_jwks(
        set_of(&[without_alg]).to_string().as_bytes(),
        &JwksPolicy::new(),
    )
    .unwrap();
    assert_eq!(set.keys()[0].algorithm(), Algorithm::ES256);

    let rsa = signing_key("r1", Algorithm::PS256);
    let rsa_jwk = rsa
        .verifying_key()
        .public_key()
        .unwrap()
        .to_jwk("r1", Algorithm::PS256);
    let bare = edited(&rsa_jwk, |m| {
        m.remove("alg");
    });
    let document = set_of(&[bare]).to_string();
    let default = parse_jwks(document.as_bytes(), &JwksPolicy::new()).unwrap();
    assert_eq!(default.keys()[0].algorithm(), Algorithm::RS256);
    let configured = JwksPolicy::new().rsa_algorithm(Some(Algorithm::PS256));
    let chosen = parse_jwks(document.as_bytes(), &configured).unwrap();
    assert_eq!(chosen.keys()[0].algorithm(), Algorithm::PS256);
    let none = parse_jwks(document.as_bytes(), &JwksPolicy::new().rsa_algorithm(None));
    assert!(matches!(
        none,
        Err(JwksError::MissingAlgorithm { index: 0 })
    ));
    let explicit = parse_jwks(
        set_of(&[rsa_jwk]).to_string().as_bytes(),
        &JwksPolicy::new(),
    );
    assert_eq!(explicit.unwrap().keys()[0].algorithm(), Algorithm::PS256);
}

#[test]
fn weak_or_malformed_key_material_refuses_the_document() {
    use base64::Engine;
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xc5; 128]);
    let rsa1024 = json!({ "kty": "RSA", "kid": "r", "alg": "RS256", "n": n, "e": "AQAB" });
    assert!(matches!(
        parse_jwks(
            set_of(&[rsa1024]).to_string().as_bytes(),
            &JwksPolicy::new()
        ),
        Err(JwksError::InvalidKey {
            index: 0,
            source: KeyError::RsaTooSmall { bits: 1024 }
        })
    ));
    let k1 = Key::es256("k1");
    let short_x = edited(&k1.jwk(), |m| {
        m.insert("x".into(), json!("AQAB"));
    });
    assert!(matches!(
        parse_jwks(
            set_of(&[short_x]).to_string().as_bytes(),
            &JwksPolicy::new()
        ),
        Err(JwksError::MalformedMember {
            index: 0,
            member: "x"
        })
    ));
    let null_kid = edited(&k1.jwk(), |m| {
        m.insert("kid".into(), Value::Null);
    });
    assert!(matches!(
        parse_jwks(
            set_of(&[null_kid]).to_string().as_bytes(),
            &JwksPolicy::new()
        ),
        Err(JwksError::InvalidKid { index: 0 })
    ));
    let null_d = edited(&k1.jwk(), |m| {
        m.insert("d".into(), Value::Null);
    });
    assert!(matches!(
        parse_jwks(set_of(&[null_d]).to_string().as_bytes(), &JwksPolicy::new()),
        Err(JwksError::PrivateMember {
            index: 0,
            member: "d"
        })
    ));
}

#[test]
fn a_key_without_kid_gets_its_thumbprint_and_encryption_keys_may_be_skipped() {
    let k1 = Key::es256("k1");
    let public = k1.key.verifying_key().public_key().unwrap().clone();
    let no_kid = edited(&k1.jwk(), |m| {
        m.remove("kid");
    });
    let enc = edited(&Key::es256("e").jwk(), |m| {
        m.insert("use".into(), json!("enc"));
    });
    let document = set_of(&[no_kid, enc]).to_string();
    assert!(matches!(
        parse_jwks(document.as_bytes(), &JwksPolicy::new()),
        Err(JwksError::NotForSignatures { index: 1 })
    ));
    let set = parse_jwks(
        document.as_bytes(),
        &JwksPolicy::new().skip_encryption_keys(true),
    )
    .unwrap();
    assert_eq!(set.kids().collect::<Vec<_>>(), [public.thumbprint()]);
}
