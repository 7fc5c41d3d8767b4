//! Reading a JWK Set (RFC 7517 §5) into verifying keys: a pure function of
//! the document's bytes and a [`JwksPolicy`], so it can be fuzzed on its own.
//!
//! The whole document is refused (never partly used) when any key is
//! hostile or broken: a set that mixes a good key with a private one was not
//! produced by a careful issuer, and a refused document leaves the last good
//! set in place.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use crate::keys::Algorithm;
use crate::keys::algorithm::AlgorithmFamily;
use crate::keys::material::KeyForm;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};

use super::JwksError;
use crate::keys::{PublicKey, VerifyingKey, check_kid};
use crate::token::field::Field;

/// The most keys a set may hold. Issuers publish a handful (the current key
/// and the next or previous one); more is a document to refuse.
pub(crate) const MAX_KEYS: usize = 64;

/// How keys of a fetched set are bound to algorithms, and which keys may be
/// skipped instead of refusing the document.
///
/// Each key verifies exactly one algorithm (RFC 8725 §3.1): its `alg`, or
/// when it has none, the algorithm its type implies. EC and OKP keys imply
/// one (P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA: RFC 7518 §3.4,
/// RFC 8037 §3.1); an RSA key could be RS* or PS*, so that is configured
/// here (default RS256, what OIDC providers use: OIDC Core §15.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwksPolicy {
    rsa_algorithm: Option<Algorithm>,
    skip_encryption_keys: bool,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        Self {
            rsa_algorithm: Some(Algorithm::RS256),
            skip_encryption_keys: false,
        }
    }
}

impl JwksPolicy {
    /// The default policy: RSA keys without `alg` verify RS256; a key whose
    /// `use` is not `sig` refuses the document.
    pub fn new() -> Self {
        Self::default()
    }

    /// The algorithm of RSA keys that carry no `alg` (RS256/384/512 or
    /// PS256/384/512); `None` refuses such keys. Any other algorithm is a
    /// configuration error in [`RemoteJwksBuilder::build`](super::RemoteJwksBuilder::build).
    #[must_use]
    pub fn rsa_algorithm(mut self, alg: Option<Algorithm>) -> Self {
        self.rsa_algorithm = alg;
        self
    }

    /// Leave out keys with `use: "enc"` instead of refusing the document.
    /// Some identity providers (Keycloak) publish their encryption key in the
    /// same set; it is never used to verify. Default off.
    #[must_use]
    pub fn skip_encryption_keys(mut self, skip: bool) -> Self {
        self.skip_encryption_keys = skip;
        self
    }

    pub(super) fn check(&self) -> Result<(), JwksError> {
        match self.rsa_algorithm {
            Some(alg) if alg.family() != AlgorithmFamily::Rsa => Err(JwksError::InvalidConfig(
                "JwksPolicy::rsa_algorithm must be an RSA algorithm (RS256/384/512 or PS256/384/512)",
            )),
            _ => Ok(()),
        }
    }
}

/// The verifying keys of one accepted JWK Set.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
    /// Which fetch published this set (see [`KeyProvider::generation`](crate::keys::KeyProvider::generation)).
    generation: u64,
}

impl KeySet {
    /// The key for a token's `kid`; a token without `kid` matches a sole key.
    pub fn get(&self, kid: Option<&str>) -> Option<&Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid() == kid),
            None => match self.keys.as_slice() {
                [only] => Some(only),
                _ => None,
            },
        }
    }

    /// The key ids, in document order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid())
    }

    /// The keys, in document order.
    pub fn keys(&self) -> &[Arc<VerifyingKey>] {
        &self.keys
    }

    /// The number of the key set: a refetched document that replaces, adds,
    /// withdraws or reorders any key gets the next one. A refetch of the
    /// very same keys keeps it, so the verifier's token cache keeps its
    /// entries through the routine refresh every `max-age`.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// This set, numbered as the one published after `previous`.
    pub(super) fn succeeding(mut self, previous: &Self) -> Self {
        self.generation = if self.same_keys(previous) {
            previous.generation
        } else {
            previous.generation.wrapping_add(1)
        };
        self
    }

    /// The same keys in the same order: `kid`, algorithm and public key
    /// material alike (a set only ever holds asymmetric keys).
    fn same_keys(&self, other: &Self) -> bool {
        self.keys.len() == other.keys.len()
            && self.keys.iter().zip(&other.keys).all(|(a, b)| {
                a.kid() == b.kid()
                    && a.algorithm() == b.algorithm()
                    && a.public_key().is_some()
                    && a.public_key() == b.public_key()
            })
    }
}

/// Parses and validates a JWK Set. Any hostile or broken key refuses the
/// whole document: HMAC (`oct`) keys, private members, unknown `kty` or
/// `crv`, `use` other than `sig`, an `alg` the key type cannot have,
/// duplicate `kid`s, weak or malformed key material, an empty set, a set
/// of more than 64 keys (issuers publish a handful).
///
/// A key without `kid` gets its RFC 7638 thumbprint as `kid` (tokens without
/// `kid` still match a sole key). Members this crate does not use (`x5c`,
/// `x5t`, `key_ops`…) are ignored: certificates in a key set are never trusted.
///
/// ```
/// use tower_jwt_cookie::keys::remote::{parse_jwks, JwksError, JwksPolicy};
///
/// let hmac = br#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0"}]}"#;
/// assert!(matches!(
///     parse_jwks(hmac, &JwksPolicy::new()),
///     Err(JwksError::PrivateMember { index: 0, member: "k" })
/// ));
/// ```
pub fn parse_jwks(document: &[u8], policy: &JwksPolicy) -> Result<KeySet, JwksError> {
    // JSON is UTF-8 and its strings are Unicode (RFC 8259 §8.1, §8.2), but
    // serde_json skips the members it ignores without checking either
    // (found by fuzz/fuzz_targets/jwks.rs: bytes that are not UTF-8, a lone
    // surrogate escape). So the whole document is read as a `Value` first:
    // a set other parsers would refuse is refused here too. Documents are
    // bounded in size and fetched rarely; the typed pass below keeps the
    // duplicate-member check a `Value` would lose.
    serde_json::from_slice::<serde_json::Value>(document).map_err(|_| JwksError::InvalidJson)?;
    let Object(raw): Object<RawSet<'_>> =
        serde_json::from_slice(document).map_err(|_| JwksError::InvalidJson)?;
    if raw.keys.len() > MAX_KEYS {
        return Err(JwksError::TooManyKeys { limit: MAX_KEYS });
    }
    let mut keys: Vec<Arc<VerifyingKey>> = Vec::with_capacity(raw.keys.len());
    for (index, Object(key)) in raw.keys.into_iter().enumerate() {
        let Some(key) = parse_key(index, key, policy)? else {
            continue;
        };
        if keys.iter().any(|k| k.kid() == key.kid()) {
            return Err(JwksError::DuplicateKid(key.kid().to_owned()));
        }
        keys.push(Arc::new(key));
    }
    if keys.is_empty() {
        return Err(JwksError::Empty);
    }
    Ok(KeySet {
        keys,
        generation: 0,
    })
}

#[derive(Deserialize)]
struct RawSet<'a> {
    #[serde(borrow)]
    keys: Vec<Object<RawKey<'a>>>,
}

/// The members read from one JWK, each recorded as found ([`Field`]): a
/// member present as `null` is present, never "absent".
#[derive(Deserialize)]
struct RawKey<'a> {
    #[serde(default, borrow)]
    kty: Field<'a>,
    #[serde(default, borrow, rename = "use")]
    use_: Field<'a>,
    #[serde(default, borrow)]
    alg: Field<'a>,
    #[serde(default, borrow)]
    kid: Field<'a>,
    #[serde(default, borrow)]
    crv: Field<'a>,
    #[serde(default, borrow)]
    n: Field<'a>,
    #[serde(default, borrow)]
    e: Field<'a>,
    #[serde(default, borrow)]
    x: Field<'a>,
    #[serde(default, borrow)]
    y: Field<'a>,
    // Private and secret members (RFC 7518 §6.2.2, §6.3.2, §6.4).
    #[serde(default, borrow)]
    d: Field<'a>,
    #[serde(default, borrow)]
    p: Field<'a>,
    #[serde(default, borrow)]
    q: Field<'a>,
    #[serde(default, borrow)]
    dp: Field<'a>,
    #[serde(default, borrow)]
    dq: Field<'a>,
    #[serde(default, borrow)]
    qi: Field<'a>,
    #[serde(default, borrow)]
    oth: Field<'a>,
    #[serde(default, borrow)]
    k: Field<'a>,
}

fn parse_key(
    index: usize,
    raw: RawKey<'_>,
    policy: &JwksPolicy,
) -> Result<Option<VerifyingKey>, JwksError> {
    let private = [
        ("d", &raw.d),
        ("p", &raw.p),
        ("q", &raw.q),
        ("dp", &raw.dp),
        ("dq", &raw.dq),
        ("qi", &raw.qi),
        ("oth", &raw.oth),
        ("k", &raw.k),
    ];
    if let Some((member, _)) = private.iter().find(|(_, f)| **f != Field::Absent) {
        return Err(JwksError::PrivateMember { index, member });
    }
    let Ok(Some(kty)) = raw.kty.string() else {
        return Err(JwksError::UnknownKeyType { index });
    };
    if kty == "oct" {
        return Err(JwksError::SymmetricKey { index });
    }
    match raw.use_ {
        Field::Absent => {}
        Field::String(u) if u == "sig" => {}
        Field::String(u) if u == "enc" && policy.skip_encryption_keys => return Ok(None),
        _ => return Err(JwksError::NotForSignatures { index }),
    }
    let alg = match raw.alg {
        Field::Absent => None,
        Field::String(alg) => {
            Some(Algorithm::from_str(&alg).map_err(|_| JwksError::AlgorithmMismatch { index })?)
        }
        _ => return Err(JwksError::AlgorithmMismatch { index }),
    };
    let member = |field: Field<'_>, member: &'static str| -> Result<Vec<u8>, JwksError> {
        let malformed = JwksError::MalformedMember { index, member };
        let Ok(Some(text)) = field.string() else {
            return Err(malformed);
        };
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| malformed)
    };
    let curve = |crv: Field<'_>, curves: &[(&str, Algorithm, usize)]| {
        let name = crv.string().ok().flatten();
        curves
            .iter()
            .find(|(c, _, _)| Some(*c) == name.as_deref())
            .map(|&(_, alg, len)| (alg, len))
            .ok_or(JwksError::UnknownCurve { index })
    };
    let exact = |bytes: Vec<u8>, len: usize, member: &'static str| {
        if bytes.len() == len {
            Ok(bytes)
        } else {
            Err(JwksError::MalformedMember { index, member })
        }
    };
    let (public, implied) = match &*kty {
        "RSA" => {
            let n = member(raw.n, "n")?;
            let e = member(raw.e, "e")?;
            let implied = match alg {
                Some(alg) => alg,
                None => policy
                    .rsa_algorithm
                    .ok_or(JwksError::MissingAlgorithm { index })?,
            };
            (PublicKey::Rsa { n, e }, implied)
        }
        "EC" => {
            let (implied, len) = curve(
                raw.crv,
                &[
                    ("P-256", Algorithm::ES256, 32),
                    ("P-384", Algorithm::ES384, 48),
                ],
            )?;
            let x = exact(member(raw.x, "x")?, len, "x")?;
            let y = exact(member(raw.y, "y")?, len, "y")?;
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (PublicKey::Ec { point }, implied)
        }
        "OKP" => {
            let (implied, len) = curve(raw.crv, &[("Ed25519", Algorithm::EdDSA, 32)])?;
            let x = exact(member(raw.x, "x")?, len, "x")?;
            (PublicKey::Ed { x }, implied)
        }
        _ => return Err(JwksError::UnknownKeyType { index }),
    };
    // The key type fixes the family; the curve fixes the EC/OKP algorithm.
    let alg = alg.unwrap_or(implied);
    let fits = match &public {
        PublicKey::Rsa { .. } => alg.family() == AlgorithmFamily::Rsa,
        _ => alg == implied,
    };
    if !fits {
        return Err(JwksError::AlgorithmMismatch { index });
    }
    let kid = match raw.kid {
        Field::Absent => public.thumbprint(),
        Field::String(kid) if check_kid(&kid).is_ok() => kid.into_owned(),
        _ => return Err(JwksError::InvalidKid { index }),
    };
    VerifyingKey::from_public(&kid, alg, public, KeyForm::Jwk)
        .map(Some)
        .map_err(|source| JwksError::InvalidKey { index, source })
}

/// A value that must be a JSON object: serde's derived structs also read
/// arrays (by position), which a JWK Set and a JWK never are (RFC 7517 §4, §5).
pub(super) struct Object<T>(pub(super) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Object)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData))
    }
}
