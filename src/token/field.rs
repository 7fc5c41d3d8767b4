//! Registered claims and header fields read without trusting their JSON type.
//!
//! A claim that is present with the wrong type must be an error, never
//! "absent" (jsonwebtoken CVE-2026-25537: a string `exp` skipped expiry). Serde's
//! `Option<T>` maps `null` to `None`, so every field here is read as a [`Field`]
//! that records exactly what was there.
//!
//! Strings borrow from the input when they hold no escape (nearly always:
//! an `alg`, a `typ` or a `kid` then costs no allocation), and are copied
//! only when kept ([`Cow`]).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};

/// One JSON member as found: absent, or present with a recognised shape.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Field<'a> {
    /// The member is not in the object.
    #[default]
    Absent,
    /// An integer that fits in `i64`.
    Number(i64),
    /// A number with a fraction or an exponent, as written (a NumericDate
    /// reads it floored).
    Float(f64),
    /// A string.
    String(Cow<'a, str>),
    /// An array of strings.
    Strings(Vec<Cow<'a, str>>),
    /// Anything else: `null`, a bool, an object, a mixed array, a huge number.
    Other,
}

impl<'a> Field<'a> {
    /// A NumericDate (RFC 7519 §2): a number, or `Err` when present as anything else.
    pub(crate) fn number(self) -> Result<Option<i64>, ()> {
        match self {
            Self::Absent => Ok(None),
            Self::Number(n) => Ok(Some(n)),
            Self::Float(v) => {
                // `as` saturates; the range check keeps saturated values out.
                let floored = v.floor();
                if floored.is_finite() && floored >= i64::MIN as f64 && floored < i64::MAX as f64 {
                    Ok(Some(floored as i64))
                } else {
                    Err(())
                }
            }
            _ => Err(()),
        }
    }

    /// A string member, or `Err` when present as anything else.
    pub(crate) fn string(self) -> Result<Option<Cow<'a, str>>, ()> {
        match self {
            Self::Absent => Ok(None),
            Self::String(s) => Ok(Some(s)),
            _ => Err(()),
        }
    }

    /// `aud`: one string or an array of strings (RFC 7519 §4.1.3).
    pub(crate) fn strings(self) -> Result<Option<Vec<Cow<'a, str>>>, ()> {
        match self {
            Self::Absent => Ok(None),
            Self::String(s) => Ok(Some(vec![s])),
            Self::Strings(v) => Ok(Some(v)),
            _ => Err(()),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor(PhantomData))
    }
}

struct FieldVisitor<'a>(PhantomData<Field<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for FieldVisitor<'a> {
    type Value = Field<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field<'a>, E> {
        Ok(Field::Number(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Field<'a>, E> {
        Ok(i64::try_from(v).map_or(Field::Other, Field::Number))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Field<'a>, E> {
        Ok(Field::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'a>, E> {
        Ok(Field::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Field<'a>, E> {
        Ok(Field::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Field<'a>, E> {
        Ok(Field::String(Cow::Owned(v)))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }

    fn visit_unit<E>(self) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }

    fn visit_none<E>(self) -> Result<Field<'a>, E> {
        Ok(Field::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'a>, A::Error> {
        let mut strings = Vec::new();
        let mut all_strings = true;
        while let Some(item) = seq.next_element::<Field<'a>>()? {
            match item {
                Field::String(s) if all_strings => strings.push(s),
                _ => all_strings = false,
            }
        }
        Ok(if all_strings {
            Field::Strings(strings)
        } else {
            Field::Other
        })
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Field<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct One<'a> {
        #[serde(default, borrow)]
        v: Field<'a>,
    }

    fn read(json: &str) -> Field<'_> {
        serde_json::from_str::<One<'_>>(json).unwrap().v
    }

    #[test]
    fn null_and_strings_are_never_read_as_absent_numbers() {
        assert_eq!(read("{}").number(), Ok(None));
        assert_eq!(read(r#"{"v":null}"#).number(), Err(()));
        assert_eq!(read(r#"{"v":"1700000000"}"#).number(), Err(()));
        assert_eq!(read(r#"{"v":true}"#).number(), Err(()));
        assert_eq!(read(r#"{"v":1e300}"#).number(), Err(()));
        assert_eq!(read(r#"{"v":18446744073709551615}"#).number(), Err(()));
        assert_eq!(
            read(r#"{"v":1700000000.9}"#).number(),
            Ok(Some(1_700_000_000))
        );
        assert_eq!(read(r#"{"v":-5}"#).number(), Ok(Some(-5)));
    }

    #[test]
    fn audiences_are_a_string_or_an_array_of_strings() {
        assert_eq!(read(r#"{"v":"a"}"#).strings(), Ok(Some(vec!["a".into()])));
        assert_eq!(
            read(r#"{"v":["a","b"]}"#).strings(),
            Ok(Some(vec!["a".into(), "b".into()]))
        );
        assert_eq!(read(r#"{"v":["a",1]}"#).strings(), Err(()));
        assert_eq!(read(r#"{"v":{"a":1}}"#).strings(), Err(()));
    }
}
