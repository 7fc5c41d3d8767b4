use std::fmt;
use std::sync::Arc;

use super::algorithm::{Algorithm, AlgorithmFamily};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::EllipticCurve;
use zeroize::Zeroizing;

use super::backend::PROVIDER;
use super::encoding;
use super::material::{
    KeyForm, check_kid, check_rsa_modulus, invalid, pkcs1_private_modulus, require_asymmetric,
};
use super::prepared::PreparedSigner;
use super::{KeyError, PublicKey, VerifyingKey};

/// A private key (or HMAC secret) bound to exactly one algorithm, with the
/// matching verifying key derived from it.
///
/// The secret is zeroized on drop (jsonwebtoken's `EncodingKey` does this) and
/// never appears in `Debug` output.
pub struct SigningKey {
    alg: Algorithm,
    key: EncodingKey,
    signer: PreparedSigner,
    verifying: Arc<VerifyingKey>,
}

impl SigningKey {
    /// A shared HMAC secret (HS256/384/512), at least as long as the hash output.
    pub fn hmac(kid: &str, alg: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        let verifying = VerifyingKey::hmac(kid, alg, secret)?;
        let key = EncodingKey::from_secret(secret).map_err(invalid(alg, KeyForm::Secret))?;
        Self::assemble(alg, key, verifying)
    }

    /// A private key in PEM, with `kid` as its key id: PKCS#8
    /// (`BEGIN PRIVATE KEY`, what `openssl genpkey` writes) for every
    /// algorithm, also PKCS#1 (`BEGIN RSA PRIVATE KEY`) for RSA and SEC1
    /// (`BEGIN EC PRIVATE KEY`, what `openssl ecparam -genkey` writes) for
    /// ECDSA. Anything else is a [`KeyError`] that says what was found and
    /// how to convert it.
    pub fn from_pem(kid: &str, alg: Algorithm, pem: &[u8]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        require_asymmetric(alg)?;
        let key = encoding::private_from_pem(alg, pem)?;
        Self::from_encoding_key(kid, alg, key)
    }

    /// A private key in DER, with `kid` as its key id: PKCS#8 for every
    /// algorithm, also PKCS#1 for RSA and SEC1 for ECDSA.
    pub fn from_der(kid: &str, alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        require_asymmetric(alg)?;
        let key = encoding::private_from_der(alg, der)?;
        Self::from_encoding_key(kid, alg, key)
    }

    /// Reads the key from environment variable `var`, with `kid` as its key
    /// id (the `kid` header of the tokens it signs, e.g. `"2026-11"`): a
    /// base64 (standard or URL-safe) secret for HMAC, PEM text (as
    /// [`from_pem`](Self::from_pem) takes) for every other algorithm. Every
    /// error names the variable.
    pub fn from_env(kid: &str, alg: Algorithm, var: &str) -> Result<Self, KeyError> {
        let problem = |problem: String| KeyError::Environment {
            name: var.to_owned(),
            problem,
        };
        let what = if alg.family() == AlgorithmFamily::Hmac {
            format!("a base64 secret, e.g. `export {var}=\"$(openssl rand -base64 64)\"`")
        } else {
            format!("a PEM private key, e.g. `export {var}=\"$(cat key.pem)\"`")
        };
        let value = Zeroizing::new(std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => problem(format!("is not set: it must hold {what}")),
            std::env::VarError::NotUnicode(_) => {
                problem(format!("is not valid UTF-8: it must hold {what}"))
            }
        })?);
        let named = |source| KeyError::FromEnvironment {
            name: var.to_owned(),
            source: Box::new(source),
        };
        if alg.family() != AlgorithmFamily::Hmac {
            return Self::from_pem(kid, alg, value.as_bytes()).map_err(named);
        }
        let text = value.trim();
        let secret = Zeroizing::new(
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
                .map_err(|_| problem(format!("is not base64: it must hold {what}")))?,
        );
        Self::hmac(kid, alg, &secret).map_err(named)
    }

    fn from_encoding_key(kid: &str, alg: Algorithm, key: EncodingKey) -> Result<Self, KeyError> {
        let bytes = key.as_bytes();
        let utils = &PROVIDER.key_utils;
        let public = match alg.family() {
            AlgorithmFamily::Rsa => {
                if let Some(modulus) = pkcs1_private_modulus(bytes) {
                    check_rsa_modulus(modulus)?;
                }
                let (n, e) = (utils.rsa_pub_components_from_private_key)(bytes)
                    .map_err(invalid(alg, KeyForm::Private))?;
                PublicKey::Rsa { n, e }
            }
            AlgorithmFamily::Ec => {
                let (_, x, y) = (utils.ec_pub_components_from_private_key)(bytes, alg.backend())
                    .map_err(invalid(alg, KeyForm::Private))?;
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                PublicKey::Ec { point }
            }
            _ => {
                let x = (utils.ed_pub_components_from_private_key)(bytes, &EllipticCurve::Ed25519)
                    .map_err(invalid(alg, KeyForm::Private))?;
                PublicKey::Ed { x }
            }
        };
        let verifying = VerifyingKey::from_public(kid, alg, public, KeyForm::Private)?;
        Self::assemble(alg, key, verifying)
    }

    fn assemble(
        alg: Algorithm,
        key: EncodingKey,
        verifying: VerifyingKey,
    ) -> Result<Self, KeyError> {
        Ok(Self {
            alg,
            signer: PreparedSigner::new(alg, &key)?,
            key,
            verifying: Arc::new(verifying),
        })
    }

    /// This key with its RFC 7638 JWK thumbprint as `kid`
    /// ([`PublicKey::thumbprint`]), so a new key always has a new `kid` and
    /// verifiers that cache keys by `kid` never confuse two keys. An error
    /// for HMAC secrets, which have no public key to take the thumbprint of.
    pub fn with_thumbprint_kid(self) -> Result<Self, KeyError> {
        let Some(public) = self.verifying.public_key() else {
            return Err(KeyError::WrongKeyType {
                alg: self.alg,
                detail: "an HMAC secret has no public key, so no JWK thumbprint: pick a kid",
            });
        };
        let kid = public.thumbprint();
        let verifying =
            VerifyingKey::from_public(&kid, self.alg, public.clone(), KeyForm::Private)?;
        Ok(Self {
            verifying: Arc::new(verifying),
            ..self
        })
    }

    /// The key id written into the `kid` header of every token this key signs.
    pub fn kid(&self) -> &str {
        self.verifying.kid()
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The verifying half (the same secret for HMAC).
    pub fn verifying_key(&self) -> &Arc<VerifyingKey> {
        &self.verifying
    }

    /// Signs `message`, returning the raw signature bytes.
    pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        self.signer.sign(&self.key, self.alg, message)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid())
            .field("alg", &self.alg)
            .field("key", &"<redacted>")
            .finish()
    }
}
