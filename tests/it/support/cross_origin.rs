//! Fixtures of the CSRF, CORS and composition tests: a counting inner
//! service, request building, and access tokens for a real verifier.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use tower::service_fn;
use tower_jwt_cookie::token::{self, TokenKind};
use tower_jwt_cookie::{CookieAuth, MemoryStore};

use super::{AUDIENCE, ISSUER, keys, valid_claims};

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

/// A configuration over [`keys`] (on the system clock), allowing `origins`
/// cross-origin.
pub fn auth_with_origins(origins: &[&str]) -> CookieAuth<MemoryStore> {
    CookieAuth::builder(keys(), MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .allowed_origins(origins.iter().copied())
        .build()
        .unwrap()
}

/// A valid access token of session `sid` for `auth`.
pub fn access_token(auth: &CookieAuth<MemoryStore>, sid: &str) -> String {
    let mut claims = valid_claims(auth.now());
    claims.registered.exp = Some(auth.now() + 600);
    claims.registered.jti = Some(format!("jti-{sid}"));
    claims.registered.sid = Some(sid.into());
    claims.custom = serde_json::json!({});
    let key = auth.keys().signing_key().unwrap();
    token::encode(&key, TokenKind::Access, &claims).unwrap()
}
