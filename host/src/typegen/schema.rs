//! JSON Schema (as `schemars` writes it, draft 2020-12, plus draft-07 spellings) to a TypeScript
//! type expression.
//!
//! A schema comes from a plugin, so it is untrusted: conversion never panics, follows `$ref`s only
//! inside the same document and never around a cycle, and stops at a depth, a node count and an
//! output size, past which the part not yet converted becomes `unknown`. Anything it does not
//! understand becomes `unknown` too: the generated types may be loose, never wrong.

use serde_json::{Map, Value};

use super::ts::{TsType, literal, property_key};

/// Bounds on the work one schema may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting converted (objects, arrays, combinators and `$ref`s each count).
    pub max_depth: usize,
    /// Schema nodes converted, counting each inlined `$ref` anew.
    pub max_nodes: usize,
    /// Literal members of one `enum`; a larger enum widens to its `type`.
    pub max_enum: usize,
    /// Bytes of keys and literals copied from the schema into the type.
    pub max_text: usize,
    /// Longest schema text parsed at all.
    pub max_schema_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_nodes: 20_000,
            max_enum: 256,
            max_text: 256 * 1024,
            max_schema_len: 4 * 1024 * 1024,
        }
    }
}

/// The TypeScript type of a schema given as text; `unknown` when there is none or it is not JSON.
pub fn schema_text_to_ts(text: Option<&str>, limits: Limits) -> TsType {
    let Some(text) = text.filter(|text| text.len() <= limits.max_schema_len) else {
        return TsType::unknown();
    };
    // serde_json refuses nesting deeper than 128 with an error, so parsing itself is bounded.
    match serde_json::from_str::<Value>(text) {
        Ok(schema) => schema_to_ts(&schema, limits),
        Err(_) => TsType::unknown(),
    }
}

/// The TypeScript type of a parsed schema; `$ref`s resolve against `schema` itself.
pub fn schema_to_ts(schema: &Value, limits: Limits) -> TsType {
    let mut converter = Converter {
        root: schema,
        limits,
        nodes: 0,
        text: 0,
        refs: Vec::new(),
    };
    converter.convert(schema, 0)
}

struct Converter<'a> {
    root: &'a Value,
    limits: Limits,
    nodes: usize,
    text: usize,
    /// The `$ref`s being expanded, innermost last: meeting one again is a cycle.
    refs: Vec<&'a str>,
}

/// Keywords that give a schema a shape of its own next to `anyOf`/`oneOf`/`allOf`.
const SHAPE_KEYWORDS: [&str; 7] = [
    "properties",
    "additionalProperties",
    "items",
    "prefixItems",
    "enum",
    "const",
    "$ref",
];

impl<'a> Converter<'a> {
    fn convert(&mut self, schema: &'a Value, depth: usize) -> TsType {
        if depth > self.limits.max_depth || self.nodes >= self.limits.max_nodes {
            return TsType::unknown();
        }
        self.nodes += 1;
        match schema {
            Value::Bool(true) => TsType::unknown(),
            Value::Bool(false) => TsType::never(),
            Value::Object(object) => self.convert_object(object, depth),
            _ => TsType::unknown(),
        }
    }

    fn convert_object(&mut self, schema: &'a Map<String, Value>, depth: usize) -> TsType {
        let combined = ["anyOf", "oneOf", "allOf"]
            .iter()
            .any(|keyword| schema.contains_key(*keyword));
        if !combined {
            return self.convert_shape(schema, depth);
        }
        let mut parts = Vec::new();
        if SHAPE_KEYWORDS
            .iter()
            .any(|keyword| schema.contains_key(*keyword))
        {
            parts.push(self.convert_shape(schema, depth));
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(members)) = schema.get(keyword) {
                let members = members
                    .iter()
                    .map(|member| self.convert(member, depth + 1))
                    .collect();
                parts.push(TsType::union(members));
            }
        }
        if let Some(Value::Array(members)) = schema.get("allOf") {
            parts.extend(members.iter().map(|member| self.convert(member, depth + 1)));
        }
        TsType::intersection(parts)
    }

    /// A schema without combinators: a `$ref`, a literal set, or one or more `type`s.
    fn convert_shape(&mut self, schema: &'a Map<String, Value>, depth: usize) -> TsType {
        if let Some(reference) = schema.get("$ref") {
            return self.convert_ref(reference, depth);
        }
        if let Some(value) = schema.get("const") {
            return self.literal(value);
        }
        if let Some(Value::Array(values)) = schema.get("enum")
            && values.len() <= self.limits.max_enum
        {
            let members = values.iter().map(|value| self.literal(value)).collect();
            return TsType::union(members);
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(name)) => vec![name.as_str()],
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ if ["properties", "additionalProperties"]
                .iter()
                .any(|k| schema.contains_key(*k)) =>
            {
                vec!["object"]
            }
            _ if ["items", "prefixItems"]
                .iter()
                .any(|k| schema.contains_key(*k)) =>
            {
                vec!["array"]
            }
            _ => return TsType::unknown(),
        };
        let members = types
            .into_iter()
            .map(|name| match name {
                "string" => TsType::atom("string"),
                "integer" | "number" => TsType::atom("number"),
                "boolean" => TsType::atom("boolean"),
                "null" => TsType::atom("null"),
                "array" => self.convert_array(schema, depth),
                "object" => self.convert_record(schema, depth),
                _ => TsType::unknown(),
            })
            .collect();
        TsType::union(members)
    }

    fn convert_ref(&mut self, reference: &'a Value, depth: usize) -> TsType {
        let Some(reference) = reference.as_str() else {
            return TsType::unknown();
        };
        // Only references into this document: `#` or `#/$defs/Name` (JSON Pointer after `#`).
        let Some(pointer) = reference.strip_prefix('#') else {
            return TsType::unknown();
        };
        if self.refs.contains(&reference) {
            return TsType::unknown();
        }
        let Some(target) = self.root.pointer(pointer) else {
            return TsType::unknown();
        };
        self.refs.push(reference);
        let converted = self.convert(target, depth + 1);
        self.refs.pop();
        converted
    }

    fn literal(&mut self, value: &Value) -> TsType {
        match literal(value) {
            Some(text) if self.spend(text.len()) => TsType::atom(text),
            _ => TsType::unknown(),
        }
    }

    fn convert_array(&mut self, schema: &'a Map<String, Value>, depth: usize) -> TsType {
        // `prefixItems` (2020-12) or an `items` array (draft-07): a tuple.
        let (tuple, rest) = match (schema.get("prefixItems"), schema.get("items")) {
            (Some(Value::Array(prefix)), rest) => (Some(prefix), rest),
            (None, Some(Value::Array(prefix))) => (Some(prefix), schema.get("additionalItems")),
            (_, items) => (None, items),
        };
        let rest = match rest {
            None | Some(Value::Bool(false)) if tuple.is_some() => None,
            None => Some(TsType::unknown()),
            Some(items) => Some(self.convert(items, depth + 1)),
        };
        let Some(tuple) = tuple else {
            return TsType::array_of(&rest.unwrap_or_else(TsType::unknown));
        };
        let mut elements: Vec<String> = tuple
            .iter()
            .map(|item| self.convert(item, depth + 1).text().to_owned())
            .collect();
        if let Some(rest) = rest {
            elements.push(format!("...{}", TsType::array_of(&rest).text()));
        }
        TsType::atom(format!("[{}]", elements.join(", ")))
    }

    fn convert_record(&mut self, schema: &'a Map<String, Value>, depth: usize) -> TsType {
        let required: Vec<&str> = match schema.get("required") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let mut fields = Vec::new();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, property) in properties {
                let key = property_key(name);
                if !self.spend(key.len()) {
                    return TsType::unknown();
                }
                let optional = if required.contains(&name.as_str()) {
                    ""
                } else {
                    "?"
                };
                let value = self.convert(property, depth + 1);
                fields.push(format!("{key}{optional}: {}", value.text()));
            }
        }
        let mut extra: Vec<TsType> = Vec::new();
        let mut closed = false;
        match schema.get("additionalProperties") {
            None | Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => closed = true,
            Some(other) => extra.push(self.convert(other, depth + 1)),
        }
        if let Some(Value::Object(patterns)) = schema.get("patternProperties") {
            extra.extend(patterns.values().map(|v| self.convert(v, depth + 1)));
        }
        let record = |value: &str| TsType::atom(format!("Record<string, {value}>"));
        let extra = (!extra.is_empty()).then(|| TsType::union(extra));
        // Extra keys of any type add nothing to an object type that lists properties.
        let extra = extra.filter(|extra| fields.is_empty() || !extra.is_unknown());
        match (fields.is_empty(), extra) {
            (true, Some(extra)) => record(extra.text()),
            (true, None) if closed => record("never"),
            (true, None) => record("unknown"),
            (false, extra) => {
                let shape = TsType::atom(format!("{{ {} }}", fields.join("; ")));
                match extra {
                    // An index signature would have to admit every property's type, so the
                    // extra keys are a separate `Record` instead.
                    Some(extra) => TsType::intersection(vec![shape, record(extra.text())]),
                    None => shape,
                }
            }
        }
    }

    /// Takes `bytes` from the text budget; false once it is spent.
    fn spend(&mut self, bytes: usize) -> bool {
        self.text = self.text.saturating_add(bytes);
        self.text <= self.limits.max_text
    }
}
