use std::fmt;
use std::sync::Arc;

use tower_layer::Layer;

use super::VerifierService;
use super::cache::{TokenCache, VerifiedCache};
use super::service::Settings;
use crate::config::CookieAuth;
use crate::revocation::{MemoryStore, RevocationStore};
use crate::token::{CustomClaims, NoCustomClaims};

/// Verifies the access token of every request and puts
/// [`VerifiedClaims<C>`](super::VerifiedClaims) in its extensions; refuses the
/// request otherwise, before the inner service runs.
///
/// Tokens verified with an asymmetric key are remembered in a
/// [verified-token cache](super::cache) by default; see
/// [`token_cache`](Self::token_cache) and
/// [`without_token_cache`](Self::without_token_cache).
#[must_use = "a layer does nothing unless it wraps a service"]
pub struct JwtCookieVerifier<C = NoCustomClaims, S = MemoryStore> {
    /// Shared as they are by every service the layer makes.
    settings: Arc<Settings<C, S>>,
}

impl<S: RevocationStore> CookieAuth<S> {
    /// The layer that verifies access tokens and provides `VerifiedClaims<C>`.
    ///
    /// Every call makes a new, empty token cache (with the default
    /// [`TokenCache`] settings), shared by the clones of the layer and every
    /// service it makes.
    pub fn verifier<C: CustomClaims>(&self) -> JwtCookieVerifier<C, S> {
        JwtCookieVerifier {
            settings: Arc::new(Settings {
                auth: self.clone(),
                optional: false,
                cache: Some(Arc::new(VerifiedCache::new(&TokenCache::default()))),
            }),
        }
    }
}

impl<C, S> JwtCookieVerifier<C, S> {
    /// The same layer with `change` made to its settings (the clones of
    /// this layer, and the services made so far, keep theirs).
    fn with(self, change: impl FnOnce(&mut Settings<C, S>)) -> Self {
        let mut settings = Arc::unwrap_or_clone(self.settings);
        change(&mut settings);
        Self {
            settings: Arc::new(settings),
        }
    }

    /// Optional authentication, for a page that greets a logged-in user and
    /// still serves everyone else: a request with no token at all reaches
    /// the inner service without [`VerifiedClaims<C>`](super::VerifiedClaims)
    /// (anonymously); a token that is present but fails any check
    /// (malformed, bad signature, expired, revoked, a duplicate cookie) is
    /// refused exactly as without this, never downgraded to anonymous. So an
    /// attacker cannot turn a revoked session into an anonymous one the
    /// handler trusts more, and an expired token still gets the 401 the page
    /// needs to refresh.
    ///
    /// With axum, extract `Option<VerifiedClaims<C>>`: `None` behind the
    /// optional verifier, and a 500 naming the fix on a route behind no
    /// verifier at all (so a forgotten layer is not silently "anonymous").
    ///
    /// ```
    /// use http::{Request, Response, StatusCode};
    /// use tower::{ServiceBuilder, ServiceExt, service_fn};
    /// use tower_jwt_cookie::keys::{KeyRing, SigningKey};
    /// use tower_jwt_cookie::{Algorithm, CookieAuth, MemoryStore, VerifiedClaims};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let keys = KeyRing::with_signing_key(SigningKey::hmac("k1", Algorithm::HS256, &[3; 32])?);
    /// let auth = CookieAuth::builder(keys, MemoryStore::new())
    ///     .issuer("https://app.example")
    ///     .audience("app")
    ///     .build()?;
    /// let service = ServiceBuilder::new()
    ///     .layer(auth.verifier::<serde_json::Value>().optional())
    ///     .service(service_fn(|request: Request<String>| async move {
    ///         let greeting = match request.extensions().get::<VerifiedClaims<serde_json::Value>>() {
    ///             Some(claims) => format!("hello {}", claims.subject()),
    ///             None => "hello stranger".to_owned(),
    ///         };
    ///         Ok::<_, std::convert::Infallible>(Response::new(greeting))
    ///     }));
    ///
    /// // No token: the handler runs, anonymously.
    /// let response = service.clone().oneshot(Request::new(String::new())).await?;
    /// assert_eq!(response.status(), StatusCode::OK);
    ///
    /// // A token that is there but bad: refused, as without `.optional()`.
    /// let forged = Request::builder()
    ///     .header("cookie", "__Host-Http-access=e30.e30.c2ln")
    ///     .body(String::new())?;
    /// let response = service.oneshot(forged).await?;
    /// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn optional(self) -> Self {
        self.with(|settings| settings.optional = true)
    }
}

impl<C: CustomClaims, S> JwtCookieVerifier<C, S> {
    /// Replaces the token cache with a new, empty one with `settings`.
    pub fn token_cache(self, cache: TokenCache) -> Self {
        self.with(|settings| settings.cache = Some(Arc::new(VerifiedCache::new(&cache))))
    }

    /// Turns the token cache off: every token is verified from scratch.
    pub fn without_token_cache(self) -> Self {
        self.with(|settings| settings.cache = None)
    }
}

impl<C, S> Clone for JwtCookieVerifier<C, S> {
    fn clone(&self) -> Self {
        Self {
            settings: Arc::clone(&self.settings),
        }
    }
}

impl<C, S> fmt::Debug for JwtCookieVerifier<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtCookieVerifier")
            .field("auth", &self.settings.auth)
            .field("optional", &self.settings.optional)
            .field("cache", &self.settings.cache)
            .finish()
    }
}

impl<I, C, S> Layer<I> for JwtCookieVerifier<C, S> {
    type Service = VerifierService<I, C, S>;

    fn layer(&self, inner: I) -> Self::Service {
        VerifierService {
            inner,
            settings: Arc::clone(&self.settings),
        }
    }
}
