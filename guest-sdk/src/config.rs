//! Operator-set configuration values for this handler (capability `config`).

use crate::backend;
use crate::host::HostError;

/// The value of `key`, or `None` when the operator did not set it.
///
/// # Errors
/// [`HostError::NotGranted`] without the `config` capability.
///
/// ```
/// let greeting = synchost_sdk::config::get("greeting")
///     .ok()
///     .flatten()
///     .unwrap_or_else(|| "hello".to_owned());
/// # let _ = greeting;
/// ```
pub fn get(key: &str) -> Result<Option<String>, HostError> {
    backend::config_get(key)
}
