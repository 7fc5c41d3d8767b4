//! Checks shared by signing and verifying keys: algorithm families, minimum
//! strengths (RFC 7518 §3.2, RFC 8725 §3.5) and key ids.

use super::algorithm::{Algorithm, AlgorithmFamily};

use super::KeyError;

/// The shortest RSA modulus accepted, in bits.
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// The longest RSA modulus accepted, in bits: the largest both backends
/// verify (aws-lc's `RSA_*_2048_8192_*` algorithms, the `rsa` crate's
/// `MAX_SIZE`). Refusing larger keys when they are loaded means a key that
/// loads always verifies what it signs.
pub(crate) const MAX_RSA_BITS: usize = 8192;

/// The longest signature any accepted key makes: an RSA-8192 one. HMAC,
/// ECDSA and EdDSA signatures are at most 96 bytes (ES384).
pub(crate) const MAX_SIGNATURE_LEN: usize = MAX_RSA_BITS / 8;

/// Longest accepted key id; kids arrive from untrusted token headers.
pub(crate) const MAX_KID_LEN: usize = 128;

pub(crate) fn check_kid(kid: &str) -> Result<(), KeyError> {
    let ok = !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(KeyError::InvalidKid)
    }
}

pub(crate) fn check_hmac_secret(alg: Algorithm, secret: &[u8]) -> Result<(), KeyError> {
    let min = match alg {
        Algorithm::HS256 => 32,
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => {
            return Err(KeyError::WrongKeyType {
                alg,
                detail: "a shared secret can only be used with HS256, HS384 or HS512",
            });
        }
    };
    if secret.len() < min {
        return Err(KeyError::SecretTooShort {
            alg,
            len: secret.len(),
            min,
        });
    }
    Ok(())
}

pub(crate) fn check_rsa_modulus(modulus: &[u8]) -> Result<(), KeyError> {
    let bits = significant_bits(modulus);
    if bits < MIN_RSA_BITS {
        return Err(KeyError::RsaTooSmall { bits });
    }
    if bits > MAX_RSA_BITS {
        return Err(KeyError::RsaTooLarge { bits });
    }
    Ok(())
}

/// The modulus of a PKCS#1 `RSAPrivateKey` (`SEQUENCE { version, modulus, … }`),
/// read so that a key of the wrong size gets a clear error before the
/// backend sees it.
pub(crate) fn pkcs1_private_modulus(der: &[u8]) -> Option<&[u8]> {
    sequence_integer(der, 1)
}

/// The modulus of a PKCS#1 `RSAPublicKey` (`SEQUENCE { modulus, publicExponent }`),
/// for the same reason: the `rsa` crate refuses keys over 8192 bits only
/// as "malformed".
pub(crate) fn pkcs1_public_modulus(der: &[u8]) -> Option<&[u8]> {
    sequence_integer(der, 0)
}

/// The contents of the `index`-th element of a DER `SEQUENCE`, if it is an INTEGER.
fn sequence_integer(der: &[u8], index: usize) -> Option<&[u8]> {
    let (tag, mut rest, _) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    for _ in 0..index {
        rest = der_element(rest)?.2;
    }
    let (tag, integer, _) = der_element(rest)?;
    (tag == 0x02).then_some(integer)
}

/// Splits one DER element into (tag, contents, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn significant_bits(be: &[u8]) -> usize {
    match be.iter().position(|&b| b != 0) {
        Some(i) => (be.len() - i - 1) * 8 + (8 - be[i].leading_zeros() as usize),
        None => 0,
    }
}

pub(crate) fn require_asymmetric(alg: Algorithm) -> Result<(), KeyError> {
    if alg.family() == AlgorithmFamily::Hmac {
        return Err(KeyError::WrongKeyType {
            alg,
            detail: "HMAC keys are shared secrets, not PEM or DER keys: use the `hmac` constructor",
        });
    }
    Ok(())
}

/// Length of an uncompressed SEC1 point for the curve of `alg`.
pub(crate) fn ec_point_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::ES384 => 97,
        _ => 65,
    }
}

/// What a key constructor was handed, for [`KeyError::Invalid`]'s message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum KeyForm {
    /// An HMAC secret.
    Secret,
    /// A private key (its PEM or DER envelope already read).
    Private,
    /// A public key in PEM.
    PublicPem,
    /// A public key in DER (or raw bytes).
    PublicDer,
    /// A public key from a JWK (only `RemoteJwks` reads JWKs).
    #[cfg(feature = "jwks")]
    Jwk,
}

/// The parser refused the key: the error names what `alg` takes in `form`.
pub(crate) fn invalid(
    alg: Algorithm,
    form: KeyForm,
) -> impl FnOnce(jsonwebtoken::errors::Error) -> KeyError {
    move |source| KeyError::Invalid {
        alg,
        expected: expected(alg, form),
        source: Box::new(source),
    }
}

/// What `alg` takes in `form`, and the openssl command that converts a key
/// to it (or makes one).
fn expected(alg: Algorithm, form: KeyForm) -> String {
    let family = alg.family();
    let key = match alg {
        Algorithm::ES256 => "P-256 EC",
        Algorithm::ES384 => "P-384 EC",
        Algorithm::EdDSA => "Ed25519",
        _ => "RSA",
    };
    match form {
        KeyForm::Secret => {
            let min = match alg {
                Algorithm::HS384 => 48,
                Algorithm::HS512 => 64,
                _ => 32,
            };
            format!(
                "{alg} takes a shared secret of at least {min} random bytes; make one with \
                 `openssl rand -base64 {min}`"
            )
        }
        KeyForm::Private => {
            let encodings = match family {
                AlgorithmFamily::Rsa => {
                    "PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`)"
                }
                AlgorithmFamily::Ec => {
                    "PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`)"
                }
                _ => "PKCS#8 (`BEGIN PRIVATE KEY`)",
            };
            format!(
                "{alg} takes an intact {key} private key in {encodings}; \
                 `openssl pkey -in key.pem -out key-pkcs8.pem` converts a readable key to \
                 PKCS#8, and says what is wrong with a damaged one"
            )
        }
        KeyForm::PublicPem => {
            let encodings = match family {
                AlgorithmFamily::Rsa => {
                    "SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM"
                }
                _ => "SPKI PEM (`BEGIN PUBLIC KEY`)",
            };
            format!(
                "{alg} takes a {key} public key in {encodings}; \
                 `openssl pkey -in private.pem -pubout -out public.pem` extracts one from the \
                 private key, `openssl x509 -in cert.pem -pubkey -noout -out public.pem` from a \
                 certificate, and `openssl pkey -pubin -in key.pem -out public.pem` rewrites a \
                 readable public key as SPKI"
            )
        }
        KeyForm::PublicDer => match family {
            AlgorithmFamily::Rsa => format!(
                "{alg} takes an RSA public key as PKCS#1 `RSAPublicKey` DER; \
                 `openssl rsa -pubin -in public.pem -RSAPublicKey_out -outform DER -out public.der` \
                 converts a PEM public key to it"
            ),
            AlgorithmFamily::Ec => {
                let len = ec_point_len(alg);
                format!(
                    "{alg} takes the raw uncompressed point of a {key} public key ({len} bytes, \
                     the first 0x04); `openssl pkey -pubin -in public.pem -outform DER | \
                     tail -c {len} > public.der` cuts it out of a PEM public key"
                )
            }
            _ => format!(
                "{alg} takes the raw 32 bytes of an Ed25519 public key; \
                 `openssl pkey -pubin -in public.pem -outform DER | tail -c 32 > public.der` \
                 cuts them out of a PEM public key"
            ),
        },
        #[cfg(feature = "jwks")]
        KeyForm::Jwk => {
            format!("{alg} takes a {key} public JWK whose members are intact (RFC 7518 §6)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_significant_bits_of_a_modulus() {
        assert_eq!(significant_bits(&[0, 0x80, 0]), 16);
        assert_eq!(significant_bits(&[0x01, 0xff]), 9);
        assert_eq!(significant_bits(&[0, 0]), 0);
    }

    #[test]
    fn accepts_rsa_moduli_from_2048_to_8192_bits() {
        let modulus = |bytes: usize| {
            let mut n = vec![0xff; bytes];
            n.insert(0, 0);
            n
        };
        assert!(matches!(
            check_rsa_modulus(&modulus(255)),
            Err(KeyError::RsaTooSmall { bits: 2040 })
        ));
        assert!(check_rsa_modulus(&modulus(256)).is_ok());
        assert!(check_rsa_modulus(&modulus(MAX_SIGNATURE_LEN)).is_ok());
        assert!(matches!(
            check_rsa_modulus(&modulus(MAX_SIGNATURE_LEN + 1)),
            Err(KeyError::RsaTooLarge { bits: 8200 })
        ));
    }

    #[test]
    fn reads_the_modulus_of_pkcs1_keys() {
        // SEQUENCE { INTEGER 0, INTEGER 0x00c5, INTEGER 3 }
        let der = [
            0x30, 0x09, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03,
        ];
        assert_eq!(pkcs1_private_modulus(&der), Some(&[0x00, 0xc5][..]));
        assert_eq!(pkcs1_public_modulus(&der[2..]), None, "not a SEQUENCE");
        // SEQUENCE { INTEGER 0x00c5, INTEGER 3 }
        let public = [0x30, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03];
        assert_eq!(pkcs1_public_modulus(&public), Some(&[0x00, 0xc5][..]));
        assert_eq!(pkcs1_private_modulus(&der[..6]), None);
        assert_eq!(
            pkcs1_private_modulus(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }

    #[test]
    fn rejects_kids_outside_the_safe_alphabet() {
        assert!(check_kid("key-2026.01_a").is_ok());
        for bad in ["", "a b", "../etc", "k\u{e9}y", &"k".repeat(129)] {
            assert!(
                matches!(check_kid(bad), Err(KeyError::InvalidKid)),
                "{bad:?}"
            );
        }
    }
}
