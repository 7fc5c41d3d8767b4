use crate::token::{Claims, NoCustomClaims, RegisteredClaims};

/// The claims of an access token that passed every check: signature, claims
/// and revocation. Put in the request extensions by
/// [`JwtCookieVerifier`](super::JwtCookieVerifier); only this crate creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaims<C = NoCustomClaims> {
    claims: Claims<C>,
}

impl<C> VerifiedClaims<C> {
    pub(crate) fn new(claims: Claims<C>) -> Self {
        Self { claims }
    }

    /// The user id (`sub`); empty if the policy allowed tokens without one.
    pub fn subject(&self) -> &str {
        self.claims.registered.sub.as_deref().unwrap_or_default()
    }

    /// The session id (`sid`); empty if the policy allowed tokens without one.
    pub fn session_id(&self) -> &str {
        self.claims.registered.sid.as_deref().unwrap_or_default()
    }

    /// The token id (`jti`); empty if the policy allowed tokens without one.
    pub fn token_id(&self) -> &str {
        self.claims.registered.jti.as_deref().unwrap_or_default()
    }

    /// Expiry (`exp`), seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.claims.registered.exp.unwrap_or_default()
    }

    /// All registered claims.
    pub fn registered(&self) -> &RegisteredClaims {
        &self.claims.registered
    }

    /// The application's own claims.
    pub fn custom(&self) -> &C {
        &self.claims.custom
    }

    /// The claims, by value.
    pub fn into_claims(self) -> Claims<C> {
        self.claims
    }
}
