//! JSON Schemas of a stage's input and output, derived from the author's serde types with
//! `schemars`. The export macros put them in the stage's metadata, where `synchost types` turns
//! them into TypeScript; authors opt in by deriving `JsonSchema` next to `Serialize`/`Deserialize`.
//!
//! Inputs are described as the handler *accepts* them (serde's deserialize rules: an `Option`
//! field may be left out) and outputs as the handler *produces* them (serialize rules: skipped
//! fields are optional). This module must never guess a schema for a type that has none.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{Deserialize, Deserializer, IgnoredAny};

use crate::{ClientContext, ClientOutcome, Output, ServerContext, SyncError};

/// The two schemas a stage publishes, as JSON Schema (2020-12) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSchemas {
    /// What the stage accepts as client input.
    pub input: String,
    /// What the stage produces: the server output, or a client stage's delivered payload.
    pub output: String,
}

/// The schema of `T` as a value the handler accepts.
pub fn input_schema<T: JsonSchema>() -> String {
    render(
        SchemaSettings::draft2020_12()
            .for_deserialize()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
}

/// The schema of `T` as a value the handler produces.
pub fn output_schema<T: JsonSchema>() -> String {
    render(
        SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
}

/// A schema is a JSON value, so writing it as text cannot fail; an empty schema ("anything")
/// stands in should that ever change.
fn render(schema: Schema) -> String {
    serde_json::to_string(&schema).unwrap_or_else(|_| "{}".to_owned())
}

/// The schemas of a server handler `fn(ServerContext<I>) -> Result<O, SyncError>`.
pub fn server_schemas<I, O, F>(_handler: &F) -> StageSchemas
where
    I: JsonSchema,
    O: JsonSchema,
    F: FnOnce(ServerContext<I>) -> Result<O, SyncError>,
{
    StageSchemas {
        input: input_schema::<I>(),
        output: output_schema::<O>(),
    }
}

/// The schemas of a client handler: its input and the payload it delivers (`()` for a stage that
/// only ever delivers the plain server output). The server output it reads is not described here:
/// the server stage describes it.
pub fn client_schemas<I, S, T, F>(_handler: &F) -> StageSchemas
where
    I: JsonSchema,
    T: JsonSchema,
    F: Fn(ClientContext<'_, I, S>) -> Result<ClientOutcome<T>, SyncError>,
{
    StageSchemas {
        input: input_schema::<I>(),
        output: output_schema::<T>(),
    }
}

/// Input a handler accepts and ignores, whatever it is; described as "any value".
///
/// Use it where `serde::de::IgnoredAny` would go, which has no schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ignored;

impl<'de> Deserialize<'de> for Ignored {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Ignored)
    }
}

impl JsonSchema for Ignored {
    fn schema_name() -> Cow<'static, str> {
        "Ignored".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::from(true)
    }
}

/// Pre-encoded output can be anything, so it is described as "any value".
impl JsonSchema for Output {
    fn schema_name() -> Cow<'static, str> {
        "Output".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::from(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::{Value, json};

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct Moved {
        moved_by: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn serde_renames_reach_the_schema() {
        let schema = parse(&input_schema::<Moved>());
        assert_eq!(schema["properties"]["movedBy"]["type"], "string");
        assert!(schema["properties"].get("moved_by").is_none());
    }

    #[test]
    fn inputs_and_outputs_follow_their_own_serde_direction() {
        // Accepting: a missing Option field is fine. Producing: it is left out only when None.
        let input = parse(&input_schema::<Moved>());
        assert_eq!(input["required"], json!(["movedBy"]));
        let output = parse(&output_schema::<Moved>());
        assert_eq!(output["required"], json!(["movedBy"]));
        assert!(output["properties"].get("note").is_some());
    }

    fn moved(ctx: ServerContext<Moved>) -> Result<Moved, SyncError> {
        Ok(ctx.input)
    }

    fn plain(_: ClientContext<'_, Ignored, Moved>) -> Result<ClientOutcome<()>, SyncError> {
        Ok(ClientOutcome::DeliverPlain)
    }

    #[test]
    fn a_handler_s_types_are_read_from_its_signature() {
        let server = server_schemas(&moved);
        assert_eq!(parse(&server.input)["title"], "Moved");
        let client = client_schemas(&plain);
        // "Any value": nothing but annotations.
        let ignored = parse(&client.input);
        assert_eq!(ignored["title"], "Ignored");
        assert!(ignored.get("type").is_none() && ignored.get("properties").is_none());
        assert_eq!(parse(&client.output)["type"], "null");
    }

    #[test]
    fn ignored_input_accepts_anything() {
        let bytes = crate::msgpack::encode(&json!({"a": [1, 2]})).unwrap();
        assert_eq!(crate::msgpack::decode::<Ignored>(&bytes).unwrap(), Ignored);
    }
}
