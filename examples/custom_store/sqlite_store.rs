//! A `RevocationStore` over SQLite (rusqlite, bundled): how to write a store
//! of your own. `tests/it/custom_store.rs` runs the crate's conformance suite
//! against it.
//!
//! Every call takes the connection's mutex and runs in one transaction, so
//! `rotate` is atomic within the process; writes use `BEGIN IMMEDIATE`, which
//! also makes them atomic across processes sharing the database file, and
//! wait up to [`BUSY_TIMEOUT`] for another process's write lock instead of
//! failing at once. `check`, on every authenticated request, is read-only:
//! a deferred transaction, so it never takes the write lock. SQLite calls
//! block: a production store would run them on a blocking thread pool.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tower_jwt_cookie::revocation::{
    AccessCheck, RETENTION_MARGIN_SECS, RevocationStore, RotateOutcome, Rotation,
    SessionRevocation, SessionStart, StoreError, TokenRevocation, TokenStatus,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS subject_cutoffs (
    sub TEXT PRIMARY KEY,
    issued_before INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    current_jti TEXT NOT NULL,
    previous_jti TEXT,
    rotated_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    -- when the row may be deleted: the absolute expiry (or a later revocation
    -- expiry), never the idle one: a revoked session must stay revoked until
    -- the last of its access tokens expires, and those are capped by the
    -- absolute lifetime only
    forget_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_sub ON sessions (sub);
CREATE INDEX IF NOT EXISTS sessions_by_forget_at ON sessions (forget_at);
";

/// How long a call waits for another connection's lock before failing
/// (`StoreError`, so the request is refused with 503).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Revocations and refresh families in one SQLite database.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn failed(error: rusqlite::Error) -> StoreError {
    StoreError::new(error)
}

impl SqliteStore {
    /// A private in-memory database (tests, demos).
    pub fn open_in_memory() -> rusqlite::Result<Self> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    /// A database file, shared by every process that opens it.
    pub fn open(path: &str) -> rusqlite::Result<Self> {
        Self::from_connection(Connection::open(path)?)
    }

    fn from_connection(conn: Connection) -> rusqlite::Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `f` in one immediate transaction (it takes the write lock first,
    /// so a read-then-write such as `rotate` cannot be interleaved).
    fn tx<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.tx_with(TransactionBehavior::Immediate, f)
    }

    /// Runs `f` in one transaction of the given kind.
    fn tx_with<T>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(behavior).map_err(failed)?;
        let value = f(&tx).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(value)
    }

    /// Deletes every row whose expiry has passed: the database stays bounded.
    pub fn purge_expired(&self, now: i64) -> Result<(), StoreError> {
        self.tx(|tx| purge(tx, now))
    }

    /// Rows held, expired or not.
    pub fn len(&self) -> Result<i64, StoreError> {
        self.tx(|tx| {
            tx.query_row(
                "SELECT (SELECT count(*) FROM revoked_tokens) + (SELECT count(*) FROM subject_cutoffs) \
                 + (SELECT count(*) FROM sessions)",
                [],
                |row| row.get(0),
            )
        })
    }
}

fn purge(tx: &rusqlite::Transaction<'_>, now: i64) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM revoked_tokens WHERE expires_at <= ?1", [now])?;
    tx.execute("DELETE FROM subject_cutoffs WHERE expires_at <= ?1", [now])?;
    tx.execute("DELETE FROM sessions WHERE forget_at <= ?1", [now])?;
    Ok(())
}

impl RevocationStore for SqliteStore {
    async fn check(&self, token: AccessCheck<'_>) -> Result<TokenStatus, StoreError> {
        // Read-only: a deferred transaction takes no write lock, so checks
        // never queue behind (or block) another process's rotation.
        let revoked: bool = self.tx_with(TransactionBehavior::Deferred, |tx| {
            tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?1 AND expires_at > ?4)
                     OR EXISTS (SELECT 1 FROM sessions WHERE sid = ?2 AND revoked = 1 AND forget_at > ?4)
                     OR EXISTS (SELECT 1 FROM subject_cutoffs
                                WHERE sub = ?3 AND expires_at > ?4 AND ?5 < issued_before)",
                params![token.jti, token.sid, token.sub, token.now, token.issued_at],
                |row| row.get(0),
            )
        })?;
        Ok(if revoked {
            TokenStatus::Revoked
        } else {
            TokenStatus::Active
        })
    }

    // A token without `jti` or `sid` is checked with `""` in its place, so
    // an empty id names every such token: revoking one writes nothing
    // ("Empty ids" on `RevocationStore`).
    async fn revoke_token(&self, token: TokenRevocation<'_>) -> Result<(), StoreError> {
        if token.jti.is_empty() {
            return Ok(());
        }
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2)
                 ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
                params![token.jti, token.expires_at],
            )
            .map(drop)
        })
    }

    async fn revoke_session(&self, session: SessionRevocation<'_>) -> Result<(), StoreError> {
        if session.sid.is_empty() {
            return Ok(());
        }
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO sessions (sid, sub, started_at, current_jti, rotated_at,
                                       idle_expires_at, absolute_expires_at, revoked, forget_at)
                 VALUES (?1, '', 0, '', 0, ?2, ?2, 1, ?2)
                 ON CONFLICT (sid) DO UPDATE SET revoked = 1, forget_at = max(forget_at, excluded.forget_at)",
                params![session.sid, session.expires_at],
            )
            .map(drop)
        })
    }

    async fn revoke_subject(
        &self,
        sub: &str,
        issued_before: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if sub.is_empty() {
            return Ok(());
        }
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO subject_cutoffs (sub, issued_before, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sub) DO UPDATE SET
                     issued_before = max(issued_before, excluded.issued_before),
                     expires_at = max(expires_at, excluded.expires_at)",
                params![sub, issued_before, expires_at],
            )?;
            // Every session known now, whatever second it started in.
            tx.execute(
                "UPDATE sessions SET revoked = 1, forget_at = max(forget_at, ?2) WHERE sub = ?1",
                params![sub, expires_at],
            )?;
            Ok(())
        })
    }

    async fn start_session(&self, s: SessionStart<'_>) -> Result<(), StoreError> {
        self.tx(|tx| {
            // Entries outlive their expiry by the retention margin: the
            // verifier checks as of `now - leeway`.
            purge(tx, s.now.saturating_sub(RETENTION_MARGIN_SECS))?;
            tx.execute(
                "INSERT OR REPLACE INTO sessions (sid, sub, started_at, current_jti, previous_jti, rotated_at,
                                                  idle_expires_at, absolute_expires_at, revoked, forget_at)
                 VALUES (?1, ?2, ?3, ?4, NULL, ?3, min(?5, ?6), ?6, 0, ?6)",
                params![s.sid, s.sub, s.now, s.refresh_jti, s.idle_expires_at, s.absolute_expires_at],
            )
            .map(drop)
        })
    }

    async fn rotate(&self, r: Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        self.tx(|tx| {
            // A refresh token revoked by `revoke_token` cannot rotate.
            let revoked_jti: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?1 AND expires_at > ?2)",
                params![r.presented_jti, r.now],
                |row| row.get(0),
            )?;
            if revoked_jti {
                return Ok(RotateOutcome::Unknown);
            }
            type Row = (String, i64, String, Option<String>, i64, i64, i64, bool);
            let row: Option<Row> = tx
                .query_row(
                    "SELECT sub, started_at, current_jti, previous_jti, rotated_at,
                            idle_expires_at, absolute_expires_at, revoked
                     FROM sessions WHERE sid = ?1",
                    [r.sid],
                    |row| {
                        Ok((
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                            row.get(6)?,
                            row.get(7)?,
                        ))
                    },
                )
                .optional()?;
            let Some((sub, started_at, current, previous, rotated_at, idle, absolute, revoked)) = row else {
                return Ok(RotateOutcome::Unknown);
            };
            let cutoff: Option<i64> = tx
                .query_row(
                    "SELECT issued_before FROM subject_cutoffs WHERE sub = ?1 AND expires_at > ?2",
                    params![sub, r.now],
                    |row| row.get(0),
                )
                .optional()?;
            if revoked || idle.min(absolute) <= r.now || cutoff.is_some_and(|c| started_at < c) {
                return Ok(RotateOutcome::Unknown);
            }
            if current == r.presented_jti {
                tx.execute(
                    "UPDATE sessions SET previous_jti = current_jti, current_jti = ?2, rotated_at = ?3,
                         idle_expires_at = min(?4, absolute_expires_at)
                     WHERE sid = ?1",
                    params![r.sid, r.next_jti, r.now, r.idle_expires_at],
                )?;
                Ok(RotateOutcome::Rotated)
            } else if previous.as_deref() == Some(r.presented_jti) && r.now < rotated_at.saturating_add(r.grace_secs) {
                Ok(RotateOutcome::WithinGrace {
                    current_jti: current,
                    idle_expires_at: idle.min(absolute),
                })
            } else {
                tx.execute("UPDATE sessions SET revoked = 1 WHERE sid = ?1", [r.sid])?;
                Ok(RotateOutcome::Reused)
            }
        })
    }
}
