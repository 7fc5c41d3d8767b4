//! The refresh endpoint, answered by the issuer itself: verify the refresh
//! cookie, rotate it atomically in the store, issue a new pair.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::mint::{PairSpec, clear_cookies, mint_pair, random_id, read_refresh, set_cookies};
use super::run::store_failed;
use crate::config::Shared;
use crate::cookie::{CookieLookup, find_cookie};
use crate::rejection::{Rejection, RequestInfo, rejection_response_for};
use crate::revocation::{RevocationStore, RotateOutcome, Rotation};

pub(crate) type Answer = Pin<Box<dyn Future<Output = Response<Bytes>> + Send>>;

/// A refusal, and whether the token cookies should be cleared with it (the
/// session is over: reuse, revoked, expired). Bad input never clears them and
/// never touches the family.
struct Refused(Rejection, bool);

impl From<Rejection> for Refused {
    fn from(rejection: Rejection) -> Self {
        Self(rejection, false)
    }
}

/// Answers `POST <refresh path>`.
pub(crate) fn refresh<S: RevocationStore>(shared: Arc<Shared<S>>, parts: Parts) -> Answer {
    Box::pin(async move {
        let now = shared.clock.now();
        match rotate(&shared, &parts.headers, now).await {
            Ok(response) => response,
            Err(Refused(rejection, clear)) => {
                let info = RequestInfo::new(&parts.method, &parts.uri, &parts.headers);
                let mut response = rejection_response_for(&*shared.responder, rejection, &info);
                if clear {
                    for cookie in clear_cookies(&shared) {
                        response.headers_mut().append(SET_COOKIE, cookie);
                    }
                }
                response
            }
        }
    })
}

/// `405 Method Not Allowed` for anything but `POST` on the refresh path.
pub(crate) fn method_not_allowed() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
}

async fn rotate<S: RevocationStore>(
    shared: &Shared<S>,
    headers: &HeaderMap,
    now: i64,
) -> Result<Response<Bytes>, Refused> {
    let s = &shared.sessions;
    let token = match find_cookie(headers, s.refresh_cookie.name(), shared.duplicates) {
        CookieLookup::Found([]) | CookieLookup::Missing => {
            return Err(Rejection::MissingToken.into());
        }
        CookieLookup::Found(token) => token,
        CookieLookup::Duplicate => return Err(Rejection::DuplicateCookie.into()),
    };
    // Only a token whose signature verified can be "expired": safe to clear.
    let claims =
        read_refresh(shared, &shared.policy, token, now).map_err(|rejection| match rejection {
            Rejection::Expired => Refused(Rejection::SessionExpired, true),
            other => Refused(other, false),
        })?;

    // Sign the next pair before touching the store: if signing fails, the
    // family is unchanged.
    let next_jti = random_id()?;
    let spec = |refresh_jti, idle_expires_at| PairSpec {
        sub: &claims.sub,
        sid: &claims.sid,
        refresh_jti,
        auth_time: claims.auth_time,
        idle_expires_at,
        custom: &claims.custom,
    };
    let pair = mint_pair(shared, &spec(&next_jti, None), now)?;
    let rotation = Rotation {
        sid: &claims.sid,
        presented_jti: &claims.jti,
        next_jti: &next_jti,
        now,
        grace_secs: s.grace,
        idle_expires_at: pair.refresh_exp,
    };
    let outcome = shared.store.rotate(rotation).await.map_err(store_failed)?;
    let pair = match outcome {
        RotateOutcome::Rotated => pair,
        // Another tab rotated first: converge onto the family's current token.
        // Its refresh token ends with the session's current idle expiry.
        RotateOutcome::WithinGrace {
            current_jti,
            idle_expires_at,
        } => mint_pair(shared, &spec(&current_jti, Some(idle_expires_at)), now)?,
        RotateOutcome::Reused => {
            tracing::warn!(
                sub = claims.sub.as_str(),
                sid = claims.sid.as_str(),
                "refresh token reused; session revoked"
            );
            return Err(Refused(Rejection::RefreshReused, true));
        }
        RotateOutcome::Unknown => {
            let rejection = if claims.exp <= now {
                Rejection::SessionExpired
            } else {
                Rejection::Revoked
            };
            return Err(Refused(rejection, true));
        }
    };
    let cookies = set_cookies(shared, &pair, now)?;
    let body = serde_json::json!({
        "access_expires_at": pair.access_exp,
        "refresh_expires_at": pair.refresh_exp,
        "session_expires_at": pair.absolute_exp,
    });
    let mut response = Response::new(Bytes::from(body.to_string()));
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for cookie in cookies {
        h.append(SET_COOKIE, cookie);
    }
    Ok(response)
}
