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

    /// Whether a `typ` header value names this kind.
    pub(crate) fn matches_typ(self, typ: &str) -> bool {
        same_media_type(typ, self.typ())
    }
}

/// Media types compare case-insensitively and may carry the `application/`
/// prefix (RFC 7515 §4.1.9, RFC 8725 §3.11).
fn same_media_type(typ: &str, expected: &str) -> bool {
    let bare = typ
        .get(..12)
        .filter(|p| p.eq_ignore_ascii_case("application/"))
        .map_or(typ, |_| &typ[12..]);
    bare.eq_ignore_ascii_case(expected)
}

/// Access tokens this service did not issue, accepted on explicit choice:
/// an identity provider's tokens say `typ: JWT`, `at+jwt` or nothing, and
/// carry no `sid` (and often no `jti`).
///
/// Set with [`CookieAuthBuilder::foreign_tokens`](crate::CookieAuthBuilder::foreign_tokens).
/// Then access tokens may carry any `typ` listed here (besides `at+jwt`), or
/// none if [`accept_missing_typ`](Self::accept_missing_typ) was chosen, and
/// `sid` and `jti` become optional (require them again with
/// [`CookieAuthBuilder::require`](crate::CookieAuthBuilder::require)).
/// Everything else stays as strict: signature, `iss`, `aud`, `exp`, `sub`.
/// Refresh tokens are never foreign: they always need `typ: refresh+jwt`.
///
/// Revocation still applies where the token names what it revokes: a token
/// with a `jti` is refused once that `jti` is revoked, and every token of a
/// subject once the subject's sessions are revoked (a token without `iat`
/// counts as issued before any cut-off). A token without `sid` cannot be
/// revoked by session.
///
/// ```
/// use tower_jwt_cookie::token::ForeignTokens;
///
/// // Keycloak and Auth0 access tokens: `typ: JWT`; some providers send none.
/// let foreign = ForeignTokens::new().accept_typ("JWT").accept_missing_typ();
/// assert!(foreign.accepts(Some("jwt")));
/// assert!(foreign.accepts(None));
/// assert!(!foreign.accepts(Some("id_token+jwt")));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForeignTokens {
    types: Vec<String>,
    missing: bool,
}

impl ForeignTokens {
    /// Accepts only `at+jwt` (RFC 9068) so far, with `sid` and `jti` optional.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accept access tokens whose `typ` is `typ` (compared as a media
    /// type: case-insensitive, `application/` prefix optional).
    #[must_use]
    pub fn accept_typ(mut self, typ: impl Into<String>) -> Self {
        self.types.push(typ.into());
        self
    }

    /// Also accept access tokens without a `typ` header.
    #[must_use]
    pub fn accept_missing_typ(mut self) -> Self {
        self.missing = true;
        self
    }

    /// Whether an access token with this `typ` header (or none) is accepted.
    pub fn accepts(&self, typ: Option<&str>) -> bool {
        match typ {
            None => self.missing,
            Some(typ) => {
                TokenKind::Access.matches_typ(typ)
                    || self.types.iter().any(|t| same_media_type(typ, t))
            }
        }
    }

    /// The listed `typ` values.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// A `typ` that may not be listed: empty, or the refresh-token type
    /// (a refresh token must never pass as an access token).
    pub(crate) fn invalid_type(&self) -> Option<&str> {
        self.types
            .iter()
            .find(|t| t.is_empty() || TokenKind::Refresh.matches_typ(t))
            .map(String::as_str)
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
    pub(crate) foreign: Option<ForeignTokens>,
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
            foreign: None,
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

    /// The instant `exp` is judged at: `now` minus the leeway. Every
    /// revocation check is made as of this same instant (the verifier's and
    /// logout everywhere's), so a revocation held until a token's `exp` holds
    /// for as long as this policy still accepts the token: a store may forget
    /// an entry once its `expires_at` has passed.
    pub(crate) fn expiry_instant(&self, now: i64) -> i64 {
        now.saturating_sub(self.leeway)
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

    /// The foreign-token policy, if this verifier accepts tokens it did not issue.
    pub fn foreign_tokens(&self) -> Option<&ForeignTokens> {
        self.foreign.as_ref()
    }

    /// Whether a `kind` token may carry this `typ` header.
    pub(crate) fn accepts_typ(&self, kind: TokenKind, typ: Option<&str>) -> bool {
        match (kind, &self.foreign) {
            (TokenKind::Access, Some(foreign)) => foreign.accepts(typ),
            _ => typ.is_some_and(|t| kind.matches_typ(t)),
        }
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
