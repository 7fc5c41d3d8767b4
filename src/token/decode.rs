//! The verification pipeline. Order matters and is part of the contract:
//! size and charset, structure, header, key and algorithm, signature, then
//! claims: `typ`, `iss` and `aud` (is the token ours?) before the time
//! claims (is it still valid?). Nothing in the payload is looked at before
//! the signature verifies (a forged token with `exp: 0` reports a bad
//! signature, not "expired"), and no time reason is given for a token that
//! is not ours (another issuer's expired token is `wrong_issuer`).

use std::borrow::Cow;
use std::str::FromStr;

use crate::keys::Algorithm;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::field::Field;
use super::header_memo;
use super::payload::{self, RawClaims};
use super::policy::{RequiredClaim, TokenKind, ValidationPolicy};
use super::{Claims, CustomClaims, RegisteredClaims};
use crate::keys::{KeyProvider, MAX_SIGNATURE_LEN, VerifyingKey, check_kid};
use crate::rejection::Rejection;

/// A base64url character or a dot, without branches (so the scan vectorizes).
fn is_token_byte(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter | digit | (b == b'-') | (b == b'_') | (b == b'.')
}

/// A compact JWS split into its three parts, checked for size and alphabet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CompactToken<'a> {
    signing_input: &'a [u8],
    header: &'a [u8],
    payload: &'a [u8],
    signature: &'a [u8],
}

impl<'a> CompactToken<'a> {
    /// Checks length, alphabet (`[A-Za-z0-9_-.]`) and exactly two dots before
    /// anything is decoded. Both are bounded by the length limit and run as
    /// branch-free and `memchr` scans: a run of dots costs no more than any
    /// other token of its length.
    pub(crate) fn split(token: &'a [u8], max_len: usize) -> Result<Self, Rejection> {
        if token.len() > max_len {
            return Err(Rejection::TooLarge { limit: max_len });
        }
        if !token.iter().fold(true, |ok, &b| ok & is_token_byte(b)) {
            return Err(Rejection::Malformed(
                "the token has characters outside base64url",
            ));
        }
        let three_parts = || Rejection::Malformed("a compact JWS has exactly three parts");
        let first = memchr::memchr(b'.', token).ok_or_else(three_parts)?;
        let second = memchr::memchr(b'.', &token[first + 1..]).ok_or_else(three_parts)? + first + 1;
        if memchr::memchr(b'.', &token[second + 1..]).is_some() {
            return Err(three_parts());
        }
        let dots = [first, second];
        let (header, rest) = token.split_at(dots[0]);
        let payload = &rest[1..dots[1] - dots[0]];
        let signature = &token[dots[1] + 1..];
        if header.is_empty() || payload.is_empty() {
            return Err(Rejection::Malformed("the header or payload is empty"));
        }
        if signature.is_empty() {
            return Err(Rejection::Malformed("the signature is empty"));
        }
        Ok(Self {
            signing_input: &token[..dots[1]],
            header,
            payload,
            signature,
        })
    }
}

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(default, borrow)]
    alg: Field<'a>,
    #[serde(default, borrow)]
    typ: Field<'a>,
    #[serde(default, borrow)]
    kid: Field<'a>,
    #[serde(default, borrow)]
    crit: Field<'a>,
}

/// A base64url part decoded on the stack when it fits in `N` bytes (every
/// header and signature, and the payload of every token this crate issues),
/// on the heap otherwise: the hot path allocates nothing to decode. Built in
/// place by its user, so the buffer is never moved.
pub(crate) struct DecodeBuffer<const N: usize> {
    stack: [u8; N],
    heap: Vec<u8>,
}

impl<const N: usize> DecodeBuffer<N> {
    pub(crate) fn new() -> Self {
        Self {
            stack: [0; N],
            heap: Vec::new(),
        }
    }

    /// Whether `part` decodes on the stack (and not on the heap).
    fn fits_on_stack(part: &[u8]) -> bool {
        part.len() <= base64_len(N)
    }

    /// Decodes `part` into this buffer; `what` is the rejection's reason.
    fn decode(&mut self, part: &[u8], what: &'static str) -> Result<&[u8], Rejection> {
        if Self::fits_on_stack(part) {
            let len = URL_SAFE_NO_PAD
                .decode_slice(part, &mut self.stack)
                .map_err(|_| Rejection::Malformed(what))?;
            Ok(&self.stack[..len])
        } else {
            self.heap = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| Rejection::Malformed(what))?;
            Ok(&self.heap)
        }
    }
}

/// Where a header is decoded, for [`read_header`].
pub(crate) type HeaderBuffer = DecodeBuffer<HEADER_STACK_LEN>;

/// Headers up to this many bytes decode on the stack (this crate's are
/// about 50; a long `kid` and `typ` still fit).
const HEADER_STACK_LEN: usize = 256;

/// Payloads up to this many bytes decode on the stack.
const PAYLOAD_STACK_LEN: usize = 1024;

/// A header that passed every check that needs no key, borrowing its
/// strings from the decoded bytes.
pub(crate) struct Header<'a> {
    alg: Algorithm,
    kid: Option<Cow<'a, str>>,
    typ: Option<Cow<'a, str>>,
}

impl Header<'_> {
    /// The `kid` the key provider is asked for.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The `alg` (the key found must be of it).
    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }
}

/// Serde-derived structs also read JSON arrays (by position); a JOSE header
/// and a claims set are objects (RFC 7515 §4, RFC 7519 §7.2), so anything
/// else is refused before it is parsed.
fn is_json_object(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().first() == Some(&b'{')
}

/// Reads the header: `alg` (never `none`, in any case), `crit` (always
/// refused: no extension is implemented), `kid`, `typ`. Key material named by
/// the header (`jwk`, `jku`, `x5u`, `x5c`) is ignored: keys come only from the
/// [`KeyProvider`].
///
/// What this returns must depend on `token`'s header segment alone (no
/// key, policy or clock): it is kept per thread and given again for the
/// same segment (`header_memo.rs`). Checks that depend on anything else
/// (the key's algorithm, `typ` against the policy) come after it.
pub(crate) fn read_header<'b>(
    token: &CompactToken<'_>,
    buffer: &'b mut HeaderBuffer,
) -> Result<Header<'b>, Rejection> {
    if let Some(read) = header_memo::recall(token.header, &mut buffer.stack) {
        return recalled_header(read, &buffer.stack);
    }
    let bytes = buffer.decode(token.header, "the header is not base64url")?;
    let not_an_object = || Rejection::Malformed("the header is not a JSON object");
    if !is_json_object(bytes) {
        return Err(not_an_object());
    }
    let raw: RawHeader<'_> = serde_json::from_slice(bytes).map_err(|_| not_an_object())?;
    let alg = match raw.alg {
        Field::String(alg) => {
            Algorithm::from_str(&alg).map_err(|_| Rejection::AlgorithmNotAllowed)?
        }
        _ => return Err(Rejection::AlgorithmNotAllowed),
    };
    if raw.crit != Field::Absent {
        return Err(Rejection::UnsupportedCritical);
    }
    let kid = raw
        .kid
        .string()
        .map_err(|()| Rejection::Malformed("the kid header is not a string"))?;
    // `kid` is attacker-chosen and reaches the key provider (and its refresh
    // hook): one that no configured key could have is unknown at once.
    if kid.as_deref().is_some_and(|kid| check_kid(kid).is_err()) {
        return Err(Rejection::UnknownKey);
    }
    let typ = raw
        .typ
        .string()
        .map_err(|()| Rejection::Malformed("the typ header is not a string"))?;
    // A header that decodes on the stack has `kid` and `typ` short enough
    // to be recalled into it; a longer one is not kept (it would only
    // hold memory).
    if HeaderBuffer::fits_on_stack(token.header) {
        header_memo::keep(token.header, alg, kid.as_deref(), typ.as_deref());
    }
    Ok(Header { alg, kid, typ })
}

/// The header [`header_memo::recall`] gave, its strings borrowed from
/// `strings`, where it copied them. The memo kept them from `&str`s, so
/// they are UTF-8 and in bounds; were they not, the token would be refused
/// as a fresh reading of bytes that are not JSON is (fail closed) rather
/// than read with a `kid` missing.
fn recalled_header(read: header_memo::Recalled, strings: &[u8]) -> Result<Header<'_>, Rejection> {
    let text = |start: usize, len: Option<usize>| match len {
        None => Ok(None),
        Some(len) => strings
            .get(start..start + len)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .map(|text| Some(Cow::Borrowed(text)))
            .ok_or(Rejection::Malformed("the header is not a JSON object")),
    };
    Ok(Header {
        alg: read.alg,
        kid: text(0, read.kid_len)?,
        typ: text(read.kid_len.unwrap_or(0), read.typ_len)?,
    })
}

/// Verifies the signature with `key`, whose algorithm must be the header's.
fn verify_signature(
    token: &CompactToken<'_>,
    header: &Header<'_>,
    key: &VerifyingKey,
) -> Result<(), Rejection> {
    if key.algorithm() != header.alg {
        return Err(Rejection::AlgorithmNotAllowed);
    }
    // HMAC, ECDSA and EdDSA signatures (the hot path) decode on the stack;
    // RSA ones, up to RSA-8192's 1024 bytes, on the heap, which costs nothing
    // next to an RSA verification. Anything longer is well-formed but no
    // accepted key made it: a bad signature, not malformed input.
    if token.signature.len() > base64_len(MAX_SIGNATURE_LEN) {
        return Err(Rejection::BadSignature);
    }
    let mut buffer = DecodeBuffer::<STACK_SIGNATURE_LEN>::new();
    let signature = buffer.decode(token.signature, "the signature is not base64url")?;
    if key.verify(token.signing_input, signature) {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// Signatures up to this many bytes are decoded on the stack: every HMAC,
/// ECDSA and EdDSA one (ES384's 96 bytes is the longest).
const STACK_SIGNATURE_LEN: usize = 128;

/// The length of `bytes` bytes in unpadded base64url.
const fn base64_len(bytes: usize) -> usize {
    (bytes * 4).div_ceil(3)
}

/// Validates `typ` and the claims of a token whose signature has verified.
fn read_claims<C: CustomClaims>(
    token: &CompactToken<'_>,
    header: &Header<'_>,
    kind: TokenKind,
    policy: &ValidationPolicy,
    now: i64,
) -> Result<Claims<C>, Rejection> {
    if !policy.accepts_typ(kind, header.typ.as_deref()) {
        return Err(Rejection::WrongType);
    }
    // The payload is decoded once and its JSON read in one pass into the
    // registered and the custom claims (`payload.rs`; the custom type's
    // deserializer runs in that pass, after the signature verified). The
    // registered claims are validated before the custom ones are looked
    // at, so the rejection is the same as if they had been read first.
    let mut buffer = DecodeBuffer::<PAYLOAD_STACK_LEN>::new();
    let payload = buffer.decode(token.payload, "the payload is not base64url")?;
    let not_claims = || Rejection::Malformed("the payload is not a JSON object of claims");
    if !is_json_object(payload) {
        return Err(not_claims());
    }
    let (raw, custom) = payload::read(payload).map_err(|()| not_claims())?;
    let registered = validate(raw, kind, policy, now)?;
    let custom = custom.ok_or(Rejection::Malformed(
        "the custom claims do not have the expected shape",
    ))?;
    Ok(Claims { registered, custom })
}

/// Identity before time: `iss` and `aud` (like `typ`, checked by the
/// caller) decide whether the token is ours at all, so they come before
/// `exp`, `nbf`, `iat` and `max_age`. A time reason ("expired") then always
/// describes a token of ours, and the refresh endpoint can clear the cookies
/// on it; another issuer's expired token is `wrong_issuer`, never
/// `session_expired` (RFC 8725 §3.8–3.9: validate issuer and audience).
fn validate(
    raw: RawClaims<'_>,
    kind: TokenKind,
    policy: &ValidationPolicy,
    now: i64,
) -> Result<RegisteredClaims, Rejection> {
    let required = |claim: RequiredClaim, name: &'static str, present: bool| {
        if !present && policy.requires(claim) {
            Err(Rejection::InvalidClaim(name))
        } else {
            Ok(())
        }
    };
    let iss = raw
        .iss
        .string()
        .map_err(|()| Rejection::InvalidClaim("iss"))?;
    match &iss {
        None => return Err(Rejection::InvalidClaim("iss")),
        Some(iss) if *iss != policy.issuer => return Err(Rejection::WrongIssuer),
        Some(_) => {}
    }
    let aud = raw
        .aud
        .strings()
        .map_err(|()| Rejection::InvalidClaim("aud"))?
        .ok_or(Rejection::InvalidClaim("aud"))?;
    let audience = policy.audience_for(kind);
    if !aud.iter().any(|a| a == audience) {
        return Err(Rejection::WrongAudience);
    }

    let sub = raw
        .sub
        .string()
        .map_err(|()| Rejection::InvalidClaim("sub"))?;
    let jti = raw
        .jti
        .string()
        .map_err(|()| Rejection::InvalidClaim("jti"))?;
    let sid = raw
        .sid
        .string()
        .map_err(|()| Rejection::InvalidClaim("sid"))?;
    let exp = raw
        .exp
        .number()
        .map_err(|()| Rejection::InvalidClaim("exp"))?;
    let nbf = raw
        .nbf
        .number()
        .map_err(|()| Rejection::InvalidClaim("nbf"))?;
    let iat = raw
        .iat
        .number()
        .map_err(|()| Rejection::InvalidClaim("iat"))?;
    required(RequiredClaim::Exp, "exp", exp.is_some())?;
    required(RequiredClaim::Nbf, "nbf", nbf.is_some())?;
    required(RequiredClaim::Iat, "iat", iat.is_some())?;
    required(RequiredClaim::Sub, "sub", sub.is_some())?;
    required(RequiredClaim::Jti, "jti", jti.is_some())?;
    required(RequiredClaim::Sid, "sid", sid.is_some())?;

    check_times(exp, nbf, iat, policy, now)?;

    Ok(RegisteredClaims {
        iss: iss.map(Cow::into_owned),
        sub: sub.map(Cow::into_owned),
        aud: aud.into_iter().map(Cow::into_owned).collect(),
        exp,
        nbf,
        iat,
        jti: jti.map(Cow::into_owned),
        sid: sid.map(Cow::into_owned),
    })
}

/// The time checks: `exp`, `nbf`, `iat` and `max_age` against `now`, with
/// the leeway. The verifier's token cache runs them again on every hit.
pub(crate) fn check_times(
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    policy: &ValidationPolicy,
    now: i64,
) -> Result<(), Rejection> {
    let leeway = policy.leeway;
    if exp.is_some_and(|exp| policy.expiry_instant(now) >= exp) {
        return Err(Rejection::Expired);
    }
    if nbf.is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
        return Err(Rejection::NotYetValid);
    }
    if let Some(iat) = iat {
        if iat > now.saturating_add(leeway) {
            return Err(Rejection::IssuedInFuture);
        }
        if policy
            .max_age
            .is_some_and(|max| now.saturating_sub(iat) > max.saturating_add(leeway))
        {
            return Err(Rejection::TooOld);
        }
    }
    Ok(())
}

/// The whole pipeline for one token against a key provider, without the
/// asynchronous unknown-`kid` refresh (the verifier service adds that).
pub fn verify<C: CustomClaims>(
    token: &[u8],
    kind: TokenKind,
    keys: &(impl KeyProvider + ?Sized),
    policy: &ValidationPolicy,
    now: i64,
) -> Result<Claims<C>, Rejection> {
    let compact = CompactToken::split(token, policy.max_token_len)?;
    let mut buffer = HeaderBuffer::new();
    let header = read_header(&compact, &mut buffer)?;
    verify_with_provider(&compact, &header, keys, kind, policy, now)
        .unwrap_or(Err(Rejection::UnknownKey))
}

/// [`verify_with_key`] with the key `keys` has for the header's `kid`,
/// borrowed from the provider's snapshot (no `Arc` clone: its reference
/// count would be written from every core on every request); `None` when
/// no key matches.
pub(crate) fn verify_with_provider<C: CustomClaims>(
    token: &CompactToken<'_>,
    header: &Header<'_>,
    keys: &(impl KeyProvider + ?Sized),
    kind: TokenKind,
    policy: &ValidationPolicy,
    now: i64,
) -> Option<Result<Claims<C>, Rejection>> {
    let mut verified = None;
    keys.with_verifying_key(header.kid(), &mut |key| {
        verified = key.map(|key| verify_with_key(token, header, key, kind, policy, now));
    });
    verified
}

/// Everything after the key is found: signature, then `typ` and claims. The
/// one place this order lives; the verifier service calls it too.
pub(crate) fn verify_with_key<C: CustomClaims>(
    token: &CompactToken<'_>,
    header: &Header<'_>,
    key: &VerifyingKey,
    kind: TokenKind,
    policy: &ValidationPolicy,
    now: i64,
) -> Result<Claims<C>, Rejection> {
    verify_signature(token, header, key)?;
    read_claims(token, header, kind, policy, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_refuses_extra_dots_without_scanning_the_rest() {
        let mut token = b"a.b.c.".to_vec();
        token.extend(std::iter::repeat_n(b'.', 7000));
        assert_eq!(
            CompactToken::split(&token, 8192).unwrap_err(),
            Rejection::Malformed("a compact JWS has exactly three parts")
        );
    }

    #[test]
    fn splitting_refuses_empty_parts_and_bad_bytes() {
        assert_eq!(
            CompactToken::split(b"a.b.", 100).unwrap_err(),
            Rejection::Malformed("the signature is empty")
        );
        assert_eq!(
            CompactToken::split(b".b.c", 100).unwrap_err(),
            Rejection::Malformed("the header or payload is empty")
        );
        assert_eq!(
            CompactToken::split(b"a.b=.c", 100).unwrap_err(),
            Rejection::Malformed("the token has characters outside base64url")
        );
        assert_eq!(
            CompactToken::split(b"abc", 2).unwrap_err(),
            Rejection::TooLarge { limit: 2 }
        );
    }

    /// A token with `header` (JSON) as its header; payload and signature
    /// are never looked at by `read_header`.
    fn token_with_header(header: &str) -> String {
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(header))
    }

    type Read = Result<(Algorithm, Option<String>, Option<String>), Rejection>;

    fn read(token: &str) -> Read {
        let compact = CompactToken::split(token.as_bytes(), 8192)?;
        let mut buffer = HeaderBuffer::new();
        let header = read_header(&compact, &mut buffer)?;
        Ok((
            header.alg,
            header.kid.map(Cow::into_owned),
            header.typ.map(Cow::into_owned),
        ))
    }

    /// Whether this thread's memo holds `token`'s header segment.
    fn kept(token: &str) -> bool {
        let segment = token.split('.').next().unwrap().as_bytes();
        header_memo::recall(segment, &mut [0; HEADER_STACK_LEN]).is_some()
    }

    /// Each test runs its reads on a thread of its own, so it starts with
    /// an empty memo whatever else ran on the test harness's threads.
    fn on_a_new_thread(test: impl FnOnce() + Send + 'static) {
        std::thread::spawn(test).join().unwrap();
    }

    #[test]
    fn a_header_read_again_is_recalled_with_what_reading_it_gave() {
        on_a_new_thread(|| {
            // An escaped `kid` (`\u0062` is `b`), a `typ`, and the absent cases.
            let escaped = r#"{"alg":"HS256","kid":"a\u0062c","typ":"at+jwt"}"#;
            for header in [
                escaped,
                r#"{"alg":"ES256","typ":"at+jwt"}"#,
                r#"{"alg":"EdDSA","kid":"k-1"}"#,
                r#"{"alg":"RS256"}"#,
            ] {
                let token = token_with_header(header);
                assert!(!kept(&token), "{header}");
                let first = read(&token);
                assert!(first.is_ok(), "{header}: {first:?}");
                assert!(kept(&token), "{header}");
                assert_eq!(read(&token), first, "{header}");
            }
            let token = token_with_header(escaped);
            read(&token).unwrap();
            assert_eq!(
                read(&token),
                Ok((Algorithm::HS256, Some("abc".into()), Some("at+jwt".into())))
            );
        });
    }

    #[test]
    fn a_header_that_differs_in_one_byte_is_read_afresh() {
        on_a_new_thread(|| {
            let hs256 = token_with_header(r#"{"alg":"HS256","kid":"k1"}"#);
            read(&hs256).unwrap();
            let cases: [(&str, Read); 4] = [
                (
                    r#"{"alg":"HS384","kid":"k1"}"#,
                    Ok((Algorithm::HS384, Some("k1".into()), None)),
                ),
                (
                    r#"{"alg":"HS256","kid":"k2"}"#,
                    Ok((Algorithm::HS256, Some("k2".into()), None)),
                ),
                (
                    r#"{"alg":"none","kid":"k1"}"#,
                    Err(Rejection::AlgorithmNotAllowed),
                ),
                (
                    r#"{"alg":"HS256","kid":"k1","crit":["b64"]}"#,
                    Err(Rejection::UnsupportedCritical),
                ),
            ];
            for (header, expected) in cases {
                // Each time the memo holds the HS256 header, and a header
                // one edit away from it gets its own reading.
                read(&hs256).unwrap();
                assert_eq!(read(&token_with_header(header)), expected, "{header}");
            }
        });
    }

    #[test]
    fn an_empty_typ_is_recalled_as_empty_not_absent() {
        on_a_new_thread(|| {
            let token = token_with_header(r#"{"alg":"HS256","typ":""}"#);
            let first = read(&token);
            assert_eq!(first, Ok((Algorithm::HS256, None, Some(String::new()))));
            assert!(kept(&token));
            assert_eq!(read(&token), first);
        });
    }

    #[test]
    fn a_header_too_long_for_the_stack_is_read_but_not_kept() {
        on_a_new_thread(|| {
            // Short `kid` and `typ` (they would fit), a long ignored member.
            let url = format!("https://keys.example/{}", "k".repeat(300));
            let token = token_with_header(&format!(
                r#"{{"alg":"HS256","kid":"k","typ":"at+jwt","x5u":"{url}"}}"#
            ));
            let expected = Ok((Algorithm::HS256, Some("k".into()), Some("at+jwt".into())));
            assert_eq!(read(&token), expected);
            assert!(!kept(&token));
            assert_eq!(read(&token), expected);
            // And a long `typ` the same way.
            let typ = "t".repeat(300);
            let token = token_with_header(&format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#));
            let expected = Ok((Algorithm::HS256, None, Some(typ)));
            assert_eq!(read(&token), expected);
            assert!(!kept(&token));
            assert_eq!(read(&token), expected);
        });
    }

    #[test]
    fn a_refused_header_is_never_kept() {
        on_a_new_thread(|| {
            let good = token_with_header(r#"{"alg":"HS256"}"#);
            read(&good).unwrap();
            for header in [
                r#"{"alg":"none"}"#,
                r#"{"alg":"None"}"#,
                r#"{"alg":"hs256"}"#,
                r#"{"alg":"HS256","kid":7}"#,
                r#"{"alg":"HS256","kid":"a b"}"#,
                r#"["HS256"]"#,
            ] {
                let token = token_with_header(header);
                let refusal = read(&token).unwrap_err();
                assert!(!kept(&token), "{header}");
                assert_eq!(read(&token), Err(refusal), "{header}");
                // The last good header is still the one kept.
                assert!(kept(&good), "{header}");
            }
        });
    }
}
