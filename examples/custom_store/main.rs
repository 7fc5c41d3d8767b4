//! A custom `RevocationStore` over SQLite, used by the issuer and verifier.
//!
//! ```sh
//! cargo run --example custom_store
//! ```
//!
//! `tests/it/custom_store.rs` runs the crate's conformance suite against the
//! same store (`cargo test --all-features --test custom_store`).

// `open`, `purge_expired` and `len` are used by tests, not by this demo.
#[allow(dead_code)]
mod sqlite_store;

use http::header::{COOKIE, SET_COOKIE};
use http::{Request, Response};
use sqlite_store::SqliteStore;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::{Algorithm, CookieAuth, Session, VerifiedClaims};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = KeyRing::with_signing_key(SigningKey::hmac("demo", Algorithm::HS256, &[42; 32])?);
    let auth = CookieAuth::builder(keys, SqliteStore::open_in_memory()?)
        .issuer("https://app.example")
        .audience("app")
        .build()?;

    // One service: /login issues, /logout ends, anything else needs a token.
    let verifier = auth.verifier::<serde_json::Value>();
    let app = ServiceBuilder::new()
        .layer(auth.issuer()?)
        .service(service_fn(move |request: Request<String>| {
            let verifier = verifier.clone();
            async move {
                let mut response = Response::new(String::new());
                match request.uri().path() {
                    "/login" => Session::issue("alice").attach(&mut response),
                    "/logout" => Session::end().attach(&mut response),
                    _ => {
                        let me = ServiceBuilder::new().layer(verifier).service(service_fn(
                            |r: Request<String>| async move {
                                let sub = r
                                    .extensions()
                                    .get::<VerifiedClaims<serde_json::Value>>()
                                    .map(|c| c.subject().to_owned());
                                Ok::<_, std::convert::Infallible>(Response::new(
                                    sub.unwrap_or_default(),
                                ))
                            },
                        ));
                        let answer = me.oneshot(request).await?;
                        *response.status_mut() = answer.status();
                    }
                }
                Ok::<_, std::convert::Infallible>(response)
            }
        }));

    let login = app
        .clone()
        .oneshot(Request::post("/login").body(String::new())?)
        .await?;
    let cookies: Vec<String> = login
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let cookie = cookies.join("; ");
    println!("login: {}", login.status());

    let me = || {
        Request::get("/api/me")
            .header(COOKIE, &cookie)
            .body(String::new())
    };
    println!(
        "me before logout: {}",
        app.clone().oneshot(me()?).await?.status()
    );
    let logout = Request::post("/logout")
        .header(COOKIE, &cookie)
        .body(String::new())?;
    println!("logout: {}", app.clone().oneshot(logout).await?.status());
    println!(
        "me after logout (same cookie): {}",
        app.clone().oneshot(me()?).await?.status()
    );
    Ok(())
}
