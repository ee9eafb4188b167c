//! MessagePack encoding as the host expects it: structs become maps with their field names
//! (rmp-serde's "named" form), so the host can turn every payload into a JSON object. All
//! payload encoding in the SDK goes through here; nothing else calls rmp-serde directly.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes reserved before encoding a value.
const ENCODE_CAPACITY: usize = 64;

/// A value could not be encoded to, or decoded from, MessagePack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

/// Encodes `value` with struct fields as named map keys.
///
/// # Errors
/// When serde refuses the value (e.g. a map with keys that cannot be serialized).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Moved { from: &'static str }
/// let bytes = synchost_sdk::msgpack::encode(&Moved { from: "e2" }).unwrap();
/// assert_eq!(bytes[0], 0x81); // a map with one entry, not an array
/// ```
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    // Most outputs are small: one allocation up front instead of the growth steps from empty.
    let mut out = Vec::with_capacity(ENCODE_CAPACITY);
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|error| CodecError(error.to_string()))?;
    Ok(out)
}

/// Encodes `value` like [`encode`], appending to `out`; on failure `out` is left as it was.
///
/// # Errors
/// As [`encode`].
pub fn encode_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), CodecError> {
    let start = out.len();
    rmp_serde::encode::write_named(out, value).map_err(|error| {
        out.truncate(start);
        CodecError(error.to_string())
    })
}

/// Decodes MessagePack into `T`.
///
/// # Errors
/// When the bytes are not MessagePack or do not match the shape of `T`.
///
/// ```
/// let error = synchost_sdk::msgpack::decode::<u32>(&[0xc1]).unwrap_err();
/// assert!(!error.to_string().is_empty());
/// ```
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    rmp_serde::from_slice(bytes).map_err(|error| CodecError(error.to_string()))
}

/// Wraps a decoder error from code that drives rmp-serde's deserializer itself.
pub(crate) fn decode_error(error: &rmp_serde::decode::Error) -> CodecError {
    CodecError(error.to_string())
}
