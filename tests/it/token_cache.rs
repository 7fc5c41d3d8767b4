//! The verifier's verified-token cache: one rule per test. A hit is told
//! from a miss by the key lookups a counting key provider sees (a hit looks
//! no key up), never by timing.

use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use serde_json::Value;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::keys::{KeyProvider, KeyRing, PublicKey, SigningKey, VerifyingKey};
use tower_jwt_cookie::revocation::{RevocationStore, TokenRevocation};
use tower_jwt_cookie::token::{self, TokenKind};
use tower_jwt_cookie::verify::cache::TokenCache;
use tower_jwt_cookie::{
    Algorithm, CookieAuth, JwtCookieVerifier, MemoryStore, Rejection, VerifiedClaims,
};

use crate::support::{AUDIENCE, ISSUER, NOW, TestStore, signing_key, valid_claims};

/// A key ring that counts `verifying_key` calls (one per verification from
/// scratch) and can hide its generation.
#[derive(Clone)]
struct CountingKeys {
    ring: KeyRing,
    lookups: Arc<AtomicUsize>,
    hide_generation: Arc<AtomicBool>,
}

impl CountingKeys {
    fn new(ring: KeyRing) -> Self {
        Self {
            ring,
            lookups: Arc::default(),
            hide_generation: Arc::default(),
        }
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl KeyProvider for CountingKeys {
    fn verifying_key(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.ring.verifying_key(kid)
    }

    fn signing_key(&self) -> Option<Arc<SigningKey>> {
        self.ring.signing_key()
    }

    fn generation(&self) -> Option<u64> {
        if self.hide_generation.load(Ordering::SeqCst) {
            None
        } else {
            self.ring.generation()
        }
    }
}

struct Setup<S> {
    keys: CountingKeys,
    clock: ManualClock,
    auth: CookieAuth<S>,
}

fn setup_with<S: RevocationStore>(alg: Algorithm, store: S) -> Setup<S> {
    let keys = CountingKeys::new(KeyRing::with_signing_key(signing_key("k1", alg)));
    let clock = ManualClock::new(NOW);
    let auth = CookieAuth::builder(keys.clone(), store)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(clock.clone())
        .build()
        .unwrap();
    Setup { keys, clock, auth }
}

fn setup(alg: Algorithm) -> Setup<MemoryStore> {
    setup_with(alg, MemoryStore::new())
}

impl<S: RevocationStore> Setup<S> {
    /// Adds key `k2` of `alg` and makes it the one new tokens are signed
    /// with (`k1` still verifies).
    fn sign_with_k2(&self, alg: Algorithm) {
        let ring = &self.keys.ring;
        ring.insert_signing(signing_key("k2", alg)).unwrap();
        ring.activate("k2").unwrap();
    }

    fn mint(&self, edit: impl FnOnce(&mut tower_jwt_cookie::token::Claims<Value>)) -> String {
        let mut claims = valid_claims(NOW);
        edit(&mut claims);
        token::encode(
            &self.keys.ring.signing_key().unwrap(),
            TokenKind::Access,
            &claims,
        )
        .unwrap()
    }
}

/// One verifier service, kept across requests (so its cache is too).
struct Client {
    service: BoxCloneSyncService<Request<()>, (StatusCode, Option<Rejection>), Infallible>,
}

fn ok(_: Request<()>) -> std::future::Ready<Result<Response<()>, Infallible>> {
    std::future::ready(Ok(Response::new(())))
}

impl Client {
    fn new<S: RevocationStore>(layer: JwtCookieVerifier<Value, S>) -> Self {
        let service = ServiceBuilder::new()
            .map_response(|response: Response<_>| {
                (
                    response.status(),
                    response.extensions().get::<Rejection>().cloned(),
                )
            })
            .layer(layer)
            .service(service_fn(ok as fn(_) -> _));
        Self {
            service: BoxCloneSyncService::new(service),
        }
    }

    /// A client whose requests' claims are kept in `held` (as requests
    /// still in flight would keep them).
    fn holding<S: RevocationStore>(
        layer: JwtCookieVerifier<Value, S>,
        held: Arc<Mutex<Vec<VerifiedClaims<Value>>>>,
    ) -> Self {
        let inner = service_fn(move |request: Request<()>| {
            if let Some(claims) = request.extensions().get::<VerifiedClaims<Value>>() {
                held.lock().unwrap().push(claims.clone());
            }
            ok(request)
        });
        let service = ServiceBuilder::new()
            .map_response(|response: Response<_>| {
                (
                    response.status(),
                    response.extensions().get::<Rejection>().cloned(),
                )
            })
            .layer(layer)
            .service(inner);
        Self {
            service: BoxCloneSyncService::new(service),
        }
    }

    async fn get(&mut self, token: &str) -> (StatusCode, Option<Rejection>) {
        let request = Request::get("/api/me")
            .header("cookie", format!("__Host-Http-access={token}"))
            .body(())
            .unwrap();
        self.service
            .ready()
            .await
            .unwrap()
            .call(request)
            .await
            .unwrap()
    }
}

const OK: (StatusCode, Option<Rejection>) = (StatusCode::OK, None);

fn refused(rejection: Rejection) -> (StatusCode, Option<Rejection>) {
    (rejection.status(), Some(rejection))
}

#[tokio::test]
async fn an_asymmetric_token_is_verified_once_then_served_from_the_cache() {
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let setup = setup(alg);
        let mut client = Client::new(setup.auth.verifier());
        let token = setup.mint(|_| {});
        for _ in 0..3 {
            assert_eq!(client.get(&token).await, OK, "{alg}");
        }
        assert_eq!(setup.keys.lookups(), 1, "{alg}: one verification, two hits");
    }
}

#[tokio::test]
async fn hmac_tokens_are_cached_only_when_asked() {
    let setup = setup(Algorithm::HS256);
    let token = setup.mint(|_| {});
    let mut default = Client::new(setup.auth.verifier());
    assert_eq!(default.get(&token).await, OK);
    assert_eq!(default.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "HS256 is not cached by default");

    let mut with_hmac = Client::new(
        setup
            .auth
            .verifier()
            .token_cache(TokenCache::new().include_hmac(true)),
    );
    assert_eq!(with_hmac.get(&token).await, OK);
    assert_eq!(with_hmac.get(&token).await, OK);
    assert_eq!(
        setup.keys.lookups(),
        3,
        "included: verified once more, then a hit"
    );
}

/// Once an asymmetric token is cached, tokens are looked up before their
/// header is read; an HMAC token (not taken by default) still never enters.
#[tokio::test]
async fn an_hmac_token_never_enters_a_cache_that_holds_asymmetric_ones() {
    let setup = setup(Algorithm::ES256);
    let mut client = Client::new(setup.auth.verifier());
    let es256 = setup.mint(|_| {});
    assert_eq!(client.get(&es256).await, OK);
    setup.sign_with_k2(Algorithm::HS256);
    let hs256 = setup.mint(|_| {});
    assert_eq!(client.get(&hs256).await, OK);
    assert_eq!(client.get(&hs256).await, OK);
    assert_eq!(setup.keys.lookups(), 3, "the HMAC token, verified twice");
}

/// With HMAC included the cache takes every algorithm and is asked before
/// the header is read: every rule of a hit still holds on that path.
#[tokio::test]
async fn a_cache_asked_before_the_header_keeps_every_rule() {
    let store = TestStore::default();
    let setup = setup_with(Algorithm::HS256, store.clone());
    let every_algorithm = TokenCache::new().include_hmac(true);
    let mut client = Client::new(setup.auth.verifier().token_cache(every_algorithm));
    let token = setup.mint(|c| {
        c.registered.jti = Some("revoke-me".into());
        c.registered.exp = Some(NOW + 60);
    });
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 1, "one verification, then a hit");
    assert_eq!(store.checks(), 2, "the store is asked on the hit");

    // Not the same bytes (one header byte changed): never a hit.
    let mut tampered = token.clone().into_bytes();
    tampered[1] = if tampered[1] == b'y' { b'z' } else { b'y' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_ne!(client.get(&tampered).await, OK);
    assert_eq!(setup.keys.lookups(), 1, "refused before any key lookup");

    setup.clock.advance(60);
    assert_eq!(client.get(&token).await, refused(Rejection::Expired));
    assert_eq!(setup.keys.lookups(), 1, "refused on the hit itself");
    setup.clock.advance(-60);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "the expired entry was dropped");

    let revocation = TokenRevocation {
        sub: "alice",
        jti: "revoke-me",
        expires_at: NOW + 3600,
    };
    store.revoke_token(revocation).await.unwrap();
    assert_eq!(client.get(&token).await, refused(Rejection::Revoked));
    assert_eq!(setup.keys.lookups(), 2, "a hit, refused by the store");

    setup.sign_with_k2(Algorithm::HS256);
    setup.keys.ring.retire("k1").unwrap();
    assert_eq!(client.get(&token).await, refused(Rejection::UnknownKey));
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let setup = setup(Algorithm::ES256);
    let token = setup.mint(|_| {});
    let mut client = Client::new(setup.auth.verifier().without_token_cache());
    for _ in 0..3 {
        assert_eq!(client.get(&token).await, OK);
    }
    assert_eq!(setup.keys.lookups(), 3);
}

#[tokio::test]
async fn a_hit_needs_the_exact_token_bytes() {
    let setup = setup(Algorithm::ES256);
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|_| {});
    assert_eq!(client.get(&token).await, OK);
    // The same token with its last signature character changed: it shares
    // every byte but one (and any prefix hash) with the cached token.
    let mut tampered = token.clone().into_bytes();
    let last = tampered.last_mut().unwrap();
    *last = if *last == b'A' { b'Q' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        client.get(&tampered).await,
        refused(Rejection::BadSignature)
    );
    assert_eq!(
        setup.keys.lookups(),
        2,
        "the tampered token was verified, not hit"
    );
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "the genuine token is still a hit");
}

#[tokio::test]
async fn refused_tokens_never_enter() {
    let setup = setup(Algorithm::ES256);
    let mut client = Client::new(setup.auth.verifier());
    let wrong_audience = setup.mint(|c| c.registered.aud = vec!["other".into()]);
    for round in 1..=2 {
        assert_eq!(
            client.get(&wrong_audience).await,
            refused(Rejection::WrongAudience)
        );
        assert_eq!(
            setup.keys.lookups(),
            round,
            "verified from scratch every time"
        );
    }
}

#[tokio::test]
async fn a_token_the_store_could_not_clear_never_enters() {
    let store = TestStore::broken();
    let setup = setup_with(Algorithm::ES256, store.clone());
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|_| {});
    assert_eq!(
        client.get(&token).await,
        refused(Rejection::StoreUnavailable)
    );
    store.set_failing(false);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "the failed attempt was not cached");
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "the cleared one was");
}

#[tokio::test]
async fn the_store_is_asked_on_every_hit() {
    let store = TestStore::default();
    let setup = setup_with(Algorithm::ES256, store.clone());
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|c| c.registered.jti = Some("revoke-me".into()));
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(store.checks(), 2);
    assert_eq!(setup.keys.lookups(), 1);

    let revocation = TokenRevocation {
        sub: "alice",
        jti: "revoke-me",
        expires_at: NOW + 3600,
    };
    store.revoke_token(revocation).await.unwrap();
    assert_eq!(client.get(&token).await, refused(Rejection::Revoked));
    assert_eq!(store.checks(), 3);
    assert_eq!(setup.keys.lookups(), 1, "a hit, refused by the store");
}

/// While earlier requests still hold a token's claims, a hit copies them
/// into a replica of this thread's (so cores do not share one reference
/// count); those hits keep every rule: the store, `exp`, the key.
#[tokio::test]
async fn hits_while_earlier_requests_hold_the_claims_keep_every_rule() {
    let store = TestStore::default();
    let setup = setup_with(Algorithm::ES256, store.clone());
    let held = Arc::default();
    let mut client = Client::holding(setup.auth.verifier(), Arc::clone(&held));
    let revoked = setup.mint(|c| c.registered.jti = Some("revoke-me".into()));
    let expiring = setup.mint(|c| c.registered.exp = Some(NOW + 60));
    for token in [&revoked, &expiring] {
        for _ in 0..3 {
            assert_eq!(client.get(token).await, OK);
        }
    }
    assert_eq!(setup.keys.lookups(), 2, "each verified once");
    assert_eq!(held.lock().unwrap().len(), 6);

    let revocation = TokenRevocation {
        sub: "alice",
        jti: "revoke-me",
        expires_at: NOW + 3600,
    };
    store.revoke_token(revocation).await.unwrap();
    assert_eq!(client.get(&revoked).await, refused(Rejection::Revoked));
    assert_eq!(client.get(&expiring).await, OK);
    setup.clock.advance(60);
    assert_eq!(client.get(&expiring).await, refused(Rejection::Expired));
    assert_eq!(setup.keys.lookups(), 2, "refused on hits");

    let current = setup.mint(|_| {});
    for _ in 0..3 {
        assert_eq!(client.get(&current).await, OK);
    }
    setup.sign_with_k2(Algorithm::ES256);
    setup.keys.ring.retire("k1").unwrap();
    assert_eq!(client.get(&current).await, refused(Rejection::UnknownKey));
}

#[tokio::test]
async fn exp_is_checked_on_every_hit() {
    let setup = setup(Algorithm::ES256);
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|c| c.registered.exp = Some(NOW + 60));
    assert_eq!(client.get(&token).await, OK);
    setup.clock.advance(59);
    assert_eq!(client.get(&token).await, OK);
    setup.clock.advance(1);
    assert_eq!(client.get(&token).await, refused(Rejection::Expired));
    assert_eq!(setup.keys.lookups(), 1, "refused on the hit itself");
    assert_eq!(client.get(&token).await, refused(Rejection::Expired));
    assert_eq!(
        setup.keys.lookups(),
        2,
        "and dropped: verified from scratch now"
    );
}

#[tokio::test]
async fn nbf_is_checked_on_every_hit() {
    let setup = setup(Algorithm::ES256);
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|c| c.registered.nbf = Some(NOW));
    assert_eq!(client.get(&token).await, OK);
    // The clock is set back (an NTP step): the token is not valid yet again.
    setup.clock.advance(-1);
    assert_eq!(client.get(&token).await, refused(Rejection::NotYetValid));
    assert_eq!(setup.keys.lookups(), 1);
}

#[tokio::test]
async fn entries_are_reverified_after_their_max_age() {
    let setup = setup(Algorithm::ES256);
    let settings = TokenCache::new().max_age(Duration::from_secs(10));
    let mut client = Client::new(setup.auth.verifier().token_cache(settings));
    let token = setup.mint(|_| {});
    assert_eq!(client.get(&token).await, OK);
    setup.clock.advance(9);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 1);
    setup.clock.advance(1);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "10 s old: verified from scratch");
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2, "and cached again");
}

#[tokio::test]
async fn retiring_the_key_invalidates_its_entries() {
    let setup = setup(Algorithm::ES256);
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|_| {});
    assert_eq!(client.get(&token).await, OK);
    setup.sign_with_k2(Algorithm::ES256);
    setup.keys.ring.retire("k1").unwrap();
    assert_eq!(client.get(&token).await, refused(Rejection::UnknownKey));
}

#[tokio::test]
async fn replacing_the_key_invalidates_its_entries() {
    let setup = setup(Algorithm::EdDSA);
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|_| {});
    assert_eq!(client.get(&token).await, OK);
    setup.sign_with_k2(Algorithm::EdDSA);
    let ring = &setup.keys.ring;
    ring.retire("k1").unwrap();
    // Another key under the old kid: the cached token is not its signature.
    let other = SigningKey::generate("k1", Algorithm::EdDSA).unwrap();
    let Some(PublicKey::Ed { x }) = other.verifying_key().public_key() else {
        unreachable!("an Ed25519 key has an Ed25519 public key")
    };
    ring.insert_verifying(VerifyingKey::from_der("k1", Algorithm::EdDSA, x).unwrap())
        .unwrap();
    assert_eq!(client.get(&token).await, refused(Rejection::BadSignature));
}

#[test]
fn the_ring_generation_changes_with_every_key_change() {
    let ring = KeyRing::with_signing_key(signing_key("k1", Algorithm::ES256));
    let first = ring.generation().unwrap();
    ring.insert_signing(signing_key("k2", Algorithm::EdDSA))
        .unwrap();
    let second = ring.generation().unwrap();
    assert_ne!(first, second);
    assert_eq!(
        ring.generation(),
        Some(second),
        "stable while nothing changes"
    );
    ring.retire("k2").unwrap();
    assert_ne!(ring.generation(), Some(second));
}

#[tokio::test]
async fn a_provider_without_generation_gets_no_cache() {
    let setup = setup(Algorithm::ES256);
    setup.keys.hide_generation.store(true, Ordering::SeqCst);
    let mut client = Client::new(setup.auth.verifier());
    let token = setup.mint(|_| {});
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(client.get(&token).await, OK);
    assert_eq!(setup.keys.lookups(), 2);
}

#[tokio::test]
async fn the_capacity_bounds_the_entries() {
    let setup = setup(Algorithm::ES256);
    let settings = TokenCache::new().capacity(NonZeroUsize::MIN);
    let mut client = Client::new(setup.auth.verifier().token_cache(settings));
    let tokens: Vec<String> = (0..64)
        .map(|i| setup.mint(|c| c.registered.jti = Some(format!("jti-{i}"))))
        .collect();
    for token in &tokens {
        assert_eq!(client.get(token).await, OK);
    }
    let before = setup.keys.lookups();
    for token in &tokens {
        assert_eq!(client.get(token).await, OK);
    }
    // A one-entry cache cannot hold 64 tokens: most are verified again.
    assert!(
        setup.keys.lookups() - before >= 60,
        "{} of 64 re-verified",
        setup.keys.lookups() - before
    );
}
