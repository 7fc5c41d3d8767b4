//! The alarm for a forgotten issuer: a [`Session`](super::Session) attached
//! to a response that no [`JwtCookieIssuer`](super::JwtCookieIssuer) takes
//! would otherwise vanish with the response, and a login would answer
//! `200 OK` without a cookie and without a word.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared by every clone of one attached command. The last clone to go
/// logs an error unless an issuer took one of them: a layer that copies
/// the response's extensions (so one copy is dropped and the other
/// consumed, in either order) raises no false alarm, and a command that is
/// built but never attached (a handler that fails after building it) is
/// not armed at all.
#[derive(Clone, Debug)]
pub(crate) struct Armed(Arc<Alarm>);

#[derive(Debug)]
struct Alarm {
    what: &'static str,
    taken: AtomicBool,
}

impl Armed {
    pub(crate) fn new(what: &'static str) -> Self {
        Self(Arc::new(Alarm {
            what,
            taken: AtomicBool::new(false),
        }))
    }

    /// An issuer took the command: no clone raises the alarm.
    pub(crate) fn disarm(&self) {
        self.0.taken.store(true, Ordering::Relaxed);
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        if !self.taken.load(Ordering::Relaxed) {
            tracing::error!(
                command = self.what,
                "a Session command was attached to a response that no JwtCookieIssuer handled, \
                 so no cookie was set or cleared and no session was started or revoked: add \
                 `.layer(auth.issuer()?)` outside the route that returns it (in axum, a \
                 `.layer(..)` call after that `.route(..)`)"
            );
        }
    }
}
