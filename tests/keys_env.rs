//! Loading keys from environment variables. A binary of its own, not a
//! module of `tests/it`, and with a single test: `std::env::set_var` is only
//! sound while no other thread reads or writes the environment (it is
//! `unsafe` since Rust 2024 for that reason), and the test harness runs the
//! tests of one binary on parallel threads.

use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::{KeyError, SigningKey};

#[test]
fn loads_keys_from_the_environment() {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/keys/p256.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // SAFETY: this is the only test in this binary; no other thread reads the environment.
    unsafe {
        std::env::set_var(
            "TJC_TEST_HMAC",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        );
        std::env::set_var(
            "TJC_TEST_HMAC_URL",
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
        );
        std::env::set_var("TJC_TEST_PEM", pem);
        std::env::set_var("TJC_TEST_SHORT", "c2hvcnQ=");
        std::env::set_var("TJC_TEST_NOT_B64", "not base64!");
        std::env::set_var("TJC_TEST_JUNK_PEM", "junk");
    }
    assert_eq!(
        SigningKey::from_env("k", Algorithm::HS256, "TJC_TEST_HMAC")
            .unwrap()
            .kid(),
        "k"
    );
    assert!(SigningKey::from_env("k", Algorithm::HS256, "TJC_TEST_HMAC_URL").is_ok());
    assert!(SigningKey::from_env("k", Algorithm::ES256, "TJC_TEST_PEM").is_ok());
    let err = SigningKey::from_env("k", Algorithm::HS256, "TJC_TEST_UNSET").unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable `TJC_TEST_UNSET` is not set: it must hold a base64 secret, e.g. \
         `export TJC_TEST_UNSET=\"$(openssl rand -base64 64)\"`"
    );
    let err = SigningKey::from_env("k", Algorithm::ES256, "TJC_TEST_UNSET").unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable `TJC_TEST_UNSET` is not set: it must hold a PEM private key, e.g. \
         `export TJC_TEST_UNSET=\"$(cat key.pem)\"`"
    );
    // A key that is there but unusable: the error names the variable, then the key's problem.
    let err = SigningKey::from_env("k", Algorithm::ES256, "TJC_TEST_JUNK_PEM").unwrap_err();
    assert!(
        matches!(&err, KeyError::FromEnvironment { name, source }
            if name == "TJC_TEST_JUNK_PEM" && matches!(**source, KeyError::Encoding { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("environment variable `TJC_TEST_JUNK_PEM`: the ES256 key is not PEM text"),
        "{err}"
    );
    let err = SigningKey::from_env("k", Algorithm::HS256, "TJC_TEST_NOT_B64").unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variable `TJC_TEST_NOT_B64` is not base64: it must hold a base64 secret, \
         e.g. `export TJC_TEST_NOT_B64=\"$(openssl rand -base64 64)\"`"
    );
    let err = SigningKey::from_env("k", Algorithm::HS256, "TJC_TEST_SHORT").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("environment variable `TJC_TEST_SHORT`: the HS256 secret is 5 bytes"),
        "{err}"
    );
}
