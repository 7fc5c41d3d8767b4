//! The foreign-token policy: a verifier can accept access tokens it did not
//! issue (an identity provider's `typ: JWT` or no `typ`, no `sid`/`jti`) on
//! explicit choice, while the default stays strict, refresh tokens never pass
//! as access tokens, and revocation still reaches what the token names.

use http::StatusCode;
use tower_jwt_cookie::issue::control::SessionControlError;
use tower_jwt_cookie::revocation::{SessionRevocation, TokenRevocation};

use crate::support::*;
use serde_json::{Value, json};
use tower_jwt_cookie::token::{ForeignTokens, RequiredClaim};
use tower_jwt_cookie::{ConfigError, CookieAuth, MemoryStore, Rejection, RevocationStore};

fn with_typ(typ: Option<&str>) -> Value {
    let mut header = header("HS256");
    match typ {
        Some(typ) => header["typ"] = json!(typ),
        None => {
            header.as_object_mut().unwrap().remove("typ");
        }
    }
    header
}

/// An identity provider's token: `typ` as given, no `sid`, and `jti` only if asked.
fn foreign_token(typ: Option<&str>, jti: Option<&str>) -> String {
    let mut claims = payload(NOW);
    let object = claims.as_object_mut().unwrap();
    object.remove("sid");
    object.remove("jti");
    if let Some(jti) = jti {
        object.insert("jti".into(), json!(jti));
    }
    forge_hs256(&with_typ(typ), &claims, &SECRET)
}

fn foreign_fixture(foreign: ForeignTokens) -> Fixture {
    Fixture::build(Fixture::new().ring, MemoryStore::new(), |b| {
        b.foreign_tokens(foreign)
    })
}

#[tokio::test]
async fn own_tokens_keep_the_strict_default() {
    let strict = Fixture::new();
    for typ in [Some("JWT"), None] {
        assert_refused(
            &strict.auth,
            &foreign_token(typ, Some("j")),
            Rejection::WrongType,
        )
        .await;
    }
    let no_sid = forge_hs256(
        &with_typ(Some("at+jwt")),
        &{
            let mut p = payload(NOW);
            p.as_object_mut().unwrap().remove("sid");
            p
        },
        &SECRET,
    );
    assert_refused(&strict.auth, &no_sid, Rejection::InvalidClaim("sid")).await;
    assert_eq!(strict.auth.policy().foreign_tokens(), None);
}

#[tokio::test]
async fn only_the_listed_foreign_types_are_accepted() {
    let f = foreign_fixture(ForeignTokens::new().accept_typ("JWT"));
    for typ in ["JWT", "jwt", "application/JWT", "at+jwt"] {
        assert_accepted(&f.auth, &foreign_token(Some(typ), None)).await;
    }
    for typ in [Some("id_token+jwt"), Some("refresh+jwt"), Some(""), None] {
        assert_refused(&f.auth, &foreign_token(typ, None), Rejection::WrongType).await;
    }

    let f = foreign_fixture(ForeignTokens::new().accept_missing_typ());
    assert_accepted(&f.auth, &foreign_token(None, None)).await;
    assert_refused(
        &f.auth,
        &foreign_token(Some("JWT"), None),
        Rejection::WrongType,
    )
    .await;
}

#[tokio::test]
async fn foreign_tokens_still_need_sub_exp_issuer_and_audience() {
    let f = foreign_fixture(ForeignTokens::new().accept_typ("JWT"));
    let without = |claim: &str| {
        let mut p = payload(NOW);
        p.as_object_mut().unwrap().remove(claim);
        forge_hs256(&with_typ(Some("JWT")), &p, &SECRET)
    };
    assert_refused(&f.auth, &without("sub"), Rejection::InvalidClaim("sub")).await;
    assert_refused(&f.auth, &without("exp"), Rejection::InvalidClaim("exp")).await;
    assert_refused(&f.auth, &without("iss"), Rejection::InvalidClaim("iss")).await;
    let mut other = payload(NOW);
    other["aud"] = json!("another-api");
    let other = forge_hs256(&with_typ(Some("JWT")), &other, &SECRET);
    assert_refused(&f.auth, &other, Rejection::WrongAudience).await;
}

#[tokio::test]
async fn sid_can_be_required_again_for_foreign_tokens() {
    let f = Fixture::build(Fixture::new().ring, MemoryStore::new(), |b| {
        b.foreign_tokens(ForeignTokens::new().accept_typ("JWT"))
            .require(RequiredClaim::Sid)
    });
    assert_refused(
        &f.auth,
        &foreign_token(Some("JWT"), Some("j")),
        Rejection::InvalidClaim("sid"),
    )
    .await;
    assert!(f.auth.policy().requires(RequiredClaim::Sid));
    assert!(!f.auth.policy().requires(RequiredClaim::Jti));
}

#[tokio::test]
async fn revocation_still_applies_where_the_token_names_what_it_revokes() {
    let f = foreign_fixture(ForeignTokens::new().accept_typ("JWT"));
    let with_jti = foreign_token(Some("JWT"), Some("idp-token-7"));
    let other_jti = foreign_token(Some("JWT"), Some("idp-token-8"));
    assert_accepted(&f.auth, &with_jti).await;

    let revocation = TokenRevocation {
        sub: "alice",
        jti: "idp-token-7",
        expires_at: NOW + 900,
    };
    f.auth.store().revoke_token(revocation).await.unwrap();
    assert_refused(&f.auth, &with_jti, Rejection::Revoked).await;
    assert_accepted(&f.auth, &other_jti).await;

    // Every token of the subject, with or without jti, once its sessions are revoked.
    let bare = foreign_token(Some("JWT"), None);
    assert_accepted(&f.auth, &bare).await;
    f.auth
        .store()
        .revoke_subject("alice", NOW + 1, NOW + 900)
        .await
        .unwrap();
    assert_refused(&f.auth, &bare, Rejection::Revoked).await;
    assert_refused(&f.auth, &other_jti, Rejection::Revoked).await;
}

#[test]
fn the_refresh_type_or_an_empty_type_cannot_be_accepted_as_foreign() {
    for typ in ["refresh+jwt", "application/REFRESH+JWT", ""] {
        let error = CookieAuth::builder(Fixture::new().ring, MemoryStore::new())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .foreign_tokens(ForeignTokens::new().accept_typ(typ))
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, ConfigError::ForeignTokenType(t) if t == typ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("cannot be empty or the refresh-token type")
        );
    }
}

/// A token without `sid`, `jti` or (where allowed) `sub` is checked with
/// `""` in its place, so an empty id must never be revoked: a logout that
/// presents a token whose ids are `""`, an admin ending session `""`, or a
/// store call with an empty id would otherwise refuse every such token,
/// whoever it belongs to.
#[tokio::test]
async fn an_empty_sid_jti_or_sub_revokes_nothing() {
    let f = Fixture::build(Fixture::new().ring, MemoryStore::new(), |b| {
        b.foreign_tokens(ForeignTokens::new().accept_typ("JWT"))
            .allow_missing(RequiredClaim::Sub)
    });
    let token_with = |edit: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut claims = payload(NOW);
        let object = claims.as_object_mut().unwrap();
        object.remove("sid");
        object.remove("jti");
        edit(object);
        forge_hs256(&with_typ(Some("JWT")), &claims, &SECRET)
    };
    let empty_ids = token_with(&|c| {
        c.insert("sid".into(), json!(""));
        c.insert("jti".into(), json!(""));
    });
    let bobs = token_with(&|c| {
        c.insert("sub".into(), json!("bob"));
    });
    let no_sub = token_with(&|c| {
        c.remove("sub");
    });
    let accepted = |token: String| {
        let auth = f.auth.clone();
        async move {
            let outcome = send(&auth, Stack::ServiceFn, cookie_request(&token)).await;
            (outcome.status, outcome.json()["sub"].clone())
        }
    };
    let all_accepted = || async {
        assert_eq!(
            accepted(empty_ids.clone()).await,
            (StatusCode::OK, json!("alice"))
        );
        assert_eq!(accepted(bobs.clone()).await, (StatusCode::OK, json!("bob")));
        assert_eq!(accepted(no_sub.clone()).await, (StatusCode::OK, json!("")));
    };
    all_accepted().await;

    // Logout presenting the token whose sid and jti are empty: nothing to
    // revoke, the cookies are cleared all the same.
    let app = app(&f.auth);
    let mut browser = Browser::default();
    browser
        .cookies
        .insert("__Host-Http-access".into(), (empty_ids.clone(), "/".into()));
    let logout = browser.logout(&app).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(browser.cookies.is_empty(), "{:?}", logout.set_cookies());

    // Ending a session by an empty id is refused before the store.
    let sessions = f.auth.sessions();
    for (refused, claim) in [
        (sessions.end("alice", "").await, "sid"),
        (sessions.end("", "sid-1").await, "sub"),
        (sessions.end_all("").await, "sub"),
    ] {
        let error = refused.unwrap_err();
        assert!(
            matches!(error, SessionControlError::EmptyId(c) if c == claim),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the `{claim}` to end sessions by is empty: an empty id names no session, only \
                 every token that lacks the claim; pass the `{claim}` claim of the tokens to end"
            )
        );
    }

    // The store itself: revoking an empty id writes nothing.
    let store = f.auth.store();
    let until = NOW + 900;
    store
        .revoke_token(TokenRevocation {
            sub: "alice",
            jti: "",
            expires_at: until,
        })
        .await
        .unwrap();
    store
        .revoke_session(SessionRevocation {
            sub: "alice",
            sid: "",
            expires_at: until,
        })
        .await
        .unwrap();
    store.revoke_subject("", NOW + 1, until).await.unwrap();

    assert!(
        store.is_empty(),
        "nothing was filed: {} entries",
        store.len()
    );
    all_accepted().await;
}
