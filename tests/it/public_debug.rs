//! Every public type implements `Debug` (the Rust API guidelines,
//! C-DEBUG: <https://rust-lang.github.io/api-guidelines/debuggability.html>).
//!
//! `missing_debug_implementations` does not see types defined inside
//! `pin_project!` (the response futures), so this module names them all:
//! a type that loses `Debug` stops this test binary from compiling. The
//! response futures are named over an inner future that is not `Debug`, as
//! an `async` block is not; the services, like tower-http's, are `Debug`
//! when their inner service is.

use std::convert::Infallible;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::token::NoCustomClaims;
use tower_jwt_cookie::{
    CookieAuth, CookieAuthBuilder, CredentialedCors, CsrfSameSiteGuard, MemoryStore,
};

use crate::support::{NOW, builder};

fn assert_debug<T: Debug>() {}

/// An inner future that is not `Debug`.
struct Opaque;

impl Future for Opaque {
    type Output = Result<Response<String>, Infallible>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(Ok(Response::new(String::new())))
    }
}

/// An inner service whose future is not `Debug`.
#[derive(Debug)]
struct Inner;

impl Service<Request<String>> for Inner {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Opaque;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<String>) -> Opaque {
        Opaque
    }
}

#[test]
fn every_public_type_implements_debug() {
    use tower_jwt_cookie::{body, clock, cookie, cors, csrf, issue, keys, origin};
    use tower_jwt_cookie::{rejection, revocation, token, verify};

    assert_debug::<CookieAuth<MemoryStore>>();
    assert_debug::<CookieAuthBuilder<MemoryStore>>();
    assert_debug::<tower_jwt_cookie::ConfigError>();
    assert_debug::<tower_jwt_cookie::SessionControl<MemoryStore>>();

    assert_debug::<body::ResponseBody<String>>();
    assert_debug::<clock::SystemClock>();
    assert_debug::<clock::ManualClock>();
    assert_debug::<cookie::CookieSpec>();
    assert_debug::<cookie::SameSite>();
    assert_debug::<cookie::DuplicateCookies>();
    assert_debug::<origin::Origin>();
    assert_debug::<origin::OriginError>();

    assert_debug::<cors::CredentialedCors>();
    assert_debug::<cors::CorsBuilder>();
    assert_debug::<cors::CorsConfigError>();
    assert_debug::<cors::CorsService<Inner>>();
    assert_debug::<cors::ResponseFuture<Opaque>>();

    assert_debug::<csrf::CsrfSameSiteGuard>();
    assert_debug::<csrf::CsrfGuardBuilder>();
    assert_debug::<csrf::CsrfConfigError>();
    assert_debug::<csrf::CsrfGuardHandle>();
    assert_debug::<csrf::CsrfGuardService<Inner>>();
    assert_debug::<csrf::BypassRoute>();
    assert_debug::<csrf::RouteError>();
    assert_debug::<csrf::CsrfTokens>();
    assert_debug::<csrf::CsrfToken>();
    assert_debug::<csrf::CsrfTokenError>();
    assert_debug::<csrf::CsrfTokenCheck<NoCustomClaims>>();
    assert_debug::<csrf::CsrfTokenService<Inner, NoCustomClaims>>();
    assert_debug::<csrf::ResponseFuture<Opaque>>();

    assert_debug::<issue::JwtCookieIssuer<MemoryStore>>();
    assert_debug::<issue::Session>();
    assert_debug::<issue::control::SessionControlError>();
    assert_debug::<issue::IssuerService<Inner, MemoryStore>>();
    assert_debug::<issue::ResponseFuture<Opaque, String, MemoryStore>>();

    assert_debug::<verify::JwtCookieVerifier<NoCustomClaims, MemoryStore>>();
    assert_debug::<verify::VerifiedClaims<NoCustomClaims>>();
    assert_debug::<verify::TokenSource>();
    assert_debug::<verify::cache::TokenCache>();
    assert_debug::<verify::VerifierService<Inner, NoCustomClaims, MemoryStore>>();
    assert_debug::<verify::ResponseFuture<Inner, String, NoCustomClaims>>();

    assert_debug::<keys::Algorithm>();
    assert_debug::<keys::UnknownAlgorithm>();
    assert_debug::<keys::KeyError>();
    assert_debug::<keys::KeyRing>();
    assert_debug::<keys::SigningKey>();
    assert_debug::<keys::VerifyingKey>();
    assert_debug::<keys::PublicKey>();

    assert_debug::<rejection::Rejection>();
    assert_debug::<rejection::CorsReason>();
    assert_debug::<rejection::CsrfReason>();
    assert_debug::<rejection::DefaultResponder>();
    assert_debug::<rejection::RequestInfo<'static>>();

    assert_debug::<revocation::MemoryStore>();
    assert_debug::<revocation::StoreError>();
    assert_debug::<revocation::AccessCheck<'static>>();
    assert_debug::<revocation::TokenStatus>();
    assert_debug::<revocation::SessionStart<'static>>();
    assert_debug::<revocation::TokenRevocation<'static>>();
    assert_debug::<revocation::SessionRevocation<'static>>();
    assert_debug::<revocation::Rotation<'static>>();
    assert_debug::<revocation::RotateOutcome>();

    assert_debug::<token::Claims<NoCustomClaims>>();
    assert_debug::<token::RegisteredClaims>();
    assert_debug::<token::NoCustomClaims>();
    assert_debug::<token::EncodeError>();
    assert_debug::<token::TokenKind>();
    assert_debug::<token::ForeignTokens>();
    assert_debug::<token::RequiredClaim>();
    assert_debug::<token::ValidationPolicy>();

    #[cfg(feature = "axum")]
    assert_debug::<tower_jwt_cookie::axum::MissingVerifiedClaims<NoCustomClaims>>();

    #[cfg(feature = "jwks")]
    {
        use tower_jwt_cookie::keys::remote;
        assert_debug::<remote::RemoteJwks>();
        assert_debug::<remote::RemoteJwksBuilder>();
        assert_debug::<remote::RefreshHandle>();
        assert_debug::<remote::JwksPolicy>();
        assert_debug::<remote::KeySet>();
        assert_debug::<remote::JwksError>();
    }

    #[cfg(feature = "redis")]
    {
        use tower_jwt_cookie::revocation::redis;
        assert_debug::<redis::RedisStore>();
        assert_debug::<redis::RedisStoreBuilder>();
        assert_debug::<redis::RedisStoreError>();
        assert_debug::<redis::LocalCache>();
        assert_debug::<redis::LocalCacheState>();
    }
}

/// The four response futures, as the layers return them around an inner
/// future that is not `Debug`, print their name and nothing of their state.
#[tokio::test]
async fn response_futures_debug_without_a_debug_inner_future() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock).build().unwrap();
    let handler = || {
        service_fn(|_: Request<String>| async { Ok::<_, Infallible>(Response::new(String::new())) })
    };
    let get = || Request::get("/").body(String::new()).unwrap();

    let mut cors = CredentialedCors::builder()
        .allow_origin("https://app.example")
        .build()
        .unwrap()
        .layer(handler());
    let mut csrf = CsrfSameSiteGuard::builder()
        .build()
        .unwrap()
        .layer(handler());
    let mut issuer = auth.issuer().unwrap().layer(handler());
    let mut verifier = auth.verifier::<NoCustomClaims>().layer(handler());

    let futures = [
        format!("{:?}", cors.ready().await.unwrap().call(get())),
        format!("{:?}", csrf.ready().await.unwrap().call(get())),
        format!("{:?}", issuer.ready().await.unwrap().call(get())),
        format!("{:?}", verifier.ready().await.unwrap().call(get())),
    ];
    assert_eq!(futures, ["ResponseFuture { .. }"; 4]);
}

/// An inner service with a value to read back through the accessors.
#[derive(Debug)]
struct Numbered(u32);

/// `get_ref`, `get_mut` and `into_inner` (as on every tower-http
/// middleware) reach the very service each of the five layers wraps.
#[test]
fn every_service_hands_back_its_inner_service() {
    let clock = ManualClock::new(NOW);
    let auth = builder(MemoryStore::new(), &clock)
        .csrf_double_submit(crate::support::csrf_tokens())
        .build()
        .unwrap();

    macro_rules! check {
        ($layer:expr) => {{
            let mut service = $layer.layer(Numbered(1));
            assert_eq!(service.get_ref().0, 1);
            service.get_mut().0 = 2;
            assert_eq!(service.get_ref().0, 2);
            assert_eq!(service.into_inner().0, 2);
        }};
    }
    check!(
        CredentialedCors::builder()
            .allow_origin("https://app.example")
            .build()
            .unwrap()
    );
    check!(CsrfSameSiteGuard::builder().build().unwrap());
    check!(auth.issuer().unwrap());
    check!(auth.verifier::<NoCustomClaims>());
    check!(auth.csrf_token_check::<NoCustomClaims>().unwrap());
}
