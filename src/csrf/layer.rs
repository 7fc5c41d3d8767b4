use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use http::Method;
use tower_layer::Layer;

use super::policy::{CsrfGuardHandle, Exemptions, GuardConfig};
use super::route::{BypassRoute, RouteError};
use super::service::CsrfGuardService;
use crate::config::CookieAuth;
use crate::origin::{self, Origin, OriginError};
use crate::rejection::{DefaultResponder, Responder};

/// Refuses unsafe cross-origin browser requests before the inner service runs.
///
/// Decides by `Sec-Fetch-Site` when the browser sends it, else by `Origin`
/// against the request's own origin; trusted origins and exact bypass routes
/// are exempt. Cheap to clone. See the [module docs](super).
#[must_use = "a layer does nothing unless it wraps a service"]
#[derive(Clone)]
pub struct CsrfSameSiteGuard {
    pub(super) config: Arc<GuardConfig>,
}

/// A guard configuration that cannot work, found when it is built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfConfigError {
    /// A trusted origin is not an exact `scheme://host[:port]`.
    #[error("trusted origin: {0}")]
    InvalidTrustedOrigin(OriginError),
    /// The public origin is not an exact `scheme://host[:port]`.
    #[error("public origin: {0}")]
    InvalidPublicOrigin(OriginError),
    /// A bypass route is not an exact method and path.
    #[error(transparent)]
    InvalidRoute(RouteError),
}

impl CsrfSameSiteGuard {
    /// A guard with the defaults: no trusted origins, no bypass routes,
    /// `same-site` refused, requests with neither header let through, the
    /// default 403 response. Like Go's `NewCrossOriginProtection()`.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default configuration is valid")
    }

    /// Starts a configuration.
    pub fn builder() -> CsrfGuardBuilder {
        CsrfGuardBuilder {
            trusted: Vec::new(),
            shared_origins: Vec::new(),
            routes: Vec::new(),
            allow_same_site: false,
            public_origin: None,
            require_origin: false,
            report_only: false,
            responder: Arc::new(DefaultResponder),
        }
    }

    /// A handle to add trusted origins and bypass routes while serving.
    pub fn handle(&self) -> CsrfGuardHandle {
        CsrfGuardHandle {
            exemptions: Arc::clone(&self.config.exemptions),
        }
    }
}

impl Default for CsrfSameSiteGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CsrfSameSiteGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.debug_struct("CsrfSameSiteGuard")
            .field("exemptions", &self.handle())
            .field("allow_same_site", &c.allow_same_site)
            .field("public_origin", &c.public_origin)
            .field("require_origin", &c.require_origin)
            .field("report_only", &c.report_only)
            .finish_non_exhaustive()
    }
}

impl<I> Layer<I> for CsrfSameSiteGuard {
    type Service = CsrfGuardService<I>;

    fn layer(&self, inner: I) -> Self::Service {
        CsrfGuardService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// Builds a [`CsrfSameSiteGuard`]; every setting is checked in [`build`](Self::build).
#[must_use]
pub struct CsrfGuardBuilder {
    trusted: Vec<String>,
    shared_origins: Vec<Origin>,
    routes: Vec<(Method, String)>,
    allow_same_site: bool,
    public_origin: Option<String>,
    require_origin: bool,
    report_only: bool,
    responder: Arc<dyn Responder>,
}

impl CsrfGuardBuilder {
    /// Lets unsafe requests from this exact origin through (e.g. your SPA on
    /// another host). `scheme://host[:port]` only: checked in `build`.
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// Trusts each origin of `origins` (see [`trusted_origin`](Self::trusted_origin)).
    pub fn trusted_origins<I, T>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.trusted.extend(origins.into_iter().map(Into::into));
        self
    }

    /// Never checks requests for exactly `method` and `path` (a webhook
    /// receiving cross-site POSTs). No patterns, no path cleaning: see
    /// [`BypassRoute::new`].
    pub fn bypass(mut self, method: Method, path: impl Into<String>) -> Self {
        self.routes.push((method, path.into()));
        self
    }

    /// Also lets `Sec-Fetch-Site: same-site` through (requests from sibling
    /// subdomains, which share your site but not your origin). Default off.
    pub fn allow_same_site(mut self, allow: bool) -> Self {
        self.allow_same_site = allow;
        self
    }

    /// The origin browsers see, e.g. `https://app.example`, when a proxy
    /// rewrites `Host`. Then `Origin` must equal it exactly, scheme included.
    /// Without it, the `host[:port]` of `Origin` is compared with `Host` and
    /// the scheme is ignored (Go's behaviour).
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.public_origin = Some(origin.into());
        self
    }

    /// Fail closed: refuse unsafe requests that carry neither
    /// `Sec-Fetch-Site` nor `Origin`. Default off, so curl and server-to-server
    /// clients (which cannot be driven by a forging page) still work.
    pub fn require_origin(mut self, require: bool) -> Self {
        self.require_origin = require;
        self
    }

    /// Report-only mode for roll-out: log refusals with `tracing::warn!` and
    /// let the request through. Default off.
    pub fn report_only(mut self, report_only: bool) -> Self {
        self.report_only = report_only;
        self
    }

    /// The responder: builds the response to a refused request from the
    /// [`Rejection`](crate::Rejection) (reason included). Default: 403 JSON.
    pub fn responder(mut self, responder: impl Responder) -> Self {
        self.responder = Arc::new(responder);
        self
    }

    /// Checks every setting and builds the guard.
    pub fn build(self) -> Result<CsrfSameSiteGuard, CsrfConfigError> {
        let mut origins = self.shared_origins;
        origin::extend_unique(
            &mut origins,
            origin::parse_all(&self.trusted).map_err(CsrfConfigError::InvalidTrustedOrigin)?,
        );
        let routes = self
            .routes
            .into_iter()
            .map(|(method, path)| BypassRoute::new(method, &path))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CsrfConfigError::InvalidRoute)?;
        let public_origin = self
            .public_origin
            .as_deref()
            .map(Origin::parse)
            .transpose()
            .map_err(CsrfConfigError::InvalidPublicOrigin)?;
        Ok(CsrfSameSiteGuard {
            config: Arc::new(GuardConfig {
                exemptions: Arc::new(ArcSwap::from_pointee(Exemptions { origins, routes })),
                allow_same_site: self.allow_same_site,
                public_origin,
                require_origin: self.require_origin,
                report_only: self.report_only,
                responder: self.responder,
            }),
        })
    }
}

impl fmt::Debug for CsrfGuardBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsrfGuardBuilder")
            .field("trusted", &self.trusted)
            .field("shared_origins", &self.shared_origins)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl<S> CookieAuth<S> {
    /// A [`CsrfSameSiteGuard`] builder that trusts every CORS-allowed origin,
    /// with this configuration's responder.
    pub fn csrf_guard(&self) -> CsrfGuardBuilder {
        let mut builder = CsrfSameSiteGuard::builder();
        builder.shared_origins = self.shared.allowed_origins.clone();
        builder.responder = Arc::clone(&self.shared.responder);
        builder
    }
}
