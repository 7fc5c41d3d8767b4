//! Ending sessions outside a request: [`CookieAuth::sessions`].
//!
//! A password change, an admin console or a fraud signal must end sessions
//! of a user who is not the one making the request. The handle writes the
//! same revocations as logout and logout-everywhere, with the same retention
//! (until the longest a token of the session can live), so the verifier
//! refuses the ended sessions' access tokens on their very next request, and
//! the refresh endpoint refuses their refresh tokens, on every instance
//! sharing the store.
//!
//! ```
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[3; 32])?);
//! let auth = CookieAuth::builder(keys, MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! // The user changed their password: every session of theirs ends.
//! auth.sessions().end_all("alice").await?;
//! // An admin ended one session, named by its subject and `sid` claim.
//! auth.sessions().end("alice", "0b6d3c1e-session-id").await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::fmt;

use crate::config::CookieAuth;
use crate::revocation::{RevocationStore, SessionRevocation, StoreError};

/// Ends sessions from outside a request; from [`CookieAuth::sessions`].
/// Cheap to clone and `'static`, so a background task can keep one.
#[must_use = "a SessionControl does nothing until `end` or `end_all` is awaited"]
pub struct SessionControl<S> {
    auth: CookieAuth<S>,
}

impl<S: RevocationStore> CookieAuth<S> {
    /// A handle that ends one session (by its subject and `sid`) or every
    /// session of a subject, outside any request (password change, admin
    /// console, fraud signal).
    pub fn sessions(&self) -> SessionControl<S> {
        SessionControl { auth: self.clone() }
    }
}

impl<S: RevocationStore> SessionControl<S> {
    /// Ends one session of subject `sub` (its `sid` claim): its access
    /// tokens are refused from the next request on and its refresh token no
    /// longer refreshes. The subject is part of the name because a store may
    /// file a session under its subject (`RedisStore` does). Ending an
    /// unknown or already ended session is not an error.
    pub async fn end(&self, sub: &str, sid: &str) -> Result<(), StoreError> {
        let shared = &self.auth.shared;
        let now = shared.clock.now();
        let expires_at = shared.sessions.revocation_until(now);
        let session = SessionRevocation {
            sub,
            sid,
            expires_at,
        };
        shared.store.revoke_session(session).await
    }

    /// Ends every session of subject `sub` started before this call, as
    /// logout-everywhere does; a login after it starts a working session.
    pub async fn end_all(&self, sub: &str) -> Result<(), StoreError> {
        let shared = &self.auth.shared;
        let now = shared.clock.now();
        let until = shared.sessions.revocation_until(now);
        shared.store.revoke_subject(sub, now, until).await
    }
}

impl<S> Clone for SessionControl<S> {
    fn clone(&self) -> Self {
        Self {
            auth: self.auth.clone(),
        }
    }
}

impl<S> fmt::Debug for SessionControl<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionControl").finish_non_exhaustive()
    }
}
