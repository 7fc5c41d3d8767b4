//! Tokens: the claims model, the validation policy, and the decode and encode
//! pipelines.
//!
//! ```
//! use tower_jwt_cookie::keys::{KeyRing, SigningKey, KeyProvider};
//! use tower_jwt_cookie::token::{self, Claims, RegisteredClaims, TokenKind};
//! use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, Rejection};
//!
//! let ring = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[1; 32])?);
//! let auth = CookieAuth::builder(ring.clone(), MemoryStore::new())
//!     .issuer("https://app.example")
//!     .audience("app")
//!     .build()?;
//! let now = 1_800_000_000;
//! let claims = Claims {
//!     registered: RegisteredClaims {
//!         iss: Some("https://app.example".into()),
//!         aud: vec!["app".into()],
//!         sub: Some("alice".into()),
//!         iat: Some(now),
//!         exp: Some(now + 900),
//!         jti: Some("t1".into()),
//!         sid: Some("s1".into()),
//!         ..Default::default()
//!     },
//!     custom: serde_json::json!({ "roles": ["admin"] }),
//! };
//! let jwt = token::encode(&ring.signing_key().unwrap(), TokenKind::Access, &claims)?;
//!
//! let read: Claims<serde_json::Value> =
//!     token::verify(jwt.as_bytes(), TokenKind::Access, &ring, auth.policy(), now)?;
//! assert_eq!(read.custom["roles"][0], "admin");
//! // An access token is never a refresh token.
//! assert_eq!(
//!     token::verify::<serde_json::Value>(jwt.as_bytes(), TokenKind::Refresh, &ring, auth.policy(), now),
//!     Err(Rejection::WrongType),
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod claims;
pub(crate) mod decode;
mod encode;
pub(crate) mod field;
pub(crate) mod header_memo;
mod payload;
mod policy;

pub use claims::{Claims, CustomClaims, NoCustomClaims, RegisteredClaims};
pub use decode::verify;
pub use encode::{EncodeError, encode};
pub use policy::{
    ACCESS_TOKEN_TYPE, ForeignTokens, MAX_LEEWAY_SECS, REFRESH_TOKEN_TYPE, RequiredClaim,
    TokenKind, ValidationPolicy,
};
