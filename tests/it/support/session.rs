//! The session app (an app behind the issuer and the verifier) and a tiny
//! browser that keeps cookies by name and path.

use std::collections::BTreeMap;
use std::convert::Infallible;

use bytes::Bytes;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tower::util::BoxCloneService;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::body::ResponseBody;
use tower_jwt_cookie::revocation::RevocationStore;
use tower_jwt_cookie::{CookieAuth, Rejection, Session, VerifiedClaims};

pub type App =
    BoxCloneService<Request<Full<Bytes>>, Response<ResponseBody<Full<Bytes>>>, Infallible>;

/// The app: `POST /auth/login` (body = user name), `GET /api/me` behind the
/// verifier, `POST /auth/logout`, `POST /auth/logout-all`, `GET /public`;
/// all behind the issuer.
pub fn app<S: RevocationStore>(auth: &CookieAuth<S>) -> App {
    let me = ServiceBuilder::new()
        .layer(auth.verifier::<Value>())
        .service(service_fn(|request: Request<Full<Bytes>>| async move {
            let claims = request.extensions().get::<VerifiedClaims<Value>>().unwrap();
            let body = json!({
                "sub": claims.subject(),
                "sid": claims.session_id(),
                "exp": claims.expires_at(),
                "roles": claims.custom()["roles"],
            });
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body.to_string()))))
        }));
    let router = service_fn(move |request: Request<Full<Bytes>>| {
        let me = me.clone();
        async move {
            let path = request.uri().path().to_owned();
            let mut response = Response::new(Full::new(Bytes::new()));
            match path.as_str() {
                "/api/me" => {
                    let (parts, body) = me.oneshot(request).await?.into_parts();
                    let bytes = body.collect().await.unwrap().to_bytes();
                    return Ok(Response::from_parts(parts, Full::new(bytes)));
                }
                "/auth/login" => {
                    let user = request.into_body().collect().await.unwrap().to_bytes();
                    let user = String::from_utf8(user.to_vec()).unwrap();
                    Session::issue(user)
                        .claims(json!({ "roles": ["user"] }))
                        .attach(&mut response);
                }
                "/auth/login-bad-claims" => {
                    Session::issue("alice")
                        .claims(json!({ "sub": "mallory" }))
                        .attach(&mut response);
                }
                "/auth/logout" => {
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    Session::end().attach(&mut response);
                }
                "/auth/logout-all" => {
                    *response.status_mut() = StatusCode::NO_CONTENT;
                    Session::end_all().attach(&mut response);
                }
                _ => {}
            }
            Ok::<_, Infallible>(response)
        }
    });
    BoxCloneService::new(
        ServiceBuilder::new()
            .layer(auth.issuer().unwrap())
            .service(router),
    )
}

/// A browser: cookies by name, sent when their Path matches.
#[derive(Clone, Debug, Default)]
pub struct Browser {
    pub cookies: BTreeMap<String, (String, String)>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub rejection: Option<Rejection>,
    pub body: String,
}

impl Reply {
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn reason(&self) -> Option<&'static str> {
        self.rejection.as_ref().map(Rejection::reason)
    }
}

/// The `Set-Cookie` line that clears token cookie `name` at `path` (the
/// default attributes).
pub fn clearing_line(name: &str, path: &str) -> String {
    format!(
        "{name}=; HttpOnly; SameSite=Strict; Secure; Path={path}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    )
}

fn path_matches(cookie_path: &str, path: &str) -> bool {
    path == cookie_path
        || path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || path[cookie_path.len()..].starts_with('/'))
}

impl Browser {
    pub fn request(&self, method: Method, path: &str, body: &str) -> Request<Full<Bytes>> {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .filter(|(_, (_, cookie_path))| path_matches(cookie_path, path))
            .map(|(name, (value, _))| format!("{name}={value}"))
            .collect();
        let mut builder = Request::builder().method(method).uri(path);
        if !cookies.is_empty() {
            builder = builder.header(COOKIE, cookies.join("; "));
        }
        builder
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap()
    }

    pub fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let cookie = cookie::Cookie::parse(value.to_str().unwrap().to_owned()).unwrap();
            let path = cookie.path().unwrap_or("/").to_owned();
            if cookie.max_age().is_some_and(|m| m.is_zero()) {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), (cookie.value().to_owned(), path));
            }
        }
    }

    pub async fn send(&mut self, app: &App, method: Method, path: &str, body: &str) -> Reply {
        let response = app
            .clone()
            .oneshot(self.request(method, path, body))
            .await
            .unwrap();
        self.absorb(response.headers());
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status,
            rejection: parts.extensions.get::<Rejection>().cloned(),
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    pub async fn login(&mut self, app: &App, user: &str) -> Reply {
        self.send(app, Method::POST, "/auth/login", user).await
    }

    pub async fn me(&mut self, app: &App) -> Reply {
        self.send(app, Method::GET, "/api/me", "").await
    }

    pub async fn logout(&mut self, app: &App) -> Reply {
        self.send(app, Method::POST, "/auth/logout", "").await
    }

    pub async fn logout_all(&mut self, app: &App) -> Reply {
        self.send(app, Method::POST, "/auth/logout-all", "").await
    }

    pub async fn refresh(&mut self, app: &App) -> Reply {
        self.send(app, Method::POST, "/auth/refresh", "").await
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(|(v, _)| v.as_str())
    }

    pub fn access(&self) -> &str {
        self.cookie("__Host-Http-access").expect("no access cookie")
    }

    pub fn refresh_token(&self) -> &str {
        self.cookie("__Http-refresh").expect("no refresh cookie")
    }

    pub fn set_refresh(&mut self, value: &str) {
        self.cookies
            .insert("__Http-refresh".into(), (value.to_owned(), "/auth".into()));
    }
}
