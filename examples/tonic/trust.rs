//! Whose tokens the tonic example accepts, from the environment: its own
//! (signed with a key generated at start), or another issuer's, whose keys
//! it fetches knowing only a URL (feature `jwks`).

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore};

type BoxError = Box<dyn Error + Send + Sync>;

/// The issuer of the example's own tokens.
pub const OWN_ISSUER: &str = "https://grpc.example";
/// The audience of the example's own tokens.
pub const OWN_AUDIENCE: &str = "greeter";
/// The audience of the demo's tokens (`examples/demo`).
pub const DEMO_AUDIENCE: &str = "tower-jwt-cookie-demo";
/// The page allowed to call over gRPC-web when trusting its own tokens: the
/// demo's default address.
pub const DEFAULT_PAGE_ORIGIN: &str = "http://127.0.0.1:3000";

/// Where the verification keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keys {
    /// A key generated at start; the example signs a demo token with it.
    Own,
    /// A JWK Set URL (`TONIC_JWKS_URL`).
    JwksUrl(String),
    /// An issuer URL, by OpenID Connect discovery (`TONIC_TRUST_ISSUER`).
    Discover(String),
}

/// Everything the verifier is configured with.
#[derive(Clone, Debug)]
pub struct Trust {
    /// Where the keys come from.
    pub keys: Keys,
    /// The only accepted `iss`.
    pub issuer: String,
    /// The audience tokens must name.
    pub audience: String,
    /// Time between unknown-`kid` refetches; `None` is the library's default.
    pub cooldown: Option<Duration>,
    /// The pages (exact origins) allowed to call over gRPC-web with cookies.
    pub allowed_origins: Vec<String>,
}

impl Trust {
    /// Reads `TONIC_JWKS_URL` or `TONIC_TRUST_ISSUER`, `TONIC_ISSUER`,
    /// `TONIC_AUDIENCE`, `TONIC_JWKS_COOLDOWN_SECS` and `TONIC_ALLOWED_ORIGINS`
    /// from the process environment.
    pub fn from_env() -> Result<Self, BoxError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables (`var`
    /// answers a name with its value): tests pass a map, because setting
    /// the process environment is unsound while other test threads run.
    /// An empty value counts as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, BoxError> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let keys = match (var("TONIC_JWKS_URL"), var("TONIC_TRUST_ISSUER")) {
            (Some(_), Some(_)) => {
                return Err("set TONIC_JWKS_URL or TONIC_TRUST_ISSUER, not both".into());
            }
            (Some(url), None) => Keys::JwksUrl(url),
            (None, Some(issuer)) => Keys::Discover(issuer),
            (None, None) => Keys::Own,
        };
        let issuer = match (&keys, var("TONIC_ISSUER")) {
            (_, Some(issuer)) => issuer,
            (Keys::Own, None) => OWN_ISSUER.to_owned(),
            (Keys::Discover(issuer), None) => issuer.clone(),
            (Keys::JwksUrl(_), None) => {
                return Err(
                    "TONIC_JWKS_URL needs TONIC_ISSUER: the `iss` the tokens carry \
                            (or use TONIC_TRUST_ISSUER to discover the keys from the issuer)"
                        .into(),
                );
            }
        };
        let audience = var("TONIC_AUDIENCE").unwrap_or_else(|| match keys {
            Keys::Own => OWN_AUDIENCE.to_owned(),
            _ => DEMO_AUDIENCE.to_owned(),
        });
        let cooldown = var("TONIC_JWKS_COOLDOWN_SECS")
            .map(|secs| {
                secs.parse::<u64>().map(Duration::from_secs).map_err(|_| {
                    format!("TONIC_JWKS_COOLDOWN_SECS must be a number of seconds, not {secs:?}")
                })
            })
            .transpose()?;
        let allowed_origins = match var("TONIC_ALLOWED_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            None => vec![Self::default_page_origin(&keys, &issuer)],
        };
        Ok(Self {
            keys,
            issuer,
            audience,
            cooldown,
            allowed_origins,
        })
    }

    /// The page trusted by default: the issuer's origin (its page holds
    /// the cookie; an issuer URL may carry a path, as Keycloak's realms
    /// do), or the demo's default address.
    pub fn default_page_origin(keys: &Keys, issuer: &str) -> String {
        match keys {
            Keys::Own => DEFAULT_PAGE_ORIGIN.to_owned(),
            // Not a URL: kept as it is, for the builder to refuse by name.
            _ => reqwest::Url::parse(issuer).map_or_else(
                |_| issuer.to_owned(),
                |url| url.origin().ascii_serialization(),
            ),
        }
    }

    /// The verifier's configuration, and the signing key when the example
    /// trusts its own tokens. Bearer tokens (gRPC) and the access cookie
    /// (gRPC-web from a browser) are both accepted.
    pub async fn auth(&self) -> Result<(CookieAuth, Option<Arc<SigningKey>>), BoxError> {
        let (builder, key) = match &self.keys {
            Keys::Own => {
                let key = SigningKey::generate("tonic-demo", Algorithm::ES256)?;
                let ring = KeyRing::with_signing_key(key);
                let key = ring.signing_key();
                (CookieAuth::builder(ring, MemoryStore::new()), key)
            }
            remote => {
                let keys = remote_keys(remote, self.cooldown).await?;
                (CookieAuth::builder(keys, MemoryStore::new()), None)
            }
        };
        let auth = builder
            .issuer(&self.issuer)
            .audience(&self.audience)
            .bearer(true) // gRPC clients send `authorization: Bearer`
            .allowed_origins(self.allowed_origins.iter().cloned())
            .build()?;
        Ok((auth, key))
    }
}

#[cfg(feature = "jwks")]
async fn remote_keys(
    keys: &Keys,
    cooldown: Option<Duration>,
) -> Result<tower_jwt_cookie::keys::remote::RemoteJwks, BoxError> {
    use tower_jwt_cookie::keys::remote::RemoteJwks;
    let mut builder = match keys {
        Keys::Discover(issuer) => RemoteJwks::discover(issuer),
        Keys::JwksUrl(url) => RemoteJwks::builder(url),
        Keys::Own => return Err("no remote key set configured".into()),
    };
    if let Some(cooldown) = cooldown {
        builder = builder.unknown_kid_cooldown(cooldown);
    }
    let source = match keys {
        Keys::Discover(issuer) => format!("TONIC_TRUST_ISSUER {issuer}"),
        _ => "TONIC_JWKS_URL".to_owned(),
    };
    builder
        .build()
        .await
        .map_err(|e| format!("cannot load the key set ({source}): {e}").into())
}

#[cfg(not(feature = "jwks"))]
async fn remote_keys(_: &Keys, _: Option<Duration>) -> Result<KeyRing, BoxError> {
    Err(
        "TONIC_JWKS_URL and TONIC_TRUST_ISSUER need the `jwks` feature: \
         cargo run --example tonic --features jwks"
            .into(),
    )
}
