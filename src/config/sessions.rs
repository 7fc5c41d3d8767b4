//! Session settings (JwtCookieIssuer's lifetimes, refresh endpoint and token
//! cookies): what the builder collects, and the checked form the layers use.

use std::time::Duration;

use crate::cookie::{CookieSpec, Prefix, SameSite, path_matches};
use crate::defaults;
use crate::error::ConfigError;

const MAX_GRACE_SECS: u64 = 60;

/// What the builder collected, unchecked.
#[derive(Clone, Debug)]
pub(crate) struct SessionOptions {
    pub(crate) access_lifetime: Duration,
    pub(crate) idle_lifetime: Duration,
    pub(crate) absolute_lifetime: Duration,
    pub(crate) grace: Duration,
    pub(crate) refresh_path: String,
    /// `None`: the default name (which depends on the plain-http switch).
    pub(crate) refresh_cookie: Option<String>,
    pub(crate) refresh_cookie_path: String,
    pub(crate) domain: Option<String>,
    pub(crate) same_site: SameSite,
    pub(crate) access_cookie_max_age: Option<Duration>,
    pub(crate) refresh_cookie_max_age: Option<Duration>,
    pub(crate) insecure_http: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            access_lifetime: defaults::ACCESS_TOKEN_LIFETIME,
            idle_lifetime: defaults::SESSION_IDLE_LIFETIME,
            absolute_lifetime: defaults::SESSION_ABSOLUTE_LIFETIME,
            grace: defaults::REFRESH_GRACE,
            refresh_path: defaults::REFRESH_PATH.to_owned(),
            refresh_cookie: None,
            refresh_cookie_path: defaults::REFRESH_COOKIE_PATH.to_owned(),
            domain: None,
            same_site: SameSite::Strict,
            access_cookie_max_age: None,
            refresh_cookie_max_age: None,
            insecure_http: false,
        }
    }
}

/// The checked settings, in whole seconds.
#[derive(Clone, Debug)]
pub(crate) struct SessionSettings {
    pub(crate) access_lifetime: i64,
    pub(crate) idle_lifetime: i64,
    pub(crate) absolute_lifetime: i64,
    pub(crate) grace: i64,
    pub(crate) refresh_path: String,
    pub(crate) refresh_cookie: CookieSpec,
    pub(crate) access_cookie_max_age: Option<i64>,
    pub(crate) refresh_cookie_max_age: Option<i64>,
}

impl SessionSettings {
    /// Until when a revocation made at `now` (logout, logout everywhere, or
    /// a session ended outside a request) must be remembered: the longest
    /// any token of a session started by then can live.
    pub(crate) fn revocation_until(&self, now: i64) -> i64 {
        now.saturating_add(self.access_lifetime.max(self.absolute_lifetime))
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl SessionOptions {
    /// Checks the settings; returns the access cookie's spec (the verifier
    /// reads it too) beside the issuer's settings. `csrf_cookie` is the
    /// double-submit cookie's name when one was chosen explicitly.
    pub(crate) fn build(
        self,
        access_cookie: Option<String>,
        csrf_cookie: Option<&str>,
    ) -> Result<(CookieSpec, SessionSettings), ConfigError> {
        let (access_cookie, refresh_cookie) = self.cookie_names(access_cookie, csrf_cookie)?;
        let (access, idle, absolute) = (
            secs(self.access_lifetime),
            secs(self.idle_lifetime),
            secs(self.absolute_lifetime),
        );
        if access == 0 {
            return Err(ConfigError::InvalidLifetime(
                "the access-token lifetime is zero: use a few minutes (default 15 min)",
            ));
        }
        if idle == 0 || absolute == 0 {
            return Err(ConfigError::InvalidLifetime(
                "a session lifetime is zero: set `.session_idle_lifetime(..)` and `.session_absolute_lifetime(..)` to positive durations",
            ));
        }
        if idle > absolute {
            return Err(ConfigError::InvalidLifetime(
                "the idle lifetime is longer than the absolute lifetime: make the idle lifetime at most the absolute one",
            ));
        }
        if self.grace.as_secs() > MAX_GRACE_SECS {
            return Err(ConfigError::GraceTooLong(self.grace.as_secs()));
        }
        if access_cookie == refresh_cookie {
            return Err(ConfigError::SameCookieNames(refresh_cookie));
        }
        let spec = |name: &str, path: &str| CookieSpec {
            name: name.to_owned(),
            path: path.to_owned(),
            domain: self.domain.clone(),
            same_site: self.same_site,
            secure: !self.insecure_http,
        };
        let access_spec = spec(&access_cookie, "/");
        let refresh_spec = spec(&refresh_cookie, &self.refresh_cookie_path);
        access_spec.validate()?;
        refresh_spec.validate()?;
        if !self.refresh_path.starts_with('/')
            || !path_matches(&refresh_spec.path, &self.refresh_path)
        {
            return Err(ConfigError::RefreshPathOutsideCookiePath {
                refresh_path: self.refresh_path,
                cookie_path: refresh_spec.path,
            });
        }
        let access_cookie_max_age = self.access_cookie_max_age.map(secs);
        if access_cookie_max_age.is_some_and(|m| m > access) {
            return Err(ConfigError::CookieOutlivesToken(access_spec.name));
        }
        let refresh_cookie_max_age = self.refresh_cookie_max_age.map(secs);
        if refresh_cookie_max_age.is_some_and(|m| m > idle) {
            return Err(ConfigError::CookieOutlivesToken(refresh_spec.name));
        }
        let settings = SessionSettings {
            access_lifetime: access,
            idle_lifetime: idle,
            absolute_lifetime: absolute,
            grace: secs(self.grace),
            refresh_path: self.refresh_path,
            refresh_cookie: refresh_spec,
            access_cookie_max_age,
            refresh_cookie_max_age,
        };
        Ok((access_spec, settings))
    }
}

impl SessionOptions {
    /// The token cookies' names. The defaults are prefixed, and every prefix
    /// needs `Secure`, so under the local plain-http switch they become
    /// `access` and `refresh` (and the CSRF cookie `csrf`); an explicitly
    /// chosen prefixed name, the CSRF cookie's included, (or
    /// `SameSite=None`) is refused then, with every change needed in one error.
    fn cookie_names(
        &self,
        access: Option<String>,
        csrf: Option<&str>,
    ) -> Result<(String, String), ConfigError> {
        let insecure = self.insecure_http;
        let pick = |chosen: Option<String>, secure: &str, plain: &str| {
            chosen.unwrap_or_else(|| if insecure { plain } else { secure }.to_owned())
        };
        let access = pick(
            access,
            defaults::ACCESS_COOKIE,
            defaults::INSECURE_ACCESS_COOKIE,
        );
        let refresh = pick(
            self.refresh_cookie.clone(),
            defaults::REFRESH_COOKIE,
            defaults::INSECURE_REFRESH_COOKIE,
        );
        if !insecure {
            return Ok((access, refresh));
        }
        let mut changes = Vec::new();
        let chosen = [
            (
                Some(access.as_str()),
                "`.access_cookie(..)`",
                defaults::INSECURE_ACCESS_COOKIE,
            ),
            (
                Some(refresh.as_str()),
                "`.refresh_cookie(..)`",
                defaults::INSECURE_REFRESH_COOKIE,
            ),
            (
                csrf,
                "`CsrfTokens::with_cookie_name(..)`",
                defaults::INSECURE_CSRF_COOKIE,
            ),
        ];
        for (name, setter, plain) in chosen {
            if let Some((name, prefix)) = name.and_then(|n| Some((n, Prefix::of(n)?))) {
                changes.push(format!(
                    "cookie `{name}` has the `{}` prefix: drop {setter} to get `{plain}`, or pass a name without a prefix",
                    prefix.as_str()
                ));
            }
        }
        if self.same_site == SameSite::None {
            changes.push(
                "SameSite=None needs Secure: use `.same_site(SameSite::Lax)` or `Strict`"
                    .to_owned(),
            );
        }
        if changes.is_empty() {
            Ok((access, refresh))
        } else {
            Err(ConfigError::PlainHttpCookies(changes))
        }
    }
}
