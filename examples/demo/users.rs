//! The demo's users: argon2id password hashes (never plain-text passwords),
//! and a check that costs the same whether or not the user exists.

use argon2::{Argon2, PasswordHash, PasswordVerifier};

/// A demo user.
#[derive(Debug)]
pub struct User {
    /// The subject (`sub`) of this user's tokens.
    pub name: &'static str,
    /// Carried as a custom claim in the tokens.
    pub roles: &'static [&'static str],
    hash: PasswordHash<'static>,
}

/// The demo users and their argon2id hashes (m=19456 KiB, t=2, p=1: the
/// OWASP minimum). The passwords, printed at start-up, are `wonderland` and
/// `builder`; they appear nowhere in the server's code.
const USERS: [(&str, &[&str], &str); 2] = [
    (
        "alice",
        &["reader", "writer"],
        "$argon2id$v=19$m=19456,t=2,p=1$/jvwtFhCwqAWAnmjT7FgjQ$7i2b51HTlKBRLEtJ5MZYeTo923ewu9WWc7vqYOfWL38",
    ),
    (
        "bob",
        &["reader", "admin"],
        "$argon2id$v=19$m=19456,t=2,p=1$PFA1fhAeR1E2GdmQgWyIbQ$E76CJLFDXXTJfT8/7TN3QNIf24GdiH/cmcXcpfVPqoY",
    ),
];

/// The hash of a random password nobody knows, with the same parameters:
/// an unknown user name is checked against it, so it costs the same time as a
/// known one (no user enumeration by timing).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$w4p9ZjBu1Xkx/5tOrDU3AQ$C0Pe6RZ8T/g8rbvVhAYWtuDGn6OXlvvpLaYPjRxrFTM";

/// Longest password (and user name) worth hashing; longer ones are refused
/// after the same work as a wrong password.
pub const MAX_CREDENTIAL_LEN: usize = 256;

/// The user directory.
#[derive(Debug)]
pub struct Users {
    users: Vec<User>,
    dummy: PasswordHash<'static>,
}

impl Users {
    /// The demo users. Panics only if a built-in hash constant is malformed
    /// (a bug caught by every test that starts the demo).
    pub fn demo() -> Self {
        let parse = |phc: &'static str| PasswordHash::new(phc).expect("built-in argon2 hash");
        Self {
            users: USERS
                .iter()
                .map(|&(name, roles, phc)| User {
                    name,
                    roles,
                    hash: parse(phc),
                })
                .collect(),
            dummy: parse(DUMMY_HASH),
        }
    }

    /// The user whose name and password these are. Exactly one argon2
    /// verification runs on every call, against the user's hash or the dummy
    /// one, so a wrong user name and a wrong password take the same time.
    /// CPU-heavy (tens of milliseconds): call it from `spawn_blocking`.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&User> {
        let user = self.users.iter().find(|u| u.name == username);
        let hash = user.map_or(&self.dummy, |u| &u.hash);
        let too_long = username.len() > MAX_CREDENTIAL_LEN || password.len() > MAX_CREDENTIAL_LEN;
        // An over-long password is replaced, not skipped, to keep the cost.
        let candidate = if too_long { "" } else { password };
        let matches = Argon2::default()
            .verify_password(candidate.as_bytes(), hash)
            .is_ok();
        user.filter(|_| matches && !too_long)
    }
}
