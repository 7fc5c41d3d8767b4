//! A session command that no issuer takes is an error in the log naming the
//! fix, never a silent `200 OK` without a cookie; copies of the command's
//! response extensions raise no false alarm, and a command the issuer takes
//! is never reported.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::header::SET_COOKIE;
use http::{Request, Response, StatusCode};
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_jwt_cookie::clock::ManualClock;
use tower_jwt_cookie::{MemoryStore, Session};

use crate::support::capture::Capture;
use crate::support::*;

const FIX: &str = "add `.layer(auth.issuer()?)`";

/// Runs `f` with a capture subscriber on this thread; returns the events.
async fn logged<F: Future<Output = ()>>(f: F) -> Vec<String> {
    let capture = Capture::start();
    f.await;
    capture.events()
}

fn forgotten(events: &[String]) -> Vec<&String> {
    events.iter().filter(|e| e.contains(FIX)).collect()
}

fn login_response(session: Session) -> Response<String> {
    let mut response = Response::new(String::from("welcome"));
    session.attach(&mut response);
    response
}

#[tokio::test]
async fn a_login_without_the_issuer_is_logged_with_the_fix() {
    let events = logged(async {
        let handler = service_fn(|_: Request<String>| async {
            Ok::<_, Infallible>(login_response(Session::issue("alice")))
        });
        let response = handler.oneshot(Request::new(String::new())).await.unwrap();
        // The response itself is what the handler made: the log is the signal.
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(SET_COOKIE).is_none());
        drop(response);
    })
    .await;
    let hits = forgotten(&events);
    assert_eq!(hits.len(), 1, "{events:?}");
    assert!(hits[0].contains("command=\"issue\""), "{}", hits[0]);
    assert!(hits[0].contains("no JwtCookieIssuer"), "{}", hits[0]);
    assert!(
        !hits[0].contains("alice"),
        "the subject is not logged: {}",
        hits[0]
    );
}

#[tokio::test]
async fn a_forgotten_logout_and_logout_everywhere_are_logged_too() {
    let events = logged(async {
        drop(login_response(Session::end()));
        drop(login_response(Session::end_all()));
    })
    .await;
    let hits = forgotten(&events);
    assert_eq!(hits.len(), 2, "{events:?}");
    assert!(hits[0].contains("command=\"end\""), "{}", hits[0]);
    assert!(hits[1].contains("command=\"end_all\""), "{}", hits[1]);
}

#[tokio::test]
async fn a_command_the_issuer_takes_is_not_reported() {
    let auth = builder(MemoryStore::new(), &ManualClock::new(NOW))
        .build()
        .unwrap();
    let events = logged(async {
        let app = ServiceBuilder::new()
            .layer(auth.issuer().unwrap())
            .service(service_fn(|_: Request<String>| async {
                Ok::<_, Infallible>(login_response(Session::issue("alice")))
            }));
        let response = app.oneshot(Request::new(String::new())).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers().get_all(SET_COOKIE).iter().count(), 2);
    })
    .await;
    assert_eq!(forgotten(&events), Vec::<&String>::new());
}

#[tokio::test]
async fn copied_extensions_raise_no_false_alarm_whichever_copy_the_issuer_takes() {
    let auth = builder(MemoryStore::new(), &ManualClock::new(NOW))
        .build()
        .unwrap();
    for keep_original in [true, false] {
        let events = logged(async {
            // A layer between handler and issuer that rebuilds the response
            // from a copy of its extensions, dropping the other copy before
            // or after the issuer runs.
            let stash = Arc::new(Mutex::new(None));
            let kept = Arc::clone(&stash);
            let app = ServiceBuilder::new()
                .layer(auth.issuer().unwrap())
                .map_response(move |mut response: Response<String>| {
                    let copy = response.extensions().clone();
                    if keep_original {
                        *kept.lock().unwrap() = Some(copy);
                    } else {
                        let original = std::mem::replace(response.extensions_mut(), copy);
                        drop(original);
                    }
                    response
                })
                .service(service_fn(|_: Request<String>| async {
                    Ok::<_, Infallible>(login_response(Session::issue("alice")))
                }));
            let response = app.oneshot(Request::new(String::new())).await.unwrap();
            assert_eq!(response.headers().get_all(SET_COOKIE).iter().count(), 2);
            drop(stash);
        })
        .await;
        assert_eq!(forgotten(&events), Vec::<&String>::new(), "{keep_original}");
    }
}

#[tokio::test]
async fn a_command_built_but_never_attached_is_not_reported() {
    let events = logged(async {
        // A handler that builds the command, then refuses the login.
        let session = Session::issue("alice");
        let copy = session.clone();
        drop((session, copy));
    })
    .await;
    assert_eq!(forgotten(&events), Vec::<&String>::new());
}

#[tokio::test]
async fn a_command_moved_to_another_response_keeps_one_alarm() {
    let events = logged(async {
        let mut first = login_response(Session::issue("alice"));
        let session = first.extensions_mut().remove::<Session>().unwrap();
        drop(first);
        drop(login_response(session));
    })
    .await;
    assert_eq!(forgotten(&events).len(), 1, "{events:?}");
}
