//! Property tests: no single-byte change to a valid token survives, and no
//! header bytes panic the verifier or get through it.

use axum::body::Body;
use http::{HeaderValue, Request, StatusCode};
use proptest::prelude::*;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::keys::KeyRing;
use tower_jwt_cookie::{Algorithm, MemoryStore, Rejection};

use crate::support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Sends `request` through the verifier in front of a handler that answers 200.
async fn status_of(fixture: &Fixture, request: Request<Body>) -> (StatusCode, Option<Rejection>) {
    let service = ServiceBuilder::new()
        .layer(fixture.auth.verifier::<serde_json::Value>())
        .service(service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(Body::empty()))
        }));
    let response = service.oneshot(request).await.unwrap();
    (
        response.status(),
        response.extensions().get::<Rejection>().cloned(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_single_byte_change_to_a_valid_token_is_rejected(
        alg in prop::sample::select(vec![Algorithm::HS256, Algorithm::ES256, Algorithm::EdDSA]),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let fixture = Fixture::with_key(signing_key("k1", alg));
        let token = fixture.mint(|_| {});
        let mut bytes = token.clone().into_bytes();
        let i = position.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let Ok(cookie) = HeaderValue::from_bytes(&[b"__Host-Http-access=".as_slice(), &bytes].concat()) else {
            return Ok(()); // not even a valid header value: cannot reach the server
        };
        let request = Request::get("/").header("cookie", cookie).body(Body::empty()).unwrap();
        let (status, rejection) = runtime().block_on(status_of(&fixture, request));
        prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
        prop_assert!(rejection.is_some());
    }

    #[test]
    fn arbitrary_cookie_and_authorization_bytes_never_panic_or_pass(
        cookie in prop::collection::vec(any::<u8>(), 0..2048),
        authorization in prop::collection::vec(any::<u8>(), 0..2048),
        prefix in prop::sample::select(vec!["", "__Host-Http-access=", "Bearer ", "a=b; __Host-Http-access="]),
    ) {
        let fixture = Fixture::build(
            KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
            MemoryStore::new(),
            |b| b.bearer(true),
        );
        let mut request = Request::get("/");
        if let Ok(v) = HeaderValue::from_bytes(&[prefix.as_bytes(), &cookie].concat()) {
            request = request.header("cookie", v);
        }
        if let Ok(v) = HeaderValue::from_bytes(&[prefix.as_bytes(), &authorization].concat()) {
            request = request.header("authorization", v);
        }
        let (status, rejection) = runtime().block_on(status_of(&fixture, request.body(Body::empty()).unwrap()));
        prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
        prop_assert!(rejection.is_some());
    }

    #[test]
    fn arbitrary_token_shaped_strings_never_pass(
        token in "[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,400}\\.[A-Za-z0-9_-]{0,100}",
    ) {
        let fixture = Fixture::new();
        let (status, _) = runtime().block_on(status_of(&fixture, cookie_request(&token)));
        prop_assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
