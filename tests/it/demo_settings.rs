//! The demo's settings from the environment (`examples/demo/settings.rs`),
//! on chosen values: what each accepts, and the error, naming the variable
//! and the fix, for everything else. Never a panic.

use std::ffi::OsStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::Value;
use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::SigningKey;

use super::demo_contract::{get, login_ok};
use crate::support::demo::DemoServer;
use crate::support::demo::settings::{
    BadSetting, IGNORE_KEY_PERMISSIONS, KeyFiles, access_token_lifetime,
};

fn lifetime(value: &str) -> Result<Option<Duration>, BadSetting> {
    access_token_lifetime(Some(OsStr::new(value)))
}

#[test]
fn access_token_secs_takes_a_positive_whole_number_of_seconds() {
    assert_eq!(access_token_lifetime(None), Ok(None));
    assert_eq!(lifetime("20"), Ok(Some(Duration::from_secs(20))));
    assert_eq!(lifetime("1"), Ok(Some(Duration::from_secs(1))));
    assert_eq!(
        lifetime("18446744073709551615"),
        Ok(Some(Duration::from_secs(u64::MAX)))
    );
}

#[test]
fn access_token_secs_of_zero_or_junk_is_refused_naming_the_variable_and_the_fix() {
    let fix = "; use e.g. 20 to watch the page refresh, or unset it for 900";
    assert_eq!(
        lifetime("0"),
        Err(BadSetting {
            var: "DEMO_ACCESS_TOKEN_SECS",
            problem: format!("is 0: an access token must live at least a second{fix}"),
        })
    );
    for junk in [
        "",
        "abc",
        "-5",
        "20s",
        " 20",
        "20 ",
        "1.5",
        "0x10",
        "+",
        "18446744073709551616",
    ] {
        assert_eq!(
            lifetime(junk),
            Err(BadSetting {
                var: "DEMO_ACCESS_TOKEN_SECS",
                problem: format!("{junk:?} is not a whole number of seconds{fix}"),
            }),
            "{junk:?}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let not_utf8 = access_token_lifetime(Some(OsStr::from_bytes(b"2\xff0"))).unwrap_err();
        assert_eq!(
            not_utf8.to_string(),
            format!("DEMO_ACCESS_TOKEN_SECS: \"2\\xFF0\" is not a whole number of seconds{fix}")
        );
    }
}

#[tokio::test]
async fn the_longest_access_token_lifetime_still_ends_with_the_session() {
    let longest = lifetime("18446744073709551615").unwrap().unwrap();
    let server = DemoServer::start(|config| config.access_lifetime = longest).await;
    let tokens = login_ok(&server, "alice", "wonderland").await;
    let me = get(&server, "/api/me", tokens.api()).await;
    assert_eq!(me.status(), StatusCode::OK);
    let exp = me.json::<Value>().await.unwrap()["exp"].as_u64().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // The session's absolute lifetime (7 days) bounds the token.
    assert!(exp <= now + 7 * 24 * 3600, "exp {exp}, now {now}");
}

#[test]
fn the_key_permission_opt_out_is_1_or_0_and_anything_else_is_refused() {
    assert_eq!(KeyFiles::from_value(None), Ok(KeyFiles::OwnerOnly));
    assert_eq!(
        KeyFiles::from_value(Some(OsStr::new("0"))),
        Ok(KeyFiles::OwnerOnly)
    );
    assert_eq!(
        KeyFiles::from_value(Some(OsStr::new("1"))),
        Ok(KeyFiles::AnyMode)
    );
    for junk in ["", "yes", "true", " 1", "01"] {
        let error = KeyFiles::from_value(Some(OsStr::new(junk))).unwrap_err();
        assert_eq!(
            error,
            BadSetting {
                var: IGNORE_KEY_PERMISSIONS,
                problem: format!(
                    "{junk:?} is neither 1 nor 0; use 1 only for key files something else protects"
                ),
            }
        );
        assert!(
            error
                .to_string()
                .starts_with("DEMO_IGNORE_INSECURE_KEY_PERMISSIONS: "),
            "{error}"
        );
    }
}

#[cfg(unix)]
#[test]
fn an_open_demo_key_file_is_refused_with_the_fix_and_read_under_the_opt_out() {
    use std::os::unix::fs::PermissionsExt;

    use crate::support::{scratch_dir, write_with_mode};

    let dir = scratch_dir("demo-settings");
    let path = dir.join("demo-key.pem");
    let pem = crate::support::pem("p256.pem");
    write_with_mode(&path, &pem, 0o644);
    let error = KeyFiles::OwnerOnly
        .read("DEMO_KEY_FILE", &path)
        .unwrap_err();
    assert_eq!(error.var, "DEMO_KEY_FILE");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "DEMO_KEY_FILE: the key file {} has mode 0644",
            path.display()
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("chmod 600 {}", path.display())),
        "{message}"
    );
    assert!(
        message.ends_with("; the demo's opt-out is DEMO_IGNORE_INSECURE_KEY_PERMISSIONS=1"),
        "{message}"
    );
    // The opt-out reads it, and what it read is the key.
    let read = KeyFiles::AnyMode.read("DEMO_KEY_FILE", &path).unwrap();
    assert_eq!(read.as_slice(), pem.as_slice());
    SigningKey::from_pem("demo-file", Algorithm::ES256, &read).unwrap();

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let read = KeyFiles::OwnerOnly.read("DEMO_KEY_FILE", &path).unwrap();
    assert_eq!(read.as_slice(), pem.as_slice());

    let missing = KeyFiles::OwnerOnly
        .read("DEMO_KEY_FILE", &dir.join("nope.pem"))
        .unwrap_err();
    assert_eq!(missing.var, "DEMO_KEY_FILE");
    assert!(
        missing.problem.starts_with(&format!(
            "cannot read the key file {}",
            dir.join("nope.pem").display()
        )),
        "{missing}"
    );
}

#[cfg(feature = "redis")]
#[test]
fn the_store_line_names_the_redis_server_without_its_user_or_password() {
    use crate::support::demo::settings::{redacted_redis_url, redis_store_description};

    assert_eq!(
        redacted_redis_url("redis://127.0.0.1:6379/"),
        "redis://127.0.0.1:6379/"
    );
    assert_eq!(
        redacted_redis_url("redis://:s3cret@127.0.0.1:6379/0"),
        "redis://127.0.0.1:6379/0"
    );
    // An unescaped `@` or `/` in the password leaks none of it.
    assert_eq!(
        redacted_redis_url("rediss://app:p@ss/w0rd@cache.internal:6380/"),
        "rediss://cache.internal:6380/"
    );
    assert_eq!(
        redacted_redis_url("app:pw@127.0.0.1:6379"),
        "127.0.0.1:6379"
    );
    assert_eq!(
        redis_store_description("redis://:s3cret@127.0.0.1:6379/", false, true),
        "Redis at redis://127.0.0.1:6379/ (RedisStore), shared with every instance on it"
    );
    let alone = redis_store_description("redis://127.0.0.1:6379/", true, false);
    assert!(
        alone.contains("local revocation cache on (REDIS_LOCAL_CACHE=1)"),
        "{alone}"
    );
    assert!(
        alone.ends_with(
            "set DEMO_KEY_FILE to the same key on every instance, or each signs with its own"
        ),
        "{alone}"
    );
}
