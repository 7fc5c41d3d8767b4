//! The parts of a default HTTP refusal that depend only on the rejection
//! (its JSON body and its headers), built once per
//! distinct rejection and then shared: refusals are what a flood of bad
//! requests costs, so after the first of a kind none formats, escapes or
//! allocates them again.
//!
//! The set of distinct rejections is small and fixed by the code and the
//! configuration (every message is a fixed sentence; `TooLarge` carries a
//! configured limit), and the table is bounded anyway: past
//! [`MAX_ENTRIES`], parts are built per request as before. Entries live for
//! the process, so their bytes are static and a clone writes no reference
//! count shared between cores; a clone of the headers copies two arrays
//! and hashes nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use arc_swap::ArcSwap;
use bytes::Bytes;
use foldhash::fast::RandomState;
use http::{HeaderMap, HeaderValue};

use super::Rejection;

/// How many distinct rejections are kept at most.
const MAX_ENTRIES: usize = 256;

/// The body and headers of one rejection's default HTTP response.
#[derive(Clone)]
pub(super) struct Parts {
    /// `{"error":"<reason>","message":"<sentence>"}`.
    pub(super) body: Bytes,
    /// `Content-Type`, `Cache-Control` and, for a 401, `WWW-Authenticate`.
    pub(super) headers: HeaderMap,
}

type Table = HashMap<Rejection, Parts, RandomState>;

/// The parts for `rejection`: from the table, or built by `build` (and
/// kept, with static bytes, while the table has room).
pub(super) fn parts(rejection: &Rejection, build: impl Fn(&Rejection) -> Parts) -> Parts {
    static TABLE: OnceLock<ArcSwap<Table>> = OnceLock::new();
    // One builder at a time, so racing first refusals of one kind leak
    // one copy, not one each, and the bound holds exactly.
    static BUILDING: Mutex<()> = Mutex::new(());
    let table = TABLE.get_or_init(|| ArcSwap::from_pointee(Table::default()));
    if let Some(parts) = table.load().get(rejection) {
        return parts.clone();
    }
    let _building = BUILDING.lock().unwrap_or_else(PoisonError::into_inner);
    let current = table.load_full();
    if let Some(parts) = current.get(rejection) {
        return parts.clone();
    }
    let built = build(rejection);
    if current.len() >= MAX_ENTRIES {
        return built;
    }
    let mut headers = built.headers;
    for value in headers.values_mut() {
        let bytes = Bytes::from_static(Vec::leak(value.as_bytes().to_vec()));
        *value = HeaderValue::from_maybe_shared(bytes).expect("the bytes of a valid header value");
    }
    let kept = Parts {
        body: Bytes::from_static(Vec::leak(built.body.to_vec())),
        headers,
    };
    let mut next = Table::clone(&current);
    next.insert(rejection.clone(), kept.clone());
    table.store(Arc::new(next));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_is_built_once_then_served_from_the_table() {
        let builds = std::sync::atomic::AtomicUsize::new(0);
        let build = |rejection: &Rejection| {
            builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut headers = HeaderMap::new();
            headers.insert("www-authenticate", HeaderValue::from_str("Bearer").unwrap());
            Parts {
                body: Bytes::from(rejection.to_string()),
                headers,
            }
        };
        // A limit no other test uses: this entry is this test's own.
        let rejection = Rejection::TooLarge { limit: 123_457 };
        let first = parts(&rejection, build);
        let second = parts(&rejection, build);
        assert_eq!(builds.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(first.body, second.body);
        assert_eq!(&second.body[..], b"the token is longer than 123457 bytes");
        assert_eq!(second.headers["www-authenticate"], "Bearer");
    }
}
