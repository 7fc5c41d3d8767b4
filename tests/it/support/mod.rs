//! The fixtures every test module shares: one clock start ([`NOW`]), one
//! token secret ([`SECRET`]), one key ring, one test store with failure
//! switches, token minting and forging, the two verifier stacks, the
//! in-process session app and its cookie jar, the cross-origin helpers, a
//! log capture and the in-process demo.

pub mod capture;
mod cross_origin;
#[cfg(feature = "axum")]
pub mod demo;
#[cfg(feature = "redis-cluster")]
pub mod redis_cluster;
#[cfg(feature = "redis")]
pub mod redis_server;
mod session;
mod stacks;
mod store;
mod tokens;

pub use cross_origin::*;
pub use session::*;
pub use stacks::*;
pub use store::*;
pub use tokens::*;

use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::csrf::CsrfTokens;
use tower_jwt_cookie::keys::{KeyRing, SigningKey};
use tower_jwt_cookie::revocation::RevocationStore;
use tower_jwt_cookie::{Algorithm, CookieAuth, CookieAuthBuilder};

/// Where every test's `ManualClock` starts.
pub const NOW: i64 = 1_800_000_000;
pub const ISSUER: &str = "https://app.example";
pub const AUDIENCE: &str = "app";
/// The HMAC secret of every test key (`k1`, HS256, unless a test says otherwise).
pub const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
/// The double-submit CSRF key: a key of its own, as a deployment must use
/// (the CSRF tokens are not signed with the access token's key).
const CSRF_SECRET: [u8; 32] = [0x5c; 32];

/// The committed test key `name` from `tests/keys/`.
pub fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A directory of this test process's own for `name`, under cargo's
/// scratch directory for integration tests.
#[cfg(unix)]
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `contents` to `path` with permission bits `mode`.
#[cfg(unix)]
pub fn write_with_mode(path: &std::path::Path, contents: impl AsRef<[u8]>, mode: u32) {
    use std::os::unix::fs::PermissionsExt;

    std::fs::write(path, contents).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A signing key for `alg`: HMAC keys over [`SECRET`] (repeated to the
/// length the algorithm needs), the others from the committed test keys.
pub fn signing_key(kid: &str, alg: Algorithm) -> SigningKey {
    let file = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            return SigningKey::hmac(kid, alg, &SECRET.repeat(2)[..hmac_len(alg)]).unwrap();
        }
        Algorithm::ES256 => "p256.pem",
        Algorithm::ES384 => "p384.pem",
        Algorithm::EdDSA => "ed25519.pem",
        _ => "rsa2048.pem",
    };
    SigningKey::from_pem(kid, alg, &pem(file)).unwrap()
}

fn hmac_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

/// The double-submit tokens of every CSRF test, keyed by `CSRF_SECRET`.
pub fn csrf_tokens() -> CsrfTokens {
    CsrfTokens::new(&CSRF_SECRET).unwrap()
}

/// The key ring of every test that does not choose its own: `k1`, HS256 over [`SECRET`].
pub fn keys() -> KeyRing {
    KeyRing::with_signing_key(signing_key("k1", Algorithm::HS256))
}

/// A configuration over [`keys`] and `store` for [`ISSUER`] and
/// [`AUDIENCE`], on `clock`.
pub fn builder<S: RevocationStore>(store: S, clock: &ManualClock) -> CookieAuthBuilder<S> {
    builder_with(keys(), store, clock)
}

/// [`builder`] over another key ring.
pub fn builder_with<S: RevocationStore>(
    ring: KeyRing,
    store: S,
    clock: &ManualClock,
) -> CookieAuthBuilder<S> {
    CookieAuth::builder(ring, store)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(clock.clone())
}
