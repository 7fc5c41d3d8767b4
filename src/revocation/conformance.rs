//! The [`RevocationStore`] contract as executable rules (feature `conformance`).
//!
//! Anyone who writes a store (Postgres, DynamoDB, ...) runs the same suite
//! that [`MemoryStore`](super::MemoryStore) passes: [`run_all`] checks every
//! rule, with N rotations of one token polled concurrently in one task;
//! [`run_parallel_races`] races them on OS threads for stores whose futures
//! need no particular runtime. A broken rule panics with its name.
//!
//! Rules use their own random ids and their own stretch of simulated time
//! (later than any earlier rule's), so one store can serve the whole suite.
//!
//! ```
//! use tower_jwt_cookie::MemoryStore;
//! use tower_jwt_cookie::revocation::conformance;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! conformance::run_all(&store).await;
//! # });
//! conformance::run_parallel_races(&MemoryStore::new(), 4);
//! ```

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};

use super::{
    AccessCheck, RETENTION_MARGIN_SECS, RevocationStore, RotateOutcome, Rotation,
    SessionRevocation, SessionStart, TokenRevocation, TokenStatus,
};

/// Simulated time: each rule starts a million seconds after the previous one.
static EPOCH: AtomicI64 = AtomicI64::new(2_000_000_000);
const RULE_SPAN: i64 = 1_000_000;

/// How many unrelated writes `revocations_hold_through_the_leeway` makes.
const FILLER_WRITES: usize = 8192;

/// How many rotations race in the concurrency rules.
const RACERS: usize = 16;

/// One rule's ids, subject and start time.
struct Rule {
    name: &'static str,
    prefix: String,
    /// The subject of the rule's sessions and tokens.
    sub: String,
    t0: i64,
}

impl Rule {
    fn new(name: &'static str) -> Self {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).expect("the system random generator failed");
        let prefix = format!("{name}-{:016x}", u64::from_le_bytes(random));
        Self {
            name,
            sub: format!("{prefix}-sub"),
            prefix,
            t0: EPOCH.fetch_add(RULE_SPAN, Ordering::SeqCst) + RULE_SPAN,
        }
    }

    fn id(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }
}

fn expect<T: PartialEq + std::fmt::Debug>(rule: &str, what: &str, got: T, want: T) {
    assert_eq!(got, want, "store contract rule `{rule}`: {what}");
}

fn store_ok<T, E: std::fmt::Display>(rule: &str, result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("store contract rule `{rule}`: the store failed: {error}"),
    }
}

/// Starts session `[sid, sub, first refresh jti]`.
async fn start<S: RevocationStore>(
    store: &S,
    rule: &str,
    [sid, sub, jti]: [&str; 3],
    now: i64,
    idle: i64,
    absolute: i64,
) {
    let start = SessionStart {
        sid,
        sub,
        refresh_jti: jti,
        now,
        idle_expires_at: idle,
        absolute_expires_at: absolute,
    };
    store_ok(rule, store.start_session(start).await);
}

/// Rotates a session of subject [`Rule::sub`] (every rule's sessions have
/// that one subject unless a rule says otherwise).
async fn rotate<S: RevocationStore>(
    store: &S,
    rule: &Rule,
    sid: &str,
    presented: &str,
    next: &str,
    now: i64,
    grace: i64,
) -> RotateOutcome {
    let rotation = Rotation {
        sub: &rule.sub,
        sid,
        presented_jti: presented,
        next_jti: next,
        now,
        grace_secs: grace,
        idle_expires_at: now + 3600,
    };
    store_ok(rule.name, store.rotate(rotation).await)
}

async fn revoke_token<S: RevocationStore>(store: &S, rule: &Rule, jti: &str, expires_at: i64) {
    let token = TokenRevocation {
        sub: &rule.sub,
        jti,
        expires_at,
    };
    store_ok(rule.name, store.revoke_token(token).await);
}

async fn revoke_session<S: RevocationStore>(store: &S, rule: &Rule, sid: &str, expires_at: i64) {
    let session = SessionRevocation {
        sub: &rule.sub,
        sid,
        expires_at,
    };
    store_ok(rule.name, store.revoke_session(session).await);
}

async fn status<S: RevocationStore>(
    store: &S,
    rule: &str,
    jti: &str,
    sid: &str,
    sub: &str,
    iat: i64,
    now: i64,
) -> TokenStatus {
    let check = AccessCheck {
        jti,
        sid,
        sub,
        issued_at: iat,
        now,
    };
    let status = store_ok(rule, store.check(check).await);
    if let Some(now_answer) = store.check_now(check) {
        let now_status = store_ok(rule, now_answer);
        assert_eq!(
            now_status, status,
            "{rule}: check_now answered {now_status:?} where check answered {status:?}"
        );
    }
    status
}

/// Runs every rule of the contract against `store`.
pub async fn run_all<S: RevocationStore>(store: &S) {
    check_reports_unrevoked_tokens_as_active(store).await;
    revoke_token_revokes_that_token_only(store).await;
    revocations_hold_until_their_expiry(store).await;
    revoke_session_revokes_its_access_tokens_and_refresh_family(store).await;
    revoke_subject_revokes_tokens_issued_before_the_cutoff(store).await;
    revoke_subject_revokes_sessions_started_in_the_same_second(store).await;
    rotate_current_token_rotates(store).await;
    rotate_previous_token_within_grace_changes_nothing(store).await;
    rotate_previous_token_after_grace_is_reuse(store).await;
    rotate_older_token_is_reuse_even_within_grace(store).await;
    rotate_unknown_session_is_unknown(store).await;
    rotate_after_idle_expiry_is_unknown(store).await;
    rotate_after_absolute_expiry_is_unknown(store).await;
    concurrent_rotations_of_one_token_yield_exactly_one_rotated(store).await;
    no_descendant_rotates_after_the_family_is_revoked(store).await;
    revoked_sessions_stay_revoked_until_their_absolute_expiry(store).await;
    revocations_hold_through_the_leeway(store).await;
    revoked_refresh_token_cannot_rotate(store).await;
    empty_ids_revoke_nothing(store).await;
}

/// A token nothing revoked is `Active`.
pub async fn check_reports_unrevoked_tokens_as_active<S: RevocationStore>(store: &S) {
    const RULE: &str = "check_reports_unrevoked_tokens_as_active";
    let r = Rule::new(RULE);
    let got = status(store, RULE, &r.id("jti"), &r.id("sid"), &r.sub, r.t0, r.t0).await;
    expect(RULE, "an unknown token", got, TokenStatus::Active);
}

/// `revoke_token` revokes that `jti`, and nothing else of its session.
pub async fn revoke_token_revokes_that_token_only<S: RevocationStore>(store: &S) {
    const RULE: &str = "revoke_token_revokes_that_token_only";
    let r = Rule::new(RULE);
    let (sid, sub) = (r.id("sid"), r.sub.clone());
    revoke_token(store, &r, &r.id("a"), r.t0 + 100).await;
    let a = status(store, RULE, &r.id("a"), &sid, &sub, r.t0, r.t0 + 1).await;
    expect(RULE, "the revoked token", a, TokenStatus::Revoked);
    let b = status(store, RULE, &r.id("b"), &sid, &sub, r.t0, r.t0 + 1).await;
    expect(
        RULE,
        "another token of the same session",
        b,
        TokenStatus::Active,
    );
}

/// A revocation stays in force until its `expires_at`; revoking again with
/// an earlier expiry never shortens it.
pub async fn revocations_hold_until_their_expiry<S: RevocationStore>(store: &S) {
    const RULE: &str = "revocations_hold_until_their_expiry";
    let r = Rule::new(RULE);
    let (sid, sub, jti) = (r.id("sid"), r.sub.clone(), r.id("jti"));
    revoke_token(store, &r, &jti, r.t0 + 100).await;
    revoke_token(store, &r, &jti, r.t0 + 10).await;
    let got = status(store, RULE, &jti, &sid, &sub, r.t0, r.t0 + 99).await;
    expect(
        RULE,
        "a token revoked until t0+100, checked at t0+99",
        got,
        TokenStatus::Revoked,
    );
    revoke_session(store, &r, &r.id("other"), r.t0 + 100).await;
    let got = status(
        store,
        RULE,
        &r.id("x"),
        &r.id("other"),
        &sub,
        r.t0,
        r.t0 + 99,
    )
    .await;
    expect(
        RULE,
        "a token of a session revoked until t0+100",
        got,
        TokenStatus::Revoked,
    );
}

/// `revoke_session` (logout) revokes every access token of the session and
/// its refresh family.
pub async fn revoke_session_revokes_its_access_tokens_and_refresh_family<S: RevocationStore>(
    store: &S,
) {
    const RULE: &str = "revoke_session_revokes_its_access_tokens_and_refresh_family";
    let r = Rule::new(RULE);
    let (sid, sub, t0) = (r.id("sid"), r.sub.clone(), r.t0);
    start(
        store,
        RULE,
        [&sid, &sub, &r.id("r1")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    revoke_session(store, &r, &sid, t0 + 5000).await;
    let got = status(store, RULE, &r.id("a1"), &sid, &sub, t0, t0 + 1).await;
    expect(
        RULE,
        "an access token of the revoked session",
        got,
        TokenStatus::Revoked,
    );
    let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("r2"), t0 + 1, 5).await;
    expect(
        RULE,
        "rotating the revoked session's current token",
        got,
        RotateOutcome::Unknown,
    );
    let other = status(store, RULE, &r.id("b1"), &r.id("sid2"), &sub, t0, t0 + 1).await;
    expect(
        RULE,
        "a token of another session of the same subject",
        other,
        TokenStatus::Active,
    );
}

/// `revoke_subject` revokes tokens issued strictly before the cutoff, and
/// no token of another subject.
pub async fn revoke_subject_revokes_tokens_issued_before_the_cutoff<S: RevocationStore>(store: &S) {
    const RULE: &str = "revoke_subject_revokes_tokens_issued_before_the_cutoff";
    let r = Rule::new(RULE);
    let (sub, t0) = (r.sub.clone(), r.t0);
    store_ok(RULE, store.revoke_subject(&sub, t0, t0 + 1000).await);
    let before = status(store, RULE, &r.id("a"), &r.id("s1"), &sub, t0 - 1, t0).await;
    expect(
        RULE,
        "a token issued before the cutoff",
        before,
        TokenStatus::Revoked,
    );
    let at = status(store, RULE, &r.id("b"), &r.id("s2"), &sub, t0, t0).await;
    expect(
        RULE,
        "a token issued at the cutoff (no known session)",
        at,
        TokenStatus::Active,
    );
    let other = status(
        store,
        RULE,
        &r.id("c"),
        &r.id("s3"),
        &r.id("other"),
        t0 - 1,
        t0,
    )
    .await;
    expect(
        RULE,
        "a token of another subject",
        other,
        TokenStatus::Active,
    );
}

/// Logout everywhere also revokes sessions started earlier in the same
/// second, while a session started after the call works.
pub async fn revoke_subject_revokes_sessions_started_in_the_same_second<S: RevocationStore>(
    store: &S,
) {
    const RULE: &str = "revoke_subject_revokes_sessions_started_in_the_same_second";
    let r = Rule::new(RULE);
    let (sub, t0) = (r.sub.clone(), r.t0);
    let (s1, s2) = (r.id("s1"), r.id("s2"));
    start(
        store,
        RULE,
        [&s1, &sub, &r.id("r1")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    store_ok(RULE, store.revoke_subject(&sub, t0, t0 + 5000).await);
    let got = status(store, RULE, &r.id("a1"), &s1, &sub, t0, t0).await;
    expect(
        RULE,
        "an access token of a session started in the same second",
        got,
        TokenStatus::Revoked,
    );
    let got = rotate(store, &r, &s1, &r.id("r1"), &r.id("r1b"), t0, 5).await;
    expect(RULE, "rotating that session", got, RotateOutcome::Unknown);
    start(
        store,
        RULE,
        [&s2, &sub, &r.id("r2")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    let got = status(store, RULE, &r.id("a2"), &s2, &sub, t0, t0).await;
    expect(
        RULE,
        "a token of a session started after the call",
        got,
        TokenStatus::Active,
    );
    let got = rotate(store, &r, &s2, &r.id("r2"), &r.id("r2b"), t0 + 1, 5).await;
    expect(
        RULE,
        "rotating a session started after the call",
        got,
        RotateOutcome::Rotated,
    );
}

/// The current token rotates, and so does its successor.
pub async fn rotate_current_token_rotates<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_current_token_rotates";
    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    start(
        store,
        RULE,
        [&sid, &r.sub, &r.id("r1")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("r2"), t0 + 10, 5).await;
    expect(
        RULE,
        "rotating the first token",
        got,
        RotateOutcome::Rotated,
    );
    let got = rotate(store, &r, &sid, &r.id("r2"), &r.id("r3"), t0 + 20, 5).await;
    expect(RULE, "rotating its successor", got, RotateOutcome::Rotated);
    let got = status(store, RULE, &r.id("a"), &sid, &r.sub, t0 + 20, t0 + 20).await;
    expect(
        RULE,
        "an access token of the rotating session",
        got,
        TokenStatus::Active,
    );
}

/// The immediately previous token inside the grace window answers
/// `WithinGrace` with the current `jti` and changes nothing.
pub async fn rotate_previous_token_within_grace_changes_nothing<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_previous_token_within_grace_changes_nothing";
    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    start(
        store,
        RULE,
        [&sid, &r.sub, &r.id("r1")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    rotate(store, &r, &sid, &r.id("r1"), &r.id("r2"), t0 + 10, 5).await;
    let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("x"), t0 + 14, 5).await;
    // The rotation at t0 + 10 moved the idle expiry to t0 + 10 + 3600.
    let want = RotateOutcome::WithinGrace {
        current_jti: r.id("r2"),
        idle_expires_at: t0 + 10 + 3600,
    };
    expect(
        RULE,
        "the previous token 4 s after rotation, grace 5 s",
        got,
        want.clone(),
    );
    let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("y"), t0 + 14, 5).await;
    expect(RULE, "the previous token again", got, want);
    let got = rotate(store, &r, &sid, &r.id("r2"), &r.id("r3"), t0 + 14, 5).await;
    expect(
        RULE,
        "the current token after grace answers",
        got,
        RotateOutcome::Rotated,
    );
}

/// The previous token after the grace window is reuse: the family is revoked.
pub async fn rotate_previous_token_after_grace_is_reuse<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_previous_token_after_grace_is_reuse";
    let r = Rule::new(RULE);
    let (sid, sub, t0) = (r.id("sid"), r.sub.clone(), r.t0);
    start(
        store,
        RULE,
        [&sid, &sub, &r.id("r1")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    rotate(store, &r, &sid, &r.id("r1"), &r.id("r2"), t0 + 10, 5).await;
    let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("x"), t0 + 15, 5).await;
    expect(
        RULE,
        "the previous token 5 s after rotation, grace 5 s",
        got,
        RotateOutcome::Reused,
    );
    let got = rotate(store, &r, &sid, &r.id("r2"), &r.id("r3"), t0 + 15, 5).await;
    expect(
        RULE,
        "the current token after reuse",
        got,
        RotateOutcome::Unknown,
    );
    let got = status(store, RULE, &r.id("a"), &sid, &sub, t0 + 10, t0 + 15).await;
    expect(
        RULE,
        "an access token of the family after reuse",
        got,
        TokenStatus::Revoked,
    );
}

/// A token two rotations old is reuse even inside the grace window.
pub async fn rotate_older_token_is_reuse_even_within_grace<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_older_token_is_reuse_even_within_grace";
    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    start(
        store,
        RULE,
        [&sid, &r.sub, &r.id("r1")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    rotate(store, &r, &sid, &r.id("r1"), &r.id("r2"), t0 + 10, 5).await;
    rotate(store, &r, &sid, &r.id("r2"), &r.id("r3"), t0 + 10, 5).await;
    let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("x"), t0 + 10, 5).await;
    expect(
        RULE,
        "a token two rotations old, same second",
        got,
        RotateOutcome::Reused,
    );
    let got = rotate(store, &r, &sid, &r.id("r3"), &r.id("r4"), t0 + 11, 5).await;
    expect(
        RULE,
        "the current token after reuse",
        got,
        RotateOutcome::Unknown,
    );
    let got = rotate(store, &r, &sid, &r.id("r2"), &r.id("r5"), t0 + 11, 5).await;
    expect(
        RULE,
        "the previous token after reuse",
        got,
        RotateOutcome::Unknown,
    );
}

/// An unknown session is `Unknown`; an unknown `jti` of a known session is reuse.
pub async fn rotate_unknown_session_is_unknown<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_unknown_session_is_unknown";
    let r = Rule::new(RULE);
    let got = rotate(
        store,
        &r,
        &r.id("nosuch"),
        &r.id("r1"),
        &r.id("r2"),
        r.t0,
        5,
    )
    .await;
    expect(RULE, "a session never started", got, RotateOutcome::Unknown);
    let sid = r.id("sid");
    start(
        store,
        RULE,
        [&sid, &r.sub, &r.id("r1")],
        r.t0,
        r.t0 + 1000,
        r.t0 + 5000,
    )
    .await;
    let got = rotate(
        store,
        &r,
        &sid,
        &r.id("never-issued"),
        &r.id("r2"),
        r.t0 + 1,
        5,
    )
    .await;
    expect(
        RULE,
        "a jti the family never had",
        got,
        RotateOutcome::Reused,
    );
}

/// A session not refreshed within its idle lifetime is over; each rotation
/// moves the idle expiry.
pub async fn rotate_after_idle_expiry_is_unknown<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_after_idle_expiry_is_unknown";
    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    start(
        store,
        RULE,
        [&sid, &r.sub, &r.id("r1")],
        t0,
        t0 + 100,
        t0 + 100_000,
    )
    .await;
    let rotation = Rotation {
        sub: &r.sub,
        sid: &sid,
        presented_jti: &r.id("r1"),
        next_jti: &r.id("r2"),
        now: t0 + 99,
        grace_secs: 5,
        idle_expires_at: t0 + 199,
    };
    let got = store_ok(RULE, store.rotate(rotation).await);
    expect(
        RULE,
        "rotating 1 s before the idle expiry",
        got,
        RotateOutcome::Rotated,
    );
    let rotation = Rotation {
        presented_jti: &r.id("r2"),
        next_jti: &r.id("r3"),
        now: t0 + 199,
        idle_expires_at: t0 + 299,
        ..rotation
    };
    let got = store_ok(RULE, store.rotate(rotation).await);
    expect(
        RULE,
        "rotating at the moved idle expiry",
        got,
        RotateOutcome::Unknown,
    );
}

/// A session is over at its absolute expiry, however recently it rotated.
pub async fn rotate_after_absolute_expiry_is_unknown<S: RevocationStore>(store: &S) {
    const RULE: &str = "rotate_after_absolute_expiry_is_unknown";
    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    start(
        store,
        RULE,
        [&sid, &r.sub, &r.id("r1")],
        t0,
        t0 + 100,
        t0 + 150,
    )
    .await;
    let rotation = Rotation {
        sub: &r.sub,
        sid: &sid,
        presented_jti: &r.id("r1"),
        next_jti: &r.id("r2"),
        now: t0 + 90,
        grace_secs: 5,
        idle_expires_at: t0 + 190,
    };
    let got = store_ok(RULE, store.rotate(rotation).await);
    expect(
        RULE,
        "rotating before the absolute expiry",
        got,
        RotateOutcome::Rotated,
    );
    let rotation = Rotation {
        presented_jti: &r.id("r2"),
        next_jti: &r.id("r3"),
        now: t0 + 150,
        idle_expires_at: t0 + 250,
        ..rotation
    };
    let got = store_ok(RULE, store.rotate(rotation).await);
    expect(
        RULE,
        "rotating at the absolute expiry",
        got,
        RotateOutcome::Unknown,
    );
}

/// Polls every future in turn until all are done, in one task.
async fn join_all<'a, T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in futures.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *slot = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future completed"))
        .collect()
}

/// Checks a race's outcomes; `idle_expires_at` is the idle expiry the
/// winning rotation set, which `WithinGrace` must report.
fn check_race(
    rule: &str,
    outcomes: &[RotateOutcome],
    nexts: &[String],
    grace: i64,
    idle_expires_at: i64,
) -> String {
    let winners: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i] == RotateOutcome::Rotated)
        .collect();
    expect(
        rule,
        "how many of the concurrent rotations returned Rotated",
        winners.len(),
        1,
    );
    let winner = nexts[winners[0]].clone();
    for (i, outcome) in outcomes.iter().enumerate() {
        if i == winners[0] {
            continue;
        }
        // Without grace the first loser revokes the family; later ones find it gone.
        let ok = if grace > 0 {
            *outcome
                == RotateOutcome::WithinGrace {
                    current_jti: winner.clone(),
                    idle_expires_at,
                }
        } else {
            matches!(outcome, RotateOutcome::Reused | RotateOutcome::Unknown)
        };
        assert!(
            ok,
            "store contract rule `{rule}`: a losing rotation returned {outcome:?}; expected {}",
            if grace > 0 {
                "WithinGrace on the winner's token and idle expiry"
            } else {
                "Reused or Unknown"
            }
        );
    }
    if grace == 0 && outcomes.len() > 1 {
        assert!(
            outcomes.contains(&RotateOutcome::Reused),
            "store contract rule `{rule}`: without a grace window no losing rotation was detected as reuse"
        );
    }
    winner
}

/// N rotations of one token at once: exactly one `Rotated`; with a grace
/// window the others converge on the winner's token (`WithinGrace`), without
/// one they are reuse and the family is revoked.
pub async fn concurrent_rotations_of_one_token_yield_exactly_one_rotated<S: RevocationStore>(
    store: &S,
) {
    const RULE: &str = "concurrent_rotations_of_one_token_yield_exactly_one_rotated";
    for grace in [5, 0] {
        let r = Rule::new(RULE);
        let (sid, t0) = (r.id("sid"), r.t0);
        start(
            store,
            RULE,
            [&sid, &r.sub, &r.id("r1")],
            t0,
            t0 + 1000,
            t0 + 5000,
        )
        .await;
        let presented = r.id("r1");
        let nexts: Vec<String> = (0..RACERS).map(|i| r.id(&format!("next{i}"))).collect();
        let futures = nexts
            .iter()
            .map(|next| {
                Box::pin(rotate(store, &r, &sid, &presented, next, t0 + 1, grace))
                    as Pin<Box<dyn Future<Output = RotateOutcome> + Send + '_>>
            })
            .collect();
        let outcomes = join_all(futures).await;
        let winner = check_race(RULE, &outcomes, &nexts, grace, t0 + 1 + 3600);
        let after = rotate(store, &r, &sid, &winner, &r.id("after"), t0 + 2, grace).await;
        let want = if grace > 0 {
            RotateOutcome::Rotated
        } else {
            RotateOutcome::Unknown
        };
        expect(RULE, "rotating the winner's token afterwards", after, want);
    }
}

/// Reuse racing with rotations of the current token: presenting a token two
/// rotations old is detected as reuse whatever the interleaving, once it is
/// no token of the family rotates, and its access tokens are revoked.
pub async fn no_descendant_rotates_after_the_family_is_revoked<S: RevocationStore>(store: &S) {
    const RULE: &str = "no_descendant_rotates_after_the_family_is_revoked";
    let r = Rule::new(RULE);
    let (sid, sub, t0) = (r.id("sid"), r.sub.clone(), r.t0);
    start(
        store,
        RULE,
        [&sid, &sub, &r.id("r0")],
        t0,
        t0 + 1000,
        t0 + 5000,
    )
    .await;
    let (r0, r1, r2, stolen) = (r.id("r0"), r.id("r1"), r.id("r2"), r.id("stolen"));
    rotate(store, &r, &sid, &r0, &r1, t0, 5).await;
    rotate(store, &r, &sid, &r1, &r2, t0, 5).await;
    // r0 is two rotations old: reuse even inside the grace window, racing
    // with rotations of the current token r2 (whose losers, with a grace
    // window, are not reuse themselves).
    let nexts: Vec<String> = (0..RACERS).map(|i| r.id(&format!("d{i}"))).collect();
    let mut futures: Vec<Pin<Box<dyn Future<Output = RotateOutcome> + Send + '_>>> = nexts
        .iter()
        .map(|next| Box::pin(rotate(store, &r, &sid, &r2, next, t0 + 1, 5)) as Pin<Box<_>>)
        .collect();
    futures.insert(
        RACERS / 2,
        Box::pin(rotate(store, &r, &sid, &r0, &stolen, t0 + 1, 5)),
    );
    let mut outcomes = join_all(futures).await;
    let reuse = outcomes.remove(RACERS / 2);
    expect(
        RULE,
        "presenting a token two rotations old while the current one rotates",
        reuse,
        RotateOutcome::Reused,
    );
    let rotated = outcomes
        .iter()
        .filter(|o| **o == RotateOutcome::Rotated)
        .count();
    assert!(
        rotated <= 1,
        "store contract rule `{RULE}`: one token rotated twice: {outcomes:?}"
    );
    for jti in nexts.iter().chain([&r0, &r1, &r2, &stolen]) {
        let got = rotate(store, &r, &sid, jti, &r.id("late"), t0 + 2, 5).await;
        expect(
            RULE,
            "any token of the family after the reuse",
            got,
            RotateOutcome::Unknown,
        );
    }
    let got = status(store, RULE, &r.id("a"), &sid, &sub, t0 + 1, t0 + 2).await;
    expect(
        RULE,
        "an access token of the family after the reuse",
        got,
        TokenStatus::Revoked,
    );
}

/// A session revoked by reuse, by `revoke_session` or by `revoke_subject`
/// stays revoked until its absolute expiry (the latest `exp` any of its
/// tokens can carry), even past its idle expiry and past a shorter
/// `expires_at` passed in.
pub async fn revoked_sessions_stay_revoked_until_their_absolute_expiry<S: RevocationStore>(
    store: &S,
) {
    const RULE: &str = "revoked_sessions_stay_revoked_until_their_absolute_expiry";
    for how in ["reuse", "revoke_session", "revoke_subject"] {
        let r = Rule::new(RULE);
        let (sid, sub, t0) = (r.id("sid"), r.sub.clone(), r.t0);
        let absolute = t0 + 5000;
        start(
            store,
            RULE,
            [&sid, &sub, &r.id("r1")],
            t0,
            t0 + 1000,
            absolute,
        )
        .await;
        // Idle expiry now t0 + 10 + 3600, well before the absolute one.
        rotate(store, &r, &sid, &r.id("r1"), &r.id("r2"), t0 + 10, 0).await;
        match how {
            "reuse" => {
                let got = rotate(store, &r, &sid, &r.id("r1"), &r.id("x"), t0 + 20, 0).await;
                expect(
                    RULE,
                    "presenting a superseded token",
                    got,
                    RotateOutcome::Reused,
                );
            }
            "revoke_session" => {
                revoke_session(store, &r, &sid, t0 + 30).await;
            }
            _ => store_ok(RULE, store.revoke_subject(&sub, t0 + 20, t0 + 30).await),
        }
        // An access token minted at t0 + 20 (after the cutoff second) that
        // lives to the absolute expiry.
        let got = status(store, RULE, &r.id("a"), &sid, &sub, t0 + 20, absolute - 1).await;
        expect(
            RULE,
            &format!("a family access token at absolute expiry - 1, after {how}"),
            got,
            TokenStatus::Revoked,
        );
    }
}

/// A refresh token whose `jti` was revoked with `revoke_token` cannot
/// rotate, whether it is the family's current token or the previous one
/// inside the grace window: `Unknown`. The family's other tokens are not
/// affected (`revoke_token` revokes that token only).
pub async fn revoked_refresh_token_cannot_rotate<S: RevocationStore>(store: &S) {
    const RULE: &str = "revoked_refresh_token_cannot_rotate";
    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    let (r1, r2) = (r.id("r1"), r.id("r2"));
    start(store, RULE, [&sid, &r.sub, &r1], t0, t0 + 1000, t0 + 5000).await;
    revoke_token(store, &r, &r1, t0 + 1000).await;
    let got = rotate(store, &r, &sid, &r1, &r2, t0 + 1, 5).await;
    expect(
        RULE,
        "rotating the revoked current token",
        got,
        RotateOutcome::Unknown,
    );

    let r = Rule::new(RULE);
    let (sid, t0) = (r.id("sid"), r.t0);
    let (r1, r2, r3) = (r.id("r1"), r.id("r2"), r.id("r3"));
    start(store, RULE, [&sid, &r.sub, &r1], t0, t0 + 1000, t0 + 5000).await;
    let got = rotate(store, &r, &sid, &r1, &r2, t0 + 1, 5).await;
    expect(RULE, "rotating a fresh family", got, RotateOutcome::Rotated);
    revoke_token(store, &r, &r1, t0 + 1000).await;
    let got = rotate(store, &r, &sid, &r1, &r3, t0 + 2, 5).await;
    expect(
        RULE,
        "the revoked previous token inside the grace window",
        got,
        RotateOutcome::Unknown,
    );
    let got = rotate(store, &r, &sid, &r2, &r3, t0 + 2, 5).await;
    expect(
        RULE,
        "the family's current token, not revoked",
        got,
        RotateOutcome::Rotated,
    );
}

/// An empty id names no token, session or subject, only every token that
/// lacks the claim (it reaches `check` as `""`): revoking an empty `jti`,
/// `sid` or `sub` does nothing ("Empty ids" on [`RevocationStore`]).
pub async fn empty_ids_revoke_nothing<S: RevocationStore>(store: &S) {
    const RULE: &str = "empty_ids_revoke_nothing";
    let r = Rule::new(RULE);
    let t0 = r.t0;
    revoke_token(store, &r, "", t0 + 1000).await;
    revoke_session(store, &r, "", t0 + 1000).await;
    store_ok(RULE, store.revoke_subject("", t0 + 10, t0 + 1000).await);
    let got = status(store, RULE, "", "", &r.sub, t0, t0 + 1).await;
    expect(
        RULE,
        "a token without jti or sid, after revoking the empty jti and sid",
        got,
        TokenStatus::Active,
    );
    let got = status(store, RULE, "", "", "", t0, t0 + 1).await;
    expect(
        RULE,
        "a token without jti, sid or sub, after revoking the empty sub",
        got,
        TokenStatus::Active,
    );
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `future` to completion on the current thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}

/// The race rules on `threads` OS threads released together (true
/// parallelism). Each thread drives its store call with a minimal executor,
/// so the store's futures must not need a runtime context (a store built on
/// a runtime's I/O can use [`run_all`], which polls the racers concurrently).
pub fn run_parallel_races<S: RevocationStore>(store: &S, threads: usize) {
    const RULE: &str = "parallel_rotations_of_one_token_yield_exactly_one_rotated";
    let threads = threads.max(2);
    for grace in [5, 0] {
        let r = Rule::new(RULE);
        let (sid, t0) = (r.id("sid"), r.t0);
        block_on(start(
            store,
            RULE,
            [&sid, &r.sub, &r.id("r1")],
            t0,
            t0 + 1000,
            t0 + 5000,
        ));
        let presented = r.id("r1");
        let nexts: Vec<String> = (0..threads).map(|i| r.id(&format!("next{i}"))).collect();
        let barrier = Barrier::new(threads);
        let outcomes: Vec<RotateOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = nexts
                .iter()
                .map(|next| {
                    let (barrier, sid, presented, r) = (&barrier, &sid, &presented, &r);
                    scope.spawn(move || {
                        barrier.wait();
                        block_on(rotate(store, r, sid, presented, next, t0 + 1, grace))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a racing thread panicked"))
                .collect()
        });
        check_race(RULE, &outcomes, &nexts, grace, t0 + 1 + 3600);
    }
}

/// Every entry is honoured [`RETENTION_MARGIN_SECS`] past its expiry, however
/// far later calls moved the store's notion of time: the verifier checks as
/// of `now - leeway`, so a token revoked until its `exp`, or a family revoked
/// for reuse until its absolute expiry, must stay refused through the
/// leeway. Many later writes give a sweeping store every chance to forget.
pub async fn revocations_hold_through_the_leeway<S: RevocationStore>(store: &S) {
    const RULE: &str = "revocations_hold_through_the_leeway";
    let r = Rule::new(RULE);
    let (sub, t0) = (r.id("sub"), r.t0);
    let expiry = t0 + 20;
    let revocation = TokenRevocation {
        sub: &sub,
        jti: &r.id("jti"),
        expires_at: expiry,
    };
    store_ok(RULE, store.revoke_token(revocation).await);
    start(
        store,
        RULE,
        [&r.id("family"), &sub, &r.id("r1")],
        t0,
        expiry,
        expiry,
    )
    .await;
    let reuse = Rotation {
        sub: &sub,
        sid: &r.id("family"),
        presented_jti: &r.id("never-issued"),
        next_jti: &r.id("r2"),
        now: t0 + 1,
        grace_secs: 5,
        idle_expires_at: expiry,
    };
    let got = store_ok(RULE, store.rotate(reuse).await);
    expect(
        RULE,
        "presenting a jti the family never had",
        got,
        RotateOutcome::Reused,
    );
    // A later call carries a time just inside the margin past the expiry;
    // then thousands of unrelated writes give a store that sweeps as it
    // writes (a sharded map, say) every chance to sweep where they live.
    let later = expiry + RETENTION_MARGIN_SECS - 1;
    start(
        store,
        RULE,
        [&r.id("later"), &sub, &r.id("later-r")],
        later,
        later + 10,
        later + 10,
    )
    .await;
    for i in 0..FILLER_WRITES {
        let filler = r.id(&format!("filler-{i}"));
        let revocation = TokenRevocation {
            sub: &filler,
            jti: &filler,
            expires_at: later + 1,
        };
        store_ok(RULE, store.revoke_token(revocation).await);
    }
    // The verifier, with the largest leeway, checks as of `later - 60`.
    let as_of = later - crate::token::MAX_LEEWAY_SECS;
    let got = status(store, RULE, &r.id("jti"), &r.id("s"), &sub, t0, as_of).await;
    expect(
        RULE,
        "a token revoked until its exp, checked within the leeway after later writes",
        got,
        TokenStatus::Revoked,
    );
    let got = status(store, RULE, &r.id("a1"), &r.id("family"), &sub, t0, as_of).await;
    expect(
        RULE,
        "an access token of a family revoked for reuse, checked within the leeway",
        got,
        TokenStatus::Revoked,
    );
}
