//! One test store: a MemoryStore that counts its checks and fails on demand.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::revocation::{
    AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
    StoreError, TokenRevocation, TokenStatus,
};

/// A MemoryStore behind two switches. `set_failing(true)` makes every call
/// fail (a store that is down, from now until switched back);
/// [`TestStore::failing_now`] makes the synchronous `check_now` fail (a
/// broken cache in front of a healthy store). Otherwise `check_now` declines,
/// so every check reaches the asynchronous `check`, which is counted: a test
/// proves what never reaches the store. Clones share the switches, the
/// counter and the entries.
#[derive(Clone, Default)]
pub struct TestStore {
    inner: MemoryStore,
    checks: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
    fail_now: bool,
}

impl TestStore {
    /// A store that is down: every call fails until `set_failing(false)`.
    pub fn broken() -> Self {
        let store = Self::default();
        store.set_failing(true);
        store
    }

    /// A store whose `check_now` answers with an error.
    pub fn failing_now() -> Self {
        Self {
            fail_now: true,
            ..Self::default()
        }
    }

    /// Switches every call (this clone's and all others') to fail or succeed.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// How many times the asynchronous `check` was called.
    pub fn checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }

    fn up(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            Err(StoreError::new("connection refused"))
        } else {
            Ok(())
        }
    }
}

impl RevocationStore for TestStore {
    async fn check(&self, token: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.up()?;
        self.inner.check(token).await
    }
    fn check_now(&self, _: AccessCheck<'_>) -> Option<Result<TokenStatus, StoreError>> {
        self.fail_now
            .then(|| Err(StoreError::new("cache poisoned")))
    }
    async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
        self.up()?;
        self.inner.revoke_token(token).await
    }
    async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
        self.up()?;
        self.inner.revoke_session(session).await
    }
    async fn revoke_subject(
        &self,
        sub: &str,
        issued_before: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.up()?;
        self.inner
            .revoke_subject(sub, issued_before, expires_at)
            .await
    }
    async fn start_session(&self, session: SessionStart<'_>) -> Result<(), StoreError> {
        self.up()?;
        self.inner.start_session(session).await
    }
    async fn rotate(&self, rotation: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        self.up()?;
        self.inner.rotate(rotation).await
    }
}
