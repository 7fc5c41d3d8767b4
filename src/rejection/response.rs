use std::fmt::Write as _;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};

use super::{Rejection, prebuilt};

/// What a [`Responder`] may look at of the refused request.
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request URI.
    pub uri: &'a Uri,
    /// The request headers: all of them where a layer answers before the
    /// inner service (verifier, refresh endpoint, CSRF, CORS). For a session
    /// command that fails after the handler ran, the issuer has kept only
    /// `Accept`, `Content-Type`, `Origin` and `Cookie`.
    pub headers: &'a HeaderMap,
}

impl<'a> RequestInfo<'a> {
    /// Bundles the parts of a request a responder may look at.
    pub fn new(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> Self {
        Self {
            method,
            uri,
            headers,
        }
    }

    /// Whether the request is gRPC (`content-type: application/grpc…`).
    pub fn is_grpc(&self) -> bool {
        self.headers
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
    }
}

/// Turns a [`Rejection`] into the response the client sees.
///
/// Any `Fn(&Rejection, &RequestInfo<'_>) -> Response<Bytes>` closure is a
/// responder. Whatever it returns, the layer also puts the `Rejection` in the
/// response extensions.
pub trait Responder: Send + Sync + 'static {
    /// Builds the response for `rejection`.
    fn respond(&self, rejection: &Rejection, request: &RequestInfo<'_>) -> Response<Bytes>;
}

impl<F> Responder for F
where
    F: Fn(&Rejection, &RequestInfo<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    fn respond(&self, rejection: &Rejection, request: &RequestInfo<'_>) -> Response<Bytes> {
        self(rejection, request)
    }
}

/// The responses a refused request gets unless another [`Responder`] is
/// configured.
///
/// HTTP: the rejection's status (401, 403 or 503), `Cache-Control: no-store`,
/// `WWW-Authenticate: Bearer` (with `error="invalid_token"` and a description
/// when a token was presented, RFC 6750 §3) and a JSON body
/// `{"error": "<reason>", "message": "<sentence>"}`.
/// gRPC: HTTP 200 with `grpc-status` (16 UNAUTHENTICATED, 7 PERMISSION_DENIED,
/// 14 UNAVAILABLE) and
/// a percent-encoded `grpc-message`, as a trailers-only response.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultResponder;

impl Responder for DefaultResponder {
    fn respond(&self, rejection: &Rejection, request: &RequestInfo<'_>) -> Response<Bytes> {
        if request.is_grpc() {
            // Answer in the request's own flavour (grpc, grpc+proto, grpc-web…).
            let content_type = request.headers.get(CONTENT_TYPE).cloned();
            grpc_response(rejection.grpc_code(), &rejection.to_string(), content_type)
        } else {
            http_response(rejection)
        }
    }
}

fn http_response(rejection: &Rejection) -> Response<Bytes> {
    let parts = prebuilt::parts(rejection, build_parts);
    let mut response = Response::new(parts.body);
    *response.status_mut() = rejection.status();
    *response.headers_mut() = parts.headers;
    response
}

/// The body and headers of `rejection`'s response, from scratch.
fn build_parts(rejection: &Rejection) -> prebuilt::Parts {
    let message = rejection.to_string();
    let mut headers = HeaderMap::with_capacity(3);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if rejection.status() == StatusCode::UNAUTHORIZED {
        let challenge = if rejection.is_invalid_token() {
            // Display texts are fixed ASCII sentences without quotes, so this
            // cannot fail.
            HeaderValue::try_from(format!(
                "Bearer error=\"invalid_token\", error_description=\"{message}\""
            ))
            .ok()
        } else {
            Some(HeaderValue::from_static("Bearer"))
        };
        if let Some(value) = challenge {
            headers.insert(WWW_AUTHENTICATE, value);
        }
    }
    prebuilt::Parts {
        body: json_body(rejection.reason(), &message),
        headers,
    }
}

/// `{"error":"<reason>","message":"<message>"}`, written straight into one
/// buffer: refusals are what a flood of bad requests costs, so no JSON tree
/// and no second copy are built for them.
fn json_body(reason: &str, message: &str) -> Bytes {
    let mut body = Vec::with_capacity(32 + reason.len() + message.len());
    body.extend_from_slice(b"{\"error\":");
    // Writing JSON strings into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut body, reason);
    body.extend_from_slice(b",\"message\":");
    let _ = serde_json::to_writer(&mut body, message);
    body.push(b'}');
    Bytes::from(body)
}

/// A trailers-only gRPC error response.
fn grpc_response(code: u8, message: &str, content_type: Option<HeaderValue>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    let headers = response.headers_mut();
    let content_type = content_type.unwrap_or(HeaderValue::from_static("application/grpc"));
    headers.insert(CONTENT_TYPE, content_type);
    headers.insert("grpc-status", HeaderValue::from(u16::from(code)));
    if let Ok(value) = HeaderValue::try_from(grpc_percent_encode(message)) {
        headers.insert("grpc-message", value);
    }
    response
}

/// Percent-encodes per the gRPC HTTP/2 spec: bytes outside 0x20..=0x7E and `%`.
fn grpc_percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for &b in message.as_bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The response for `rejection` by `responder`, with the rejection in its
/// extensions and the refusal logged (reason only: never a token).
pub(crate) fn rejection_response<B>(
    responder: &dyn Responder,
    rejection: Rejection,
    request: &http::Request<B>,
) -> Response<Bytes> {
    let info = RequestInfo::new(request.method(), request.uri(), request.headers());
    rejection_response_for(responder, rejection, &info)
}

/// [`rejection_response`] for a request known only by its parts (the issuer
/// answers after the request itself has moved on).
pub(crate) fn rejection_response_for(
    responder: &dyn Responder,
    rejection: Rejection,
    info: &RequestInfo<'_>,
) -> Response<Bytes> {
    tracing::debug!(
        reason = rejection.reason(),
        method = %info.method,
        path = info.uri.path(),
        "request refused"
    );
    let mut response = responder.respond(&rejection, info);
    response.extensions_mut().insert(rejection);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encodes_grpc_messages() {
        assert_eq!(
            grpc_percent_encode("a 100% ok\n\u{e9}"),
            "a 100%25 ok%0A%C3%A9"
        );
    }
}
