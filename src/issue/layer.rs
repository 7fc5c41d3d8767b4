use std::fmt;

use tower_layer::Layer;

use super::IssuerService;
use crate::config::CookieAuth;
use crate::error::ConfigError;
use crate::revocation::{MemoryStore, RevocationStore};

/// Turns [`Session`](super::Session) commands in responses into signed
/// tokens, store records and `Set-Cookie` headers, and answers the refresh
/// endpoint. Built by [`CookieAuth::issuer`].
#[must_use = "a layer does nothing unless it wraps a service"]
pub struct JwtCookieIssuer<S = MemoryStore> {
    auth: CookieAuth<S>,
}

impl<S: RevocationStore> CookieAuth<S> {
    /// The layer that issues sessions, serves the refresh endpoint and ends
    /// sessions. Errors when the key provider has no signing key.
    pub fn issuer(&self) -> Result<JwtCookieIssuer<S>, ConfigError> {
        if self.shared.keys.signing_key().is_none() {
            return Err(ConfigError::NoSigningKey);
        }
        Ok(JwtCookieIssuer { auth: self.clone() })
    }
}

impl<S> Clone for JwtCookieIssuer<S> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
        }
    }
}

impl<S> fmt::Debug for JwtCookieIssuer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtCookieIssuer")
            .field("auth", &self.auth)
            .finish()
    }
}

impl<I, S> Layer<I> for JwtCookieIssuer<S> {
    type Service = IssuerService<I, S>;

    fn layer(&self, inner: I) -> Self::Service {
        IssuerService {
            inner,
            auth: self.auth.clone(),
        }
    }
}
