/// The `typ` header of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// The `typ` header of refresh tokens; never accepted as an access token.
pub const REFRESH_TOKEN_TYPE: &str = "refresh+jwt";

/// The largest leeway a policy accepts, in seconds.
pub const MAX_LEEWAY_SECS: i64 = 60;

/// Which kind of token is being verified. Access and refresh tokens have
/// different `typ` headers and audiences, so neither passes as the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A short-lived access token, sent with every request.
    Access,
    /// A refresh token, sent only to the refresh and logout routes.
    Refresh,
}

impl TokenKind {
    /// The `typ` header this kind of token carries.
    pub fn typ(self) -> &'static str {
        match self {
            Self::Access => ACCESS_TOKEN_TYPE,
            Self::Refresh => REFRESH_TOKEN_TYPE,
        }
    }

    /// Whether a `typ` header value names this kind; media types compare
    /// case-insensitively and may carry the `application/` prefix (RFC 8725 §3.11).
    pub(crate) fn matches_typ(self, typ: &str) -> bool {
        let bare = typ
            .get(..12)
            .filter(|p| p.eq_ignore_ascii_case("application/"))
            .map_or(typ, |_| &typ[12..]);
        bare.eq_ignore_ascii_case(self.typ())
    }
}

/// Registered claims that may be required to be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequiredClaim {
    /// `exp`.
    Exp,
    /// `nbf`.
    Nbf,
    /// `iat`.
    Iat,
    /// `sub`.
    Sub,
    /// `jti`.
    Jti,
    /// `sid`.
    Sid,
}

impl RequiredClaim {
    pub(crate) fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// How tokens are validated after their signature checks out.
///
/// Built by [`CookieAuth`](crate::CookieAuth)'s builder, which enforces the
/// bounds (leeway at most 60 s, issuer and audience non-empty).
#[derive(Clone, Debug)]
pub struct ValidationPolicy {
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) refresh_audience: String,
    pub(crate) leeway: i64,
    pub(crate) max_age: Option<i64>,
    pub(crate) required: u32,
    pub(crate) max_token_len: usize,
}

impl ValidationPolicy {
    pub(crate) fn new(issuer: String, audience: String) -> Self {
        let refresh_audience = format!("{audience}#refresh");
        Self {
            issuer,
            audience,
            refresh_audience,
            leeway: 0,
            max_age: None,
            required: [
                RequiredClaim::Exp,
                RequiredClaim::Iat,
                RequiredClaim::Sub,
                RequiredClaim::Jti,
                RequiredClaim::Sid,
            ]
            .iter()
            .fold(0, |bits, c| bits | c.bit()),
            max_token_len: crate::defaults::MAX_TOKEN_LEN,
        }
    }

    /// The only accepted `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience access tokens must name.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The audience refresh tokens must name (`<audience>#refresh`).
    pub fn refresh_audience(&self) -> &str {
        &self.refresh_audience
    }

    /// Clock-skew allowance in seconds for `exp`, `nbf` and `iat`.
    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// Refuse tokens whose `iat` is older than this many seconds, if set.
    pub fn max_age(&self) -> Option<i64> {
        self.max_age
    }

    /// Longest accepted token in bytes.
    pub fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// Whether `claim` must be present.
    pub fn requires(&self, claim: RequiredClaim) -> bool {
        self.required & claim.bit() != 0
    }

    pub(crate) fn audience_for(&self, kind: TokenKind) -> &str {
        match kind {
            TokenKind::Access => &self.audience,
            TokenKind::Refresh => &self.refresh_audience,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_matches_media_type_forms_only_for_its_kind() {
        assert!(TokenKind::Access.matches_typ("at+jwt"));
        assert!(TokenKind::Access.matches_typ("AT+JWT"));
        assert!(TokenKind::Access.matches_typ("application/at+jwt"));
        assert!(!TokenKind::Access.matches_typ("JWT"));
        assert!(!TokenKind::Access.matches_typ("refresh+jwt"));
        assert!(!TokenKind::Refresh.matches_typ("at+jwt"));
        assert!(!TokenKind::Access.matches_typ("application/"));
    }
}
