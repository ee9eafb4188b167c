//! The fake host used on native targets: in-memory kv, settable config, rooms and clock, and
//! captured logs. State is per thread, so each `#[test]` (which the test runner gives its own
//! thread) starts empty. It mirrors the WIT contract's observable behaviour and nothing more.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::Session;
use crate::host::{HostError, Level};
use crate::msgpack;

/// The clock value tests see until they call `set_now_ms`.
pub const DEFAULT_NOW_MS: u64 = 1_700_000_000_000;

/// A capability the operator can withhold from a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// `config::get`.
    Config,
    /// `kv::*`.
    Kv,
    /// `rooms::*`.
    Rooms,
}

pub(crate) struct FakeHost {
    pub(crate) now_ms: u64,
    pub(crate) config: HashMap<String, String>,
    pub(crate) kv: HashMap<String, Vec<u8>>,
    /// Every connection of a room; `None` is an anonymous connection.
    pub(crate) rooms: HashMap<String, Vec<Option<Session>>>,
    pub(crate) denied: Vec<Capability>,
    pub(crate) logs: Vec<(Level, String)>,
    random_state: u64,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost {
            now_ms: DEFAULT_NOW_MS,
            config: HashMap::new(),
            kv: HashMap::new(),
            rooms: HashMap::new(),
            denied: Vec::new(),
            logs: Vec::new(),
            random_state: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

thread_local! {
    static HOST: RefCell<FakeHost> = RefCell::new(FakeHost::default());
}

pub(crate) fn with_host<R>(f: impl FnOnce(&mut FakeHost) -> R) -> R {
    HOST.with(|host| f(&mut host.borrow_mut()))
}

fn granted(capability: Capability) -> Result<(), HostError> {
    with_host(|host| {
        if host.denied.contains(&capability) {
            Err(HostError::NotGranted)
        } else {
            Ok(())
        }
    })
}

pub(crate) fn log(level: Level, message: &str) {
    with_host(|host| host.logs.push((level, message.to_owned())));
}

pub(crate) fn now_ms() -> u64 {
    with_host(|host| host.now_ms)
}

/// Deterministic (xorshift64) so tests are repeatable; never use it for secrets.
pub(crate) fn random_bytes(len: u32) -> Vec<u8> {
    with_host(|host| {
        (0..len)
            .map(|_| {
                let mut x = host.random_state;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                host.random_state = x;
                (x >> 24) as u8
            })
            .collect()
    })
}

pub(crate) fn config_get(key: &str) -> Result<Option<String>, HostError> {
    granted(Capability::Config)?;
    Ok(with_host(|host| host.config.get(key).cloned()))
}

pub(crate) fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
    granted(Capability::Kv)?;
    Ok(with_host(|host| host.kv.get(key).cloned()))
}

pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), HostError> {
    granted(Capability::Kv)?;
    with_host(|host| host.kv.insert(key.to_owned(), value.to_vec()));
    Ok(())
}

pub(crate) fn kv_delete(key: &str) -> Result<bool, HostError> {
    granted(Capability::Kv)?;
    Ok(with_host(|host| host.kv.remove(key).is_some()))
}

/// Counters are stored as a MessagePack integer, so `kv::get_value::<i64>` reads them.
pub(crate) fn kv_incr(key: &str, delta: i64) -> Result<i64, HostError> {
    granted(Capability::Kv)?;
    with_host(|host| {
        let current = match host.kv.get(key) {
            Some(bytes) => msgpack::decode::<i64>(bytes).map_err(|_| HostError::WrongType)?,
            None => 0,
        };
        let next = current
            .checked_add(delta)
            .ok_or_else(|| HostError::Storage("counter overflow".to_owned()))?;
        host.kv.insert(key.to_owned(), msgpack::encode(&next)?);
        Ok(next)
    })
}

pub(crate) fn rooms_size(room: &str) -> Result<u32, HostError> {
    granted(Capability::Rooms)?;
    Ok(with_host(|host| {
        host.rooms.get(room).map_or(0, |connections| {
            u32::try_from(connections.len()).unwrap_or(u32::MAX)
        })
    }))
}

pub(crate) fn rooms_members(
    room: &str,
    offset: u32,
    limit: u32,
) -> Result<Vec<Session>, HostError> {
    granted(Capability::Rooms)?;
    Ok(with_host(|host| {
        host.rooms
            .get(room)
            .map(|connections| {
                connections
                    .iter()
                    .flatten()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }))
}
