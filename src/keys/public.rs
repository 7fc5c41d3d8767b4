use super::algorithm::{Algorithm, AlgorithmFamily};
use jsonwebtoken::{DecodingKey, DecodingKeyKind};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::KeyError;
use super::backend::PROVIDER;
use super::material::{KeyForm, check_rsa_modulus, invalid, pkcs1_public_modulus};
use super::verifying::b64;

/// The public half of an asymmetric key, as published in a JWKS (RFC 7517).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// RSA modulus and exponent, big-endian.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// An uncompressed SEC1 point: `0x04 || x || y`.
    Ec {
        /// The encoded point.
        point: Vec<u8>,
    },
    /// An Ed25519 public key.
    Ed {
        /// The 32 key bytes.
        x: Vec<u8>,
    },
}

impl PublicKey {
    pub(crate) fn from_decoding_key(
        alg: Algorithm,
        key: &DecodingKey,
        form: KeyForm,
    ) -> Result<Self, KeyError> {
        let bytes = match key.kind() {
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                return Ok(Self::Rsa {
                    n: n.clone(),
                    e: e.clone(),
                });
            }
            DecodingKeyKind::SecretOrDer(bytes) => bytes,
        };
        Ok(match alg.family() {
            AlgorithmFamily::Rsa => {
                if let Some(modulus) = pkcs1_public_modulus(bytes) {
                    check_rsa_modulus(modulus)?;
                }
                let (n, e) = (PROVIDER.key_utils.rsa_pub_components_from_public_key)(bytes)
                    .map_err(invalid(alg, form))?;
                Self::Rsa { n, e }
            }
            AlgorithmFamily::Ec => Self::Ec {
                point: bytes.clone(),
            },
            _ => Self::Ed { x: bytes.clone() },
        })
    }

    pub(crate) fn decoding_key(&self) -> DecodingKey {
        match self {
            Self::Rsa { n, e } => DecodingKey::from_rsa_raw_components(n, e),
            Self::Ec { point } => DecodingKey::from_ec_der(point),
            Self::Ed { x } => DecodingKey::from_ed_der(x),
        }
    }

    /// This key as a JWK with `kid`, `alg` and `use: sig`.
    pub fn to_jwk(&self, kid: &str, alg: Algorithm) -> Value {
        let alg_name = alg.as_str();
        match self {
            Self::Rsa { n, e } => json!({
                "kty": "RSA", "use": "sig", "alg": alg_name, "kid": kid,
                "n": b64(unsigned(n)), "e": b64(unsigned(e)),
            }),
            Self::Ec { point } => {
                let (crv, x, y) = ec_coordinates(point);
                json!({
                    "kty": "EC", "use": "sig", "alg": alg_name, "kid": kid,
                    "crv": crv, "x": b64(x), "y": b64(y),
                })
            }
            Self::Ed { x } => json!({
                "kty": "OKP", "use": "sig", "alg": alg_name, "kid": kid,
                "crv": "Ed25519", "x": b64(x),
            }),
        }
    }
}

impl PublicKey {
    /// The RFC 7638 JWK thumbprint: base64url of the SHA-256 of the key's
    /// required members in lexicographic order, without whitespace. A stable
    /// `kid`: a new key always gets a new one.
    pub fn thumbprint(&self) -> String {
        // Every value is base64url or a fixed name: nothing needs JSON escaping.
        let canonical = match self {
            Self::Rsa { n, e } => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64(unsigned(e)),
                b64(unsigned(n))
            ),
            Self::Ec { point } => {
                let (crv, x, y) = ec_coordinates(point);
                format!(
                    r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                    b64(x),
                    b64(y)
                )
            }
            Self::Ed { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
        };
        b64(&Sha256::digest(canonical.as_bytes()))
    }
}

/// An integer's big-endian bytes without leading zeros (RFC 7518 §6.3.1.1).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// An uncompressed SEC1 point (`0x04 || x || y`) as curve name, x and y; the
/// curve follows the size.
fn ec_coordinates(point: &[u8]) -> (&'static str, &[u8], &[u8]) {
    let coordinates = point.get(1..).unwrap_or_default();
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    let crv = if x.len() == 48 { "P-384" } else { "P-256" };
    (crv, x, y)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn thumbprint_matches_the_rfc_7638_example() {
        // RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let mut n = URL_SAFE_NO_PAD.decode(n).unwrap();
        let key = PublicKey::Rsa {
            n: n.clone(),
            e: vec![1, 0, 1],
        };
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        // A leading zero octet is not part of the integer.
        n.insert(0, 0);
        assert_eq!(
            PublicKey::Rsa {
                n,
                e: vec![0, 1, 0, 1]
            }
            .thumbprint(),
            key.thumbprint()
        );
    }
}
