//! From request headers to verified claims: find the token, run the decode
//! pipeline, then ask the revocation store (last, and only for a token whose
//! signature and claims passed).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::HeaderMap;

use super::TokenSource;
use super::cache::{Admission, Lookup, VerifiedCache};
use crate::config::Shared;
use crate::cookie::token_cookie;
use crate::header::bearer_token;
use crate::rejection::Rejection;
use crate::revocation::{AccessCheck, RevocationStore, StoreError, TokenStatus};
use crate::token::decode::{self, CompactToken};
use crate::token::{Claims, CustomClaims, TokenKind};

/// The asynchronous rest of an authorization: the store check, and before it
/// a key refresh when the `kid` was unknown.
pub(crate) type Authorization<C> =
    Pin<Box<dyn Future<Output = Result<Arc<Claims<C>>, Rejection>> + Send>>;

/// Finds the presented token and where it was: `Authorization: Bearer` first
/// when enabled, else the access cookie.
pub(crate) fn find_token<'a, S>(
    shared: &Shared<S>,
    headers: &'a HeaderMap,
) -> Result<(&'a [u8], TokenSource), Rejection> {
    if shared.bearer
        && let Some(token) = bearer_token(headers)?
    {
        return Ok((token, TokenSource::Bearer));
    }
    token_cookie(headers, shared.access_cookie.name(), shared.duplicates)
        .map(|token| (token, TokenSource::Cookie))
}

/// How far [`authorize`] got without waiting.
pub(crate) enum Authorized<C> {
    /// Every check passed, the store's included.
    Now(Arc<Claims<C>>),
    /// The store (or a key refresh) must be waited for.
    Pending(Authorization<C>),
}

/// Verifies `token` synchronously as far as possible; what is left (store
/// check, maybe a key refresh) comes back as a future. With a `cache`, a
/// token verified before skips the signature and claim parsing (its time
/// claims and the store are still checked), and a token that passes every
/// check is recorded.
pub(crate) fn authorize<C: CustomClaims, S: RevocationStore>(
    shared: &Arc<Shared<S>>,
    cache: Option<&Arc<VerifiedCache<C>>>,
    token: &[u8],
) -> Result<Authorized<C>, Rejection> {
    let now = shared.clock.now();
    let mut admission = cache.and_then(|cache| cache.admission(&*shared.keys, token));
    // A cache that takes every algorithm, or has taken any token, is asked
    // before the token is even split (only its length is checked first,
    // which bounds the hashing): entries are keyed by the whole token, so a
    // hit has the very bytes, header included, that passed every check.
    // Otherwise the header's `alg` decides first whether the token is
    // looked up at all.
    let early = admission.as_ref().is_some_and(Admission::ask_before_header);
    if early
        && token.len() <= shared.policy.max_token_len
        && let Some(answer) = cached(shared, admission.as_ref(), now)
    {
        return answer;
    }
    let compact = CompactToken::split(token, shared.policy.max_token_len)?;
    let mut buffer = decode::HeaderBuffer::new();
    let header = decode::read_header(&compact, &mut buffer)?;
    admission = admission.filter(|admission| admission.admits(header.alg()));
    if !early && let Some(answer) = cached(shared, admission.as_ref(), now) {
        return answer;
    }
    let verified = decode::verify_with_provider(
        &compact,
        &header,
        &*shared.keys,
        TokenKind::Access,
        &shared.policy,
        now,
    );
    let claims = match verified {
        // Shared from here on: with the request, and with the cache.
        Some(claims) => Arc::new(claims?),
        None => {
            let refresh = shared
                .keys
                .refresh_for_unknown_kid(header.kid())
                .ok_or(Rejection::UnknownKey)?;
            let shared = Arc::clone(shared);
            let token = token.to_vec();
            return Ok(Authorized::Pending(Box::pin(async move {
                refresh.await;
                let now = shared.clock.now();
                let claims = decode::verify(
                    &token,
                    TokenKind::Access,
                    &*shared.keys,
                    &shared.policy,
                    now,
                )?;
                check_revocation(&shared, Arc::new(claims), now).await
            })));
        }
    };
    ask_store(shared, claims, now, admission)
}

/// The cache's answer for the token `admission` is about: a hit (then the
/// store is asked), a refusal, or `None` to verify it from scratch.
fn cached<C: CustomClaims, S: RevocationStore>(
    shared: &Arc<Shared<S>>,
    admission: Option<&Admission<'_, C>>,
    now: i64,
) -> Option<Result<Authorized<C>, Rejection>> {
    match admission?.lookup(&shared.policy, now) {
        Lookup::Hit(claims) => Some(ask_store(shared, claims, now, None)),
        Lookup::Refused(rejection) => Some(Err(rejection)),
        Lookup::Miss => None,
    }
}

/// The last check, the store's; then the token enters the cache (when it
/// came with an admission, that is, it was not a hit already).
fn ask_store<C: CustomClaims, S: RevocationStore>(
    shared: &Arc<Shared<S>>,
    claims: Arc<Claims<C>>,
    now: i64,
    admission: Option<Admission<'_, C>>,
) -> Result<Authorized<C>, Rejection> {
    if let Some(answer) = shared.store.check_now(access_check(shared, &claims, now)) {
        revocation_verdict(answer)?;
        if let Some(admission) = admission {
            admission.record(&claims, now);
        }
        return Ok(Authorized::Now(claims));
    }
    let shared = Arc::clone(shared);
    let admission = admission.map(Admission::into_owned);
    Ok(Authorized::Pending(Box::pin(async move {
        let claims = check_revocation(&shared, claims, now).await?;
        if let Some(admission) = admission {
            admission.record(&claims, now);
        }
        Ok(claims)
    })))
}

/// The store is asked as of the instant the verifier judged `exp` at
/// ([`ValidationPolicy::expiry_instant`](crate::token::ValidationPolicy::expiry_instant)):
/// a revocation held until a token's `exp` (or a session's absolute expiry)
/// then holds for as long as the verifier would accept the token, leeway
/// included.
fn access_check<'a, C, S>(shared: &Shared<S>, claims: &'a Claims<C>, now: i64) -> AccessCheck<'a> {
    let r = &claims.registered;
    AccessCheck {
        jti: r.jti.as_deref().unwrap_or_default(),
        sid: r.sid.as_deref().unwrap_or_default(),
        sub: r.sub.as_deref().unwrap_or_default(),
        issued_at: r.iat.unwrap_or(i64::MIN),
        now: shared.policy.expiry_instant(now),
    }
}

async fn check_revocation<C, S: RevocationStore>(
    shared: &Shared<S>,
    claims: Arc<Claims<C>>,
    now: i64,
) -> Result<Arc<Claims<C>>, Rejection> {
    let answer = shared.store.check(access_check(shared, &claims, now)).await;
    revocation_verdict(answer).map(|()| claims)
}

/// Revoked tokens are refused; a store that cannot answer refuses too (fail closed).
fn revocation_verdict(answer: Result<TokenStatus, StoreError>) -> Result<(), Rejection> {
    match answer {
        Ok(TokenStatus::Active) => Ok(()),
        Ok(TokenStatus::Revoked) => Err(Rejection::Revoked),
        Err(error) => Err(error.fail_closed()),
    }
}
