//! Registered claims and header fields read without trusting their JSON type.
//!
//! A claim that is present with the wrong type must be an error, never
//! "absent" (jsonwebtoken CVE-2026-25537: a string `exp` skipped expiry). Serde's
//! `Option<T>` maps `null` to `None`, so every field here is read as a [`Field`]
//! that records exactly what was there.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};

/// One JSON member as found: absent, or present with a recognised shape.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Field {
    /// The member is not in the object.
    #[default]
    Absent,
    /// An integer (floats are floored) that fits in `i64`.
    Number(i64),
    /// A string.
    String(String),
    /// An array of strings.
    Strings(Vec<String>),
    /// Anything else: `null`, a bool, an object, a mixed array, a huge number.
    Other,
}

impl Field {
    /// A NumericDate (RFC 7519 §2): a number, or `Err` when present as anything else.
    pub(crate) fn number(self) -> Result<Option<i64>, ()> {
        match self {
            Self::Absent => Ok(None),
            Self::Number(n) => Ok(Some(n)),
            _ => Err(()),
        }
    }

    /// A string member, or `Err` when present as anything else.
    pub(crate) fn string(self) -> Result<Option<String>, ()> {
        match self {
            Self::Absent => Ok(None),
            Self::String(s) => Ok(Some(s)),
            _ => Err(()),
        }
    }

    /// `aud`: one string or an array of strings (RFC 7519 §4.1.3).
    pub(crate) fn strings(self) -> Result<Option<Vec<String>>, ()> {
        match self {
            Self::Absent => Ok(None),
            Self::String(s) => Ok(Some(vec![s])),
            Self::Strings(v) => Ok(Some(v)),
            _ => Err(()),
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field, E> {
        Ok(Field::Number(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Field, E> {
        Ok(i64::try_from(v).map_or(Field::Other, Field::Number))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Field, E> {
        // `as` saturates; the range check keeps saturated values out.
        let floored = v.floor();
        if floored.is_finite() && floored >= i64::MIN as f64 && floored < i64::MAX as f64 {
            Ok(Field::Number(floored as i64))
        } else {
            Ok(Field::Other)
        }
    }

    fn visit_str<E>(self, v: &str) -> Result<Field, E> {
        Ok(Field::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Field, E> {
        Ok(Field::String(v))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Field, E> {
        Ok(Field::Other)
    }

    fn visit_unit<E>(self) -> Result<Field, E> {
        Ok(Field::Other)
    }

    fn visit_none<E>(self) -> Result<Field, E> {
        Ok(Field::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
        let mut strings = Vec::new();
        let mut all_strings = true;
        while let Some(item) = seq.next_element::<Field>()? {
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

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct One {
        #[serde(default)]
        v: Field,
    }

    fn read(json: &str) -> Field {
        serde_json::from_str::<One>(json).unwrap().v
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
