//! Carrying out a session command once the inner service has answered.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, Uri};
use serde_json::{Map, Value};

use super::command::Command;
use super::end::end;
use super::mint::{PairSpec, mint_pair, random_id, set_cookies};
use crate::config::Shared;
use crate::header::{Single, single};
use crate::rejection::{Rejection, RequestInfo, rejection_response_for};
use crate::revocation::{RevocationStore, SessionStart, StoreError};

/// What a command's asynchronous part ends with.
pub(crate) enum Finish {
    /// Append these `Set-Cookie` values to the inner response.
    Cookies(Vec<HeaderValue>),
    /// Replace the inner response with this one (a failure: fail closed).
    Replace(Response<Bytes>),
}

pub(crate) type Task = Pin<Box<dyn Future<Output = Finish> + Send>>;

/// Every line of one request header (`Cookie`, `Authorization`): cloning a
/// `HeaderValue` shares its bytes, so keeping them costs no allocation in
/// the common one-line case. All lines are kept, so that what reads them
/// later sees exactly what the request carried (a repeated `Authorization`
/// is refused there, not dropped here).
enum HeaderLines {
    None,
    One(HeaderValue),
    Many(Vec<HeaderValue>),
}

impl HeaderLines {
    fn of(headers: &HeaderMap, name: &HeaderName) -> Self {
        match single(headers, name) {
            Single::Absent => Self::None,
            Single::One(one) => Self::One(one.clone()),
            Single::Many => Self::Many(headers.get_all(name).iter().cloned().collect()),
        }
    }

    fn append_to(&self, headers: &mut HeaderMap, name: &HeaderName) {
        match self {
            Self::None => {}
            Self::One(line) => {
                headers.append(name, line.clone());
            }
            Self::Many(lines) => {
                for line in lines {
                    headers.append(name, line.clone());
                }
            }
        }
    }
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
    cookies: HeaderLines,
    /// `Authorization`, when the verifier accepts Bearer tokens: a Bearer
    /// client ends its session with the token it calls with.
    authorization: HeaderLines,
}

impl SavedRequest {
    pub(crate) fn new<B>(request: &Request<B>, bearer: bool) -> Self {
        let headers = request.headers();
        Self {
            method: request.method().clone(),
            uri: request.uri().clone(),
            kept: KEPT.map(|name| headers.get(name).cloned()),
            cookies: HeaderLines::of(headers, &COOKIE),
            // Every line: more than one is ambiguous, and logout refuses it
            // as the verifier does (`bearer_token`), rather than ignoring
            // the token and answering as if the request had none.
            authorization: if bearer {
                HeaderLines::of(headers, &AUTHORIZATION)
            } else {
                HeaderLines::None
            },
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in KEPT.iter().zip(&self.kept) {
            if let Some(value) = value {
                headers.insert(name, value.clone());
            }
        }
        self.authorization.append_to(&mut headers, &AUTHORIZATION);
        self.cookies.append_to(&mut headers, &COOKIE);
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
