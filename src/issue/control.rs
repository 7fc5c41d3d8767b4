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

/// Why [`SessionControl`] ended nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionControlError {
    /// The subject or session id is empty. A token without `sid` (or, when
    /// allowed, without `sub`) is checked as if it had the empty one, so
    /// an empty id names no session but every such token: it is refused
    /// rather than passed to the store.
    #[error(
        "the `{0}` to end sessions by is empty: an empty id names no session, only every \
         token that lacks the claim; pass the `{0}` claim of the tokens to end"
    )]
    EmptyId(&'static str),
    /// The store could not record the revocation.
    #[error(transparent)]
    Store(#[from] StoreError),
}

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
    /// unknown or already ended session is not an error; an empty `sub` or
    /// `sid` is ([`SessionControlError::EmptyId`]).
    pub async fn end(&self, sub: &str, sid: &str) -> Result<(), SessionControlError> {
        non_empty("sub", sub)?;
        non_empty("sid", sid)?;
        let shared = &self.auth.shared;
        let now = shared.clock.now();
        let expires_at = shared.sessions.revocation_until(now);
        let session = SessionRevocation {
            sub,
            sid,
            expires_at,
        };
        Ok(shared.store.revoke_session(session).await?)
    }

    /// Ends every session of subject `sub` started before this call, as
    /// logout-everywhere does; a login after it starts a working session.
    /// An empty `sub` is refused ([`SessionControlError::EmptyId`]).
    pub async fn end_all(&self, sub: &str) -> Result<(), SessionControlError> {
        non_empty("sub", sub)?;
        let shared = &self.auth.shared;
        let now = shared.clock.now();
        let until = shared.sessions.revocation_until(now);
        Ok(shared.store.revoke_subject(sub, now, until).await?)
    }
}

fn non_empty(claim: &'static str, id: &str) -> Result<(), SessionControlError> {
    if id.is_empty() {
        return Err(SessionControlError::EmptyId(claim));
    }
    Ok(())
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
