//! Keys: each bound to exactly one algorithm, looked up by `kid` without locks.
//!
//! ```
//! use tower_jwt_cookie::keys::{KeyProvider, KeyRing, SigningKey};
//! use tower_jwt_cookie::Algorithm;
//!
//! let secret = [7u8; 32]; // load real secrets from a vault or the environment
//! let ring = KeyRing::with_signing_key(SigningKey::hmac("2026-11", Algorithm::HS256, &secret)?);
//! assert_eq!(ring.signing_key().unwrap().kid(), "2026-11");
//!
//! // Too short for HS256: refused when the key is built, not when a token arrives.
//! assert!(SigningKey::hmac("weak", Algorithm::HS256, b"secret").is_err());
//! # Ok::<(), tower_jwt_cookie::keys::KeyError>(())
//! ```

mod algorithm;
mod backend;
mod encoding;
mod error;
mod file;
mod generate;
mod material;
mod prepared;
mod provider;
mod public;
#[cfg(feature = "jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
pub mod remote;
mod ring;
mod signing;
mod verifying;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use error::KeyError;
pub use file::{read_key_file, read_key_file_ignoring_insecure_permissions};
pub(crate) use material::{MAX_SIGNATURE_LEN, check_kid};
pub use provider::{KeyProvider, KeyRefresh};
pub use public::PublicKey;
pub use ring::KeyRing;
pub use signing::SigningKey;
pub use verifying::VerifyingKey;
