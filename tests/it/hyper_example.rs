//! `examples/hyper` over real HTTP on loopback: its own router and server
//! code (compiled in here, no copy), a real client, statuses and cookies.

#[path = "../../examples/hyper/app.rs"]
mod app;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use tokio::net::TcpListener;
use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::clock::ManualClock;

use crate::support::*;

/// The first `name=value` pair of each `Set-Cookie` line.
fn cookies(response: &reqwest::Response) -> Vec<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|line| {
            let pair = line.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_hyper_example_logs_in_refreshes_and_logs_out_over_http() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(app::serve(listener, app::app(&auth).unwrap()));
    let client = reqwest::Client::new();
    let post = |path: &str| client.post(format!("{url}{path}"));

    let wrong = post("/auth/login")
        .body("alice:guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(cookies(&wrong), []);

    let login = post("/auth/login")
        .body("alice:wonderland")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let set = cookies(&login);
    let names: Vec<&str> = set.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["__Host-Http-access", "__Http-refresh"]);
    assert_eq!(login.text().await.unwrap(), "welcome");
    let access = format!("__Host-Http-access={}", set[0].1);
    let refresh = format!("__Http-refresh={}", set[1].1);

    let me = |cookie: String| {
        client
            .get(format!("{url}/api/me"))
            .header(COOKIE, cookie)
            .send()
    };
    let ok = me(access.clone()).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "hello alice");
    let anonymous = client.get(format!("{url}/api/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    // The issuer answers the refresh endpoint itself: the router has no such route.
    let refreshed = post("/auth/refresh")
        .header(COOKIE, &refresh)
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let rotated = cookies(&refreshed);
    assert_eq!(rotated.len(), 2);
    assert_ne!(rotated[1].1, set[1].1, "the refresh token rotates");

    // Logout revokes the session: the access token stops working at once.
    let new_access = format!("__Host-Http-access={}", rotated[0].1);
    let new_refresh = format!("__Http-refresh={}", rotated[1].1);
    let logout = post("/auth/logout")
        .header(COOKIE, format!("{new_access}; {new_refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        cookies(&logout),
        [
            ("__Host-Http-access".to_owned(), String::new()),
            ("__Http-refresh".to_owned(), String::new())
        ]
    );
    assert_eq!(
        me(new_access).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // The CSRF guard stands in front of every unsafe route, login included.
    let forged = post("/auth/login")
        .header("sec-fetch-site", "cross-site")
        .body("alice:wonderland")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(cookies(&forged), []);

    let unknown = client.get(format!("{url}/nope")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    server.abort();
}
