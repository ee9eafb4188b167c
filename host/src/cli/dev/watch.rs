//! What a batch of file events in the plugins workspace asks `synchost dev` to do: rebuild these
//! crates or TypeScript handler files, copy these message files, re-read the workspace. Pure
//! sorting of paths; the watcher and the builds live in `dev/mod.rs`, `dev/build.rs` and
//! `dev/typescript.rs`.
//!
//! It must never react to its own output: anything under the target directory or `node_modules`,
//! inside a dotted folder or named like an editor's scratch file is ignored.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::typescript::handler_file;
use crate::cli::workspace::Workspace;

/// The work a batch of changed paths asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Packages whose sources changed.
    pub packages: BTreeSet<String>,
    /// `<page>/_sync/<lang>.ftl` files that changed, relative to the workspace root.
    pub messages: BTreeSet<PathBuf>,
    /// TypeScript handler files that changed, relative to the workspace root.
    pub typescript: BTreeSet<PathBuf>,
    /// Another TypeScript module changed (one that handlers may import): rebuild them all.
    pub typescript_all: bool,
    /// The workspace's own `Cargo.toml` changed (members added or removed).
    pub manifest: bool,
    /// A library crate the handlers share changed: every handler crate is built again.
    pub library: bool,
}

impl Changes {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
            && self.messages.is_empty()
            && self.typescript.is_empty()
            && !self.typescript_all
            && !self.manifest
            && !self.library
    }

    /// Sorts `paths` (absolute) into the work they ask for.
    pub fn sort<'a>(workspace: &Workspace, paths: impl IntoIterator<Item = &'a Path>) -> Self {
        let mut changes = Self::default();
        for path in paths {
            if path.starts_with(&workspace.target_dir) {
                continue;
            }
            let Ok(relative) = path.strip_prefix(&workspace.root) else {
                continue;
            };
            if ignored(relative) {
                continue;
            }
            if relative == Path::new("Cargo.toml") {
                changes.manifest = true;
            } else if let Some(krate) = workspace.crate_of(path) {
                changes.packages.insert(krate.package.clone());
            } else if workspace.library_of(path).is_some() {
                changes.library = true;
            } else if is_message_file(relative) {
                changes.messages.insert(relative.to_owned());
            } else if handler_file(relative).is_some() {
                changes.typescript.insert(relative.to_owned());
            } else if is_shared_module(relative) {
                changes.typescript_all = true;
            }
        }
        changes
    }

    /// Adds `other`'s work to this one.
    pub fn merge(&mut self, other: Self) {
        self.packages.extend(other.packages);
        self.messages.extend(other.messages);
        self.typescript.extend(other.typescript);
        self.typescript_all |= other.typescript_all;
        self.manifest |= other.manifest;
        self.library |= other.library;
    }
}

/// Dotted folders and files (`.git`, editor swap files), `target`, `node_modules`, and backups
/// ending in `~`.
fn ignored(relative: &Path) -> bool {
    relative.components().any(|component| match component {
        Component::Normal(part) => part.to_str().is_none_or(|part| {
            part.starts_with('.')
                || part == "target"
                || part == "node_modules"
                || part.ends_with('~')
        }),
        _ => true,
    })
}

/// A TypeScript module that is neither a handler nor a test: handlers may import it.
fn is_shared_module(relative: &Path) -> bool {
    relative.extension().is_some_and(|ext| ext == "ts")
        && relative
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| !name.ends_with(".test.ts"))
}

/// `<page>/_sync/<lang>.ftl`.
pub fn is_message_file(relative: &Path) -> bool {
    relative.extension().is_some_and(|ext| ext == "ftl")
        && relative
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|folder| folder == "_sync")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cli::workspace::HandlerCrate;
    use synchost::plugin::names::{FileKind, classify};

    fn workspace() -> Workspace {
        let FileKind::Plugin(file) = classify(Path::new("a/_sync/x_server_v1.wasm")) else {
            panic!("a plugin name");
        };
        Workspace {
            root: PathBuf::from("/ws"),
            target_dir: PathBuf::from("/ws/target"),
            crates: vec![HandlerCrate {
                package: "a-x-server-v1".into(),
                dir: PathBuf::from("/ws/a/_sync/x_server_v1"),
                served: "a/_sync/x_server_v1".into(),
                file,
            }],
            libraries: vec![PathBuf::from("/ws/shared")],
        }
    }

    #[test]
    fn sources_messages_and_the_manifest_are_told_apart() {
        let paths = [
            "/ws/a/_sync/x_server_v1/src/lib.rs",
            "/ws/a/_sync/en.ftl",
            "/ws/Cargo.toml",
        ];
        let changes = Changes::sort(&workspace(), paths.iter().map(Path::new));
        assert_eq!(
            changes.packages.into_iter().collect::<Vec<_>>(),
            ["a-x-server-v1"]
        );
        assert_eq!(
            changes.messages.into_iter().collect::<Vec<_>>(),
            [PathBuf::from("a/_sync/en.ftl")]
        );
        assert!(changes.manifest);
    }

    #[test]
    fn a_shared_library_change_rebuilds_every_crate() {
        let changes = Changes::sort(&workspace(), [Path::new("/ws/shared/src/lib.rs")]);
        assert!(changes.library && changes.packages.is_empty());
    }

    #[test]
    fn typescript_handlers_shared_modules_and_tests_are_told_apart() {
        let handler = Changes::sort(&workspace(), [Path::new("/ws/b/_sync/y_client_v2.ts")]);
        assert_eq!(
            handler.typescript.into_iter().collect::<Vec<_>>(),
            [PathBuf::from("b/_sync/y_client_v2.ts")]
        );
        assert!(!handler.typescript_all);
        let shared = Changes::sort(&workspace(), [Path::new("/ws/b/lib/format.ts")]);
        assert!(shared.typescript_all && shared.typescript.is_empty());
        let test = Changes::sort(&workspace(), [Path::new("/ws/b/_sync/y.test.ts")]);
        assert!(test.is_empty());
    }

    #[test]
    fn build_output_scratch_files_and_strangers_are_ignored() {
        let paths = [
            "/ws/target/wasm32-wasip2/live/a_x_server_v1.wasm",
            "/ws/a/_sync/x_server_v1/src/.lib.rs.swp",
            "/ws/a/_sync/x_server_v1/src/lib.rs~",
            "/ws/a/_sync/x_server_v1/target/x",
            "/ws/README.md",
            "/ws/node_modules/x/_sync/y_server_v1.ts",
            "/elsewhere/a/_sync/x_server_v1/src/lib.rs",
        ];
        assert!(Changes::sort(&workspace(), paths.iter().map(Path::new)).is_empty());
    }
}
