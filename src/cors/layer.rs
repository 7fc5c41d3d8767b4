use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::HeaderName;
use http::{HeaderValue, Method};
use tower_layer::Layer;

use super::policy::CorsConfig;
use super::service::CorsService;
use crate::config::CookieAuth;
use crate::defaults::{MAX_REQUEST_HEADERS, MAX_REQUEST_HEADERS_LEN};
use crate::origin::{self, Origin, OriginError};
use crate::rejection::{DefaultResponder, Responder};

/// Credentialed CORS for an exact allow-list of origins.
///
/// Reflects only allow-listed origins, always with
/// `Access-Control-Allow-Credentials: true`; `Vary: Origin` on every response;
/// answers preflights itself (204) before any inner layer runs. Cheap to
/// clone. See the [module docs](super).
#[must_use = "a layer does nothing unless it wraps a service"]
#[derive(Clone)]
pub struct CredentialedCors {
    pub(super) config: Arc<CorsConfig>,
}

/// A CORS configuration that cannot work, found when it is built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorsConfigError {
    /// No origin was allowed.
    #[error(
        "no allowed origins: call `.allow_origin(\"https://app.example\")` (or `CookieAuth::builder(..).allowed_origins(..)`); a layer that allows nothing is a mistake — leave it out if the API is same-origin only"
    )]
    NoOrigins,
    /// `auth.cors()` on a `CookieAuth` built without allowed origins.
    #[error(
        "no allowed origins: this CORS builder (`auth.cors()`) takes them from CookieAuth, so add them with `CookieAuth::builder(..).allowed_origins([\"https://spa.example\"])` (the CSRF guard then trusts the same ones); leave the cors() layer out if the API is same-origin only"
    )]
    NoSharedOrigins,
    /// An allowed origin is not an exact `scheme://host[:port]`.
    #[error("allowed origin: {0}")]
    InvalidOrigin(OriginError),
    /// `*` in allowed methods, allowed headers or exposed headers.
    #[error(
        "`*` in {0} is not allowed: with credentials browsers treat it as a literal name, not a wildcard; list each name"
    )]
    Wildcard(&'static str),
    /// Origins were added to a builder that takes them from `CookieAuth`.
    #[error(
        "this CORS builder takes its origins from CookieAuth so the CSRF guard trusts the same ones: add `{0}` with `CookieAuth::builder(..).allowed_origins(..)` instead"
    )]
    OriginsFromSharedConfig(String),
    /// A request-headers bound is zero.
    #[error(
        "the Access-Control-Request-Headers bounds must be at least 1 (defaults: {MAX_REQUEST_HEADERS_LEN} bytes, {MAX_REQUEST_HEADERS} names)"
    )]
    ZeroBound,
}

impl CredentialedCors {
    /// Starts a configuration: no origins yet; methods GET, HEAD, POST;
    /// allowed request header `content-type`; nothing exposed; no max-age;
    /// no Private Network Access.
    pub fn builder() -> CorsBuilder {
        CorsBuilder {
            origins: Vec::new(),
            shared_origins: None,
            methods: vec![Method::GET, Method::HEAD, Method::POST],
            allow_headers: vec![http::header::CONTENT_TYPE],
            expose_headers: Vec::new(),
            max_age: None,
            private_network: false,
            max_request_headers_len: MAX_REQUEST_HEADERS_LEN,
            max_request_headers: MAX_REQUEST_HEADERS,
            responder: Arc::new(DefaultResponder),
        }
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[Origin] {
        &self.config.origins
    }
}

impl fmt::Debug for CredentialedCors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("CredentialedCors")
            .field("origins", &c.origins)
            .field("methods", &c.methods)
            .field("allow_headers", &c.allow_headers)
            .field("expose_headers", &c.expose_headers)
            .field("max_age", &c.max_age)
            .field("private_network", &c.private_network)
            .finish_non_exhaustive()
    }
}

impl<I> Layer<I> for CredentialedCors {
    type Service = CorsService<I>;

    fn layer(&self, inner: I) -> Self::Service {
        CorsService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// Builds a [`CredentialedCors`]; every setting is checked in [`build`](Self::build).
#[must_use]
pub struct CorsBuilder {
    origins: Vec<String>,
    shared_origins: Option<Vec<Origin>>,
    methods: Vec<Method>,
    allow_headers: Vec<HeaderName>,
    expose_headers: Vec<HeaderName>,
    max_age: Option<Duration>,
    private_network: bool,
    max_request_headers_len: usize,
    max_request_headers: usize,
    responder: Arc<dyn Responder>,
}

impl CorsBuilder {
    /// Allows one exact origin, e.g. `https://app.example`. `*`, `null`, paths
    /// and patterns are refused in `build`.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Allows each origin of `origins` (see [`allow_origin`](Self::allow_origin)).
    pub fn allow_origins<I, T>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// The methods a preflight may ask for (replaces the default GET, HEAD, POST).
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// The request headers a preflight may ask for (replaces the default
    /// `content-type`). Matched case-insensitively.
    pub fn allow_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.allow_headers = headers.into_iter().collect();
        self
    }

    /// Response headers the page may read (`Access-Control-Expose-Headers`).
    pub fn expose_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.expose_headers = headers.into_iter().collect();
        self
    }

    /// How long browsers may cache a preflight (`Access-Control-Max-Age`;
    /// browsers cap it, Chromium at 2 hours). Default: not sent.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Answers Private Network Access preflights
    /// (`Access-Control-Request-Private-Network: true`) with
    /// `Access-Control-Allow-Private-Network: true`. Default off: a public
    /// site must not be able to reach a server on the user's network.
    pub fn allow_private_network(mut self, allow: bool) -> Self {
        self.private_network = allow;
        self
    }

    /// Bounds on `Access-Control-Request-Headers`: total bytes over all lines
    /// and number of names. A preflight over either is refused. Defaults
    /// 2048 bytes and 64 names.
    pub fn request_headers_limits(mut self, max_len: usize, max_names: usize) -> Self {
        self.max_request_headers_len = max_len;
        self.max_request_headers = max_names;
        self
    }

    /// The response to a refused preflight (default: 403 JSON with the reason).
    pub fn responder(mut self, responder: impl Responder) -> Self {
        self.responder = Arc::new(responder);
        self
    }

    /// Checks every setting and builds the layer.
    pub fn build(self) -> Result<CredentialedCors, CorsConfigError> {
        let origins = match self.shared_origins {
            Some(shared) => {
                if let Some(extra) = self.origins.into_iter().next() {
                    return Err(CorsConfigError::OriginsFromSharedConfig(
                        extra.chars().take(100).collect(),
                    ));
                }
                if shared.is_empty() {
                    return Err(CorsConfigError::NoSharedOrigins);
                }
                shared
            }
            None => origin::parse_all(&self.origins).map_err(CorsConfigError::InvalidOrigin)?,
        };
        if origins.is_empty() {
            return Err(CorsConfigError::NoOrigins);
        }
        if self.methods.iter().any(|m| m.as_str() == "*") {
            return Err(CorsConfigError::Wildcard("allowed methods"));
        }
        if self.allow_headers.iter().any(|h| h.as_str() == "*") {
            return Err(CorsConfigError::Wildcard("allowed headers"));
        }
        if self.expose_headers.iter().any(|h| h.as_str() == "*") {
            return Err(CorsConfigError::Wildcard("exposed headers"));
        }
        if self.max_request_headers_len == 0 || self.max_request_headers == 0 {
            return Err(CorsConfigError::ZeroBound);
        }
        let expose_headers = join(&self.expose_headers);
        let max_age = self.max_age.map(|d| HeaderValue::from(d.as_secs()));
        Ok(CredentialedCors {
            config: Arc::new(CorsConfig {
                origins,
                methods: self.methods,
                allow_headers: self.allow_headers,
                expose_headers,
                max_age,
                private_network: self.private_network,
                max_request_headers_len: self.max_request_headers_len,
                max_request_headers: self.max_request_headers,
                responder: self.responder,
            }),
        })
    }
}

fn join(names: &[HeaderName]) -> Option<HeaderValue> {
    if names.is_empty() {
        return None;
    }
    let joined = names
        .iter()
        .map(HeaderName::as_str)
        .collect::<Vec<_>>()
        .join(",");
    // Header names are tokens; a comma list of tokens is a valid value.
    HeaderValue::try_from(joined).ok()
}

impl fmt::Debug for CorsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsBuilder")
            .field("origins", &self.origins)
            .field("shared_origins", &self.shared_origins)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl<S> CookieAuth<S> {
    /// A [`CredentialedCors`] builder allowing exactly
    /// [`allowed_origins`](crate::CookieAuthBuilder::allowed_origins), with
    /// this configuration's responder. Set methods and headers, then `build()`.
    pub fn cors(&self) -> CorsBuilder {
        let mut builder = CredentialedCors::builder();
        builder.shared_origins = Some(self.shared.allowed_origins.clone());
        builder.responder = Arc::clone(&self.shared.responder);
        builder
    }
}
