//! Regression tests for what `cargo fuzz` found (fuzz/README.md): each names
//! its target and states the invariant it broke.

#[cfg(feature = "jwks")]
mod jwks {
    use tower_jwt_cookie::Algorithm;
    use tower_jwt_cookie::keys::KeyRing;
    use tower_jwt_cookie::keys::remote::{JwksError, JwksPolicy, parse_jwks};

    use crate::support::signing_key;

    /// The published set of the committed P-256 test key, with `extra`
    /// spliced in as the last member of its one key.
    fn document_with_member(extra: &[u8]) -> Vec<u8> {
        let jwks = KeyRing::with_signing_key(signing_key("e1", Algorithm::ES256)).jwks();
        let key = serde_json::to_vec(&jwks["keys"][0]).unwrap();
        let mut document = br#"{"keys":["#.to_vec();
        document.extend_from_slice(&key[..key.len() - 1]);
        document.extend_from_slice(extra);
        document.extend_from_slice(b"}]}");
        document
    }

    /// fuzz target `jwks`: a member the parser ignores held a string that is
    /// not UTF-8, and the set was accepted although it is not JSON (RFC 8259
    /// §8.1): serde_json skips ignored strings without checking them.
    #[test]
    fn a_document_that_is_not_utf8_is_refused_even_in_an_ignored_member() {
        let policy = JwksPolicy::new();
        let valid = document_with_member(br#","note":"ok""#);
        let set = parse_jwks(&valid, &policy).unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), ["e1"]);

        let hostile = document_with_member(b",\"note\":\"\xe1\xe1\"");
        assert!(matches!(
            parse_jwks(&hostile, &policy),
            Err(JwksError::InvalidJson)
        ));
    }

    /// fuzz target `jwks`, second run: a lone surrogate escape (`\ude18`)
    /// in an ignored member; a string that is no Unicode text (RFC 8259
    /// §8.2) that serde_json skips unchecked.
    #[test]
    fn a_lone_surrogate_escape_is_refused_even_in_an_ignored_member() {
        let policy = JwksPolicy::new();
        let paired = document_with_member(br#","note":"\ud83d\ude00""#);
        assert!(parse_jwks(&paired, &policy).is_ok());
        for lone in [&br#","note":"\ude18""#[..], br#","note":"\ud83d x""#] {
            let hostile = document_with_member(lone);
            assert!(matches!(
                parse_jwks(&hostile, &policy),
                Err(JwksError::InvalidJson)
            ));
        }
    }
}
