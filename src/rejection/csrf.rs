//! [`CsrfReason`]: why the CSRF guard or the double-submit check refused.

/// Why [`CsrfSameSiteGuard`](crate::csrf::CsrfSameSiteGuard) or the
/// double-submit check refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfReason {
    /// `Sec-Fetch-Site: cross-site` from an origin that is not trusted.
    #[error("the request came from another site")]
    CrossSite,
    /// `Sec-Fetch-Site: same-site` (a sibling subdomain) without the opt-in.
    #[error("the request came from another origin of the same site")]
    SameSite,
    /// `Sec-Fetch-Site` has a value this guard does not know, or several values.
    #[error("the Sec-Fetch-Site header is not valid")]
    InvalidFetchSite,
    /// No `Sec-Fetch-Site`, and `Origin` is repeated, or neither this origin
    /// nor trusted.
    #[error("the Origin header is not this origin")]
    OriginMismatch,
    /// `Origin: null` (sandboxed frame, local file, privacy redirect).
    #[error("the Origin header is null")]
    NullOrigin,
    /// Neither `Sec-Fetch-Site` nor `Origin`, and the guard is set to fail closed.
    #[error("the request has neither Sec-Fetch-Site nor Origin")]
    MissingOrigin,
    /// No `Sec-Fetch-Site`, and `Host` appears more than once, so the
    /// request's own origin is ambiguous.
    #[error("the Host header is repeated")]
    InvalidHost,
    /// The double-submit token is missing from the header or the cookie.
    #[error("the CSRF token is missing")]
    MissingToken,
    /// The header and cookie tokens differ, the token is not for this session,
    /// or its signature is invalid.
    #[error("the CSRF token is invalid")]
    InvalidToken,
    /// The double-submit check found no verified session to bind the token to.
    #[error("no verified session to check the CSRF token against")]
    NoSession,
}

impl CsrfReason {
    /// A stable machine-readable code, e.g. `"csrf_cross_site"`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CrossSite => "csrf_cross_site",
            Self::SameSite => "csrf_same_site",
            Self::InvalidFetchSite => "csrf_invalid_fetch_site",
            Self::OriginMismatch => "csrf_origin_mismatch",
            Self::NullOrigin => "csrf_null_origin",
            Self::MissingOrigin => "csrf_missing_origin",
            Self::InvalidHost => "csrf_invalid_host",
            Self::MissingToken => "csrf_missing_token",
            Self::InvalidToken => "csrf_invalid_token",
            Self::NoSession => "csrf_no_session",
        }
    }
}
