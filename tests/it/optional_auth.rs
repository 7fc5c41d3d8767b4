//! Optional authentication: `auth.verifier().optional()` and, with axum,
//! `Option<VerifiedClaims<C>>`. No token at all → the handler runs
//! anonymously; a token that is there but fails a check → refused exactly as
//! by the strict verifier (no silent downgrade to anonymous).

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use tower_jwt_cookie::{Rejection, VerifiedClaims};

use crate::support::*;

async fn greet(claims: Option<VerifiedClaims<Value>>) -> String {
    match claims {
        Some(claims) => format!("hello {}", claims.subject()),
        None => "hello stranger".to_owned(),
    }
}

fn router(fx: &Fixture) -> Router {
    let guarded = Router::new()
        .route("/", get(greet))
        .layer(fx.auth.verifier::<Value>().optional());
    // The same handler on a route behind no verifier at all: a bug, not a stranger.
    guarded.route("/forgotten", get(greet))
}

async fn call(
    app: &Router,
    path: &str,
    cookie: Option<String>,
) -> (StatusCode, Option<Rejection>, String) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let rejection = response.extensions().get::<Rejection>().cloned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, rejection, String::from_utf8(body.to_vec()).unwrap())
}

fn access(token: &str) -> Option<String> {
    Some(format!("__Host-Http-access={token}"))
}

#[tokio::test]
async fn no_token_runs_the_handler_anonymously_and_a_valid_one_names_the_user() {
    let fx = Fixture::new();
    let app = router(&fx);
    assert_eq!(
        call(&app, "/", None).await,
        (StatusCode::OK, None, "hello stranger".to_owned())
    );
    // Another cookie, but not the access cookie: still no token.
    assert_eq!(
        call(&app, "/", Some("theme=dark".into())).await,
        (StatusCode::OK, None, "hello stranger".to_owned())
    );
    let token = fx.mint(|_| {});
    assert_eq!(
        call(&app, "/", access(&token)).await,
        (StatusCode::OK, None, "hello alice".to_owned())
    );
}

#[tokio::test]
async fn present_but_bad_tokens_are_refused_not_downgraded() {
    let fx = Fixture::new();
    let app = router(&fx);
    let expired = fx.mint(|c| c.registered.exp = Some(NOW - 1));
    let forged = forge_hs256(
        &serde_json::json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1" }),
        &serde_json::json!({
            "iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "exp": NOW + 900,
            "iat": NOW, "jti": "forged", "sid": "sid-1"
        }),
        b"not the secret, not the secret!!",
    );
    for (cookie, reason) in [
        (access(&expired), "expired"),
        (access(&forged), "bad_signature"),
        (access("not-a-jwt"), "malformed"),
        (
            Some(format!(
                "__Host-Http-access={}; __Host-Http-access=x.y.z",
                fx.mint(|_| {})
            )),
            "duplicate_cookie",
        ),
    ] {
        let (status, rejection, body) = call(&app, "/", cookie).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}: {body}");
        assert_eq!(rejection.as_ref().map(Rejection::reason), Some(reason));
    }
}

#[tokio::test]
async fn revoked_session_is_refused_not_anonymous() {
    let fx = Fixture::new();
    let app = router(&fx);
    let token = fx.mint(|_| {});
    fx.auth.sessions().end("alice", "sid-1").await.unwrap();
    let (status, rejection, _) = call(&app, "/", access(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(rejection, Some(Rejection::Revoked));
}

#[tokio::test]
async fn option_extractor_without_any_verifier_is_a_500_naming_the_fix() {
    let fx = Fixture::new();
    let (status, _, body) = call(&router(&fx), "/forgotten", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("add `.layer(auth.verifier::<"), "{body}");
}
