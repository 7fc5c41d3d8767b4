//! Records the `tracing` events of one test thread as text, so tests can
//! assert that a refusal or a report-only decision was logged.
//!
//! Why one global subscriber rather than a scoped default per test: tracing
//! caches each callsite's interest process-wide when the callsite is first
//! met. With exactly one scoped dispatcher alive, tracing-core asks only the
//! *registering thread's* default, so another test thread that meets the
//! callsite first (with no subscriber of its own) caches "never", and this
//! thread's events are silently dropped (tracing-core `Dispatchers::rebuilder`,
//! `has_just_one`). A global subscriber that answers `sometimes` for every
//! callsite and decides per event, by a thread-local buffer, cannot be
//! raced that way.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

type Events = Arc<Mutex<Vec<String>>>;

thread_local! {
    static BUFFER: RefCell<Option<Events>> = const { RefCell::new(None) };
}

/// While alive, every event emitted on this thread is recorded.
pub struct Capture {
    events: Events,
}

impl Capture {
    /// Starts recording this thread's events.
    pub fn start() -> Self {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(Router)
                .expect("nothing else in the test binary sets a global subscriber");
        });
        // Callsites met before the router was installed cached "never".
        tracing::callsite::rebuild_interest_cache();
        let events = Events::default();
        BUFFER.with(|b| *b.borrow_mut() = Some(Arc::clone(&events)));
        Capture { events }
    }

    /// The events recorded so far, one line each: `level=<LEVEL> ` and then
    /// every field as `name=value `.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    /// The events recorded so far, joined by newlines.
    pub fn text(&self) -> String {
        self.events().join("\n")
    }

    /// Forgets the events recorded so far.
    pub fn clear(&self) {
        self.events.lock().unwrap().clear();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        BUFFER.with(|b| *b.borrow_mut() = None);
    }
}

struct Router;

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Router {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        BUFFER.with(|b| b.borrow().is_some())
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = Text(format!("level={} ", event.metadata().level()));
        event.record(&mut text);
        BUFFER.with(|b| {
            if let Some(events) = &*b.borrow() {
                events.lock().unwrap().push(text.0);
            }
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
