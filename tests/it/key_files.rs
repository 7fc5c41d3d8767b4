//! Private keys from files are refused when group or others may read or
//! write them, as ssh refuses a "too open" identity file; the error names
//! the mode and the `chmod 600` fix, and a loudly named opt-out exists.
#![cfg(unix)]

use std::path::PathBuf;

use crate::support::{pem, scratch_dir, write_with_mode};
use tower_jwt_cookie::Algorithm;
use tower_jwt_cookie::keys::{self, KeyError, SigningKey};

/// A copy of the P-256 test key with `mode`, in a directory of its own.
fn key_file(name: &str, mode: u32) -> PathBuf {
    let path = scratch_dir(&format!("key-files-{name}")).join("p256.pem");
    write_with_mode(&path, pem("p256.pem"), mode);
    path
}

#[test]
fn owner_only_key_file_loads() {
    for mode in [0o600, 0o400] {
        let path = key_file(&format!("owner-{mode:o}"), mode);
        let key = SigningKey::from_pem_file("k", Algorithm::ES256, &path).unwrap();
        assert_eq!(key.algorithm(), Algorithm::ES256);
    }
}

#[test]
fn group_or_world_accessible_key_file_is_refused_with_the_chmod_fix() {
    for mode in [0o644, 0o640, 0o604, 0o660, 0o602, 0o620] {
        let path = key_file(&format!("open-{mode:o}"), mode);
        let error = SigningKey::from_pem_file("k", Algorithm::ES256, &path).unwrap_err();
        match &error {
            KeyError::KeyFilePermissions { path: p, mode: m } => {
                assert_eq!(p, &path);
                assert_eq!(*m, mode);
            }
            other => panic!("{mode:o}: expected KeyFilePermissions, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains(&format!("mode {mode:04o}")), "{message}");
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "{message}"
        );
        assert!(
            message.contains("`SigningKey::from_pem_file_ignoring_insecure_permissions`"),
            "{message}"
        );
        assert!(
            message.contains("`keys::read_key_file_ignoring_insecure_permissions`"),
            "{message}"
        );
    }
}

#[test]
fn other_private_key_files_are_read_under_the_same_rule() {
    let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/p256.pem")).unwrap();
    let owner_only = key_file("read-600", 0o600);
    assert_eq!(keys::read_key_file(&owner_only).unwrap().as_slice(), pem);
    let open = key_file("read-644", 0o644);
    match keys::read_key_file(&open).unwrap_err() {
        KeyError::KeyFilePermissions { path, mode } => {
            assert_eq!((path, mode), (open.clone(), 0o644));
        }
        other => panic!("expected KeyFilePermissions, got {other:?}"),
    }
    assert_eq!(
        keys::read_key_file_ignoring_insecure_permissions(&open)
            .unwrap()
            .as_slice(),
        pem
    );
    assert!(matches!(
        keys::read_key_file("/nonexistent/tls.pem").unwrap_err(),
        KeyError::KeyFileRead { .. }
    ));
}

#[test]
fn the_loud_opt_out_loads_an_open_key_file() {
    let path = key_file("opt-out", 0o644);
    let key = SigningKey::from_pem_file_ignoring_insecure_permissions("k", Algorithm::ES256, &path)
        .unwrap();
    assert_eq!(key.kid(), "k");
}

#[test]
fn a_missing_key_file_names_the_path() {
    let path = PathBuf::from("/nonexistent/jwt.pem");
    let error = SigningKey::from_pem_file("k", Algorithm::ES256, &path).unwrap_err();
    assert!(matches!(error, KeyError::KeyFileRead { .. }), "{error:?}");
    assert!(
        error.to_string().contains("/nonexistent/jwt.pem"),
        "{error}"
    );
}
