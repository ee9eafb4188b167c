//! The layout of the generated file: sorting, nested pages, client-only and server-only syncs,
//! stages without schemas.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::file::{HEADER, RouteTypes, StageTypes, render};
use super::schema::Limits;
use crate::plugin::RouteKey;

fn stage(input: serde_json::Value, output: serde_json::Value) -> Option<StageTypes> {
    Some(StageTypes {
        input: Some(input.to_string()),
        output: Some(output.to_string()),
    })
}

fn object(field: &str, kind: &str) -> serde_json::Value {
    json!({"type": "object", "properties": {field: {"type": kind}}, "required": [field]})
}

fn route(page: &str, name: &str, version: u32) -> RouteTypes {
    RouteTypes {
        key: RouteKey::new(page, name, version),
        server: None,
        client: None,
    }
}

#[test]
fn routes_are_grouped_by_sync_and_sorted_whatever_the_input_order() {
    let mut routes = vec![
        RouteTypes {
            server: stage(object("step", "integer"), object("nextStep", "integer")),
            ..route("test/nestedTest", "room", 1)
        },
        RouteTypes {
            server: stage(object("amount", "integer"), object("newValue", "integer")),
            ..route("examples", "updateCounter", 10)
        },
        RouteTypes {
            server: stage(object("amount", "integer"), object("newValue", "integer")),
            ..route("examples", "updateCounter", 2)
        },
        RouteTypes {
            client: stage(object("x", "number"), object("x", "number")),
            ..route("examples", "cursor", 1)
        },
    ];
    let text = render(&routes, Limits::default());
    routes.reverse();
    assert_eq!(render(&routes, Limits::default()), text);
    let expected = [
        HEADER,
        "// Every sync the plugins root publishes: its versions and payload types.",
        "import type {} from \"synchost-client\";",
        "export interface SyncTypeMap {",
        "  \"examples/cursor\": {",
        "    v1: { clientInput: { x: number }; serverOutput: null; clientOutput: { x: number } | null };",
        "  };",
        "  \"examples/updateCounter\": {",
        "    v2: { clientInput: { amount: number }; serverOutput: { newValue: number }; clientOutput: null };",
        "    v10: { clientInput: { amount: number }; serverOutput: { newValue: number }; clientOutput: null };",
        "  };",
        "  \"test/nestedTest/room\": {",
        "    v1: { clientInput: { step: number }; serverOutput: { nextStep: number }; clientOutput: null };",
        "  };",
        "}",
        "declare module \"synchost-client\" {",
        "  interface Register {",
        "    syncTypes: SyncTypeMap;",
        "  }",
        "}",
        "",
    ];
    assert_eq!(text, expected.join("\n"));
}

#[test]
fn server_input_wins_over_the_client_stage_and_client_output_admits_plain_delivery() {
    let both = RouteTypes {
        server: stage(object("amount", "integer"), object("newValue", "integer")),
        client: stage(object("ignored", "string"), object("receivedBy", "string")),
        ..route("examples", "updateCounter", 1)
    };
    let text = render(&[both], Limits::default());
    assert!(text.contains(
        "v1: { clientInput: { amount: number }; serverOutput: { newValue: number }; clientOutput: { receivedBy: string } | null };"
    ), "{text}");
}

#[test]
fn a_plain_delivery_only_client_stage_outputs_null() {
    let plain = RouteTypes {
        server: stage(object("text", "string"), object("sentBy", "string")),
        client: stage(object("text", "string"), json!({"type": "null"})),
        ..route("examples", "teamMessage", 1)
    };
    let text = render(&[plain], Limits::default());
    assert!(text.contains("clientOutput: null }"), "{text}");
}

#[test]
fn missing_schemas_are_unknown() {
    let silent = RouteTypes {
        server: Some(StageTypes::default()),
        client: Some(StageTypes {
            input: None,
            output: Some("not json".to_owned()),
        }),
        ..route("legacy", "old", 1)
    };
    let text = render(&[silent], Limits::default());
    assert!(
        text.contains(
            "v1: { clientInput: unknown; serverOutput: unknown; clientOutput: unknown };"
        ),
        "{text}"
    );
}

#[test]
fn no_routes_still_make_a_valid_file() {
    let text = render(&[], Limits::default());
    assert!(
        text.contains("export interface SyncTypeMap {\n}\n"),
        "{text}"
    );
}
