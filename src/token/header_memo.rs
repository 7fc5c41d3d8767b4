//! The last JOSE header each thread read, kept with what reading it gave.
//!
//! Every token of one issuer and key carries the same header, byte for byte
//! (`alg`, `kid`, `typ`), so a server decodes and parses the same few dozen
//! bytes again on every request: for HS256, where the signature is cheap,
//! that is about a tenth of a verification. Reading a header depends on its
//! bytes alone (no key, policy or clock), so the same bytes give the same
//! result; only a header that passed every check is kept, and a hit needs
//! the whole base64url segment to be equal, so a header that differs in a
//! single byte is read afresh.
//!
//! One entry per thread: no lock, and nothing that another core writes.
//! Its buffers are reused, so a thread that sees headers of several
//! issuers in turn allocates nothing after the first of each size.

use std::cell::RefCell;

use crate::keys::Algorithm;

/// What reading the kept segment gave; `kid` and `typ` are written, in that
/// order, into the caller's buffer.
#[derive(Clone, Copy)]
pub(super) struct Recalled {
    pub(super) alg: Algorithm,
    /// The length of `kid` at the start of the buffer.
    pub(super) kid: Option<usize>,
    /// The length of `typ`, right after `kid`.
    pub(super) typ: Option<usize>,
}

#[derive(Default)]
struct Memo {
    /// The base64url header segment; empty when nothing is kept.
    segment: Vec<u8>,
    /// `kid` then `typ`, decoded.
    strings: Vec<u8>,
    read: Option<Recalled>,
}

thread_local! {
    static LAST: RefCell<Memo> = RefCell::default();
}

/// If `segment` is the kept one: its `kid` and `typ` copied into `into`,
/// and where they are. `None` when it is not (or they would not fit).
pub(super) fn recall(segment: &[u8], into: &mut [u8]) -> Option<Recalled> {
    // `try_with`: during the thread's teardown there is no memo, not a panic.
    LAST.try_with(|memo| {
        let memo = memo.try_borrow().ok()?;
        let read = memo.read?;
        if memo.segment != segment || memo.strings.len() > into.len() {
            return None;
        }
        into[..memo.strings.len()].copy_from_slice(&memo.strings);
        Some(read)
    })
    .ok()
    .flatten()
}

/// Keeps `segment` and what reading it gave (a header that passed every
/// check), in place of the last one.
pub(super) fn keep(segment: &[u8], alg: Algorithm, kid: Option<&str>, typ: Option<&str>) {
    let _ = LAST.try_with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else {
            return;
        };
        let memo = &mut *memo;
        memo.segment.clear();
        memo.segment.extend_from_slice(segment);
        memo.strings.clear();
        for part in [kid, typ].into_iter().flatten() {
            memo.strings.extend_from_slice(part.as_bytes());
        }
        memo.read = Some(Recalled {
            alg,
            kid: kid.map(str::len),
            typ: typ.map(str::len),
        });
    });
}
