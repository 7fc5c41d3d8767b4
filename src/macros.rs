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

/// `Debug` for a public response future, written by hand (it is defined
/// inside `pin_project!`, which `derive` cannot reach): it needs no bound on
/// the inner future, which is rarely `Debug` (an `async` block is not), and
/// prints no state, which nothing outside could act on.
macro_rules! response_future_debug {
    (impl<$($param:ident),*> $future:ty $(where $($bound:tt)+)?) => {
        impl<$($param),*> std::fmt::Debug for $future $(where $($bound)+)? {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("ResponseFuture").finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use response_future_debug;
