use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{SigningKey, VerifyingKey};

/// A future that completes when a key provider has refreshed its keys.
pub type KeyRefresh = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the verifier finds keys and the issuer finds its signing key.
///
/// Lookups are synchronous and allocation-free (an `Arc` clone at most): they
/// sit on the hot path of every request. The algorithm a token may use is the
/// algorithm of the key found here; the caller enforces that, so a provider
/// cannot weaken it.
///
/// A provider backed by a remote key set (JWKS) answers an unknown `kid` from
/// [`KeyProvider::refresh_for_unknown_kid`]: the verifier waits for the returned
/// future once, then looks the key up again. Providers rate-limit refreshes
/// themselves (at most one per cooldown), because `kid` is attacker-chosen.
pub trait KeyProvider: Send + Sync + 'static {
    /// The key a token with header `kid` must be verified with. `None` when no
    /// key matches. A token without `kid` may be matched to a sole key.
    fn verifying_key(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>>;

    /// The key new tokens are signed with, if this provider can sign.
    fn signing_key(&self) -> Option<Arc<SigningKey>>;

    /// [`KeyProvider::verifying_key`] without handing out an `Arc`: `f` sees
    /// the key (or `None`) borrowed from the provider's snapshot. The
    /// verifier calls this on every request; cloning one key's `Arc` there
    /// would write its reference count, shared by every core, each time.
    /// The default calls `verifying_key`.
    fn with_verifying_key(&self, kid: Option<&str>, f: &mut dyn FnMut(Option<&VerifyingKey>)) {
        f(self.verifying_key(kid).as_deref());
    }

    /// Called when [`KeyProvider::verifying_key`] found nothing. Return a future
    /// to wait for before one more lookup, or `None` (the default) to reject now.
    fn refresh_for_unknown_kid(&self, kid: Option<&str>) -> Option<KeyRefresh> {
        let _ = kid;
        None
    }

    /// A number that changes whenever a key is removed or replaced, read from
    /// the same snapshot as the keys. The verifier's token cache keeps, with
    /// each entry, the generation it was verified under and drops the entry
    /// once the generation differs, so a withdrawn key stops verifying cached
    /// tokens at once (no scan of the cache).
    ///
    /// `None` (the default) means the provider cannot tell: the verifier then
    /// caches nothing for it and verifies every token from scratch.
    fn generation(&self) -> Option<u64> {
        None
    }
}

impl<P: KeyProvider + ?Sized> KeyProvider for Arc<P> {
    fn verifying_key(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        (**self).verifying_key(kid)
    }

    fn signing_key(&self) -> Option<Arc<SigningKey>> {
        (**self).signing_key()
    }

    fn with_verifying_key(&self, kid: Option<&str>, f: &mut dyn FnMut(Option<&VerifyingKey>)) {
        (**self).with_verifying_key(kid, f);
    }

    fn refresh_for_unknown_kid(&self, kid: Option<&str>) -> Option<KeyRefresh> {
        (**self).refresh_for_unknown_kid(kid)
    }

    fn generation(&self) -> Option<u64> {
        (**self).generation()
    }
}
