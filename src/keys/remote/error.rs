use super::super::KeyError;

/// Why a remote key set (or its configuration) was refused.
///
/// Every refusal of a fetched document is one of these, also logged as a
/// `tracing` warning; the last good key set keeps verifying meanwhile.
/// Members of the document are named by their position in `keys`, never by
/// their (attacker-chosen) contents, except a `kid` that passed the key-id
/// checks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    // --- Configuration ---
    /// The URL could not be parsed.
    #[error("`{0}` is not a URL: write it as `https://issuer.example/.well-known/jwks.json`")]
    InvalidUrl(String),
    /// The URL is not https, and not a loopback address.
    #[error(
        "`{0}` must use https: plain http is allowed only for loopback addresses (127.0.0.0/8, [::1], localhost)"
    )]
    InsecureUrl(String),
    /// A limit or interval of the builder is out of range.
    #[error("{0}")]
    InvalidConfig(&'static str),
    /// `build` was called outside a tokio runtime, so no refresh task can run.
    #[error(
        "RemoteJwks must be built inside a tokio runtime (its background refresh is a tokio task): call `build().await` from async code"
    )]
    NoRuntime,
    /// The HTTP client could not be created.
    #[error("the HTTP client could not be created: {0}")]
    Client(#[source] Box<dyn std::error::Error + Send + Sync>),

    // --- Fetching ---
    /// The server answered with a status other than 2xx (redirects are never followed).
    #[error("the server answered HTTP {0} (redirects are not followed)")]
    Status(u16),
    /// The connection or the whole request took longer than its timeout.
    #[error("the request timed out")]
    Timeout,
    /// The server could not be reached, or the connection failed.
    #[error("the server could not be reached: {0}")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The document is larger than the configured maximum.
    #[error("the document is larger than {limit} bytes")]
    TooLarge {
        /// The maximum document size in bytes.
        limit: usize,
    },

    // --- The document ---
    /// Not JSON, or not a JSON object with a `keys` array of objects (a
    /// duplicated member counts as invalid).
    #[error("the document is not a JWK Set (a JSON object with a `keys` array of objects)")]
    InvalidJson,
    /// The set holds no usable key: it would make every token unverifiable.
    #[error("the key set is empty")]
    Empty,
    /// More keys than any issuer publishes.
    #[error("the key set has more than {limit} keys")]
    TooManyKeys {
        /// The largest accepted number of keys.
        limit: usize,
    },
    /// A key has a private or secret member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`).
    #[error(
        "key #{index} has the private member `{member}`: a published key set holds public keys only"
    )]
    PrivateMember {
        /// The key's position in `keys`.
        index: usize,
        /// The member's name.
        member: &'static str,
    },
    /// A key is an `oct` (HMAC) key: a shared secret is never fetched.
    #[error(
        "key #{index} is an `oct` (HMAC) key: shared secrets are never accepted from a key set"
    )]
    SymmetricKey {
        /// The key's position in `keys`.
        index: usize,
    },
    /// A key's `kty` is missing or not one of `RSA`, `EC`, `OKP`.
    #[error("key #{index} has a missing or unsupported `kty` (RSA, EC and OKP are supported)")]
    UnknownKeyType {
        /// The key's position in `keys`.
        index: usize,
    },
    /// A key's `crv` is missing or unsupported (`P-256`, `P-384`, `Ed25519`).
    #[error(
        "key #{index} has a missing or unsupported `crv` (P-256, P-384 and Ed25519 are supported)"
    )]
    UnknownCurve {
        /// The key's position in `keys`.
        index: usize,
    },
    /// A key's `use` is not `sig`.
    #[error("key #{index} is not a signature key (`use` is not `sig`)")]
    NotForSignatures {
        /// The key's position in `keys`.
        index: usize,
    },
    /// A key's `alg` is unknown, symmetric, or one its key type cannot have.
    #[error("key #{index} has an `alg` its key type cannot have")]
    AlgorithmMismatch {
        /// The key's position in `keys`.
        index: usize,
    },
    /// An RSA key without `alg`, and no default RSA algorithm configured.
    #[error(
        "key #{index} is an RSA key without `alg`, and no default is configured: set `JwksPolicy::rsa_algorithm`"
    )]
    MissingAlgorithm {
        /// The key's position in `keys`.
        index: usize,
    },
    /// A member is missing, not a string, or not base64url of the right length.
    #[error("key #{index}: member `{member}` is missing or malformed")]
    MalformedMember {
        /// The key's position in `keys`.
        index: usize,
        /// The member's name.
        member: &'static str,
    },
    /// A key's `kid` is not 1 to 128 characters of `[A-Za-z0-9._-]`.
    #[error("key #{index} has a `kid` that is not 1 to 128 characters of [A-Za-z0-9._-]")]
    InvalidKid {
        /// The key's position in `keys`.
        index: usize,
    },
    /// Two keys share a `kid`, so a token could not name one of them.
    #[error("two keys have the kid `{0}`")]
    DuplicateKid(String),
    /// The key material was refused (RSA below 2048 bits, a point not on the curve…).
    #[error("key #{index} was refused: {source}")]
    InvalidKey {
        /// The key's position in `keys`.
        index: usize,
        /// Why.
        #[source]
        source: KeyError,
    },

    // --- OIDC discovery ---
    /// The discovery document is not a JSON object with string `issuer` and `jwks_uri`.
    #[error("the OpenID configuration is not a JSON object with string `issuer` and `jwks_uri`")]
    InvalidDiscovery,
    /// The discovery document names another issuer (mix-up defence, RFC 8414 §3.3).
    #[error("the OpenID configuration names the issuer {found:?}, not the configured {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The `issuer` of the document.
        found: String,
    },
}
