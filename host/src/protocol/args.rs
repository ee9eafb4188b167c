//! Event and ack arguments as raw JSON text, so upper layers pass them through untouched.
//!
//! Node re-serialises what it parsed: compact, keys in their original order, integers as integers.
//! Keeping the client's text (with insignificant whitespace removed) gives the same bytes without
//! a parse/serialise round trip, and never reorders keys or turns `1` into `1.0`. This module must
//! never hold anything but a valid, compact JSON array in an [`Args`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The arguments of an event or an ack: a compact JSON array, kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args(String);

/// Why a value could not become [`Args`].
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    /// The value is not valid JSON or could not be serialised.
    #[error("invalid json arguments")]
    Json(#[from] serde_json::Error),
    /// The value is JSON but not an array.
    #[error("arguments must be a json array")]
    NotAnArray,
}

impl Args {
    /// No arguments: `[]`.
    pub fn empty() -> Self {
        Self("[]".to_owned())
    }

    /// Arguments from a JSON array text (whitespace is removed, everything else kept).
    ///
    /// # Errors
    /// [`ArgsError`] when the text is not a JSON array.
    pub fn from_json(text: &str) -> Result<Self, ArgsError> {
        let raw: &RawValue = serde_json::from_str(text)?;
        if !raw.get().starts_with('[') {
            return Err(ArgsError::NotAnArray);
        }
        Ok(Self(minify(raw.get())))
    }

    /// Arguments from anything that serialises to a JSON array: a tuple `(a, b)`, a `Vec`, a slice.
    ///
    /// # Errors
    /// [`ArgsError`] when serialisation fails or does not produce an array.
    pub fn from_values<T: Serialize + ?Sized>(values: &T) -> Result<Self, ArgsError> {
        let text = serde_json::to_string(values)?;
        if !text.starts_with('[') {
            return Err(ArgsError::NotAnArray);
        }
        Ok(Self(text))
    }

    /// Wraps text the caller knows is a compact JSON array.
    pub(crate) fn from_compact_unchecked(text: String) -> Self {
        Self(text)
    }

    /// The whole array text, e.g. `[1,"2"]`.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The array's content without the brackets, e.g. `1,"2"`; empty when there are no arguments.
    pub fn inner(&self) -> &str {
        self.0.get(1..self.0.len().saturating_sub(1)).unwrap_or("")
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.inner().is_empty()
    }

    /// Each argument as raw JSON.
    ///
    /// # Errors
    /// Never in practice (the text is a valid array); typed for safety.
    pub fn raw_items(&self) -> Result<Vec<&RawValue>, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// Deserialises the arguments, e.g. into a tuple `(String, u32)` or a `Vec<T>`.
    ///
    /// # Errors
    /// When the arguments do not match `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The array with `first` (already JSON) put before the arguments: `[first,args...]`.
    pub(crate) fn prepend(&self, first: &str) -> String {
        let inner = self.inner();
        let mut out = String::with_capacity(first.len() + inner.len() + 3);
        out.push('[');
        out.push_str(first);
        if !inner.is_empty() {
            out.push(',');
            out.push_str(inner);
        }
        out.push(']');
        out
    }
}

/// Validates `text` as one JSON value and returns it compact. `None` when it is not JSON.
pub(crate) fn compact(text: &str) -> Option<Box<RawValue>> {
    let raw: &RawValue = serde_json::from_str(text).ok()?;
    let minified = minify(raw.get());
    // The text was just validated and minifying keeps it valid; `from_string` re-checks cheaply.
    RawValue::from_string(minified).ok()
}

/// Removes whitespace outside strings from valid JSON.
fn minify(json: &str) -> String {
    let has_space = json
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'));
    if !has_space {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\n' | '\r' | '\t') {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn whitespace_outside_strings_is_removed() {
        let args =
            Args::from_json(" [ 1 , \"a b\\\" c\" , { \"z\" : 1 , \"a\" : [ ] } ] ").unwrap();
        assert_eq!(args.as_json(), r#"[1,"a b\" c",{"z":1,"a":[]}]"#);
    }

    #[test]
    fn numbers_and_key_order_are_kept() {
        let args = Args::from_json(r#"[{"b":1,"a":1.0,"c":12345678901234567890123}]"#).unwrap();
        assert_eq!(
            args.as_json(),
            r#"[{"b":1,"a":1.0,"c":12345678901234567890123}]"#
        );
    }

    #[test]
    fn non_arrays_are_refused() {
        assert!(matches!(Args::from_json("{}"), Err(ArgsError::NotAnArray)));
        assert!(matches!(Args::from_values(&7), Err(ArgsError::NotAnArray)));
        assert!(matches!(Args::from_json("[1,"), Err(ArgsError::Json(_))));
    }

    #[test]
    fn tuples_serialise_as_arrays_and_parse_back() {
        let args = Args::from_values(&(1, "2", [true])).unwrap();
        assert_eq!(args.as_json(), r#"[1,"2",[true]]"#);
        let (a, b, c): (u32, String, Vec<bool>) = args.parse().unwrap();
        assert_eq!((a, b.as_str(), c), (1, "2", vec![true]));
    }

    #[test]
    fn prepend_builds_the_event_array() {
        assert_eq!(Args::empty().prepend(r#""x""#), r#"["x"]"#);
        assert_eq!(
            Args::from_json("[1,2]").unwrap().prepend(r#""x""#),
            r#"["x",1,2]"#
        );
        assert!(Args::empty().is_empty());
    }
}
