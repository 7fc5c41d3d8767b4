//! Ending sessions: which sessions a logout request proves it holds, and
//! revoking them (logout) or every session of their subject (logout
//! everywhere).

use http::HeaderMap;
use http::HeaderValue;

use super::candidates::candidates;
use super::mint::{clear_cookies, read_refresh};
use crate::config::Shared;
use crate::header::bearer_token;
use crate::rejection::Rejection;
use crate::revocation::{AccessCheck, RevocationStore, SessionRevocation, StoreError, TokenStatus};
use crate::token::{self, NoCustomClaims, TokenKind, ValidationPolicy};

/// A session a logout request names with a token of ours.
struct Named {
    sub: String,
    sid: String,
    jti: String,
    iat: i64,
    /// If the token is unexpired by the policy of its kind, the instant that
    /// policy judged its `exp` at, which the store is asked as of (as the
    /// verifier asks it): only a live credential may end every session of
    /// its subject, and a token revoked until its `exp` is not one during
    /// the leeway either.
    live_as_of: Option<i64>,
}

/// Every session the request names with a token of ours: the Bearer token
/// (when the verifier accepts Bearer: a gRPC or API client logs out with the
/// token it calls with), each value of the access cookie, then each value of
/// the refresh cookie ([`candidates`]: junk is skipped, too many well-formed
/// values refuse the logout). Each token's signature, `typ`, issuer and
/// audience are verified; its times only as far as the absolute session
/// lifetime (the identification leeway), so an expired token still names the
/// session to revoke, but no token of a long-gone session does. Revoking a
/// session whose token the request holds only ever ends that session.
fn named_sessions<S>(
    shared: &Shared<S>,
    headers: &HeaderMap,
    now: i64,
) -> Result<Vec<Named>, Rejection> {
    let bearer = if shared.bearer {
        bearer_token(headers)?
    } else {
        None
    };
    let max_len = shared.policy.max_token_len;
    let access_cookies = candidates(headers, shared.access_cookie.name(), max_len)?.tokens;
    let refresh_cookies = candidates(headers, shared.sessions.refresh_cookie.name(), max_len)?;
    let access = bearer
        .into_iter()
        .chain(access_cookies)
        .filter_map(|token| {
            let verify = |policy| {
                token::verify::<NoCustomClaims>(
                    token,
                    TokenKind::Access,
                    &*shared.keys,
                    policy,
                    now,
                )
            };
            let r = verify(&shared.identify_policy).ok()?.registered;
            Some(Named {
                sub: r.sub?,
                sid: r.sid?,
                jti: r.jti?,
                iat: r.iat.unwrap_or(i64::MIN),
                live_as_of: live_as_of(verify(&shared.policy), &shared.policy, now),
            })
        });
    let refresh = refresh_cookies.tokens.into_iter().filter_map(|token| {
        let claims = read_refresh(shared, &shared.identify_policy, token, now).ok()?;
        let live = read_refresh(shared, &shared.refresh_policy, token, now);
        let live_as_of = live_as_of(live, &shared.refresh_policy, now);
        Some(Named {
            sub: claims.sub,
            sid: claims.sid,
            jti: claims.jti,
            // A refresh token's `iat` is its last rotation; `exp` bounds it.
            iat: claims.iat,
            live_as_of,
        })
    });
    let mut found: Vec<Named> = Vec::new();
    for named in access.chain(refresh) {
        // A foreign token may lack `sid` or `jti` (or `sub`, where allowed),
        // and the verifier checks it as if the id were `""`: revoking an
        // empty id would reach every token without one. A token whose id is
        // empty names nothing to revoke, like one without it.
        if named.sub.is_empty() || named.sid.is_empty() || named.jti.is_empty() {
            continue;
        }
        if !found.iter().any(|f| f.jti == named.jti) {
            found.push(named);
        }
    }
    Ok(found)
}

/// When `verified` (a token's verification under `policy`) passed, the
/// instant the store is asked about the token as of: the one `policy` judged
/// its `exp` at. `None` when it failed: an expired token is no live
/// credential.
fn live_as_of<T>(
    verified: Result<T, Rejection>,
    policy: &ValidationPolicy,
    now: i64,
) -> Option<i64> {
    verified.ok().map(|_| policy.expiry_instant(now))
}

/// Revokes every session the request names (or, `everywhere`, every session
/// of each subject a live credential names), then clears the cookies.
///
/// * Logout without a valid session has nothing to revoke: the cookies are
///   cleared all the same.
/// * Logout everywhere is account-wide, so it needs a live credential: an
///   unexpired token the store does not consider revoked, asked as of the
///   instant the verifier would ask it (so a token the verifier refuses as
///   revoked during its leeway is no live credential either). A request that
///   holds only expired or revoked tokens is refused (401 `expired` or
///   `revoked`, nothing revoked, cookies kept), and so is one with none.
/// * If the store fails, the cookies are kept so that the user can retry.
pub(crate) async fn end<S: RevocationStore>(
    shared: &Shared<S>,
    headers: &HeaderMap,
    now: i64,
    everywhere: bool,
) -> Result<Vec<HeaderValue>, Rejection> {
    let until = shared.sessions.revocation_until(now);
    let named = named_sessions(shared, headers, now)?;
    if !everywhere {
        let mut revoked: Vec<&str> = Vec::new();
        for session in &named {
            if revoked.contains(&session.sid.as_str()) {
                continue;
            }
            revoked.push(&session.sid);
            shared
                .store
                .revoke_session(SessionRevocation {
                    sub: &session.sub,
                    sid: &session.sid,
                    expires_at: until,
                })
                .await
                .map_err(StoreError::fail_closed)?;
        }
        return Ok(clear_cookies(shared));
    }
    let mut subjects: Vec<&str> = Vec::new();
    let mut refusal = Rejection::MissingToken;
    for session in &named {
        if subjects.contains(&session.sub.as_str()) {
            continue;
        }
        let Some(as_of) = session.live_as_of else {
            refusal = Rejection::Expired;
            continue;
        };
        let check = AccessCheck {
            jti: &session.jti,
            sid: &session.sid,
            sub: &session.sub,
            issued_at: session.iat,
            now: as_of,
        };
        match shared.store.check(check).await {
            Ok(TokenStatus::Active) => subjects.push(&session.sub),
            Ok(TokenStatus::Revoked) => refusal = Rejection::Revoked,
            Err(error) => return Err(error.fail_closed()),
        }
    }
    if subjects.is_empty() {
        return Err(refusal);
    }
    for sub in subjects {
        shared
            .store
            .revoke_subject(sub, now, until)
            .await
            .map_err(StoreError::fail_closed)?;
    }
    Ok(clear_cookies(shared))
}
