//! Sessions in a plain hyper + tower server, without a framework: a
//! `service_fn` router behind the CSRF guard, the issuer and (for `/api/me`)
//! the verifier, served by hyper's HTTP/1 connection on 127.0.0.1.
//!
//! ```sh
//! cargo run --example hyper
//! curl -si -X POST localhost:3001/auth/login -d 'alice:wonderland'   # two Set-Cookie lines
//! curl -si localhost:3001/api/me -H 'cookie: __Host-Http-access=…'        # hello alice
//! ```

mod app;

use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore};

#[tokio::main]
async fn main() -> Result<(), tower::BoxError> {
    // A key for this process only; load a real one with SigningKey::from_env.
    let keys = KeyRing::with_signing_key(SigningKey::generate("hyper", Algorithm::ES256)?);
    let auth = CookieAuth::builder(keys, MemoryStore::new())
        .issuer("http://127.0.0.1:3001")
        .audience("hyper-example")
        .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    app::serve(listener, app::app(&auth)?).await?;
    Ok(())
}
