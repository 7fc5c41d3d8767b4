//! Exact web origins (`scheme://host[:port]`), the one parser behind every
//! allow-list of this crate: CORS origins, CSRF trusted origins and the
//! public origin of a deployment behind a proxy.
//!
//! An origin is compared byte for byte with the `Origin` header browsers send,
//! so it must be written the way browsers serialize it (RFC 6454 §6.2, WHATWG
//! URL host serialization). Two differences are normalized: scheme and host
//! are lower-cased, and the default port (`:80` for http, `:443` for https) is
//! dropped. Every other non-canonical spelling is refused with the form to
//! use, because it could never match: an IPv6 address not in its shortest
//! form (`[0:0::1]` → `[::1]`, `[::ffff:1.2.3.4]` → `[::ffff:102:304]`), an
//! IPv4 address not in strict dotted-quad form (`127.1`, `0x7f.0.0.1`,
//! `010.0.0.1`), a non-ASCII host (use the punycode `xn--` form). Anything
//! that is not an origin — a path, even `/`; a query; a fragment; userinfo;
//! `*`; `null`; a bare host — is refused too, never widened into a pattern.
//!
//! ```
//! use tower_jwt_cookie::origin::Origin;
//!
//! let origin = Origin::parse("HTTPS://App.Example:443")?;
//! assert_eq!(origin.as_str(), "https://app.example");
//! assert!(Origin::parse("https://app.example/").is_err());
//! assert!(Origin::parse("*").is_err());
//! # Ok::<(), tower_jwt_cookie::origin::OriginError>(())
//! ```

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An exact web origin, normalized the way browsers send it in `Origin`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(Box<str>);

/// Why a string is not an exact `scheme://host[:port]` origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginError {
    input: String,
    problem: &'static str,
    suggestion: Option<String>,
}

impl std::error::Error for OriginError {}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an exact origin: {}; ",
            self.input, self.problem
        )?;
        match &self.suggestion {
            Some(origin) => write!(f, "write it as `{origin}`"),
            None => f.write_str(
                "write it as scheme://host[:port], e.g. `https://app.example` or `http://localhost:8080`",
            ),
        }
    }
}

impl OriginError {
    fn new(input: &str, problem: &'static str) -> Self {
        // Bounded so a hostile string cannot blow up an error message or a log line.
        let input: String = input.chars().take(100).collect();
        Self {
            input,
            problem,
            suggestion: None,
        }
    }

    /// The canonical spelling of the same origin, when the input names a
    /// valid origin in a form browsers never send (e.g. `http://[::1]:3000`
    /// for `http://[0:0::1]:3000`).
    pub fn suggestion(&self) -> Option<&str> {
        self.suggestion.as_deref()
    }

    /// The offending input (at most 100 characters of it).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What is wrong with it, e.g. `"it has a path"`.
    pub fn problem(&self) -> &'static str {
        self.problem
    }
}

impl Origin {
    /// Parses and normalizes an origin written by a developer.
    ///
    /// Fails on `*`, `null`, an empty string, a missing scheme or host, a
    /// path (even a trailing `/`), a query, a fragment, userinfo, a port
    /// outside 1..=65535, or a character that cannot be in a host name.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        let err = |problem| OriginError::new(input, problem);
        match input {
            "" => return Err(err("it is empty")),
            "*" => {
                return Err(err(
                    "`*` is a wildcard; credentialed requests need each origin listed exactly",
                ));
            }
            "null" => {
                return Err(err(
                    "`null` is sent by sandboxed frames and local files, which any site can create",
                ));
            }
            _ => {}
        }
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(err("it has no scheme (`https://`)"));
        };
        let scheme_ok = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !scheme_ok {
            return Err(err("its scheme is not valid"));
        }
        if let Some(i) = rest.find(['/', '?', '#']) {
            return Err(err(match rest.as_bytes()[i] {
                b'/' => "it has a path (an origin has none, not even a trailing `/`)",
                b'?' => "it has a query",
                _ => "it has a fragment",
            }));
        }
        if rest.contains('@') {
            return Err(err("it has userinfo (`user@`)"));
        }
        if !rest.is_ascii() {
            return Err(err(
                "its host is not ASCII; use the punycode (xn--) form, e.g. `https://xn--bcher-kva.example`",
            ));
        }
        let (host, port) = split_host_port(rest).map_err(err)?;
        if host.is_empty() {
            return Err(err("it has no host"));
        }
        let scheme = scheme.to_ascii_lowercase();
        let host = host.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        let serialize = |host: &str| match port {
            Some(port) if Some(port) != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
        if let Some(canonical) = canonical_ip_host(&host).map_err(err)?
            && canonical != host
        {
            return Err(OriginError {
                suggestion: Some(serialize(&canonical)),
                ..err("browsers send this IP address in another form, so it would never match")
            });
        }
        Ok(Self(serialize(&host).into_boxed_str()))
    }

    /// The normalized origin, e.g. `https://app.example:8443`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `host[:port]` part, as it appears in a `Host` header.
    pub fn host_port(&self) -> &str {
        self.0.split_once("://").map_or("", |(_, rest)| rest)
    }

    /// Whether the `Origin` header value `value` is exactly this origin.
    pub fn matches(&self, value: &[u8]) -> bool {
        self.0.as_bytes() == value
    }
}

/// For an IP-address host (lower case), the form browsers serialize it in;
/// `None` for a domain name. A bracketed host must be an IPv6 address; a host
/// whose last label is numeric or `0x` hex is an IPv4 address for browsers
/// (WHATWG URL) and must be a strict dotted quad here.
fn canonical_ip_host(host: &str) -> Result<Option<String>, &'static str> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let address: Ipv6Addr = inner
            .parse()
            .map_err(|_| "its IPv6 host is not a valid address")?;
        return Ok(Some(format!("[{}]", whatwg_ipv6(&address))));
    }
    let last = host.strip_suffix('.').unwrap_or(host);
    let last = last.rsplit('.').next().unwrap_or(last);
    let numeric = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !(numeric || hex) {
        return Ok(None);
    }
    match host.parse::<Ipv4Addr>() {
        Ok(address) => Ok(Some(address.to_string())),
        Err(_) => Err(
            "its host looks like an IPv4 address but is not four decimal numbers without leading zeros; write it like `http://127.0.0.1:3000`",
        ),
    }
}

/// IPv6 serialization of the WHATWG URL standard: lower-case hex without
/// leading zeros, the first longest run of two or more zero pieces as `::`,
/// never a dotted IPv4 tail (unlike `Ipv6Addr`'s `Display`).
fn whatwg_ipv6(address: &Ipv6Addr) -> String {
    let pieces = address.segments();
    let (mut best, mut best_len, mut run, mut run_len) = (None, 1, 0, 0);
    for (i, piece) in pieces.iter().enumerate() {
        if *piece == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (Some(run), run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < pieces.len() {
        if Some(i) == best {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        out.push_str(&format!("{:x}", pieces[i]));
        if i + 1 < pieces.len() {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// Splits `host[:port]`; the host is a DNS name, IPv4 or bracketed IPv6.
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), &'static str> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some(end) = v6.find(']') else {
            return Err("its IPv6 host has no closing `]`");
        };
        let host = &authority[..end + 2];
        if !v6[..end]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            || end == 0
        {
            return Err("its IPv6 host is not valid");
        }
        match &authority[end + 2..] {
            "" => (host, None),
            rest => match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err("it has characters after the IPv6 host"),
            },
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_ok = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        if !host_ok {
            return Err("its host has a character a host name cannot have");
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(p) => {
            let valid = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(port) if valid && port != 0 => Some(port),
                _ => return Err("its port is not a number in 1..=65535"),
            }
        }
    };
    Ok((host, port))
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::str::FromStr for Origin {
    type Err = OriginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Parses every origin of a list, stopping at the first bad one; duplicates
/// (after normalization) are dropped.
pub(crate) fn parse_all<I, T>(origins: I) -> Result<Vec<Origin>, OriginError>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let parsed = origins
        .into_iter()
        .map(|origin| Origin::parse(origin.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(parsed.len());
    extend_unique(&mut out, parsed);
    Ok(out)
}

/// Appends each origin not already in `list`, keeping the order: the one
/// de-duplication behind every allow-list (build time and while serving).
pub(crate) fn extend_unique(list: &mut Vec<Origin>, origins: impl IntoIterator<Item = Origin>) {
    for origin in origins {
        if !list.contains(&origin) {
            list.push(origin);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_default_ports() {
        assert_eq!(
            Origin::parse("HTTP://A.example:80").unwrap().as_str(),
            "http://a.example"
        );
        assert_eq!(
            Origin::parse("https://a.example:8443").unwrap().as_str(),
            "https://a.example:8443"
        );
        assert_eq!(
            Origin::parse("http://[::1]:3000").unwrap().host_port(),
            "[::1]:3000"
        );
    }

    #[test]
    fn refuses_ip_addresses_browsers_would_serialize_differently() {
        #[rustfmt::skip]
        let table: &[(&str, &str)] = &[
            ("http://[0:0::1]:3000", "http://[::1]:3000"),
            ("http://[::FFFF:1.2.3.4]", "http://[::ffff:102:304]"),
            ("http://[0000::0001]:80", "http://[::1]"),
            ("https://[2001:db8:0:0:1:0:0:1]", "https://[2001:db8::1:0:0:1]"),
        ];
        for (input, canonical) in table {
            let error = Origin::parse(input).unwrap_err();
            assert_eq!(error.suggestion(), Some(*canonical), "{input}");
            assert!(
                error
                    .to_string()
                    .contains(&format!("write it as `{canonical}`")),
                "{error}"
            );
            // The suggestion itself is accepted unchanged.
            assert_eq!(Origin::parse(canonical).unwrap().as_str(), *canonical);
        }
        for input in [
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://010.0.0.1",
            "http://127.0.0.1.",
            "http://1.2.3.4.5",
            "http://example.123",
            "http://0x7f000001:8080",
        ] {
            let error = Origin::parse(input).unwrap_err();
            assert!(
                error.to_string().contains("`http://127.0.0.1:3000`"),
                "{error}"
            );
        }
        for input in ["https://bücher.example", "https://例え.jp"] {
            let error = Origin::parse(input).unwrap_err();
            assert!(
                error.to_string().contains("use the punycode (xn--) form"),
                "{error}"
            );
        }
        for ok in [
            "http://[::1]:3000",
            "http://[::ffff:102:304]",
            "http://127.0.0.1:8080",
            "https://xn--bcher-kva.example",
            "https://0xdead.example",
            "https://v1.example",
        ] {
            assert_eq!(Origin::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_non_origins() {
        for bad in [
            "",
            "*",
            "null",
            "a.example",
            "https://",
            "https://a.example/",
            "https://a.example/p",
            "https://a.example?q",
            "https://a.example#f",
            "https://ex ample.com",
            "https://u@a.example",
            "https://a.example:0",
            "https://a.example:99999",
            "https://a.example:",
            "https://*.a.example",
            "://a.example",
            "1http://a.example",
            "https://[::1",
            "https://[zz]",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
