//! Signed double-submit tokens bound to a session (OWASP "signed double-submit
//! cookie"): `base64url(random) "." base64url(tag)`, where `random` is 16
//! fresh bytes and
//! `tag = HMAC-SHA256(secret, "tower-jwt-cookie/csrf/v1\0" ‖ len(sid) as u64 big-endian ‖ sid ‖ random)`.
//! The context string keeps this MAC apart from any other use of the secret;
//! the length prefix keeps `sid` and `random` apart (no two pairs hash the
//! same bytes).
//!
//! The issuer mints one with [`CsrfTokens::mint`] when it starts a session and
//! sets it in the readable `__Host-csrf` cookie ([`CsrfTokens::set_cookie`],
//! with a `Max-Age` no longer than the session; [`CsrfTokens::clear_cookie`]
//! at logout);
//! the page copies it into the `X-CSRF-Token` header of unsafe requests;
//! [`CsrfTokenCheck`](crate::csrf::CsrfTokenCheck) requires header = cookie
//! (constant time) and a valid MAC for the session of the verified access
//! token, so a token minted for another session, or a cookie planted by a
//! sibling subdomain without the secret, fails.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::cookie::{CookieLookup, DuplicateCookies, find_cookie};
use crate::header::{Single, single};
use crate::rejection::CsrfReason;

use crate::defaults;

const RANDOM_LEN: usize = 16;
const MAC_LEN: usize = 32;
/// Domain separation, so this MAC can never be confused with another use of the secret.
const CONTEXT: &[u8] = b"tower-jwt-cookie/csrf/v1\0";
/// Longest accepted token; a real one is 66 bytes.
const MAX_TOKEN_LEN: usize = 128;

/// Mints and checks double-submit tokens. Cheap to clone; the secret never
/// appears in `Debug` output.
#[derive(Clone)]
pub struct CsrfTokens {
    inner: Arc<Inner>,
}

struct Inner {
    /// The MAC keyed once: its inner and outer SHA-256 states are derived
    /// from the secret and as good as it (anyone holding them can mint
    /// tokens). With hmac's and sha2's `zeroize` features both states and the
    /// block buffer are wiped when the last clone is dropped, like the JWT
    /// keys; the caller's secret bytes are not kept.
    mac: Hmac<Sha256>,
    cookie: String,
    /// Whether `cookie` was chosen with `with_cookie_name` (the default name
    /// changes under the plain-http switch; a chosen one never does).
    cookie_chosen: bool,
    /// Whether the cookie is written `Secure`: always, except under
    /// `insecure_http_cookies_for_local_development`.
    secure: bool,
    header: HeaderName,
}

/// A double-submit token made by [`CsrfTokens::mint`]: always base64url and a
/// dot, so it can go into a `Set-Cookie` or a header as is. Only `mint`
/// creates one, so [`CsrfTokens::set_cookie`] cannot be handed control bytes
/// or `; Domain=...` to inject.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The token text, to give to the page (e.g. in a response body).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for CsrfToken {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for CsrfToken {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Readable by the page anyway, but no reason to put it in logs.
        f.write_str("CsrfToken(<redacted>)")
    }
}

impl From<CsrfToken> for String {
    fn from(token: CsrfToken) -> Self {
        token.0
    }
}

/// A token configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfTokenError {
    /// The secret is shorter than 32 bytes.
    #[error("the CSRF secret is {0} bytes: use at least 32 random bytes (not the JWT signing key)")]
    SecretTooShort(usize),
    /// The operating system's random generator failed while minting.
    #[error("the operating system's random number generator failed")]
    RandomUnavailable,
    /// The cookie name is not a valid cookie name.
    #[error("CSRF cookie name `{0}` is not a valid cookie name")]
    InvalidCookieName(String),
}

impl CsrfTokens {
    /// Tokens keyed by `secret` (at least 32 random bytes, distinct from any
    /// JWT key), with the default cookie and header names.
    pub fn new(secret: &[u8]) -> Result<Self, CsrfTokenError> {
        if secret.len() < 32 {
            return Err(CsrfTokenError::SecretTooShort(secret.len()));
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret)
            .map_err(|_| CsrfTokenError::SecretTooShort(secret.len()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                mac,
                cookie: defaults::CSRF_COOKIE.to_owned(),
                cookie_chosen: false,
                secure: true,
                header: HeaderName::from_static(defaults::CSRF_HEADER),
            }),
        })
    }

    /// Uses another cookie name (keep the `__Host-` prefix in production;
    /// under `insecure_http_cookies_for_local_development` a prefixed name is
    /// a build error, and the default becomes `csrf`).
    pub fn with_cookie_name(self, name: &str) -> Result<Self, CsrfTokenError> {
        crate::cookie::check_cookie_name(name)
            .map_err(|_| CsrfTokenError::InvalidCookieName(name.to_owned()))?;
        Ok(self.map(|inner| {
            inner.cookie = name.to_owned();
            inner.cookie_chosen = true;
        }))
    }

    /// The cookie name, if chosen with [`with_cookie_name`](Self::with_cookie_name).
    pub(crate) fn chosen_cookie_name(&self) -> Option<&str> {
        self.inner
            .cookie_chosen
            .then_some(self.inner.cookie.as_str())
    }

    /// These tokens with the cookie written without `Secure`, for plain
    /// http (`insecure_http_cookies_for_local_development`): the default
    /// name becomes [`defaults::INSECURE_CSRF_COOKIE`], as a browser drops a
    /// prefixed cookie without `Secure` (RFC 6265bis §4.1.3); the builder
    /// refuses a chosen prefixed name before this.
    pub(crate) fn for_plain_http(self) -> Self {
        self.map(|inner| {
            inner.secure = false;
            if !inner.cookie_chosen {
                inner.cookie = defaults::INSECURE_CSRF_COOKIE.to_owned();
            }
        })
    }

    /// Uses another request header than `X-CSRF-Token`.
    #[must_use]
    pub fn with_header(self, header: HeaderName) -> Self {
        self.map(|inner| inner.header = header)
    }

    fn map(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            mac: self.inner.mac.clone(),
            cookie: self.inner.cookie.clone(),
            cookie_chosen: self.inner.cookie_chosen,
            secure: self.inner.secure,
            header: self.inner.header.clone(),
        };
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The cookie name.
    pub fn cookie_name(&self) -> &str {
        &self.inner.cookie
    }

    /// The request header name.
    pub fn header_name(&self) -> &HeaderName {
        &self.inner.header
    }

    /// A fresh token for session `sid` (the `sid` claim of its access token).
    /// The issuer calls this when it starts or rotates a session.
    pub fn mint(&self, sid: &str) -> Result<CsrfToken, CsrfTokenError> {
        let mut random = [0u8; RANDOM_LEN];
        getrandom::fill(&mut random).map_err(|_| CsrfTokenError::RandomUnavailable)?;
        let tag = self.tag(sid, &random);
        let mut token = URL_SAFE_NO_PAD.encode(random);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut token);
        Ok(CsrfToken(token))
    }

    /// Whether `token` was minted by this secret for session `sid`. The MAC is
    /// compared in constant time.
    pub fn verify(&self, sid: &str, token: &[u8]) -> bool {
        if token.len() > MAX_TOKEN_LEN {
            return false;
        }
        let Some(dot) = token.iter().position(|&b| b == b'.') else {
            return false;
        };
        let mut random = [0u8; RANDOM_LEN];
        let mut tag = [0u8; MAC_LEN];
        let random_ok = matches!(
            URL_SAFE_NO_PAD.decode_slice(&token[..dot], &mut random),
            Ok(RANDOM_LEN)
        );
        let tag_ok = matches!(
            URL_SAFE_NO_PAD.decode_slice(&token[dot + 1..], &mut tag),
            Ok(MAC_LEN)
        );
        if !(random_ok && tag_ok) {
            return false;
        }
        self.keyed(sid, &random).verify_slice(&tag).is_ok()
    }

    /// The `Set-Cookie` value for `token`:
    /// `Path=/; Max-Age=<max_age>; Secure; SameSite=Strict` (without `Secure`
    /// in a configuration built with `insecure_http_cookies_for_local_development`),
    /// no `HttpOnly` (the page must read it), no `Domain` (host-only).
    ///
    /// `max_age` must not exceed the session's remaining life (pass the same
    /// lifetime as the session's cookies), so the token never outlives the
    /// session it is bound to. Whole seconds; rounded down.
    ///
    /// Only a minted [`CsrfToken`] is accepted, never arbitrary text:
    ///
    /// ```compile_fail
    /// # use tower_jwt_cookie::csrf::CsrfTokens;
    /// let tokens = CsrfTokens::new(&[7; 32]).unwrap();
    /// tokens.set_cookie("x; Domain=evil.example", std::time::Duration::from_secs(60));
    /// ```
    pub fn set_cookie(&self, token: &CsrfToken, max_age: Duration) -> HeaderValue {
        self.cookie_header(&token.0, max_age.as_secs())
    }

    /// The `Set-Cookie` value that deletes the cookie (logout): empty value,
    /// `Max-Age=0`, and the same `Path`, `Secure` and `SameSite` as
    /// [`set_cookie`](Self::set_cookie), which browsers need to match it.
    pub fn clear_cookie(&self) -> HeaderValue {
        self.cookie_header("", 0)
    }

    fn cookie_header(&self, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.inner.secure { "; Secure" } else { "" };
        let header = format!(
            "{}={value}; Path=/; Max-Age={max_age}{secure}; SameSite=Strict",
            self.inner.cookie
        );
        // The name is a checked cookie name and the value is empty or a
        // minted (base64url) token: always a valid header value.
        HeaderValue::try_from(header).expect("cookie name and token are header-safe")
    }

    /// Checks a request of session `sid`: the header and the cookie are both
    /// present once, equal (constant time), and a valid token for `sid`.
    pub fn check(&self, sid: &str, headers: &HeaderMap) -> Result<(), CsrfReason> {
        let header = match single(headers, &self.inner.header) {
            Single::Absent => return Err(CsrfReason::MissingToken),
            Single::Many => return Err(CsrfReason::InvalidToken),
            Single::One(value) => value.as_bytes(),
        };
        let cookie = match find_cookie(headers, &self.inner.cookie, DuplicateCookies::Reject) {
            CookieLookup::Missing | CookieLookup::Found([]) => {
                return Err(CsrfReason::MissingToken);
            }
            CookieLookup::Duplicate => return Err(CsrfReason::InvalidToken),
            CookieLookup::Found(cookie) => cookie,
        };
        if header.is_empty() {
            return Err(CsrfReason::MissingToken);
        }
        if sid.is_empty() {
            return Err(CsrfReason::NoSession);
        }
        let same: bool = header.ct_eq(cookie).into();
        if same && self.verify(sid, cookie) {
            Ok(())
        } else {
            Err(CsrfReason::InvalidToken)
        }
    }

    fn keyed(&self, sid: &str, random: &[u8; RANDOM_LEN]) -> Hmac<Sha256> {
        let mut mac = self.inner.mac.clone();
        mac.update(CONTEXT);
        mac.update(&(sid.len() as u64).to_be_bytes());
        mac.update(sid.as_bytes());
        mac.update(random);
        mac
    }

    fn tag(&self, sid: &str, random: &[u8; RANDOM_LEN]) -> [u8; MAC_LEN] {
        self.keyed(sid, random).finalize().into_bytes().into()
    }
}

impl fmt::Debug for CsrfTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfTokens")
            .field("secret", &"<redacted>")
            .field("cookie", &self.inner.cookie)
            .field("secure", &self.inner.secure)
            .field("header", &self.inner.header)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> CsrfTokens {
        CsrfTokens::new(&[7; 32]).unwrap()
    }

    #[test]
    fn minted_token_verifies_only_for_its_session() {
        let t = tokens();
        let token = t.mint("s1").unwrap();
        assert_eq!(token.len(), 66);
        assert!(t.verify("s1", token.as_bytes()));
        assert!(!t.verify("s2", token.as_bytes()));
        assert!(
            !CsrfTokens::new(&[8; 32])
                .unwrap()
                .verify("s1", token.as_bytes())
        );
    }

    #[test]
    fn refuses_short_secrets() {
        assert_eq!(
            CsrfTokens::new(&[1; 31]).unwrap_err(),
            CsrfTokenError::SecretTooShort(31)
        );
    }

    #[test]
    fn csrf_hmac_key_material_is_zeroized_on_drop() {
        use hmac::block_api::HmacCore;
        use hmac::digest::block_api::{Buffer, EagerHash};

        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        // `Hmac<Sha256>` is an `HmacCore` (two keyed `<Sha256 as
        // EagerHash>::Core` states) and a block buffer: each is wiped on drop.
        wiped_on_drop::<<Sha256 as EagerHash>::Core>();
        wiped_on_drop::<Buffer<HmacCore<Sha256>>>();
    }

    #[test]
    fn length_prefix_keeps_sid_and_random_apart() {
        let t = tokens();
        let random = [b'a'; RANDOM_LEN];
        assert_ne!(t.tag("ab", &random), t.tag("a", &random));
    }
}
