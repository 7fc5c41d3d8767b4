//! Which methods the CSRF defences leave alone.

use http::Method;

/// Whether a method is safe (RFC 9110 §9.2.1) in the sense of this guard:
/// exactly GET, HEAD and OPTIONS. TRACE is not listed (servers should not
/// implement it); any extension method is unsafe.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
