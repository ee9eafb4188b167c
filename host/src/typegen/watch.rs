//! `synchost serve --types-out FILE`: keeps the types file in step with the published routes while
//! the server runs, so a front-end dev server picks up a changed handler's types by itself.
//!
//! It is driven by the runtime's `after_scan` hook, which hands it the routes published after each
//! scan (the first one included, so the file exists once the runtime has started). It must never
//! fail the scan: a write error is logged and the next scan tries again.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use super::file::render;
use super::output::{route_types, write_if_changed};
use super::schema::Limits;
use crate::plugin::Route;

/// Rewrites one types file whenever the routes it describes change.
#[derive(Debug)]
pub struct TypesWatcher {
    path: PathBuf,
    /// One write at a time: a scan may run on the reload thread while another is finishing.
    writing: Mutex<()>,
}

impl TypesWatcher {
    /// A watcher for `path`.
    pub fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            path,
            writing: Mutex::new(()),
        })
    }

    /// Regenerates the file if the types of `routes` (the published ones) differ from it; the
    /// runtime's `after_scan` hook calls it after every scan.
    pub fn refresh(&self, routes: &[Arc<Route>]) {
        let content = render(&route_types(routes), Limits::default());
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
