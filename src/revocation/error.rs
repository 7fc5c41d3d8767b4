use std::error::Error;

use crate::rejection::Rejection;

/// The store could not answer. The request that needed the answer is refused.
#[derive(Debug, thiserror::Error)]
#[error("revocation store unavailable: {source}")]
pub struct StoreError {
    #[source]
    source: Box<dyn Error + Send + Sync>,
}

impl StoreError {
    /// Wraps the backend's error.
    pub fn new(source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self {
            source: source.into(),
        }
    }

    /// Logs the failure and refuses the request that needed the answer
    /// (503 / gRPC UNAVAILABLE): every layer fails closed the same way.
    pub(crate) fn fail_closed(self) -> Rejection {
        tracing::warn!(error = %self, "revocation store failed; refusing the request");
        Rejection::StoreUnavailable
    }
}
