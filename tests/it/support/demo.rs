//! Runs the demo of `examples/demo` in-process on a free port, with the
//! settings a test needs. The demo's own modules are compiled in here (no
//! copy), so tests exercise exactly the code `cargo run --example demo` runs.

#[path = "../../../examples/demo/app.rs"]
pub mod app;
#[path = "../../../examples/demo/page.rs"]
pub mod page;
#[path = "../../../examples/demo/settings.rs"]
// tests/browser.rs shares this file and needs only what tls.rs uses.
#[allow(dead_code)]
pub mod settings;
#[path = "../../../examples/demo/shell.rs"]
pub mod shell;
#[path = "../../../examples/demo/users.rs"]
pub mod users;
// HTTPS serving; only tests/browser.rs serves over TLS.
#[allow(dead_code)]
#[path = "../../../examples/demo/tls.rs"]
pub mod tls;

use app::{DemoConfig, Notes};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running demo; stops when dropped.
pub struct DemoServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    pub notes: Notes,
    /// The demo's key ring: rotating it rotates the demo's keys (the
    /// cross-service tests do; tests/browser.rs, which shares this file, not).
    #[allow(dead_code)]
    pub keys: tower_jwt_cookie::keys::KeyRing,
    stop: Option<oneshot::Sender<()>>,
}

impl DemoServer {
    /// Starts the demo on `127.0.0.1:0`; `configure` adjusts the defaults.
    pub async fn start(configure: impl FnOnce(&mut DemoConfig)) -> Self {
        Self::start_built(app::build, configure).await
    }

    /// [`start`](Self::start) on another revocation store, as the demo's
    /// `main` does when `REDIS_URL` is set.
    #[allow(dead_code)] // tests/browser.rs shares this file and needs only `start`
    pub async fn start_with_store<S: tower_jwt_cookie::RevocationStore>(
        store: S,
        configure: impl FnOnce(&mut DemoConfig),
    ) -> Self {
        Self::start_built(|config| app::build_with_store(config, store), configure).await
    }

    async fn start_built(
        build: impl FnOnce(DemoConfig) -> Result<app::Demo, Box<dyn std::error::Error + Send + Sync>>,
        configure: impl FnOnce(&mut DemoConfig),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let mut config = DemoConfig::new(&url);
        configure(&mut config);
        let demo = build(config).expect("demo configuration");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, demo.router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Self {
            url,
            notes: demo.notes,
            keys: demo.keys,
            stop: Some(stop),
        }
    }

    /// Starts the demo over HTTPS on `127.0.0.1:0` with `tls`, as
    /// `https://{host}:PORT` (a name the browser maps to 127.0.0.1).
    #[allow(dead_code)]
    pub async fn start_https(
        tls: std::sync::Arc<tokio_rustls::rustls::ServerConfig>,
        host: &str,
        configure: impl FnOnce(&mut DemoConfig),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("https://{host}:{port}");
        let mut config = DemoConfig::new(&url);
        configure(&mut config);
        let demo = app::build(config).expect("demo configuration");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(tls::serve(listener, demo.router, tls, async {
            let _ = stopped.await;
        }));
        Self {
            url,
            notes: demo.notes,
            keys: demo.keys,
            stop: Some(stop),
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
