//! The decision of the guard: Fetch Metadata first, `Origin` second, then
//! trusted origins and bypass routes — the order of Go's
//! `CrossOriginProtection.Check`, with the additions of this crate.

use std::sync::Arc;

use arc_swap::ArcSwap;
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Method, Uri};

use super::route::{BypassRoute, RouteError};
use crate::origin::{Origin, OriginError};
use crate::rejection::{CsrfReason, Responder};

/// Origins and routes exempt from the check. Replaced as a whole (copy on
/// write) so requests read it without a lock.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exemptions {
    pub(crate) origins: Vec<Origin>,
    pub(crate) routes: Vec<BypassRoute>,
}

pub(crate) struct GuardConfig {
    pub(crate) exemptions: Arc<ArcSwap<Exemptions>>,
    pub(crate) allow_same_site: bool,
    pub(crate) public_origin: Option<Origin>,
    pub(crate) require_origin: bool,
    pub(crate) report_only: bool,
    pub(crate) responder: Arc<dyn Responder>,
}

/// Whether a method is safe (RFC 9110 §9.2.1) in the sense of this guard:
/// exactly GET, HEAD and OPTIONS. TRACE is not listed (servers should not
/// implement it); any extension method is unsafe.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl GuardConfig {
    /// `Ok` if the request may reach the inner service.
    pub(crate) fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CsrfReason> {
        if is_safe(method) {
            return Ok(());
        }
        let refusal = match self.fetch_metadata_or_origin(uri, headers) {
            Ok(()) => return Ok(()),
            Err(reason) => reason,
        };
        // The slow path: only refused requests look at the exemptions.
        let exemptions = self.exemptions.load();
        let path = uri.path();
        if exemptions.routes.iter().any(|r| r.matches(method, path)) {
            return Ok(());
        }
        if refusal != CsrfReason::NullOrigin
            && refusal != CsrfReason::MissingOrigin
            && let Some(origin) = single(headers, &ORIGIN)
            && exemptions.origins.iter().any(|o| o.matches(origin))
        {
            return Ok(());
        }
        Err(refusal)
    }

    fn fetch_metadata_or_origin(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), CsrfReason> {
        let mut sites = headers.get_all("sec-fetch-site").iter();
        if let Some(site) = sites.next() {
            if sites.next().is_some() {
                return Err(CsrfReason::InvalidFetchSite);
            }
            return match site.as_bytes() {
                b"same-origin" | b"none" => Ok(()),
                b"same-site" if self.allow_same_site => Ok(()),
                b"same-site" => Err(CsrfReason::SameSite),
                b"cross-site" => Err(CsrfReason::CrossSite),
                _ => Err(CsrfReason::InvalidFetchSite),
            };
        }
        let mut origins = headers.get_all(ORIGIN).iter();
        let Some(origin) = origins.next() else {
            // Not a browser (or a very old one): nothing to judge by.
            return if self.require_origin {
                Err(CsrfReason::MissingOrigin)
            } else {
                Ok(())
            };
        };
        if origins.next().is_some() {
            return Err(CsrfReason::OriginMismatch);
        }
        let origin = origin.as_bytes();
        if origin == b"null" {
            return Err(CsrfReason::NullOrigin);
        }
        if self.is_own_origin(origin, uri, headers) {
            Ok(())
        } else {
            Err(CsrfReason::OriginMismatch)
        }
    }

    /// The configured public origin exactly; else the `host[:port]` of the
    /// `Origin` equals `Host` (or the HTTP/2 `:authority`), as Go compares.
    fn is_own_origin(&self, origin: &[u8], uri: &Uri, headers: &HeaderMap) -> bool {
        if let Some(public) = &self.public_origin {
            return public.matches(origin);
        }
        let Some(pos) = origin.windows(3).position(|w| w == b"://") else {
            return false;
        };
        let origin_host = &origin[pos + 3..];
        let host = match single(headers, &HOST) {
            Some(host) => host,
            None => match uri.authority() {
                Some(authority) => authority.as_str().as_bytes(),
                None => return false,
            },
        };
        !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
    }
}

/// The value of a header that must appear once; `None` if absent or repeated.
fn single<'a>(headers: &'a HeaderMap, name: &http::header::HeaderName) -> Option<&'a [u8]> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    values.next().is_none().then_some(first.as_bytes())
}

/// Adds trusted origins and bypass routes to a running guard.
///
/// Cheap to clone (one `Arc`); every clone of the layer and of its services
/// sees the change on the next request. Adding is copy-on-write: requests in
/// flight never wait for a lock and never see a half-updated list.
#[derive(Clone)]
pub struct CsrfGuardHandle {
    pub(crate) exemptions: Arc<ArcSwap<Exemptions>>,
}

impl CsrfGuardHandle {
    /// Trusts one more exact origin (validated like at build time).
    pub fn add_trusted_origin(&self, origin: &str) -> Result<(), OriginError> {
        let origin = Origin::parse(origin)?;
        self.exemptions.rcu(|current| {
            let mut next = Exemptions::clone(current);
            if !next.origins.contains(&origin) {
                next.origins.push(origin.clone());
            }
            next
        });
        Ok(())
    }

    /// Exempts one more exact route (see [`BypassRoute::new`]).
    pub fn add_bypass_route(&self, method: Method, path: &str) -> Result<(), RouteError> {
        let route = BypassRoute::new(method, path)?;
        self.exemptions.rcu(|current| {
            let mut next = Exemptions::clone(current);
            if !next.routes.contains(&route) {
                next.routes.push(route.clone());
            }
            next
        });
        Ok(())
    }

    /// The trusted origins now.
    pub fn trusted_origins(&self) -> Vec<Origin> {
        self.exemptions.load().origins.clone()
    }
}

impl std::fmt::Debug for CsrfGuardHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let exemptions = self.exemptions.load();
        f.debug_struct("CsrfGuardHandle")
            .field("trusted_origins", &exemptions.origins)
            .field("bypass_routes", &exemptions.routes)
            .finish()
    }
}
