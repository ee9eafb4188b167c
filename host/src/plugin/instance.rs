//! Instances of a loaded plugin: creating them from the pre-linked component, calling their exports
//! with a budget armed, and the small pool of warm ones kept between syncs.
//!
//! A warm instance is reused until `max_invocations` calls, and dropped after any failed call: a
//! trapped component instance can never be entered again. It is also retired once its memories
//! have grown by half the room they had under `memory_mb` after its first call: wasm memory never
//! shrinks, so an instance that keeps growing (a leak, or a JavaScript engine's heap) is replaced
//! while its calls still succeed, instead of failing one with `plugin.memoryLimit` later.
//! Instances are `Send` but used by one thread at a time; the pool hands each one to exactly one
//! caller.

use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::{Engine, Store};

use super::bindings::client::{ClientStage, ClientStagePre};
use super::bindings::join::{JoinHandler, JoinHandlerPre};
use super::bindings::server::{ServerStage, ServerStagePre};
use super::bindings::{
    ClientBatch, ClientResult, HandlerError, JoinCall, StageMetadata, WitServerCall,
};
use super::error::{ErrorCode, PluginError};
use super::host_impl::{PluginIdentity, PluginState};
use super::limits::{Startup, arm, classify};
use crate::config::StageLimits;

/// A component linked and type-checked against one stage world, ready to instantiate.
pub enum StagePre {
    /// A server-stage component.
    Server(ServerStagePre<PluginState>),
    /// A client-stage component.
    Client(ClientStagePre<PluginState>),
    /// A join-handler component.
    Join(JoinHandlerPre<PluginState>),
}

enum Exports {
    Server(ServerStage),
    Client(ClientStage),
    Join(JoinHandler),
}

/// One live instance in its own store.
pub struct Instance {
    store: Store<PluginState>,
    exports: Exports,
    calls: u64,
    /// Added to the budget of the first call only.
    startup: Startup,
    /// Bytes of its memories once its first call returned (0 until then).
    baseline_bytes: usize,
    /// Fuel the latest call started with.
    armed_fuel: u64,
}

fn unavailable(error: &wasmtime::Error) -> PluginError {
    let classified = classify(error);
    // A trap during instantiation is the plugin's fault; anything else (pool exhausted) is ours.
    if classified.code == ErrorCode::Trap && error.downcast_ref::<wasmtime::Trap>().is_none() {
        PluginError::new(ErrorCode::Unavailable, classified.detail)
    } else {
        classified
    }
}

impl StagePre {
    /// A fresh instance with `limits` armed for its start-up code; its first call may spend
    /// `startup` beyond its budget.
    ///
    /// # Errors
    /// [`ErrorCode::Unavailable`] when the engine pool is exhausted; a trap code when the plugin's
    /// initialisation traps.
    pub fn instantiate(
        &self,
        engine: &Engine,
        identity: &Arc<PluginIdentity>,
        limits: Arc<StageLimits>,
        startup: Startup,
    ) -> Result<Instance, PluginError> {
        let mut store = Store::new(engine, PluginState::new(identity.clone(), limits.clone()));
        store.limiter(|state| &mut state.limiter);
        arm(&mut store, &limits, 1, Startup::default())?;
        let exports = match self {
            Self::Server(pre) => Exports::Server(
                pre.instantiate(&mut store)
                    .map_err(|error| unavailable(&error))?,
            ),
            Self::Client(pre) => Exports::Client(
                pre.instantiate(&mut store)
                    .map_err(|error| unavailable(&error))?,
            ),
            Self::Join(pre) => Exports::Join(
                pre.instantiate(&mut store)
                    .map_err(|error| unavailable(&error))?,
            ),
        };
        Ok(Instance {
            store,
            exports,
            calls: 0,
            startup,
            baseline_bytes: 0,
            armed_fuel: 0,
        })
    }
}

impl Instance {
    fn begin(&mut self, limits: &Arc<StageLimits>, units: u64) -> Result<(), PluginError> {
        let startup = if self.calls == 0 {
            self.startup
        } else {
            Startup::default()
        };
        self.calls += 1;
        let state = self.store.data_mut();
        state.limiter.set_cap(limits.memory_mb);
        if !Arc::ptr_eq(&state.limits, limits) {
            state.limits = limits.clone();
        }
        arm(&mut self.store, limits, units, startup)?;
        self.armed_fuel = self.fuel_left();
        Ok(())
    }

    /// Fuel the latest call spent (0 before the first).
    pub fn fuel_spent(&self) -> u64 {
        self.armed_fuel.saturating_sub(self.fuel_left())
    }

    /// Bytes held by the instance's memories.
    pub fn memory_bytes(&self) -> usize {
        self.store.data().limiter.memory_bytes()
    }

    /// Fuel left from the last call's budget.
    pub fn fuel_left(&self) -> u64 {
        self.store.get_fuel().unwrap_or(0)
    }

    /// Calls `metadata()`.
    ///
    /// # Errors
    /// The classified failure; the instance is then dead.
    pub fn metadata(&mut self, limits: &Arc<StageLimits>) -> Result<StageMetadata, PluginError> {
        self.begin(limits, 1)?;
        let result = match &self.exports {
            Exports::Server(exports) => exports.call_metadata(&mut self.store),
            Exports::Client(exports) => exports.call_metadata(&mut self.store),
            Exports::Join(exports) => exports.call_metadata(&mut self.store),
        };
        result.map_err(|error| classify(&error))
    }

    /// Calls the server stage's `run`.
    ///
    /// # Errors
    /// The classified failure; the instance is then dead when the code says so.
    pub fn run_server(
        &mut self,
        limits: &Arc<StageLimits>,
        call: &WitServerCall,
    ) -> Result<Result<Vec<u8>, HandlerError>, PluginError> {
        self.begin(limits, 1)?;
        let Exports::Server(exports) = &self.exports else {
            return Err(PluginError::new(
                ErrorCode::StageMissing,
                "not a server-stage instance",
            ));
        };
        exports
            .call_run(&mut self.store, call)
            .map_err(|error| classify(&error))
    }

    /// Calls a join handler's `decide`.
    ///
    /// # Errors
    /// The classified failure; the instance is then dead when the code says so.
    pub fn decide_join(
        &mut self,
        limits: &Arc<StageLimits>,
        call: &JoinCall,
    ) -> Result<Result<(), HandlerError>, PluginError> {
        self.begin(limits, 1)?;
        let Exports::Join(exports) = &self.exports else {
            return Err(PluginError::new(
                ErrorCode::StageMissing,
                "not a join-handler instance",
            ));
        };
        exports
            .call_decide(&mut self.store, call)
            .map_err(|error| classify(&error))
    }

    /// Calls the client stage's `run` for a batch, with the budget scaled by its size.
    ///
    /// # Errors
    /// The classified failure; the instance is then dead when the code says so.
    pub fn run_client(
        &mut self,
        limits: &Arc<StageLimits>,
        batch: &ClientBatch,
    ) -> Result<ClientResult, PluginError> {
        self.begin(limits, batch.recipients.len().max(1) as u64)?;
        let Exports::Client(exports) = &self.exports else {
            return Err(PluginError::new(
                ErrorCode::StageMissing,
                "not a client-stage instance",
            ));
        };
        exports
            .call_run(&mut self.store, batch)
            .map_err(|error| classify(&error))
    }
}

/// Idle warm instances of one loaded plugin; at most `capacity` are kept.
pub struct WarmPool {
    idle: Mutex<Vec<Instance>>,
    capacity: usize,
}

impl WarmPool {
    /// An empty pool keeping at most `capacity` idle instances.
    pub fn new(capacity: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::with_capacity(capacity)),
            capacity,
        }
    }

    /// An idle instance, if any.
    pub fn take(&self) -> Option<Instance> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    /// Returns a healthy instance; it is dropped if it is worn out (calls or memory) or the pool
    /// is full.
    pub fn give(&self, mut instance: Instance, max_invocations: u64) {
        if instance.calls >= max_invocations {
            return;
        }
        let limiter = &instance.store.data().limiter;
        if instance.baseline_bytes == 0 {
            instance.baseline_bytes = limiter.memory_bytes();
        } else if limiter.worn(instance.baseline_bytes) {
            tracing::debug!(
                bytes = limiter.memory_bytes(),
                calls = instance.calls,
                "retiring an instance whose memory keeps growing"
            );
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.capacity {
            idle.push(instance);
        }
    }

    /// How many instances are idle.
    pub fn idle(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
