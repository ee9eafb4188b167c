//! Message files that plugins ship beside their handlers: `<page>/_sync/<lang>.ftl` under the plugins
//! root (for example `chess/_sync/nl.ftl`).
//!
//! This module only finds, reads and parses the files and remembers the last good version of each;
//! `messages` decides how they join the catalogs. Plugin files are untrusted input: a bad file is
//! reported and its previous version kept, it never stops the host, and its size is bounded.
//! They are found and read under the plugins folder's rules (`plugin::folder`): regular files only,
//! never through a symlink, never blocking on a FIFO or device; this module must not open plugin
//! files any other way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::FluentResource;

use super::catalog::parse;
use super::negotiate::is_language;
use crate::plugin::folder::{self, Refusal};

/// Larger message files are refused: a handler's messages fit in a few kilobytes.
const MAX_FILE_KB: u64 = 1024;

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
        let listing = folder::walk(root);
        let mut errors = Vec::new();
        let mut next = BTreeMap::new();
        let mut keep_previous = |path: &PathBuf, next: &mut BTreeMap<PathBuf, PluginFile>| {
            if let Some(previous) = self.files.remove(path) {
                next.insert(path.clone(), previous);
            }
        };
        // Links, FIFOs and devices named like message files are reported, never opened.
        for (relative, refusal) in listing.refused {
            if is_message_file(&relative) {
                let path = root.join(relative);
                keep_previous(&path, &mut next);
                errors.push(PluginFileError {
                    path,
                    reason: refusal.to_string(),
                });
            }
        }
        for relative in listing.files {
            if !is_message_file(&relative) {
                continue;
            }
            let path = root.join(relative);
            match read(&path, languages) {
                Ok(file) => {
                    next.insert(path, file);
                }
                Err(reason) => {
                    keep_previous(&path, &mut next);
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
    let bytes = folder::read_regular(path, MAX_FILE_KB).map_err(|refusal| match refusal {
        Refusal::TooLarge { size, .. } => {
            format!("{size} bytes is more than the {MAX_FILE_KB} KiB allowed")
        }
        other => other.to_string(),
    })?;
    let source = String::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_owned())?;
    Ok(PluginFile {
        language,
        resource: parse(source)?,
    })
}

/// Whether `relative` (to the plugins root) is `<page>/_sync/<name>.ftl`: directly inside a `_sync`
/// folder that belongs to a page (`_sync` at the root belongs to none, and inside a `_sync` folder
/// there are only handlers).
fn is_message_file(relative: &Path) -> bool {
    let parts: Vec<_> = relative.iter().collect();
    match parts.as_slice() {
        [page @ .., sync, file] if !page.is_empty() => {
            *sync == "_sync"
                && page.iter().all(|part| *part != "_sync")
                && Path::new(file).extension().is_some_and(|ext| ext == "ftl")
        }
        _ => false,
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
            &"x".repeat(MAX_FILE_KB as usize * 1024 + 1),
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

    #[test]
    fn links_and_special_files_are_refused_unread() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "_sync/en.ftl", "leak = outside\n");
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        write(root, "chess/_sync/nl.ftl", "a = A\n");
        std::os::unix::fs::symlink(
            outside.path().join("_sync/en.ftl"),
            root.join("chess/_sync/en.ftl"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("linked")).unwrap();
        std::fs::create_dir_all(root.join("pipe/_sync")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("pipe/_sync/en.ftl"))
            .status()
            .unwrap();
        assert!(status.success());
        let mut files = PluginFiles::default();
        let mut errors = files.reload(root, &languages());
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(paths(&files, root), ["chess/_sync/nl.ftl:nl"]);
        let refused: Vec<(String, &str)> = errors
            .iter()
            .map(|error| {
                let relative = error.path.strip_prefix(root).unwrap().display();
                (relative.to_string(), error.reason.as_str())
            })
            .collect();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!(refused[0].0, "chess/_sync/en.ftl");
        assert!(refused[0].1.contains("symbolic link"), "{refused:?}");
        assert_eq!(refused[1].0, "pipe/_sync/en.ftl");
        assert!(refused[1].1.contains("FIFO"), "{refused:?}");
    }
}
