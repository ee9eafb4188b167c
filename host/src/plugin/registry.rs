//! The registry: which file serves which route, and the published route table.
//!
//! A scan walks the plugins root (under the rules of `folder`), hashes every plugin file, loads the
//! new or changed ones, and then publishes a new table in one atomic swap (arc-swap). Readers never
//! lock: a request loads the table once and pins one `Arc<Route>`, and [`Registry::status`] reads the
//! last published report, so `/metrics` and `synchost plugins` never wait for a scan that is
//! compiling. Scans and config changes are serialised by one mutex and run on the reload thread (or
//! at start), never on a request. A file that fails to load, or that the folder rules refuse, keeps
//! the previous good version published and shows up in [`RegistryStatus::errors`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use super::folder::{self, Refusal};
use super::loader::{Loader, content_hash};
use super::names::{FileKind, PluginFileName, RouteKey, classify};
use super::route::{LoadedStage, Route};
use super::status::{FileError, RegistryStatus, RouteStatus, StageStatus};
use crate::config::{Config, Stage};

type RouteTable = HashMap<RouteKey, Arc<Route>>;
/// A route's server and client stage while a table is being built.
type StagePair = (Option<Arc<LoadedStage>>, Option<Arc<LoadedStage>>);

struct FileEntry {
    name: PluginFileName,
    /// Hash of the content last tried, loaded or not: unchanged content is not retried.
    hash: String,
    loaded: Option<Arc<LoadedStage>>,
}

#[derive(Default)]
struct ScanState {
    files: BTreeMap<PathBuf, FileEntry>,
    errors: BTreeMap<PathBuf, String>,
    /// Entries the folder rules refused in the latest scan, with the reason.
    refused: BTreeMap<PathBuf, String>,
    ignored: BTreeSet<PathBuf>,
    scans: u64,
    config_loads: u64,
    config_error: Option<String>,
}

/// What [`Registry::status`] reports besides the live table: copied from the scan state whenever it
/// changes, so reading it never takes the scan lock.
#[derive(Debug, Default)]
struct Report {
    scans: u64,
    config_loads: u64,
    errors: Vec<FileError>,
    ignored: Vec<PathBuf>,
    config_error: Option<String>,
}

impl Report {
    fn of(state: &ScanState) -> Self {
        Self {
            scans: state.scans,
            config_loads: state.config_loads,
            errors: state
                .errors
                .iter()
                .chain(state.refused.iter())
                .map(|(path, message)| FileError {
                    path: path.clone(),
                    message: message.clone(),
                })
                .collect(),
            ignored: state.ignored.iter().cloned().collect(),
            config_error: state.config_error.clone(),
        }
    }
}

/// The route table and the files behind it.
pub struct Registry {
    root: PathBuf,
    loader: Loader,
    config: ArcSwap<Config>,
    routes: ArcSwap<RouteTable>,
    state: Mutex<ScanState>,
    report: ArcSwap<Report>,
    generation: AtomicU64,
    after_scan: Option<ScanHook>,
}

/// Called after every scan (the first one included) with the plugins root, for files that live
/// beside the plugins (the message files of the i18n layer), and the routes published now, sorted
/// by key (the types file). It gets what it needs as arguments, so nothing built on the runtime has
/// to be attached to it after the runtime exists.
pub type ScanHook = Arc<dyn Fn(&Path, &[Arc<Route>]) + Send + Sync>;

impl Registry {
    /// An empty registry over `root`; call [`Registry::scan`] to fill it.
    pub fn new(
        root: PathBuf,
        loader: Loader,
        config: Arc<Config>,
        after_scan: Option<ScanHook>,
    ) -> Self {
        let state = ScanState {
            config_loads: 1,
            ..ScanState::default()
        };
        Self {
            root,
            loader,
            config: ArcSwap::new(config),
            routes: ArcSwap::default(),
            report: ArcSwap::new(Arc::new(Report::of(&state))),
            state: Mutex::new(state),
            generation: AtomicU64::new(0),
            after_scan,
        }
    }

    /// The plugins root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    /// The current version of `key`.
    pub fn route(&self, key: &RouteKey) -> Option<Arc<Route>> {
        self.routes.load().get(key).cloned()
    }

    /// Every published route, sorted by key.
    pub fn routes(&self) -> Vec<Arc<Route>> {
        let mut routes: Vec<_> = self.routes.load().values().cloned().collect();
        routes.sort_by(|a, b| a.key().cmp(b.key()));
        routes
    }

    /// Walks the root, loads new and changed files, unpublishes deleted ones, publishes the result.
    pub fn scan(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let config = self.config.load_full();
        let listing = folder::walk(&self.root);
        let mut seen = BTreeSet::new();
        let mut changed = false;
        state.refused.clear();
        for (relative, refusal) in listing.refused {
            tracing::warn!(file = %relative.display(), "{refusal}");
            state.errors.remove(&relative);
            state.refused.insert(relative.clone(), refusal.to_string());
            seen.insert(relative);
        }
        for relative in listing.files {
            let name = match classify(&relative) {
                FileKind::Plugin(name) => name,
                FileKind::Skipped => continue,
                FileKind::Unrecognised => {
                    if state.ignored.insert(relative.clone()) {
                        tracing::warn!(file = %relative.display(), "ignoring a file that is not <page>/_sync/<name>_<server|client>_v<n>.wasm");
                    }
                    continue;
                }
            };
            seen.insert(relative.clone());
            changed |= self.refresh(&mut state, &config, relative, name);
        }
        // Errors of entries that are gone, or that are now regular files without one, are over.
        state.errors.retain(|path, _| seen.contains(path));
        let gone: Vec<PathBuf> = state
            .files
            .keys()
            .filter(|path| !seen.contains(*path))
            .cloned()
            .collect();
        for path in gone {
            if config.runtime.unpublish_on_delete {
                tracing::info!(file = %path.display(), "plugin file deleted: stage unpublished");
                state.files.remove(&path);
                changed = true;
            }
        }
        let root = &self.root;
        state
            .ignored
            .retain(|path| std::fs::symlink_metadata(root.join(path)).is_ok());
        state.scans += 1;
        if changed {
            self.publish(&state);
        }
        self.report.store(Arc::new(Report::of(&state)));
        drop(state);
        if let Some(hook) = &self.after_scan {
            hook(&self.root, &self.routes());
        }
    }

    /// Loads one plugin file if its content changed; returns whether the published set changed.
    fn refresh(
        &self,
        state: &mut ScanState,
        config: &Config,
        relative: PathBuf,
        name: PluginFileName,
    ) -> bool {
        let cap_kb = config.runtime.max_plugin_file_kb;
        let bytes = match folder::read_regular(&self.root.join(&relative), cap_kb) {
            Ok(bytes) => bytes,
            Err(Refusal::Io(error)) => {
                state
                    .errors
                    .insert(relative, Refusal::Io(error).to_string());
                return false;
            }
            Err(refusal) => {
                tracing::warn!(file = %relative.display(), "{refusal}");
                state.errors.remove(&relative);
                state.refused.insert(relative, refusal.to_string());
                return false;
            }
        };
        let hash = content_hash(&bytes);
        if state
            .files
            .get(&relative)
            .is_some_and(|entry| entry.hash == hash)
        {
            return false;
        }
        let limits =
            config
                .plugins
                .limits_for(&name.key.page, &name.key.name, name.key.version, name.stage);
        let loaded = self
            .loader
            .load(&relative, &name, &bytes, hash.clone(), limits);
        let previous = state.files.remove(&relative).and_then(|entry| entry.loaded);
        match loaded {
            Ok(stage) => {
                tracing::info!(
                    plugin = %name.key,
                    stage = name.stage.as_str(),
                    hash = &hash[..12],
                    startup_fuel = stage.startup.fuel,
                    startup_ms = stage.startup.ms,
                    "plugin loaded"
                );
                state.errors.remove(&relative);
                state.files.insert(
                    relative,
                    FileEntry {
                        name,
                        hash,
                        loaded: Some(Arc::new(stage)),
                    },
                );
                true
            }
            Err(error) => {
                let kept = if previous.is_some() {
                    "; the previous version stays published"
                } else {
                    ""
                };
                tracing::error!(file = %relative.display(), "plugin not loaded: {error}{kept}");
                state.errors.insert(relative.clone(), error.to_string());
                state.files.insert(
                    relative,
                    FileEntry {
                        name,
                        hash,
                        loaded: previous,
                    },
                );
                false
            }
        }
    }

    fn publish(&self, state: &ScanState) {
        let mut stages: BTreeMap<RouteKey, StagePair> = BTreeMap::new();
        for entry in state.files.values() {
            let Some(stage) = &entry.loaded else { continue };
            let slot = stages.entry(entry.name.key.clone()).or_default();
            match entry.name.stage {
                Stage::Server => slot.0 = Some(stage.clone()),
                Stage::Client => slot.1 = Some(stage.clone()),
            }
        }
        let table = stages
            .into_iter()
            .map(|(key, (server, client))| {
                (
                    key.clone(),
                    Arc::new(Route {
                        key,
                        server,
                        client,
                    }),
                )
            })
            .collect();
        self.routes.store(Arc::new(table));
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Applies a new configuration: per-plugin limits change for the next call; engine-wide settings
    /// (`[runtime]`, `[store]`) need a restart and are reported, not applied.
    pub fn apply_config(&self, config: Config) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.config.load_full();
        if config.runtime != current.runtime || config.store != current.store {
            tracing::warn!("config: [runtime] and [store] changes apply after a restart");
        }
        for entry in state.files.values() {
            if let Some(stage) = &entry.loaded {
                let key = &entry.name.key;
                stage.set_limits(config.plugins.limits_for(
                    &key.page,
                    &key.name,
                    key.version,
                    entry.name.stage,
                ));
            }
        }
        let mut applied = (*current).clone();
        applied.plugins = config.plugins;
        self.config.store(Arc::new(applied));
        state.config_loads += 1;
        state.config_error = None;
        self.report.store(Arc::new(Report::of(&state)));
        tracing::info!("config reloaded: plugin limits apply from the next call");
    }

    /// Records a config file change that could not be used.
    pub fn reject_config(&self, message: String) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        tracing::error!("config change rejected, the previous config stays in force: {message}");
        state.config_error = Some(message);
        self.report.store(Arc::new(Report::of(&state)));
    }

    /// A snapshot for operators and tests; never waits for a scan in progress.
    pub fn status(&self) -> RegistryStatus {
        let report = self.report.load_full();
        let stage_status = |stage: Option<&Arc<LoadedStage>>| {
            stage.map(|stage| StageStatus {
                hash: stage.hash().to_owned(),
                path: stage.path().to_owned(),
            })
        };
        let table = self.routes.load();
        let mut routes: Vec<RouteStatus> = table
            .values()
            .map(|route| RouteStatus {
                key: route.key().clone(),
                server: stage_status(route.server()),
                client: stage_status(route.client()),
            })
            .collect();
        routes.sort_by(|a, b| a.key.cmp(&b.key));
        RegistryStatus {
            generation: self.generation.load(Ordering::Acquire),
            scans: report.scans,
            config_loads: report.config_loads,
            routes,
            errors: report.errors.clone(),
            ignored: report.ignored.clone(),
            config_error: report.config_error.clone(),
            cache: self.loader.cache().stats(),
            versions_alive: self.loader.versions_alive(),
            pool: self.loader.pool_stats(),
        }
    }
}
