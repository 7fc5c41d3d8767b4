//! The demo application: one `CookieAuth` configuration, the four layers it
//! builds, and the routes of its HTTP contract (checked by
//! `tests/it/demo_contract.rs`). `main.rs` serves it; the contract and browser tests build it in-process with other
//! settings (SameSite=None, a short access-token life, a manual clock).

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::cookie::SameSite;
use tower_jwt_cookie::issue::control::SessionControlError;
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::{
    Algorithm, CookieAuth, MemoryStore, RevocationStore, Session, SessionControl, VerifiedClaims,
};

use super::page;
use super::shell;
use super::users::Users;

/// Longest note, in bytes, and most notes per user: the store stays bounded.
pub const MAX_NOTE_LEN: usize = 500;
/// See [`MAX_NOTE_LEN`].
pub const MAX_NOTES_PER_USER: usize = 100;

/// Everything the demo can be started with.
pub struct DemoConfig {
    /// This server's own origin, e.g. `http://127.0.0.1:3000`: the tokens' issuer.
    pub public_origin: String,
    /// Other origins whose pages may call the API with cookies (CORS) and
    /// send unsafe requests (trusted by the CSRF guard). Exact `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// SameSite of the token cookies. Default `Strict`.
    pub same_site: SameSite,
    /// Life of an access token. Default 15 minutes.
    pub access_lifetime: Duration,
    /// The signing key; `None` generates a fresh ES256 key.
    pub signing_key: Option<SigningKey>,
    /// A clock the tests move by hand; `None` is the system clock.
    pub clock: Option<ManualClock>,
    /// Whether the verifier keeps its verified-token cache. Default `true`.
    pub token_cache: bool,
}

impl DemoConfig {
    /// The defaults for a server at `public_origin`.
    pub fn new(public_origin: impl Into<String>) -> Self {
        Self {
            public_origin: public_origin.into(),
            allowed_origins: Vec::new(),
            same_site: SameSite::Strict,
            access_lifetime: Duration::from_secs(15 * 60),
            signing_key: None,
            clock: None,
            token_cache: true,
        }
    }
}

/// The custom claims of the demo's tokens.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DemoClaims {
    /// The user's roles.
    pub roles: Vec<String>,
}

/// A note.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Note {
    /// Its number, per user, from 1.
    pub id: usize,
    /// What the user wrote.
    pub text: String,
}

/// Notes per user, in memory. Clones share the same notes.
#[derive(Clone, Default)]
pub struct Notes(Arc<Mutex<HashMap<String, Vec<Note>>>>);

impl Notes {
    /// The notes of `user`.
    pub fn of(&self, user: &str) -> Vec<Note> {
        let notes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        notes.get(user).cloned().unwrap_or_default()
    }

    /// How many notes there are, all users together.
    pub fn total(&self) -> usize {
        let notes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        notes.values().map(Vec::len).sum()
    }

    fn add(&self, user: &str, text: String) -> Option<Note> {
        let mut notes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let list = notes.entry(user.to_owned()).or_default();
        if list.len() >= MAX_NOTES_PER_USER {
            return None;
        }
        let note = Note {
            id: list.len() + 1,
            text,
        };
        list.push(note.clone());
        Some(note)
    }
}

/// The built demo.
pub struct Demo {
    /// The whole application, layers included.
    pub router: Router,
    /// The notes, so tests can see that a forged request created none.
    pub notes: Notes,
    /// The keys, whose public half `/.well-known/jwks.json` publishes.
    pub keys: KeyRing,
}

/// The handlers' shared state, behind one `Arc`: axum clones a route's
/// state for every request, and one reference count is cheaper than five
/// (each a write to memory every core shares).
struct AppState<S>(Arc<AppData<S>>);

struct AppData<S> {
    /// This server's origin: the issuer of its tokens.
    origin: Arc<str>,
    /// Ends sessions of other users (the admin route).
    sessions: SessionControl<S>,
    users: Arc<Users>,
    notes: Notes,
    keys: KeyRing,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S> std::ops::Deref for AppState<S> {
    type Target = AppData<S>;

    fn deref(&self) -> &AppData<S> {
        &self.0
    }
}

/// Builds the application. Every configuration error (a bad origin, a bad
/// lifetime) is an `Err` here, before the server listens.
pub fn build(config: DemoConfig) -> Result<Demo, Box<dyn Error + Send + Sync>> {
    build_with_store(config, MemoryStore::new())
}

/// [`build`] on another revocation store (the demo's `main` passes a
/// `RedisStore` when `REDIS_URL` is set).
pub fn build_with_store<S: RevocationStore>(
    config: DemoConfig,
    store: S,
) -> Result<Demo, Box<dyn Error + Send + Sync>> {
    let signing_key = match config.signing_key {
        Some(key) => key,
        None => SigningKey::generate("demo-es256", Algorithm::ES256)?,
    };
    if matches!(
        signing_key.algorithm(),
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err("the demo signs with an asymmetric key (ES256, ES384 or EdDSA) so that its JWKS can publish it".into());
    }
    // kid = the key's RFC 7638 thumbprint: a new key (a new DEMO_KEY_FILE)
    // always has a new kid, so services caching the JWKS refetch for it.
    let keys = KeyRing::with_signing_key(signing_key.with_thumbprint_kid()?);

    let mut builder = CookieAuth::builder(keys.clone(), store)
        .issuer(config.public_origin.clone())
        .audience("tower-jwt-cookie-demo")
        .allowed_origins(config.allowed_origins.iter().cloned())
        .same_site(config.same_site)
        .access_token_lifetime(config.access_lifetime);
    if let Some(clock) = config.clock {
        builder = builder.clock(clock);
    }
    let auth = builder.build()?;

    // The four layers, all from `auth`.
    let issuer = auth.issuer()?; // also answers POST /auth/refresh
    let verifier = auth.verifier::<DemoClaims>();
    let verifier = if config.token_cache {
        verifier
    } else {
        verifier.without_token_cache()
    };
    let csrf = auth.csrf_guard().build()?; // trusts exactly the allowed origins
    let cors = if auth.allowed_origins().is_empty() {
        None // same-origin only: no CORS headers at all
    } else {
        Some(
            auth.cors()
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([CONTENT_TYPE])
                .build()?,
        )
    };

    let state = AppState(Arc::new(AppData {
        origin: Arc::from(config.public_origin.as_str()),
        sessions: auth.sessions(),
        users: Arc::new(Users::demo()),
        notes: Notes::default(),
        keys: keys.clone(),
    }));

    let api = Router::new()
        .route("/api/me", get(me))
        .route("/api/notes", post(add_note::<S>).get(list_notes::<S>))
        .route("/api/admin/end-sessions", post(end_sessions::<S>))
        .route_layer(verifier);

    let router = Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/app.css", get(page::style))
        .route("/.well-known/jwks.json", get(jwks::<S>))
        .route(
            "/.well-known/openid-configuration",
            get(openid_configuration::<S>),
        )
        .route("/auth/login", post(login::<S>))
        .route("/auth/logout", post(|| async { Session::end() }))
        .route("/auth/logout-all", post(|| async { Session::end_all() }))
        .merge(api)
        .with_state(state.clone())
        // Innermost first: issuer, then the CSRF guard in front of every
        // route (login and refresh included), then CORS outside it.
        .layer(issuer)
        .layer(csrf);
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    let router = shell::wrap(router, config.public_origin.starts_with("https://"));

    Ok(Demo {
        router,
        notes: state.notes.clone(),
        keys,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

/// `POST /auth/login`: argon2 check, then a `Session::issue` command that the
/// issuer turns into signed tokens and cookies.
async fn login<S: RevocationStore>(
    State(state): State<AppState<S>>,
    Json(form): Json<LoginForm>,
) -> Response {
    let users = Arc::clone(&state.users);
    let checked = tokio::task::spawn_blocking(move || {
        users
            .authenticate(&form.username, &form.password)
            .map(|user| (user.name, user.roles))
    })
    .await;
    match checked {
        Ok(Some((name, roles))) => {
            tracing::info!(user = name, "login");
            let claims = DemoClaims {
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            };
            (
                Session::issue(name).claims(&claims),
                Json(json!({ "sub": name, "roles": claims.roles })),
            )
                .into_response()
        }
        Ok(None) => {
            tracing::info!(
                method = "POST",
                path = "/auth/login",
                status = 401,
                reason = "invalid_credentials",
                "refused: wrong user name or password"
            );
            (
                StatusCode::UNAUTHORIZED,
                [(CACHE_CONTROL, "no-store")],
                Json(json!({
                    "error": "invalid_credentials",
                    "message": "wrong user name or password"
                })),
            )
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "password check failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /api/me`
async fn me(claims: VerifiedClaims<DemoClaims>) -> impl IntoResponse {
    (
        [(CACHE_CONTROL, "no-store")],
        Json(json!({
            "sub": claims.subject(),
            "roles": claims.custom().roles,
            "exp": claims.expires_at(),
        })),
    )
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

/// `POST /api/notes`: JSON `{"text"}` → 201 and the note.
async fn add_note<S: RevocationStore>(
    State(state): State<AppState<S>>,
    claims: VerifiedClaims<DemoClaims>,
    Json(note): Json<NewNote>,
) -> Response {
    let text = note.text.trim();
    if text.is_empty() || text.len() > MAX_NOTE_LEN {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": "invalid_note",
                "message": format!("a note is 1 to {MAX_NOTE_LEN} bytes of text")
            })),
        )
            .into_response();
    }
    match state.notes.add(claims.subject(), text.to_owned()) {
        Some(note) => (StatusCode::CREATED, Json(note)).into_response(),
        None => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": "too_many_notes",
                "message": format!("at most {MAX_NOTES_PER_USER} notes per user")
            })),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct EndSessions {
    sub: String,
}

/// `POST /api/admin/end-sessions`: JSON `{"sub"}` → 204; every session of
/// that user ends (as after a password change), effective on their very
/// next request. Only for the `admin` role (403 otherwise); an empty `sub`
/// is 422.
async fn end_sessions<S: RevocationStore>(
    State(state): State<AppState<S>>,
    claims: VerifiedClaims<DemoClaims>,
    Json(target): Json<EndSessions>,
) -> Response {
    if !claims.custom().roles.iter().any(|r| r == "admin") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "forbidden", "message": "only an admin may end another user's sessions" })),
        )
            .into_response();
    }
    match state.sessions.end_all(&target.sub).await {
        Ok(()) => {
            tracing::info!(
                admin = claims.subject(),
                user = target.sub,
                "ended every session"
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error @ SessionControlError::EmptyId(_)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": "invalid_user", "message": error.to_string() })),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot end sessions");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /api/notes`: the caller's notes.
async fn list_notes<S: RevocationStore>(
    State(state): State<AppState<S>>,
    claims: VerifiedClaims<DemoClaims>,
) -> impl IntoResponse {
    (
        [(CACHE_CONTROL, "no-store")],
        Json(state.notes.of(claims.subject())),
    )
}

/// How long other services may cache the two discovery documents. A
/// rotated key has a new kid, which they refetch for at once, so this only
/// bounds how long a retired key keeps verifying elsewhere.
const DISCOVERY_CACHE: &str = "public, max-age=300";

/// `GET /.well-known/jwks.json`: the public verification keys (never a
/// private key or an HMAC secret).
async fn jwks<S: RevocationStore>(State(state): State<AppState<S>>) -> impl IntoResponse {
    ([(CACHE_CONTROL, DISCOVERY_CACHE)], Json(state.keys.jwks()))
}

/// `GET /.well-known/openid-configuration` (OIDC Discovery 1.0 §4): the
/// issuer, exactly as in the tokens' `iss`, and where its keys are, so a
/// service that knows only this origin can verify the demo's tokens.
async fn openid_configuration<S: RevocationStore>(
    State(state): State<AppState<S>>,
) -> impl IntoResponse {
    (
        [(CACHE_CONTROL, DISCOVERY_CACHE)],
        Json(json!({
            "issuer": &*state.origin,
            "jwks_uri": format!("{}/.well-known/jwks.json", state.origin),
        })),
    )
}
