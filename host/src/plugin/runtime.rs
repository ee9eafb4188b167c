//! [`PluginRuntime`]: the public face of the plugin layer, as the sync pipeline uses it.
//!
//! Starting the runtime builds the engine, opens the kv store, starts the worker threads, loads every
//! plugin under the root and (optionally) starts hot reload. After that, a request looks up its route
//! once ([`PluginRuntime::route`]), opens a [`SyncCall`] on it ([`PluginRuntime::begin`]) and makes its
//! server and client calls through it; all of them use that one pinned version.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::bindings::Session;
use super::call::{ClientBatchCall, RecipientOutcome, ServerCall, SyncCall};
use super::engine;
use super::error::{Error, StageError};
use super::host_impl::HostServices;
use super::join;
use super::limits::Startup;
use super::loader::cache::CompileCache;
use super::loader::function_cache::FunctionCache;
use super::loader::{LoadBudget, Loader};
use super::metrics::PluginMetrics;
use super::registry::{Registry, ScanHook};
use super::reload::{self, ReloadHandle};
use super::rooms::{MemoryRooms, RoomDirectory};
use super::route::{LoadedStage, Route};
use super::status::{RegistryStatus, UnavailableRoute};
use super::worker::WorkerPool;
use crate::config::Config;
use crate::config::RouteKey;
use crate::store::{Kv, PublishedStages, Store};

/// Host stack reserved beyond `max_wasm_stack` on worker threads, for host frames under wasm ones.
const HOST_STACK_MARGIN: usize = 4 * 1024 * 1024;

/// How to start a runtime beyond its config and root.
pub struct RuntimeOptions {
    /// The config file to watch for limit changes (none: the config never changes).
    pub config_path: Option<PathBuf>,
    /// Answers the `rooms` capability.
    pub rooms: Arc<dyn RoomDirectory>,
    /// Backs the `kv` capability; `None` opens the embedded store at `store.path`.
    pub kv: Option<Arc<dyn Kv>>,
    /// Remembers the stage set each version was first published with. `None` takes the embedded
    /// store's when the runtime opens it (`kv` is `None`), else keeps the sets in memory only.
    pub published: Option<PublishedStages>,
    /// Whether to watch the root and config file for changes.
    pub hot_reload: bool,
    /// Called with the root and the published routes after every scan (the first one included).
    pub after_scan: Option<ScanHook>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            config_path: None,
            rooms: Arc::new(MemoryRooms::new()),
            kv: None,
            published: None,
            hot_reload: true,
            after_scan: None,
        }
    }
}

/// The plugin runtime: registry, engine, workers and hot reload.
pub struct PluginRuntime {
    registry: Arc<Registry>,
    workers: WorkerPool,
    metrics: Arc<PluginMetrics>,
    _reload: Option<ReloadHandle>,
}

impl PluginRuntime {
    /// Starts with default options (in-memory rooms, hot reload on, no config file watched).
    ///
    /// # Errors
    /// See [`PluginRuntime::start_with`].
    pub fn start(config: Config, root: impl AsRef<Path>) -> Result<Self, Error> {
        Self::start_with(config, root, RuntimeOptions::default())
    }

    /// Starts the runtime and loads every plugin under `root` before returning. Blocks while the
    /// plugins compile (or load from the cache): call it before serving, or from `spawn_blocking`.
    ///
    /// # Errors
    /// [`Error::Io`] when the root or cache folder is unusable, [`Error::Engine`], [`Error::Store`],
    /// [`Error::Watch`].
    pub fn start_with(
        config: Config,
        root: impl AsRef<Path>,
        options: RuntimeOptions,
    ) -> Result<Self, Error> {
        let root = root.as_ref();
        let root = root.canonicalize().map_err(|source| Error::Io {
            path: root.to_owned(),
            source,
        })?;
        let cache_dir = &config.runtime.cache_dir;
        let functions = Arc::new(FunctionCache::new(cache_dir)?);
        let engine = engine::build(&config.runtime, functions.clone())?;
        let cache = CompileCache::new(cache_dir, &engine, functions)?;
        let (kv, published) = match options.kv {
            Some(kv) => {
                let published = match options.published {
                    Some(published) => published,
                    None => PublishedStages::in_memory().map_err(Error::Store)?,
                };
                (kv, published)
            }
            None => {
                let store = Store::open(&config.store.path).map_err(Error::Store)?;
                let published = options
                    .published
                    .unwrap_or_else(|| store.published_stages());
                (Arc::new(store.kv()) as Arc<dyn Kv>, published)
            }
        };
        let services = Arc::new(HostServices {
            kv,
            rooms: options.rooms,
        });
        let worker_count = config.runtime.worker_count();
        let stack = config.runtime.max_wasm_stack_kb as usize * 1024 + HOST_STACK_MARGIN;
        let budget = LoadBudget {
            timeout_ms: config.runtime.load_timeout_ms,
            fuel: config.runtime.load_fuel,
            max_startup: Startup {
                fuel: config.runtime.max_startup_fuel,
                ms: config.runtime.max_startup_ms,
            },
            stack_bytes: stack,
        };
        let loader = Loader::new(engine, cache, services, worker_count, budget)?;
        let workers = WorkerPool::start(worker_count, stack).map_err(|source| Error::Io {
            path: PathBuf::from("<worker threads>"),
            source,
        })?;
        // After every scan the series of versions no longer published are dropped, scraped or not.
        let metrics = Arc::new(PluginMetrics::default());
        let after_scan: ScanHook = {
            let (metrics, hook) = (metrics.clone(), options.after_scan);
            Arc::new(move |root: &Path, routes: &[Arc<Route>]| {
                metrics.retain(|key| {
                    routes
                        .binary_search_by(|route| route.key().cmp(key))
                        .is_ok()
                });
                if let Some(hook) = &hook {
                    hook(root, routes);
                }
            })
        };
        let registry = Arc::new(
            Registry::new(root, loader, Arc::new(config), published, Some(after_scan))
                .map_err(Error::Store)?,
        );
        registry.scan();
        let reload = if options.hot_reload {
            Some(reload::start(&registry, options.config_path)?)
        } else {
            None
        };
        Ok(Self {
            registry,
            workers,
            metrics,
            _reload: reload,
        })
    }

    /// The per-route-version call metrics.
    pub fn metrics(&self) -> &PluginMetrics {
        &self.metrics
    }

    /// Every published route, sorted by key.
    pub fn routes(&self) -> Vec<Arc<Route>> {
        self.registry.routes()
    }

    /// The current version of a route, to pin for one request; `None` when it is not served.
    pub fn route(&self, key: &RouteKey) -> Option<Arc<Route>> {
        self.registry.route(key)
    }

    /// The join handler `key` names, if it is loaded (a room policy's `join`).
    pub fn join_handler(&self, key: &RouteKey) -> Option<Arc<LoadedStage>> {
        self.registry.join_handler(key)
    }

    /// Asks a join handler, on a worker thread, whether `session` (`None`: anonymous) may join
    /// `room`.
    ///
    /// # Errors
    /// The handler's refusal, or its failure (see [`StageError`]).
    pub async fn decide_join(
        &self,
        handler: Arc<LoadedStage>,
        room: String,
        session: Option<Session>,
    ) -> Result<(), StageError> {
        let series = self.metrics.join(handler.key());
        self.workers
            .run(move || join::decide_blocking(&handler, &series, room, session))
            .await?
    }

    /// Why a route that is not served is refused, when it is a published version with a stage
    /// missing (see [`RegistryStatus::unavailable`]).
    pub fn unavailable(&self, key: &RouteKey) -> Option<UnavailableRoute> {
        self.registry.unavailable(key)
    }

    /// Opens one sync's calls on a pinned route.
    pub fn begin(&self, route: Arc<Route>) -> SyncCall {
        let metrics = self.metrics.route(route.key());
        SyncCall::new(route, self.workers.clone(), metrics)
    }

    /// Runs a route's server stage alone (a one-call [`SyncCall`]). Under `per-request` isolation use
    /// [`PluginRuntime::begin`] so the client calls share the instance.
    ///
    /// # Errors
    /// As [`SyncCall::server`].
    pub async fn call_server(
        &self,
        route: &Arc<Route>,
        call: ServerCall,
    ) -> Result<Bytes, StageError> {
        self.begin(route.clone()).server(call).await
    }

    /// Runs a route's client stage alone (a one-call [`SyncCall`]).
    ///
    /// # Errors
    /// As [`SyncCall::clients`].
    pub async fn call_clients(
        &self,
        route: &Arc<Route>,
        call: ClientBatchCall,
    ) -> Result<Vec<RecipientOutcome>, StageError> {
        self.begin(route.clone()).clients(call).await
    }

    /// Rescans the root now, on the calling thread (blocks while files compile).
    pub fn rescan(&self) {
        if self.registry.scan() {
            self.registry.scan();
        }
    }

    /// Applies a new configuration now (as the config watcher does).
    pub fn apply_config(&self, config: Config) {
        self.registry.apply_config(config);
    }

    /// Routes, load errors, ignored files, cache counters.
    pub fn status(&self) -> RegistryStatus {
        self.registry.status()
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.registry.config()
    }

    /// Changes each time the config file's live sections are applied.
    pub fn config_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.registry.config_changes()
    }
}
