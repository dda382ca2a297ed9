//! Decoding rules for what the live service sends beside what the document
//! says, used by the generated types (`xtask/src/open_enums.rs` decides which
//! fields use them, once for every type):
//!
//! - an integer field accepts a float with no fractional part (`1024.0`,
//!   `1.5e9`), which JavaScript services emit for numbers that went through a
//!   float, and still refuses `1.5` or a value out of the type's range;
//! - a list field accepts `null` as the empty list;
//! - a string field the document marks `x-lenient` (one no flow needs) accepts
//!   anything: absent or `null` is empty, a number or boolean its text, so one
//!   odd field never fails a whole answer.
//!
//! Each rule costs nothing on the documented shape: serde_json hands the same
//! number to the same visitor method it would have called anyway.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

/// An integer, or a float that is exactly one (see the module's documentation).
#[doc(hidden)]
pub fn integer<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64>,
{
    deserializer.deserialize_any(IntegerVisitor(PhantomData))
}

/// An optional integer, with the rule of [`integer`]; `null` is `None`.
#[doc(hidden)]
pub fn option_integer<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64>,
{
    deserializer.deserialize_option(OptionVisitor(PhantomData))
}

/// A list, with `null` read as the empty list.
#[doc(hidden)]
pub fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A string, or the text of a number or boolean; `null` is empty (with
/// `#[serde(default)]`, so is an absent field).
#[doc(hidden)]
pub fn string_or_empty<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        serde_json::Value::Number(number) => number.to_string(),
        serde_json::Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    })
}

struct IntegerVisitor<T>(PhantomData<T>);

impl<T> IntegerVisitor<T>
where
    T: TryFrom<u64> + TryFrom<i64>,
{
    fn from_u64<E: de::Error>(value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::invalid_value(Unexpected::Unsigned(value), &RANGE))
    }

    fn from_i64<E: de::Error>(value: i64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::invalid_value(Unexpected::Signed(value), &RANGE))
    }
}

/// What an out-of-range value was expected to be.
const RANGE: &str = "an integer within the field's range";

impl<'de, T> Visitor<'de> for IntegerVisitor<T>
where
    T: TryFrom<u64> + TryFrom<i64>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer (a float is accepted only without a fractional part)")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        Self::from_u64(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        Self::from_i64(value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        // 2^64 and -2^63 are exact as f64, so these bounds leave no value that
        // would saturate in the casts below.
        const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
        const MINUS_TWO_POW_63: f64 = -9_223_372_036_854_775_808.0;
        if !value.is_finite() || value.fract() != 0.0 {
            return Err(E::invalid_value(Unexpected::Float(value), &self));
        }
        if (0.0..TWO_POW_64).contains(&value) {
            Self::from_u64(value as u64)
        } else if (MINUS_TWO_POW_63..0.0).contains(&value) {
            Self::from_i64(value as i64)
        } else {
            Err(E::invalid_value(Unexpected::Float(value), &RANGE))
        }
    }
}

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T> Visitor<'de> for OptionVisitor<T>
where
    T: TryFrom<u64> + TryFrom<i64>,
{
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        integer(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "integer")]
        size: u64,
        #[serde(default, deserialize_with = "option_integer")]
        parts: Option<u32>,
        #[serde(default, deserialize_with = "option_integer")]
        offset: Option<i64>,
        #[serde(deserialize_with = "null_as_empty")]
        tags: Vec<String>,
    }

    fn decode(json: &str) -> Result<Sample, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_floats_are_integers() {
        let s = decode(r#"{"size": 1024.0, "parts": 2.0, "offset": -3.0, "tags": []}"#).unwrap();
        assert_eq!((s.size, s.parts, s.offset), (1024, Some(2), Some(-3)));
        let s = decode(r#"{"size": 1.5e9, "tags": []}"#).unwrap();
        assert_eq!((s.size, s.parts), (1_500_000_000, None));
        let s = decode(r#"{"size": 7, "parts": null, "tags": []}"#).unwrap();
        assert_eq!((s.size, s.parts), (7, None));
    }

    #[test]
    fn fractions_and_out_of_range_values_are_refused() {
        for bad in [
            r#"{"size": 1.5, "tags": []}"#,
            r#"{"size": -1, "tags": []}"#,
            r#"{"size": -1.0, "tags": []}"#,
            r#"{"size": 1e300, "tags": []}"#,
            r#"{"size": "12", "tags": []}"#,
            r#"{"size": 1, "parts": 4294967296.0, "tags": []}"#,
            r#"{"size": 1, "parts": 0.5, "tags": []}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        let err = decode(r#"{"size": 1.5, "tags": []}"#).unwrap_err();
        assert!(err.contains("1.5"), "{err}");
    }

    #[test]
    fn a_null_list_is_empty_and_a_missing_one_still_an_error() {
        let s = decode(r#"{"size": 1, "tags": null}"#).unwrap();
        assert!(s.tags.is_empty());
        assert!(decode(r#"{"size": 1}"#).is_err());
        assert!(decode(r#"{"size": 1, "tags": 3}"#).is_err());
    }
}
