//! Verification state built once per key instead of once per token.
//!
//! With the `aws_lc_rs` backend the HMAC key schedule, the parsed public key
//! and the parsed key pair are kept with the key, which saves re-parsing
//! RSA/EC keys on every request and every signature (jsonwebtoken rebuilds
//! them each call). Other backends go through jsonwebtoken's provider per call.

use super::algorithm::Algorithm;
use jsonwebtoken::{DecodingKey, EncodingKey};

use super::{KeyError, PublicKey};

#[cfg(feature = "aws_lc_rs")]
pub(crate) use aws::{Prepared, PreparedSigner};
#[cfg(not(feature = "aws_lc_rs"))]
pub(crate) use generic::{Prepared, PreparedSigner};

#[cfg(feature = "aws_lc_rs")]
mod aws {
    use aws_lc_rs::hmac;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        self, EcdsaKeyPair, Ed25519KeyPair, ParsedPublicKey, RsaEncoding, RsaKeyPair,
        VerificationAlgorithm,
    };

    use super::*;

    pub(crate) enum Prepared {
        // Boxed: the key schedule is ~1.2 KB, the parsed public key a pointer.
        Hmac(Box<hmac::Key>),
        Public(ParsedPublicKey),
    }

    impl Prepared {
        pub(crate) fn hmac(alg: Algorithm, secret: &[u8]) -> Self {
            let algorithm = match alg {
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                _ => hmac::HMAC_SHA256,
            };
            Self::Hmac(Box::new(hmac::Key::new(algorithm, secret)))
        }

        pub(crate) fn public(
            alg: Algorithm,
            public: &PublicKey,
            _: &DecodingKey,
        ) -> Result<Self, KeyError> {
            let algorithm: &'static dyn VerificationAlgorithm = match alg {
                Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
                Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
                Algorithm::EdDSA => &signature::ED25519,
                _ => {
                    return Err(KeyError::WrongKeyType {
                        alg,
                        detail: "an HMAC algorithm has no public key",
                    });
                }
            };
            let bytes = match public {
                PublicKey::Rsa { n, e } => rsa_public_key_der(n, e),
                PublicKey::Ec { point } => point.clone(),
                PublicKey::Ed { x } => x.clone(),
            };
            let parsed =
                ParsedPublicKey::new(algorithm, bytes).map_err(|_| KeyError::WrongKeyType {
                    alg,
                    detail: "the crypto backend refused the public key (damaged, or not a key of this \
                             algorithm): `openssl pkey -pubin -in key.pem -noout -text` shows what it is",
                })?;
            Ok(Self::Public(parsed))
        }

        pub(crate) fn verify(
            &self,
            _: &DecodingKey,
            _: Algorithm,
            message: &[u8],
            signature: &[u8],
        ) -> bool {
            match self {
                Self::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
                Self::Public(key) => key.verify_sig(message, signature).is_ok(),
            }
        }
    }

    /// A signer built once per key: the parsed key pair or HMAC key schedule.
    pub(crate) enum PreparedSigner {
        // Boxed like `Prepared::Hmac`: the key schedule is large.
        Hmac(Box<hmac::Key>),
        Ecdsa(EcdsaKeyPair),
        Ed25519(Ed25519KeyPair),
        Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    }

    impl PreparedSigner {
        pub(crate) fn new(alg: Algorithm, key: &EncodingKey) -> Result<Self, KeyError> {
            let bytes = key.as_bytes();
            let refused = |_| KeyError::WrongKeyType {
                alg,
                detail: "the crypto backend refused the private key (damaged, or not a key of this \
                         algorithm): `openssl pkey -in key.pem -noout -text` shows what it is",
            };
            let rsa = |encoding: &'static dyn RsaEncoding| {
                RsaKeyPair::from_der(bytes).map(|pair| Self::Rsa(pair, encoding))
            };
            Ok(match alg {
                Algorithm::HS256 => Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, bytes))),
                Algorithm::HS384 => Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA384, bytes))),
                Algorithm::HS512 => Self::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA512, bytes))),
                Algorithm::ES256 => Self::Ecdsa(
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, bytes)
                        .map_err(refused)?,
                ),
                Algorithm::ES384 => Self::Ecdsa(
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, bytes)
                        .map_err(refused)?,
                ),
                Algorithm::EdDSA => {
                    Self::Ed25519(Ed25519KeyPair::from_pkcs8(bytes).map_err(refused)?)
                }
                Algorithm::RS256 => rsa(&signature::RSA_PKCS1_SHA256).map_err(refused)?,
                Algorithm::RS384 => rsa(&signature::RSA_PKCS1_SHA384).map_err(refused)?,
                Algorithm::RS512 => rsa(&signature::RSA_PKCS1_SHA512).map_err(refused)?,
                Algorithm::PS256 => rsa(&signature::RSA_PSS_SHA256).map_err(refused)?,
                Algorithm::PS384 => rsa(&signature::RSA_PSS_SHA384).map_err(refused)?,
                Algorithm::PS512 => rsa(&signature::RSA_PSS_SHA512).map_err(refused)?,
            })
        }

        /// The raw signature over `message`; `None` if the backend failed.
        pub(crate) fn sign(
            &self,
            _: &EncodingKey,
            _: Algorithm,
            message: &[u8],
        ) -> Option<Vec<u8>> {
            let rng = SystemRandom::new();
            match self {
                Self::Hmac(key) => Some(hmac::sign(key, message).as_ref().to_vec()),
                Self::Ecdsa(pair) => pair.sign(&rng, message).ok().map(|s| s.as_ref().to_vec()),
                Self::Ed25519(pair) => Some(pair.sign(message).as_ref().to_vec()),
                Self::Rsa(pair, encoding) => {
                    let mut signature = vec![0; pair.public_modulus_len()];
                    pair.sign(*encoding, &rng, message, &mut signature).ok()?;
                    Some(signature)
                }
            }
        }
    }

    /// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
    fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(n.len() + e.len() + 16);
        der_integer(&mut body, n);
        der_integer(&mut body, e);
        let mut out = Vec::with_capacity(body.len() + 4);
        out.push(0x30);
        der_length(&mut out, body.len());
        out.extend_from_slice(&body);
        out
    }

    fn der_integer(out: &mut Vec<u8>, big_endian: &[u8]) {
        let start = big_endian
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(big_endian.len());
        let digits = &big_endian[start..];
        let pad = digits.first().is_none_or(|&b| b & 0x80 != 0);
        out.push(0x02);
        der_length(out, digits.len() + usize::from(pad));
        if pad {
            out.push(0);
        }
        out.extend_from_slice(digits);
    }

    fn der_length(out: &mut Vec<u8>, len: usize) {
        match len {
            0..=0x7f => out.push(len as u8),
            0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
            0x100..=0xffff => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
            _ => out.extend_from_slice(&[0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn encodes_rsa_public_keys_as_pkcs1_der() {
            assert_eq!(
                rsa_public_key_der(&[0x00, 0xc5], &[1, 0, 1]),
                [
                    0x30, 0x09, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x03, 0x01, 0x00, 0x01
                ]
            );
        }
    }
}

#[cfg(not(feature = "aws_lc_rs"))]
mod generic {
    use super::super::backend::PROVIDER;
    use super::*;

    pub(crate) struct Prepared;

    /// Other backends build their signer per call, through jsonwebtoken.
    pub(crate) struct PreparedSigner;

    impl PreparedSigner {
        pub(crate) fn new(alg: Algorithm, key: &EncodingKey) -> Result<Self, KeyError> {
            (PROVIDER.signer_factory)(&alg.backend(), key).map_err(
                super::super::material::invalid(alg, super::super::material::KeyForm::Private),
            )?;
            Ok(Self)
        }

        // One signature for both backends: aws-lc's signer keeps its key here.
        #[expect(clippy::unused_self)]
        pub(crate) fn sign(
            &self,
            key: &EncodingKey,
            alg: Algorithm,
            message: &[u8],
        ) -> Option<Vec<u8>> {
            (PROVIDER.signer_factory)(&alg.backend(), key)
                .ok()?
                .try_sign(message)
                .ok()
        }
    }

    impl Prepared {
        pub(crate) fn hmac(_: Algorithm, _: &[u8]) -> Self {
            Self
        }

        pub(crate) fn public(
            _: Algorithm,
            _: &PublicKey,
            _: &DecodingKey,
        ) -> Result<Self, KeyError> {
            Ok(Self)
        }

        // One signature for both backends (aws-lc's keeps its parsed key here).
        #[expect(clippy::unused_self)]
        pub(crate) fn verify(
            &self,
            key: &DecodingKey,
            alg: Algorithm,
            message: &[u8],
            signature: &[u8],
        ) -> bool {
            match (PROVIDER.verifier_factory)(&alg.backend(), key) {
                // jsonwebtoken's verifier trait takes the signature as a Vec.
                Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
                Err(_) => false,
            }
        }
    }
}
