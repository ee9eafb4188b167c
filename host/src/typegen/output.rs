//! Getting the types out of published routes and into a file: the routes' schemas, and a file
//! write that never leaves a half-written file and never touches an unchanged one (so a bundler
//! watching it does not rebuild for nothing).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::file::{RouteTypes, StageTypes};
use crate::plugin::{Route, StageMetadata};

/// The stages' schemas of `routes`, in their order.
pub fn route_types(routes: &[Arc<Route>]) -> Vec<RouteTypes> {
    let stage = |metadata: Option<&StageMetadata>| {
        metadata.map(|metadata| StageTypes {
            input: metadata.input_schema.clone(),
            output: metadata.output_schema.clone(),
        })
    };
    routes
        .iter()
        .map(|route| RouteTypes {
            key: route.key().clone(),
            server: stage(route.server_metadata()),
            client: stage(route.client_metadata()),
        })
        .collect()
}

/// Writes `content` to `path` unless the file already holds exactly that; returns whether it
/// wrote. The new content goes to a temporary file beside `path` first and is renamed over it.
///
/// # Errors
/// When the folder is not writable or the rename fails.
pub fn write_if_changed(path: &Path, content: &str) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|current| current == content.as_bytes()) {
        return Ok(false);
    }
    let temporary = temporary_sibling(path);
    let written =
        std::fs::write(&temporary, content).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        // Best effort: the temporary file is ours and useless now.
        let _ = std::fs::remove_file(&temporary);
    }
    written.map(|()| true)
}

/// `.<name>.<pid>.<n>.tmp` in the same folder, unique per write so concurrent writers never share
/// a temporary file.
fn temporary_sibling(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map_or_else(|| "types".into(), |name| name.to_string_lossy());
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_only_when_the_content_changes_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apiTypes.generated.ts");
        assert!(write_if_changed(&path, "a").unwrap());
        assert!(!write_if_changed(&path, "a").unwrap());
        assert!(write_if_changed(&path, "b").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/folder/types.ts");
        assert!(write_if_changed(&path, "a").is_err());
    }
}
