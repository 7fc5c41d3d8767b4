//! The marker of an anonymous request behind the optional verifier
//! ([`JwtCookieVerifier::optional`](super::JwtCookieVerifier::optional)
//! documents the behaviour).

/// Marks a request the optional verifier let through without a token, so
/// the axum extractor can tell "anonymous" from "no verifier on this route".
#[derive(Clone, Copy, Debug)]
pub(crate) struct Anonymous;
