//! The demo's settings from the environment, parsed apart from `main` so
//! the tests run the same code on chosen values. Each takes the variable's
//! value (`None`: unset), never reads the environment itself.

use std::ffi::OsStr;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use tower_jwt_cookie::keys::{self, KeyError};
use zeroize::Zeroizing;

/// The loud opt-out of the key files' permission check.
pub const IGNORE_KEY_PERMISSIONS: &str = "DEMO_IGNORE_INSECURE_KEY_PERMISSIONS";

/// A variable the demo cannot use: which one, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadSetting {
    /// The variable.
    pub var: &'static str,
    /// What is wrong with its value, and the fix.
    pub problem: String,
}

impl fmt::Display for BadSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.problem)
    }
}

impl std::error::Error for BadSetting {}

/// `DEMO_ACCESS_TOKEN_SECS`: the access-token lifetime, a positive whole
/// number of seconds (`None` when unset: the crate's default). Very long
/// values are fine: no token outlives its session.
pub fn access_token_lifetime(value: Option<&OsStr>) -> Result<Option<Duration>, BadSetting> {
    let Some(value) = value else {
        return Ok(None);
    };
    let problem = match value.to_str().map(str::parse::<u64>) {
        Some(Ok(0)) => "is 0: an access token must live at least a second".to_owned(),
        Some(Ok(secs)) => return Ok(Some(Duration::from_secs(secs))),
        _ => format!("{value:?} is not a whole number of seconds"),
    };
    Err(BadSetting {
        var: "DEMO_ACCESS_TOKEN_SECS",
        problem: format!("{problem}; use e.g. 20 to watch the page refresh, or unset it for 900"),
    })
}

/// `REDIS_URL` as the demo prints it: without any `user:password@`.
/// Everything between the scheme and the last `@` is dropped, so a password
/// (even one with an unescaped `@` or `/`) never reaches the terminal or a
/// log.
#[cfg(feature = "redis")]
pub fn redacted_redis_url(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://{}", &url[at + 1..]),
        (None, Some(at)) => url[at + 1..].to_owned(),
        (_, None) => url.to_owned(),
    }
}

/// The `store:` line for the Redis store at `REDIS_URL`.
#[cfg(feature = "redis")]
pub fn redis_store_description(url: &str, local_cache: bool, shared_key: bool) -> String {
    let server = redacted_redis_url(url);
    let mut describe = format!("Redis at {server} (RedisStore), shared with every instance on it");
    if local_cache {
        describe.push_str(
            "; local revocation cache on (REDIS_LOCAL_CACHE=1): revocations elsewhere \
             are refused here within 1 s",
        );
    }
    if !shared_key {
        describe.push_str(
            "; set DEMO_KEY_FILE to the same key on every instance, or each signs with its own",
        );
    }
    describe
}

/// How the demo reads its private key files (`DEMO_KEY_FILE`, `DEMO_TLS_KEY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFiles {
    /// Refused when their group or others may read or write them, as ssh
    /// refuses such a private key (the default).
    OwnerOnly,
    /// `DEMO_IGNORE_INSECURE_KEY_PERMISSIONS=1`: read whatever their mode,
    /// for files something else protects (a secrets mount that cannot be
    /// `chmod`ed).
    AnyMode,
}

impl KeyFiles {
    /// From `DEMO_IGNORE_INSECURE_KEY_PERMISSIONS`: unset or `0` is
    /// [`OwnerOnly`](Self::OwnerOnly), `1` is [`AnyMode`](Self::AnyMode).
    pub fn from_value(value: Option<&OsStr>) -> Result<Self, BadSetting> {
        match value.map(|v| v.to_str()) {
            None | Some(Some("0")) => Ok(Self::OwnerOnly),
            Some(Some("1")) => Ok(Self::AnyMode),
            Some(_) => Err(BadSetting {
                var: IGNORE_KEY_PERMISSIONS,
                problem: format!(
                    "{:?} is neither 1 nor 0; use 1 only for key files something else protects",
                    value.unwrap_or_default()
                ),
            }),
        }
    }

    /// The private key file at `path`, named by variable `var`, read with
    /// the crate's key-file check (or without it, for [`AnyMode`](Self::AnyMode)).
    pub fn read(self, var: &'static str, path: &Path) -> Result<Zeroizing<Vec<u8>>, BadSetting> {
        let read = match self {
            Self::OwnerOnly => keys::read_key_file(path),
            Self::AnyMode => keys::read_key_file_ignoring_insecure_permissions(path),
        };
        read.map_err(|error| BadSetting {
            var,
            problem: match error {
                KeyError::KeyFilePermissions { .. } => {
                    format!("{error}; the demo's opt-out is {IGNORE_KEY_PERMISSIONS}=1")
                }
                other => other.to_string(),
            },
        })
    }
}
