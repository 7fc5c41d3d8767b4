//! The Lua scripts. Each runs atomically on the server (Redis runs one script
//! at a time), touches only keys of one subject (one hash slot), and compares
//! expiries with the caller's `now`, exactly as `MemoryStore` does; key TTLs
//! only bound memory. Times arrive clamped to ±2^50 s, so Lua's doubles hold
//! them exactly.
//!
//! Every revoking script publishes the subject on the revocation channel in
//! the same atomic step, whether or not any instance runs a local cache
//! (see `local_cache.rs`): an instance with a cache must hear of the
//! revocations of instances without one. A `PUBLISH` with no subscriber
//! costs the server next to nothing.
//!
//! Every key expires [`RETENTION_MARGIN_SECS`] after the entry it holds:
//! the verifier asks about a token as of `now - leeway`, so a revocation
//! must outlive its expiry by the largest leeway to hold through it. Redis
//! expires keys by its own clock; the margin is no allowance for that clock
//! running ahead of the application's (the parent module's docs say what
//! such a skew does).

use redis::Script;

use crate::revocation::RETENTION_MARGIN_SECS;

/// The helper every writing script starts with.
fn keep_until() -> String {
    format!(
        "local function keep_until(key, t)
  redis.call('EXPIREAT', key, math.floor(t) + {RETENTION_MARGIN_SECS})
end
"
    )
}

/// KEYS: token, session, cutoff. ARGV: now, iat. Returns 1 if revoked.
/// Read-only (`no-writes`), so a replica can run it too.
const CHECK: &str = "#!lua flags=no-writes
local now = tonumber(ARGV[1])
local t = redis.call('GET', KEYS[1])
if t and tonumber(t) > now then return 1 end
local s = redis.call('HMGET', KEYS[2], 'rev', 'abs')
if s[1] == '1' and tonumber(s[2]) > now then return 1 end
local u = redis.call('HMGET', KEYS[3], 'cut', 'cutexp')
if u[1] and tonumber(u[2]) > now and tonumber(ARGV[2]) < tonumber(u[1]) then return 1 end
return 0
";

/// KEYS: token. ARGV: expires_at, channel, subject. Never shortens a
/// revocation.
const REVOKE_TOKEN: &str = "
redis.call('PUBLISH', ARGV[2], ARGV[3])
local exp = tonumber(ARGV[1])
local old = redis.call('GET', KEYS[1])
if old and tonumber(old) >= exp then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
keep_until(KEYS[1], exp)
return 1
";

/// KEYS: session. ARGV: expires_at, channel, subject. Revoked until its
/// absolute expiry or `expires_at`, whichever is later.
const REVOKE_SESSION: &str = "
redis.call('PUBLISH', ARGV[2], ARGV[3])
local abs = tonumber(ARGV[1])
local old = redis.call('HGET', KEYS[1], 'abs')
if old and tonumber(old) > abs then abs = tonumber(old) end
redis.call('HSET', KEYS[1], 'rev', '1', 'abs', abs)
keep_until(KEYS[1], abs)
return 1
";

/// KEYS: cutoff, live sessions. ARGV: issued_before, expires_at, the
/// subject's session-key prefix, channel, subject. Raises the cutoff and revokes every live
/// session of the subject. The session keys are built here from the prefix
/// (they cannot be listed in KEYS before the set is read, and reading it in a
/// separate call would not be atomic); they carry the subject's hash tag, so
/// they live in the slot of the declared keys.
const REVOKE_SUBJECT: &str = "
redis.call('PUBLISH', ARGV[4], ARGV[5])
local before, exp = tonumber(ARGV[1]), tonumber(ARGV[2])
local u = redis.call('HMGET', KEYS[1], 'cut', 'cutexp')
if u[1] and tonumber(u[1]) > before then before = tonumber(u[1]) end
if u[2] and tonumber(u[2]) > exp then exp = tonumber(u[2]) end
redis.call('HSET', KEYS[1], 'cut', before, 'cutexp', exp)
keep_until(KEYS[1], exp)
local live = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #live, 2 do
  local key = ARGV[3] .. live[i]
  local abs = tonumber(live[i + 1])
  if exp > abs then abs = exp end
  local old = redis.call('HGET', key, 'abs')
  if old and tonumber(old) > abs then abs = tonumber(old) end
  redis.call('HSET', key, 'rev', '1', 'abs', abs)
  keep_until(key, abs)
end
redis.call('DEL', KEYS[2])
return 1
";

/// KEYS: session, live sessions. ARGV: sid, refresh jti, now, idle, absolute.
const START_SESSION: &str = "
local now, idle, abs = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if idle > abs then idle = abs end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'rot', now, 'idle', idle, 'abs', abs, 'start', now)
keep_until(KEYS[1], idle)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], abs, ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
keep_until(KEYS[2], tonumber(last[2]))
return 1
";

/// KEYS: session, cutoff, presented token. ARGV: presented jti, next jti,
/// now, grace, next idle expiry, channel, subject (published on reuse).
/// Returns `{code, current jti, idle expiry}`:
/// 0 unknown, 1 rotated, 2 within grace, 3 reused.
const ROTATE: &str = "
local now = tonumber(ARGV[3])
local t = redis.call('GET', KEYS[3])
if t and tonumber(t) > now then return {0, false, 0} end
local s = redis.call('HMGET', KEYS[1], 'cur', 'prev', 'rot', 'idle', 'abs', 'start', 'rev')
if not s[1] or s[7] == '1' then return {0, false, 0} end
local idle, abs = tonumber(s[4]), tonumber(s[5])
if idle > abs then idle = abs end
if idle <= now then return {0, false, 0} end
local u = redis.call('HMGET', KEYS[2], 'cut', 'cutexp')
if u[1] and tonumber(u[2]) > now and tonumber(s[6]) < tonumber(u[1]) then
  return {0, false, 0}
end
if s[1] == ARGV[1] then
  local next_idle = tonumber(ARGV[5])
  if next_idle > abs then next_idle = abs end
  redis.call('HSET', KEYS[1], 'prev', s[1], 'cur', ARGV[2], 'rot', now, 'idle', next_idle)
  keep_until(KEYS[1], next_idle)
  return {1, false, 0}
end
if s[2] == ARGV[1] and now < tonumber(s[3]) + tonumber(ARGV[4]) then
  return {2, s[1], idle}
end
redis.call('HSET', KEYS[1], 'rev', '1')
keep_until(KEYS[1], abs)
redis.call('PUBLISH', ARGV[6], ARGV[7])
return {3, false, 0}
";

/// The loaded scripts (each knows its SHA1, for EVALSHA).
#[derive(Debug)]
pub(super) struct Scripts {
    pub(super) check: Script,
    pub(super) revoke_token: Script,
    pub(super) revoke_session: Script,
    pub(super) revoke_subject: Script,
    pub(super) start_session: Script,
    pub(super) rotate: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        let helper = keep_until();
        let writing = |body: &str| Script::new(&format!("{helper}{body}"));
        Self {
            check: Script::new(CHECK),
            revoke_token: writing(REVOKE_TOKEN),
            revoke_session: writing(REVOKE_SESSION),
            revoke_subject: writing(REVOKE_SUBJECT),
            start_session: writing(START_SESSION),
            rotate: writing(ROTATE),
        }
    }
}
