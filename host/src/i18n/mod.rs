//! Human messages for error codes, from Fluent (`.ftl`) files, in the language of the request.
//!
//! Every user-facing failure is data: a stable code such as `plugin.outOfFuel`, params, an HTTP
//! status. This module turns a code and its params into a sentence and nothing else: it never decides
//! what failed or which status to send. A code names the Fluent message whose id is the code with its
//! dots replaced by dashes (`plugin.outOfFuel` → `plugin-outOfFuel`); params become variables
//! (`{ $seconds }`). Built-in messages come from the repository's `locales/<lang>/*.ftl` (compiled in)
//! or an operator's folder; plugins add theirs in `<page>/_sync/<lang>.ftl`.

mod builtin;
mod catalog;
mod messages;
mod negotiate;
mod plugin_files;

#[cfg(test)]
mod locale_tests;

pub use builtin::{BUILTIN_CODES, I18nError};
pub use catalog::{Arg, code_to_id};
pub use messages::Messages;
pub use plugin_files::PluginFileError;
