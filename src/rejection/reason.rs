use http::StatusCode;

use super::{CorsReason, CsrfReason};

/// Why a request was refused. Non-exhaustive: new reasons may be added.
///
/// [`Rejection::reason`] is a stable machine-readable code; `Display` is a
/// short sentence for people. Neither ever contains token bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
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

    /// The one exhaustive classification (no `_`): a new reason must pick
    /// its kind, so it cannot silently become a 401 with a challenge.
    /// Status, gRPC code and challenge all follow from it.
    fn kind(&self) -> Kind {
        match self {
            Self::DuplicateCookie
            | Self::TooLarge { .. }
            | Self::Malformed(_)
            | Self::AlgorithmNotAllowed
            | Self::UnsupportedCritical
            | Self::UnknownKey
            | Self::BadSignature
            | Self::InvalidClaim(_)
            | Self::Expired
            | Self::NotYetValid
            | Self::IssuedInFuture
            | Self::TooOld
            | Self::WrongIssuer
            | Self::WrongAudience
            | Self::WrongType
            | Self::Revoked
            | Self::RefreshReused
            | Self::SessionExpired => Kind::InvalidToken,
            Self::MissingToken => Kind::NoToken,
            Self::StoreUnavailable => Kind::StoreDown,
            Self::Csrf(_) | Self::Cors(_) => Kind::Forbidden,
            Self::IssueFailed(_) => Kind::Internal,
        }
    }

    /// The HTTP status the default responder uses.
    pub fn status(&self) -> StatusCode {
        match self.kind() {
            Kind::InvalidToken | Kind::NoToken => StatusCode::UNAUTHORIZED,
            Kind::StoreDown => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The gRPC status code the default responder uses for gRPC requests.
    pub fn grpc_code(&self) -> u8 {
        match self.kind() {
            Kind::InvalidToken | Kind::NoToken => 16, // UNAUTHENTICATED
            Kind::StoreDown => 14,                    // UNAVAILABLE
            Kind::Forbidden => 7,                     // PERMISSION_DENIED
            Kind::Internal => 13,                     // INTERNAL
        }
    }

    /// Whether this is a problem with a presented token, answered with
    /// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1). No
    /// token at all is a challenge without an error code.
    pub fn is_invalid_token(&self) -> bool {
        self.kind() == Kind::InvalidToken
    }
}

/// How a [`Rejection`] is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A presented token is unusable: 401 with an `invalid_token` challenge.
    InvalidToken,
    /// No token: 401 with a bare challenge.
    NoToken,
    /// The store could not answer: 503.
    StoreDown,
    /// CSRF or CORS: 403, no challenge.
    Forbidden,
    /// The server could not do its part: 500.
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant. The exhaustive match makes adding a variant
    /// without a row here a compile error.
    fn every_variant() -> Vec<Rejection> {
        let all = vec![
            Rejection::MissingToken,
            Rejection::DuplicateCookie,
            Rejection::TooLarge { limit: 1 },
            Rejection::Malformed("x"),
            Rejection::AlgorithmNotAllowed,
            Rejection::UnsupportedCritical,
            Rejection::UnknownKey,
            Rejection::BadSignature,
            Rejection::InvalidClaim("exp"),
            Rejection::Expired,
            Rejection::NotYetValid,
            Rejection::IssuedInFuture,
            Rejection::TooOld,
            Rejection::WrongIssuer,
            Rejection::WrongAudience,
            Rejection::WrongType,
            Rejection::Revoked,
            Rejection::StoreUnavailable,
            Rejection::Csrf(CsrfReason::CrossSite),
            Rejection::Cors(CorsReason::OriginNotAllowed),
            Rejection::RefreshReused,
            Rejection::SessionExpired,
            Rejection::IssueFailed("x"),
        ];
        for r in &all {
            match r {
                Rejection::MissingToken
                | Rejection::DuplicateCookie
                | Rejection::TooLarge { .. }
                | Rejection::Malformed(_)
                | Rejection::AlgorithmNotAllowed
                | Rejection::UnsupportedCritical
                | Rejection::UnknownKey
                | Rejection::BadSignature
                | Rejection::InvalidClaim(_)
                | Rejection::Expired
                | Rejection::NotYetValid
                | Rejection::IssuedInFuture
                | Rejection::TooOld
                | Rejection::WrongIssuer
                | Rejection::WrongAudience
                | Rejection::WrongType
                | Rejection::Revoked
                | Rejection::StoreUnavailable
                | Rejection::Csrf(_)
                | Rejection::Cors(_)
                | Rejection::RefreshReused
                | Rejection::SessionExpired
                | Rejection::IssueFailed(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_variant_states_status_grpc_code_and_challenge() {
        for r in every_variant() {
            let got = (r.status(), r.grpc_code(), r.is_invalid_token());
            let want = match r {
                Rejection::MissingToken => (StatusCode::UNAUTHORIZED, 16, false),
                Rejection::StoreUnavailable => (StatusCode::SERVICE_UNAVAILABLE, 14, false),
                Rejection::IssueFailed(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13, false),
                Rejection::Csrf(_) | Rejection::Cors(_) => (StatusCode::FORBIDDEN, 7, false),
                _ => (StatusCode::UNAUTHORIZED, 16, true),
            };
            assert_eq!(got, want, "{}", r.reason());
        }
    }
}
