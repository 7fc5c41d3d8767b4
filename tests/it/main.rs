//! The integration tests: one binary, one module per concern, over one set of
//! fixtures (`support`). It links once instead of once per file.
//!
//! Three suites stay separate binaries: `tests/browser.rs` (it drives real
//! Chromium processes, one at a time, and needs programs the rest does not),
//! `tests/keys_env.rs` and `tests/jwks_proxy_env.rs` (they set process
//! environment variables, which is only sound with no other test thread
//! running). Each says why at its top.
#![forbid(unsafe_code)]

mod support;

mod attacks;
#[cfg(feature = "axum")]
mod axum_sessions;
mod composition;
mod config_sessions;
#[cfg(feature = "conformance")]
mod conformance_memory;
mod cookie_prefixes;
mod cors;
#[cfg(all(feature = "axum", feature = "jwks"))]
mod cross_service;
mod csrf;
mod csrf_sessions;
#[cfg(feature = "conformance")]
mod custom_store;
#[cfg(feature = "axum")]
mod demo_contract;
#[cfg(feature = "axum")]
mod demo_session_control;
#[cfg(feature = "axum")]
mod demo_settings;
#[cfg(all(feature = "axum", feature = "jwks"))]
mod demo_tls;
mod foreign_tokens;
mod forgotten_issuer;
mod fuzz_regressions;
mod grpc;
mod hyper_example;
#[cfg(feature = "jwks")]
mod jwks;
mod key_encodings;
mod key_files;
mod memory_churn;
#[cfg(feature = "axum")]
mod optional_auth;
mod properties;
mod public_debug;
#[cfg(all(feature = "redis", feature = "conformance"))]
mod redis;
#[cfg(all(feature = "redis-cluster", feature = "conformance"))]
mod redis_cluster;
#[cfg(all(feature = "redis", feature = "conformance"))]
mod redis_local_cache;
mod refresh_bad_input;
mod security_keys;
mod sessions;
mod store_failure;
mod token_cache;
mod tonic_env;
mod verifier;
mod verifier_layer;
