//! Fixtures shared by the CSRF, CORS and composition tests: a counting inner
//! service, request building, and access tokens for a real verifier.
#![allow(dead_code)] // each test file uses a different part

pub mod capture;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use tower::service_fn;
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore};

pub const ISSUER: &str = "https://app.example";
pub const AUDIENCE: &str = "app";

/// Counts how often the handler ran: a refused request must leave it at zero.
#[derive(Clone, Default)]
pub struct Calls(Arc<AtomicUsize>);

impl Calls {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// An inner service answering 200 "ok" and counting its calls.
    pub fn service(
        &self,
    ) -> impl tower::Service<
        Request<String>,
        Response = Response<String>,
        Error = Infallible,
        Future = impl Future<Output = Result<Response<String>, Infallible>> + Send + use<>,
    > + Clone
    + Send
    + use<> {
        let calls = self.0.clone();
        service_fn(move |_request: Request<String>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, Infallible>(Response::new(String::from("ok"))) }
        })
    }
}

/// A request with `Host: example.com` (the host of Go's test requests) and `headers`.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request<String> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "example.com");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(String::new()).unwrap()
}

pub async fn body_bytes<B>(body: B) -> Bytes
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::fmt::Debug,
{
    body.collect().await.unwrap().to_bytes()
}

pub const HMAC_SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

/// A configuration with an HS256 key, allowing `origins` cross-origin.
pub fn auth_with_origins(origins: &[&str]) -> CookieAuth<MemoryStore> {
    let key = SigningKey::hmac("k1", Algorithm::HS256, &HMAC_SECRET).unwrap();
    CookieAuth::builder(KeyRing::with_signing_key(key), MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .allowed_origins(origins.iter().copied())
        .build()
        .unwrap()
}

/// A valid access token of session `sid` for `auth`.
pub fn access_token(auth: &CookieAuth<MemoryStore>, sid: &str) -> String {
    let now = auth.now();
    let claims = Claims {
        registered: RegisteredClaims {
            iss: Some(ISSUER.into()),
            sub: Some("alice".into()),
            aud: vec![AUDIENCE.into()],
            exp: Some(now + 600),
            nbf: None,
            iat: Some(now),
            jti: Some(format!("jti-{sid}")),
            sid: Some(sid.into()),
        },
        custom: serde_json::json!({}),
    };
    let key = auth.keys().signing_key().unwrap();
    token::encode(&key, TokenKind::Access, &claims).unwrap()
}
