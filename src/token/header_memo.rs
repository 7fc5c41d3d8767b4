//! The last JOSE header each thread read, kept with what reading it gave.
//!
//! Every token of one issuer and key carries the same header, byte for byte
//! (`alg`, `kid`, `typ`), so a server decodes and parses the same few dozen
//! bytes again on every request: for HS256, where the signature is cheap,
//! that is about 7% of a verification's instructions. Reading a header
//! depends on its bytes alone (no key, policy or clock: those are checked
//! after it, on every token), so the same bytes give the same result. Only
//! a header that passed every header check is kept (the signature is
//! checked later, hit or not), and a hit needs the whole base64url segment
//! to be equal, so a header that differs in a single byte is read afresh.
//!
//! One entry per thread: no lock, and nothing that another core writes.
//! Only segments that decode on the stack are kept, so an entry holds at
//! most a few hundred bytes per thread, and its buffers are reused: a thread
//! allocates nothing once it has kept its longest header. Whether a token's
//! header is the kept one shows in the time it takes to read; headers are
//! not secret (they name the algorithm and the key), so that tells a prober
//! nothing it does not already know.

use std::cell::RefCell;

use crate::keys::Algorithm;

/// What reading the kept segment gave; `kid` and `typ` are copied, in that
/// order, to the start of the caller's scratch space.
#[derive(Clone, Copy)]
pub(super) struct Recalled {
    pub(super) alg: Algorithm,
    /// The length of `kid`, at the start of the scratch space.
    pub(super) kid_len: Option<usize>,
    /// The length of `typ`, right after `kid`.
    pub(super) typ_len: Option<usize>,
}

struct Entry {
    /// The base64url header segment.
    segment: Vec<u8>,
    /// `kid` then `typ`, decoded.
    strings: Vec<u8>,
    read: Recalled,
}

thread_local! {
    static LAST: RefCell<Option<Entry>> = const { RefCell::new(None) };
}

/// If `segment` is the kept one: its `kid` and `typ` copied into `scratch`,
/// and where they are. `None` when it is not (or they would not fit).
pub(super) fn recall(segment: &[u8], scratch: &mut [u8]) -> Option<Recalled> {
    // `try_with` and `try_borrow`: no memo during the thread's teardown, and
    // none while one is being written (neither can happen here: nothing
    // runs inside a borrow), rather than a panic.
    LAST.try_with(|last| {
        let last = last.try_borrow().ok()?;
        let entry = last.as_ref().filter(|entry| entry.segment == segment)?;
        scratch
            .get_mut(..entry.strings.len())?
            .copy_from_slice(&entry.strings);
        Some(entry.read)
    })
    .ok()
    .flatten()
}

/// Keeps `segment` and what reading it gave (a header that passed every
/// header check), in place of the last one.
pub(super) fn keep(segment: &[u8], alg: Algorithm, kid: Option<&str>, typ: Option<&str>) {
    let _ = LAST.try_with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return;
        };
        let read = Recalled {
            alg,
            kid_len: kid.map(str::len),
            typ_len: typ.map(str::len),
        };
        let entry = last.get_or_insert_with(|| Entry {
            segment: Vec::new(),
            strings: Vec::new(),
            read,
        });
        entry.segment.clear();
        entry.segment.extend_from_slice(segment);
        entry.strings.clear();
        for part in [kid, typ].into_iter().flatten() {
            entry.strings.extend_from_slice(part.as_bytes());
        }
        entry.read = read;
    });
}

/// Forgets the kept header, so that the next reading on this thread is a
/// fresh one (for the fuzz target's comparison of the two).
#[cfg(feature = "fuzzing")]
pub(crate) fn forget() {
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = None;
        }
    });
}
