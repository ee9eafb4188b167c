//! The registry: which file serves which route, and the published route table.
//!
//! A scan walks the plugins root (under the rules of `folder`), hashes every plugin file, loads the
//! new or changed ones, and then publishes a new table in one atomic swap (arc-swap). Readers never
//! lock: a request loads the table once and pins one `Arc<Route>`, and [`Registry::status`] reads the
//! last published report, so `/metrics` and `synchost plugins` never wait for a scan that is
//! compiling. Scans and config changes are serialised by one mutex and run on the reload thread (or
//! at start), never on a request. A file that fails to load, or that the folder rules refuse, keeps
//! the previous good version published and shows up in [`RegistryStatus::errors`].
//!
//! Publishing fails closed (see `stage_sets`): a version is served only with every stage it was
//! ever published with, remembered in the store's ledger across restarts; a version missing one of
//! them is listed in [`RegistryStatus::unavailable`] and answered with a refusal, never served with
//! the stage that is left.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;

use super::folder::{self, Refusal};
use super::loader::guest::guest_of;
use super::loader::{Loader, content_hash};
use super::names::{FileKind, PluginFileName, classify};
use super::route::{LoadedStage, Route};
use super::stage_sets::{self, Decision, Missing, StageSet};
use super::status::{
    FileError, JoinStatus, LoadCount, RegistryStatus, RouteStatus, StageStatus, UnavailableRoute,
};
use crate::config::RouteKey;
use crate::config::{Config, Stage};
use crate::store::PublishedStages;

/// What a scan publishes: the routes served, the versions refused and the join handlers, swapped
/// in together.
#[derive(Default)]
struct RouteTable {
    routes: HashMap<RouteKey, Arc<Route>>,
    unavailable: HashMap<RouteKey, UnavailableRoute>,
    joins: HashMap<RouteKey, Arc<LoadedStage>>,
}

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
    /// Every plugin file present in the latest scan, loaded or not.
    present: BTreeMap<PathBuf, PluginFileName>,
    /// The stage set each version has been published with (the ledger's rows).
    first: BTreeMap<RouteKey, StageSet>,
    /// New one-stage versions seen by the latest scan, waiting for the next one (see
    /// [`Registry::watched`]).
    held: BTreeMap<RouteKey, StageSet>,
    ignored: BTreeSet<PathBuf>,
    scans: u64,
    config_loads: u64,
    config_error: Option<String>,
    /// Loads per route version and stage, kept while such a file is present.
    loads: BTreeMap<(RouteKey, Stage), LoadCount>,
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
    loads: Vec<(RouteKey, Stage, LoadCount)>,
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
            loads: state
                .loads
                .iter()
                .map(|((key, stage), count)| (key.clone(), *stage, *count))
                .collect(),
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
    ledger: PublishedStages,
    /// Whether a watcher scans again on request (see [`Registry::watched`]).
    watched: AtomicBool,
    /// Counts applied configurations, for [`Registry::config_changes`].
    changes: tokio::sync::watch::Sender<u64>,
    after_scan: Option<ScanHook>,
}

/// Called after every scan (the first one included) with the plugins root, for files that live
/// beside the plugins (the message files of the i18n layer), and the routes published now, sorted
/// by key (the types file). It gets what it needs as arguments, so nothing built on the runtime has
/// to be attached to it after the runtime exists.
pub type ScanHook = Arc<dyn Fn(&Path, &[Arc<Route>]) + Send + Sync>;

impl Registry {
    /// An empty registry over `root` that remembers stage sets in `ledger`; call
    /// [`Registry::scan`] to fill it.
    ///
    /// # Errors
    /// [`KvError::Storage`](crate::store::KvError) when the ledger cannot be read: starting without
    /// it could serve a version with a stage missing.
    pub fn new(
        root: PathBuf,
        loader: Loader,
        config: Arc<Config>,
        ledger: PublishedStages,
        after_scan: Option<ScanHook>,
    ) -> Result<Self, crate::store::KvError> {
        let mut first = BTreeMap::new();
        for (key, stages) in ledger.all()? {
            match (key.parse::<RouteKey>(), StageSet::parse(&stages)) {
                (Ok(key), Some(stages)) => {
                    first.insert(key, stages);
                }
                _ => tracing::warn!(row = %key, "published-stages ledger: unreadable row ignored"),
            }
        }
        let state = ScanState {
            config_loads: 1,
            first,
            ..ScanState::default()
        };
        Ok(Self {
            root,
            loader,
            config: ArcSwap::new(config),
            routes: ArcSwap::default(),
            report: ArcSwap::new(Arc::new(Report::of(&state))),
            state: Mutex::new(state),
            generation: AtomicU64::new(0),
            ledger,
            watched: AtomicBool::new(false),
            changes: tokio::sync::watch::Sender::new(0),
            after_scan,
        })
    }

    /// The plugins root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    /// The current version of `key`, if it is served.
    pub fn route(&self, key: &RouteKey) -> Option<Arc<Route>> {
        self.routes.load().routes.get(key).cloned()
    }

    /// The join handler `key` names, if it is loaded.
    pub fn join_handler(&self, key: &RouteKey) -> Option<Arc<LoadedStage>> {
        self.routes.load().joins.get(key).cloned()
    }

    /// Why `key` is refused, if it is a published version with a stage missing.
    pub fn unavailable(&self, key: &RouteKey) -> Option<UnavailableRoute> {
        self.routes.load().unavailable.get(key).cloned()
    }

    /// Every served route, sorted by key.
    pub fn routes(&self) -> Vec<Arc<Route>> {
        let mut routes: Vec<_> = self.routes.load().routes.values().cloned().collect();
        routes.sort_by(|a, b| a.key().cmp(b.key()));
        routes
    }

    /// Says a watcher now scans again whenever [`Registry::scan`] asks for it. From then on a new
    /// version seen with one stage is published one scan later, when it still has one: the second
    /// file of a two-stage deploy that arrives a moment after the first is not missed, so the version
    /// is never served half (its server stage alone would deliver unfiltered output).
    pub fn watched(&self) {
        self.watched.store(true, Ordering::Release);
    }

    /// Walks the root, loads new and changed files, unpublishes deleted ones, publishes the result.
    /// Returns whether a new version waits for another scan (only once [`Registry::watched`]).
    pub fn scan(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let config = self.config.load_full();
        let listing = folder::walk(&self.root);
        let mut seen = BTreeSet::new();
        let mut changed = false;
        let mut present = BTreeMap::new();
        state.refused.clear();
        for (relative, refusal) in listing.refused {
            if let FileKind::Plugin(name) = classify(&relative) {
                present.insert(relative.clone(), name);
            }
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
                        tracing::warn!(file = %relative.display(), "ignoring a file that is not <page>/_sync/<name>_<server|client|join>_v<n>.wasm");
                    }
                    continue;
                }
            };
            seen.insert(relative.clone());
            present.insert(relative.clone(), name.clone());
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
        changed |= present != state.present || !state.held.is_empty();
        state.loads.retain(|(key, stage), _| {
            present
                .values()
                .any(|name| name.key == *key && name.stage == *stage)
        });
        state.present = present;
        if changed {
            // Whoever sees the new routes must find the load counts of files that are gone already
            // gone (the metrics page reads the routes, then the report). The scan is not counted
            // yet, so waiting for a scan still waits for the report stored below.
            self.report.store(Arc::new(Report::of(&state)));
        }
        state.scans += 1;
        if changed {
            self.publish(&mut state);
        }
        self.report.store(Arc::new(Report::of(&state)));
        let again = !state.held.is_empty();
        drop(state);
        if let Some(hook) = &self.after_scan {
            hook(&self.root, &self.routes());
        }
        again
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
        let guest = guest_of(&bytes);
        let limits = config.plugins.limits_for(
            &name.key.page,
            &name.key.name,
            name.key.version,
            name.stage,
            guest,
        );
        let loaded = self
            .loader
            .load(&relative, &name, &bytes, hash.clone(), limits, guest);
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
                load_count(state, &name).loads += 1;
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
                load_count(state, &name).failures += 1;
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

    fn publish(&self, state: &mut ScanState) {
        let mut stages: BTreeMap<RouteKey, StagePair> = BTreeMap::new();
        let mut table = RouteTable::default();
        for entry in state.files.values() {
            let Some(stage) = &entry.loaded else { continue };
            let key = entry.name.key.clone();
            match entry.name.stage {
                Stage::Server => stages.entry(key).or_default().0 = Some(stage.clone()),
                Stage::Client => stages.entry(key).or_default().1 = Some(stage.clone()),
                // A join handler stands alone: it is served while its file is loaded, and a policy
                // naming one that is not refuses the join (see `sync::room_policy`).
                Stage::Join => {
                    table.joins.insert(key, stage.clone());
                }
            }
        }
        let mut present: BTreeMap<RouteKey, StageSet> = BTreeMap::new();
        for name in state.present.values() {
            let set = present.entry(name.key.clone()).or_default();
            *set = set.with(name.stage);
        }
        let keys: BTreeSet<RouteKey> = stages.keys().chain(present.keys()).cloned().collect();
        let previous = self.routes.load_full();
        let held = std::mem::take(&mut state.held);
        let hold_new = self.watched.load(Ordering::Acquire);
        for key in keys {
            let (server, client) = stages.remove(&key).unwrap_or_default();
            let loaded = StageSet {
                server: server.is_some(),
                client: client.is_some(),
            };
            let here = present.get(&key).copied().unwrap_or_default();
            let first = state.first.get(&key).copied();
            match stage_sets::decide(first, here, loaded) {
                Decision::Serve(set) => {
                    let single = !(set.server && set.client);
                    if first.is_none() && single && hold_new && held.get(&key) != Some(&set) {
                        state.held.insert(key, set);
                        continue;
                    }
                    if first != Some(set) {
                        self.remember(state, &key, set);
                    }
                    let route = Route {
                        key: key.clone(),
                        server: server.filter(|_| set.server),
                        client: client.filter(|_| set.client),
                    };
                    table.routes.insert(key, Arc::new(route));
                }
                Decision::Unavailable { stage, missing } => {
                    let reason = self.unavailable_reason(state, &key, stage, missing, first);
                    if previous.unavailable.get(&key).map(|old| &old.reason) != Some(&reason) {
                        tracing::warn!(plugin = %key, "version refused until its {} stage is back: {reason}", stage.as_str());
                    }
                    let refused = UnavailableRoute {
                        key: key.clone(),
                        stage,
                        reason,
                    };
                    table.unavailable.insert(key, refused);
                }
                Decision::Absent => {}
            }
        }
        self.routes.store(Arc::new(table));
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Records the stage set a version is published with (the first time, or grown), in memory and
    /// in the ledger. A ledger that cannot be written is logged; the set still holds until a restart.
    fn remember(&self, state: &mut ScanState, key: &RouteKey, set: StageSet) {
        if let Err(error) = self.ledger.set(&key.to_string(), set.as_text()) {
            tracing::error!(plugin = %key, "published-stages ledger not written: {error}");
        }
        state.first.insert(key.clone(), set);
    }

    /// Why `key` is refused, in words for operators.
    fn unavailable_reason(
        &self,
        state: &ScanState,
        key: &RouteKey,
        stage: Stage,
        missing: Missing,
        first: Option<StageSet>,
    ) -> String {
        let published =
            first.map_or_else(|| "its stage files".to_owned(), |first| format!("{first}"));
        match missing {
            Missing::Deleted => format!(
                "the {} stage file is gone; {key} was published with {published}",
                stage.as_str()
            ),
            Missing::NotLoaded => {
                let error = state
                    .present
                    .iter()
                    .find(|(_, name)| &name.key == key && name.stage == stage)
                    .and_then(|(path, _)| {
                        state.errors.get(path).or_else(|| state.refused.get(path))
                    })
                    .map_or("not loaded", String::as_str);
                format!("the {} stage did not load: {error}", stage.as_str())
            }
        }
    }

    /// Applies a new configuration: per-plugin limits change for the next call, and `[sync]` and
    /// `[rooms]` for the next request (watchers of [`Registry::config_changes`] are told, so room
    /// policies are enforced on current members too); the other sections need a restart and are
    /// reported, not applied.
    pub fn apply_config(&self, config: Config) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.config.load_full();
        // The file never holds the command-line values; the running config does.
        let config = config.inherit_overrides(&current);
        for section in restart_only_changes(&config, &current) {
            tracing::warn!("config: {section} changes apply after a restart");
        }
        for entry in state.files.values() {
            if let Some(stage) = &entry.loaded {
                let key = &entry.name.key;
                stage.set_limits(config.plugins.limits_for(
                    &key.page,
                    &key.name,
                    key.version,
                    entry.name.stage,
                    stage.guest,
                ));
            }
        }
        let mut applied = (*current).clone();
        applied.plugins = config.plugins;
        applied.sync = config.sync;
        applied.rooms = config.rooms;
        self.config.store(Arc::new(applied));
        state.config_loads += 1;
        state.config_error = None;
        self.report.store(Arc::new(Report::of(&state)));
        self.changes.send_modify(|loads| *loads += 1);
        tracing::info!("config reloaded: plugin limits, [sync] and [rooms] apply from now on");
    }

    /// Whether `config` differs from the one in force in a section applied live.
    pub fn differs_live(&self, config: &Config) -> bool {
        let current = self.config.load();
        config.plugins != current.plugins
            || config.sync != current.sync
            || config.rooms != current.rooms
    }

    /// Changes each time a configuration is applied (its value counts them).
    pub fn config_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
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
            .routes
            .values()
            .map(|route| RouteStatus {
                key: route.key().clone(),
                server: stage_status(route.server()),
                client: stage_status(route.client()),
            })
            .collect();
        routes.sort_by(|a, b| a.key.cmp(&b.key));
        let mut unavailable: Vec<UnavailableRoute> = table.unavailable.values().cloned().collect();
        unavailable.sort_by(|a, b| a.key.cmp(&b.key));
        let mut joins: Vec<JoinStatus> = table
            .joins
            .iter()
            .filter_map(|(key, stage)| {
                Some(JoinStatus {
                    key: key.clone(),
                    handler: stage_status(Some(stage))?,
                })
            })
            .collect();
        joins.sort_by(|a, b| a.key.cmp(&b.key));
        RegistryStatus {
            generation: self.generation.load(Ordering::Acquire),
            scans: report.scans,
            config_loads: report.config_loads,
            routes,
            unavailable,
            joins,
            errors: report.errors.clone(),
            ignored: report.ignored.clone(),
            config_error: report.config_error.clone(),
            cache: self.loader.cache().stats(),
            versions_alive: self.loader.versions_alive(),
            pool: self.loader.pool_stats(),
            loads: report.loads.clone(),
        }
    }
}

fn load_count<'a>(state: &'a mut ScanState, name: &PluginFileName) -> &'a mut LoadCount {
    state
        .loads
        .entry((name.key.clone(), name.stage))
        .or_default()
}

/// The sections of `config` that differ from `current` and only take effect after a restart.
fn restart_only_changes(config: &Config, current: &Config) -> Vec<&'static str> {
    [
        ("[runtime]", config.runtime != current.runtime),
        ("[store]", config.store != current.store),
        ("[server]", config.server != current.server),
        ("[engine]", config.engine != current.engine),
        ("[auth]", config.auth != current.auth),
        ("[i18n]", config.i18n != current.i18n),
        ("[cluster]", config.cluster != current.cluster),
    ]
    .into_iter()
    .filter_map(|(section, changed)| changed.then_some(section))
    .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::ServerOverrides;

    /// A host started with `--port 0 --plugins out`.
    fn started() -> Config {
        Config::default().with_overrides(ServerOverrides {
            port: Some(0),
            plugins_root: Some("out".into()),
            ..ServerOverrides::default()
        })
    }

    #[test]
    fn a_reloaded_file_keeps_the_command_line_and_only_real_changes_ask_for_a_restart() {
        let current = started();
        let edited = Config::from_toml("[sync]\nrequire_membership = false\n").unwrap();
        // Taken as it is, the file would differ in [server]: the flags are not in it.
        assert_eq!(restart_only_changes(&edited, &current), ["[server]"]);
        let edited = edited.inherit_overrides(&current);
        assert_eq!(edited.server.port, 0);
        assert!(restart_only_changes(&edited, &current).is_empty());
        // A port in the file still loses to the flag; another [server] key is a real change.
        let port = Config::from_toml("[server]\nport = 4000\n").unwrap();
        assert!(restart_only_changes(&port.inherit_overrides(&current), &current).is_empty());
        let timeout = Config::from_toml("[server]\nconnect_timeout_ms = 1000\n").unwrap();
        assert_eq!(
            restart_only_changes(&timeout.inherit_overrides(&current), &current),
            ["[server]"]
        );
    }
}
