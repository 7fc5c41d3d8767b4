//! Fresh keys for processes that keep no key file (demos, tests, ephemeral
//! single-instance services): tokens signed by them die with the process.

use super::algorithm::{Algorithm, AlgorithmFamily};
use zeroize::Zeroizing;

use super::{KeyError, SigningKey};

impl SigningKey {
    /// Generates a new random key for `alg`: an HMAC secret of twice the hash
    /// size, or (with the default `aws_lc_rs` backend) an ES256, ES384 or
    /// Ed25519 key pair. RSA keys are not generated here: create them with
    /// `openssl genpkey` and load them with [`SigningKey::from_pem`].
    pub fn generate(kid: &str, alg: Algorithm) -> Result<Self, KeyError> {
        if alg.family() == AlgorithmFamily::Hmac {
            let len = match alg {
                Algorithm::HS384 => 96,
                Algorithm::HS512 => 128,
                _ => 64,
            };
            let mut secret = Zeroizing::new(vec![0u8; len]);
            getrandom::fill(&mut secret).map_err(|_| KeyError::Generation {
                alg,
                detail: "the operating system's random source failed; retry, or load a key with `SigningKey::from_pem`",
            })?;
            return Self::hmac(kid, alg, &secret);
        }
        generate_key_pair(kid, alg)
    }
}

#[cfg(feature = "aws_lc_rs")]
fn generate_key_pair(kid: &str, alg: Algorithm) -> Result<SigningKey, KeyError> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
        Ed25519KeyPair,
    };

    let failed = |detail| KeyError::Generation { alg, detail };
    let rng = SystemRandom::new();
    let pkcs8 = match alg {
        Algorithm::ES256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng),
        Algorithm::ES384 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng),
        Algorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&rng),
        _ => return Err(failed("RSA keys are not generated here; create one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`")),
    }
    .map_err(|_| failed("the crypto backend could not generate a key; load one with `SigningKey::from_pem`"))?;
    SigningKey::from_der(kid, alg, &Zeroizing::new(pkcs8.as_ref().to_vec()))
}

#[cfg(not(feature = "aws_lc_rs"))]
fn generate_key_pair(_: &str, alg: Algorithm) -> Result<SigningKey, KeyError> {
    Err(KeyError::Generation {
        alg,
        detail: "key pairs are generated only with the `aws_lc_rs` feature; load one with `SigningKey::from_pem`",
    })
}
