//! TypeScript types for every published route, generated from the JSON Schemas the stages publish
//! in their metadata (`synchost types`, `synchost serve --types-out`). The client package reads
//! them through `declare module "synchost-client"`, so a wrong sync name, version or payload shape
//! fails to compile in the browser code.
//!
//! Map: `schema` converts one schema (untrusted plugin input: bounded, never panics) using `ts`
//! for the syntax; `file` lays out the whole file; `output` reads a runtime and writes files;
//! `watch` keeps a file current while serving.

mod file;
mod output;
mod schema;
mod ts;
mod watch;

#[cfg(test)]
mod file_tests;
#[cfg(test)]
mod schema_tests;

pub use file::{HEADER, RouteTypes, StageTypes, render, version_entry};
pub use output::{route_types, write_if_changed};
pub use schema::{Limits, schema_text_to_ts, schema_to_ts};
pub use ts::TsType;
pub use watch::TypesWatcher;

use crate::plugin::PluginRuntime;

/// The types file for the routes `runtime` publishes now.
pub fn generate(runtime: &PluginRuntime) -> String {
    render(&route_types(&runtime.routes()), Limits::default())
}
