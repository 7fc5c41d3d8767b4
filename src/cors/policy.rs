//! What CORS allows: the checked configuration, the preflight answer, and the
//! headers added to actual responses (Fetch standard §3.2, "CORS protocol").

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Response, StatusCode};

use super::request_headers::check_request_headers;
use crate::header::{Single, single};
use crate::origin::Origin;
use crate::rejection::{CorsReason, Responder};

pub(super) const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("origin");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
const ALLOW_PRIVATE_NETWORK: &str = "access-control-allow-private-network";

/// The checked configuration of [`CredentialedCors`](super::CredentialedCors).
pub(crate) struct CorsConfig {
    pub(crate) origins: Vec<Origin>,
    pub(crate) methods: Vec<Method>,
    pub(crate) allow_headers: Vec<HeaderName>,
    pub(crate) expose_headers: Option<HeaderValue>,
    pub(crate) max_age: Option<HeaderValue>,
    pub(crate) private_network: bool,
    pub(crate) max_request_headers_len: usize,
    pub(crate) max_request_headers: usize,
    pub(crate) responder: Arc<dyn Responder>,
}

impl CorsConfig {
    /// The request's `Origin` if it appears once and is allow-listed.
    pub(super) fn allowed_origin<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        let Single::One(origin) = single(headers, header::ORIGIN) else {
            return None;
        };
        self.origins
            .iter()
            .any(|o| o.matches(origin.as_bytes()))
            .then_some(origin)
    }

    /// The answer to a preflight, or why it is refused.
    pub(super) fn preflight(&self, headers: &HeaderMap) -> Result<Response<Bytes>, CorsReason> {
        let origin = self
            .allowed_origin(headers)
            .ok_or(CorsReason::OriginNotAllowed)?;
        let Single::One(method) = single(headers, header::ACCESS_CONTROL_REQUEST_METHOD) else {
            return Err(CorsReason::MethodNotAllowed);
        };
        // Methods are case-sensitive (Fetch normalizes only the standard ones).
        if !self
            .methods
            .iter()
            .any(|m| m.as_str().as_bytes() == method.as_bytes())
        {
            return Err(CorsReason::MethodNotAllowed);
        }
        let requested = check_request_headers(
            headers,
            &self.allow_headers,
            self.max_request_headers_len,
            self.max_request_headers,
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
        if let Some(max_age) = &self.max_age {
            out.insert(header::ACCESS_CONTROL_MAX_AGE, max_age.clone());
        }
        if self.private_network
            && headers
                .get(REQUEST_PRIVATE_NETWORK)
                .is_some_and(|v| v.as_bytes() == b"true")
        {
            out.insert(ALLOW_PRIVATE_NETWORK, TRUE);
        }
        Ok(response)
    }

    /// What an actual request's response gets: the allowed origin (from the
    /// request itself) and, for an allowed one, the exposed headers. Owned
    /// values, so the response future holds no handle on the shared config
    /// (an `Arc` clone per request would write its counter from every core).
    pub(super) fn actual_headers(&self, headers: &HeaderMap) -> ActualHeaders {
        let allowed = self.allowed_origin(headers).cloned();
        let expose = allowed.as_ref().and(self.expose_headers.clone());
        ActualHeaders { allowed, expose }
    }
}

/// The CORS headers of one actual (non-preflight) response.
#[derive(Debug)]
pub(super) struct ActualHeaders {
    allowed: Option<HeaderValue>,
    expose: Option<HeaderValue>,
}

impl ActualHeaders {
    pub(super) fn add_to(self, headers: &mut HeaderMap) {
        headers.append(header::VARY, VARY_ORIGIN);
        if let Some(origin) = self.allowed {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
            if let Some(expose) = self.expose {
                headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose);
            }
        } else {
            // An inner handler must not grant what the allow-list does not.
            headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
            headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
        }
    }
}
