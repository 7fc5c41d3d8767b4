//! How a token cookie is written and cleared, validated once when the
//! configuration is built (RFC 6265bis prefixes, SameSite, path, domain).

use cookie::time::{Duration, OffsetDateTime};
use cookie::{Cookie, SameSite as RawSameSite};
use http::HeaderValue;

use crate::error::ConfigError;

/// The `SameSite` attribute. Every cookie this crate writes carries one explicitly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with same-site requests (default).
    #[default]
    Strict,
    /// Also sent with top-level cross-site navigations (GET links).
    Lax,
    /// Sent with every request; requires `Secure`.
    None,
}

impl SameSite {
    fn raw(self) -> RawSameSite {
        match self {
            Self::Strict => RawSameSite::Strict,
            Self::Lax => RawSameSite::Lax,
            Self::None => RawSameSite::None,
        }
    }
}

/// Every attribute of one token cookie. Built and checked by
/// [`CookieAuth`](crate::CookieAuth)'s builder; the issuer writes and clears
/// the cookie from it, so both always carry the same Path and Domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieSpec {
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) same_site: SameSite,
    pub(crate) secure: bool,
}

impl CookieSpec {
    /// The cookie's exact name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `Path` attribute.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `Domain` attribute, if any (none: a host-only cookie).
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The `SameSite` attribute.
    pub fn same_site(&self) -> SameSite {
        self.same_site
    }

    /// Whether the `Secure` attribute is set (always, unless the local
    /// development switch is on).
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Checks the prefix rules and attribute syntax; the error says how to fix it.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        check_cookie_name(&self.name)?;
        if !is_valid_path(&self.path) {
            return Err(ConfigError::InvalidCookiePath(self.path.clone()));
        }
        if let Some(domain) = &self.domain
            && !is_valid_domain(domain)
        {
            return Err(ConfigError::InvalidCookieDomain(domain.clone()));
        }
        if let Some(problem) = Prefix::of(&self.name).and_then(|p| p.problem(self)) {
            return Err(ConfigError::CookiePrefix {
                name: self.name.clone(),
                problem,
            });
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(ConfigError::SameSiteNoneWithoutSecure(self.name.clone()));
        }
        Ok(())
    }

    fn builder<'a>(&'a self, value: &'a str) -> cookie::CookieBuilder<'a> {
        let mut builder = Cookie::build((self.name.as_str(), value))
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site.raw())
            .path(self.path.as_str());
        if let Some(domain) = &self.domain {
            builder = builder.domain(domain.as_str());
        }
        builder
    }

    /// The `Set-Cookie` value that stores `value` for `max_age` seconds.
    /// `None` when `value` is not a token (only `[A-Za-z0-9-_.]` may appear:
    /// nothing can be injected into the header).
    pub(crate) fn set(&self, value: &str, max_age: i64) -> Option<HeaderValue> {
        let is_token_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        if value.is_empty() || !value.bytes().all(is_token_byte) {
            return None;
        }
        let cookie = self
            .builder(value)
            .max_age(Duration::seconds(max_age.max(0)))
            .build();
        HeaderValue::try_from(cookie.to_string()).ok()
    }

    /// The `Set-Cookie` value that removes the cookie: the same name, Path
    /// and Domain (otherwise the browser keeps it), empty, already expired.
    pub(crate) fn clear(&self) -> HeaderValue {
        let cookie = self
            .builder("")
            .max_age(Duration::ZERO)
            .expires(OffsetDateTime::UNIX_EPOCH)
            .build();
        // Name, path and domain were validated at build time.
        HeaderValue::try_from(cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// A cookie-name prefix with rules (RFC 6265bis §4.1.3). Browsers match
/// them case-insensitively (RFC 6265bis §5.7, step 21 onwards).
///
/// `__Host-Http-` and `__Http-` are the newest (shipped in Chromium 140):
/// such a cookie is accepted only from an HTTP response (never from
/// `document.cookie`) and only with `HttpOnly` and `Secure`, so a script
/// cannot plant one. A browser that does not know them still sees
/// `__Host-Http-` as a `__Host-` name (Secure, `Path=/`, no Domain), but
/// `__Http-` as no prefix at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// `__Host-Http-`: the `__Host-` rules, and HTTP-only setting.
    HostHttp,
    /// `__Host-`: Secure, `Path=/`, no Domain.
    Host,
    /// `__Http-`: Secure, HttpOnly, HTTP-only setting.
    Http,
    /// `__Secure-`: Secure.
    Secure,
}

impl Prefix {
    /// The prefix `name` starts with, if any (`__Host-Http-` before `__Host-`).
    pub(crate) fn of(name: &str) -> Option<Self> {
        let starts = |prefix: &str| {
            name.as_bytes()
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        [
            ("__Host-Http-", Self::HostHttp),
            ("__Host-", Self::Host),
            ("__Http-", Self::Http),
            ("__Secure-", Self::Secure),
        ]
        .into_iter()
        .find_map(|(text, prefix)| starts(text).then_some(prefix))
    }

    /// The prefix as written in names.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::HostHttp => "__Host-Http-",
            Self::Host => "__Host-",
            Self::Http => "__Http-",
            Self::Secure => "__Secure-",
        }
    }

    /// Whether a browser requires `HttpOnly` on a cookie of this name; the
    /// token cookies always have it, the page-readable CSRF cookie cannot.
    pub(crate) fn needs_http_only(self) -> bool {
        matches!(self, Self::HostHttp | Self::Http)
    }

    /// What a browser would refuse about `spec` (it would drop the cookie
    /// silently), with the fix. Every prefix needs Secure.
    fn problem(self, spec: &CookieSpec) -> Option<&'static str> {
        let host = matches!(self, Self::HostHttp | Self::Host);
        if !spec.secure {
            Some(match self {
                Self::HostHttp => {
                    "a `__Host-Http-` cookie needs Secure: keep Secure on, or rename the cookie without the prefix for local plain-http development"
                }
                Self::Host => {
                    "a `__Host-` cookie needs Secure: keep Secure on, or rename the cookie without the prefix for local plain-http development"
                }
                Self::Http => {
                    "a `__Http-` cookie needs Secure: keep Secure on, or rename the cookie without the prefix for local plain-http development"
                }
                Self::Secure => {
                    "a `__Secure-` cookie needs Secure: keep Secure on, or rename the cookie without the prefix for local plain-http development"
                }
            })
        } else if host && spec.domain.is_some() {
            Some(
                "a `__Host-` or `__Host-Http-` cookie cannot have a Domain: remove `.cookie_domain(..)`, or use a `__Secure-` (or `__Http-`) name",
            )
        } else if host && spec.path != "/" {
            Some(
                "a `__Host-` or `__Host-Http-` cookie needs Path=/: use `/`, or a `__Secure-` (or `__Http-`) name for a narrower path",
            )
        } else {
            None
        }
    }
}

/// RFC 6265 `path-value`: starts with `/`, visible ASCII without `;` or `,`.
fn is_valid_path(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b',')
}

/// A host name: letters, digits, `-` and `.`, without a leading dot.
fn is_valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && !domain.starts_with('.')
        && domain.len() <= 253
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// A cookie name must be an RFC 9110 token (RFC 6265 §4.1.1).
pub(crate) fn check_cookie_name(name: &str) -> Result<(), ConfigError> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(ConfigError::InvalidCookieName(name.to_owned()));
    }
    Ok(())
}

/// Whether a request to `request_path` carries a cookie with `cookie_path`
/// (RFC 6265 §5.1.4 path-match).
pub(crate) fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(
        name: &str,
        path: &str,
        domain: Option<&str>,
        same_site: SameSite,
        secure: bool,
    ) -> CookieSpec {
        CookieSpec {
            name: name.into(),
            path: path.into(),
            domain: domain.map(Into::into),
            same_site,
            secure,
        }
    }

    #[test]
    fn host_prefix_rules_are_enforced_case_insensitively() {
        assert!(
            spec("__Host-a", "/", None, SameSite::Strict, true)
                .validate()
                .is_ok()
        );
        for bad in [
            spec("__Host-a", "/", Some("app.example"), SameSite::Strict, true),
            spec("__host-a", "/auth", None, SameSite::Strict, true),
            spec("__HOST-a", "/", None, SameSite::Strict, false),
            spec("__Secure-a", "/auth", None, SameSite::Strict, false),
        ] {
            assert!(
                matches!(bad.validate(), Err(ConfigError::CookiePrefix { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            spec("a", "/", None, SameSite::None, false).validate(),
            Err(ConfigError::SameSiteNoneWithoutSecure("a".into()))
        );
    }

    #[test]
    fn the_longest_prefix_wins_and_case_does_not_matter() {
        assert_eq!(Prefix::of("__Host-Http-access"), Some(Prefix::HostHttp));
        assert_eq!(Prefix::of("__host-http-access"), Some(Prefix::HostHttp));
        assert_eq!(Prefix::of("__Host-access"), Some(Prefix::Host));
        assert_eq!(Prefix::of("__HTTP-refresh"), Some(Prefix::Http));
        assert_eq!(Prefix::of("__Secure-refresh"), Some(Prefix::Secure));
        assert_eq!(Prefix::of("_Host-x"), None);
        assert_eq!(Prefix::of("__Host"), None);
        assert_eq!(Prefix::of("access"), None);
        for bad in [
            spec(
                "__Host-Http-a",
                "/",
                Some("app.example"),
                SameSite::Strict,
                true,
            ),
            spec("__Host-Http-a", "/auth", None, SameSite::Strict, true),
            spec("__Http-a", "/auth", None, SameSite::Strict, false),
        ] {
            assert!(
                matches!(bad.validate(), Err(ConfigError::CookiePrefix { .. })),
                "{bad:?}"
            );
        }
        assert!(
            spec(
                "__Http-a",
                "/auth",
                Some("app.example"),
                SameSite::Strict,
                true
            )
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn paths_and_domains_cannot_inject_attributes() {
        assert!(matches!(
            spec("a", "/x; Domain=evil", None, SameSite::Strict, true).validate(),
            Err(ConfigError::InvalidCookiePath(_))
        ));
        assert!(matches!(
            spec("a", "/", Some("evil\r\nX: y"), SameSite::Strict, true).validate(),
            Err(ConfigError::InvalidCookieDomain(_))
        ));
        let s = spec("a", "/", None, SameSite::Strict, true);
        assert_eq!(s.set("x;Domain=evil", 10), None);
        assert_eq!(s.set("x\r\nSet-Cookie: b=1", 10), None);
        assert_eq!(s.set("", 10), None);
    }

    #[test]
    fn path_match_follows_rfc_6265() {
        assert!(path_matches("/auth", "/auth"));
        assert!(path_matches("/auth", "/auth/refresh"));
        assert!(!path_matches("/auth", "/authx"));
        assert!(!path_matches("/auth", "/api/me"));
        assert!(path_matches("/", "/anything"));
    }
}
