//! A durable key-value store, namespaced per page by the host (capability `kv`). Raw bytes,
//! counters, and typed values stored as MessagePack.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::backend;
use crate::host::HostError;
use crate::msgpack;

/// The bytes stored at `key`, or `None`.
///
/// # Errors
/// [`HostError::NotGranted`] without the `kv` capability, or a storage failure.
///
/// ```
/// use synchost_sdk::{host::HostError, kv};
/// match kv::get("greeting") {
///     Ok(Some(bytes)) => assert!(!bytes.is_empty()),
///     Ok(None) => {}
///     Err(HostError::NotGranted) => {}
///     Err(other) => panic!("{other}"),
/// }
/// ```
pub fn get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
    backend::kv_get(key)
}

/// Stores `value` at `key`, replacing what was there.
///
/// # Errors
/// Not granted, quota exceeded, too large, or a storage failure.
pub fn set(key: &str, value: &[u8]) -> Result<(), HostError> {
    backend::kv_set(key, value)
}

/// Removes `key`; returns whether it existed.
///
/// # Errors
/// Not granted or a storage failure.
pub fn delete(key: &str) -> Result<bool, HostError> {
    backend::kv_delete(key)
}

/// Adds `delta` to the counter at `key` (absent = 0) and returns the new value.
///
/// # Errors
/// [`HostError::WrongType`] when `key` holds something that is not a counter, or any failure
/// of [`set`].
///
/// ```
/// let visits = synchost_sdk::kv::incr("visits", 1);
/// # let _ = visits;
/// ```
pub fn incr(key: &str, delta: i64) -> Result<i64, HostError> {
    backend::kv_incr(key, delta)
}

/// The value at `key` decoded from MessagePack, or `None`.
///
/// # Errors
/// [`HostError::Codec`] when the stored bytes are not a `T`, or any failure of [`get`].
pub fn get_value<T: DeserializeOwned>(key: &str) -> Result<Option<T>, HostError> {
    match get(key)? {
        Some(bytes) => Ok(Some(msgpack::decode(&bytes)?)),
        None => Ok(None),
    }
}

/// Stores `value` at `key` as MessagePack (struct fields by name).
///
/// # Errors
/// [`HostError::Codec`] when the value cannot be encoded, or any failure of [`set`].
pub fn set_value<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), HostError> {
    set(key, &msgpack::encode(value)?)
}
