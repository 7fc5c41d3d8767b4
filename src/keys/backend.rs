//! The one place the jsonwebtoken crypto backend is chosen.
//!
//! jsonwebtoken 12 panics at run time when its process-wide provider cannot be
//! derived from its features (none, or both, enabled). This crate never asks it
//! to: every sign and verify call goes through the provider picked here at
//! compile time, so no feature combination can reach that panic.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(feature = "aws_lc_rs")]
pub(crate) static PROVIDER: &CryptoProvider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

#[cfg(all(feature = "rust_crypto", not(feature = "aws_lc_rs")))]
pub(crate) static PROVIDER: &CryptoProvider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;

#[cfg(not(any(feature = "aws_lc_rs", feature = "rust_crypto")))]
compile_error!(
    "tower-jwt-cookie needs a crypto backend: enable the `aws_lc_rs` feature (the default) \
     or the pure-Rust `rust_crypto` feature"
);
