//! Revocation and refresh-token families: the [`RevocationStore`] contract and
//! the embedded [`MemoryStore`].
//!
//! Every entry a store keeps carries the instant after which it may be
//! forgotten (the expiry of the tokens it describes), so stores stay bounded.
//! A store that cannot answer returns [`StoreError`]; the layers then refuse
//! the request (503, gRPC UNAVAILABLE): they fail closed.
//!
//! Writing a store of your own? The public conformance suite,
//! `revocation::conformance` (feature `conformance`), checks it against every
//! rule of the contract; see [`RevocationStore`].
//!
//! ```
//! use tower_jwt_cookie::revocation::{
//!     AccessCheck, MemoryStore, RevocationStore, SessionRevocation, TokenStatus,
//! };
//!
//! # tokio_test_block_on(async {
//! let store = MemoryStore::new();
//! let token = AccessCheck { jti: "t1", sid: "s1", sub: "alice", issued_at: 100, now: 110 };
//! assert_eq!(store.check(token).await?, TokenStatus::Active);
//!
//! let logout = SessionRevocation { sub: "alice", sid: "s1", expires_at: 1_000 };
//! store.revoke_session(logout).await?;
//! assert_eq!(store.check(token).await?, TokenStatus::Revoked);
//! # Ok::<(), tower_jwt_cookie::revocation::StoreError>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

#[cfg(feature = "conformance")]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod error;
mod memory;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;

use std::future::Future;

pub use error::StoreError;
pub use memory::MemoryStore;

/// How long past its `expires_at` a store must still honour an entry when it
/// forgets entries by a clock of its own (a TTL) or by the latest time any
/// call carried: the verifier asks [`check`](RevocationStore::check) as of
/// `now - leeway` (the instant it judged `exp` at, at most
/// [`MAX_LEEWAY_SECS`](crate::token::MAX_LEEWAY_SECS) behind), so a
/// revocation must outlive its expiry by that much to hold through the
/// leeway. The conformance rule `revocations_hold_through_the_leeway` checks it.
pub const RETENTION_MARGIN_SECS: i64 = crate::token::MAX_LEEWAY_SECS;

/// The identifiers of a verified access token, for one revocation check.
/// An id the token does not carry is empty (see "Empty ids" on
/// [`RevocationStore`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessCheck<'a> {
    /// The token's `jti`; empty if it has none (a foreign token).
    pub jti: &'a str,
    /// The token's `sid` (its refresh family); empty if it has none.
    pub sid: &'a str,
    /// The token's `sub`; empty only where `sub` was made optional.
    pub sub: &'a str,
    /// The token's `iat`.
    pub issued_at: i64,
    /// The instant to check at: the verifier passes the current time minus
    /// its leeway (the instant it judged `exp` at), so a revocation kept
    /// until `exp` holds for as long as the token is accepted.
    pub now: i64,
}

/// The answer to a revocation check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStatus {
    /// Nothing revokes the token.
    Active,
    /// The token, its session, or every session of its subject was revoked.
    Revoked,
}

/// A new session (refresh family) and its first refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionStart<'a> {
    /// The session id (`sid` of every token of the family).
    pub sid: &'a str,
    /// The user the session belongs to.
    pub sub: &'a str,
    /// The `jti` of the first refresh token.
    pub refresh_jti: &'a str,
    /// The current time; the session's start.
    pub now: i64,
    /// When the session ends if no refresh happens (idle lifetime).
    pub idle_expires_at: i64,
    /// When the session ends whatever happens (absolute lifetime).
    pub absolute_expires_at: i64,
}

/// One token to revoke, for [`RevocationStore::revoke_token`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRevocation<'a> {
    /// The subject (`sub`) of the token. A store may file the revocation
    /// under it (a Redis store keeps all of one subject's entries in one hash
    /// slot), so it must be the token's own `sub`.
    pub sub: &'a str,
    /// The token's `jti`.
    pub jti: &'a str,
    /// Until when the revocation must hold (at least the token's `exp`).
    pub expires_at: i64,
}

/// One session to revoke (logout), for [`RevocationStore::revoke_session`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRevocation<'a> {
    /// The subject the session belongs to (see [`TokenRevocation::sub`]).
    pub sub: &'a str,
    /// The session id (`sid`).
    pub sid: &'a str,
    /// Until when the revocation must hold at least.
    pub expires_at: i64,
}

/// A request to replace a session's refresh token with the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation<'a> {
    /// The subject (`sub`) of the presented refresh token.
    pub sub: &'a str,
    /// The session id from the presented refresh token.
    pub sid: &'a str,
    /// The `jti` of the presented refresh token.
    pub presented_jti: &'a str,
    /// The `jti` of the refresh token that replaces it.
    pub next_jti: &'a str,
    /// The current time.
    pub now: i64,
    /// Seconds after a rotation during which the immediately previous token
    /// may be presented again without counting as reuse.
    pub grace_secs: i64,
    /// The session's new idle expiry (capped by its absolute expiry).
    pub idle_expires_at: i64,
}

/// The outcome of [`RevocationStore::rotate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The presented token was current; `next_jti` is now current.
    Rotated,
    /// The presented token is the immediately previous one, inside the grace
    /// window: nothing changed, and `current_jti` is the family's current token.
    WithinGrace {
        /// The `jti` of the family's current refresh token.
        current_jti: String,
        /// The session's current idle expiry (as set by the rotation that made
        /// `current_jti` current): the issuer re-mints the current refresh
        /// token with no later `exp`, so the cookie never outlives the session.
        idle_expires_at: i64,
    },
    /// The presented token was superseded: the whole family is now revoked.
    Reused,
    /// The session is unknown, expired or revoked.
    Unknown,
}

/// Where revocations and refresh families live. One process: [`MemoryStore`];
/// many instances: a shared store such as Redis.
///
/// Every method is one round trip to the backend. Implementations must make
/// [`rotate`](Self::rotate) atomic: of N concurrent rotations of the same
/// token exactly one returns [`RotateOutcome::Rotated`]. Times are seconds
/// since the Unix epoch; every entry may be forgotten after the `expires_at`
/// it was written with. Methods can be written as `async fn`.
///
/// # How long a revoked session stays revoked
///
/// A session revoked by [`revoke_session`](Self::revoke_session),
/// [`revoke_subject`](Self::revoke_subject) or reuse
/// ([`RotateOutcome::Reused`]) must answer `Revoked` for its access tokens
/// until the latest `exp` any of its tokens can carry: its **absolute** expiry
/// (and at least the `expires_at` passed in), not its idle expiry. Access
/// tokens are capped by the absolute lifetime only, so one minted shortly
/// before the idle expiry outlives it; forgetting the revocation at the idle
/// expiry would make it valid again. The conformance rule
/// `revoked_sessions_stay_revoked_until_their_absolute_expiry` checks this.
///
/// # Empty ids
///
/// A token without `jti` or `sid` (another issuer's, see
/// [`ForeignTokens`](crate::token::ForeignTokens)), or without `sub` where
/// that was allowed, reaches [`check`](Self::check) with an empty string in
/// its place. An empty id therefore names no token, session or subject, only
/// every token that lacks the claim, so revoking one must do nothing:
/// [`revoke_token`](Self::revoke_token) with an empty `jti`,
/// [`revoke_session`](Self::revoke_session) with an empty `sid` and
/// [`revoke_subject`](Self::revoke_subject) with an empty `sub` write
/// nothing and return `Ok`. The layers never pass one
/// ([`SessionControl`](crate::SessionControl) refuses it, logout skips a
/// token whose id is empty); the rule guards direct callers. The
/// conformance rule `empty_ids_revoke_nothing` checks it.
///
/// # Checking a store
///
/// The contract is executable: the feature `conformance` adds the module
/// `revocation::conformance`, the suite that [`MemoryStore`] and the Redis
/// store pass. A store author enables it for tests only
/// (`tower-jwt-cookie = { version = "0.1", features = ["conformance"] }` under
/// `[dev-dependencies]`) and calls `conformance::run_all(&store).await` from
/// a test; `conformance::run_parallel_races` also races rotations on OS
/// threads. `tests/it/custom_store.rs` in the repository does both for the
/// SQLite store of `examples/custom_store`.
#[cfg_attr(
    feature = "conformance",
    doc = "\nThe suite: [`conformance`](crate::revocation::conformance)."
)]
pub trait RevocationStore: Send + Sync + 'static {
    /// Whether an access token is revoked: by its `jti`, its session, or a
    /// cutoff for its subject later than its `iat`.
    fn check(
        &self,
        token: AccessCheck<'_>,
    ) -> impl Future<Output = Result<TokenStatus, StoreError>> + Send;

    /// [`check`](Self::check) answered without waiting, by a store that can
    /// (one in this process's memory, or a local cache in front of a remote
    /// store); `None`, the default, means "ask `check`". When it answers, it
    /// must answer exactly as `check` would. The verifier tries it first and
    /// so skips allocating a future on every request.
    fn check_now(&self, token: AccessCheck<'_>) -> Option<Result<TokenStatus, StoreError>> {
        let _ = token;
        None
    }

    /// Revokes one token until `expires_at` (its `exp`). An access token
    /// with that `jti` is then `Revoked`, and a refresh token with that `jti`
    /// can no longer rotate ([`rotate`](Self::rotate) answers `Unknown`).
    fn revoke_token(
        &self,
        token: TokenRevocation<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Revokes a session (logout): its access tokens and its refresh family,
    /// until `expires_at` or the session's absolute expiry, whichever is later.
    fn revoke_session(
        &self,
        session: SessionRevocation<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Logout everywhere: revokes every token of `sub` issued strictly before
    /// `issued_before` (remembered until `expires_at`) AND every session of
    /// `sub` started before this call, whatever its start second (each until
    /// its absolute expiry or `expires_at`, whichever is later). Sessions
    /// started after the call are not affected, so a login in the same second
    /// as the logout works while every earlier token of that second is
    /// refused. The issuer passes `issued_before = now`.
    fn revoke_subject(
        &self,
        sub: &str,
        issued_before: i64,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Registers a new session and its first refresh token, and remembers it
    /// under its subject (for [`revoke_subject`](Self::revoke_subject)) until
    /// its absolute expiry.
    fn start_session(
        &self,
        session: SessionStart<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Atomically rotates a session's refresh token, detecting reuse:
    ///
    /// * the session is unknown, revoked, past its idle or absolute expiry,
    ///   or started before its subject's cutoff, or `presented_jti` was
    ///   revoked by [`revoke_token`](Self::revoke_token):
    ///   [`RotateOutcome::Unknown`];
    /// * `presented_jti` is current: `next_jti` becomes current, the
    ///   presented one becomes previous, the idle expiry moves to
    ///   `idle_expires_at` (capped by the absolute expiry): `Rotated`;
    /// * `presented_jti` is the previous one and `now < last rotation +
    ///   grace_secs`: nothing changes: `WithinGrace { current_jti,
    ///   idle_expires_at }` with the session's current idle expiry;
    /// * any other `jti` (older, or previous after the grace window): the
    ///   session is revoked, as by [`revoke_session`](Self::revoke_session),
    ///   until its absolute expiry: `Reused`.
    fn rotate(
        &self,
        rotation: Rotation<'_>,
    ) -> impl Future<Output = Result<RotateOutcome, StoreError>> + Send;
}
