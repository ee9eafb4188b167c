//! One language's messages: a Fluent bundle over parsed `.ftl` resources, and the formatting of one
//! message with its arguments.
//!
//! Resources arrive already parsed (from `builtin` and `plugin_files`) and are shared by `Arc`, so a
//! catalog is cheap to rebuild when plugin files change. Formatting never panics and never fails:
//! Fluent's own recovery (a missing variable renders as `{$name}`) is kept and only logged.

use std::borrow::Cow;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// One message argument (the pipeline converts handler params into these).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg<'a> {
    /// A string, inserted as is.
    Text(&'a str),
    /// A number: formatted by Fluent and usable for plural selection (`{ $n -> [one] … }`).
    Number(f64),
    /// A boolean, inserted as `true` / `false`.
    Bool(bool),
    /// No value: inserted as an empty string.
    Null,
}

impl<'a> Arg<'a> {
    fn into_fluent(self) -> FluentValue<'a> {
        match self {
            Arg::Text(text) => FluentValue::from(text),
            Arg::Number(number) => FluentValue::from(number),
            Arg::Bool(flag) => FluentValue::from(if flag { "true" } else { "false" }),
            Arg::Null => FluentValue::None,
        }
    }
}

/// The Fluent message id of an error code: dots become dashes (`plugin.outOfFuel` → `plugin-outOfFuel`).
///
/// Returns `None` when the code cannot name a message: empty, an empty segment (`a..b`, `.a`), a
/// character other than ASCII letters, digits and `_`, or a first character that is not a letter.
/// Dashes are refused in codes so that two codes never map to the same id.
pub fn code_to_id(code: &str) -> Option<String> {
    let starts_with_letter = code
        .bytes()
        .next()
        .is_some_and(|byte| byte.is_ascii_alphabetic());
    let segments_ok = code.split('.').all(|segment| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    });
    (starts_with_letter && segments_ok).then(|| code.replace('.', "-"))
}

/// Parses one `.ftl` source; the error names the first problem and its line.
pub(crate) fn parse(source: String) -> Result<Arc<FluentResource>, String> {
    match FluentResource::try_new(source) {
        Ok(resource) => Ok(Arc::new(resource)),
        Err((resource, errors)) => {
            let count = errors.len();
            let first = errors
                .first()
                .map(|error| {
                    let line = line_of(resource.source(), error.pos.start);
                    format!("line {line}: {error}")
                })
                .unwrap_or_default();
            let more = if count > 1 {
                format!(" (and {} more)", count - 1)
            } else {
                String::new()
            };
            Err(format!("{first}{more}"))
        }
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

/// The messages of one language.
pub(crate) struct Catalog {
    bundle: FluentBundle<Arc<FluentResource>>,
}

impl Catalog {
    /// An empty catalog for `language` (a tag that already passed `negotiate::is_language`).
    pub(crate) fn new(language: &str) -> Self {
        // A folder name that is not a valid tag was refused earlier; `und` keeps the bundle usable
        // (only plural rules depend on it) if that ever changes.
        let id: LanguageIdentifier = language.parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Unicode isolation marks would end up inside JSON `message` strings.
        bundle.set_use_isolating(false);
        Self { bundle }
    }

    /// Adds a resource; ids it defines that this catalog already has are kept from the earlier
    /// resource, and are returned so the caller can report them.
    pub(crate) fn add(&mut self, resource: Arc<FluentResource>) -> Vec<String> {
        match self.bundle.add_resource(resource) {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .filter_map(|error| match error {
                    FluentError::Overriding { id, .. } => Some(id),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Whether a message with a value has this id.
    #[cfg(test)]
    pub(crate) fn has(&self, id: &str) -> bool {
        self.bundle
            .get_message(id)
            .is_some_and(|message| message.value().is_some())
    }

    /// Formats message `id`, or `None` when this catalog has no such message with a value.
    pub(crate) fn format(&self, id: &str, args: &[(&str, Arg<'_>)]) -> Option<String> {
        let pattern = self.bundle.get_message(id)?.value()?;
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.into_fluent());
        }
        let mut errors = Vec::new();
        let text: Cow<'_, str> =
            self.bundle
                .format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::debug!(id, ?errors, "message formatted with errors");
        }
        Some(text.into_owned())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn catalog(language: &str, source: &str) -> Catalog {
        let mut catalog = Catalog::new(language);
        assert!(catalog.add(parse(source.to_owned()).unwrap()).is_empty());
        catalog
    }

    #[test]
    fn code_to_id_replaces_dots_and_refuses_what_fluent_cannot_name() {
        assert_eq!(
            code_to_id("plugin.outOfFuel").as_deref(),
            Some("plugin-outOfFuel")
        );
        assert_eq!(code_to_id("a.b_c.d2").as_deref(), Some("a-b_c-d2"));
        assert_eq!(code_to_id("single").as_deref(), Some("single"));
        for bad in [
            "", ".a", "a.", "a..b", "1a.b", "_a", "a-b.c", "a b", "é.x", "a.b!",
        ] {
            assert_eq!(code_to_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn arguments_fill_variables_without_isolation_marks() {
        let catalog = catalog("en", "greet = Hi { $name }, { $n } { $flag } [{ $none }]\n");
        let text = catalog.format(
            "greet",
            &[
                ("name", Arg::Text("Ann")),
                ("n", Arg::Number(2.5)),
                ("flag", Arg::Bool(true)),
                ("none", Arg::Null),
            ],
        );
        assert_eq!(text.as_deref(), Some("Hi Ann, 2.5 true []"));
    }

    #[test]
    fn a_missing_variable_still_formats() {
        let catalog = catalog("en", "greet = Hi { $name }\n");
        assert_eq!(catalog.format("greet", &[]).as_deref(), Some("Hi {$name}"));
        assert_eq!(catalog.format("absent", &[]), None);
    }

    #[test]
    fn plural_selection_follows_the_language() {
        let source = "n = { $n ->\n [one] one\n *[other] other\n}\n";
        let english = catalog("en", source);
        assert_eq!(
            english.format("n", &[("n", Arg::Number(1.0))]).as_deref(),
            Some("one")
        );
        assert_eq!(
            english.format("n", &[("n", Arg::Number(2.0))]).as_deref(),
            Some("other")
        );
    }

    #[test]
    fn a_message_without_a_value_is_not_a_message() {
        let catalog = catalog("en", "only-attribute =\n    .title = T\n");
        assert!(!catalog.has("only-attribute"));
        assert_eq!(catalog.format("only-attribute", &[]), None);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let error = parse("ok = fine\nbroken = { $\n".to_owned()).unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
    }

    #[test]
    fn an_earlier_resource_wins_and_the_clash_is_returned() {
        let mut catalog = catalog("en", "a = first\n");
        let clashes = catalog.add(parse("a = second\nb = new\n".to_owned()).unwrap());
        assert_eq!(clashes, vec!["a".to_owned()]);
        assert_eq!(catalog.format("a", &[]).as_deref(), Some("first"));
        assert_eq!(catalog.format("b", &[]).as_deref(), Some("new"));
    }
}
