//! Bypass routes: an exact method and an exact path, nothing else.
//!
//! Go's `AddInsecureBypassPattern` matched `ServeMux` patterns, so a request
//! for `/foo/../bypass/bar` or `/bypass` (which the mux would redirect) was let
//! through unchecked (CVE-2025-47910). Here the path is compared byte for byte
//! with the request's raw path: no cleaning, no `..` resolution, no trailing
//! slash added or removed, no percent-decoding, no wildcards.

use std::fmt;

use http::Method;

use super::method::is_safe;

/// One route the CSRF guard does not check (a webhook, an OAuth callback).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BypassRoute {
    method: Method,
    path: Box<str>,
}

/// Why a bypass route was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bypass route `{method} {path}` is not valid: {problem}; give an exact path like `/hooks/stripe` (no `..`, `.`, `//`, query, fragment or pattern)"
)]
pub struct RouteError {
    method: String,
    path: String,
    problem: &'static str,
}

impl BypassRoute {
    /// An exact route. The path must start with `/` and contain no empty, `.`
    /// or `..` segment, query, fragment, `%`-escape or pattern syntax (`{`, `*`),
    /// so that it can only ever equal one request path. Safe methods need no
    /// bypass and are refused.
    pub fn new(method: Method, path: &str) -> Result<Self, RouteError> {
        let err = |problem| RouteError {
            method: method.to_string(),
            path: path.chars().take(200).collect(),
            problem,
        };
        if is_safe(&method) {
            return Err(err(
                "safe methods are never checked, so they need no bypass",
            ));
        }
        let Some(rest) = path.strip_prefix('/') else {
            return Err(err("the path must start with `/`"));
        };
        if path.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
            return Err(err("the path has a space, control or non-ASCII character"));
        }
        if let Some(c) = path.chars().find(|c| "?#%{}*".contains(*c)) {
            return Err(err(match c {
                '?' => "the path has a query",
                '#' => "the path has a fragment",
                '%' => "the path has a percent-escape",
                _ => "patterns are not supported: list each exact path",
            }));
        }
        let segments: Vec<&str> = rest.split('/').collect();
        let last = segments.len() - 1;
        for (i, segment) in segments.iter().enumerate() {
            if *segment == "." || *segment == ".." {
                return Err(err("the path has a `.` or `..` segment"));
            }
            if segment.is_empty() && i != last {
                return Err(err("the path has an empty segment (`//`)"));
            }
        }
        Ok(Self {
            method,
            path: path.into(),
        })
    }

    /// Whether `method` and raw `path` are exactly this route.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        self.method == method && *self.path == *path
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Debug for BypassRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}
