//! The demo page: plain HTML, its script and its style sheet, each served from
//! its own route so the Content-Security-Policy needs no `unsafe-inline`.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// `GET /`
pub async fn index() -> impl IntoResponse {
    ([(CACHE_CONTROL, "no-cache")], Html(INDEX_HTML))
}

/// `GET /app.js`
pub async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
}

/// `GET /app.css`
pub async fn style() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        APP_CSS,
    )
}
