//! axum integration: `Session` as a response part, the `VerifiedClaims<C>`
//! extractor, and its plain 500 when the verifier layer is missing.

use axum::body::Body;
use axum::routing::{get, post};
use axum::{Json, Router};
use http::header::{COOKIE, SET_COOKIE};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::{MemoryStore, Session, VerifiedClaims};

use crate::support::{NOW, builder};

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Roles {
    roles: Vec<String>,
}

fn router() -> Router {
    let auth = builder(MemoryStore::new(), &ManualClock::new(NOW))
        .build()
        .unwrap();
    async fn login() -> (Session, Json<&'static str>) {
        let roles = Roles {
            roles: vec!["admin".into()],
        };
        (Session::issue("alice").claims(roles), Json("welcome"))
    }
    async fn me(claims: VerifiedClaims<Roles>) -> String {
        format!("{} {}", claims.subject(), claims.custom().roles.join(","))
    }
    let api = Router::new()
        .route("/api/me", get(me))
        .layer(auth.verifier::<Roles>());
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(|| async { Session::end() }))
        .route("/unguarded", get(me))
        .merge(api)
        .layer(auth.issuer().unwrap())
}

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    cookies: &str,
) -> (StatusCode, Vec<String>, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(COOKIE, cookies)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert!(
        response.extensions().get::<Session>().is_none(),
        "the command never leaves the server"
    );
    let status = response.status();
    let set = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, set, String::from_utf8(body.to_vec()).unwrap())
}

fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn session_commands_work_as_axum_response_parts() {
    let app = router();
    let (status, set, body) = call(&app, "POST", "/auth/login", "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "\"welcome\""));
    assert_eq!(set.len(), 2);
    let cookies = format!("{}; {}", cookie_pair(&set[0]), cookie_pair(&set[1]));

    let (status, _, body) = call(&app, "GET", "/api/me", &cookies).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "alice admin"));

    let (status, cleared, _) = call(&app, "POST", "/auth/logout", &cookies).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        cleared,
        [
            "__Host-Http-access=; HttpOnly; SameSite=Strict; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "__Http-refresh=; HttpOnly; SameSite=Strict; Secure; Path=/auth; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    );
    let (status, _, body) = call(&app, "GET", "/api/me", &cookies).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("revoked"));
}

#[tokio::test]
async fn the_extractor_says_plainly_when_the_verifier_layer_is_missing() {
    let app = router();
    let (_, set, _) = call(&app, "POST", "/auth/login", "").await;
    let (status, _, body) = call(&app, "GET", "/unguarded", cookie_pair(&set[0])).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("not behind JwtCookieVerifier"), "{body}");
    assert!(body.contains("auth.verifier::<"), "{body}");
}
