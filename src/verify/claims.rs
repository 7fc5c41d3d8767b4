use std::sync::Arc;

use crate::token::{Claims, NoCustomClaims, RegisteredClaims};

/// The claims of an access token that passed every check: signature, claims
/// and revocation. Put in the request extensions by
/// [`JwtCookieVerifier`](super::JwtCookieVerifier); only this crate creates one.
///
/// Cloning it (as every extractor does) shares the claims instead of copying
/// their strings: the claims of one request, behind one `Arc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaims<C = NoCustomClaims> {
    claims: Arc<Claims<C>>,
    source: TokenSource,
}

/// Where the verified access token was presented.
///
/// Browsers attach cookies to cross-site requests on their own, but never an
/// `Authorization` header, so only a cookie-borne session needs CSRF
/// protection ([`CsrfTokenCheck`](crate::csrf::CsrfTokenCheck) skips
/// `Bearer` requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenSource {
    /// The access cookie.
    Cookie,
    /// `Authorization: Bearer` (when enabled).
    Bearer,
}

impl<C> VerifiedClaims<C> {
    pub(crate) fn new(claims: Arc<Claims<C>>, source: TokenSource) -> Self {
        Self { claims, source }
    }

    /// Where the token was presented: the access cookie or `Authorization: Bearer`.
    pub fn source(&self) -> TokenSource {
        self.source
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
}

impl<C: Clone> VerifiedClaims<C> {
    /// The claims, by value (copied only if a clone of this value is still alive).
    pub fn into_claims(self) -> Claims<C> {
        Arc::unwrap_or_clone(self.claims)
    }
}
