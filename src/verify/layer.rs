use std::fmt;
use std::marker::PhantomData;

use tower_layer::Layer;

use super::VerifierService;
use crate::config::CookieAuth;
use crate::revocation::{MemoryStore, RevocationStore};
use crate::token::{CustomClaims, NoCustomClaims};

/// Verifies the access token of every request and puts
/// [`VerifiedClaims<C>`](super::VerifiedClaims) in its extensions; refuses the
/// request otherwise, before the inner service runs.
#[must_use = "a layer does nothing unless it wraps a service"]
pub struct JwtCookieVerifier<C = NoCustomClaims, S = MemoryStore> {
    auth: CookieAuth<S>,
    optional: bool,
    _claims: PhantomData<fn() -> C>,
}

impl<S: RevocationStore> CookieAuth<S> {
    /// The layer that verifies access tokens and provides `VerifiedClaims<C>`.
    pub fn verifier<C: CustomClaims>(&self) -> JwtCookieVerifier<C, S> {
        JwtCookieVerifier {
            auth: self.clone(),
            optional: false,
            _claims: PhantomData,
        }
    }
}

impl<C, S> JwtCookieVerifier<C, S> {
    /// Optional authentication: a request with no token at all reaches the
    /// inner service without [`VerifiedClaims<C>`](super::VerifiedClaims)
    /// (anonymously); a token that is present but fails any check
    /// (malformed, bad signature, expired, revoked, a duplicate cookie) is
    /// refused exactly as without this, never downgraded to anonymous. See
    /// [`optional`](super::optional).
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

impl<C, S> Clone for JwtCookieVerifier<C, S> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
            optional: self.optional,
            _claims: PhantomData,
        }
    }
}

impl<C, S> fmt::Debug for JwtCookieVerifier<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtCookieVerifier")
            .field("auth", &self.auth)
            .field("optional", &self.optional)
            .finish()
    }
}

impl<I, C, S> Layer<I> for JwtCookieVerifier<C, S> {
    type Service = VerifierService<I, C, S>;

    fn layer(&self, inner: I) -> Self::Service {
        VerifierService {
            inner,
            auth: self.auth.clone(),
            optional: self.optional,
            _claims: PhantomData,
        }
    }
}
