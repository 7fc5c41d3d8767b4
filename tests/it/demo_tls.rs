//! The demo's HTTPS (`examples/demo/tls.rs`): certificates from PEM files
//! (`DEMO_TLS_CERT` + `DEMO_TLS_KEY`) and generated ones, the printed
//! fingerprint, and HSTS over HTTPS only (RFC 6797 §7.2). The browser view
//! of the same (a real name, a test CA) is in `tests/browser.rs`. Needs
//! reqwest with TLS, which the `jwks` feature brings.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::demo::DemoServer;
use crate::support::demo::tls::{Tls, fingerprint};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("demo-tls-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn pem_files_load_and_the_fingerprint_is_the_certificates_sha256() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = scratch("pem");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let tls = Tls::from_pem_files(&cert, &key).unwrap();
    assert_eq!(tls.fingerprint, fingerprint(generated.cert.der()));
    assert_eq!(tls.fingerprint.len(), 32 * 3 - 1, "{}", tls.fingerprint);
    assert!(
        tls.fingerprint
            .bytes()
            .all(|b| b == b':' || b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    );
    assert_eq!(tls.config.alpn_protocols, [b"http/1.1".to_vec()]);

    let missing = Tls::from_pem_files(&dir.join("nope.pem"), &key)
        .err()
        .unwrap();
    assert!(
        missing.to_string().starts_with("DEMO_TLS_CERT "),
        "{missing}"
    );
    let not_a_key = Tls::from_pem_files(&cert, &cert).err().unwrap();
    assert!(
        not_a_key.to_string().starts_with("DEMO_TLS_KEY "),
        "{not_a_key}"
    );
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
