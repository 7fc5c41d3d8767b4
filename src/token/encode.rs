use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::policy::TokenKind;
use super::{Claims, RegisteredClaims};
use crate::keys::SigningKey;

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The custom claims do not serialize to a JSON object.
    #[error("custom claims must serialize to a JSON object (a struct or a map)")]
    CustomClaimsNotAnObject,
    /// The custom claims reuse a registered claim's name.
    #[error("custom claim `{0}` collides with a registered claim; rename it")]
    ReservedClaim(String),
    /// Serializing the custom claims failed.
    #[error("custom claims could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The crypto backend could not sign.
    #[error("the crypto backend could not sign the token")]
    SignFailed,
}

const REGISTERED: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid"];

/// Signs `claims` as a compact JWS of `kind` with `key`; the header carries
/// the key's `alg` and `kid` and the kind's `typ`.
pub fn encode<C: Serialize>(
    key: &SigningKey,
    kind: TokenKind,
    claims: &Claims<C>,
) -> Result<String, EncodeError> {
    let header = json!({ "alg": key.algorithm().as_str(), "typ": kind.typ(), "kid": key.kid() });
    let mut payload = match serde_json::to_value(&claims.custom)? {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => return Err(EncodeError::CustomClaimsNotAnObject),
    };
    if let Some(name) = REGISTERED.iter().find(|name| payload.contains_key(**name)) {
        return Err(EncodeError::ReservedClaim((*name).to_owned()));
    }
    insert_registered(&mut payload, &claims.registered);

    let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(&payload)?, &mut token);
    let signature = key.sign(token.as_bytes()).ok_or(EncodeError::SignFailed)?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

fn insert_registered(payload: &mut Map<String, Value>, claims: &RegisteredClaims) {
    let mut put = |name: &str, value: Value| {
        payload.insert(name.to_owned(), value);
    };
    let strings = [
        ("iss", &claims.iss),
        ("sub", &claims.sub),
        ("jti", &claims.jti),
        ("sid", &claims.sid),
    ];
    for (name, value) in strings {
        if let Some(v) = value {
            put(name, Value::from(v.as_str()));
        }
    }
    for (name, value) in [
        ("exp", claims.exp),
        ("nbf", claims.nbf),
        ("iat", claims.iat),
    ] {
        if let Some(v) = value {
            put(name, Value::from(v));
        }
    }
    match claims.aud.as_slice() {
        [] => {}
        [one] => put("aud", Value::from(one.as_str())),
        many => put("aud", Value::from(many.to_vec())),
    }
}
