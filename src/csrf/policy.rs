//! The decision of the guard: Fetch Metadata first, `Origin` second, then
//! trusted origins and bypass routes — the order of Go's
//! `CrossOriginProtection.Check`, with the additions of this crate.

use std::sync::Arc;

use arc_swap::ArcSwap;
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, HeaderName, Method, Uri};

use super::method::is_safe;
use super::route::{BypassRoute, RouteError};
use crate::header::{Single, single};
use crate::origin::{self, Origin, OriginError};
use crate::rejection::{CsrfReason, Responder};

/// `Sec-Fetch-Site` (W3C Fetch Metadata), prebuilt: a name given as a string
/// would be parsed again on every request.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Origins and routes exempt from the check. Replaced as a whole (copy on
/// write) so requests read it without a lock.
#[derive(Clone, Debug)]
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
            && let Single::One(origin) = single(headers, ORIGIN)
            && exemptions
                .origins
                .iter()
                .any(|o| o.matches(origin.as_bytes()))
        {
            return Ok(());
        }
        Err(refusal)
    }

    fn fetch_metadata_or_origin(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), CsrfReason> {
        match single(headers, &SEC_FETCH_SITE) {
            Single::Many => return Err(CsrfReason::InvalidFetchSite),
            Single::One(site) => {
                return match site.as_bytes() {
                    b"same-origin" | b"none" => Ok(()),
                    b"same-site" if self.allow_same_site => Ok(()),
                    b"same-site" => Err(CsrfReason::SameSite),
                    b"cross-site" => Err(CsrfReason::CrossSite),
                    _ => Err(CsrfReason::InvalidFetchSite),
                };
            }
            Single::Absent => {}
        }
        let origin = match single(headers, ORIGIN) {
            // Not a browser (or a very old one): nothing to judge by.
            Single::Absent if self.require_origin => return Err(CsrfReason::MissingOrigin),
            Single::Absent => return Ok(()),
            Single::Many => return Err(CsrfReason::OriginMismatch),
            Single::One(origin) => origin.as_bytes(),
        };
        if origin == b"null" {
            return Err(CsrfReason::NullOrigin);
        }
        self.check_own_origin(origin, uri, headers)
    }

    /// With a configured public origin, `Origin` must equal it exactly,
    /// scheme included. Otherwise, as Go does, the `host[:port]` of `Origin`
    /// must equal `Host` (or, without `Host`, the HTTP/2 `:authority` carried
    /// in the URI), case-insensitively; the scheme is not compared, because a
    /// server behind TLS termination cannot know it. A repeated `Host` is
    /// refused ([`CsrfReason::InvalidHost`]) rather than guessed around.
    fn check_own_origin(
        &self,
        origin: &[u8],
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CsrfReason> {
        if let Some(public) = &self.public_origin {
            return if public.matches(origin) {
                Ok(())
            } else {
                Err(CsrfReason::OriginMismatch)
            };
        }
        let Some(pos) = origin.windows(3).position(|w| w == b"://") else {
            return Err(CsrfReason::OriginMismatch);
        };
        let origin_host = &origin[pos + 3..];
        let host = match single(headers, HOST) {
            Single::One(host) => host.as_bytes(),
            Single::Many => return Err(CsrfReason::InvalidHost),
            Single::Absent => match uri.authority() {
                Some(authority) => authority.as_str().as_bytes(),
                None => return Err(CsrfReason::OriginMismatch),
            },
        };
        if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
            Ok(())
        } else {
            Err(CsrfReason::OriginMismatch)
        }
    }
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
        self.update(|next| origin::extend_unique(&mut next.origins, [origin.clone()]));
        Ok(())
    }

    /// Exempts one more exact route (see [`BypassRoute::new`]).
    pub fn add_bypass_route(&self, method: Method, path: &str) -> Result<(), RouteError> {
        let route = BypassRoute::new(method, path)?;
        self.update(|next| {
            if !next.routes.contains(&route) {
                next.routes.push(route.clone());
            }
        });
        Ok(())
    }

    /// The trusted origins now.
    pub fn trusted_origins(&self) -> Vec<Origin> {
        self.exemptions.load().origins.clone()
    }

    /// Copy, edit, swap; retried if another writer swapped in between, so no
    /// concurrent addition is lost.
    fn update(&self, edit: impl Fn(&mut Exemptions)) {
        self.exemptions.rcu(|current| {
            let mut next = Exemptions::clone(current);
            edit(&mut next);
            next
        });
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
