//! The layout of `apiTypes.generated.ts`: one `SyncTypeMap` entry per `<page>/<name>`, one member
//! per version, and the module augmentation that hands the map to `synchost-client`.
//!
//! The text depends only on the routes given, never on load order or time, so regenerating an
//! unchanged plugins root yields the same bytes (and `--types-out` can skip rewriting the file).

use std::collections::BTreeMap;

use super::schema::{Limits, schema_text_to_ts};
use super::ts::{TsType, string_literal};
use crate::plugin::RouteKey;

/// The first line of the generated file.
pub const HEADER: &str = "// apiTypes.generated.ts — written by `synchost types`; do not edit.";

/// What one stage says about its types: JSON Schema texts, as the stage published them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageTypes {
    /// Schema of the client input.
    pub input: Option<String>,
    /// Schema of the stage's output (a client stage's delivered payload).
    pub output: Option<String>,
}

/// One published route and the types of its stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTypes {
    /// The route.
    pub key: RouteKey,
    /// Its server stage, if it has one.
    pub server: Option<StageTypes>,
    /// Its client stage, if it has one.
    pub client: Option<StageTypes>,
}

/// The TypeScript of one version: `{ clientInput: ...; serverOutput: ...; clientOutput: ... }`.
pub fn version_entry(route: &RouteTypes, limits: Limits) -> String {
    let convert = |schema: &Option<String>| schema_text_to_ts(schema.as_deref(), limits);
    // A client-only sync's input is described by its client stage.
    let input = match (&route.server, &route.client) {
        (Some(server), _) => convert(&server.input),
        (None, Some(client)) => convert(&client.input),
        (None, None) => TsType::unknown(),
    };
    let server_output = route
        .server
        .as_ref()
        .map_or_else(|| TsType::atom("null"), |server| convert(&server.output));
    // A client stage may also deliver the plain server output, with no client output.
    let client_output = route.client.as_ref().map_or_else(
        || TsType::atom("null"),
        |client| convert(&client.output).or_null(),
    );
    format!(
        "{{ clientInput: {}; serverOutput: {}; clientOutput: {} }}",
        input.text(),
        server_output.text(),
        client_output.text()
    )
}

/// The whole file for `routes`, sorted by `<page>/<name>` then by version number.
pub fn render(routes: &[RouteTypes], limits: Limits) -> String {
    let mut syncs: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
    for route in routes {
        let name = format!("{}/{}", route.key.page, route.key.name);
        syncs
            .entry(name)
            .or_default()
            .insert(route.key.version, version_entry(route, limits));
    }
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str("\n// Every sync the plugins root publishes: its versions and payload types.\n");
    // Loads the client package's types even when nothing else imported it yet, so the
    // augmentation below always has a module to augment. A type-only import resolves like any
    // import (also from inside the package itself) and leaves nothing in emitted JavaScript.
    out.push_str("import type {} from \"synchost-client\";\n");
    out.push_str("export interface SyncTypeMap {\n");
    for (name, versions) in &syncs {
        out.push_str(&format!("  {}: {{\n", string_literal(name)));
        for (version, entry) in versions {
            out.push_str(&format!("    v{version}: {entry};\n"));
        }
        out.push_str("  };\n");
    }
    out.push_str("}\n");
    out.push_str("declare module \"synchost-client\" {\n");
    out.push_str("  interface Register {\n    syncTypes: SyncTypeMap;\n  }\n}\n");
    out
}
