//! Private keys from files, refused when others may read them, as ssh
//! refuses an identity file "too open" (`ssh(1)`: "must not be accessible by
//! others"): a key readable by the group or the world is a key already
//! shared with every account that can log in.
//!
//! ```no_run
//! use tower_jwt_cookie::Algorithm;
//! use tower_jwt_cookie::keys::SigningKey;
//!
//! // `chmod 600 /etc/app/jwt-es256.pem` first, or this is an error saying so.
//! let key = SigningKey::from_pem_file("2026-12", Algorithm::ES256, "/etc/app/jwt-es256.pem")?;
//! # let _ = key;
//! # Ok::<(), tower_jwt_cookie::keys::KeyError>(())
//! ```

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use super::{Algorithm, KeyError, SigningKey};

impl SigningKey {
    /// Reads a PEM private key (as [`from_pem`](Self::from_pem)) from `path`.
    /// On Unix, a file that its group or others may read or write (any bit
    /// of mode `0o077`) is refused with [`KeyError::KeyFilePermissions`],
    /// whose message names the mode and the `chmod 600` fix. The mode is
    /// checked on the opened file, so a swap between check and read cannot
    /// slip past it.
    pub fn from_pem_file(
        kid: &str,
        alg: Algorithm,
        path: impl AsRef<Path>,
    ) -> Result<Self, KeyError> {
        Self::from_pem_file_checked(kid, alg, path.as_ref(), true)
    }

    /// [`from_pem_file`](Self::from_pem_file) WITHOUT the permission check:
    /// only for a file that something else protects (a container whose
    /// only user is the server, a secrets mount that cannot be `chmod`ed).
    pub fn from_pem_file_ignoring_insecure_permissions(
        kid: &str,
        alg: Algorithm,
        path: impl AsRef<Path>,
    ) -> Result<Self, KeyError> {
        Self::from_pem_file_checked(kid, alg, path.as_ref(), false)
    }

    fn from_pem_file_checked(
        kid: &str,
        alg: Algorithm,
        path: &Path,
        check_mode: bool,
    ) -> Result<Self, KeyError> {
        Self::from_pem(kid, alg, &read(path, check_mode)?).map_err(|source| KeyError::FromFile {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }
}

/// Reads a private key file of another kind (the TLS key beside the JWT
/// key, say) under the rule of [`SigningKey::from_pem_file`]: on Unix, a
/// file its group or others may read or write is refused with
/// [`KeyError::KeyFilePermissions`], the mode checked on the opened file.
/// The bytes are zeroized when dropped.
pub fn read_key_file(path: impl AsRef<Path>) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    read(path.as_ref(), true)
}

/// [`read_key_file`] WITHOUT the permission check: only for a file that
/// something else protects (a container whose only user is the server, a
/// secrets mount that cannot be `chmod`ed).
pub fn read_key_file_ignoring_insecure_permissions(
    path: impl AsRef<Path>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    read(path.as_ref(), false)
}

// Not `fs::read`: it would open the path again (another file than the one
// whose mode was checked, if it was swapped in between) and return a buffer
// that is not wiped on drop.
#[expect(
    clippy::verbose_file_reads,
    reason = "reads the file whose mode was checked"
)]
fn read(path: &Path, check_mode: bool) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let read_error = |source| KeyError::KeyFileRead {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    if check_mode {
        check_permissions(&file, path)?;
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.read_to_end(&mut bytes).map_err(read_error)?;
    Ok(bytes)
}

#[cfg(unix)]
fn check_permissions(file: &File, path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(|source| KeyError::KeyFileRead {
            path: path.to_owned(),
            source,
        })?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyError::KeyFilePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Windows ACLs are not modes; there the file system's ACLs must protect it.
#[cfg(not(unix))]
fn check_permissions(_file: &File, _path: &Path) -> Result<(), KeyError> {
    Ok(())
}
