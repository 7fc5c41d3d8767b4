//! MemoryStore passes the public RevocationStore conformance suite, and
//! forgets every entry after its expiry (memory stays bounded).

use tower_jwt_cookie::MemoryStore;
use tower_jwt_cookie::revocation::{RevocationStore, SessionStart, TokenRevocation, conformance};

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    conformance::run_all(&MemoryStore::new()).await;
}

#[test]
fn memory_store_passes_the_parallel_races_on_two_threads_and_more() {
    let store = MemoryStore::new();
    for threads in [2, 8, 32] {
        conformance::run_parallel_races(&store, threads);
    }
}

#[tokio::test]
async fn memory_store_forgets_every_entry_after_its_expiry() {
    let store = MemoryStore::new();
    let now = 1_000;
    for i in 0..1_000 {
        let (sid, sub, jti) = (format!("s{i}"), format!("u{}", i % 10), format!("j{i}"));
        let start = SessionStart {
            sid: &sid,
            sub: &sub,
            refresh_jti: &jti,
            now,
            idle_expires_at: now + 100,
            absolute_expires_at: now + 200,
        };
        store.start_session(start).await.unwrap();
        let revocation = TokenRevocation {
            sub: &sub,
            jti: &jti,
            expires_at: now + 50,
        };
        store.revoke_token(revocation).await.unwrap();
    }
    store.revoke_subject("u1", now, now + 300).await.unwrap();
    assert!(store.len() >= 2_000);
    store.purge_expired(now + 200);
    // Left: u1's cutoff and its 100 revoked sessions, all remembered until now+300.
    assert_eq!(store.len(), 101);
    store.purge_expired(now + 300);
    assert!(store.is_empty());
}

#[tokio::test]
async fn memory_store_sweeps_expired_entries_as_writes_arrive() {
    let store = MemoryStore::new();
    for i in 0..10_000i64 {
        // Each token is revoked for 10 s; time moves one second per write.
        store
            .revoke_token(TokenRevocation {
                sub: "z",
                jti: &format!("j{i}"),
                expires_at: 1_000 + i + 10,
            })
            .await
            .unwrap();
        store
            .check(tower_jwt_cookie::revocation::AccessCheck {
                jti: "x",
                sid: "y",
                sub: "z",
                issued_at: 1_000 + i,
                now: 1_000 + i,
            })
            .await
            .unwrap();
    }
    assert!(
        store.len() < 64 * 64 * 2,
        "store kept {} entries",
        store.len()
    );
}

mod broken {
    //! Stores that break the contract: the suite must catch each.
    use std::collections::{HashMap, HashSet};
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Mutex;
    use std::task::{Context, Poll};

    use tower_jwt_cookie::MemoryStore;
    use tower_jwt_cookie::revocation::{
        AccessCheck, RevocationStore, RotateOutcome, Rotation, SessionRevocation, SessionStart,
        StoreError, TokenRevocation, TokenStatus,
    };

    /// Delegates to MemoryStore, but never reports reuse.
    #[derive(Default)]
    pub struct NoReuseDetection(pub MemoryStore);

    impl RevocationStore for NoReuseDetection {
        async fn check(&self, t: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
            self.0.check(t).await
        }
        async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
            self.0.revoke_token(token).await
        }
        async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
            self.0.revoke_session(session).await
        }
        async fn revoke_subject(&self, sub: &str, b: i64, e: i64) -> Result<(), StoreError> {
            self.0.revoke_subject(sub, b, e).await
        }
        async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
            self.0.start_session(s).await
        }
        async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
            // Checks the token is current, but "forgets" to revoke on reuse.
            Ok(match self.0.rotate(r).await? {
                RotateOutcome::Reused => RotateOutcome::Unknown,
                other => other,
            })
        }
    }

    /// Yields once between reading and writing: a read-modify-write race.
    #[derive(Default)]
    pub struct NonAtomicRotate {
        pub inner: NoReuseDetection,
        current: Mutex<HashMap<String, String>>,
    }

    struct YieldOnce(bool);

    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    impl RevocationStore for NonAtomicRotate {
        async fn check(&self, t: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
            self.inner.check(t).await
        }
        async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
            self.inner.revoke_token(token).await
        }
        async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
            self.inner.revoke_session(session).await
        }
        async fn revoke_subject(&self, sub: &str, b: i64, e: i64) -> Result<(), StoreError> {
            self.inner.revoke_subject(sub, b, e).await
        }
        async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
            self.current
                .lock()
                .unwrap()
                .insert(s.sid.into(), s.refresh_jti.into());
            self.inner.start_session(s).await
        }
        async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
            let current = self.current.lock().unwrap().get(r.sid).cloned();
            if current.as_deref() != Some(r.presented_jti) {
                return self.inner.rotate(r).await;
            }
            YieldOnce(false).await;
            self.current
                .lock()
                .unwrap()
                .insert(r.sid.into(), r.next_jti.into());
            Ok(RotateOutcome::Rotated)
        }
    }

    /// Files revocations of empty ids like any other: a token without
    /// `jti`, `sid` or `sub` is then revoked with the first one revoked.
    #[derive(Default)]
    pub struct RevokesEmptyIds {
        revoked: Mutex<HashSet<String>>,
        inner: MemoryStore,
    }

    impl RevokesEmptyIds {
        fn file(&self, kind: &str, id: &str) {
            self.revoked.lock().unwrap().insert(format!("{kind}:{id}"));
        }
    }

    impl RevocationStore for RevokesEmptyIds {
        async fn check(&self, t: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
            let filed = {
                let revoked = self.revoked.lock().unwrap();
                [("jti", t.jti), ("sid", t.sid), ("sub", t.sub)]
                    .iter()
                    .any(|(kind, id)| revoked.contains(&format!("{kind}:{id}")))
            };
            if filed {
                return Ok(TokenStatus::Revoked);
            }
            self.inner.check(t).await
        }
        async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
            self.file("jti", token.jti);
            self.inner.revoke_token(token).await
        }
        async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
            self.file("sid", session.sid);
            self.inner.revoke_session(session).await
        }
        async fn revoke_subject(&self, sub: &str, b: i64, e: i64) -> Result<(), StoreError> {
            self.file("sub", sub);
            self.inner.revoke_subject(sub, b, e).await
        }
        async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
            self.inner.start_session(s).await
        }
        async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
            self.inner.rotate(r).await
        }
    }

    /// Revocations by `jti` reach only the check side: a refresh token
    /// revoked by `jti` still rotates (what the stores did before the rule).
    #[derive(Default)]
    pub struct RotatesRevokedTokens {
        checks: MemoryStore,
        sessions: MemoryStore,
    }

    impl RevocationStore for RotatesRevokedTokens {
        async fn check(&self, t: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
            self.checks.check(t).await
        }
        async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
            self.checks.revoke_token(token).await
        }
        async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
            self.sessions.revoke_session(session).await
        }
        async fn revoke_subject(&self, sub: &str, b: i64, e: i64) -> Result<(), StoreError> {
            self.sessions.revoke_subject(sub, b, e).await
        }
        async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
            self.sessions.start_session(s).await
        }
        async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
            self.sessions.rotate(r).await
        }
    }
}

#[tokio::test]
#[should_panic(expected = "store contract rule `rotate_previous_token_after_grace_is_reuse`")]
async fn the_suite_catches_a_store_without_reuse_detection() {
    conformance::run_all(&broken::NoReuseDetection::default()).await;
}

#[tokio::test]
#[should_panic(expected = "how many of the concurrent rotations returned Rotated")]
async fn the_suite_catches_a_store_whose_rotation_is_not_atomic() {
    conformance::concurrent_rotations_of_one_token_yield_exactly_one_rotated(
        &broken::NonAtomicRotate::default(),
    )
    .await;
}

#[tokio::test]
#[should_panic(expected = "store contract rule `revoked_refresh_token_cannot_rotate`")]
async fn the_suite_catches_a_store_that_rotates_a_refresh_token_revoked_by_jti() {
    conformance::revoked_refresh_token_cannot_rotate(&broken::RotatesRevokedTokens::default())
        .await;
}

#[tokio::test]
#[should_panic(
    expected = "store contract rule `empty_ids_revoke_nothing`: a token without jti or sid"
)]
async fn the_suite_catches_a_store_that_revokes_empty_ids() {
    conformance::empty_ids_revoke_nothing(&broken::RevokesEmptyIds::default()).await;
}
