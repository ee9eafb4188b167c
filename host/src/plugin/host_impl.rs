//! The host side of the imports every plugin sees: `host` (log, time, random) always, and `config`,
//! `kv`, `rooms` only when the operator granted them (deny by default: `not-granted`).
//!
//! These functions run on a plugin worker thread while the guest waits, and epochs do not interrupt
//! host code, so each one bounds its own work (random bytes, room pages, kv sizes). None of them may
//! panic or trap on guest input.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::server::synchost::plugin::{capability, config, host, kv, rooms, types};
use super::bindings::{DeniedOrFailed, Level, Session};
use super::limits::MemoryLimiter;
use super::log::{GuestOutput, PluginLog};
use super::rooms::{RoomDirectory, RoomsUnavailable};
use super::waits::WaitDeadline;
use crate::config::{Capability, StageLimits};
use crate::store::{Kv, KvError, KvQuota};

/// Most random bytes per call: `random-bytes` returns at most this many; WASI's
/// `get-random-bytes` and `get-insecure-random-bytes`, which promise exactly what was asked, trap
/// past it.
pub const MAX_RANDOM_BYTES: u32 = 4096;
/// Most members per `rooms.members` page.
pub const MAX_MEMBERS_PAGE: u32 = 1000;

/// The services host functions reach, shared by every plugin.
pub struct HostServices {
    /// The durable kv store (embedded, or shared by a cluster).
    pub kv: Arc<dyn Kv>,
    /// Room queries.
    pub rooms: Arc<dyn RoomDirectory>,
}

/// Who a plugin is, for its host calls: shared by all instances of one loaded file.
pub struct PluginIdentity {
    /// Its log (label + rate limit).
    pub log: Arc<PluginLog>,
    /// The kv namespace: the page.
    pub namespace: String,
    /// The shared services.
    pub services: Arc<HostServices>,
}

/// The data of one wasmtime `Store`: one instance of one plugin.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Memory cap, read on every growth.
    pub limiter: MemoryLimiter,
    /// The plugin this instance belongs to.
    pub identity: Arc<PluginIdentity>,
    /// The limits of the call in progress (capabilities, config values, quotas).
    pub limits: Arc<StageLimits>,
    /// When the call in progress must stop waiting in host calls (see `waits`).
    pub deadline: WaitDeadline,
}

impl PluginState {
    /// A locked-down WASI context (no files, env, args, network; stdio to the log) and the host state.
    pub fn new(identity: Arc<PluginIdentity>, limits: Arc<StageLimits>) -> Self {
        let wasi = WasiCtx::builder()
            .stdout(GuestOutput::stdout(identity.log.clone()))
            .stderr(GuestOutput::stderr(identity.log.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .max_random_size(u64::from(MAX_RANDOM_BYTES))
            .build();
        let limiter = MemoryLimiter::new(limits.memory_mb);
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter,
            identity,
            limits,
            deadline: WaitDeadline::default(),
        }
    }

    /// What a bounded WASI wait needs: the resource table and the call's deadline.
    pub fn waits(&mut self) -> (&mut ResourceTable, WaitDeadline) {
        (&mut self.table, self.deadline)
    }

    fn granted(&self, capability: Capability) -> Result<(), DeniedOrFailed> {
        if self.limits.capabilities.contains(capability) {
            Ok(())
        } else {
            Err(DeniedOrFailed::NotGranted)
        }
    }

    fn quota(&self) -> KvQuota {
        KvQuota {
            max_keys: self.limits.kv_max_keys,
            max_bytes: self.limits.kv_max_bytes,
        }
    }

    fn kv(&self) -> Result<&dyn Kv, DeniedOrFailed> {
        self.granted(Capability::Kv)?;
        Ok(&*self.identity.services.kv)
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn denied(error: KvError) -> DeniedOrFailed {
    match error {
        KvError::QuotaExceeded => DeniedOrFailed::QuotaExceeded,
        KvError::TooLarge => DeniedOrFailed::TooLarge,
        KvError::WrongType => DeniedOrFailed::WrongType,
        KvError::Storage(reason) => DeniedOrFailed::Storage(reason),
    }
}

impl types::Host for PluginState {}
impl capability::Host for PluginState {}

impl host::Host for PluginState {
    fn log(&mut self, level: Level, message: String) {
        self.identity.log.line(level, "log", &message);
    }

    fn now_ms(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64)
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        let mut bytes = vec![0; len.min(MAX_RANDOM_BYTES) as usize];
        rand::rng().fill_bytes(&mut bytes);
        bytes
    }
}

impl config::Host for PluginState {
    fn get(&mut self, key: String) -> Result<Option<String>, DeniedOrFailed> {
        self.granted(Capability::Config)?;
        Ok(self.limits.config.get(&key).cloned())
    }
}

impl kv::Host for PluginState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, DeniedOrFailed> {
        self.kv()?
            .get(&self.identity.namespace, &key)
            .map_err(denied)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), DeniedOrFailed> {
        self.kv()?
            .set(&self.identity.namespace, &key, &value, self.quota())
            .map_err(denied)
    }

    fn delete(&mut self, key: String) -> Result<bool, DeniedOrFailed> {
        self.kv()?
            .delete(&self.identity.namespace, &key)
            .map_err(denied)
    }

    fn incr(&mut self, key: String, delta: i64) -> Result<i64, DeniedOrFailed> {
        self.kv()?
            .incr(&self.identity.namespace, &key, delta, self.quota())
            .map_err(denied)
    }
}

impl rooms::Host for PluginState {
    fn size(&mut self, room: String) -> Result<u32, DeniedOrFailed> {
        self.granted(Capability::Rooms)?;
        self.identity
            .services
            .rooms
            .size(&room)
            .map_err(|RoomsUnavailable(reason)| DeniedOrFailed::Storage(reason))
    }

    fn members(
        &mut self,
        room: String,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Session>, DeniedOrFailed> {
        self.granted(Capability::Rooms)?;
        self.identity
            .services
            .rooms
            .members(&room, offset, limit.min(MAX_MEMBERS_PAGE))
            .map_err(|RoomsUnavailable(reason)| DeniedOrFailed::Storage(reason))
    }
}
