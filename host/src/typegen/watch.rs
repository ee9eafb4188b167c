//! `synchost serve --types-out FILE`: keeps the types file in step with the published routes while
//! the server runs, so a front-end dev server picks up a changed handler's types by itself.
//!
//! It is driven by the runtime's `after_scan` hook and must never fail the scan: a write error is
//! logged and the next scan tries again.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use super::file::render;
use super::output::{published_routes, write_if_changed};
use super::schema::Limits;
use crate::plugin::PluginRuntime;

/// Rewrites one types file whenever the routes it describes change.
#[derive(Debug)]
pub struct TypesWatcher {
    path: PathBuf,
    /// Weak: the runtime owns the hook that owns this watcher.
    runtime: OnceLock<Weak<PluginRuntime>>,
    /// One write at a time: scans can overlap with the first write after start.
    writing: Mutex<()>,
}

impl TypesWatcher {
    /// A watcher for `path`; it writes nothing until [`TypesWatcher::attach`].
    pub fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            path,
            runtime: OnceLock::new(),
            writing: Mutex::new(()),
        })
    }

    /// Starts following `runtime` and writes the file for its current routes.
    pub fn attach(&self, runtime: &Arc<PluginRuntime>) {
        // A second attach keeps following the first runtime.
        let _ = self.runtime.set(Arc::downgrade(runtime));
        self.refresh();
    }

    /// Regenerates the file if the routes' types changed; call it after every scan. Does nothing
    /// before [`TypesWatcher::attach`] (the runtime's first scan runs before it exists).
    pub fn refresh(&self) {
        let Some(runtime) = self.runtime.get().and_then(Weak::upgrade) else {
            return;
        };
        let content = render(&published_routes(&runtime), Limits::default());
        let _guard = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        match write_if_changed(&self.path, &content) {
            Ok(true) => tracing::info!(file = %self.path.display(), "TypeScript types updated"),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(file = %self.path.display(), %error, "cannot write the TypeScript types");
            }
        }
    }
}
