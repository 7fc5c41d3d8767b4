//! The documented stack on axum: CredentialedCors → CsrfSameSiteGuard →
//! JwtCookieVerifier → handler, all from one `CookieAuth`. The order
//! matters: a preflight carries no cookie (Fetch standard, CORS protocol),
//! so CORS answers it before authentication, and a forged cross-site
//! request is refused before the verifier or the handler runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use http::{Request, StatusCode, header};
use tower::{ServiceBuilder, ServiceExt};
use tower_jwt_cookie::cors::CorsConfigError;
use tower_jwt_cookie::rejection::CsrfReason;
use tower_jwt_cookie::{ConfigError, Rejection};

use crate::support::{access_token, auth_with_origins};

const SPA: &str = "https://spa.example";

struct App {
    router: Router,
    notes: Arc<AtomicUsize>,
    logins: Arc<AtomicUsize>,
    cookie: String,
}

fn app() -> App {
    let auth = auth_with_origins(&[SPA]);
    let notes = Arc::new(AtomicUsize::new(0));
    let logins = Arc::new(AtomicUsize::new(0));
    let (n, l) = (notes.clone(), logins.clone());
    let api = Router::new()
        .route(
            "/api/notes",
            post(move || async move {
                n.fetch_add(1, Ordering::SeqCst);
                StatusCode::CREATED
            }),
        )
        .route_layer(auth.verifier::<serde_json::Value>());
    let login = Router::new().route(
        "/auth/login",
        post(move || async move {
            l.fetch_add(1, Ordering::SeqCst);
            StatusCode::OK
        }),
    );
    let cors = auth
        .cors()
        .allow_methods([http::Method::GET, http::Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            http::HeaderName::from_static("x-csrf-token"),
        ])
        .build()
        .unwrap();
    let guard = auth.csrf_guard().build().unwrap();
    let router = api
        .merge(login)
        .layer(ServiceBuilder::new().layer(cors).layer(guard));
    App {
        router,
        notes,
        logins,
        cookie: format!("__Host-Http-access={}", access_token(&auth, "session-1")),
    }
}

fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "api.example");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn preflight_is_answered_before_authentication() {
    let app = app();
    let preflight = req(
        "OPTIONS",
        "/api/notes",
        &[
            ("origin", SPA),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type,x-csrf-token",
            ),
        ],
    );
    let response = app.router.oneshot(preflight).await.unwrap();
    // No cookie at all: had the verifier run first, this would be a 401.
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], SPA);
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS],
        "true"
    );
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_METHODS],
        "POST"
    );
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS],
        "content-type,x-csrf-token"
    );
    assert!(response.extensions().get::<Rejection>().is_none());
    assert_eq!(app.notes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn credentialed_post_from_allow_listed_origin_is_accepted() {
    let app = app();
    let post = req(
        "POST",
        "/api/notes",
        &[
            ("origin", SPA),
            ("sec-fetch-site", "cross-site"),
            ("cookie", &app.cookie),
        ],
    );
    let response = app.router.oneshot(post).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], SPA);
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS],
        "true"
    );
    assert_eq!(response.headers()[header::VARY], "origin");
    assert_eq!(app.notes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn forged_cross_site_post_is_refused_and_the_handler_is_never_called() {
    let app = app();
    // The browser attaches the victim's cookie to a cross-site form POST.
    let forged = req(
        "POST",
        "/api/notes",
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
            ("cookie", &app.cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
    );
    let response = app.router.oneshot(forged).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::Csrf(CsrfReason::CrossSite))
    );
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    assert_eq!(
        response.headers()[header::VARY],
        "origin",
        "CORS headers are added to refusals too"
    );
    assert_eq!(app.notes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn forged_post_from_an_old_browser_without_fetch_metadata_is_refused() {
    let app = app();
    let forged = req(
        "POST",
        "/api/notes",
        &[("origin", "https://evil.example"), ("cookie", &app.cookie)],
    );
    let response = app.router.oneshot(forged).await.unwrap();
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::Csrf(CsrfReason::OriginMismatch))
    );
    assert_eq!(app.notes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn login_route_is_protected_like_any_other() {
    // Login CSRF: a forged login signs the victim into the attacker's account.
    let app = app();
    let forged = req(
        "POST",
        "/auth/login",
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
    );
    let response = app.router.clone().oneshot(forged).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.logins.load(Ordering::SeqCst), 0);
    let genuine = req(
        "POST",
        "/auth/login",
        &[
            ("origin", "https://api.example"),
            ("sec-fetch-site", "same-origin"),
        ],
    );
    assert_eq!(
        app.router.oneshot(genuine).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(app.logins.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn same_origin_post_without_a_session_reaches_the_verifier() {
    let app = app();
    let post = req("POST", "/api/notes", &[("sec-fetch-site", "same-origin")]);
    let response = app.router.oneshot(post).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.extensions().get::<Rejection>(),
        Some(&Rejection::MissingToken)
    );
}

#[test]
fn cors_and_guard_from_cookie_auth_share_their_origins() {
    let auth = auth_with_origins(&[SPA, "http://localhost:5173"]);
    let cors = auth.cors().build().unwrap();
    let guard = auth.csrf_guard().build().unwrap();
    assert_eq!(cors.origins(), auth.allowed_origins());
    assert_eq!(guard.handle().trusted_origins(), auth.allowed_origins());
    // Adding an origin to only one of them is refused, so they cannot disagree.
    let diverging = auth
        .cors()
        .allow_origin("https://other.example")
        .build()
        .unwrap_err();
    assert!(
        matches!(diverging, CorsConfigError::OriginsFromSharedConfig(_)),
        "{diverging}"
    );
}

#[test]
fn cors_from_a_cookie_auth_without_origins_names_the_cookie_auth_fix() {
    let auth = auth_with_origins(&[]);
    let error = auth.cors().build().unwrap_err();
    assert_eq!(error, CorsConfigError::NoSharedOrigins);
    assert_eq!(
        error.to_string(),
        "no allowed origins: this CORS builder (`auth.cors()`) takes them from CookieAuth, so \
         add them with `CookieAuth::builder(..).allowed_origins([\"https://spa.example\"])` (the \
         CSRF guard then trusts the same ones); leave the cors() layer out if the API is \
         same-origin only"
    );
}

#[test]
fn invalid_allowed_origin_is_a_config_error() {
    use crate::support::keys;
    use tower_jwt_cookie::{CookieAuth, MemoryStore};
    for bad in ["*", "null", "https://spa.example/", "spa.example"] {
        let built = CookieAuth::builder(keys(), MemoryStore::new())
            .issuer("https://app.example")
            .audience("app")
            .allowed_origins([bad])
            .build();
        assert!(matches!(built, Err(ConfigError::InvalidOrigin(_))), "{bad}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use tower::Layer;
    use tower_jwt_cookie::CredentialedCors;
    use tower_jwt_cookie::csrf::{CsrfSameSiteGuard, CsrfTokenCheck};
    use tower_jwt_cookie::origin::Origin;

    const NAMES: [&str; 9] = [
        "origin",
        "sec-fetch-site",
        "host",
        "access-control-request-method",
        "access-control-request-headers",
        "access-control-request-private-network",
        "cookie",
        "x-csrf-token",
        "content-type",
    ];

    fn header_lines() -> impl Strategy<Value = Vec<(usize, Vec<u8>)>> {
        prop::collection::vec(
            (0..NAMES.len(), prop::collection::vec(any::<u8>(), 0..80)),
            0..12,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Arbitrary header bytes (and methods and paths) through the whole
        /// cross-origin stack never panic, and a refusal never runs the handler.
        #[test]
        fn arbitrary_header_bytes_never_panic(
            lines in header_lines(),
            method in prop::sample::select(vec!["GET", "POST", "OPTIONS", "PUT", "DELETE", "X-CUSTOM"]),
            path in "/[a-z./%]{0,20}",
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let cors = CredentialedCors::builder().allow_origin(SPA).allow_private_network(true).build().unwrap();
                let guard = CsrfSameSiteGuard::builder().trusted_origin(SPA).bypass(http::Method::POST, "/hook").build().unwrap();
                let tokens = CsrfTokenCheck::<serde_json::Value>::new(crate::support::csrf_tokens());
                let calls = crate::support::Calls::default();
                let service = cors.layer(guard.layer(tokens.layer(calls.service())));
                let mut request = http::Request::builder().method(method).uri(path.as_str()).body(String::new()).unwrap();
                for (name, bytes) in &lines {
                    if let Ok(value) = http::HeaderValue::from_bytes(bytes) {
                        request.headers_mut().append(NAMES[*name], value);
                    }
                }
                let response = service.oneshot(request).await.unwrap();
                if response.extensions().get::<Rejection>().is_some() {
                    prop_assert_eq!(calls.get(), 0);
                }
                prop_assert!(response.headers().get_all(header::VARY).iter().count() >= 1);
                Ok(())
            })?;
        }

        /// Whatever string is configured, it is either refused at build time
        /// or, once accepted, the browser sending exactly its normal form is
        /// let through both layers (and a different origin is not).
        #[test]
        fn any_accepted_origin_matches_itself_through_the_layers(input in "\\PC{0,60}|[a-zA-Z]{1,6}://[a-zA-Z0-9.:\\[\\]-]{0,30}") {
            let Ok(origin) = Origin::parse(&input) else {
                prop_assert!(CredentialedCors::builder().allow_origin(input.as_str()).build().is_err());
                prop_assert!(CsrfSameSiteGuard::builder().trusted_origin(input.as_str()).build().is_err());
                return Ok(());
            };
            prop_assert_eq!(Origin::parse(origin.as_str()).unwrap(), origin.clone());
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let cors = CredentialedCors::builder().allow_origin(input.as_str()).build().unwrap();
                let guard = CsrfSameSiteGuard::builder().trusted_origin(input.as_str()).build().unwrap();
                for (sent, allowed) in [(origin.as_str(), true), ("https://other.invalid", false)] {
                    let calls = crate::support::Calls::default();
                    let service = cors.clone().layer(guard.layer(calls.service()));
                    let request = http::Request::post("/api")
                        .header("host", "api.invalid")
                        .header("sec-fetch-site", "cross-site")
                        .header(header::ORIGIN, sent)
                        .body(String::new())
                        .unwrap();
                    let response = service.oneshot(request).await.unwrap();
                    let granted = response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).map(|v| v.as_bytes().to_vec());
                    if allowed {
                        prop_assert_eq!(response.status(), http::StatusCode::OK);
                        prop_assert_eq!(calls.get(), 1);
                        prop_assert_eq!(granted, Some(origin.as_str().as_bytes().to_vec()));
                    } else {
                        prop_assert_eq!(response.status(), http::StatusCode::FORBIDDEN);
                        prop_assert_eq!(calls.get(), 0);
                        prop_assert_eq!(granted, None);
                    }
                }
                Ok(())
            })?;
        }
    }
}
