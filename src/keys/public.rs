use super::algorithm::{Algorithm, AlgorithmFamily};
use jsonwebtoken::{DecodingKey, DecodingKeyKind};
use serde_json::{Value, json};

use super::KeyError;
use super::backend::PROVIDER;
use super::material::{check_rsa_modulus, invalid, pkcs1_public_modulus};
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
    pub(crate) fn from_decoding_key(alg: Algorithm, key: &DecodingKey) -> Result<Self, KeyError> {
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
                    .map_err(invalid(alg))?;
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
                "n": b64(n), "e": b64(e),
            }),
            Self::Ec { point } => {
                // An uncompressed SEC1 point: 0x04 || x || y; the curve follows its size.
                let coordinates = point.get(1..).unwrap_or_default();
                let (x, y) = coordinates.split_at(coordinates.len() / 2);
                let crv = if x.len() == 48 { "P-384" } else { "P-256" };
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
