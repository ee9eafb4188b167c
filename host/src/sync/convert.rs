//! JSON on the wire, MessagePack across the plugin boundary: the two conversions and nothing else.
//!
//! Both stream from one format's parser into the other's writer (no intermediate tree), and both
//! recurse once per level of nesting, on network threads, so neither runs without a depth bound.
//! The input's nesting depth is checked on the raw text first, so a deeply nested frame is refused
//! before any parser recurses into it. Outputs were checked on the plugin worker against the
//! stage's `max_output_depth`; the conversion still refuses anything nested past the ceiling of
//! that setting.

use bytes::Bytes;

use crate::config::MAX_OUTPUT_DEPTH_CEILING;

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The JSON nests arrays and objects deeper than allowed.
    #[error("input nests deeper than {0}")]
    TooDeep(usize),
    /// The value cannot be represented in the other format.
    #[error("cannot convert: {0}")]
    Invalid(String),
}

/// Converts a JSON text (already known to be valid JSON) into MessagePack, maps keyed by name.
///
/// # Errors
/// [`ConvertError::TooDeep`] past `max_depth`, [`ConvertError::Invalid`] otherwise.
pub fn json_to_msgpack(json: &str, max_depth: usize) -> Result<Bytes, ConvertError> {
    if depth(json) > max_depth {
        return Err(ConvertError::TooDeep(max_depth));
    }
    let mut out = Vec::with_capacity(json.len());
    let mut reader = serde_json::Deserializer::from_str(json);
    let mut writer = rmp_serde::Serializer::new(&mut out).with_struct_map();
    serde_transcode::transcode(&mut reader, &mut writer).map_err(|error| {
        if error.to_string().contains("recursion limit") {
            ConvertError::TooDeep(max_depth)
        } else {
            ConvertError::Invalid(error.to_string())
        }
    })?;
    Ok(Bytes::from(out))
}

/// Converts one MessagePack value into compact JSON. Binary becomes an array of numbers, an
/// extension value `[type, [bytes..]]`, non-finite floats `null`; integer and boolean map keys
/// become strings.
///
/// # Errors
/// [`ConvertError::Invalid`] for other map keys (arrays, maps), truncated input, or nesting past
/// [`MAX_OUTPUT_DEPTH_CEILING`] (arrays, maps and extension values each count one level).
pub fn msgpack_to_json(bytes: &[u8]) -> Result<String, ConvertError> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4 + 8);
    let mut reader = rmp_serde::Deserializer::from_read_ref(bytes);
    // rmp-serde's counter refuses the container that brings it to zero: one more than the levels
    // allowed.
    reader.set_max_depth(MAX_OUTPUT_DEPTH_CEILING as usize + 1);
    let mut writer = serde_json::Serializer::new(&mut out);
    serde_transcode::transcode(&mut reader, &mut writer)
        .map_err(|error| ConvertError::Invalid(error.to_string()))?;
    String::from_utf8(out).map_err(|error| ConvertError::Invalid(error.to_string()))
}

/// The deepest nesting of `[` and `{` outside strings.
fn depth(json: &str) -> usize {
    let (mut deepest, mut current) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in json.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                current += 1;
                deepest = deepest.max(current);
            }
            b']' | b'}' => current = current.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_json_number_becomes_exactly_the_float_its_text_names() {
        // Found by fuzzing: a decimal that a fast float parser rounds one unit off, so a float32
        // output written as JSON did not convert back to the same JSON.
        for text in [
            "5.428947e-38",
            "2.2250738585072011e-308",
            "0.1",
            "1e23",
            "8.589973e9",
        ] {
            let packed = json_to_msgpack(text, 32).unwrap();
            let value: f64 = rmp_serde::from_slice(&packed).unwrap();
            assert_eq!(value, text.parse::<f64>().unwrap(), "{text}");
            assert_eq!(
                msgpack_to_json(&packed).unwrap().parse::<f64>().unwrap(),
                value,
                "{text}"
            );
        }
    }

    #[test]
    fn round_trip_keeps_values() {
        let json = r#"{"amount":5,"neg":-3,"f":1.5,"s":"h\"i","list":[true,null,{"k":[]}]}"#;
        let packed = json_to_msgpack(json, 32).unwrap();
        assert_eq!(msgpack_to_json(&packed).unwrap(), json);
    }

    #[test]
    fn depth_counts_only_structure() {
        assert_eq!(depth(r#"{"a":"[[[[{{{{","b":[1,[2]]}"#), 3);
        assert_eq!(depth(r#""\"[""#), 0);
        assert_eq!(depth("7"), 0);
    }

    #[test]
    fn too_deep_is_refused_before_parsing() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(matches!(
            json_to_msgpack(&deep, 32),
            Err(ConvertError::TooDeep(32))
        ));
        assert!(json_to_msgpack(&deep, 40).is_ok());
        let very_deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            json_to_msgpack(&very_deep, 500),
            Err(ConvertError::TooDeep(500))
        ));
    }

    #[test]
    fn msgpack_specials() {
        let mut bytes = Vec::new();
        rmp::encode::write_map_len(&mut bytes, 2).unwrap();
        rmp::encode::write_uint(&mut bytes, 7).unwrap();
        rmp::encode::write_bin(&mut bytes, &[1, 2]).unwrap();
        rmp::encode::write_str(&mut bytes, "nan").unwrap();
        rmp::encode::write_f64(&mut bytes, f64::NAN).unwrap();
        assert_eq!(
            msgpack_to_json(&bytes).unwrap(),
            r#"{"7":[1,2],"nan":null}"#
        );
        assert!(msgpack_to_json(&bytes[..3]).is_err());
        let mut ext = Vec::new();
        rmp::encode::write_ext_meta(&mut ext, 1, 5).unwrap();
        ext.push(0);
        assert_eq!(msgpack_to_json(&ext).unwrap(), "[5,[0]]");
    }

    #[test]
    fn outputs_nested_past_the_ceiling_are_refused_not_recursed_into() {
        let nested = |depth: usize| {
            let mut bytes = vec![0x91; depth];
            bytes.push(0xc0);
            bytes
        };
        let ceiling = MAX_OUTPUT_DEPTH_CEILING as usize;
        let json = msgpack_to_json(&nested(ceiling)).unwrap();
        assert_eq!(json.len(), 2 * ceiling + 4);
        assert!(matches!(
            msgpack_to_json(&nested(ceiling + 1)),
            Err(ConvertError::Invalid(_))
        ));
        assert!(msgpack_to_json(&nested(100_000)).is_err());
    }
}
