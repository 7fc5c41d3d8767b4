use super::algorithm::Algorithm;

/// Why a key could not be loaded or a key ring could not be changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An HMAC secret is shorter than the hash output (RFC 7518 §3.2).
    #[error(
        "the {alg} secret is {len} bytes; it must be at least {min} bytes (the hash output size): \
         generate one with `openssl rand -base64 {min}`"
    )]
    SecretTooShort {
        /// The algorithm the secret was meant for.
        alg: Algorithm,
        /// The secret's length in bytes.
        len: usize,
        /// The smallest accepted length.
        min: usize,
    },
    /// An RSA modulus is smaller than 2048 bits.
    #[error(
        "the RSA key has {bits} bits; use at least 2048 (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`)"
    )]
    RsaTooSmall {
        /// The modulus size in bits.
        bits: usize,
    },
    /// An RSA modulus is larger than 8192 bits, the largest the crypto
    /// backends verify: tokens it signed could never be verified.
    #[error(
        "the RSA key has {bits} bits; the largest accepted is 8192 (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096`)"
    )]
    RsaTooLarge {
        /// The modulus size in bits.
        bits: usize,
    },
    /// The key material does not belong to the named algorithm.
    #[error("the key does not fit algorithm {alg}: {detail}")]
    WrongKeyType {
        /// The algorithm the key was bound to.
        alg: Algorithm,
        /// What did not fit.
        detail: &'static str,
    },
    /// The key is in an encoding this algorithm does not take, or is not a
    /// key at all.
    #[error("the {alg} key {found}: {fix}")]
    Encoding {
        /// The algorithm the key was meant for.
        alg: Algorithm,
        /// What was found instead of a usable key.
        found: &'static str,
        /// What to do: the encodings taken, or the command that converts.
        fix: String,
    },
    /// The key material could not be parsed: it is not in the encoding the
    /// constructor takes, or it is damaged.
    #[error("the {alg} key could not be read: {expected}")]
    Invalid {
        /// The algorithm the key was bound to.
        alg: Algorithm,
        /// What the constructor takes, and the openssl command that converts
        /// a key to it.
        expected: String,
        /// The parser's error (opaque, so a jsonwebtoken upgrade is not a
        /// breaking change here). Not part of the message, which says what
        /// to do instead (its words are the parser's, e.g.
        /// `InvalidKeyFormat`); error reporters that walk `source()` show it.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The key in an environment variable could not be used.
    #[error("environment variable `{name}`: {source}")]
    FromEnvironment {
        /// The variable's name.
        name: String,
        /// Why its key could not be used.
        #[source]
        source: Box<KeyError>,
    },
    /// The key in a key file could not be used.
    #[error("key file {}: {source}", path.display())]
    FromFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why its key could not be used.
        #[source]
        source: Box<KeyError>,
    },
    /// An environment variable holding a key is missing or unreadable.
    #[error("environment variable `{name}` {problem}")]
    Environment {
        /// The variable's name.
        name: String,
        /// What is wrong with it, and what it must hold.
        problem: String,
    },
    /// A key could not be generated.
    #[error("no {alg} key could be generated: {detail}")]
    Generation {
        /// The algorithm asked for.
        alg: Algorithm,
        /// Why not.
        detail: &'static str,
    },
    /// A key id is empty or too long.
    #[error(
        "a key id (`kid`, the first argument of the key constructors) must be 1 to 128 \
         characters of [A-Za-z0-9._-], e.g. \"2026-11\""
    )]
    InvalidKid,
    /// A key with this id is already in the ring.
    #[error("a key with id `{0}` is already in the key ring; retire it first or pick another kid")]
    DuplicateKid(String),
    /// No key with this id is in the ring.
    #[error(
        "no key with id `{0}` is in the key ring; add it first with `KeyRing::insert_signing` \
         or `insert_verifying`"
    )]
    UnknownKid(String),
    /// No signing key with this id is in the ring.
    #[error("the key `{0}` can only verify; add it with `KeyRing::insert_signing` to sign with it")]
    NotASigningKey(String),
    /// The active signing key cannot be retired.
    #[error("the key `{0}` is the active signing key; activate another key before retiring it")]
    RetiringActiveKey(String),
    /// A private key file could not be opened or read.
    #[error("cannot read the key file {}: {source}", path.display())]
    KeyFileRead {
        /// The file.
        path: std::path::PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// A private key file may be read or written by its group or others.
    #[error(
        "the key file {} has mode {mode:04o}: its group or others can read or write it; \
         run `chmod 600 {}` (as ssh demands of private keys), or, only if something else \
         protects it, load it with the `_ignoring_insecure_permissions` variant of the loader \
         (`SigningKey::from_pem_file_ignoring_insecure_permissions`, \
         `keys::read_key_file_ignoring_insecure_permissions`)",
        path.display(),
        path.display()
    )]
    KeyFilePermissions {
        /// The file.
        path: std::path::PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}
