//! [`CorsReason`]: why the CORS layer refused a preflight.

/// Why [`CredentialedCors`](crate::cors::CredentialedCors) refused a preflight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CorsReason {
    /// The `Origin` is missing, repeated, or not on the allow-list.
    #[error("the origin is not allowed")]
    OriginNotAllowed,
    /// `Access-Control-Request-Method` is not an allowed method.
    #[error("the requested method is not allowed")]
    MethodNotAllowed,
    /// A name in `Access-Control-Request-Headers` is not an allowed header.
    #[error("a requested header is not allowed")]
    HeaderNotAllowed,
    /// `Access-Control-Request-Headers` is longer or has more names than the bound.
    #[error("the requested header list is too long")]
    TooManyHeaders,
}

impl CorsReason {
    /// A stable machine-readable code, e.g. `"cors_origin_not_allowed"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OriginNotAllowed => "cors_origin_not_allowed",
            Self::MethodNotAllowed => "cors_method_not_allowed",
            Self::HeaderNotAllowed => "cors_header_not_allowed",
            Self::TooManyHeaders => "cors_too_many_headers",
        }
    }
}
