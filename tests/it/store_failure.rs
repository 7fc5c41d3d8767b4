//! Store errors fail closed: 503, no cookie for a session the store did not
//! record, no rotation half-done, and a logout that failed keeps the cookies
//! so it can be retried.

use http::Method;
use tower_jwt_cookie::clock::ManualClock;

use crate::support::*;

fn setup() -> (TestStore, ManualClock, App) {
    let clock = ManualClock::new(NOW);
    let store = TestStore::default();
    let auth = builder(store.clone(), &clock).build().unwrap();
    (store, clock, app(&auth))
}

#[tokio::test]
async fn login_while_the_store_is_down_answers_503_and_sets_no_cookie() {
    let (store, _clock, app) = setup();
    let mut browser = Browser::default();
    store.set_failing(true);
    let reply = browser.login(&app, "alice").await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (503, Some("store_unavailable"))
    );
    assert!(reply.set_cookies().is_empty());
    store.set_failing(false);
    assert_eq!(browser.login(&app, "alice").await.status, 200);
}

#[tokio::test]
async fn refresh_while_the_store_is_down_answers_503_and_rotates_nothing() {
    let (store, clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    clock.advance(60);
    store.set_failing(true);
    let reply = browser.refresh(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (503, Some("store_unavailable"))
    );
    assert!(reply.set_cookies().is_empty());
    store.set_failing(false);
    clock.advance(60); // far beyond the grace window: still the current token
    assert_eq!(browser.refresh(&app).await.status, 200);
}

#[tokio::test]
async fn logout_while_the_store_is_down_answers_503_and_keeps_the_cookies() {
    let (store, _clock, app) = setup();
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    store.set_failing(true);
    let reply = browser.logout(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (503, Some("store_unavailable"))
    );
    assert!(reply.set_cookies().is_empty());
    let reply = browser.logout_all(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.reason()),
        (503, Some("store_unavailable"))
    );
    assert!(
        reply.set_cookies().is_empty(),
        "logout everywhere kept the cookies"
    );
    assert!(browser.cookie("__Host-Http-access").is_some());
    assert!(browser.cookie("__Http-refresh").is_some());
    store.set_failing(false);
    let kept = browser.clone();
    assert_eq!(browser.logout(&app).await.status, 204);
    let mut kept = kept;
    assert_eq!(kept.me(&app).await.reason(), Some("revoked"));
}

#[tokio::test]
async fn a_responder_sees_accept_origin_and_content_type_when_a_logout_fails() {
    use http::header::{ACCEPT, CONTENT_TYPE, ORIGIN};
    use tower_jwt_cookie::rejection::{Rejection, RequestInfo};
    let clock = ManualClock::new(NOW);
    let store = TestStore::default();
    let echo = |_: &Rejection, info: &RequestInfo<'_>| {
        let seen: Vec<String> = [ACCEPT, ORIGIN, CONTENT_TYPE]
            .iter()
            .map(|name| format!("{name}={:?}", info.headers.get(name)))
            .collect();
        let mut response = http::Response::new(bytes::Bytes::from(seen.join(" ")));
        *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
        response
    };
    let auth = builder(store.clone(), &clock)
        .responder(echo)
        .build()
        .unwrap();
    let app = app(&auth);
    let mut browser = Browser::default();
    browser.login(&app, "alice").await;
    store.set_failing(true);
    let mut request = browser.request(Method::POST, "/auth/logout", "");
    let h = request.headers_mut();
    h.insert(ACCEPT, "application/json".parse().unwrap());
    h.insert(ORIGIN, "https://app.example".parse().unwrap());
    h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
    let response = tower::ServiceExt::oneshot(app.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(
        body,
        "accept=Some(\"application/json\") origin=Some(\"https://app.example\") \
         content-type=Some(\"text/plain\")"
    );
}
