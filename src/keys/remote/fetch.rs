//! One bounded HTTP GET: a reused client, no redirects, no proxy, connect
//! and total timeouts, a size limit enforced while reading, https unless
//! loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use reqwest::{Client, Url, redirect};

use super::JwksError;

/// Timeouts and the size limit of every request.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub(super) connect_timeout: Duration,
    pub(super) timeout: Duration,
    pub(super) max_size: usize,
}

/// A document as fetched, with its `Cache-Control: max-age`.
pub(super) struct Fetched {
    pub(super) body: Vec<u8>,
    pub(super) max_age: Option<Duration>,
}

/// The one HTTP client of a provider, reused for every fetch (its
/// connection pool keeps the TLS session to the issuer warm).
#[derive(Clone, Debug)]
pub(super) struct Fetcher {
    client: Client,
    max_size: usize,
}

impl Fetcher {
    pub(super) fn new(limits: Limits) -> Result<Self, JwksError> {
        let client = Client::builder()
            // A redirect could lead anywhere, http included: never follow one.
            .redirect(redirect::Policy::none())
            // reqwest uses the proxies the environment names by default
            // (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`; on macOS and Windows
            // the system's), and nothing exempts loopback. Key sources are
            // configured, not discovered: the fetch goes to the configured
            // URL itself, and one to a loopback issuer (allowed over plain
            // http because it never leaves the machine) must not leave it
            // through a proxy, which would see and could answer every
            // key-set request. No proxy, ever:
            // https://docs.rs/reqwest/0.13/reqwest/struct.ClientBuilder.html#method.no_proxy
            .no_proxy()
            // `localhost` is let through over plain http as loopback, so it
            // must be loopback: resolved here, never by DNS or a hosts file
            // that says otherwise (RFC 6761 §6.3: localhost names resolve to
            // the loopback address). The URL's port is kept.
            .resolve_to_addrs(
                "localhost",
                &[
                    SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                    SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
                ],
            )
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            .user_agent(concat!("tower-jwt-cookie/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| JwksError::Client(Box::new(e)))?;
        Ok(Self {
            client,
            max_size: limits.max_size,
        })
    }

    /// GETs `url`; refuses non-2xx answers and bodies over the size limit
    /// (checked against `Content-Length` first, then while reading).
    pub(super) async fn get(&self, url: &Url, accept: &'static str) -> Result<Fetched, JwksError> {
        let mut response = self
            .client
            .get(url.clone())
            .header(ACCEPT, accept)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(JwksError::Status(status.as_u16()));
        }
        let too_large = JwksError::TooLarge {
            limit: self.max_size,
        };
        if response
            .content_length()
            .is_some_and(|len| len > self.max_size as u64)
        {
            return Err(too_large);
        }
        let max_age = max_age(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_size {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, max_age })
    }
}

fn transport(error: reqwest::Error) -> JwksError {
    if error.is_timeout() {
        JwksError::Timeout
    } else {
        JwksError::Unreachable(Box::new(error))
    }
}

/// `max-age` from `Cache-Control` (RFC 9111 §5.2.2.1); `no-store` and
/// `no-cache` count as 0 (the lower bound applies). Malformed values are ignored.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (name, argument) = directive.split_once('=').unwrap_or((directive, ""));
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age")
                && let Ok(secs) = argument.trim_matches('"').parse::<u64>()
            {
                found = Some(Duration::from_secs(secs));
            }
        }
    }
    found
}

/// Parses `url` and requires https, except for loopback hosts (RFC 8252
/// §8.3 reasoning: loopback traffic never leaves the machine): a loopback
/// address, or `localhost`, which the fetcher's client resolves to loopback
/// itself.
pub(super) fn check_url(url: &str) -> Result<Url, JwksError> {
    let parsed = Url::parse(url).map_err(|_| JwksError::InvalidUrl(url.to_owned()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        _ => Err(JwksError::InsecureUrl(url.to_owned())),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_accepted() {
        for ok in [
            "https://idp.example/jwks",
            "http://127.0.0.1:8080/jwks",
            "http://127.9.0.1/jwks",
            "http://[::1]:3000/jwks",
            "http://localhost/jwks",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example/jwks",
            "http://10.0.0.1/jwks",
            "http://localhost.evil.example/jwks",
            "ftp://127.0.0.1/jwks",
            "file:///etc/jwks.json",
        ] {
            assert!(
                matches!(check_url(bad), Err(JwksError::InsecureUrl(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            check_url("not a url"),
            Err(JwksError::InvalidUrl(_))
        ));
    }

    #[test]
    fn reads_max_age_and_treats_no_store_as_zero() {
        let headers = |values: &[&'static str]| {
            let mut map = HeaderMap::new();
            for v in values {
                map.append(CACHE_CONTROL, HeaderValue::from_static(v));
            }
            map
        };
        assert_eq!(
            max_age(&headers(&["public, max-age=300"])),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            max_age(&headers(&["public", "MAX-AGE=\"60\""])),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            max_age(&headers(&["max-age=300, no-cache"])),
            Some(Duration::ZERO)
        );
        assert_eq!(max_age(&headers(&["max-age=soon"])), None);
        assert_eq!(max_age(&headers(&[])), None);
    }
}
