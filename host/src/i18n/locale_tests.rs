//! Checks on the message files the repository ships: `locales/` and the plugins' `_sync/<lang>.ftl`.
//! Every language must define the same messages with the same variables as English, the embedded
//! list must match the folder, and every code the host emits must have a real message.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

use super::builtin::EMBEDDED;
use super::{Arg, BUILTIN_CODES, Messages, code_to_id};

/// Message id → the variables it uses.
type Shape = BTreeMap<String, BTreeSet<String>>;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn locales() -> PathBuf {
    repository().join("locales")
}

fn files_in(dir: &Path, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(&wanted)
        })
        .collect();
    paths.sort();
    paths
}

fn shape_of(files: &[PathBuf]) -> Shape {
    let mut shape = Shape::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap();
        let resource = fluent_syntax::parser::parse(source.as_str())
            .unwrap_or_else(|(_, errors)| panic!("{}: {errors:?}", file.display()));
        for entry in resource.body {
            if let Entry::Message(message) = entry {
                let mut variables = BTreeSet::new();
                if let Some(value) = &message.value {
                    pattern_variables(value, &mut variables);
                }
                for attribute in &message.attributes {
                    pattern_variables(&attribute.value, &mut variables);
                }
                let id = message.id.name.to_owned();
                assert!(shape.insert(id.clone(), variables).is_none(), "{id} twice");
            }
        }
    }
    shape
}

fn pattern_variables(pattern: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expression_variables(expression, out);
        }
    }
}

fn expression_variables(expression: &Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        Expression::Select { selector, variants } => {
            inline_variables(selector, out);
            for variant in variants {
                pattern_variables(&variant.value, out);
            }
        }
        Expression::Inline(inline) => inline_variables(inline, out),
    }
}

fn inline_variables(inline: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        InlineExpression::FunctionReference { arguments, .. } => {
            let named = arguments.named.iter().map(|argument| &argument.value);
            for argument in arguments.positional.iter().chain(named) {
                inline_variables(argument, out);
            }
        }
        InlineExpression::Placeable { expression } => expression_variables(expression, out),
        _ => {}
    }
}

fn ftl(name: &str) -> bool {
    name.ends_with(".ftl")
}

fn language_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(locales())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_language_has_the_messages_and_variables_of_english() {
    let english = shape_of(&files_in(&locales().join("en"), ftl));
    assert!(!english.is_empty());
    let dirs = language_dirs();
    assert!(dirs.len() >= 2, "expected more than English: {dirs:?}");
    for dir in dirs {
        assert_eq!(shape_of(&files_in(&dir, ftl)), english, "{}", dir.display());
    }
}

#[test]
fn the_embedded_list_is_exactly_the_files_on_disk() {
    let mut on_disk = Vec::new();
    for dir in language_dirs() {
        let language = dir.file_name().unwrap().to_str().unwrap().to_owned();
        for file in files_in(&dir, ftl) {
            let name = file.file_name().unwrap().to_str().unwrap().to_owned();
            on_disk.push((
                language.clone(),
                name,
                std::fs::read_to_string(&file).unwrap(),
            ));
        }
    }
    let embedded: Vec<(String, String, String)> = EMBEDDED
        .iter()
        .map(|(language, name, source)| ((*language).into(), (*name).into(), (*source).into()))
        .collect();
    assert_eq!(embedded, on_disk);
}

#[test]
fn the_built_in_messages_are_exactly_the_built_in_codes() {
    let english: BTreeSet<String> = shape_of(&files_in(&locales().join("en"), ftl))
        .into_keys()
        .collect();
    let codes: BTreeSet<String> = BUILTIN_CODES
        .iter()
        .map(|code| code_to_id(code).unwrap())
        .collect();
    assert_eq!(english, codes);
}

#[test]
fn every_built_in_code_has_its_own_message_in_every_language() {
    let messages = Messages::builtin("en").unwrap();
    let from_disk = Messages::from_dir(&locales(), "en").unwrap();
    let english = shape_of(&files_in(&locales().join("en"), ftl));
    assert_eq!(messages.languages(), from_disk.languages());
    for code in BUILTIN_CODES {
        let id = code_to_id(code).unwrap();
        let args: Vec<(&str, Arg<'_>)> = english[&id]
            .iter()
            .map(|name| (name.as_str(), Arg::Number(7.0)))
            .collect();
        let mut texts = BTreeSet::new();
        for language in messages.languages() {
            assert!(messages.has(&language, &id), "{language} lacks {id}");
            let text = messages.message(&language, code, &args);
            assert_ne!(text, *code);
            assert!(
                !text.contains('{') && !text.contains('\u{2068}'),
                "{language} {code}: {text}"
            );
            assert_eq!(text, from_disk.message(&language, code, &args));
            texts.insert(text);
        }
        assert_eq!(
            texts.len(),
            messages.languages().len(),
            "{code} reads the same in two languages"
        );
    }
}

#[test]
fn rate_limit_messages_use_plural_forms() {
    let messages = Messages::builtin("en").unwrap();
    let say = |language: &str, seconds: f64| {
        messages.message(
            language,
            "sync.rateLimitExceeded",
            &[("seconds", Arg::Number(seconds))],
        )
    };
    assert_eq!(
        say("en", 1.0),
        "Too many requests. Please try again in 1 second."
    );
    assert_eq!(
        say("en", 2.0),
        "Too many requests. Please try again in 2 seconds."
    );
    assert_eq!(
        say("nl", 1.0),
        "Te veel verzoeken. Probeer het over 1 seconde opnieuw."
    );
    assert_eq!(
        say("nl", 2.0),
        "Te veel verzoeken. Probeer het over 2 seconden opnieuw."
    );
    assert_eq!(
        say("nl", 0.0),
        "Te veel verzoeken. Probeer het over 0 seconden opnieuw."
    );
}

/// The `_sync` folders of the plugin sources that ship message files.
fn plugin_sync_dirs() -> Vec<PathBuf> {
    let plugins = repository().join("plugins");
    let dirs: Vec<PathBuf> = ["examples/_sync", "test/nestedTest/_sync", "chess/_sync"]
        .iter()
        .map(|page| plugins.join(page))
        .collect();
    for dir in &dirs {
        assert!(dir.join("en.ftl").is_file(), "{}", dir.display());
    }
    dirs
}

#[test]
fn plugin_message_files_match_english_and_name_codes_their_handlers_emit() {
    for dir in plugin_sync_dirs() {
        let english = shape_of(&[dir.join("en.ftl")]);
        let others = files_in(&dir, |name| ftl(name) && name != "en.ftl");
        assert!(!others.is_empty(), "{}", dir.display());
        for file in others {
            assert_eq!(
                shape_of(std::slice::from_ref(&file)),
                english,
                "{}",
                file.display()
            );
        }
        let sources = handler_sources(&dir);
        for (id, variables) in &english {
            let code = id.replace('-', ".");
            assert!(
                sources.contains(&format!("\"{code}\"")),
                "no handler in {} emits {code}",
                dir.display()
            );
            for variable in variables {
                let param = format!(".param(\"{variable}\"");
                assert!(
                    sources.contains(&param),
                    "no handler in {} sets {variable}",
                    dir.display()
                );
            }
        }
    }
}

fn handler_sources(sync_dir: &Path) -> String {
    let mut text = String::new();
    for crate_dir in std::fs::read_dir(sync_dir).unwrap() {
        let source = crate_dir.unwrap().path().join("src/lib.rs");
        if source.is_file() {
            text.push_str(&std::fs::read_to_string(source).unwrap());
        }
    }
    text
}

#[test]
fn the_shipped_plugin_files_load_and_translate() {
    let messages = Messages::builtin("en").unwrap();
    let errors = messages.reload_plugin_files(&repository().join("plugins"));
    assert!(errors.is_empty(), "{errors:?}");
    let args = [
        ("from", Arg::Text("e2")),
        ("to", Arg::Text("e2")),
        ("reason", Arg::Text("sameSquare")),
    ];
    assert_eq!(
        messages.message("nl", "chess.illegalMove", &args),
        "Een stuk moet e2 verlaten om een zet te doen."
    );
    let args = [("step", Arg::Number(101.0)), ("max", Arg::Number(100.0))];
    assert_eq!(
        messages.message("en", "test.stepOutOfRange", &args),
        "Step 101 does not exist; the last step is 100."
    );
}
