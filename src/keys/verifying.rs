use std::fmt;

use super::algorithm::{Algorithm, AlgorithmFamily};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;

use super::backend::PROVIDER;
use super::material::{
    KeyForm, check_hmac_secret, check_kid, check_rsa_modulus, ec_point_len, invalid,
    require_asymmetric,
};
use super::prepared::Prepared;
use super::{KeyError, PublicKey};

/// A key that verifies signatures of exactly one algorithm (RFC 8725 §3.1).
///
/// The algorithm is fixed when the key is built, so a token's `alg` header can
/// only select it, never change how it is used: an RSA or EC public key can
/// never be used as an HMAC secret.
pub struct VerifyingKey {
    kid: Box<str>,
    alg: Algorithm,
    key: DecodingKey,
    public: Option<PublicKey>,
    prepared: Prepared,
}

impl VerifyingKey {
    /// A shared HMAC secret (HS256/384/512), at least as long as the hash output.
    pub fn hmac(kid: &str, alg: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        check_hmac_secret(alg, secret)?;
        let key = DecodingKey::from_secret(secret).map_err(invalid(alg, KeyForm::Secret))?;
        Ok(Self::assemble(
            kid,
            alg,
            key,
            None,
            Prepared::hmac(alg, secret),
        ))
    }

    /// A public key in PEM (SPKI, or PKCS#1 for RSA).
    pub fn from_pem(kid: &str, alg: Algorithm, pem: &[u8]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        require_asymmetric(alg)?;
        super::encoding::refuse_private_as_public(alg, pem)?;
        let key = match alg.family() {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
            _ => DecodingKey::from_ed_pem(pem),
        }
        .map_err(invalid(alg, KeyForm::PublicPem))?;
        Self::from_decoding_key(kid, alg, key, KeyForm::PublicPem)
    }

    /// A public key in DER: PKCS#1 `RSAPublicKey` for RSA, the raw SEC1 point
    /// for ECDSA, the raw 32 bytes for Ed25519.
    pub fn from_der(kid: &str, alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        check_kid(kid)?;
        require_asymmetric(alg)?;
        let key = match alg.family() {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_der(der),
            AlgorithmFamily::Ec => DecodingKey::from_ec_der(der),
            _ => DecodingKey::from_ed_der(der),
        };
        Self::from_decoding_key(kid, alg, key, KeyForm::PublicDer)
    }

    /// An asymmetric public key from its components, as derived from a
    /// private key or read in `form`.
    pub(crate) fn from_public(
        kid: &str,
        alg: Algorithm,
        public: PublicKey,
        form: KeyForm,
    ) -> Result<Self, KeyError> {
        let key = public.decoding_key();
        check_public(alg, &public)?;
        let prepared = Prepared::public(alg, &public, &key)?;
        let key = Self::assemble(kid, alg, key, Some(public), prepared);
        (PROVIDER.verifier_factory)(&alg.backend(), &key.key).map_err(invalid(alg, form))?;
        Ok(key)
    }

    fn from_decoding_key(
        kid: &str,
        alg: Algorithm,
        key: DecodingKey,
        form: KeyForm,
    ) -> Result<Self, KeyError> {
        let public = PublicKey::from_decoding_key(alg, &key, form)?;
        Self::from_public(kid, alg, public, form)
    }

    fn assemble(
        kid: &str,
        alg: Algorithm,
        key: DecodingKey,
        public: Option<PublicKey>,
        prepared: Prepared,
    ) -> Self {
        Self {
            kid: kid.into(),
            alg,
            key,
            public,
            prepared,
        }
    }

    /// The key id tokens name in their `kid` header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public half, for publishing in a JWKS; `None` for HMAC secrets.
    pub fn public_key(&self) -> Option<&PublicKey> {
        self.public.as_ref()
    }

    /// Checks `signature` (raw bytes) over `message` with this key's algorithm.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.prepared
            .verify(&self.key, self.alg, message, signature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field(
                "key",
                &if self.public.is_some() {
                    "<public key>"
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

/// Minimum strength and curve checks for a public key.
fn check_public(alg: Algorithm, public: &PublicKey) -> Result<(), KeyError> {
    match public {
        PublicKey::Rsa { n, .. } => check_rsa_modulus(n),
        PublicKey::Ec { point } if point.len() != ec_point_len(alg) => {
            Err(KeyError::WrongKeyType {
                alg,
                detail: "the EC key is on a different curve than the algorithm (ES256 = P-256, ES384 = P-384): pick the algorithm of its curve",
            })
        }
        _ => Ok(()),
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
