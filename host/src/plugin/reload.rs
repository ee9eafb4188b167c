//! Hot reload: a debounced watcher on the plugins folder and the config file, plus a periodic full
//! rescan as a safety net for missed events.
//!
//! Everything here runs on one background thread, so compiling never happens on a request. The
//! thread only ever calls [`Registry::scan`] and [`Registry::apply_config`]; those decide what to
//! publish. It holds the registry weakly and stops when the watcher is dropped with the runtime.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::Error;
use super::registry::Registry;
use crate::config::Config;

/// Keeps the watcher alive; dropping it stops hot reload.
pub struct ReloadHandle {
    _debouncer: Debouncer<notify_debouncer_full::notify::RecommendedWatcher, RecommendedCache>,
}

/// Starts watching `registry`'s root and, when given, the config file.
///
/// # Errors
/// [`Error::Watch`] when the OS watcher cannot be set up.
pub fn start(
    registry: &Arc<Registry>,
    config_path: Option<PathBuf>,
) -> Result<ReloadHandle, Error> {
    let config = registry.config();
    let (events, inbox) = mpsc::channel::<DebounceEventResult>();
    let watch_error = |error: notify_debouncer_full::notify::Error| Error::Watch(error.to_string());
    let mut debouncer = new_debouncer(
        Duration::from_millis(config.runtime.debounce_ms),
        None,
        events,
    )
    .map_err(watch_error)?;
    debouncer
        .watch(registry.root(), RecursiveMode::Recursive)
        .map_err(watch_error)?;
    let config_file = match config_path {
        Some(path) => {
            let folder = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let folder = folder
                .canonicalize()
                .map_err(|error| Error::Watch(format!("{}: {error}", folder.display())))?;
            debouncer
                .watch(&folder, RecursiveMode::NonRecursive)
                .map_err(watch_error)?;
            path.file_name().map(|name| folder.join(name))
        }
        None => None,
    };
    let rescan_every = match config.runtime.rescan_interval_s {
        0 => None,
        seconds => Some(Duration::from_secs(seconds)),
    };
    let root = registry.root().to_owned();
    let settle = Duration::from_millis(config.runtime.debounce_ms);
    registry.watched();
    let weak = Arc::downgrade(registry);
    std::thread::Builder::new()
        .name("plugin-reload".into())
        .spawn(move || {
            let every = Rescans {
                interval: rescan_every,
                settle,
            };
            run(&weak, &inbox, &root, config_file.as_deref(), every);
        })
        .map_err(|error| Error::Watch(error.to_string()))?;
    Ok(ReloadHandle {
        _debouncer: debouncer,
    })
}

/// When the reload thread scans without a file event.
struct Rescans {
    /// The periodic full rescan (`rescan_interval_s`), if any.
    interval: Option<Duration>,
    /// How soon to scan again when a scan asks for it (`debounce_ms`).
    settle: Duration,
}

fn run(
    registry: &Weak<Registry>,
    inbox: &mpsc::Receiver<DebounceEventResult>,
    root: &Path,
    config_file: Option<&Path>,
    every: Rescans,
) {
    // Far enough to be "never" without overflowing `Instant` arithmetic.
    let never = Duration::from_secs(365 * 24 * 3600);
    let rescan_every = every.interval;
    let mut next_rescan = Instant::now() + rescan_every.unwrap_or(never);
    loop {
        let wait = next_rescan.saturating_duration_since(Instant::now());
        let (plugins_changed, config_changed) = match inbox.recv_timeout(wait) {
            Ok(batch) => {
                let mut changes = classify(&batch, root, config_file);
                // Fold in whatever else is already queued: one scan covers them all.
                while let Ok(batch) = inbox.try_recv() {
                    let more = classify(&batch, root, config_file);
                    changes = (changes.0 || more.0, changes.1 || more.1);
                }
                changes
            }
            Err(RecvTimeoutError::Timeout) => (true, config_file.is_some()),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(registry) = registry.upgrade() else {
            return;
        };
        if let Some(path) = config_file.filter(|_| config_changed) {
            reload_config(&registry, path);
        }
        let again = plugins_changed && registry.scan();
        if Instant::now() >= next_rescan {
            next_rescan = Instant::now() + rescan_every.unwrap_or(never);
        }
        if again {
            next_rescan = next_rescan.min(Instant::now() + every.settle);
        }
    }
}

/// Whether a batch touches the plugins folder and/or the config file. Watcher errors count as
/// "something changed": a rescan is cheap and always correct.
fn classify(batch: &DebounceEventResult, root: &Path, config_file: Option<&Path>) -> (bool, bool) {
    let Ok(events) = batch else {
        tracing::warn!("file watcher reported errors; rescanning");
        return (true, config_file.is_some());
    };
    let mut changes = (false, false);
    for path in events.iter().flat_map(|event| event.paths.iter()) {
        changes.0 |= path.starts_with(root);
        changes.1 |= config_file.is_some_and(|file| path == file);
    }
    changes
}

fn reload_config(registry: &Registry, path: &Path) {
    match Config::load(path) {
        Ok(config) if !registry.differs_live(&config) => {}
        Ok(config) => registry.apply_config(config),
        Err(error) => registry.reject_config(format!("{error}")),
    }
}
