//! What the registry publishes: a [`Route`] (one version of one sync, with its optional server and
//! client stage) made of [`LoadedStage`]s (one loaded file each).
//!
//! Both are immutable once published, apart from limits and the warm pool. A request pins one
//! `Arc<Route>` for its whole life, so its server and client calls always come from the same
//! publication; an old version is freed when its last request ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arc_swap::ArcSwap;
use wasmtime::Engine;

use super::bindings::StageMetadata;
use super::error::PluginError;
use super::host_impl::PluginIdentity;
use super::instance::{Instance, StagePre, WarmPool};
use super::limits::Startup;
use crate::config::RouteKey;
use crate::config::{Guest, Stage, StageLimits};

/// One loaded plugin file: compiled, linked, its metadata read.
pub struct LoadedStage {
    pub(super) key: RouteKey,
    pub(super) stage: Stage,
    pub(super) hash: String,
    pub(super) path: PathBuf,
    pub(super) metadata: StageMetadata,
    pub(super) pre: StagePre,
    pub(super) engine: Engine,
    pub(super) identity: Arc<PluginIdentity>,
    pub(super) limits: ArcSwap<StageLimits>,
    /// What runs inside it, which picks some built-in limits (re-read when the config changes).
    pub(super) guest: Guest,
    /// What a fresh instance's first call may spend beyond the limits.
    pub(super) startup: Startup,
    pub(super) pool: WarmPool,
    pub(super) _alive: AliveToken,
}

/// Counts loaded stages that still exist (published, or pinned by a request in flight): taken when
/// a stage is loaded, given back when its last reference is dropped.
#[derive(Debug)]
pub(super) struct AliveToken(Arc<AtomicUsize>);

impl AliveToken {
    /// Counts one more stage alive on `counter`.
    pub(super) fn take(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter.clone())
    }
}

impl Drop for AliveToken {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for LoadedStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedStage")
            .field("key", &self.key)
            .field("stage", &self.stage)
            .field("hash", &self.hash)
            .finish()
    }
}

impl LoadedStage {
    /// The route this file belongs to.
    pub fn key(&self) -> &RouteKey {
        &self.key
    }

    /// The stage it implements.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// SHA-256 of the file's bytes, hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the stage said about itself at load time.
    pub fn metadata(&self) -> &StageMetadata {
        &self.metadata
    }

    /// The limits in force now.
    pub fn limits(&self) -> Arc<StageLimits> {
        self.limits.load_full()
    }

    /// Applies new limits to the next call and the next instance.
    pub(super) fn set_limits(&self, limits: StageLimits) {
        if **self.limits.load() == limits {
            return;
        }
        self.identity.log.set_rate(limits.log_lines_per_s);
        self.limits.store(Arc::new(limits));
    }

    /// A new instance.
    pub(super) fn fresh(&self) -> Result<Instance, PluginError> {
        self.pre
            .instantiate(&self.engine, &self.identity, self.limits(), self.startup)
    }

    /// A warm instance if one is idle, else a new one.
    pub(super) fn checkout(&self) -> Result<Instance, PluginError> {
        match self.pool.take() {
            Some(instance) => Ok(instance),
            None => self.fresh(),
        }
    }

    /// Gives a healthy instance back for reuse.
    pub(super) fn checkin(&self, instance: Instance) {
        self.pool.give(instance, self.limits.load().max_invocations);
    }

    /// Creates one fresh instance and parks it in the warm pool (dropped if the pool is full), so
    /// the next call skips instantiation.
    ///
    /// # Errors
    /// When instantiation fails (engine pool exhausted, or the plugin traps while starting).
    pub fn warm_up(&self) -> Result<(), PluginError> {
        let instance = self.fresh()?;
        self.checkin(instance);
        Ok(())
    }

    /// Idle warm instances right now.
    pub fn idle_instances(&self) -> usize {
        self.pool.idle()
    }
}

/// One version of one sync: its server and client stage, as published together.
#[derive(Debug)]
pub struct Route {
    pub(super) key: RouteKey,
    pub(super) server: Option<Arc<LoadedStage>>,
    pub(super) client: Option<Arc<LoadedStage>>,
}

impl Route {
    /// The route's key.
    pub fn key(&self) -> &RouteKey {
        &self.key
    }

    /// The server stage, if the route has one.
    pub fn server(&self) -> Option<&Arc<LoadedStage>> {
        self.server.as_ref()
    }

    /// The client stage, if the route has one.
    pub fn client(&self) -> Option<&Arc<LoadedStage>> {
        self.client.as_ref()
    }

    /// The server stage's metadata (auth spec, schemas).
    pub fn server_metadata(&self) -> Option<&StageMetadata> {
        self.server.as_deref().map(LoadedStage::metadata)
    }

    /// The client stage's metadata.
    pub fn client_metadata(&self) -> Option<&StageMetadata> {
        self.client.as_deref().map(LoadedStage::metadata)
    }
}
