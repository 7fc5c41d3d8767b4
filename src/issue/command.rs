use std::fmt;

use http::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use super::unconsumed::Armed;

/// Claim names the issuer writes itself; custom claims cannot use them.
pub(crate) const RESERVED: [&str; 9] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "auth_time",
];

/// A session command: what a handler wants [`JwtCookieIssuer`](super::JwtCookieIssuer)
/// to do once its response is ready. The handler authenticates the user any
/// way it likes, then puts one of these into the response extensions
/// ([`Session::attach`], or as a response part with the `axum` feature).
/// The issuer removes it from the response before it leaves the server.
///
/// A command attached to a response that reaches no issuer (the layer was
/// forgotten, or wraps other routes) is logged as a `tracing` error naming
/// the fix, when the response and every copy of the command are dropped.
#[derive(Clone)]
#[must_use = "a Session does nothing unless it is attached to the response"]
pub struct Session {
    command: Command,
    /// Set once the command is in a response's extensions.
    armed: Option<Armed>,
}

#[derive(Clone)]
pub(crate) enum Command {
    Issue {
        subject: String,
        claims: Result<Map<String, Value>, &'static str>,
    },
    End,
    EndAll,
}

impl Session {
    /// Starts a new session for `subject` (the user id, `sub`): signs an
    /// access token, registers a refresh family and sets both cookies.
    pub fn issue(subject: impl Into<String>) -> Self {
        Self {
            command: Command::Issue {
                subject: subject.into(),
                claims: Ok(Map::new()),
            },
            armed: None,
        }
    }

    /// The user's own claims, carried by the access token (and by the refresh
    /// token, so each refresh re-issues them). They must serialize to a JSON
    /// object and not use a registered name (`iss`, `sub`, `aud`, `exp`,
    /// `nbf`, `iat`, `jti`, `sid`, `auth_time`); otherwise the issuer answers
    /// 500 `issue_failed`. Ignored for [`end`](Self::end) and [`end_all`](Self::end_all).
    pub fn claims<C: Serialize>(mut self, claims: C) -> Self {
        if let Command::Issue { claims: slot, .. } = &mut self.command {
            *slot = match serde_json::to_value(claims) {
                Ok(Value::Object(map)) if RESERVED.iter().any(|name| map.contains_key(*name)) => {
                    Err("a custom claim uses a registered claim name")
                }
                Ok(Value::Object(map)) => Ok(map),
                Ok(Value::Null) => Ok(Map::new()),
                Ok(_) => Err("custom claims must serialize to a JSON object"),
                Err(_) => Err("custom claims could not be serialized"),
            };
        }
        self
    }

    /// Ends the current session (logout): the issuer reads it from the
    /// request's own cookies, revokes it in the store (its access and refresh
    /// tokens stop working on the very next request) and clears both cookies.
    ///
    /// Every access and refresh cookie of the request is read, each token
    /// verified (signature, `typ`, issuer, audience; an expired token still
    /// names its session), and every session they name is revoked: a refresh
    /// cookie planted from a sibling subdomain can neither hide the genuine
    /// one nor divert the logout. Put logout routes under the refresh
    /// cookie's path (default `/auth`), so the refresh cookie reaches them
    /// even after the short-lived access cookie is gone.
    pub fn end() -> Self {
        Self {
            command: Command::End,
            armed: None,
        }
    }

    /// Ends every session of the current subject (logout everywhere), then
    /// clears this browser's cookies. A login afterwards works, even in the
    /// same second. The subject is read as for [`end`](Self::end); if the
    /// cookies name several subjects, each is logged out everywhere.
    pub fn end_all() -> Self {
        Self {
            command: Command::EndAll,
            armed: None,
        }
    }

    /// Puts this command into `response`'s extensions (framework-agnostic).
    pub fn attach<B>(self, response: &mut Response<B>) {
        response.extensions_mut().insert(self.armed());
    }

    /// This command, ready to go into a response's extensions: from now on
    /// it is missed if no issuer takes it. Moving an attached command to
    /// another response keeps its one alarm.
    pub(crate) fn armed(mut self) -> Self {
        let what = match self.command {
            Command::Issue { .. } => "issue",
            Command::End => "end",
            Command::EndAll => "end_all",
        };
        self.armed.get_or_insert_with(|| Armed::new(what));
        self
    }

    /// The issuer takes the command: no copy of it is reported as missed.
    pub(crate) fn take(self) -> Command {
        if let Some(armed) = &self.armed {
            armed.disarm();
        }
        self.command
    }
}

impl fmt::Debug for Session {
    // Claims may hold personal data: show only what the command does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.command {
            Command::Issue { subject, .. } => f
                .debug_struct("Session::Issue")
                .field("subject", subject)
                .finish_non_exhaustive(),
            Command::End => f.write_str("Session::End"),
            Command::EndAll => f.write_str("Session::EndAll"),
        }
    }
}
