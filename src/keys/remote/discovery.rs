//! OpenID Connect discovery (OIDC Discovery 1.0 §4): from an issuer URL to
//! its `jwks_uri`, refusing a document that names another issuer.

use reqwest::Url;
use serde::Deserialize;

use super::JwksError;
use super::document::Object;
use super::fetch::{Fetcher, check_url};

#[derive(Deserialize)]
struct Configuration {
    issuer: String,
    jwks_uri: String,
}

/// `<issuer>/.well-known/openid-configuration`: a trailing `/` of the issuer
/// is dropped before the suffix is appended (OIDC Discovery 1.0 §4.1).
pub(super) fn configuration_url(issuer: &str) -> Result<Url, JwksError> {
    check_url(&format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
}

/// Fetches the configuration of `issuer` and returns its `jwks_uri`. The
/// document's `issuer` must equal `issuer` exactly, byte for byte (OIDC
/// Discovery 1.0 §4.3; the mix-up defence of RFC 8414 §3.3), and `jwks_uri`
/// must be https (or loopback) like any key-set URL.
pub(super) async fn discover(fetcher: &Fetcher, issuer: &str) -> Result<Url, JwksError> {
    let url = configuration_url(issuer)?;
    let fetched = fetcher.get(&url, "application/json").await?;
    let Object(configuration): Object<Configuration> =
        serde_json::from_slice(&fetched.body).map_err(|_| JwksError::InvalidDiscovery)?;
    if configuration.issuer != issuer {
        return Err(JwksError::IssuerMismatch {
            expected: issuer.to_owned(),
            found: configuration.issuer,
        });
    }
    check_url(&configuration.jwks_uri)
}
