//! Reading private keys: which encodings each algorithm takes, and errors
//! that name what was found, what is wanted and the command that fixes it.
//!
//! Taken: PKCS#8 (`BEGIN PRIVATE KEY`, what `openssl genpkey` writes) for
//! every algorithm, PKCS#1 (`BEGIN RSA PRIVATE KEY`) for RSA and SEC1
//! (`BEGIN EC PRIVATE KEY`, what `openssl ecparam -genkey` writes, RFC 5915)
//! for ECDSA. jsonwebtoken reads PKCS#8 and PKCS#1 but not SEC1, so a SEC1
//! key is rewrapped into the PKCS#8 envelope (RFC 5958 §2: the SEC1
//! structure is PKCS#8's `privateKey` for EC keys, RFC 5915 §1) by the
//! RustCrypto `sec1` and `pkcs8` crates, not by hand-written DER.

use jsonwebtoken::EncodingKey;
use pkcs8::der::Encode;
use pkcs8::der::asn1::{AnyRef, OctetStringRef};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use super::KeyError;
use super::algorithm::{Algorithm, AlgorithmFamily};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// The private key in the PEM text `input`, for `alg`.
pub(crate) fn private_from_pem(alg: Algorithm, input: &[u8]) -> Result<EncodingKey, KeyError> {
    let blocks = blocks(input);
    // `openssl ecparam -genkey` writes an `EC PARAMETERS` block first.
    let Some((tag, der)) = blocks.iter().find(|(tag, _)| tag != "EC PARAMETERS") else {
        return Err(not_pem(alg, input));
    };
    match tag.as_str() {
        "PRIVATE KEY" => pkcs8(alg, der),
        "EC PRIVATE KEY" => sec1(alg, der),
        "RSA PRIVATE KEY" => pkcs1(alg, der),
        "ENCRYPTED PRIVATE KEY" => Err(encoding(
            alg,
            "is encrypted (`BEGIN ENCRYPTED PRIVATE KEY`)",
            "decrypt it first: `openssl pkey -in key.pem -out key-plain.pem` (asks for the passphrase)".into(),
        )),
        "OPENSSH PRIVATE KEY" => Err(encoding(
            alg,
            "is in OpenSSH's own format (`BEGIN OPENSSH PRIVATE KEY`)",
            "convert a copy to PKCS#8: `ssh-keygen -p -N '' -m PKCS8 -f key-copy`".into(),
        )),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Err(encoding(
            alg,
            "is a public key or certificate, not a private key",
            "a SigningKey needs the private key; load public keys with `VerifyingKey::from_pem`"
                .into(),
        )),
        _ => Err(encoding(alg, "is a PEM block of an unknown kind", wanted(alg))),
    }
}

/// The PEM blocks of `input` (none if it is not PEM), each decoded block
/// zeroized when dropped: it may be a private key.
fn blocks(input: &[u8]) -> Vec<(String, Zeroizing<Vec<u8>>)> {
    ::pem::parse_many(input)
        .unwrap_or_default()
        .into_iter()
        .map(|block| {
            (
                block.tag().to_owned(),
                Zeroizing::new(block.into_contents()),
            )
        })
        .collect()
}

/// Refuses a private key handed to a verifying-key constructor, before
/// jsonwebtoken calls it an invalid format.
pub(crate) fn refuse_private_as_public(alg: Algorithm, input: &[u8]) -> Result<(), KeyError> {
    if blocks(input)
        .iter()
        .any(|(tag, _)| tag.ends_with("PRIVATE KEY"))
    {
        return Err(encoding(
            alg,
            "is a private key where a public key is wanted",
            "extract the public key with `openssl pkey -in key.pem -pubout`, or load the private \
             key with `SigningKey::from_pem` (it verifies too)"
                .into(),
        ));
    }
    Ok(())
}

/// The private key in the DER bytes `der`, for `alg`: PKCS#8 for every
/// algorithm, SEC1 for ECDSA, PKCS#1 for RSA.
pub(crate) fn private_from_der(alg: Algorithm, der: &[u8]) -> Result<EncodingKey, KeyError> {
    if PrivateKeyInfoRef::try_from(der).is_ok() {
        return pkcs8(alg, der);
    }
    match alg.family() {
        AlgorithmFamily::Ec if sec1::EcPrivateKey::try_from(der).is_ok() => sec1(alg, der),
        AlgorithmFamily::Rsa => pkcs1(alg, der),
        _ => Err(encoding(alg, "is not PKCS#8 DER", wanted(alg))),
    }
}

fn pkcs8(alg: Algorithm, der: &[u8]) -> Result<EncodingKey, KeyError> {
    let info = PrivateKeyInfoRef::try_from(der).map_err(|_| {
        encoding(
            alg,
            "is damaged: its contents are not a PKCS#8 private key",
            wanted(alg),
        )
    })?;
    let oid = info.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        family(alg, AlgorithmFamily::Rsa)?;
        // jsonwebtoken signs RSA with the PKCS#1 structure PKCS#8 carries.
        return Ok(EncodingKey::from_rsa_der(info.private_key.as_bytes()));
    }
    if oid == ED25519 {
        family(alg, AlgorithmFamily::Ed)?;
        return Ok(EncodingKey::from_ed_der(der));
    }
    if oid == sec1::ALGORITHM_OID {
        family(alg, AlgorithmFamily::Ec)?;
        curve_fits(
            alg,
            info.algorithm.parameters.and_then(|p| p.decode_as().ok()),
        )?;
        return Ok(EncodingKey::from_ec_der(der));
    }
    Err(encoding(
        alg,
        "is a PKCS#8 key of an algorithm this crate does not sign with",
        wanted(alg),
    ))
}

fn sec1(alg: Algorithm, der: &[u8]) -> Result<EncodingKey, KeyError> {
    family(alg, AlgorithmFamily::Ec)?;
    let key = sec1::EcPrivateKey::try_from(der).map_err(|_| {
        encoding(
            alg,
            "is damaged: its contents are not a SEC1 EC private key",
            wanted(alg),
        )
    })?;
    let curve = curve_fits(alg, key.parameters.and_then(|p| p.named_curve()))?;
    let rewrap = || encoding(alg, "could not be rewrapped as PKCS#8", wanted(alg));
    let envelope = PrivateKeyInfoRef::new(
        AlgorithmIdentifierRef {
            oid: sec1::ALGORITHM_OID,
            parameters: Some(AnyRef::from(&curve)),
        },
        OctetStringRef::new(der).map_err(|_| rewrap())?,
    );
    let pkcs8 = Zeroizing::new(envelope.to_der().map_err(|_| rewrap())?);
    Ok(EncodingKey::from_ec_der(&pkcs8))
}

fn pkcs1(alg: Algorithm, der: &[u8]) -> Result<EncodingKey, KeyError> {
    family(alg, AlgorithmFamily::Rsa)?;
    Ok(EncodingKey::from_rsa_der(der))
}

/// Refuses a key of another family than `alg`'s, naming both.
fn family(alg: Algorithm, found: AlgorithmFamily) -> Result<(), KeyError> {
    if alg.family() == found {
        return Ok(());
    }
    Err(KeyError::WrongKeyType {
        alg,
        detail: match found {
            AlgorithmFamily::Rsa => {
                "this is an RSA private key: use it with RS256/384/512 or PS256/384/512"
            }
            AlgorithmFamily::Ec => {
                "this is an EC private key: use it with ES256 (P-256) or ES384 (P-384)"
            }
            AlgorithmFamily::Ed => "this is an Ed25519 private key: use it with EdDSA",
            AlgorithmFamily::Hmac => "this is not a private key",
        },
    })
}

/// The curve of an EC key, if it is `alg`'s; refuses any other.
fn curve_fits(
    alg: Algorithm,
    curve: Option<ObjectIdentifier>,
) -> Result<ObjectIdentifier, KeyError> {
    let wanted = if alg == Algorithm::ES384 { P384 } else { P256 };
    if curve == Some(wanted) {
        return Ok(wanted);
    }
    Err(KeyError::WrongKeyType {
        alg,
        detail: match (alg, curve) {
            (Algorithm::ES256, Some(P384)) => {
                "this is a P-384 key and ES256 needs P-256: use ES384 for it, or make a P-256 key \
                 with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`"
            }
            (_, Some(P256)) => {
                "this is a P-256 key and ES384 needs P-384: use ES256 for it, or make a P-384 key \
                 with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`"
            }
            _ => {
                "the key is not on P-256 (ES256) or P-384 (ES384); make one with \
                 `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`"
            }
        },
    })
}

fn not_pem(alg: Algorithm, input: &[u8]) -> KeyError {
    // Bytes only: the input may be a real key, and a `String` copy of it
    // would not be zeroized.
    let text = input.trim_ascii();
    let has = |needle: &[u8]| memchr::memmem::find(text, needle).is_some();
    if has(b"-----BEGIN") && has(b"\\n") {
        return encoding(
            alg,
            "has `\\n` escapes where PEM needs line breaks",
            "put the key in with real line breaks, e.g. `export VAR=\"$(cat key.pem)\"` for a variable VAR"
                .into(),
        );
    }
    if !has(b"\n") && (text.starts_with(b"/") || text.ends_with(b".pem")) {
        return encoding(
            alg,
            "looks like a file name, not a key",
            "pass the file's contents (`std::fs::read(path)`), e.g. \
             `export VAR=\"$(cat key.pem)\"` for a variable VAR"
                .into(),
        );
    }
    if has(b"-----BEGIN") {
        return encoding(
            alg,
            "has a `-----BEGIN …-----` line but no whole PEM block (cut short, no matching \
             `-----END …-----` line, or damaged base64)",
            format!("copy the whole file again; {}", wanted(alg)),
        );
    }
    if looks_like_base64(text) {
        return encoding(
            alg,
            "looks like base64 without the PEM lines around it",
            format!(
                "put the PEM file itself in, `-----BEGIN …-----` and `-----END …-----` lines \
                 included; for DER bytes use `SigningKey::from_der`. {}",
                wanted(alg)
            ),
        );
    }
    encoding(
        alg,
        "is not PEM text (no `-----BEGIN …-----` block)",
        wanted(alg),
    )
}

/// Long enough to be a key, and nothing but the base64 alphabet (RFC 4648
/// §4) and line breaks: PEM's body without its armour.
fn looks_like_base64(text: &[u8]) -> bool {
    text.len() >= 64
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n".contains(b))
}

fn encoding(alg: Algorithm, found: &'static str, fix: String) -> KeyError {
    KeyError::Encoding { alg, found, fix }
}

/// What `alg` takes, and the command that makes one.
fn wanted(alg: Algorithm) -> String {
    let (forms, make) = match alg.family() {
        AlgorithmFamily::Rsa => (
            "PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`)",
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072",
        ),
        AlgorithmFamily::Ec if alg == Algorithm::ES384 => (
            "PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) on curve P-384",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384",
        ),
        AlgorithmFamily::Ec => (
            "PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) on curve P-256",
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256",
        ),
        _ => (
            "PKCS#8 (`BEGIN PRIVATE KEY`)",
            "openssl genpkey -algorithm ED25519",
        ),
    };
    format!("{alg} takes a private key in {forms}; make one with `{make}`")
}
