//! The refresh endpoint, answered by the issuer itself: verify the refresh
//! cookie, rotate it atomically in the store, issue a new pair.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::candidates::candidates;
use super::mint::{
    PairSpec, RefreshClaims, append_cookies, clear_cookies, mint_pair, random_id, read_refresh,
    set_cookies,
};
use crate::config::Shared;
use crate::rejection::{Rejection, RequestInfo, rejection_response_for};
use crate::revocation::{RevocationStore, RotateOutcome, Rotation, StoreError};

pub(crate) type Answer = Pin<Box<dyn Future<Output = Response<Bytes>> + Send>>;

/// A refusal, and whether the token cookies should be cleared with it.
///
/// They are cleared when a refresh token of ours (signature, `typ`, issuer
/// and audience verified) can never succeed again: `session_expired` (its
/// `exp` passed, or the store says the session ended), `revoked` and
/// `refresh_reused`. Everything else keeps them: bad input (`malformed`,
/// `bad_signature`, `wrong_type`, `wrong_audience`, `duplicate_cookie`, ...)
/// may be a planted cookie, and must not log the user out;
/// `not_yet_valid` / `issued_in_future` may pass once clocks agree; 503 is
/// retried. `too_old` cannot happen: refresh tokens are not checked against
/// `max_age` (the idle and absolute lifetimes bound them).
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
                    append_cookies(response.headers_mut(), clear_cookies(&shared));
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
    let claims = presented_refresh_token(shared, headers, now)?;

    // Sign the next pair and write its cookies before touching the store:
    // once the rotation commits, nothing can fail.
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
    let cookies = set_cookies(shared, &pair, now)?;
    let rotation = Rotation {
        sub: &claims.sub,
        sid: &claims.sid,
        presented_jti: &claims.jti,
        next_jti: &next_jti,
        now,
        grace_secs: s.grace,
        idle_expires_at: pair.refresh_exp,
    };
    let outcome = shared
        .store
        .rotate(rotation)
        .await
        .map_err(StoreError::fail_closed)?;
    let (pair, cookies) = match outcome {
        RotateOutcome::Rotated => (pair, cookies),
        // Another tab rotated first: converge onto the family's current token,
        // whose refresh token ends with the session's current idle expiry.
        // The store changed nothing, so failing here leaves no half-done state.
        RotateOutcome::WithinGrace {
            current_jti,
            idle_expires_at,
        } => {
            let pair = mint_pair(shared, &spec(&current_jti, Some(idle_expires_at)), now)?;
            let cookies = set_cookies(shared, &pair, now)?;
            (pair, cookies)
        }
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
    let body = serde_json::json!({
        "access_expires_at": pair.access_exp,
        "refresh_expires_at": pair.refresh_exp,
        "session_expires_at": pair.absolute_exp,
    });
    let mut response = Response::new(Bytes::from(body.to_string()));
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    append_cookies(h, cookies);
    Ok(response)
}

/// The refresh token the request presents. Every value of the refresh cookie
/// is read ([`candidates`]): the one that verifies wins, so a junk or forged
/// duplicate planted by a sibling subdomain cannot block refresh; two
/// different tokens that both verify are refused (`duplicate_cookie`), since
/// the issuer cannot tell which session the browser means, and so are more
/// well-formed values than [`candidates`] checks.
fn presented_refresh_token<S>(
    shared: &Shared<S>,
    headers: &HeaderMap,
    now: i64,
) -> Result<RefreshClaims, Refused> {
    let name = shared.sessions.refresh_cookie.name();
    let found = candidates(headers, name, shared.refresh_policy.max_token_len)?;
    let single = found.tokens.len() == 1;
    let mut chosen: Option<RefreshClaims> = None;
    let mut first_refusal = None;
    for token in found.tokens {
        match read_refresh(shared, &shared.refresh_policy, token, now) {
            Ok(claims) => match &chosen {
                Some(seen) if seen.jti != claims.jti || seen.sid != claims.sid => {
                    return Err(Rejection::DuplicateCookie.into());
                }
                Some(_) => {}
                None => chosen = Some(claims),
            },
            Err(rejection) => {
                first_refusal.get_or_insert(rejection);
            }
        }
    }
    if let Some(claims) = chosen {
        return Ok(claims);
    }
    Err(match first_refusal {
        // Only a token whose signature verified can be "expired"; and only
        // when it is the request's one token is it surely the user's own:
        // safe to clear.
        Some(Rejection::Expired) if single => Refused(Rejection::SessionExpired, true),
        Some(rejection) => Refused(rejection, false),
        None => Refused(found.junk.unwrap_or(Rejection::MissingToken), false),
    })
}
