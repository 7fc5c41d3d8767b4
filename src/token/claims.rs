use serde::de::{DeserializeOwned, IgnoredAny};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The registered claims this crate reads and writes (RFC 7519 §4.1, plus
/// `sid`, the session id of OpenID Connect Front-Channel Logout).
///
/// Times are whole seconds since the Unix epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisteredClaims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject: the user id.
    pub sub: Option<String>,
    /// Audiences.
    pub aud: Vec<String>,
    /// Expiry.
    pub exp: Option<i64>,
    /// Not before.
    pub nbf: Option<i64>,
    /// Issued at.
    pub iat: Option<i64>,
    /// Token id, the key for revoking one token.
    pub jti: Option<String>,
    /// Session id: the refresh family this token belongs to.
    pub sid: Option<String>,
}

/// Registered claims plus the application's own claims `C`, which sit beside
/// them at the top level of the JWT payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims<C = NoCustomClaims> {
    /// The registered claims.
    pub registered: RegisteredClaims,
    /// The application's own claims.
    pub custom: C,
}

/// The custom-claims type for applications that have none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoCustomClaims;

impl<'de> Deserialize<'de> for NoCustomClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_ignored_any(IgnoredAny)?;
        Ok(Self)
    }
}

impl Serialize for NoCustomClaims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

/// What the custom-claims type must be able to do.
pub trait CustomClaims: DeserializeOwned + Clone + Send + Sync + 'static {}
impl<C: DeserializeOwned + Clone + Send + Sync + 'static> CustomClaims for C {}
