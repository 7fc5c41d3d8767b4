//! Exact web origins (`scheme://host[:port]`), the one parser behind every
//! allow-list of this crate: CORS origins, CSRF trusted origins and the
//! public origin of a deployment behind a proxy.
//!
//! An origin is compared byte for byte with the `Origin` header browsers send,
//! so it is stored the way browsers serialize it (RFC 6454 §6.2): scheme and
//! host in lower case, default port (`:80` for http, `:443` for https)
//! omitted. Anything else — a path, even `/`; a query; a fragment; userinfo;
//! `*`; `null`; a bare host — is refused with a message saying how to fix it,
//! never widened into a pattern.
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

/// An exact web origin, normalized the way browsers send it in `Origin`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(Box<str>);

/// Why a string is not an exact `scheme://host[:port]` origin.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not an exact origin: {problem}; write it as scheme://host[:port], e.g. `https://app.example` or `http://localhost:8080`"
)]
pub struct OriginError {
    input: String,
    problem: &'static str,
}

impl OriginError {
    fn new(input: &str, problem: &'static str) -> Self {
        // Bounded so a hostile string cannot blow up an error message or a log line.
        let input: String = input.chars().take(100).collect();
        Self { input, problem }
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
        let serialized = match port {
            Some(port) if Some(port) != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
        Ok(Self(serialized.into_boxed_str()))
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
