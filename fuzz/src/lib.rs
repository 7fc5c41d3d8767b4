//! What the fuzz targets share: the fixed time, issuer and audience, the
//! keys, the claims model, and a runtime to drive the Tower services.

use std::sync::LazyLock;

use serde_json::{Map, Value};
use tower_jwt_cookie::token::{Claims, RegisteredClaims};

/// Every target's "now" (also the `ManualClock` start).
pub const NOW: i64 = 1_800_000_000;
pub const ISSUER: &str = "https://app.example";
pub const AUDIENCE: &str = "app";

/// One runtime per fuzz process: the services under test finish without I/O.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    });
    RUNTIME.block_on(future)
}

/// Claims from a JSON object, the registered members taken where they have
/// the right type (the rest stays custom); `None` if `bytes` is not a JSON object.
pub fn claims_from_json(bytes: &[u8]) -> Option<Claims<Value>> {
    let Value::Object(mut object) = serde_json::from_slice::<Value>(bytes).ok()? else {
        return None;
    };
    let mut string = |name: &str| match object.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let (iss, sub, jti, sid) = (string("iss"), string("sub"), string("jti"), string("sid"));
    let mut int = |name: &str| object.remove(name).and_then(|v| v.as_i64());
    let (exp, nbf, iat) = (int("exp"), int("nbf"), int("iat"));
    let aud = match object.remove("aud") {
        Some(Value::String(s)) => vec![s],
        Some(Value::Array(list)) => list
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    Some(Claims {
        registered: RegisteredClaims {
            iss,
            sub,
            aud,
            exp,
            nbf,
            iat,
            jti,
            sid,
        },
        custom: Value::Object(object),
    })
}

/// A claims set every policy of the targets accepts (at [`NOW`]).
pub fn valid_claims(aud: &str) -> Claims<Value> {
    let mut custom = Map::new();
    custom.insert("roles".into(), Value::from(vec!["user"]));
    Claims {
        registered: RegisteredClaims {
            iss: Some(ISSUER.into()),
            sub: Some("alice".into()),
            aud: vec![aud.into()],
            exp: Some(NOW + 900),
            nbf: None,
            iat: Some(NOW),
            jti: Some("jti-1".into()),
            sid: Some("sid-1".into()),
        },
        custom: Value::Object(custom),
    }
}
