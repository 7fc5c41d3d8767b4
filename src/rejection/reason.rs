use http::StatusCode;

/// Why a request was refused. Non-exhaustive: new reasons may be added.
///
/// [`Rejection::reason`] is a stable machine-readable code; `Display` is a
/// short sentence for people. Neither ever contains token bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No token in the configured cookie (or `Authorization: Bearer`, if enabled).
    #[error("no token was presented")]
    MissingToken,
    /// The token cookie was sent more than once and the policy refuses that.
    #[error("the token cookie was sent more than once")]
    DuplicateCookie,
    /// The token is longer than the configured limit.
    #[error("the token is longer than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The token is not a well-formed compact JWS.
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    /// The `alg` header is `none`, unknown, or not the algorithm of the key.
    #[error("the token's algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// The header names a `crit` extension this crate does not implement.
    #[error("the token requires an unsupported critical header extension")]
    UnsupportedCritical,
    /// No configured key matches the token's `kid`.
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// A registered claim is missing or not of its required type.
    #[error("the token's `{0}` claim is missing or invalid")]
    InvalidClaim(&'static str),
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("the token was issued in the future")]
    IssuedInFuture,
    /// `iat` is older than the configured maximum age.
    #[error("the token is older than the maximum age")]
    TooOld,
    /// `iss` is not an accepted issuer.
    #[error("the token's issuer is not accepted")]
    WrongIssuer,
    /// `aud` holds none of the accepted audiences.
    #[error("the token is not meant for this audience")]
    WrongAudience,
    /// The `typ` header is not the one this token kind requires.
    #[error("the token is of the wrong type")]
    WrongType,
    /// The token, its session or its subject has been revoked.
    #[error("the token has been revoked")]
    Revoked,
    /// The revocation store could not answer; the request is refused (fail closed).
    #[error("the session store is unavailable")]
    StoreUnavailable,
    /// The CSRF guard refused an unsafe request (HTTP 403, never `WWW-Authenticate`).
    #[error("cross-site request refused: {0}")]
    Csrf(CsrfReason),
    /// The CORS layer refused a preflight (HTTP 403).
    #[error("CORS preflight refused: {0}")]
    Cors(CorsReason),

    // --- Sessions: JwtCookieIssuer and the refresh endpoint ---
    /// A superseded refresh token was presented again: the token was probably
    /// stolen, so its whole session (refresh family) is now revoked.
    #[error("a superseded refresh token was presented again; the session has been revoked")]
    RefreshReused,
    /// The session's idle or absolute lifetime has passed.
    #[error("the session has expired; log in again")]
    SessionExpired,
    /// The issuer could not sign a session (no signing key, unusable claims).
    #[error("the session could not be issued: {0}")]
    IssueFailed(&'static str),
}

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
    /// No `Sec-Fetch-Site`, and `Origin` is neither this origin nor trusted.
    #[error("the Origin header is not this origin")]
    OriginMismatch,
    /// `Origin: null` (sandboxed frame, local file, privacy redirect).
    #[error("the Origin header is null")]
    NullOrigin,
    /// Neither `Sec-Fetch-Site` nor `Origin`, and the guard is set to fail closed.
    #[error("the request has neither Sec-Fetch-Site nor Origin")]
    MissingOrigin,
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
            Self::MissingToken => "csrf_missing_token",
            Self::InvalidToken => "csrf_invalid_token",
            Self::NoSession => "csrf_no_session",
        }
    }
}

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

impl Rejection {
    /// A stable, machine-readable code for this reason, e.g. `"expired"`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::DuplicateCookie => "duplicate_cookie",
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::UnsupportedCritical => "unsupported_critical",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::TooOld => "too_old",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongType => "wrong_type",
            Self::Revoked => "revoked",
            Self::StoreUnavailable => "store_unavailable",
            Self::Csrf(reason) => reason.code(),
            Self::Cors(reason) => reason.code(),
            Self::RefreshReused => "refresh_reused",
            Self::SessionExpired => "session_expired",
            Self::IssueFailed(_) => "issue_failed",
        }
    }

    /// The HTTP status the default responder uses.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Csrf(_) | Self::Cors(_) => StatusCode::FORBIDDEN,
            Self::IssueFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The gRPC status code the default responder uses for gRPC requests.
    pub fn grpc_code(&self) -> u8 {
        match self {
            Self::StoreUnavailable => 14,       // UNAVAILABLE
            Self::Csrf(_) | Self::Cors(_) => 7, // PERMISSION_DENIED
            Self::IssueFailed(_) => 13,         // INTERNAL
            _ => 16,                            // UNAUTHENTICATED
        }
    }

    /// Whether this is a problem with a presented token, answered with
    /// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
    pub fn is_invalid_token(&self) -> bool {
        !matches!(
            self,
            Self::MissingToken
                | Self::StoreUnavailable
                | Self::IssueFailed(_)
                | Self::Csrf(_)
                | Self::Cors(_)
        )
    }
}
