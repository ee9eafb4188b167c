//! The built-in message files: the `locales/<lang>/*.ftl` compiled into the binary, or an operator's
//! folder of the same shape that replaces them, and the list of codes the host itself emits.
//!
//! Built-ins decide which languages exist. Loading them is strict (a file that does not parse, or
//! redefines a message, stops startup with the file's name), unlike plugin files, which are only
//! reported. Nothing here is read again after startup.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::FluentResource;

use super::catalog::parse;
use super::negotiate::is_language;

/// The shipped message files, embedded so the host works from any directory. Adding a file or a
/// language means adding its line here (a test checks this list against `locales/`).
pub(super) const EMBEDDED: &[(&str, &str, &str)] = &[
    (
        "en",
        "auth.ftl",
        include_str!("../../../locales/en/auth.ftl"),
    ),
    (
        "en",
        "plugin.ftl",
        include_str!("../../../locales/en/plugin.ftl"),
    ),
    (
        "en",
        "room.ftl",
        include_str!("../../../locales/en/room.ftl"),
    ),
    (
        "en",
        "sync.ftl",
        include_str!("../../../locales/en/sync.ftl"),
    ),
    (
        "nl",
        "auth.ftl",
        include_str!("../../../locales/nl/auth.ftl"),
    ),
    (
        "nl",
        "plugin.ftl",
        include_str!("../../../locales/nl/plugin.ftl"),
    ),
    (
        "nl",
        "room.ftl",
        include_str!("../../../locales/nl/room.ftl"),
    ),
    (
        "nl",
        "sync.ftl",
        include_str!("../../../locales/nl/sync.ftl"),
    ),
];

/// Every error code the host emits itself; each has a message in every shipped language.
pub const BUILTIN_CODES: &[&str] = &[
    "plugin.outOfFuel",
    "plugin.timeout",
    "plugin.memoryLimit",
    "plugin.stackOverflow",
    "plugin.trap",
    "plugin.malformedOutput",
    "plugin.outputTooLarge",
    "plugin.outputTooDeep",
    "plugin.fanOutTooLarge",
    "plugin.inputTooLarge",
    "plugin.stageMissing",
    "plugin.unavailable",
    "plugin.hostCallFailed",
    "plugin.asyncNotSettled",
    "sync.invalidRequest",
    "sync.invalidName",
    "sync.missingReceiver",
    "sync.notFound",
    "sync.routeUnavailable",
    "sync.receiverNotAllowed",
    "sync.notRoomMember",
    "sync.rateLimitExceeded",
    "sync.tooManyInFlight",
    "sync.inputTooDeep",
    "sync.invalidInputType",
    "sync.invalidServerResponse",
    "sync.invalidClientResponse",
    "sync.serverExecutionFailed",
    "sync.clientExecutionFailed",
    "sync.payloadTooLarge",
    "sync.unsupportedMediaType",
    "sync.methodNotAllowed",
    "sync.invalidBody",
    "sync.stateUnavailable",
    "sync.serverBusy",
    "sync.bodyTimeout",
    "sync.shuttingDown",
    "auth.required",
    "auth.forbidden",
    "auth.invalidCondition",
    "auth.invalidToken",
    "auth.tokenExpired",
    "auth.originNotAllowed",
    "auth.sessionExpired",
    "auth.renewOtherUser",
    "room.invalidName",
    "room.limitReached",
    "room.forbidden",
    "room.joinRateExceeded",
    "room.removed",
    "room.leftElsewhere",
    "room.tokenRequired",
    "room.tokenRefused",
    "room.joinUnavailable",
    "room.joinHandlerFailed",
];

/// Why the built-in messages could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    /// A message folder or file could not be read.
    #[error("cannot read {path}")]
    Unreadable {
        /// The folder or file.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A built-in message file does not parse or redefines a message.
    #[error("message file {file} is invalid: {reason}")]
    InvalidFile {
        /// `<lang>/<name>.ftl`.
        file: String,
        /// The first problem found.
        reason: String,
    },
    /// A folder under the message root is not named by a language.
    #[error(
        "folder `{name}` is not a language: name folders by a lower-case language code such as `en`"
    )]
    InvalidLanguage {
        /// The folder's name.
        name: String,
    },
    /// The message root has no `<lang>/*.ftl` file at all.
    #[error("no message files under {path} (expected <lang>/*.ftl)")]
    NoLanguages {
        /// The message root.
        path: PathBuf,
    },
    /// The default language has no message files.
    #[error("default language `{language}` has no message files (languages: {available})")]
    UnsupportedDefault {
        /// The configured default.
        language: String,
        /// The languages that do have files, comma-separated.
        available: String,
    },
}

/// One parsed built-in file.
pub(crate) struct BuiltinFile {
    /// The language folder's name.
    pub(crate) language: String,
    /// `<lang>/<name>.ftl`, for error messages.
    pub(crate) file: String,
    /// The parsed messages.
    pub(crate) resource: Arc<FluentResource>,
}

/// Parses the embedded files.
pub(crate) fn embedded() -> Result<Vec<BuiltinFile>, I18nError> {
    EMBEDDED
        .iter()
        .map(|(language, name, source)| parse_file(language, name, (*source).to_owned()))
        .collect()
}

/// Reads and parses `<dir>/<lang>/*.ftl`, languages and files in name order.
pub(crate) fn from_dir(dir: &Path) -> Result<Vec<BuiltinFile>, I18nError> {
    let mut files = Vec::new();
    for language_dir in sorted_entries(dir)? {
        let Some(language) = visible_name(&language_dir) else {
            continue;
        };
        if !language_dir.is_dir() {
            continue;
        }
        if !is_language(&language) {
            return Err(I18nError::InvalidLanguage { name: language });
        }
        for path in sorted_entries(&language_dir)? {
            let Some(name) = visible_name(&path).filter(|name| name.ends_with(".ftl")) else {
                continue;
            };
            let source =
                std::fs::read_to_string(&path).map_err(|source| I18nError::Unreadable {
                    path: path.clone(),
                    source,
                })?;
            files.push(parse_file(&language, &name, source)?);
        }
    }
    if files.is_empty() {
        return Err(I18nError::NoLanguages {
            path: dir.to_owned(),
        });
    }
    Ok(files)
}

fn parse_file(language: &str, name: &str, source: String) -> Result<BuiltinFile, I18nError> {
    let file = format!("{language}/{name}");
    match parse(source) {
        Ok(resource) => Ok(BuiltinFile {
            language: language.to_owned(),
            file,
            resource,
        }),
        Err(reason) => Err(I18nError::InvalidFile { file, reason }),
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, I18nError> {
    let unreadable = |source| I18nError::Unreadable {
        path: dir.to_owned(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        paths.push(entry.map_err(unreadable)?.path());
    }
    paths.sort();
    Ok(paths)
}

/// The file name, unless it is not UTF-8 or is a dotfile (editors' swap files, `.DS_Store`).
fn visible_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    (!name.starts_with('.')).then(|| name.to_owned())
}
