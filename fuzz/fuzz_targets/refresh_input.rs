//! The refresh endpoint's input: `POST /auth/refresh` through the issuer,
//! over a store holding one live session whose refresh token the fuzzer
//! never sees.
//!
//! First byte: the mode.
//! * even: the rest is the raw `Cookie` header (lines split on `\n`). Never
//!   a 5xx, never a 2xx, no `Set-Cookie`, the store unchanged: no rotation
//!   and no revocation from bytes nobody signed.
//! * odd: the rest is a claims JSON the harness signs as a refresh token
//!   with the real key (what only the server can do). Never a 5xx; a 2xx
//!   (a rotation) only for the live session's own `sid` and current `jti`.
#![no_main]

use std::convert::Infallible;
use std::sync::{Arc, LazyLock, Mutex};

use bytes::Bytes;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Method, Request, Response};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::util::BoxCloneSyncService;
use tower::{ServiceExt, service_fn};
use tower_jwt_cookie::body::ResponseBody;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::token::{self, TokenKind};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Session};
use tower_jwt_cookie_fuzz::{AUDIENCE, ISSUER, NOW, block_on, claims_from_json};

type App =
    BoxCloneSyncService<Request<Full<Bytes>>, Response<ResponseBody<Full<Bytes>>>, Infallible>;

struct Fixture {
    app: App,
    key: Arc<SigningKey>,
    store: MemoryStore,
    /// The live session's `sid` and current refresh `jti`; a genuine
    /// rotation moves the `jti` on.
    live: Mutex<(String, String)>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let keys =
        KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[7; 32]).unwrap());
    let key = keys.signing_key().unwrap();
    let store = MemoryStore::new();
    let auth = CookieAuth::builder(keys, store.clone())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(ManualClock::new(NOW))
        .build()
        .unwrap();
    let inner = service_fn(|request: Request<Full<Bytes>>| async move {
        let mut response = Response::new(Full::new(Bytes::new()));
        if request.uri().path() == "/auth/login" {
            Session::issue("alice").attach(&mut response);
        }
        Ok::<_, Infallible>(response)
    });
    let app = BoxCloneSyncService::new(tower::Layer::layer(&auth.issuer().unwrap(), inner));
    let login = Request::post("/auth/login").body(Full::default()).unwrap();
    let response = block_on(app.clone().oneshot(login)).unwrap();
    let refresh = refresh_cookie(&response).expect("login sets the refresh cookie");
    let live = Mutex::new(sid_jti(&refresh));
    Fixture {
        app,
        key,
        store,
        live,
    }
});

fn refresh_cookie<B>(response: &Response<B>) -> Option<String> {
    response.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let value = v.strip_prefix("__Http-refresh=")?.split(';').next()?;
        (!value.is_empty()).then(|| value.to_owned())
    })
}

fn sid_jti(jwt: &str) -> (String, String) {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    (
        claims["sid"].as_str().unwrap().to_owned(),
        claims["jti"].as_str().unwrap().to_owned(),
    )
}

fn post(f: &Fixture, cookies: &[HeaderValue]) -> Response<ResponseBody<Full<Bytes>>> {
    let mut request = Request::builder().method(Method::POST).uri("/auth/refresh");
    for cookie in cookies {
        request = request.header(COOKIE, cookie);
    }
    let request = request.body(Full::default()).unwrap();
    block_on(f.app.clone().oneshot(request)).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let f = &*FIXTURE;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let cookies: Vec<HeaderValue> = rest
            .split(|&b| b == b'\n')
            .filter_map(|line| HeaderValue::from_bytes(line).ok())
            .collect();
        let entries = f.store.len();
        let response = post(f, &cookies);
        let status = response.status();
        assert!(status.is_client_error(), "{status}");
        assert!(response.headers().get(SET_COOKIE).is_none());
        assert_eq!(f.store.len(), entries, "unsigned bytes changed the store");
        return;
    }
    let Some(claims) = claims_from_json(rest) else {
        return;
    };
    let Ok(jwt) = token::encode(&f.key, TokenKind::Refresh, &claims) else {
        return;
    };
    let Ok(cookie) = HeaderValue::try_from(format!("__Http-refresh={jwt}")) else {
        return;
    };
    let response = post(f, &[cookie]);
    let status = response.status();
    assert!(!status.is_server_error(), "{status}");
    if status.is_success() {
        let mut live = f.live.lock().unwrap();
        assert_eq!(
            (
                claims.registered.sid.as_deref(),
                claims.registered.jti.as_deref()
            ),
            (Some(live.0.as_str()), Some(live.1.as_str())),
            "rotated a session that is not the live one"
        );
        *live = sid_jti(&refresh_cookie(&response).expect("a rotation sets the cookie"));
    }
});
