//! Functions every handler may call: logging, the clock and secure randomness, plus
//! `HostError`, the reason any capability call (kv, rooms, config) fails. Inside a component
//! these call the host; in native tests they call the fake in `testing`.

use std::fmt;

use crate::SyncError;
use crate::backend;
use crate::msgpack::CodecError;

/// The most random bytes the host hands out per call; larger requests are split.
const RANDOM_CHUNK: usize = 4096;

/// Code a handler returns when it forwards a [`HostError`] with `?`.
pub const HOST_CALL_FAILED: &str = "plugin.hostCallFailed";

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal events.
    Info,
    /// Something odd that the handler survived.
    Warn,
    /// A failure.
    Error,
}

/// Why a capability call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The operator did not grant this capability to the handler.
    NotGranted,
    /// The call would exceed the handler's quota.
    QuotaExceeded,
    /// A key or value is larger than the host accepts.
    TooLarge,
    /// The stored value is not what the operation expects (e.g. `incr` on a non-counter).
    WrongType,
    /// The storage backend failed.
    Storage(String),
    /// A stored value could not be encoded or decoded as the requested type.
    Codec(CodecError),
}

impl HostError {
    /// A short stable name of the reason, used as the `reason` error param.
    pub fn reason(&self) -> &'static str {
        match self {
            HostError::NotGranted => "notGranted",
            HostError::QuotaExceeded => "quotaExceeded",
            HostError::TooLarge => "tooLarge",
            HostError::WrongType => "wrongType",
            HostError::Storage(_) => "storage",
            HostError::Codec(_) => "codec",
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::NotGranted => f.write_str("capability not granted"),
            HostError::QuotaExceeded => f.write_str("quota exceeded"),
            HostError::TooLarge => f.write_str("key or value too large"),
            HostError::WrongType => f.write_str("stored value has another type"),
            HostError::Storage(reason) => write!(f, "storage failed: {reason}"),
            HostError::Codec(error) => write!(f, "value encoding failed: {error}"),
        }
    }
}

impl std::error::Error for HostError {}

impl From<CodecError> for HostError {
    fn from(error: CodecError) -> Self {
        HostError::Codec(error)
    }
}

/// Lets handlers write `kv::incr("n", 1)?`: the caller gets `plugin.hostCallFailed` (HTTP 500)
/// with the reason as param `reason`.
impl From<HostError> for SyncError {
    fn from(error: HostError) -> Self {
        SyncError::new(HOST_CALL_FAILED)
            .param("reason", error.reason())
            .status(500)
    }
}

/// Writes `message` to the host log, tagged with the route. The host rate-limits it.
///
/// ```
/// use synchost_sdk::host::{self, Level};
/// host::log(Level::Info, "counter updated");
/// ```
pub fn log(level: Level, message: &str) {
    backend::log(level, message);
}

/// Milliseconds since the Unix epoch.
///
/// ```
/// let now = synchost_sdk::host::now_ms();
/// # let _ = now;
/// ```
pub fn now_ms() -> u64 {
    backend::now_ms()
}

/// `len` cryptographically secure random bytes.
///
/// ```
/// let nonce = synchost_sdk::host::random_bytes(16);
/// assert_eq!(nonce.len(), 16);
/// ```
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        let chunk = (len - bytes.len()).min(RANDOM_CHUNK);
        // `chunk` is at most RANDOM_CHUNK, so it always fits in u32.
        let got = backend::random_bytes(chunk as u32);
        if got.is_empty() {
            break;
        }
        bytes.extend_from_slice(&got);
    }
    bytes.truncate(len);
    bytes
}
