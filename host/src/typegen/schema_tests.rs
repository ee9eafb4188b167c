//! JSON Schema → TypeScript, construct by construct, and against hostile schemas.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::schema::{Limits, schema_text_to_ts, schema_to_ts};

fn ts(schema: Value) -> String {
    schema_to_ts(&schema, Limits::default()).text().to_owned()
}

#[test]
fn scalars() {
    assert_eq!(ts(json!({"type": "string"})), "string");
    assert_eq!(ts(json!({"type": "integer", "format": "int64"})), "number");
    assert_eq!(ts(json!({"type": "number"})), "number");
    assert_eq!(ts(json!({"type": "boolean"})), "boolean");
    assert_eq!(ts(json!({"type": "null"})), "null");
    assert_eq!(ts(json!({"type": ["integer", "null"]})), "number | null");
    assert_eq!(ts(json!({"type": ["integer", "number"]})), "number");
}

#[test]
fn objects_with_required_and_optional_properties() {
    let schema = json!({
        "type": "object",
        "properties": {
            "newValue": {"type": "integer"},
            "note": {"type": ["string", "null"]},
            "a-b": {"type": "boolean"}
        },
        "required": ["newValue", "a-b"]
    });
    assert_eq!(
        ts(schema),
        r#"{ newValue: number; note?: string | null; "a-b": boolean }"#
    );
}

#[test]
fn additional_properties() {
    let map = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    assert_eq!(ts(map), "Record<string, number>");
    assert_eq!(ts(json!({"type": "object"})), "Record<string, unknown>");
    assert_eq!(
        ts(json!({"type": "object", "additionalProperties": false})),
        "Record<string, never>"
    );
    let mixed = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
        "additionalProperties": {"type": "number"}
    });
    assert_eq!(ts(mixed), "{ id: string } & Record<string, number>");
    let open = json!({"properties": {"id": {"type": "string"}}, "additionalProperties": true});
    assert_eq!(ts(open), "{ id?: string }");
}

#[test]
fn arrays_and_tuples() {
    let list = json!({"type": "array", "items": {"type": ["string", "null"]}});
    assert_eq!(ts(list), "(string | null)[]");
    assert_eq!(ts(json!({"type": "array"})), "unknown[]");
    let pair = json!({
        "type": "array",
        "prefixItems": [{"type": "number"}, {"type": "string"}],
        "minItems": 2, "maxItems": 2
    });
    assert_eq!(ts(pair), "[number, string]");
    let open_tuple = json!({"prefixItems": [{"type": "number"}], "items": {"type": "string"}});
    assert_eq!(ts(open_tuple), "[number, ...string[]]");
    let draft7 = json!({"type": "array", "items": [{"type": "boolean"}, {"type": "null"}]});
    assert_eq!(ts(draft7), "[boolean, null]");
}

#[test]
fn enums_and_consts_are_literal_unions() {
    let names = json!({"type": "string", "enum": ["red", "blue", "red"]});
    assert_eq!(ts(names), r#""red" | "blue""#);
    assert_eq!(
        ts(json!({"enum": [1, 2.5, true, null]})),
        "1 | 2.5 | true | null"
    );
    assert_eq!(ts(json!({"const": "move"})), r#""move""#);
    assert_eq!(ts(json!({"const": {"a": 1}})), "unknown");
}

#[test]
fn one_of_and_any_of_are_unions_all_of_an_intersection() {
    // schemars' internally tagged enum.
    let tagged = json!({
        "oneOf": [
            {"type": "object", "properties": {"kind": {"type": "string", "const": "a"}}, "required": ["kind"]},
            {"type": "object", "properties": {"kind": {"const": "b"}, "n": {"type": "integer"}}, "required": ["kind", "n"]}
        ]
    });
    assert_eq!(ts(tagged), r#"{ kind: "a" } | { kind: "b"; n: number }"#);
    let option_of_ref = json!({
        "anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}],
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}}
    });
    assert_eq!(ts(option_of_ref), "{ x: number } | null");
    let both = json!({"allOf": [
        {"properties": {"a": {"type": "string"}}, "required": ["a"]},
        {"anyOf": [{"type": "string"}, {"type": "number"}]}
    ]});
    assert_eq!(ts(both), "{ a: string } & (string | number)");
    let shaped = json!({
        "properties": {"a": {"type": "string"}}, "required": ["a"],
        "oneOf": [{"properties": {"b": {"type": "number"}}, "required": ["b"]}]
    });
    assert_eq!(ts(shaped), "{ a: string } & { b: number }");
}

#[test]
fn refs_into_defs_are_inlined() {
    let schema = json!({
        "type": "object",
        "properties": {"from": {"$ref": "#/$defs/Square"}, "to": {"$ref": "#/definitions/Square"}},
        "required": ["from", "to"],
        "$defs": {"Square": {"type": "string", "enum": ["a1", "h8"]}},
        "definitions": {"Square": {"type": "string"}}
    });
    assert_eq!(ts(schema), r#"{ from: "a1" | "h8"; to: string }"#);
    let escaped = json!({"$ref": "#/$defs/a~1b", "$defs": {"a/b": {"type": "boolean"}}});
    assert_eq!(ts(escaped), "boolean");
}

#[test]
fn anything_unknown_is_unknown() {
    assert_eq!(ts(json!(true)), "unknown");
    assert_eq!(ts(json!({})), "unknown");
    assert_eq!(ts(json!({"title": "Ignored", "$schema": "x"})), "unknown");
    assert_eq!(ts(json!(false)), "never");
    assert_eq!(ts(json!(42)), "unknown");
    assert_eq!(ts(json!({"type": "date"})), "unknown");
    assert_eq!(ts(json!({"type": 7})), "unknown");
    assert_eq!(
        ts(json!({"$ref": "https://example.com/other.json"})),
        "unknown"
    );
    assert_eq!(ts(json!({"$ref": "#/$defs/Missing"})), "unknown");
    assert_eq!(ts(json!({"$ref": 3})), "unknown");
    assert_eq!(ts(json!({"properties": 3})), "Record<string, unknown>");
    assert_eq!(ts(json!({"anyOf": "x"})), "unknown");
    let limits = Limits::default();
    assert_eq!(schema_text_to_ts(None, limits).text(), "unknown");
    assert_eq!(
        schema_text_to_ts(Some("{not json"), limits).text(),
        "unknown"
    );
    assert_eq!(schema_text_to_ts(Some(""), limits).text(), "unknown");
}

#[test]
fn ref_cycles_stop_at_the_second_visit() {
    let tree = json!({
        "$ref": "#/$defs/Node",
        "$defs": {"Node": {
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            "required": ["children"]
        }}
    });
    assert_eq!(ts(tree), "{ children: unknown[] }");
    assert_eq!(ts(json!({"$ref": "#"})), "unknown");
    let mutual = json!({"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}});
    assert_eq!(ts(mutual), "unknown");
}

#[test]
fn deep_nesting_is_cut_off_at_the_depth_limit() {
    let mut schema = json!({"type": "string"});
    for _ in 0..100 {
        schema = json!({"type": "array", "items": schema});
    }
    let limits = Limits::default();
    let text = schema_to_ts(&schema, limits).text().to_owned();
    assert!(text.starts_with("unknown"), "{text}");
    assert_eq!(text.matches("[]").count(), limits.max_depth + 1);
    // Deeper than serde_json parses: the text is refused whole.
    let deep_text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        schema_text_to_ts(Some(&deep_text), limits).text(),
        "unknown"
    );
}

#[test]
fn exponential_ref_expansion_is_bounded() {
    // Each level refers to the next twice: inlining would double the output per level.
    let mut defs = serde_json::Map::new();
    for level in 0..40 {
        let next = json!({"$ref": format!("#/$defs/L{}", level + 1)});
        defs.insert(
            format!("L{level}"),
            json!({"type": "object", "properties": {"a": next, "b": next}, "required": ["a", "b"]}),
        );
    }
    defs.insert("L40".to_owned(), json!({"type": "string"}));
    let schema = json!({"$ref": "#/$defs/L0", "$defs": defs});
    let limits = Limits::default();
    let text = schema_to_ts(&schema, limits).text().to_owned();
    assert!(
        text.matches('{').count() <= limits.max_nodes,
        "{} bytes",
        text.len()
    );
    assert!(text.contains("unknown"));
}

#[test]
fn huge_enums_widen_to_their_type() {
    let limits = Limits::default();
    let many: Vec<String> = (0..=limits.max_enum).map(|n| format!("v{n}")).collect();
    assert_eq!(ts(json!({"type": "string", "enum": many})), "string");
    assert_eq!(ts(json!({"enum": many})), "unknown");
    let just_fits: Vec<u32> = (0..limits.max_enum as u32).collect();
    let text = ts(json!({"enum": just_fits}));
    assert_eq!(text.matches(" | ").count(), limits.max_enum - 1);
}

#[test]
fn long_names_and_values_stop_at_the_text_budget() {
    let limits = Limits {
        max_text: 1000,
        ..Limits::default()
    };
    let long = |c: &str| c.repeat(600);
    let one_long_value = json!({"properties": {"k": {"const": long("v").repeat(2)}}});
    assert_eq!(
        schema_to_ts(&one_long_value, limits).text(),
        "{ k?: unknown }"
    );
    let many_long_keys = json!({"properties": {long("a"): {}, long("b"): {}, long("c"): {}}});
    assert_eq!(schema_to_ts(&many_long_keys, limits).text(), "unknown");
    let too_long = format!(
        "{{\"type\": \"string\", \"title\": \"{}\"}}",
        "t".repeat(2000)
    );
    let small = Limits {
        max_schema_len: 100,
        ..limits
    };
    assert_eq!(schema_text_to_ts(Some(&too_long), small).text(), "unknown");
    assert_eq!(schema_text_to_ts(Some(&too_long), limits).text(), "string");
}
