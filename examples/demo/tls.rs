//! HTTPS for the demo: rustls (on aws-lc-rs, the provider reqwest already
//! brings) over tokio, HTTP/1.1 by hyper. The certificate comes from PEM
//! files (`DEMO_TLS_CERT`, `DEMO_TLS_KEY`) or is generated at start for
//! `localhost` and `127.0.0.1` (`DEMO_TLS_SELF_SIGNED=1`, rcgen).

use std::error::Error;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::settings::KeyFiles;

type BoxError = Box<dyn Error + Send + Sync>;

/// A TLS configuration and the SHA-256 fingerprint of its certificate.
pub struct Tls {
    /// What the acceptor uses.
    pub config: Arc<ServerConfig>,
    /// `AB:CD:…`, as browsers show it, to compare with the one they see.
    pub fingerprint: String,
}

impl Tls {
    /// A certificate chain (leaf first) and its private key.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, BoxError> {
        let leaf = chain
            .first()
            .ok_or("the certificate file holds no certificate")?;
        let fingerprint = fingerprint(leaf);
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            fingerprint,
        })
    }

    /// `DEMO_TLS_CERT` (PEM chain, leaf first) and `DEMO_TLS_KEY` (PEM
    /// private key, read as `key_files` says: by default refused when its
    /// group or others may read or write it, like the signing key).
    pub fn from_pem_files(cert: &Path, key: &Path, key_files: KeyFiles) -> Result<Self, BoxError> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("DEMO_TLS_CERT {}: {e}", cert.display()))?;
        let pem = key_files.read("DEMO_TLS_KEY", key)?;
        let private = PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|e| format!("DEMO_TLS_KEY {}: {e}", key.display()))?;
        Self::new(chain, private)
    }

    /// `DEMO_TLS_SELF_SIGNED=1`: a fresh certificate for `localhost` and `127.0.0.1`.
    pub fn self_signed() -> Result<Self, BoxError> {
        let generated = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])?;
        let key = PrivateKeyDer::try_from(generated.signing_key.serialize_der())?;
        Self::new(vec![generated.cert.der().clone()], key)
    }
}

/// SHA-256 of a certificate's DER, as colon-separated upper-case hex.
pub fn fingerprint(certificate: &[u8]) -> String {
    Sha256::digest(certificate)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves.
/// Connections already open finish on their own tasks.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(tls);
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            // A client that never finishes its handshake is dropped.
            let stream =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                };
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
}
