//! Signing token pairs, writing and clearing their cookies, and reading
//! refresh tokens back.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{CACHE_CONTROL, SET_COOKIE};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use serde_json::{Map, Value};

use super::command::RESERVED;
use crate::config::Shared;
use crate::rejection::Rejection;
use crate::token::{self, Claims, RegisteredClaims, TokenKind, ValidationPolicy};

/// A fresh random identifier (128 bits, base64url) for a `jti` or `sid`.
pub(crate) fn random_id() -> Result<String, Rejection> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|_| Rejection::IssueFailed("the system random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Who a pair of tokens is for.
pub(crate) struct PairSpec<'a> {
    pub(crate) sub: &'a str,
    pub(crate) sid: &'a str,
    pub(crate) refresh_jti: &'a str,
    /// The session's start (OIDC `auth_time`): the absolute lifetime counts from it.
    pub(crate) auth_time: i64,
    /// The session's idle expiry when the store already fixed it (a grace
    /// re-mint of the current refresh token): the refresh token's `exp` is
    /// capped by it. `None`: the idle expiry moves to `now + idle lifetime`.
    pub(crate) idle_expires_at: Option<i64>,
    pub(crate) custom: &'a Map<String, Value>,
}

/// A signed access + refresh pair.
pub(crate) struct Pair {
    pub(crate) sid: String,
    pub(crate) access: String,
    pub(crate) access_exp: i64,
    pub(crate) refresh: String,
    pub(crate) refresh_exp: i64,
    /// When the session ends at the latest (absolute lifetime).
    pub(crate) absolute_exp: i64,
}

/// Signs an access token (`at+jwt`, new `jti`) and a refresh token
/// (`refresh+jwt`, audience `<audience>#refresh`, `jti` = `refresh_jti`). No
/// token outlives the session's absolute lifetime.
pub(crate) fn mint_pair<S>(
    shared: &Shared<S>,
    spec: &PairSpec<'_>,
    now: i64,
) -> Result<Pair, Rejection> {
    let settings = &shared.sessions;
    let key = shared.keys.signing_key().ok_or(Rejection::IssueFailed(
        "the key provider has no signing key",
    ))?;
    let absolute_exp = spec.auth_time.saturating_add(settings.absolute_lifetime);
    let access_exp = now
        .saturating_add(settings.access_lifetime)
        .min(absolute_exp);
    let refresh_exp = now
        .saturating_add(settings.idle_lifetime)
        .min(absolute_exp)
        .min(spec.idle_expires_at.unwrap_or(i64::MAX));
    let mut custom = spec.custom.clone();
    custom.insert("auth_time".to_owned(), Value::from(spec.auth_time));
    let registered = |audience: &str, exp: i64, jti: String| RegisteredClaims {
        iss: Some(shared.policy.issuer.clone()),
        sub: Some(spec.sub.to_owned()),
        aud: vec![audience.to_owned()],
        exp: Some(exp),
        nbf: None,
        iat: Some(now),
        jti: Some(jti),
        sid: Some(spec.sid.to_owned()),
    };
    let failed = |_| Rejection::IssueFailed("signing a token failed");
    let mut claims = Claims {
        registered: registered(&shared.policy.audience, access_exp, random_id()?),
        custom,
    };
    let access = token::encode(&key, TokenKind::Access, &claims).map_err(failed)?;
    claims.registered = registered(
        &shared.policy.refresh_audience,
        refresh_exp,
        spec.refresh_jti.to_owned(),
    );
    let refresh = token::encode(&key, TokenKind::Refresh, &claims).map_err(failed)?;
    Ok(Pair {
        sid: spec.sid.to_owned(),
        access,
        access_exp,
        refresh,
        refresh_exp,
        absolute_exp,
    })
}

/// The `Set-Cookie` values for `pair` (and, when enabled, the double-submit
/// CSRF cookie bound to its session); each Max-Age ends no later than its
/// token's `exp`.
pub(crate) fn set_cookies<S>(
    shared: &Shared<S>,
    pair: &Pair,
    now: i64,
) -> Result<Vec<HeaderValue>, Rejection> {
    let s = &shared.sessions;
    let cap = |exp: i64, configured: Option<i64>| {
        let life = exp.saturating_sub(now);
        configured.map_or(life, |c| c.min(life))
    };
    let failed = || Rejection::IssueFailed("a token is not a valid cookie value");
    let access = shared
        .access_cookie
        .set(&pair.access, cap(pair.access_exp, s.access_cookie_max_age))
        .ok_or_else(failed)?;
    let refresh_life = cap(pair.refresh_exp, s.refresh_cookie_max_age);
    let refresh = s
        .refresh_cookie
        .set(&pair.refresh, refresh_life)
        .ok_or_else(failed)?;
    let mut cookies = vec![access, refresh];
    if let Some(tokens) = &shared.csrf_tokens {
        // Lives as long as the refresh cookie: a refresh sets a new one.
        let life = Duration::from_secs(u64::try_from(refresh_life).unwrap_or(0));
        let token = tokens
            .mint(&pair.sid)
            .map_err(|_| Rejection::IssueFailed("the system random generator failed"))?;
        cookies.push(tokens.set_cookie(&token, life));
    }
    Ok(cookies)
}

/// Appends `cookies` as `Set-Cookie` lines and marks the response
/// `Cache-Control: no-store`: a response that sets or clears credentials is
/// never cached.
pub(crate) fn append_cookies(headers: &mut HeaderMap, cookies: Vec<HeaderValue>) {
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The `Set-Cookie` values that remove both token cookies (and the CSRF
/// cookie, when enabled).
pub(crate) fn clear_cookies<S>(shared: &Shared<S>) -> Vec<HeaderValue> {
    let mut cookies = vec![
        shared.access_cookie.clear(),
        shared.sessions.refresh_cookie.clear(),
    ];
    if let Some(tokens) = &shared.csrf_tokens {
        cookies.push(tokens.clear_cookie());
    }
    cookies
}

/// A verified refresh token's content.
pub(crate) struct RefreshClaims {
    pub(crate) sub: String,
    pub(crate) sid: String,
    pub(crate) jti: String,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) auth_time: i64,
    pub(crate) custom: Map<String, Value>,
}

/// Verifies a refresh token under `policy`: the full pipeline with `typ
/// refresh+jwt` and the refresh audience, then `sub`, `sid`, `jti` and
/// `auth_time`.
pub(crate) fn read_refresh<S>(
    shared: &Shared<S>,
    policy: &ValidationPolicy,
    token: &[u8],
    now: i64,
) -> Result<RefreshClaims, Rejection> {
    let claims: Claims<Map<String, Value>> =
        token::verify(token, TokenKind::Refresh, &*shared.keys, policy, now)?;
    let mut custom = claims.custom;
    let auth_time = custom
        .get("auth_time")
        .and_then(Value::as_i64)
        .ok_or(Rejection::InvalidClaim("auth_time"))?;
    for name in RESERVED {
        custom.remove(name);
    }
    let r = claims.registered;
    let (Some(sub), Some(sid), Some(jti), Some(exp)) = (r.sub, r.sid, r.jti, r.exp) else {
        return Err(Rejection::InvalidClaim("sid"));
    };
    Ok(RefreshClaims {
        sub,
        sid,
        jti,
        iat: r.iat.unwrap_or(i64::MIN),
        exp,
        auth_time,
        custom,
    })
}
