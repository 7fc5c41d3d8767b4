//! Private keys in every encoding a user is likely to hold load, and sign
//! tokens the verifier accepts; anything else is refused with a message
//! that names what was found, what is wanted and the command that fixes it.
//! The keys are real openssl output (tests/keys/README.md).

use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyError, KeyRing, SigningKey, VerifyingKey};
use tower_jwt_cookie::{Algorithm, MemoryStore};

use crate::support::*;

fn thumbprint(key: &SigningKey) -> String {
    key.verifying_key().public_key().unwrap().thumbprint()
}

/// Each encoding loads as the same key as its PKCS#8 form.
#[test]
fn sec1_pkcs1_and_der_keys_load_as_the_same_key_as_pkcs8() {
    let pkcs8 = |alg, file| SigningKey::from_pem("k", alg, &pem(file)).unwrap();
    for (alg, other, reference) in [
        (Algorithm::ES256, "p256.sec1.pem", "p256.sec1.pk8.pem"),
        (Algorithm::ES384, "p384.sec1.pem", "p384.sec1.pk8.pem"),
        (Algorithm::RS256, "rsa2048.pkcs1.pem", "rsa2048.pem"),
        (Algorithm::PS384, "rsa2048.pkcs1.pem", "rsa2048.pem"),
    ] {
        let loaded = SigningKey::from_pem("k", alg, &pem(other))
            .unwrap_or_else(|e| panic!("{other} for {alg:?}: {e}"));
        assert_eq!(
            thumbprint(&loaded),
            thumbprint(&pkcs8(alg, reference)),
            "{other}"
        );
    }
    for (alg, der, reference) in [
        (Algorithm::ES256, "p256.sec1.der", "p256.sec1.pk8.pem"),
        (Algorithm::RS256, "rsa2048.pk8.der", "rsa2048.pem"),
    ] {
        let loaded = SigningKey::from_der("k", alg, &pem(der))
            .unwrap_or_else(|e| panic!("{der} for {alg:?}: {e}"));
        assert_eq!(
            thumbprint(&loaded),
            thumbprint(&pkcs8(alg, reference)),
            "{der}"
        );
    }
}

/// A SEC1 key (rewrapped as PKCS#8 inside) signs sessions that verify.
#[tokio::test]
async fn a_sec1_key_signs_sessions_the_verifier_accepts() {
    for (alg, file) in [
        (Algorithm::ES256, "p256.sec1.pem"),
        (Algorithm::ES384, "p384.sec1.pem"),
    ] {
        let key = SigningKey::from_pem("sec1", alg, &pem(file)).unwrap();
        let clock = ManualClock::new(NOW);
        let auth = builder_with(KeyRing::with_signing_key(key), MemoryStore::new(), &clock)
            .build()
            .unwrap();
        let app = app(&auth);
        let mut browser = Browser::default();
        assert_eq!(browser.login(&app, "alice").await.status, 200, "{file}");
        let me = browser.me(&app).await;
        assert_eq!(me.status, 200, "{file}");
        assert_eq!(me.json()["sub"], "alice");
    }
}

fn refused(alg: Algorithm, input: &[u8]) -> KeyError {
    SigningKey::from_pem("k", alg, input).unwrap_err()
}

#[test]
fn a_key_that_is_not_taken_is_refused_with_what_to_do() {
    let cases: [(Algorithm, Vec<u8>, &str); 6] = [
        (
            Algorithm::ES256,
            b"junk".to_vec(),
            "the ES256 key is not PEM text (no `-----BEGIN …-----` block): ES256 takes a private key in \
             PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) on curve P-256; make one \
             with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`",
        ),
        (
            Algorithm::ES256,
            pem("p256.encrypted.pem"),
            "the ES256 key is encrypted (`BEGIN ENCRYPTED PRIVATE KEY`): decrypt it first: \
             `openssl pkey -in key.pem -out key-plain.pem` (asks for the passphrase)",
        ),
        (
            Algorithm::ES256,
            pem("p256.pub.pem"),
            "the ES256 key is a public key or certificate, not a private key: a SigningKey needs \
             the private key; load public keys with `VerifyingKey::from_pem`",
        ),
        (
            Algorithm::RS256,
            String::from_utf8(pem("rsa2048.pem"))
                .unwrap()
                .replace('\n', "\\n")
                .into_bytes(),
            "the RS256 key has `\\n` escapes where PEM needs line breaks: put the key in with real \
             line breaks, e.g. `export VAR=\"$(cat key.pem)\"` for a variable VAR",
        ),
        (
            Algorithm::EdDSA,
            b"/etc/keys/jwt.pem".to_vec(),
            "the EdDSA key looks like a file name, not a key: pass the file's contents \
             (`std::fs::read(path)`), e.g. `export VAR=\"$(cat key.pem)\"` for a variable VAR",
        ),
        (
            Algorithm::ES256,
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
            "the ES256 key is damaged: its contents are not a PKCS#8 private key: ES256 takes a \
             private key in PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) on curve P-256; \
             make one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`",
        ),
    ];
    for (alg, input, message) in cases {
        let err = refused(alg, &input);
        assert!(matches!(err, KeyError::Encoding { .. }), "{err:?}");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn a_pem_cut_short_or_stripped_of_its_lines_says_so() {
    let p256 = "PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) on curve P-256; make \
                one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`";
    let whole = String::from_utf8(pem("p256.pem")).unwrap();
    let cut = &whole[..whole.len() / 2];
    assert_eq!(
        refused(Algorithm::ES256, cut.as_bytes()).to_string(),
        format!(
            "the ES256 key has a `-----BEGIN …-----` line but no whole PEM block (cut short, no \
             matching `-----END …-----` line, or damaged base64): copy the whole file again; \
             ES256 takes a private key in {p256}"
        )
    );
    let body: String = whole.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(
        refused(Algorithm::ES256, body.as_bytes()).to_string(),
        format!(
            "the ES256 key looks like base64 without the PEM lines around it: put the PEM file \
             itself in, `-----BEGIN …-----` and `-----END …-----` lines included; for DER bytes \
             use `SigningKey::from_der`. ES256 takes a private key in {p256}"
        )
    );
}

#[cfg(unix)]
#[test]
fn a_key_file_whose_contents_are_refused_is_named_in_the_error() {
    let path = scratch_dir("key-contents").join("jwt.pem");
    write_with_mode(&path, pem("p256.pub.pem"), 0o600);
    let error = SigningKey::from_pem_file("k", Algorithm::ES256, &path).unwrap_err();
    match &error {
        KeyError::FromFile {
            path: named,
            source,
        } => {
            assert_eq!(named, &path);
            assert!(matches!(**source, KeyError::Encoding { .. }), "{source:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!(
            "key file {}: the ES256 key is a public key or certificate, not a private key: a \
             SigningKey needs the private key; load public keys with `VerifyingKey::from_pem`",
            path.display()
        )
    );
}

#[test]
fn a_private_key_given_as_a_public_key_says_how_to_extract_the_public_half() {
    let err = VerifyingKey::from_pem("k", Algorithm::ES256, &pem("p256.sec1.pem")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the ES256 key is a private key where a public key is wanted: extract the public key \
         with `openssl pkey -in key.pem -pubout`, or load the private key with \
         `SigningKey::from_pem` (it verifies too)"
    );
    assert!(VerifyingKey::from_pem("k", Algorithm::ES256, &pem("p256.pub.pem")).is_ok());
}

#[test]
fn a_key_of_another_family_or_curve_names_the_algorithm_it_fits() {
    for (alg, file, detail) in [
        (
            Algorithm::ES256,
            "rsa2048.pkcs1.pem",
            "this is an RSA private key: use it with RS256/384/512 or PS256/384/512",
        ),
        (
            Algorithm::RS256,
            "p256.sec1.pem",
            "this is an EC private key: use it with ES256 (P-256) or ES384 (P-384)",
        ),
        (
            Algorithm::ES256,
            "ed25519.pem",
            "this is an Ed25519 private key: use it with EdDSA",
        ),
        (
            Algorithm::EdDSA,
            "rsa2048.pem",
            "this is an RSA private key: use it with RS256/384/512 or PS256/384/512",
        ),
        (
            Algorithm::ES256,
            "p384.sec1.pem",
            "this is a P-384 key and ES256 needs P-256: use ES384 for it, or make a P-256 key with \
             `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`",
        ),
        (
            Algorithm::ES384,
            "p256.pem",
            "this is a P-256 key and ES384 needs P-384: use ES256 for it, or make a P-384 key with \
             `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`",
        ),
    ] {
        let err = refused(alg, &pem(file));
        assert!(
            matches!(&err, KeyError::WrongKeyType { alg: a, detail: d } if *a == alg && *d == detail),
            "{file} for {alg:?}: {err:?}"
        );
    }
}

#[test]
fn every_key_error_reads_as_a_sentence_with_a_way_out() {
    let errors = [
        SigningKey::hmac("", Algorithm::HS256, &[1; 32]).unwrap_err(),
        SigningKey::hmac("k", Algorithm::HS256, &[1; 8]).unwrap_err(),
        refused(Algorithm::RS256, &pem("rsa1024.pem")),
        refused(Algorithm::ES256, b"junk"),
        KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256))
            .activate("nope")
            .unwrap_err(),
    ];
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages[0],
        "a key id (`kid`, the first argument of the key constructors) must be 1 to 128 \
         characters of [A-Za-z0-9._-], e.g. \"2026-11\""
    );
    assert!(
        messages[1].contains("openssl rand -base64 32"),
        "{}",
        messages[1]
    );
    assert!(messages[2].contains("rsa_keygen_bits"), "{}", messages[2]);
    assert!(messages[3].contains("openssl genpkey"), "{}", messages[3]);
    assert_eq!(
        messages[4],
        "no key with id `nope` is in the key ring; add it first with `KeyRing::insert_signing` \
         or `insert_verifying`"
    );
}

/// Material the parser refuses names what the constructor takes and the
/// openssl command that converts a key to it, not the parser's word for it.
#[test]
fn unreadable_key_material_says_which_encoding_is_wanted() {
    let junk_public = VerifyingKey::from_pem("k", Algorithm::ES256, b"junk").unwrap_err();
    let damaged_pkcs1 = SigningKey::from_pem(
        "k",
        Algorithm::RS256,
        b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
    )
    .unwrap_err();
    let junk_der = VerifyingKey::from_der("k", Algorithm::RS256, b"junk").unwrap_err();
    for (err, alg) in [
        (&junk_public, Algorithm::ES256),
        (&damaged_pkcs1, Algorithm::RS256),
        (&junk_der, Algorithm::RS256),
    ] {
        assert!(
            matches!(err, KeyError::Invalid { alg: a, .. } if *a == alg),
            "{err:?}"
        );
        assert!(
            std::error::Error::source(err).is_some(),
            "the parser's error stays the source"
        );
    }
    assert_eq!(
        junk_public.to_string(),
        "the ES256 key could not be read: ES256 takes a P-256 EC public key in SPKI PEM \
         (`BEGIN PUBLIC KEY`); `openssl pkey -in private.pem -pubout -out public.pem` extracts \
         one from the private key, `openssl x509 -in cert.pem -pubkey -noout -out public.pem` \
         from a certificate, and `openssl pkey -pubin -in key.pem -out public.pem` rewrites a \
         readable public key as SPKI"
    );
    assert_eq!(
        damaged_pkcs1.to_string(),
        "the RS256 key could not be read: RS256 takes an intact RSA private key in PKCS#8 \
         (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`); `openssl pkey -in key.pem \
         -out key-pkcs8.pem` converts a readable key to PKCS#8, and says what is wrong with a \
         damaged one"
    );
    assert_eq!(
        junk_der.to_string(),
        "the RS256 key could not be read: RS256 takes an RSA public key as PKCS#1 \
         `RSAPublicKey` DER; `openssl rsa -pubin -in public.pem -RSAPublicKey_out -outform DER \
         -out public.der` converts a PEM public key to it"
    );
}

/// The key errors whose whole message no other test reads.
#[test]
fn the_other_key_errors_say_what_to_do() {
    let ring = KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256));
    ring.insert_verifying(
        VerifyingKey::from_pem("partner", Algorithm::ES256, &pem("p256.pub.pem")).unwrap(),
    )
    .unwrap();
    let missing = "/nonexistent/jwt.pem";
    let io = std::fs::read(missing).unwrap_err();
    let cases = [
        (
            SigningKey::hmac("k", Algorithm::HS384, &[1; 47]).unwrap_err(),
            "the HS384 secret is 47 bytes; it must be at least 48 bytes (the hash output size): \
             generate one with `openssl rand -base64 48`"
                .to_owned(),
        ),
        (
            refused(Algorithm::RS256, &pem("rsa1024.pem")),
            "the RSA key has 1024 bits; use at least 2048 \
             (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`)"
                .to_owned(),
        ),
        (
            refused(Algorithm::ES256, &pem("ed25519.pem")),
            "the key does not fit algorithm ES256: this is an Ed25519 private key: use it with \
             EdDSA"
                .to_owned(),
        ),
        (
            ring.insert_signing(signing_key("k1", Algorithm::HS256))
                .unwrap_err(),
            "a key with id `k1` is already in the key ring; retire it first or pick another kid"
                .to_owned(),
        ),
        (
            ring.activate("partner").unwrap_err(),
            "the key `partner` can only verify; add it with `KeyRing::insert_signing` to sign \
             with it"
                .to_owned(),
        ),
        (
            ring.retire("k1").unwrap_err(),
            "the key `k1` is the active signing key; activate another key before retiring it"
                .to_owned(),
        ),
        (
            SigningKey::from_pem_file("k", Algorithm::ES256, missing).unwrap_err(),
            format!("cannot read the key file {missing}: {io}"),
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.to_string(), message, "{err:?}");
    }
    // Without aws-lc no key pair is generated at all (a message of its own).
    #[cfg(feature = "aws_lc_rs")]
    assert_eq!(
        SigningKey::generate("k", Algorithm::RS256)
            .unwrap_err()
            .to_string(),
        "no RS256 key could be generated: RSA keys are not generated here; create one with \
         `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`"
    );
}
