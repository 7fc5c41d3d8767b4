//! The token pipeline (split, header, key lookup, signature, claims) with
//! real keys: HS256 `k1` and EdDSA `k2` (Ed25519 signatures are
//! deterministic and, checked strictly, not malleable — unlike ECDSA's `s`
//! and `n - s` — so "accepted" can be compared byte for byte).
//!
//! Modes 0 and 1 verify every token three times, and the answers must be
//! the same: with the per-thread header memo as an earlier input left it,
//! with it emptied, and with it as that fresh reading left it.
//!
//! First byte: the mode.
//! * 0: the rest is a token. Accepted only if it is byte for byte one of
//!   the tokens the keys signed.
//! * 1: the rest edits a signed token (pairs of position, byte: overwrite,
//!   insert, delete); the same invariant.
//! * 2: the rest is a claims JSON the harness signs itself; verifying it
//!   must give those claims back, or refuse them for a claims reason, never
//!   for the signature or the encoding.
#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::token::{self, TokenKind, ValidationPolicy};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Rejection};
use tower_jwt_cookie_fuzz::{AUDIENCE, ISSUER, NOW, claims_from_json, valid_claims};

struct Fixture {
    keys: KeyRing,
    signers: [Arc<SigningKey>; 2],
    policy: ValidationPolicy,
    /// Every token the keys signed for the fixed claims (access and refresh).
    signed: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let keys =
        KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[7; 32]).unwrap());
    let hmac = keys.signing_key().unwrap();
    keys.insert_signing(SigningKey::generate("k2", Algorithm::EdDSA).unwrap())
        .unwrap();
    keys.activate("k2").unwrap();
    let ed = keys.signing_key().unwrap();
    let auth = CookieAuth::builder(keys.clone(), MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let policy = auth.policy().clone();
    let mut signed = Vec::new();
    for key in [&hmac, &ed] {
        signed.push(token::encode(key, TokenKind::Access, &valid_claims(AUDIENCE)).unwrap());
        let refresh = valid_claims(policy.refresh_audience());
        signed.push(token::encode(key, TokenKind::Refresh, &refresh).unwrap());
    }
    Fixture {
        keys,
        signers: [hmac, ed],
        policy,
        signed,
    }
});

fn check_unsigned(f: &Fixture, token: &[u8]) {
    let shown = String::from_utf8_lossy(token);
    for kind in [TokenKind::Access, TokenKind::Refresh] {
        // With whatever header an earlier input left in the per-thread
        // memo, afresh, and from the memo the fresh reading may have
        // filled: the same answer each time.
        let verify = || token::verify::<Value>(token, kind, &f.keys, &f.policy, NOW);
        let verified = verify();
        tower_jwt_cookie::__fuzz::forget_header_memo();
        let fresh = verify();
        let again = verify();
        assert_eq!(verified, fresh, "{shown:?}");
        assert_eq!(fresh, again, "{shown:?}");
        if verified.is_ok() {
            assert!(
                f.signed.iter().any(|s| s.as_bytes() == token),
                "accepted a token no key signed: {shown:?}"
            );
        }
    }
}

fn edit(f: &Fixture, script: &[u8]) -> Vec<u8> {
    let Some((&which, mut ops)) = script.split_first() else {
        return f.signed[0].as_bytes().to_vec();
    };
    let mut token = f.signed[usize::from(which) % f.signed.len()]
        .as_bytes()
        .to_vec();
    while let [op, pos, byte, rest @ ..] = ops {
        let at = usize::from(*pos) * 2 % (token.len() + 1);
        match op % 3 {
            0 if at < token.len() => token[at] = *byte,
            1 => token.insert(at, *byte),
            _ if at < token.len() => {
                token.remove(at);
            }
            _ => {}
        }
        ops = rest;
    }
    token
}

fn check_self_signed(f: &Fixture, json: &[u8], key: &SigningKey) {
    let Some(claims) = claims_from_json(json) else {
        return;
    };
    let Ok(jwt) = token::encode(key, TokenKind::Access, &claims) else {
        return;
    };
    match token::verify::<Value>(jwt.as_bytes(), TokenKind::Access, &f.keys, &f.policy, NOW) {
        Ok(verified) => {
            assert_eq!(verified.registered, claims.registered);
            // `Value` custom claims see the whole payload: the signed
            // custom members are all there, unchanged.
            // Compared after one serialize-parse trip: serde_json's float
            // parsing does not round-trip every f64 (its `float_roundtrip`
            // feature), so signing can change a huge number's last digit.
            for (name, value) in claims.custom.as_object().unwrap() {
                let trip: Value = serde_json::from_str(&value.to_string()).unwrap();
                assert_eq!(verified.custom.get(name), Some(&trip), "{name}");
            }
            let r = &verified.registered;
            assert_eq!(r.iss.as_deref(), Some(ISSUER));
            assert!(r.aud.iter().any(|a| a == AUDIENCE));
            assert!(r.exp.is_some_and(|exp| exp > NOW - f.policy.leeway()));
            assert!(r.sub.is_some() && r.jti.is_some() && r.sid.is_some());
        }
        Err(rejection) => assert!(
            !matches!(
                rejection,
                Rejection::BadSignature | Rejection::Malformed(_) | Rejection::UnknownKey
            ),
            "a token the key signed was refused as {rejection:?}: {jwt}"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let f = &*FIXTURE;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => check_unsigned(f, rest),
        1 => check_unsigned(f, &edit(f, rest)),
        _ => check_self_signed(f, rest, &f.signers[usize::from(mode / 3) % 2]),
    }
});
