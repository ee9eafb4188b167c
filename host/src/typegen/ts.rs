//! TypeScript syntax for generated types: a type expression with its precedence, literals, property
//! keys, unions and intersections.
//!
//! Every piece of text that comes from a plugin (a property name, an enum value) goes through
//! [`string_literal`] or [`number_literal`], so a schema can never inject code or comments into
//! the generated file.

use serde_json::Value;

/// How tightly a type expression binds, to know where parentheses are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// `A | B`.
    Union,
    /// `A & B`.
    Intersection,
    /// Anything that can be followed by `[]` as is.
    Atom,
}

/// A TypeScript type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsType {
    text: String,
    binding: Binding,
    /// The members when this is a union, to merge and de-duplicate unions.
    members: Vec<String>,
}

impl TsType {
    /// A type that needs no parentheses anywhere (`number`, `{ a: string }`, `"x"`).
    pub fn atom(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            binding: Binding::Atom,
            members: Vec::new(),
        }
    }

    /// `unknown`: what every schema we cannot describe becomes.
    pub fn unknown() -> Self {
        Self::atom("unknown")
    }

    /// `never`: a schema nothing matches (`false`).
    pub fn never() -> Self {
        Self::atom("never")
    }

    /// The expression's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this is exactly `unknown`.
    pub fn is_unknown(&self) -> bool {
        self.text == "unknown"
    }

    /// `T[]`, parenthesising unions and intersections.
    pub fn array_of(item: &TsType) -> Self {
        match item.binding {
            Binding::Atom => Self::atom(format!("{}[]", item.text)),
            _ => Self::atom(format!("({})[]", item.text)),
        }
    }

    /// `A | B | ...`: flattened, de-duplicated, `never` dropped; `unknown` absorbs the rest.
    pub fn union(types: Vec<TsType>) -> Self {
        let mut members: Vec<String> = Vec::new();
        for member in types {
            if member.is_unknown() {
                return Self::unknown();
            }
            let parts = match member.binding {
                Binding::Union => member.members,
                Binding::Intersection => vec![member.text],
                Binding::Atom if member.text == "never" => Vec::new(),
                Binding::Atom => vec![member.text],
            };
            for part in parts {
                if !members.contains(&part) {
                    members.push(part);
                }
            }
        }
        match members.len() {
            0 => Self::never(),
            1 => Self::atom(members.remove(0)),
            _ => Self {
                text: members.join(" | "),
                binding: Binding::Union,
                members,
            },
        }
    }

    /// `A & B & ...`, parenthesising unions; `unknown` members are dropped (they add nothing).
    pub fn intersection(types: Vec<TsType>) -> Self {
        let parts: Vec<TsType> = types.into_iter().filter(|t| !t.is_unknown()).collect();
        match parts.len() {
            0 => Self::unknown(),
            1 => parts.into_iter().next().unwrap_or_else(Self::unknown),
            _ => {
                let text = parts
                    .iter()
                    .map(|part| match part.binding {
                        Binding::Union => format!("({})", part.text),
                        _ => part.text.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(" & ");
                Self {
                    text,
                    binding: Binding::Intersection,
                    members: Vec::new(),
                }
            }
        }
    }

    /// `T | null`; `unknown` and types that already admit `null` stay as they are.
    pub fn or_null(self) -> Self {
        if self.is_unknown() || self.text == "null" || self.members.iter().any(|m| m == "null") {
            return self;
        }
        Self::union(vec![self, Self::atom("null")])
    }
}

/// A JSON value as a TypeScript literal type, when it is one (strings, numbers, booleans, null).
pub fn literal(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(string_literal(text)),
        Value::Number(number) => number_literal(number),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A string as a double-quoted literal. JSON escaping is valid TypeScript, and it escapes quotes,
/// backslashes and line breaks, so nothing can end the literal early.
pub fn string_literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A JSON number as a TypeScript numeric literal (JSON numbers are always finite).
pub fn number_literal(number: &serde_json::Number) -> Option<String> {
    let text = number.to_string();
    let numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    numeric.then_some(text)
}

/// A property key: bare when it is an identifier, else a string literal.
pub fn property_key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_flatten_deduplicate_and_absorb() {
        let a = TsType::union(vec![TsType::atom("string"), TsType::atom("null")]);
        let b = TsType::union(vec![
            a.clone(),
            TsType::atom("number"),
            TsType::atom("string"),
        ]);
        assert_eq!(b.text(), "string | null | number");
        assert!(TsType::union(vec![b, TsType::unknown()]).is_unknown());
        assert_eq!(TsType::union(vec![]).text(), "never");
        assert_eq!(
            TsType::union(vec![TsType::never(), TsType::atom("boolean")]).text(),
            "boolean"
        );
    }

    #[test]
    fn arrays_and_intersections_parenthesise_unions() {
        let union = TsType::union(vec![TsType::atom("string"), TsType::atom("number")]);
        assert_eq!(TsType::array_of(&union).text(), "(string | number)[]");
        let both = TsType::intersection(vec![TsType::atom("{ a: number }"), union]);
        assert_eq!(both.text(), "{ a: number } & (string | number)");
        assert_eq!(
            TsType::array_of(&both).text(),
            "({ a: number } & (string | number))[]"
        );
    }

    #[test]
    fn or_null_is_idempotent() {
        let once = TsType::atom("{ x: number }").or_null();
        assert_eq!(once.text(), "{ x: number } | null");
        assert_eq!(once.clone().or_null(), once);
        assert_eq!(TsType::atom("null").or_null().text(), "null");
        assert!(TsType::unknown().or_null().is_unknown());
    }

    #[test]
    fn keys_and_literals_cannot_break_out() {
        assert_eq!(property_key("newValue"), "newValue");
        assert_eq!(property_key("$ref_1"), "$ref_1");
        assert_eq!(property_key("a-b"), "\"a-b\"");
        assert_eq!(property_key("1st"), "\"1st\"");
        assert_eq!(property_key(""), "\"\"");
        assert_eq!(
            string_literal("\"; } */ declare const x: 1; //\n"),
            r#""\"; } */ declare const x: 1; //\n""#
        );
        assert_eq!(literal(&serde_json::json!(-1.5)), Some("-1.5".to_owned()));
        assert_eq!(literal(&serde_json::json!({"a": 1})), None);
    }
}
