//! Carrying out a session command once the inner service has answered.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, COOKIE, ORIGIN};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, Uri};
use serde_json::{Map, Value};

use super::command::Command;
use super::mint::{PairSpec, clear_cookies, current_sessions, mint_pair, random_id, set_cookies};
use crate::config::Shared;
use crate::header::{Single, single};
use crate::rejection::{Rejection, RequestInfo, rejection_response_for};
use crate::revocation::{RevocationStore, SessionRevocation, SessionStart, StoreError};

/// What a command's asynchronous part ends with.
pub(crate) enum Finish {
    /// Append these `Set-Cookie` values to the inner response.
    Cookies(Vec<HeaderValue>),
    /// Replace the inner response with this one (a failure: fail closed).
    Replace(Response<Bytes>),
}

pub(crate) type Task = Pin<Box<dyn Future<Output = Finish> + Send>>;

/// The `Cookie` lines of a request: cloning a `HeaderValue` shares its bytes,
/// so keeping them costs no allocation in the common one-line case.
enum CookieLines {
    None,
    One(HeaderValue),
    Many(Vec<HeaderValue>),
}

/// The headers a responder reasonably looks at (content negotiation, gRPC
/// detection, the caller's origin), kept besides the cookies.
const KEPT: [HeaderName; 3] = [ACCEPT, CONTENT_TYPE, ORIGIN];

/// What the issuer keeps of a request while the inner service runs: enough
/// to read the current session and to build a rejection response. Every
/// request passes through the issuer, so it keeps a few shared header
/// values (no map, no copy of the bytes) rather than the whole `HeaderMap`.
pub(crate) struct SavedRequest {
    method: Method,
    uri: Uri,
    kept: [Option<HeaderValue>; 3],
    cookies: CookieLines,
}

impl SavedRequest {
    pub(crate) fn new<B>(request: &Request<B>) -> Self {
        let headers = request.headers();
        let cookies = match single(headers, COOKIE) {
            Single::Absent => CookieLines::None,
            Single::One(one) => CookieLines::One(one.clone()),
            Single::Many => CookieLines::Many(headers.get_all(COOKIE).iter().cloned().collect()),
        };
        Self {
            method: request.method().clone(),
            uri: request.uri().clone(),
            kept: KEPT.map(|name| headers.get(name).cloned()),
            cookies,
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in KEPT.iter().zip(&self.kept) {
            if let Some(value) = value {
                headers.insert(name, value.clone());
            }
        }
        match &self.cookies {
            CookieLines::None => {}
            CookieLines::One(line) => {
                headers.append(COOKIE, line.clone());
            }
            CookieLines::Many(lines) => {
                for line in lines {
                    headers.append(COOKIE, line.clone());
                }
            }
        }
        headers
    }
}

/// Starts the asynchronous part of `command`.
pub(crate) fn run<S: RevocationStore>(
    shared: Arc<Shared<S>>,
    saved: SavedRequest,
    command: Command,
) -> Task {
    Box::pin(async move {
        let now = shared.clock.now();
        let headers = saved.headers();
        let result = match command {
            Command::Issue { subject, claims } => issue(&shared, &subject, claims, now).await,
            Command::End => end(&shared, &headers, now, false).await,
            Command::EndAll => end(&shared, &headers, now, true).await,
        };
        match result {
            Ok(cookies) => Finish::Cookies(cookies),
            Err(rejection) => {
                let info = RequestInfo::new(&saved.method, &saved.uri, &headers);
                Finish::Replace(rejection_response_for(&*shared.responder, rejection, &info))
            }
        }
    })
}

/// Signs the pair, then records the session; cookies are only set for a
/// session the store acknowledged.
async fn issue<S: RevocationStore>(
    shared: &Shared<S>,
    subject: &str,
    claims: Result<Map<String, Value>, &'static str>,
    now: i64,
) -> Result<Vec<HeaderValue>, Rejection> {
    let custom = claims.map_err(Rejection::IssueFailed)?;
    if subject.is_empty() {
        return Err(Rejection::IssueFailed("the subject is empty"));
    }
    let sid = random_id()?;
    let refresh_jti = random_id()?;
    let spec = PairSpec {
        sub: subject,
        sid: &sid,
        refresh_jti: &refresh_jti,
        auth_time: now,
        idle_expires_at: None,
        custom: &custom,
    };
    let pair = mint_pair(shared, &spec, now)?;
    let cookies = set_cookies(shared, &pair, now)?;
    let start = SessionStart {
        sid: &sid,
        sub: subject,
        refresh_jti: &refresh_jti,
        now,
        idle_expires_at: pair.refresh_exp,
        absolute_expires_at: pair.absolute_exp,
    };
    shared
        .store
        .start_session(start)
        .await
        .map_err(StoreError::fail_closed)?;
    Ok(cookies)
}

/// Revokes every session the request's cookies name (or every session of
/// each subject they name), then clears the cookies. Without a valid session
/// there is nothing to revoke: the cookies are cleared all the same. If the
/// store fails, the cookies are kept so that the user can retry the logout.
async fn end<S: RevocationStore>(
    shared: &Shared<S>,
    headers: &HeaderMap,
    now: i64,
    everywhere: bool,
) -> Result<Vec<HeaderValue>, Rejection> {
    let s = &shared.sessions;
    let until = now.saturating_add(s.access_lifetime.max(s.absolute_lifetime));
    let sessions = current_sessions(shared, headers);
    let mut subjects: Vec<&str> = Vec::new();
    for current in &sessions {
        if everywhere {
            if subjects.contains(&current.sub.as_str()) {
                continue;
            }
            subjects.push(&current.sub);
            shared.store.revoke_subject(&current.sub, now, until).await
        } else {
            let session = SessionRevocation {
                sub: &current.sub,
                sid: &current.sid,
                expires_at: until,
            };
            shared.store.revoke_session(session).await
        }
        .map_err(StoreError::fail_closed)?;
    }
    Ok(clear_cookies(shared))
}
