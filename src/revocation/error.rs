use std::error::Error;

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
}
