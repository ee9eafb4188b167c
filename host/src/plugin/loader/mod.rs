//! Turning a plugin file into a [`LoadedStage`]: compile (or load from the cache), link against the
//! host imports, check the exports against the stage's world, and read `metadata()` once.
//!
//! Loading runs on the reload thread, never on a request. A file that fails any step yields a
//! [`LoadError`] and publishes nothing, so a broken file can never replace a good version. The
//! plugin's own code (its start-up and `metadata()`) runs on a thread of its own with a stack sized
//! like the workers', under the load budget (`load_timeout_ms`, wall clock, host waits included):
//! a load that sleeps or recurses ends with an error instead of freezing or crashing the host. A
//! component too big for the engine's pool (more memories, tables or core instances than the
//! `[runtime]` per-component limits) is refused here, when it is compiled, as is one whose
//! memories together exceed `memory_mb` when the first instance is created: both are load errors
//! in the registry status, never a failure at the first sync.

pub mod cache;
pub mod function_cache;
pub mod guest;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use super::bindings::StageMetadata;
use super::bindings::client::ClientStagePre;
use super::bindings::join::JoinHandlerPre;
use super::bindings::server::{ServerStage, ServerStagePre};
use super::error::{Error, PluginError};
use super::host_impl::{HostServices, PluginIdentity, PluginState};
use super::instance::{Instance, StagePre, WarmPool};
use super::limits::Startup;
use super::log::PluginLog;
use super::names::PluginFileName;
use super::route::{AliveToken, LoadedStage};
use super::status::PoolStats;
use super::waits;
use crate::config::{Guest, Stage, StageLimits};
use cache::CompileCache;

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// The bytes are not a valid component.
    #[error("does not compile: {0}")]
    Compile(String),
    /// The component holds more memories, tables or core instances than the engine allows per
    /// component, or a memory larger than `runtime.max_memory_mb`.
    #[error(
        "exceeds the per-component limits of [runtime] (max_memories_per_component, \
         max_tables_per_component, max_core_instances_per_component, max_memory_mb): {0}"
    )]
    ExceedsLimits(String),
    /// The component imports something the host does not provide.
    #[error("imports something the host does not provide: {0}")]
    Imports(String),
    /// The component does not export the world its file name promises.
    #[error("wrong world: expected `{expected}`, {detail}")]
    WrongWorld {
        /// The world the file name asks for.
        expected: &'static str,
        /// What the component is instead.
        detail: String,
    },
    /// The first instance could not be created (its memories exceed `memory_mb`, its start-up code
    /// trapped, the pool is full).
    #[error("cannot instantiate: {0}")]
    Instantiate(PluginError),
    /// `metadata()` failed.
    #[error("metadata() failed: {0}")]
    Metadata(PluginError),
    /// The thread that runs the plugin's load-time code could not be started.
    #[error("cannot start the load thread: {0}")]
    Thread(String),
}

/// SHA-256 of `bytes`, hex.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Everything needed to load files: the engine, the one linker, the cache, the host services.
pub struct Loader {
    engine: Engine,
    linker: Linker<PluginState>,
    cache: CompileCache,
    services: Arc<HostServices>,
    warm_per_plugin: usize,
    budget: LoadBudget,
    alive: Arc<AtomicUsize>,
}

/// What the plugin's load-time code may use: a wall-clock budget, fuel and a stack.
#[derive(Debug, Clone, Copy)]
pub struct LoadBudget {
    /// Wall clock for instantiation plus `metadata()`, in ms (never 0).
    pub timeout_ms: u64,
    /// Fuel for `metadata()` (never 0).
    pub fuel: u64,
    /// The most a start-up allowance may be.
    pub max_startup: Startup,
    /// Stack of the thread that runs them (the workers' size).
    pub stack_bytes: usize,
}

impl Loader {
    /// A loader whose linker provides locked-down WASI p2 and the synchost interfaces.
    ///
    /// # Errors
    /// [`Error::Engine`] when linking the host functions fails.
    pub fn new(
        engine: Engine,
        cache: CompileCache,
        services: Arc<HostServices>,
        warm_per_plugin: usize,
        budget: LoadBudget,
    ) -> Result<Self, Error> {
        let mut linker = Linker::new(&engine);
        let link_error = |error: wasmtime::Error| Error::Engine(format!("{error:#}"));
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(link_error)?;
        // Its waiting functions have no deadline: replace them by ones bounded by the call's budget.
        waits::bound_waits(&mut linker).map_err(link_error)?;
        // Both worlds import the same interfaces; the client bindings reuse these modules via `with`.
        ServerStage::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |state| state)
            .map_err(link_error)?;
        Ok(Self {
            engine,
            linker,
            cache,
            services,
            warm_per_plugin,
            budget,
            alive: Arc::default(),
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compile cache.
    pub fn cache(&self) -> &CompileCache {
        &self.cache
    }

    /// Loaded stages that still exist: published ones plus old versions still pinned by a request.
    pub fn versions_alive(&self) -> usize {
        self.alive.load(Ordering::Relaxed)
    }

    /// The engine pool's memory slots.
    pub fn pool_stats(&self) -> PoolStats {
        self.engine
            .pooling_allocator_metrics()
            .map(|pool| PoolStats {
                memories_in_use: pool.memories(),
                memories_idle: pool.unused_warm_memories() as usize,
                idle_resident_bytes: pool
                    .unused_memory_bytes_resident()
                    .saturating_add(pool.unused_table_bytes_resident()),
            })
            .unwrap_or_default()
    }

    /// Loads `bytes` (the content of `path`, hashed to `hash`) as the stage `name` promises.
    ///
    /// # Errors
    /// See [`LoadError`].
    pub fn load(
        &self,
        path: &Path,
        name: &PluginFileName,
        bytes: &[u8],
        hash: String,
        limits: StageLimits,
        guest: Guest,
    ) -> Result<LoadedStage, LoadError> {
        let component = self
            .cache
            .component(&self.engine, &hash, bytes)
            .map_err(compile_error)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|error| LoadError::Imports(format!("{error:#}")))?;
        let pre = match name.stage {
            Stage::Server => ServerStagePre::new(pre.clone()).map(StagePre::Server),
            Stage::Client => ClientStagePre::new(pre.clone()).map(StagePre::Client),
            Stage::Join => JoinHandlerPre::new(pre.clone()).map(StagePre::Join),
        }
        .map_err(|error| wrong_world(name.stage, &pre, &error))?;
        let label = format!("{}:{}", name.key, name.stage.as_str());
        let identity = Arc::new(PluginIdentity {
            log: Arc::new(PluginLog::new(label, limits.log_lines_per_s)),
            namespace: name.key.page.clone(),
            services: self.services.clone(),
        });
        let limits = Arc::new(limits);
        let (scratch, metadata, startup) = self.first_instance(&pre, &identity, &limits)?;
        let pool = WarmPool::new(self.warm_per_plugin);
        pool.give(scratch, limits.max_invocations);
        Ok(LoadedStage {
            key: name.key.clone(),
            stage: name.stage,
            hash,
            path: path.to_owned(),
            metadata,
            pre,
            engine: self.engine.clone(),
            identity,
            limits: ArcSwap::new(limits),
            guest,
            startup,
            pool,
            _alive: AliveToken::take(&self.alive),
        })
    }

    /// Instantiates `pre` and reads its `metadata()` on a thread of its own, under the load budget,
    /// and measures what that first call cost: the start-up every fresh instance will pay once,
    /// allowed on its first call up to the `[runtime]` caps.
    fn first_instance(
        &self,
        pre: &StagePre,
        identity: &Arc<PluginIdentity>,
        limits: &Arc<StageLimits>,
    ) -> Result<(Instance, StageMetadata, Startup), LoadError> {
        // The load budget, never unlimited; instantiation itself runs under the stage's own.
        let load_limits = Arc::new(StageLimits {
            timeout_ms: self.budget.timeout_ms,
            fuel: self.budget.fuel,
            ..StageLimits::clone(limits)
        });
        let run = || {
            let mut scratch = pre
                .instantiate(&self.engine, identity, limits.clone(), Startup::default())
                .map_err(LoadError::Instantiate)?;
            let started = Instant::now();
            let metadata = scratch
                .metadata(&load_limits)
                .map_err(LoadError::Metadata)?;
            let spent = self.budget.fuel.saturating_sub(scratch.fuel_left());
            let startup =
                Startup::measured(spent, started.elapsed()).capped(self.budget.max_startup);
            tracing::debug!(
                memory_bytes = scratch.memory_bytes(),
                spent,
                "first instance started"
            );
            Ok((scratch, metadata, startup))
        };
        std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name("plugin-load".into())
                .stack_size(self.budget.stack_bytes)
                .spawn_scoped(scope, run)
                .map_err(|error| LoadError::Thread(error.to_string()))?;
            thread.join().unwrap_or_else(|_| {
                Err(LoadError::Thread(
                    "the load thread panicked in host code".into(),
                ))
            })
        })
    }
}

/// Tells a component the pool cannot hold from one that does not compile. Wasmtime reports both as
/// errors of the same type; its pool checks say which limit of the pooling allocator was hit.
fn compile_error(detail: String) -> LoadError {
    if cache::is_pool_limit(&detail) {
        LoadError::ExceedsLimits(detail)
    } else {
        LoadError::Compile(detail)
    }
}

/// The world a stage's file must implement.
pub fn world_of(stage: Stage) -> &'static str {
    match stage {
        Stage::Server => "server-stage",
        Stage::Client => "client-stage",
        Stage::Join => "join-handler",
    }
}

/// Names the world a component implements instead of the expected one, when it is one of ours.
fn wrong_world(
    expected: Stage,
    pre: &wasmtime::component::InstancePre<PluginState>,
    error: &wasmtime::Error,
) -> LoadError {
    let other = [Stage::Server, Stage::Client, Stage::Join]
        .into_iter()
        .filter(|stage| *stage != expected)
        .find(|stage| match stage {
            Stage::Server => ServerStagePre::new(pre.clone()).is_ok(),
            Stage::Client => ClientStagePre::new(pre.clone()).is_ok(),
            Stage::Join => JoinHandlerPre::new(pre.clone()).is_ok(),
        });
    let detail = match other {
        Some(other) => format!("the component implements `{}`", world_of(other)),
        None => format!("the exports do not match: {error:#}"),
    };
    LoadError::WrongWorld {
        expected: world_of(expected),
        detail,
    }
}
