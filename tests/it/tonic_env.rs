//! The tonic example's environment contract (`examples/tonic/trust.rs`):
//! the `TONIC_*` defaults and the refusal of bad values, read from a map
//! through `Trust::from_vars` (setting the process environment is unsound
//! while other test threads run).

#[path = "../../examples/tonic/trust.rs"]
#[allow(dead_code)]
pub(crate) mod trust;

use std::collections::HashMap;
use std::time::Duration;

use trust::{Keys, Trust};

fn trust(vars: &[(&str, &str)]) -> Result<Trust, String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Trust::from_vars(|name| vars.get(name).cloned()).map_err(|e| e.to_string())
}

#[test]
fn with_no_variables_it_trusts_its_own_tokens() {
    let t = trust(&[]).unwrap();
    assert_eq!(t.keys, Keys::Own);
    assert_eq!(t.issuer, "https://grpc.example");
    assert_eq!(t.audience, "greeter");
    assert_eq!(t.cooldown, None, "the library's default cooldown");
    assert_eq!(t.allowed_origins, ["http://127.0.0.1:3000"]);
}

#[test]
fn a_trusted_issuer_is_the_expected_iss_and_the_allowed_page_and_the_demo_is_the_audience() {
    let t = trust(&[("TONIC_TRUST_ISSUER", "https://login.example/")]).unwrap();
    assert_eq!(t.keys, Keys::Discover("https://login.example/".into()));
    assert_eq!(
        t.issuer, "https://login.example/",
        "`iss` is compared exactly"
    );
    assert_eq!(t.audience, "tower-jwt-cookie-demo");
    assert_eq!(t.cooldown, None);
    assert_eq!(t.allowed_origins, ["https://login.example"]);
}

#[test]
fn the_default_page_is_the_trusted_issuer_s_origin_without_its_path() {
    let t = trust(&[(
        "TONIC_TRUST_ISSUER",
        "https://login.example:8443/realms/demo",
    )])
    .unwrap();
    assert_eq!(t.issuer, "https://login.example:8443/realms/demo");
    assert_eq!(t.allowed_origins, ["https://login.example:8443"]);
    let t = trust(&[
        ("TONIC_JWKS_URL", "https://keys.example/jwks.json"),
        ("TONIC_ISSUER", "https://Login.Example/"),
    ])
    .unwrap();
    assert_eq!(t.allowed_origins, ["https://login.example"]);
}

#[test]
fn every_variable_set_is_used() {
    let t = trust(&[
        (
            "TONIC_JWKS_URL",
            "http://127.0.0.1:3000/.well-known/jwks.json",
        ),
        ("TONIC_ISSUER", "http://127.0.0.1:3000"),
        ("TONIC_AUDIENCE", "api"),
        ("TONIC_JWKS_COOLDOWN_SECS", "5"),
        (
            "TONIC_ALLOWED_ORIGINS",
            " https://a.example , ,https://b.example",
        ),
    ])
    .unwrap();
    assert_eq!(
        t.keys,
        Keys::JwksUrl("http://127.0.0.1:3000/.well-known/jwks.json".into())
    );
    assert_eq!(t.issuer, "http://127.0.0.1:3000");
    assert_eq!(t.audience, "api");
    assert_eq!(t.cooldown, Some(Duration::from_secs(5)));
    assert_eq!(
        t.allowed_origins,
        ["https://a.example", "https://b.example"]
    );
}

#[test]
fn an_empty_variable_counts_as_unset() {
    let t = trust(&[
        ("TONIC_TRUST_ISSUER", ""),
        ("TONIC_AUDIENCE", ""),
        ("TONIC_JWKS_COOLDOWN_SECS", ""),
    ])
    .unwrap();
    assert_eq!(t.keys, Keys::Own);
    assert_eq!(t.audience, "greeter");
    assert_eq!(t.cooldown, None);
}

#[test]
fn bad_values_are_refused_with_what_to_set() {
    let jwks = ("TONIC_JWKS_URL", "https://login.example/jwks.json");
    assert_eq!(
        trust(&[jwks, ("TONIC_TRUST_ISSUER", "https://login.example")]).unwrap_err(),
        "set TONIC_JWKS_URL or TONIC_TRUST_ISSUER, not both"
    );
    assert_eq!(
        trust(&[jwks]).unwrap_err(),
        "TONIC_JWKS_URL needs TONIC_ISSUER: the `iss` the tokens carry \
         (or use TONIC_TRUST_ISSUER to discover the keys from the issuer)"
    );
    for secs in ["30s", "-1", "1.5"] {
        assert_eq!(
            trust(&[("TONIC_JWKS_COOLDOWN_SECS", secs)]).unwrap_err(),
            format!("TONIC_JWKS_COOLDOWN_SECS must be a number of seconds, not {secs:?}")
        );
    }
}
