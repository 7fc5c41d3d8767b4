//! How long a fetched key set is fresh: the server's `Cache-Control: max-age`
//! clamped to configured bounds, refreshed ahead of expiry.

use std::time::Duration;

/// Freshness bounds of a key set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CacheBounds {
    /// The shortest freshness honoured: a server asking for `max-age=0`
    /// cannot make every instance refetch all the time.
    pub(super) min: Duration,
    /// The longest: a key the issuer withdraws stops verifying within this.
    pub(super) max: Duration,
    /// Used when the server sends no `max-age`.
    pub(super) default: Duration,
}

impl Default for CacheBounds {
    fn default() -> Self {
        Self {
            min: crate::defaults::JWKS_MIN_CACHE,
            max: crate::defaults::JWKS_MAX_CACHE,
            default: crate::defaults::JWKS_CACHE,
        }
    }
}

impl CacheBounds {
    /// The freshness of a set fetched with `max_age`.
    pub(super) fn ttl(&self, max_age: Option<Duration>) -> Duration {
        max_age.unwrap_or(self.default).clamp(self.min, self.max)
    }

    /// When to refetch a set that is fresh for `ttl`: at three quarters of
    /// it, so a slow or failed fetch still has time before expiry.
    pub(super) fn refresh_after(ttl: Duration) -> Duration {
        ttl - ttl / 4
    }

    /// When to try again after a refused fetch: the shortest freshness.
    pub(super) fn retry_after(&self) -> Duration {
        self.min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_clamped_to_the_bounds() {
        let bounds = CacheBounds::default();
        let secs = Duration::from_secs;
        assert_eq!(bounds.ttl(Some(secs(0))), secs(60));
        assert_eq!(bounds.ttl(Some(secs(600))), secs(600));
        assert_eq!(bounds.ttl(Some(secs(10_000_000))), secs(86_400));
        assert_eq!(bounds.ttl(None), secs(300));
        assert_eq!(CacheBounds::refresh_after(secs(400)), secs(300));
    }
}
