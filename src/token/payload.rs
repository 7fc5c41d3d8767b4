//! Reading a payload: the registered claims as found, and the
//! application's custom claims, in one pass over the JSON.
//!
//! The custom claims type deserializes from the payload as it always did
//! (it sees every member, the registered ones included), while a tap on
//! the map records each registered member into [`RawClaims`] on its way
//! past, so the payload is parsed once instead of twice (serde's `flatten`
//! buffers every value and measured slower than two passes).
//!
//! The one pass is an optimisation and never decides anything: when it
//! fails for any reason (a registered member of the wrong type, a duplicate,
//! a custom type that refuses the payload or stops before its end), the
//! payload is read again the plain way, registered claims first, so every
//! rejection and its order are those of two separate passes.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::field::Field;

/// The registered claims of a payload, each as found.
#[derive(Default, Deserialize)]
pub(crate) struct RawClaims<'a> {
    #[serde(default, borrow)]
    pub(crate) iss: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) sub: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) aud: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) exp: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) nbf: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) iat: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) jti: Field<'a>,
    #[serde(default, borrow)]
    pub(crate) sid: Field<'a>,
}

/// A registered claim, by name.
#[derive(Clone, Copy)]
enum Claim {
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    Jti,
    Sid,
}

impl Claim {
    /// The registered claim `name` is, if any.
    fn named(name: &str) -> Option<Self> {
        // Every registered name has three bytes: one comparison rules
        // out most custom members.
        if name.len() != 3 {
            return None;
        }
        Some(match name {
            "iss" => Self::Iss,
            "sub" => Self::Sub,
            "aud" => Self::Aud,
            "exp" => Self::Exp,
            "nbf" => Self::Nbf,
            "iat" => Self::Iat,
            "jti" => Self::Jti,
            "sid" => Self::Sid,
            _ => return None,
        })
    }
}

impl<'a> RawClaims<'a> {
    fn slot(&mut self, claim: Claim) -> &mut Field<'a> {
        match claim {
            Claim::Iss => &mut self.iss,
            Claim::Sub => &mut self.sub,
            Claim::Aud => &mut self.aud,
            Claim::Exp => &mut self.exp,
            Claim::Nbf => &mut self.nbf,
            Claim::Iat => &mut self.iat,
            Claim::Jti => &mut self.jti,
            Claim::Sid => &mut self.sid,
        }
    }
}

/// The payload (a JSON object) read into its registered claims (`Err`: it is
/// not an object of claims) and its custom claims (`None`: they do not have
/// the shape of `C`).
pub(crate) fn read<C: DeserializeOwned>(payload: &[u8]) -> Result<(RawClaims<'_>, Option<C>), ()> {
    if let Some((raw, custom)) = one_pass(payload) {
        return Ok((raw, Some(custom)));
    }
    let raw: RawClaims<'_> = serde_json::from_slice(payload).map_err(|_| ())?;
    Ok((raw, serde_json::from_slice(payload).ok()))
}

fn one_pass<C: DeserializeOwned>(payload: &[u8]) -> Option<(RawClaims<'_>, C)> {
    let mut raw = RawClaims::default();
    let mut state = TapState::default();
    let mut json = serde_json::Deserializer::from_slice(payload);
    let custom = C::deserialize(Tap {
        json: &mut json,
        raw: &mut raw,
        state: &mut state,
    })
    .ok()?;
    json.end().ok()?;
    // Every member went past the tap (none is left unrecorded), and no
    // error passed through it: a custom type that swallows an error (a
    // lenient visitor) never gets to hide a registered claim's problem.
    (state.finished && !state.failed).then_some((raw, custom))
}

/// What the tap saw.
#[derive(Default)]
struct TapState {
    /// The map ended.
    finished: bool,
    /// An error passed through the tap, whatever the custom type did with it.
    failed: bool,
}

impl TapState {
    fn check<T, E>(&mut self, result: Result<T, E>) -> Result<T, E> {
        self.failed |= result.is_err();
        result
    }
}

/// The deserializer `C` is given: the payload's JSON, always read as a map.
struct Tap<'r, 'de> {
    json: &'r mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
    raw: &'r mut RawClaims<'de>,
    state: &'r mut TapState,
}

impl<'de> de::Deserializer<'de> for Tap<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_map(
            &mut *self.json,
            TapVisitor {
                visitor,
                raw: self.raw,
                state: self.state,
            },
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct TapVisitor<'r, 'de, V> {
    visitor: V,
    raw: &'r mut RawClaims<'de>,
    state: &'r mut TapState,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TapVisitor<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<V::Value, M::Error> {
        self.visitor.visit_map(TapMap {
            map,
            raw: self.raw,
            state: self.state,
            pending: None,
        })
    }
}

/// The payload's members as `C` reads them; a registered member's value is
/// read once, recorded into its [`Field`], and handed to `C` from there.
struct TapMap<'r, 'de, M> {
    map: M,
    raw: &'r mut RawClaims<'de>,
    state: &'r mut TapState,
    /// The registered claim whose key `C` was just given, if it is one.
    pending: Option<Claim>,
}

impl<'de, M: MapAccess<'de>> TapMap<'_, 'de, M> {
    fn key<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, M::Error> {
        let Some(key) = self.map.next_key::<Field<'de>>()? else {
            self.state.finished = true;
            return Ok(None);
        };
        let Field::String(key) = key else {
            return Err(de::Error::custom("a member name is not a string"));
        };
        self.pending = Claim::named(&key);
        if let Some(claim) = self.pending
            && *self.raw.slot(claim) != Field::Absent
        {
            return Err(de::Error::custom("a registered claim appears twice"));
        }
        seed.deserialize(StrDeserializer::<M::Error>(&key, PhantomData))
            .map(Some)
    }

    fn value<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, M::Error> {
        let Some(claim) = self.pending.take() else {
            return self.map.next_value_seed(seed);
        };
        // Recorded before `C` sees it: whatever `C` does with the value,
        // the registered claim is what the JSON holds.
        let slot = self.raw.slot(claim);
        *slot = self.map.next_value()?;
        seed.deserialize(FieldDeserializer::<M::Error>(slot, PhantomData))
    }
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for TapMap<'_, 'de, M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, M::Error> {
        let result = self.key(seed);
        self.state.check(result)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, M::Error> {
        let result = self.value(seed);
        self.state.check(result)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A registered member's value, served to `C` as it was in the JSON.
struct FieldDeserializer<'f, 'de, E>(&'f Field<'de>, PhantomData<E>);

impl<'de, E: de::Error> de::Deserializer<'de> for FieldDeserializer<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Field::Number(n) => visitor.visit_i64(*n),
            Field::Float(v) => visitor.visit_f64(*v),
            Field::String(s) => StrDeserializer(s, PhantomData).deserialize_any(visitor),
            Field::Strings(strings) => visitor.visit_seq(Strings {
                strings: strings.iter(),
                _error: PhantomData,
            }),
            // Kept only when it is a number, a string or strings: anything
            // else ends the one pass, and the plain reading reports it.
            Field::Absent | Field::Other => Err(E::custom("a registered claim of another type")),
        }
    }

    // A present value is `Some` (as serde_json answers), and a newtype
    // reads its inner value: `exp: Option<i64>` or `sub: UserId` in the
    // custom type keep the one pass.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A string, borrowed from the payload when it had no escape.
struct StrDeserializer<'s, 'de, E>(&'s Cow<'de, str>, PhantomData<E>);

impl<'de, E: de::Error> de::Deserializer<'de> for StrDeserializer<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_str(s),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Strings<'s, 'de, E> {
    strings: std::slice::Iter<'s, Cow<'de, str>>,
    _error: PhantomData<E>,
}

impl<'de, E: de::Error> SeqAccess<'de> for Strings<'_, 'de, E> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        self.strings
            .next()
            .map(|s| seed.deserialize(StrDeserializer(s, PhantomData)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.strings.len())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct App {
        roles: Vec<String>,
        sub: String,
    }

    fn one<C: DeserializeOwned>(json: &Value) -> Option<C> {
        let bytes = serde_json::to_vec(json).unwrap();
        one_pass::<C>(&bytes).map(|(_, custom)| custom)
    }

    #[test]
    fn the_custom_type_sees_every_member_as_written_registered_ones_included() {
        let payload = json!({
            "iss": "https://app.example", "sub": "alice", "aud": ["app", "b"],
            "exp": 1_800_000_000, "nbf": 1.5e9, "iat": -3, "jti": "t\"1", "sid": "s",
            "roles": ["admin"], "nested": {"a": [1, null]}
        });
        assert_eq!(one::<Value>(&payload), Some(payload.clone()));
        assert_eq!(
            one::<App>(&payload),
            Some(App {
                roles: vec!["admin".into()],
                sub: "alice".into()
            })
        );
        let bytes = serde_json::to_vec(&payload).unwrap();
        let (raw, _) = one_pass::<Value>(&bytes).unwrap();
        assert_eq!(raw.iss, Field::String("https://app.example".into()));
        assert_eq!(raw.aud, Field::Strings(vec!["app".into(), "b".into()]));
        assert_eq!(raw.nbf, Field::Float(1.5e9));
        assert_eq!(raw.iat, Field::Number(-3));
        assert_eq!(raw.jti, Field::String("t\"1".into()));
    }

    /// A custom type that swallows every error it meets: the kind of
    /// lenient visitor that could hide a registered claim's problem.
    #[derive(Debug)]
    struct Lenient;

    impl<'de> Deserialize<'de> for Lenient {
        fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Lenient;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("anything")
                }
                fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Lenient, M::Error> {
                    while let Ok(Some(_)) = map.next_key::<de::IgnoredAny>() {
                        let _ = map.next_value::<u64>();
                    }
                    Ok(Lenient)
                }
            }
            deserializer.deserialize_map(V)
        }
    }

    #[test]
    fn an_error_a_custom_type_swallows_still_ends_the_one_pass() {
        // `nbf` of another type: the plain reading must report it.
        let payload = br#"{"nbf":"2030-01-01","sub":"alice"}"#;
        assert!(one_pass::<Lenient>(payload).is_none());
        let (raw, custom) = read::<Lenient>(payload).unwrap();
        assert_eq!(raw.nbf, Field::String("2030-01-01".into()));
        assert!(custom.is_some());
        // A duplicate the lenient type steps over: refused as before.
        let duplicate = br#"{"exp":1,"exp":2}"#;
        assert!(one_pass::<Lenient>(duplicate).is_none());
        assert!(read::<Lenient>(duplicate).is_err());
    }

    #[test]
    fn optional_and_newtype_registered_members_keep_the_one_pass() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct UserId(String);
        #[derive(Debug, Deserialize, PartialEq)]
        struct Typed {
            exp: Option<i64>,
            sub: UserId,
        }
        let (raw, custom) = one_pass::<Typed>(br#"{"exp":5,"sub":"alice"}"#).unwrap();
        assert_eq!(
            custom,
            Typed {
                exp: Some(5),
                sub: UserId("alice".into())
            }
        );
        assert_eq!(raw.exp, Field::Number(5));
    }

    #[test]
    fn anything_unusual_leaves_the_one_pass_to_the_plain_reading() {
        // A registered member of another type, and a duplicate one.
        assert!(one::<Value>(&json!({"exp": null})).is_none());
        assert!(one::<Value>(&json!({"aud": ["a", 1]})).is_none());
        let duplicate = br#"{"exp":1,"exp":2}"#;
        assert!(one_pass::<Value>(duplicate).is_none());
        // A custom type that refuses the payload.
        assert!(one::<App>(&json!({"roles": []})).is_none());
        // The plain reading still reports what it always did.
        let (raw, custom) = read::<Value>(br#"{"exp":null,"x":1}"#).unwrap();
        assert_eq!(raw.exp, Field::Other);
        assert_eq!(custom, Some(json!({"exp": null, "x": 1})));
        let (raw, custom) = read::<App>(br#"{"exp":1}"#).unwrap();
        assert_eq!(raw.exp, Field::Number(1));
        assert_eq!(custom, None);
        assert!(read::<Value>(duplicate).is_err());
    }
}
