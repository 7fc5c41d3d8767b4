//! Macros shared by the layers' services.

/// `get_ref`, `get_mut` and `into_inner` for a service whose inner service
/// is the field `inner`, as every tower-http middleware has them.
macro_rules! inner_service_accessors {
    () => {
        /// The inner service.
        pub fn get_ref(&self) -> &I {
            &self.inner
        }

        /// The inner service, mutably.
        pub fn get_mut(&mut self) -> &mut I {
            &mut self.inner
        }

        /// Consumes this service, returning the inner one.
        pub fn into_inner(self) -> I {
            self.inner
        }
    };
}

pub(crate) use inner_service_accessors;
