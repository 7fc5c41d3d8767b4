//! The JWK Set parser (`keys::remote::parse_jwks`). Never panics; a set it
//! accepts is non-empty, at most `JWKS_MAX_KEYS`, with unique `kid`s, and every
//! key is public (the document's key objects carry no private or secret
//! member) and bound to one algorithm of its key type — the document's
//! `alg` when it names one. The first byte picks the policy (RSA keys
//! without `alg`: refused, or bound to RS256).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower_jwt_cookie::__fuzz::JWKS_MAX_KEYS;
use tower_jwt_cookie::keys::PublicKey;
use tower_jwt_cookie::keys::remote::{JwksPolicy, parse_jwks};

const PRIVATE: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, document)) = data.split_first() else {
        return;
    };
    let policy = match mode % 3 {
        0 => JwksPolicy::new().rsa_algorithm(None),
        1 => JwksPolicy::new(),
        _ => JwksPolicy::new().skip_encryption_keys(true),
    };
    let Ok(set) = parse_jwks(document, &policy) else {
        return;
    };
    let keys = set.keys();
    assert!(!keys.is_empty() && keys.len() <= JWKS_MAX_KEYS);
    let mut kids: Vec<&str> = set.kids().collect();
    kids.sort_unstable();
    let n = kids.len();
    kids.dedup();
    assert_eq!(kids.len(), n, "duplicate kid accepted");
    for key in keys {
        let alg = key.algorithm().as_str();
        match key.public_key().expect("a JWKS key is a public key") {
            PublicKey::Rsa { .. } => {
                assert!(alg.starts_with("RS") || alg.starts_with("PS"), "{alg}")
            }
            PublicKey::Ec { point } if point.len() == 65 => assert_eq!(alg, "ES256"),
            PublicKey::Ec { point } => assert_eq!((point.len(), alg), (97, "ES384")),
            PublicKey::Ed { x } => assert_eq!((x.len(), alg), (32, "EdDSA")),
            other => panic!("unexpected key {other:?}"),
        }
    }
    let value: Value = serde_json::from_slice(document).expect("accepted JSON parses");
    for jwk in value["keys"].as_array().expect("accepted set has keys") {
        let jwk = jwk.as_object().unwrap();
        for member in PRIVATE {
            assert!(!jwk.contains_key(member), "accepted a key with `{member}`");
        }
        if let (Some(alg), Some(kid)) = (jwk.get("alg"), jwk.get("kid").and_then(Value::as_str)) {
            if let Some(key) = set.get(Some(kid)) {
                assert_eq!(Some(key.algorithm().as_str()), alg.as_str());
            }
        }
    }
});
