//! Message files that plugins ship beside their handlers: `<page>/_sync/<lang>.ftl` under the plugins
//! root (for example `chess/_sync/nl.ftl`).
//!
//! This module only finds, reads and parses the files and remembers the last good version of each;
//! `messages` decides how they join the catalogs. Plugin files are untrusted input: a bad file is
//! reported and its previous version kept, it never stops the host, and its size is bounded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::FluentResource;

use super::catalog::parse;
use super::negotiate::is_language;

/// How deep under the plugins root pages are looked for (the plugin loader uses the same bound).
const MAX_DEPTH: usize = 16;
/// Larger message files are refused: a handler's messages fit in a few kilobytes.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A plugin message file that could not be used; the file's previous messages, if any, stay in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFileError {
    /// The file (the plugins root joined with `<page>/_sync/<lang>.ftl`).
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// The last good version of one plugin message file.
pub(crate) struct PluginFile {
    /// The language, from the file name.
    pub(crate) language: String,
    /// The parsed messages.
    pub(crate) resource: Arc<FluentResource>,
}

/// Every plugin message file currently in force, by path.
#[derive(Default)]
pub(crate) struct PluginFiles {
    files: BTreeMap<PathBuf, PluginFile>,
}

impl PluginFiles {
    /// Re-reads every `<page>/_sync/<lang>.ftl` under `root`; files that are gone are dropped, files
    /// that fail keep their previous version and are returned. `languages` are the supported ones.
    pub(crate) fn reload(&mut self, root: &Path, languages: &[String]) -> Vec<PluginFileError> {
        let mut found = Vec::new();
        walk(root, 0, &mut found);
        let mut errors = Vec::new();
        let mut next = BTreeMap::new();
        for path in found {
            match read(&path, languages) {
                Ok(file) => {
                    next.insert(path, file);
                }
                Err(reason) => {
                    if let Some(previous) = self.files.remove(&path) {
                        next.insert(path.clone(), previous);
                    }
                    errors.push(PluginFileError { path, reason });
                }
            }
        }
        self.files = next;
        errors
    }

    /// The files in force, in path order (which decides between two plugins defining one id).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Path, &PluginFile)> {
        self.files.iter().map(|(path, file)| (path.as_path(), file))
    }
}

fn read(path: &Path, languages: &[String]) -> Result<PluginFile, String> {
    let language = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .filter(|stem| is_language(stem))
        .ok_or("plugin message files are named <lang>.ftl, for example en.ftl")?
        .to_owned();
    if languages.binary_search(&language).is_err() {
        return Err(format!(
            "the host has no built-in messages in `{language}` (languages: {})",
            languages.join(", ")
        ));
    }
    let size = std::fs::metadata(path)
        .map_err(|error| error.to_string())?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{size} bytes is more than the {MAX_FILE_BYTES} allowed"
        ));
    }
    let source = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
    Ok(PluginFile {
        language,
        resource: parse(source)?,
    })
}

/// Collects the `*.ftl` files directly inside every `_sync` folder that belongs to a page.
fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let path = entry.path();
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        // `_sync` at the root would belong to no page; inside a `_sync` folder there are only handlers.
        if name == "_sync" && depth > 0 {
            collect_ftl(&path, found);
        } else if name != "_sync" {
            walk(&path, depth + 1, found);
        }
    }
}

fn collect_ftl(sync_dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(sync_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let visible = entry
            .file_name()
            .to_str()
            .is_some_and(|name| !name.starts_with('.'));
        if visible && path.extension().is_some_and(|ext| ext == "ftl") && path.is_file() {
            found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn languages() -> Vec<String> {
        vec!["en".to_owned(), "nl".to_owned()]
    }

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn paths(files: &PluginFiles, root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|(path, file)| {
                let relative = path.strip_prefix(root).unwrap().display();
                format!("{relative}:{}", file.language)
            })
            .collect()
    }

    #[test]
    fn finds_files_in_page_sync_folders_only() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        write(root, "chess/_sync/en.ftl", "a = A\n");
        write(root, "test/nestedTest/_sync/nl.ftl", "b = B\n");
        write(root, "_sync/en.ftl", "c = C\n");
        write(root, "chess/_sync/x_server_v1/en.ftl", "d = D\n");
        write(root, "chess/_sync/.en.ftl", "e = E\n");
        write(root, "chess/en.ftl", "f = F\n");
        let mut files = PluginFiles::default();
        assert!(files.reload(root, &languages()).is_empty());
        assert_eq!(
            paths(&files, root),
            ["chess/_sync/en.ftl:en", "test/nestedTest/_sync/nl.ftl:nl"]
        );
    }

    #[test]
    fn misnamed_unsupported_and_oversized_files_are_reported() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        write(root, "a/_sync/messages.ftl", "a = A\n");
        write(root, "b/_sync/de.ftl", "a = A\n");
        write(
            root,
            "c/_sync/en.ftl",
            &"x".repeat(MAX_FILE_BYTES as usize + 1),
        );
        let mut files = PluginFiles::default();
        let mut errors = files.reload(root, &languages());
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        let reasons: Vec<&str> = errors.iter().map(|error| error.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("<lang>.ftl"), "{reasons:?}");
        assert!(reasons[1].contains("`de`"));
        assert!(reasons[2].contains("bytes"));
        assert_eq!(files.iter().count(), 0);
    }

    #[test]
    fn a_broken_file_keeps_its_previous_version_and_a_removed_file_goes() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        write(root, "chess/_sync/en.ftl", "a = A\n");
        write(root, "chess/_sync/nl.ftl", "a = NL\n");
        let mut files = PluginFiles::default();
        assert!(files.reload(root, &languages()).is_empty());
        let before = files.iter().next().unwrap().1.resource.clone();

        write(root, "chess/_sync/en.ftl", "a = { $\n");
        std::fs::remove_file(root.join("chess/_sync/nl.ftl")).unwrap();
        let errors = files.reload(root, &languages());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, root.join("chess/_sync/en.ftl"));
        assert_eq!(paths(&files, root), ["chess/_sync/en.ftl:en"]);
        let kept = files.iter().next().unwrap().1.resource.clone();
        assert!(Arc::ptr_eq(&before, &kept));
    }
}
