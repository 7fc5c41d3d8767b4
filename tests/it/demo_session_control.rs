//! The demo over its HTTP contract: sessions ended from outside the user's
//! own requests (`auth.sessions()`, behind `POST /api/admin/end-sessions`),
//! and HSTS only over HTTPS.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::demo_contract::{Tokens, client, get, login_ok, post};
use crate::support::demo::DemoServer;

async fn end_sessions_of(server: &DemoServer, admin: &Tokens, sub: &str) -> reqwest::Response {
    client()
        .post(server.at("/api/admin/end-sessions"))
        .header("cookie", admin.api())
        .json(&json!({ "sub": sub }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_call_ends_every_session_of_alice_on_her_next_request() {
    let server = DemoServer::start(|_| {}).await;
    let laptop = login_ok(&server, "alice", "wonderland").await;
    let phone = login_ok(&server, "alice", "wonderland").await;
    let admin = login_ok(&server, "bob", "builder").await;
    for tokens in [&laptop, &phone] {
        assert_eq!(
            get(&server, "/api/me", tokens.api()).await.status(),
            StatusCode::OK
        );
    }

    let ended = end_sessions_of(&server, &admin, "alice").await;
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);

    for tokens in [&laptop, &phone] {
        let me = get(&server, "/api/me", tokens.api()).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
        let body: Value = me.json().await.unwrap();
        assert_eq!(body["error"], "revoked", "{body}");
        let refreshed = post(&server, "/auth/refresh", &tokens.auth()).await;
        assert_eq!(
            refreshed.status(),
            StatusCode::UNAUTHORIZED,
            "the refresh token is dead too"
        );
    }
    // The admin's own session is untouched, and alice can log in again.
    assert_eq!(
        get(&server, "/api/me", admin.api()).await.status(),
        StatusCode::OK
    );
    let again = login_ok(&server, "alice", "wonderland").await;
    assert_eq!(
        get(&server, "/api/me", again.api()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_an_admin_may_end_another_users_sessions() {
    let server = DemoServer::start(|_| {}).await;
    let alice = login_ok(&server, "alice", "wonderland").await;
    let bob = login_ok(&server, "bob", "builder").await;
    let refused = end_sessions_of(&server, &alice, "bob").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    assert_eq!(
        get(&server, "/api/me", bob.api()).await.status(),
        StatusCode::OK
    );
    // Without a session at all: the verifier refuses before the handler.
    let anonymous = client()
        .post(server.at("/api/admin/end-sessions"))
        .json(&json!({ "sub": "bob" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// An empty `sub` names no user (only every token without one): refused
/// before the store, and nobody's session ends.
#[tokio::test]
async fn ending_the_sessions_of_an_empty_subject_is_refused() {
    let server = DemoServer::start(|_| {}).await;
    let alice = login_ok(&server, "alice", "wonderland").await;
    let admin = login_ok(&server, "bob", "builder").await;

    let refused = end_sessions_of(&server, &admin, "").await;

    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "error": "invalid_user",
            "message": "the `sub` to end sessions by is empty: an empty id names no session, \
                        only every token that lacks the claim; pass the `sub` claim of the \
                        tokens to end"
        })
    );
    for tokens in [&alice, &admin] {
        assert_eq!(
            get(&server, "/api/me", tokens.api()).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn plain_http_demo_sends_no_hsts() {
    let server = DemoServer::start(|_| {}).await;
    let page = get(&server, "/", "").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers().get("strict-transport-security"), None);
    assert!(page.headers().get("content-security-policy").is_some());
}
