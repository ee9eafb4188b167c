//! `Messages`: every catalog the host translates error codes with, built-ins plus plugin files,
//! published as one immutable snapshot.
//!
//! Reads (`negotiate`, `message`) load the snapshot through `arc-swap` and never lock; only
//! `reload_plugin_files` takes a mutex, to serialise reloads. A lookup never fails: a missing message
//! falls back to the default language, then to the code itself.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use fluent_syntax::ast;

use super::builtin::{self, BuiltinFile, I18nError};
use super::catalog::{Arg, Catalog, code_to_id};
use super::negotiate::{self, primary_subtag};
use super::plugin_files::{PluginFileError, PluginFiles};

/// All message catalogs: built-ins (embedded or from a folder) plus plugin files. Cheap to clone (Arc inside).
#[derive(Clone)]
pub struct Messages {
    inner: Arc<Inner>,
}

struct Inner {
    default_language: String,
    /// Sorted; the languages with built-in files.
    languages: Vec<String>,
    builtin: Vec<BuiltinFile>,
    catalogs: ArcSwap<BTreeMap<String, Catalog>>,
    plugin_files: Mutex<PluginFiles>,
}

impl Messages {
    /// The messages compiled into the binary (the repository's `locales/`).
    ///
    /// # Errors
    /// `UnsupportedDefault` when there are no messages in `default_language`.
    pub fn builtin(default_language: &str) -> Result<Self, I18nError> {
        Self::new(builtin::embedded()?, default_language)
    }

    /// The messages in `<dir>/<lang>/*.ftl`, replacing the compiled-in ones.
    ///
    /// # Errors
    /// An unreadable folder or file, a folder not named by a language, a file that does not parse
    /// or redefines a message, no files at all, or no files in `default_language`.
    pub fn from_dir(dir: &Path, default_language: &str) -> Result<Self, I18nError> {
        Self::new(builtin::from_dir(dir)?, default_language)
    }

    fn new(builtin: Vec<BuiltinFile>, default_language: &str) -> Result<Self, I18nError> {
        let mut languages: Vec<String> = builtin.iter().map(|file| file.language.clone()).collect();
        languages.sort();
        languages.dedup();
        // A configured `en-US` means the `en` catalog, as it would in a header.
        let default_language =
            primary_subtag(default_language).unwrap_or_else(|| default_language.to_owned());
        if languages.binary_search(&default_language).is_err() {
            return Err(I18nError::UnsupportedDefault {
                language: default_language,
                available: languages.join(", "),
            });
        }
        let mut catalogs = empty_catalogs(&languages);
        add_builtin(&mut catalogs, &builtin)?;
        let inner = Inner {
            default_language,
            languages,
            builtin,
            catalogs: ArcSwap::from_pointee(catalogs),
            plugin_files: Mutex::new(PluginFiles::default()),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The supported languages (those with built-in files), sorted.
    pub fn languages(&self) -> Vec<String> {
        self.inner.languages.clone()
    }

    /// The language used when nothing else matches.
    pub fn default_language(&self) -> &str {
        &self.inner.default_language
    }

    /// Picks the language: the first of session language, x-language, Accept-Language (by q, `nl-BE` → `nl`,
    /// `*` ignored) that is supported; else the default.
    pub fn negotiate(
        &self,
        session: Option<&str>,
        x_language: Option<&str>,
        accept_language: Option<&str>,
    ) -> String {
        let inner = &self.inner;
        negotiate::negotiate(
            &inner.languages,
            &inner.default_language,
            session,
            x_language,
            accept_language,
        )
    }

    /// The message for `code` in `language`; falls back to the default language, then to the code.
    pub fn message(&self, language: &str, code: &str, args: &[(&str, Arg<'_>)]) -> String {
        let Some(id) = code_to_id(code) else {
            return code.to_owned();
        };
        let catalogs = self.inner.catalogs.load();
        let default = self.inner.default_language.as_str();
        let chosen = catalogs
            .get(language)
            .or_else(|| primary_subtag(language).and_then(|primary| catalogs.get(&primary)));
        chosen
            .and_then(|catalog| catalog.format(&id, args))
            .or_else(|| {
                catalogs
                    .get(default)
                    .and_then(|catalog| catalog.format(&id, args))
            })
            .unwrap_or_else(|| code.to_owned())
    }

    /// Re-reads every plugin message file under the plugins root: `<page>/_sync/<lang>.ftl` (e.g.
    /// `chess/_sync/nl.ftl`). A file that fails to parse keeps that file's previous messages and is reported in the
    /// returned list (and logged with tracing::warn!). Built-in messages win over plugin messages with the same id.
    pub fn reload_plugin_files(&self, root: &Path) -> Vec<PluginFileError> {
        let inner = &self.inner;
        let mut plugin_files = inner
            .plugin_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let errors = plugin_files.reload(root, &inner.languages);
        for error in &errors {
            tracing::warn!(file = %error.path.display(), reason = %error.reason, "plugin message file not loaded");
        }
        let mut catalogs = empty_catalogs(&inner.languages);
        if let Err(error) = add_builtin(&mut catalogs, &inner.builtin) {
            // The same files were accepted at startup, so this cannot happen; keep serving the old set.
            tracing::error!(%error, "built-in messages no longer load; plugin messages not updated");
            return errors;
        }
        for (path, id) in add_plugin_messages(&mut catalogs, &plugin_files) {
            tracing::warn!(file = %path.display(), id, "message already defined by the host or another plugin; ignored");
        }
        inner.catalogs.store(Arc::new(catalogs));
        errors
    }

    /// Whether `language` has message `id` (a Fluent id, not a code).
    #[cfg(test)]
    pub(crate) fn has(&self, language: &str, id: &str) -> bool {
        self.inner
            .catalogs
            .load()
            .get(language)
            .is_some_and(|catalog| catalog.has(id))
    }
}

/// Adds every plugin message file to `catalogs`; returns the messages ignored because the host or
/// another plugin defined the id first with another text. A twin (the same text in another page's
/// file, as a page ported to another language keeps it) is not a clash worth telling.
fn add_plugin_messages(
    catalogs: &mut BTreeMap<String, Catalog>,
    files: &PluginFiles,
) -> Vec<(std::path::PathBuf, String)> {
    let mut defined: HashMap<(&str, &str), &ast::Message<&str>> = HashMap::new();
    let mut ignored = Vec::new();
    for (path, file) in files.iter() {
        let Some(catalog) = catalogs.get_mut(&file.language) else {
            continue;
        };
        let clashes = catalog.add(file.resource.clone());
        for entry in file.resource.entries() {
            let ast::Entry::Message(message) = entry else {
                continue;
            };
            let key = (file.language.as_str(), message.id.name);
            let twin = defined
                .get(&key)
                .is_some_and(|earlier| same_text(earlier, message));
            if !twin && clashes.iter().any(|id| id == message.id.name) {
                ignored.push((path.to_owned(), message.id.name.to_owned()));
            }
            defined.entry(key).or_insert(message);
        }
    }
    ignored
}

/// Whether two messages say the same (comments aside).
fn same_text(a: &ast::Message<&str>, b: &ast::Message<&str>) -> bool {
    a.value == b.value && a.attributes == b.attributes
}

impl fmt::Debug for Messages {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Messages")
            .field("default_language", &self.inner.default_language)
            .field("languages", &self.inner.languages)
            .finish_non_exhaustive()
    }
}

fn empty_catalogs(languages: &[String]) -> BTreeMap<String, Catalog> {
    languages
        .iter()
        .map(|language| (language.clone(), Catalog::new(language)))
        .collect()
}

/// Adds the built-in files first, so that they win over any plugin file defining the same id.
fn add_builtin(
    catalogs: &mut BTreeMap<String, Catalog>,
    files: &[BuiltinFile],
) -> Result<(), I18nError> {
    for file in files {
        let Some(catalog) = catalogs.get_mut(&file.language) else {
            continue;
        };
        if let Some(id) = catalog.add(file.resource.clone()).into_iter().next() {
            return Err(I18nError::InvalidFile {
                file: file.file.clone(),
                reason: format!("message `{id}` is defined twice"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `en` has `a`, `b` and `c`; `nl` has only `a`.
    fn sample() -> (tempfile::TempDir, Messages) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "en/one.ftl", "a = A en { $x }\nb = B en\n");
        write(dir.path(), "en/two.ftl", "c = C en\n");
        write(dir.path(), "nl/one.ftl", "a = A nl { $x }\n");
        let messages = Messages::from_dir(dir.path(), "en").unwrap();
        (dir, messages)
    }

    #[test]
    fn a_plugin_message_clashes_unless_it_is_the_same_text_as_the_one_defined_first() {
        let (dir, messages) = sample();
        let root = dir.path().join("plugins");
        write(&root, "a/_sync/en.ftl", "# one page\nx-y = Same { $n }\n");
        write(
            &root,
            "b/_sync/en.ftl",
            "# its twin, commented otherwise\nx-y = Same { $n }\n",
        );
        write(&root, "c/_sync/en.ftl", "x-y = Different\n");
        write(&root, "d/_sync/en.ftl", "b = overrides a built-in\n");
        let mut files = PluginFiles::default();
        assert!(files.reload(&root, &messages.inner.languages).is_empty());
        let mut catalogs = empty_catalogs(&messages.inner.languages);
        add_builtin(&mut catalogs, &messages.inner.builtin).unwrap();
        let mut ignored: Vec<(String, String)> = add_plugin_messages(&mut catalogs, &files)
            .into_iter()
            .map(|(path, id)| {
                let relative = path.strip_prefix(&root).unwrap_or(&path);
                (relative.display().to_string(), id)
            })
            .collect();
        ignored.sort();
        assert_eq!(
            ignored,
            [
                ("c/_sync/en.ftl".to_owned(), "x-y".to_owned()),
                ("d/_sync/en.ftl".to_owned(), "b".to_owned()),
            ]
        );
    }

    #[test]
    fn messages_can_be_shared_across_threads() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<Messages>();
    }

    #[test]
    fn languages_come_from_the_folders() {
        let (dir, messages) = sample();
        assert_eq!(messages.languages(), ["en", "nl"]);
        assert_eq!(messages.default_language(), "en");
        let dutch = Messages::from_dir(dir.path(), "NL-be").unwrap();
        assert_eq!(dutch.default_language(), "nl");
        // Only the default language is a fallback, not every other language.
        assert_eq!(dutch.message("fr", "b", &[]), "b");
        assert_eq!(dutch.message("fr", "a", &[("x", Arg::Null)]), "A nl ");
        assert_eq!(messages.negotiate(None, None, Some("nl-BE")), "nl");
        assert_eq!(messages.negotiate(None, None, Some("fr")), "en");
    }

    #[test]
    fn a_missing_message_falls_back_to_the_default_language_then_the_code() {
        let (_dir, messages) = sample();
        assert_eq!(
            messages.message("nl", "a", &[("x", Arg::Number(3.0))]),
            "A nl 3"
        );
        assert_eq!(
            messages.message("nl-BE", "a", &[("x", Arg::Text("y"))]),
            "A nl y"
        );
        assert_eq!(messages.message("nl", "b", &[]), "B en");
        assert_eq!(
            messages.message("fr", "a", &[("x", Arg::Bool(false))]),
            "A en false"
        );
        assert_eq!(messages.message("nl", "absent.code", &[]), "absent.code");
        assert_eq!(messages.message("nl", "not a code!", &[]), "not a code!");
    }

    #[test]
    fn bad_folders_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let error = Messages::from_dir(root, "en").unwrap_err();
        assert!(matches!(error, I18nError::NoLanguages { .. }), "{error}");
        let error = Messages::from_dir(&root.join("missing"), "en").unwrap_err();
        assert!(matches!(error, I18nError::Unreadable { .. }), "{error}");

        write(root, "en/a.ftl", "a = A\n");
        let error = Messages::from_dir(root, "nl").unwrap_err();
        assert_eq!(
            error.to_string(),
            "default language `nl` has no message files (languages: en)"
        );

        write(root, "en/b.ftl", "a = again\n");
        let error = Messages::from_dir(root, "en").unwrap_err();
        assert_eq!(
            error.to_string(),
            "message file en/b.ftl is invalid: message `a` is defined twice"
        );

        write(root, "en/b.ftl", "b = { $\n");
        let error = Messages::from_dir(root, "en").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("message file en/b.ftl is invalid: line 1:"),
            "{error}"
        );

        std::fs::remove_file(root.join("en/b.ftl")).unwrap();
        write(root, "en-GB/a.ftl", "a = A\n");
        let error = Messages::from_dir(root, "en").unwrap_err();
        assert!(
            matches!(error, I18nError::InvalidLanguage { ref name } if name == "en-GB"),
            "{error}"
        );
    }

    #[test]
    fn files_that_are_not_ftl_and_empty_language_folders_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "en/a.ftl", "a = A\n");
        write(dir.path(), "en/README.md", "not fluent {\n");
        write(dir.path(), "en/.a.ftl.swp", "junk {\n");
        std::fs::create_dir(dir.path().join("nl")).unwrap();
        write(dir.path(), "README.md", "x");
        let messages = Messages::from_dir(dir.path(), "en").unwrap();
        assert_eq!(messages.languages(), ["en"]);
    }

    #[test]
    fn plugin_files_add_messages_but_never_replace_built_ins() {
        let (_dir, messages) = sample();
        let plugins = tempfile::tempdir().unwrap();
        let root = plugins.path();
        write(
            root,
            "chess/_sync/en.ftl",
            "chess-illegalMove = Illegal { $from }\nb = hijacked\n",
        );
        write(
            root,
            "chess/_sync/nl.ftl",
            "chess-illegalMove = Ongeldig { $from }\n",
        );
        let clone = messages.clone();
        assert!(messages.reload_plugin_files(root).is_empty());

        let args = [("from", Arg::Text("e2"))];
        assert_eq!(
            clone.message("nl", "chess.illegalMove", &args),
            "Ongeldig e2"
        );
        assert_eq!(
            clone.message("en", "chess.illegalMove", &args),
            "Illegal e2"
        );
        assert_eq!(clone.message("en", "b", &[]), "B en");
    }

    #[test]
    fn a_broken_plugin_file_keeps_its_messages_and_a_removed_one_loses_them() {
        let (_dir, messages) = sample();
        let plugins = tempfile::tempdir().unwrap();
        let root = plugins.path();
        write(root, "chess/_sync/en.ftl", "chess-illegalMove = first\n");
        write(
            root,
            "test/nestedTest/_sync/en.ftl",
            "test-stepOutOfRange = step\n",
        );
        assert!(messages.reload_plugin_files(root).is_empty());

        write(root, "chess/_sync/en.ftl", "chess-illegalMove = { $\n");
        let errors = messages.reload_plugin_files(root);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, root.join("chess/_sync/en.ftl"));
        assert_eq!(messages.message("en", "chess.illegalMove", &[]), "first");

        write(root, "chess/_sync/en.ftl", "chess-illegalMove = second\n");
        std::fs::remove_file(root.join("test/nestedTest/_sync/en.ftl")).unwrap();
        assert!(messages.reload_plugin_files(root).is_empty());
        assert_eq!(messages.message("en", "chess.illegalMove", &[]), "second");
        assert_eq!(
            messages.message("en", "test.stepOutOfRange", &[]),
            "test.stepOutOfRange"
        );
        assert!(!messages.has("en", "test-stepOutOfRange"));
    }

    #[test]
    fn the_first_plugin_in_path_order_wins_a_shared_id() {
        let (_dir, messages) = sample();
        let plugins = tempfile::tempdir().unwrap();
        write(
            plugins.path(),
            "alpha/_sync/en.ftl",
            "shared-code = alpha\n",
        );
        write(plugins.path(), "beta/_sync/en.ftl", "shared-code = beta\n");
        assert!(messages.reload_plugin_files(plugins.path()).is_empty());
        assert_eq!(messages.message("en", "shared.code", &[]), "alpha");
    }
}
