use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use serde_json::{Value, json};

use super::{KeyError, KeyProvider, SigningKey, VerifyingKey};

/// Several verification keys by `kid` and one active signing key, rotated
/// without blocking readers.
///
/// Readers take a lock-free snapshot (`arc-swap`); writers build a new snapshot
/// and publish it atomically, so a request being verified sees either the old
/// key set or the new one, never a half-changed one. Cloning a `KeyRing` gives
/// another handle to the same keys.
///
/// Rotation: [`insert_signing`](Self::insert_signing) the new key (tokens it
/// signs verify everywhere at once), [`activate`](Self::activate) it, and once
/// the old key's tokens have expired, [`retire`](Self::retire) the old key.
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Arc<ArcSwap<KeySet>>,
    writer: Arc<Mutex<()>>,
}

#[derive(Clone, Debug, Default)]
struct KeySet {
    verifying: Vec<Arc<VerifyingKey>>,
    signing: Vec<Arc<SigningKey>>,
    active: Option<Arc<SigningKey>>,
    /// Bumped by every change, so it differs whenever a key was removed or
    /// replaced ([`KeyProvider::generation`]).
    generation: u64,
}

impl KeyRing {
    /// An empty key ring.
    pub fn new() -> Self {
        Self {
            keys: Arc::new(ArcSwap::from_pointee(KeySet::default())),
            writer: Arc::new(Mutex::new(())),
        }
    }

    /// A ring holding `key` as its active signing key.
    pub fn with_signing_key(key: SigningKey) -> Self {
        let ring = Self::new();
        let kid = key.kid().to_owned();
        ring.update(|set| {
            set.insert_signing(key)?;
            set.activate(&kid)
        })
        .expect("an empty ring accepts any key");
        ring
    }

    /// Adds a key that only verifies (for example another service's public
    /// key). It is never published by [`jwks`](Self::jwks).
    pub fn insert_verifying(&self, key: VerifyingKey) -> Result<(), KeyError> {
        self.update(|set| set.insert_verifying(Arc::new(key)))
    }

    /// Adds a signing key and its verifying half. Tokens signed with it verify
    /// at once; it signs only after [`activate`](Self::activate).
    pub fn insert_signing(&self, key: SigningKey) -> Result<(), KeyError> {
        self.update(|set| set.insert_signing(key))
    }

    /// Makes the signing key `kid` the one new tokens are signed with.
    pub fn activate(&self, kid: &str) -> Result<(), KeyError> {
        self.update(|set| set.activate(kid))
    }

    /// Removes key `kid`; tokens it signed are rejected as "unknown key" from now on.
    pub fn retire(&self, kid: &str) -> Result<(), KeyError> {
        self.update(|set| set.retire(kid))
    }

    /// The key ids this ring verifies, in insertion order.
    pub fn kids(&self) -> Vec<String> {
        self.keys
            .load()
            .verifying
            .iter()
            .map(|k| k.kid().to_owned())
            .collect()
    }

    /// This issuer's public signing keys as a JWK Set (RFC 7517 §5): the
    /// public half of every key added with
    /// [`insert_signing`](Self::insert_signing) and not yet retired — the
    /// active one and the inactive ones whose tokens may still be live — in
    /// insertion order.
    ///
    /// Keys added with [`insert_verifying`](Self::insert_verifying) are never
    /// published: they are someone else's (a partner service's public key),
    /// and a relying party that trusts this set would otherwise accept that
    /// partner's tokens as this issuer's. HMAC secrets are never published.
    ///
    /// ```
    /// use tower_jwt_cookie::keys::{KeyRing, PublicKey, SigningKey, VerifyingKey};
    /// use tower_jwt_cookie::Algorithm;
    ///
    /// let ring = KeyRing::with_signing_key(SigningKey::generate("ours", Algorithm::EdDSA)?);
    /// // A partner's public key, to accept its tokens (normally read from its PEM).
    /// let partner = SigningKey::generate("partner", Algorithm::EdDSA)?;
    /// let Some(PublicKey::Ed { x }) = partner.verifying_key().public_key() else { unreachable!() };
    /// ring.insert_verifying(VerifyingKey::from_der("partner", Algorithm::EdDSA, x)?)?;
    ///
    /// assert_eq!(ring.kids(), ["ours", "partner"]); // both verify
    /// let jwks = ring.jwks();
    /// assert_eq!(jwks["keys"].as_array().unwrap().len(), 1); // only ours is published
    /// assert_eq!(jwks["keys"][0]["kid"], "ours");
    /// # Ok::<(), tower_jwt_cookie::keys::KeyError>(())
    /// ```
    pub fn jwks(&self) -> Value {
        let set = self.keys.load();
        let keys: Vec<Value> = set
            .signing
            .iter()
            .map(|k| k.verifying_key())
            .filter_map(|k| k.public_key().map(|p| p.to_jwk(k.kid(), k.algorithm())))
            .collect();
        json!({ "keys": keys })
    }

    fn update(
        &self,
        change: impl FnOnce(&mut KeySet) -> Result<(), KeyError>,
    ) -> Result<(), KeyError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = KeySet::clone(&self.keys.load());
        change(&mut next)?;
        next.generation = next.generation.wrapping_add(1);
        self.keys.store(Arc::new(next));
        Ok(())
    }
}

impl Default for KeyRing {
    fn default() -> Self {
        Self::new()
    }
}

impl KeySet {
    /// The key for `kid`; a token without `kid` matches a sole key.
    fn find(&self, kid: Option<&str>) -> Option<&Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self.verifying.iter().find(|k| k.kid() == kid),
            None => match self.verifying.as_slice() {
                [only] => Some(only),
                _ => None,
            },
        }
    }

    fn insert_verifying(&mut self, key: Arc<VerifyingKey>) -> Result<(), KeyError> {
        if self.verifying.iter().any(|k| k.kid() == key.kid()) {
            return Err(KeyError::DuplicateKid(key.kid().to_owned()));
        }
        self.verifying.push(key);
        Ok(())
    }

    fn insert_signing(&mut self, key: SigningKey) -> Result<(), KeyError> {
        self.insert_verifying(Arc::clone(key.verifying_key()))?;
        self.signing.push(Arc::new(key));
        Ok(())
    }

    fn activate(&mut self, kid: &str) -> Result<(), KeyError> {
        let key = match self.signing.iter().find(|k| k.kid() == kid) {
            Some(key) => key,
            None if self.verifying.iter().any(|k| k.kid() == kid) => {
                return Err(KeyError::NotASigningKey(kid.to_owned()));
            }
            None => return Err(KeyError::UnknownKid(kid.to_owned())),
        };
        self.active = Some(Arc::clone(key));
        Ok(())
    }

    fn retire(&mut self, kid: &str) -> Result<(), KeyError> {
        if self.active.as_ref().is_some_and(|k| k.kid() == kid) {
            return Err(KeyError::RetiringActiveKey(kid.to_owned()));
        }
        let before = self.verifying.len();
        self.verifying.retain(|k| k.kid() != kid);
        self.signing.retain(|k| k.kid() != kid);
        if self.verifying.len() == before {
            return Err(KeyError::UnknownKid(kid.to_owned()));
        }
        Ok(())
    }
}

impl KeyProvider for KeyRing {
    fn verifying_key(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        self.keys.load().find(kid).cloned()
    }

    fn with_verifying_key(&self, kid: Option<&str>, f: &mut dyn FnMut(Option<&VerifyingKey>)) {
        f(self.keys.load().find(kid).map(|key| &**key));
    }

    fn signing_key(&self) -> Option<Arc<SigningKey>> {
        self.keys.load().active.clone()
    }

    fn generation(&self) -> Option<u64> {
        Some(self.keys.load().generation)
    }
}
