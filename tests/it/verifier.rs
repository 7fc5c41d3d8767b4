//! The attacks on JWT verifiers that RFC 8725 (JWT Best Current Practices)
//! §2 describes and the checks RFC 7515, 7518 and 7519 require, each
//! through the verifier layer in front of an axum Router and a bare
//! `tower::service_fn`: `alg: none` and algorithm confusion (RFC 8725 §2.1,
//! §3.1; CVE-2015-9235), keys embedded in or linked from the header (RFC
//! 7515 §4.1.2–4.1.6), `crit` (RFC 7515 §4.1.11), the time claims (RFC 7519
//! §4.1.4–4.1.6), issuer, audience and explicit typing (RFC 8725 §3.8, §3.9,
//! §3.11), key strength (RFC 7518 §3.2, §3.3), ECDSA signatures of zeros
//! (CVE-2022-21449), size and parsing limits, and revocation checked last.

use std::time::Duration;

use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Request, StatusCode};
use serde_json::json;
use tower_jwt_cookie::keys::{KeyError, KeyRing, SigningKey, VerifyingKey};
use tower_jwt_cookie::revocation::{RevocationStore, SessionRevocation, TokenRevocation};
use tower_jwt_cookie::token::{self, RequiredClaim, TokenKind};
use tower_jwt_cookie::{Algorithm, ConfigError, CookieAuth, MemoryStore, Rejection};

use crate::support::*;

// 1. alg none, in every letter case, and empty signatures.

#[tokio::test]
async fn rejects_alg_none_in_any_case() {
    let f = Fixture::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = assemble(&header(alg), &payload(NOW), b"");
        // With no signature at all the token has an empty third part.
        assert_refused(
            &f.auth,
            &token,
            Rejection::Malformed("the signature is empty"),
        )
        .await;
        let token = assemble(&header(alg), &payload(NOW), b"x");
        assert_refused(&f.auth, &token, Rejection::AlgorithmNotAllowed).await;
    }
}

#[tokio::test]
async fn rejects_a_valid_token_with_its_signature_removed() {
    let f = Fixture::new();
    let token = f.mint(|_| {});
    let unsigned = &token[..=token.rfind('.').unwrap()];
    assert_refused(
        &f.auth,
        unsigned,
        Rejection::Malformed("the signature is empty"),
    )
    .await;
}

// 2. Algorithm allow-list: each key is bound to one algorithm.

#[tokio::test]
async fn rejects_hs256_token_signed_with_the_rsa_public_key_pem() {
    // CVE-2022-29217 and kin: an HS256 token whose HMAC key is the public PEM.
    let f = Fixture::with_key(signing_key("k1", Algorithm::RS256));
    let forged = forge_hs256(&header("HS256"), &payload(NOW), &pem("rsa2048.pub.pem"));
    assert_refused(&f.auth, &forged, Rejection::AlgorithmNotAllowed).await;
}

#[tokio::test]
async fn rejects_hs256_token_signed_with_the_ec_and_ed_public_keys() {
    for (alg, file) in [
        (Algorithm::ES256, "p256.pub.pem"),
        (Algorithm::EdDSA, "ed25519.pub.pem"),
    ] {
        let f = Fixture::with_key(signing_key("k1", alg));
        let forged = forge_hs256(&header("HS256"), &payload(NOW), &pem(file));
        assert_refused(&f.auth, &forged, Rejection::AlgorithmNotAllowed).await;
    }
}

#[tokio::test]
async fn rejects_a_token_whose_alg_differs_from_its_keys_even_in_the_same_family() {
    let f = Fixture::with_key(signing_key("k1", Algorithm::RS256));
    let token = f.mint(|_| {});
    let parts: Vec<&str> = token.split('.').collect();
    let ps256 = URL_SAFE_NO_PAD.encode(header("PS256").to_string());
    let relabelled = format!("{ps256}.{}.{}", parts[1], parts[2]);
    assert_refused(&f.auth, &relabelled, Rejection::AlgorithmNotAllowed).await;
}

#[tokio::test]
async fn accepts_tokens_of_every_supported_algorithm() {
    use Algorithm::*;
    for alg in [
        HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
    ] {
        let f = Fixture::with_key(signing_key("k1", alg));
        let token = f.mint(|_| {});
        assert_accepted(&f.auth, &token).await;
    }
}

#[tokio::test]
async fn rejects_unknown_algorithm_names_and_a_non_string_alg() {
    let f = Fixture::new();
    for alg in [
        json!("hs256"),
        json!("HS257"),
        json!(""),
        json!(256),
        json!(null),
    ] {
        let header = json!({ "alg": alg, "typ": "at+jwt", "kid": "k1" });
        let forged = forge_hs256(&header, &payload(NOW), &SECRET);
        assert_refused(&f.auth, &forged, Rejection::AlgorithmNotAllowed).await;
    }
}

// 3. exp required; nbf and iat checked; bounded leeway; time claims typed.

#[tokio::test]
async fn requires_exp_by_default_and_refuses_to_make_it_optional() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.exp = None);
    assert_refused(&f.auth, &token, Rejection::InvalidClaim("exp")).await;
    let err = CookieAuth::builder(KeyRing::new(), MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .allow_missing(RequiredClaim::Exp)
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::ExpMustBeRequired);
}

#[tokio::test]
async fn rejects_a_token_at_and_after_its_expiry() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.exp = Some(NOW + 10));
    assert_accepted(&f.auth, &token).await;
    f.clock.advance(9);
    assert_accepted(&f.auth, &token).await;
    f.clock.advance(1);
    assert_refused(&f.auth, &token, Rejection::Expired).await;
}

#[tokio::test]
async fn leeway_extends_expiry_by_at_most_its_length() {
    let f = Fixture::build(
        KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
        MemoryStore::new(),
        |b| b.leeway(Duration::from_secs(60)),
    );
    let token = f.mint(|c| c.registered.exp = Some(NOW));
    f.clock.advance(59);
    assert_accepted(&f.auth, &token).await;
    f.clock.advance(1);
    assert_refused(&f.auth, &token, Rejection::Expired).await;
}

#[tokio::test]
async fn refuses_a_leeway_over_sixty_seconds_at_build_time() {
    let err = CookieAuth::builder(KeyRing::new(), MemoryStore::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .leeway(Duration::from_secs(61))
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::LeewayTooLong(61));
    assert!(err.to_string().contains("at most 60 s"), "{err}");
}

#[tokio::test]
async fn rejects_nbf_in_the_future_and_iat_in_the_future() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.nbf = Some(NOW + 1));
    assert_refused(&f.auth, &token, Rejection::NotYetValid).await;
    let token = f.mint(|c| c.registered.iat = Some(NOW + 1));
    assert_refused(&f.auth, &token, Rejection::IssuedInFuture).await;
}

#[tokio::test]
async fn rejects_tokens_older_than_the_maximum_age() {
    let f = Fixture::build(
        KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256)),
        MemoryStore::new(),
        |b| b.max_age(Duration::from_secs(300)),
    );
    let token = f.mint(|_| {});
    f.clock.advance(300);
    assert_accepted(&f.auth, &token).await;
    f.clock.advance(1);
    assert_refused(&f.auth, &token, Rejection::TooOld).await;
}

#[tokio::test]
async fn rejects_time_claims_that_are_not_numbers_instead_of_ignoring_them() {
    // jsonwebtoken CVE-2026-25537: a string exp was treated as absent.
    let f = Fixture::new();
    for (claim, name) in [("exp", "exp"), ("nbf", "nbf"), ("iat", "iat")] {
        for value in [
            json!("9999999999"),
            json!(null),
            json!(true),
            json!([1]),
            json!({"a": 1}),
        ] {
            let mut p = payload(NOW);
            p[claim] = value;
            let forged = forge_hs256(&header("HS256"), &p, &SECRET);
            assert_refused(&f.auth, &forged, Rejection::InvalidClaim(name)).await;
        }
    }
}

// 4. iss, aud and typ; access and refresh tokens are mutually exclusive.

#[tokio::test]
async fn rejects_wrong_or_missing_issuer() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.iss = Some("https://evil.example".into()));
    assert_refused(&f.auth, &token, Rejection::WrongIssuer).await;
    let token = f.mint(|c| c.registered.iss = None);
    assert_refused(&f.auth, &token, Rejection::InvalidClaim("iss")).await;
}

#[tokio::test]
async fn rejects_wrong_or_missing_audience_and_accepts_it_in_a_list() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.aud = vec!["other".into()]);
    assert_refused(&f.auth, &token, Rejection::WrongAudience).await;
    let token = f.mint(|c| c.registered.aud = vec![]);
    assert_refused(&f.auth, &token, Rejection::InvalidClaim("aud")).await;
    let token = f.mint(|c| c.registered.aud = vec!["other".into(), AUDIENCE.into()]);
    assert_accepted(&f.auth, &token).await;
}

#[tokio::test]
async fn rejects_a_refresh_token_presented_as_an_access_token() {
    let f = Fixture::new();
    let refresh = f.mint_kind(TokenKind::Refresh, |c| {
        c.registered.aud = vec![format!("{AUDIENCE}#refresh")]
    });
    assert_refused(&f.auth, &refresh, Rejection::WrongType).await;
    // And the reverse: an access token is not a refresh token.
    let access = f.mint(|_| {});
    let as_refresh = token::verify::<serde_json::Value>(
        access.as_bytes(),
        TokenKind::Refresh,
        &f.ring,
        f.auth.policy(),
        NOW,
    );
    assert_eq!(as_refresh, Err(Rejection::WrongType));
    // Even with the right typ, the refresh audience is not the access audience.
    let relabelled = forge_hs256(
        &json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1" }),
        &{
            let mut p = payload(NOW);
            p["aud"] = json!(format!("{AUDIENCE}#refresh"));
            p
        },
        &SECRET,
    );
    assert_refused(&f.auth, &relabelled, Rejection::WrongAudience).await;
}

#[tokio::test]
async fn rejects_missing_or_generic_typ() {
    let f = Fixture::new();
    for header in [
        json!({ "alg": "HS256", "kid": "k1" }),
        json!({ "alg": "HS256", "kid": "k1", "typ": "JWT" }),
    ] {
        let forged = forge_hs256(&header, &payload(NOW), &SECRET);
        assert_refused(&f.auth, &forged, Rejection::WrongType).await;
    }
    let forged = forge_hs256(
        &json!({ "alg": "HS256", "kid": "k1", "typ": "application/at+jwt" }),
        &payload(NOW),
        &SECRET,
    );
    assert_accepted(&f.auth, &forged).await;
}

#[tokio::test]
async fn rejects_tokens_missing_sub_jti_or_sid_by_default() {
    let f = Fixture::new();
    let token = f.mint(|c| c.registered.sub = None);
    assert_refused(&f.auth, &token, Rejection::InvalidClaim("sub")).await;
    let token = f.mint(|c| c.registered.jti = None);
    assert_refused(&f.auth, &token, Rejection::InvalidClaim("jti")).await;
    let token = f.mint(|c| c.registered.sid = None);
    assert_refused(&f.auth, &token, Rejection::InvalidClaim("sid")).await;
}

// 5. kid only selects among configured keys.

#[tokio::test]
async fn rejects_an_unknown_kid_cleanly() {
    let f = Fixture::new();
    for kid in [json!("k2"), json!("../../etc/passwd"), json!("' OR 1=1 --")] {
        let forged = forge_hs256(
            &json!({ "alg": "HS256", "typ": "at+jwt", "kid": kid }),
            &payload(NOW),
            &SECRET,
        );
        assert_refused(&f.auth, &forged, Rejection::UnknownKey).await;
    }
    let forged = forge_hs256(
        &json!({ "alg": "HS256", "typ": "at+jwt", "kid": 7 }),
        &payload(NOW),
        &SECRET,
    );
    assert_refused(
        &f.auth,
        &forged,
        Rejection::Malformed("the kid header is not a string"),
    )
    .await;
}

#[tokio::test]
async fn a_token_without_kid_matches_only_a_sole_key() {
    let f = Fixture::new();
    let no_kid = forge_hs256(
        &json!({ "alg": "HS256", "typ": "at+jwt" }),
        &payload(NOW),
        &SECRET,
    );
    assert_accepted(&f.auth, &no_kid).await;
    f.ring
        .insert_signing(signing_key("k2", Algorithm::HS256))
        .unwrap();
    assert_refused(&f.auth, &no_kid, Rejection::UnknownKey).await;
}

// 6. Key material named by the token is never used; crit is refused.

#[tokio::test]
async fn ignores_keys_embedded_in_or_linked_from_the_header() {
    let f = Fixture::with_key(signing_key("k1", Algorithm::ES256));
    let attacker = b"attacker-chosen-secret-32-bytes!";
    let jwk = json!({ "kty": "oct", "k": URL_SAFE_NO_PAD.encode(attacker) });
    for header in [
        json!({ "alg": "HS256", "typ": "at+jwt", "jwk": jwk }),
        json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1", "jku": "http://127.0.0.1:1/jwks.json" }),
        json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1", "x5u": "http://127.0.0.1:1/cert.pem" }),
        json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1", "x5c": ["MIIB"] }),
    ] {
        let forged = forge_hs256(&header, &payload(NOW), attacker);
        assert_refused(&f.auth, &forged, Rejection::AlgorithmNotAllowed).await;
    }
    // An ES256 header with the attacker's own embedded EC key fails the signature.
    let token = f.mint(|_| {});
    let sig = token.rsplit('.').next().unwrap();
    let header = json!({ "alg": "ES256", "typ": "at+jwt", "kid": "k1", "jwk": { "kty": "EC" } });
    let forged = format!(
        "{}.{}.{sig}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload(NOW).to_string())
    );
    assert_refused(&f.auth, &forged, Rejection::BadSignature).await;
}

#[tokio::test]
async fn rejects_any_crit_header() {
    let f = Fixture::new();
    for crit in [
        json!(["exp"]),
        json!(["b64"]),
        json!([]),
        json!(null),
        json!("x"),
    ] {
        let header =
            json!({ "alg": "HS256", "typ": "at+jwt", "kid": "k1", "crit": crit, "exp": 1 });
        let forged = forge_hs256(&header, &payload(NOW), &SECRET);
        assert_refused(&f.auth, &forged, Rejection::UnsupportedCritical).await;
    }
}

// 7. Input bounded before parsing.

#[tokio::test]
async fn rejects_oversized_tokens_before_parsing() {
    let f = Fixture::new();
    let big = format!(
        "{}.{}.{}",
        "a".repeat(3000),
        "b".repeat(3000),
        "c".repeat(3000)
    );
    assert_refused(&f.auth, &big, Rejection::TooLarge { limit: 8192 }).await;
    let dots = ".".repeat(20_000);
    assert_refused(&f.auth, &dots, Rejection::TooLarge { limit: 8192 }).await;
}

#[tokio::test]
async fn rejects_non_compact_forms_and_characters_outside_base64url() {
    let f = Fixture::new();
    let token = f.mint(|_| {});
    let three_parts = Rejection::Malformed("a compact JWS has exactly three parts");
    let alphabet = Rejection::Malformed("the token has characters outside base64url");
    assert_refused(&f.auth, &".".repeat(8000), three_parts.clone()).await;
    assert_refused(&f.auth, &format!("{token}.extra"), three_parts.clone()).await;
    assert_refused(&f.auth, "a.b", three_parts).await;
    assert_refused(&f.auth, &format!("\"{token}\""), alphabet.clone()).await;
    assert_refused(&f.auth, &token.replacen('.', "+", 1), alphabet.clone()).await;
    let json_serialization = r#"{"payload":"e30","signatures":[]}"#;
    assert_refused(&f.auth, json_serialization, alphabet).await;
}

#[tokio::test]
async fn rejects_garbage_and_non_json_parts() {
    let f = Fixture::new();
    assert_refused(
        &f.auth,
        "abc.def.ghi",
        Rejection::Malformed("the header is not a JSON object"),
    )
    .await;
    assert_refused(
        &f.auth,
        "a.b.c",
        Rejection::Malformed("the header is not base64url"),
    )
    .await;
    // A valid signature over a payload that is not JSON.
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header("HS256").to_string()),
        URL_SAFE_NO_PAD.encode("not json")
    );
    let forged = sign_hs256(&input);
    assert_refused(
        &f.auth,
        &forged,
        Rejection::Malformed("the payload is not a JSON object of claims"),
    )
    .await;
}

#[tokio::test]
async fn rejects_deeply_nested_and_duplicate_key_json() {
    let f = Fixture::new();
    // 2,500 levels of nesting in a signed payload, inside the size limit: the
    // registered claims skip it; the custom claims (a serde_json::Value here)
    // hit serde_json's recursion limit. A typed rejection, never a stack overflow.
    let mut deep = payload(NOW).to_string();
    deep.pop();
    deep += r#","deep":"#;
    deep += &"[".repeat(2500);
    deep += &"]".repeat(2500);
    deep.push('}');
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header("HS256").to_string()),
        URL_SAFE_NO_PAD.encode(&deep)
    );
    let signed = sign_hs256(&input);
    assert!(signed.len() < 8192);
    assert_refused(
        &f.auth,
        &signed,
        Rejection::Malformed("the custom claims do not have the expected shape"),
    )
    .await;

    let deep_header = format!(
        "{}.e30.c2ln",
        URL_SAFE_NO_PAD.encode(format!("{}{}", "[".repeat(2000), "]".repeat(2000)))
    );
    assert_refused(
        &f.auth,
        &deep_header,
        Rejection::Malformed("the header is not a JSON object"),
    )
    .await;
    let duplicate_alg =
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","alg":"none","typ":"at+jwt","kid":"k1"}"#);
    assert_refused(
        &f.auth,
        &format!("{duplicate_alg}.e30.c2ln"),
        Rejection::Malformed("the header is not a JSON object"),
    )
    .await;
    // A duplicated claim is refused too: no "first one wins" confusion.
    let dup_exp = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"a","iat":{NOW},"exp":{},"exp":{},"jti":"j","sid":"s"}}"#,
        NOW + 900,
        NOW - 900
    );
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header("HS256").to_string()),
        URL_SAFE_NO_PAD.encode(dup_exp)
    );
    assert_refused(
        &f.auth,
        &sign_hs256(&input),
        Rejection::Malformed("the payload is not a JSON object of claims"),
    )
    .await;
}

fn sign_hs256(input: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&SECRET).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn survives_a_huge_cookie_header_and_non_utf8_bytes() {
    let f = Fixture::new();
    let token = f.mint(|_| {});
    for stack in STACKS {
        let huge = format!(
            "{}; __Host-Http-access={token}",
            "x=".to_owned() + &"y".repeat(100_000)
        );
        let request = Request::get("/api/me")
            .header("cookie", huge)
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&f.auth, stack, request).await.status, StatusCode::OK);

        let mut raw = b"a=\xff\xfe\x80; __Host-Http-access=".to_vec();
        raw.extend_from_slice(token.as_bytes());
        let value = http::HeaderValue::from_bytes(&raw).unwrap();
        let request = Request::get("/api/me")
            .header("cookie", value)
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&f.auth, stack, request).await.status, StatusCode::OK);

        let value = http::HeaderValue::from_bytes(b"__Host-Http-access=\xff\xfe.\x80.x").unwrap();
        let request = Request::get("/api/me")
            .header("cookie", value)
            .body(Body::empty())
            .unwrap();
        let outcome = send(&f.auth, stack, request).await;
        assert_eq!(
            outcome.rejection,
            Some(Rejection::Malformed(
                "the token has characters outside base64url"
            ))
        );
    }
}

#[tokio::test]
async fn rejects_headers_and_claims_that_are_json_arrays() {
    // Serde structs read arrays by position; RFC 7515/7519 require objects.
    let f = Fixture::new();
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"["HS256","at+jwt","k1",null]"#),
        URL_SAFE_NO_PAD.encode(payload(NOW).to_string())
    );
    assert_refused(
        &f.auth,
        &sign_hs256(&input),
        Rejection::Malformed("the header is not a JSON object"),
    )
    .await;
    let claims = format!(
        r#"["{ISSUER}","alice","{AUDIENCE}",{},null,{NOW},"j","s"]"#,
        NOW + 900
    );
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header("HS256").to_string()),
        URL_SAFE_NO_PAD.encode(claims)
    );
    assert_refused(
        &f.auth,
        &sign_hs256(&input),
        Rejection::Malformed("the payload is not a JSON object of claims"),
    )
    .await;
}

#[tokio::test]
async fn rejects_a_signature_whose_base64_differs_only_in_unused_bits() {
    // A 32-byte HMAC is 43 base64url characters; the last carries 2 data bits
    // and 4 unused ones. Flipping an unused bit decodes to the same bytes,
    // so a lenient decoder would accept a second spelling of the token.
    let f = Fixture::new();
    let token = f.mint(|_| {});
    assert_accepted(&f.auth, &token).await;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *token.as_bytes().last().unwrap();
    let index = ALPHABET.iter().position(|&c| c == last).unwrap();
    let twin = ALPHABET[index ^ 1] as char;
    let respelled = format!("{}{twin}", &token[..token.len() - 1]);
    assert_refused(
        &f.auth,
        &respelled,
        Rejection::Malformed("the signature is not base64url"),
    )
    .await;
}

// 8. Signature before claims.

#[tokio::test]
async fn reports_a_bad_signature_before_an_expired_claim() {
    let f = Fixture::new();
    let mut p = payload(NOW);
    p["exp"] = json!(0);
    let forged = forge_hs256(&header("HS256"), &p, b"not-the-real-secret-not-the-real");
    assert_refused(&f.auth, &forged, Rejection::BadSignature).await;
    let forged = forge_hs256(
        &header("HS256"),
        &json!({"exp": "garbage"}),
        b"not-the-real-secret-not-the-real",
    );
    assert_refused(&f.auth, &forged, Rejection::BadSignature).await;
}

// 9. Key strength.

#[test]
fn refuses_rsa_keys_under_2048_bits() {
    let err = SigningKey::from_pem("k", Algorithm::RS256, &pem("rsa1024.pem")).unwrap_err();
    assert!(
        matches!(err, KeyError::RsaTooSmall { bits: 1024 }),
        "{err:?}"
    );
    let err = VerifyingKey::from_pem("k", Algorithm::RS256, &pem("rsa1024.pub.pem")).unwrap_err();
    assert!(
        matches!(err, KeyError::RsaTooSmall { bits: 1024 }),
        "{err:?}"
    );
    assert!(SigningKey::from_pem("k", Algorithm::PS256, &pem("rsa2048.pem")).is_ok());
}

#[test]
fn refuses_hmac_secrets_shorter_than_the_hash_output() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let err = SigningKey::hmac("k", alg, &vec![1; min - 1]).unwrap_err();
        assert!(
            matches!(err, KeyError::SecretTooShort { len, min: m, .. } if len == min - 1 && m == min),
            "{err:?}"
        );
        assert!(err.to_string().contains("openssl rand"), "{err}");
        assert!(SigningKey::hmac("k", alg, &vec![1; min]).is_ok());
        assert!(VerifyingKey::hmac("k", alg, &vec![1; min - 1]).is_err());
    }
}

#[test]
fn binds_each_key_to_its_algorithm_family() {
    assert!(matches!(
        SigningKey::from_pem("k", Algorithm::HS256, &pem("rsa2048.pem")),
        Err(KeyError::WrongKeyType { .. })
    ));
    assert!(matches!(
        SigningKey::hmac("k", Algorithm::RS256, &[1; 64]),
        Err(KeyError::WrongKeyType { .. })
    ));
    assert!(SigningKey::from_pem("k", Algorithm::ES256, &pem("p384.pem")).is_err());
    assert!(SigningKey::from_pem("k", Algorithm::ES384, &pem("p256.pem")).is_err());
    assert!(matches!(
        VerifyingKey::from_pem("k", Algorithm::ES384, &pem("p256.pub.pem")),
        Err(KeyError::WrongKeyType { .. })
    ));
    assert!(SigningKey::from_pem("k", Algorithm::EdDSA, &pem("p256.pem")).is_err());
}

#[tokio::test]
async fn rejects_ecdsa_signatures_with_r_and_s_zero() {
    // CVE-2022-21449 ("psychic signatures").
    for (alg, name, len) in [
        (Algorithm::ES256, "ES256", 64),
        (Algorithm::ES384, "ES384", 96),
    ] {
        let f = Fixture::with_key(signing_key("k1", alg));
        let forged = assemble(&header(name), &payload(NOW), &vec![0; len]);
        assert_refused(&f.auth, &forged, Rejection::BadSignature).await;
    }
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let secret = b"super-secret-value-0123456789abc";
    let key = SigningKey::hmac("k1", Algorithm::HS256, secret).unwrap();
    let mut shown = format!("{key:?} {:?}", key.verifying_key());
    shown += &format!("{:?}", KeyRing::with_signing_key(key));
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!shown.contains("super-secret"), "{shown}");
    let bytes = format!("{:?}", &secret[..]);
    assert!(!shown.contains(&bytes[1..20]), "{shown}");
}

// 10. Revocation checked last, keyed by jti / sid / subject.

#[tokio::test]
async fn checks_revocation_only_after_signature_and_claims_pass() {
    let f = Fixture::with_store(TestStore::default());
    let bad_sig = forge_hs256(
        &header("HS256"),
        &payload(NOW),
        b"not-the-real-secret-not-the-real",
    );
    assert_refused(&f.auth, &bad_sig, Rejection::BadSignature).await;
    let expired = f.mint(|c| c.registered.exp = Some(NOW - 1));
    assert_refused(&f.auth, &expired, Rejection::Expired).await;
    assert_eq!(f.auth.store().checks(), 0);
    assert_accepted(&f.auth, &f.mint(|_| {})).await;
    assert_eq!(f.auth.store().checks(), 2, "one check per stack");
}

#[tokio::test]
async fn rejects_tokens_revoked_by_jti_session_or_subject() {
    let f = Fixture::new();
    let store = f.auth.store();
    let token = f.mint(|c| c.registered.jti = Some("t-1".into()));
    assert_accepted(&f.auth, &token).await;
    let revocation = TokenRevocation {
        sub: "alice",
        jti: "t-1",
        expires_at: NOW + 900,
    };
    store.revoke_token(revocation).await.unwrap();
    assert_refused(&f.auth, &token, Rejection::Revoked).await;

    let token = f.mint(|c| c.registered.sid = Some("sid-9".into()));
    assert_accepted(&f.auth, &token).await;
    let revocation = SessionRevocation {
        sub: "alice",
        sid: "sid-9",
        expires_at: NOW + 900,
    };
    store.revoke_session(revocation).await.unwrap();
    assert_refused(&f.auth, &token, Rejection::Revoked).await;

    let old = f.mint(|c| c.registered.sub = Some("bob".into()));
    store
        .revoke_subject("bob", NOW + 1, NOW + 900)
        .await
        .unwrap();
    assert_refused(&f.auth, &old, Rejection::Revoked).await;
    f.clock.advance(1);
    let fresh = f.mint(|c| c.registered.sub = Some("bob".into()));
    for stack in STACKS {
        assert_eq!(
            send(&f.auth, stack, cookie_request(&fresh)).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn revocation_by_jti_covers_every_byte_form_of_an_ecdsa_token() {
    // ECDSA signatures are malleable (s and n - s both verify); revocation is
    // keyed by jti, so a re-encoded signature cannot dodge it.
    let f = Fixture::with_key(signing_key("k1", Algorithm::ES256));
    let token = f.mint(|c| c.registered.jti = Some("ec-1".into()));
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let malleated = format!("{input}.{}", URL_SAFE_NO_PAD.encode(negate_s_p256(&sig)));
    assert_accepted(&f.auth, &malleated).await;
    f.auth
        .store()
        .revoke_token(TokenRevocation {
            sub: "alice",
            jti: "ec-1",
            expires_at: NOW + 900,
        })
        .await
        .unwrap();
    assert_refused(&f.auth, &token, Rejection::Revoked).await;
    assert_refused(&f.auth, &malleated, Rejection::Revoked).await;
}

/// Returns `r || (n - s)` for a P-256 signature `r || s`.
fn negate_s_p256(sig: &[u8]) -> Vec<u8> {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let (r, s) = sig.split_at(32);
    let mut out = r.to_vec();
    let mut neg = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - s[i] as i16 - borrow;
        borrow = i16::from(d < 0);
        neg[i] = (d + 256 * borrow) as u8;
    }
    out.extend_from_slice(&neg);
    out
}

// 11. Store errors fail closed.

#[tokio::test]
async fn refuses_with_503_when_the_store_cannot_answer() {
    let f = Fixture::with_store(TestStore::broken());
    let token = f.mint(|_| {});
    assert_refused(&f.auth, &token, Rejection::StoreUnavailable).await;
    assert_eq!(f.auth.store().checks(), 2);
    for stack in STACKS {
        let outcome = send(&f.auth, stack, cookie_request(&token)).await;
        assert_eq!(outcome.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outcome.headers.get("www-authenticate"), None);
    }
}
