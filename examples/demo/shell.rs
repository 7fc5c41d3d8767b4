//! What the demo puts around its routes that is not this crate: security
//! headers on every response and a log line per refusal. `app.rs` wraps the
//! demo in it, and `examples/bare_me.rs` (the baseline of
//! `benches/http_load.sh`) wraps its fixed answer in the same shell, so the
//! load figures compare the crate's layers and nothing else.

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_jwt_cookie::Rejection;

/// The page's policy: scripts and styles only from this origin, no inline
/// script, no plugins, no `<base>`, and no framing (clickjacking).
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// CSP, X-Content-Type-Options, Referrer-Policy and, when `https`, HSTS on
/// every response (refusals included), with tower-http's header layer, and
/// the refusal log outside them. HSTS over plain http is ignored by browsers
/// and forbidden to send (RFC 6797 §7.2): only a secure transport can vouch
/// for itself.
pub fn wrap(router: Router, https: bool) -> Router {
    let header =
        |name, value| SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value));
    let hsts = https.then(|| {
        header(
            STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        )
    });
    router
        .layer(tower::util::option_layer(hsts))
        .layer(header(
            CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY_VALUE,
        ))
        .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(REFERRER_POLICY, "no-referrer"))
        .layer(middleware::from_fn(log_refusals))
}

/// Logs every refusal with its reason: never a token, a cookie or a password.
async fn log_refusals(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(rejection) = response.extensions().get::<Rejection>() {
        tracing::info!(
            %method,
            ?path,
            status = response.status().as_u16(),
            reason = rejection.reason(),
            "refused: {rejection}"
        );
    }
    response
}
