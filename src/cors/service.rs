use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use tower_service::Service;

use super::future::ResponseFuture;
use super::layer::CorsConfig;
use super::request_headers::check_request_headers;
use crate::body::ResponseBody;
use crate::header::{Single, single};
use crate::rejection::{CorsReason, Rejection, rejection_response};

const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
const ALLOW_PRIVATE_NETWORK: &str = "access-control-allow-private-network";

/// The service made by [`CredentialedCors`](super::CredentialedCors).
pub struct CorsService<I> {
    pub(super) inner: I,
    pub(super) config: Arc<CorsConfig>,
}

impl<I: Clone> Clone for CorsService<I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<I: fmt::Debug> fmt::Debug for CorsService<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<I, ReqBody, ResBody> Service<Request<ReqBody>> for CorsService<I>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = I::Error;
    type Future = ResponseFuture<I::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let config = &*self.config;
        if request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            let response = match preflight(config, request.headers()) {
                Ok(response) => response,
                Err(reason) => {
                    tracing::info!(
                        reason = reason.code(),
                        origin = %origin_for_log(request.headers()),
                        path = request.uri().path(),
                        "CORS preflight refused: {reason}"
                    );
                    let mut response =
                        rejection_response(&*config.responder, Rejection::Cors(reason), &request);
                    response.headers_mut().append(header::VARY, VARY_PREFLIGHT);
                    response
                }
            };
            return ResponseFuture::preflight(response);
        }
        let allowed = allowed_origin(config, request.headers()).cloned();
        ResponseFuture::inner(self.inner.call(request), allowed, Arc::clone(&self.config))
    }
}

/// The request's `Origin` if it appears once and is allow-listed.
fn allowed_origin<'a>(config: &CorsConfig, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
    let Single::One(origin) = single(headers, header::ORIGIN) else {
        return None;
    };
    config
        .origins
        .iter()
        .any(|o| o.matches(origin.as_bytes()))
        .then_some(origin)
}

fn preflight(config: &CorsConfig, headers: &HeaderMap) -> Result<Response<Bytes>, CorsReason> {
    let origin = allowed_origin(config, headers).ok_or(CorsReason::OriginNotAllowed)?;
    let Single::One(method) = single(headers, header::ACCESS_CONTROL_REQUEST_METHOD) else {
        return Err(CorsReason::MethodNotAllowed);
    };
    // Methods are case-sensitive (Fetch normalizes only the standard ones).
    if !config
        .methods
        .iter()
        .any(|m| m.as_str().as_bytes() == method.as_bytes())
    {
        return Err(CorsReason::MethodNotAllowed);
    }
    let requested = check_request_headers(
        headers,
        &config.allow_headers,
        config.max_request_headers_len,
        config.max_request_headers,
    )?;

    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let out = response.headers_mut();
    out.insert(header::VARY, VARY_PREFLIGHT);
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    out.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
    out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, method.clone());
    if !requested.is_empty() {
        // Built from configured header names joined by commas: always valid.
        if let Ok(value) = HeaderValue::try_from(requested) {
            out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value);
        }
    }
    if let Some(max_age) = &config.max_age {
        out.insert(header::ACCESS_CONTROL_MAX_AGE, max_age.clone());
    }
    if config.private_network
        && headers
            .get(REQUEST_PRIVATE_NETWORK)
            .is_some_and(|v| v.as_bytes() == b"true")
    {
        out.insert(ALLOW_PRIVATE_NETWORK, TRUE);
    }
    Ok(response)
}

/// The `Origin` for a log line: bounded, lossy, never anything but the origin.
fn origin_for_log(headers: &HeaderMap) -> String {
    headers.get(header::ORIGIN).map_or_else(
        || "<none>".to_owned(),
        |v| String::from_utf8_lossy(&v.as_bytes()[..v.len().min(100)]).into_owned(),
    )
}

pub(super) fn add_actual_headers(
    headers: &mut HeaderMap,
    allowed: Option<HeaderValue>,
    config: &CorsConfig,
) {
    headers.append(header::VARY, VARY_ORIGIN);
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        if let Some(expose) = &config.expose_headers {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    } else {
        // An inner handler must not grant what the allow-list does not.
        headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
}
