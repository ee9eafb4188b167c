//! The real host functions, used when compiled to wasm. Each call converts between the
//! generated types and the SDK's; nothing here decides anything.

use crate::Session;
use crate::bindings::server::synchost::plugin as wit;
use crate::exports::session_from_wit;
use crate::host::{HostError, Level};

fn host_error(error: wit::capability::DeniedOrFailed) -> HostError {
    use wit::capability::DeniedOrFailed as Denied;
    match error {
        Denied::NotGranted => HostError::NotGranted,
        Denied::QuotaExceeded => HostError::QuotaExceeded,
        Denied::TooLarge => HostError::TooLarge,
        Denied::WrongType => HostError::WrongType,
        Denied::Storage(reason) => HostError::Storage(reason),
    }
}

pub(crate) fn log(level: Level, message: &str) {
    let level = match level {
        Level::Trace => wit::host::Level::Trace,
        Level::Debug => wit::host::Level::Debug,
        Level::Info => wit::host::Level::Info,
        Level::Warn => wit::host::Level::Warn,
        Level::Error => wit::host::Level::Error,
    };
    wit::host::log(level, message);
}

pub(crate) fn now_ms() -> u64 {
    wit::host::now_ms()
}

pub(crate) fn random_bytes(len: u32) -> Vec<u8> {
    wit::host::random_bytes(len)
}

pub(crate) fn config_get(key: &str) -> Result<Option<String>, HostError> {
    wit::config::get(key).map_err(host_error)
}

pub(crate) fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
    wit::kv::get(key).map_err(host_error)
}

pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), HostError> {
    wit::kv::set(key, value).map_err(host_error)
}

pub(crate) fn kv_delete(key: &str) -> Result<bool, HostError> {
    wit::kv::delete(key).map_err(host_error)
}

pub(crate) fn kv_incr(key: &str, delta: i64) -> Result<i64, HostError> {
    wit::kv::incr(key, delta).map_err(host_error)
}

pub(crate) fn rooms_size(room: &str) -> Result<u32, HostError> {
    wit::rooms::size(room).map_err(host_error)
}

pub(crate) fn rooms_members(
    room: &str,
    offset: u32,
    limit: u32,
) -> Result<Vec<Session>, HostError> {
    wit::rooms::members(room, offset, limit)
        .map(|members| members.into_iter().map(session_from_wit).collect())
        .map_err(host_error)
}
