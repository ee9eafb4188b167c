//! Plugin file names: `<page>/_sync/<name>_<server|client|join>_v<n>.wasm`, relative to the plugins
//! root (`join`: a room's join handler, see `join`).
//!
//! Parsing is pure (no I/O) and strict: anything that does not match exactly is reported by the
//! registry and ignored, never guessed at. Dotfiles and `*.tmp` files are deployment leftovers
//! (write-then-rename) and are skipped silently.

use std::path::{Component, Path};

use crate::config::route_key::{is_segment, parse_version};
use crate::config::{RouteKey, Stage};

/// What a plugin file's path says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFileName {
    /// The route the file belongs to.
    pub key: RouteKey,
    /// The stage it implements.
    pub stage: Stage,
}

/// How a path under the plugins root is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A plugin file.
    Plugin(PluginFileName),
    /// A dotfile, a `*.tmp` file, or inside a dot-folder: skipped silently.
    Skipped,
    /// Anything else: reported once and ignored.
    Unrecognised,
}

/// Classifies `relative`, a path relative to the plugins root.
pub fn classify(relative: &Path) -> FileKind {
    let mut parts = Vec::new();
    for component in relative.components() {
        let Component::Normal(part) = component else {
            return FileKind::Unrecognised;
        };
        let Some(part) = part.to_str() else {
            return FileKind::Unrecognised;
        };
        if part.starts_with('.') {
            return FileKind::Skipped;
        }
        parts.push(part);
    }
    let Some(file) = parts.pop() else {
        return FileKind::Unrecognised;
    };
    // Message files (`<page>/_sync/<lang>.ftl`) sit beside the plugins; the i18n layer reads them.
    if file.ends_with(".tmp") || (file.ends_with(".ftl") && parts.last() == Some(&"_sync")) {
        return FileKind::Skipped;
    }
    match parse_file(&parts, file) {
        Some(name) => FileKind::Plugin(name),
        None => FileKind::Unrecognised,
    }
}

fn parse_file(folders: &[&str], file: &str) -> Option<PluginFileName> {
    let (sync_folder, page) = folders.split_last()?;
    if *sync_folder != "_sync" || page.is_empty() || !page.iter().all(|segment| is_segment(segment))
    {
        return None;
    }
    let stem = file.strip_suffix(".wasm")?;
    let (rest, version) = stem.rsplit_once("_v")?;
    let version = parse_version(version)?;
    let (name, stage) = if let Some(name) = rest.strip_suffix("_server") {
        (name, Stage::Server)
    } else if let Some(name) = rest.strip_suffix("_join") {
        (name, Stage::Join)
    } else {
        (rest.strip_suffix("_client")?, Stage::Client)
    };
    is_segment(name).then(|| PluginFileName {
        key: RouteKey::new(page.join("/"), name, version),
        stage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(path: &str) -> Option<(String, String, u32, Stage)> {
        match classify(Path::new(path)) {
            FileKind::Plugin(file) => {
                Some((file.key.page, file.key.name, file.key.version, file.stage))
            }
            _ => None,
        }
    }

    #[test]
    fn parses_plain_nested_and_underscored_names() {
        assert_eq!(
            plugin("examples/_sync/updateCounter_server_v1.wasm"),
            Some(("examples".into(), "updateCounter".into(), 1, Stage::Server))
        );
        assert_eq!(
            plugin("test/nestedTest/_sync/a_b_client_v12.wasm"),
            Some(("test/nestedTest".into(), "a_b".into(), 12, Stage::Client))
        );
        assert_eq!(
            plugin("chess/_sync/game_join_v1.wasm"),
            Some(("chess".into(), "game".into(), 1, Stage::Join))
        );
    }

    #[test]
    fn rejects_near_misses_and_skips_deploy_leftovers() {
        for path in [
            "examples/updateCounter_server_v1.wasm",
            "_sync/x_server_v1.wasm",
            "examples/_sync/x_server_v0.wasm",
            "examples/_sync/x_server_v01.wasm",
            "examples/_sync/x_worker_v1.wasm",
            "examples/_sync/_server_v1.wasm",
            "examples/_sync/x_server_v1.wat",
            "examples/_sync/x_server_v.wasm",
            "examples/_sync/README.md",
            "a b/_sync/x_server_v1.wasm",
        ] {
            assert_eq!(classify(Path::new(path)), FileKind::Unrecognised, "{path}");
        }
        for path in [
            ".x_server_v1.wasm",
            "examples/_sync/.x_server_v1.wasm",
            "examples/_sync/x_server_v1.wasm.tmp",
            ".cache/a.cwasm",
        ] {
            assert_eq!(classify(Path::new(path)), FileKind::Skipped, "{path}");
        }
    }
}
