//! The demo's HTTPS (`examples/demo/tls.rs`): certificates from PEM files
//! (`DEMO_TLS_CERT` + `DEMO_TLS_KEY`, the key refused on Unix when its group
//! or others may read or write it) and generated ones, the printed
//! fingerprint, and HSTS over HTTPS only (RFC 6797 §7.2). The browser view
//! of the same (a real name, a test CA) is in `tests/browser.rs`. Needs
//! reqwest with TLS, which the `jwks` feature brings.

#[cfg(unix)]
use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::demo::DemoServer;
#[cfg(unix)]
use crate::support::demo::settings::{BadSetting, KeyFiles};
use crate::support::demo::tls::Tls;
#[cfg(unix)]
use crate::support::demo::tls::fingerprint;
#[cfg(unix)]
use crate::support::{scratch_dir, write_with_mode};

#[cfg(unix)]
fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("demo-tls-{name}"))
}

#[cfg(unix)]
#[test]
fn pem_files_load_and_the_fingerprint_is_the_certificates_sha256() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = scratch("pem");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    write_with_mode(&cert, generated.cert.pem(), 0o644);
    write_with_mode(&key, generated.signing_key.serialize_pem(), 0o600);
    let tls = Tls::from_pem_files(&cert, &key, KeyFiles::OwnerOnly).unwrap();
    assert_eq!(tls.fingerprint, fingerprint(generated.cert.der()));
    assert_eq!(tls.fingerprint.len(), 32 * 3 - 1, "{}", tls.fingerprint);
    assert!(
        tls.fingerprint
            .bytes()
            .all(|b| b == b':' || b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    );
    assert_eq!(tls.config.alpn_protocols, [b"http/1.1".to_vec()]);

    let missing = Tls::from_pem_files(&dir.join("nope.pem"), &key, KeyFiles::OwnerOnly)
        .err()
        .unwrap();
    assert!(
        missing.to_string().starts_with("DEMO_TLS_CERT "),
        "{missing}"
    );
    let cert_as_key = dir.join("cert-as-key.pem");
    write_with_mode(&cert_as_key, generated.cert.pem(), 0o600);
    let not_a_key = Tls::from_pem_files(&cert, &cert_as_key, KeyFiles::OwnerOnly)
        .err()
        .unwrap();
    assert!(
        not_a_key.to_string().starts_with("DEMO_TLS_KEY "),
        "{not_a_key}"
    );
}

#[cfg(unix)]
#[test]
fn an_open_tls_key_file_is_refused_like_the_signing_key_unless_the_opt_out_is_set() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = scratch("open-key");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    write_with_mode(&cert, generated.cert.pem(), 0o644);
    for mode in [0o644, 0o640, 0o604] {
        write_with_mode(&key, generated.signing_key.serialize_pem(), mode);
        let error = Tls::from_pem_files(&cert, &key, KeyFiles::OwnerOnly)
            .err()
            .unwrap();
        let refused = error
            .downcast_ref::<BadSetting>()
            .unwrap_or_else(|| panic!("{mode:o}: not a BadSetting: {error}"));
        assert_eq!(refused.var, "DEMO_TLS_KEY");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "DEMO_TLS_KEY: the key file {} has mode {mode:04o}",
                key.display()
            )),
            "{message}"
        );
        assert!(
            message.contains(&format!("chmod 600 {}", key.display())),
            "{message}"
        );
        assert!(
            message.ends_with("; the demo's opt-out is DEMO_IGNORE_INSECURE_KEY_PERMISSIONS=1"),
            "{message}"
        );
        let tls = Tls::from_pem_files(&cert, &key, KeyFiles::AnyMode).unwrap();
        assert_eq!(tls.fingerprint, fingerprint(generated.cert.der()));
    }
}

#[tokio::test]
async fn self_signed_demo_serves_https_with_hsts_and_logs_in() {
    let tls = Tls::self_signed().unwrap();
    let server = DemoServer::start_https(tls.config, "127.0.0.1", |_| {}).await;
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    // The certificate is self-signed: this client skips the chain check
    // (a person compares the printed fingerprint instead).
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let page = client.get(server.at("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    let login = client
        .post(server.at("/auth/login"))
        .json(&json!({ "username": "alice", "password": "wonderland" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let access = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-Http-access="))
        .expect("the access cookie");
    let pair = access.split(';').next().unwrap().to_owned();
    let me = client
        .get(server.at("/api/me"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}
