//! Auth predicates: whether a session may call a route, given the route's declared [`AuthSpec`].
//! The rules mirror the seed system's `validateRequest` on this host's session layout, with
//! JavaScript's strict equality and falsiness. This decides only; it never logs the session and
//! never looks at tokens.

use serde_json::{Map, Value};

use crate::plugin::{AuthCondition, AuthSpec, ErrorParam, Scalar, Session, ValueType};

/// Why a caller may not run a route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// The route needs a session and the caller has none.
    #[error("login required")]
    LoginRequired,
    /// A condition on `key` does not hold for this session.
    #[error("forbidden by the condition on `{key}`")]
    Forbidden {
        /// The session field or claim the failing condition names.
        key: String,
    },
    /// A condition names a field the session does not have: a mistake in the route, not the caller.
    #[error("auth condition names unknown session field `{key}`")]
    InvalidCondition {
        /// The unknown field.
        key: String,
    },
}

impl AuthFailure {
    /// The stable error code sent to the client.
    pub fn code(&self) -> &'static str {
        match self {
            AuthFailure::LoginRequired => "auth.required",
            AuthFailure::Forbidden { .. } => "auth.forbidden",
            AuthFailure::InvalidCondition { .. } => "auth.invalidCondition",
        }
    }

    /// The HTTP status that goes with [`AuthFailure::code`].
    pub fn http_status(&self) -> u16 {
        match self {
            AuthFailure::LoginRequired => 401,
            AuthFailure::Forbidden { .. } => 403,
            AuthFailure::InvalidCondition { .. } => 500,
        }
    }

    /// The error params: `key` naming the field, for the two failures that have one.
    pub fn params(&self) -> Vec<ErrorParam> {
        match self {
            AuthFailure::LoginRequired => Vec::new(),
            AuthFailure::Forbidden { key } | AuthFailure::InvalidCondition { key } => {
                vec![ErrorParam {
                    key: "key".to_owned(),
                    value: Scalar::Text(key.clone()),
                }]
            }
        }
    }
}

/// Checks `spec` against the caller's session (`None` for anonymous callers).
///
/// `login` or any `additional` condition requires a session. Each condition names a session
/// field (`id`, `name`, `email`, `language`, `admin`, `roles`) or an extra claim, and every
/// constraint it sets must hold: `nullish`, `value-type` (skipped for null), `value` (strict
/// equality; for `roles` a text value means "roles contains it"), `must-be-falsy`. Conditions
/// are checked in order and the first failure is returned.
///
/// # Errors
/// [`AuthFailure`] describing the first rule that does not hold.
pub fn authorize(spec: &AuthSpec, session: Option<&Session>) -> Result<(), AuthFailure> {
    if !spec.login && spec.additional.is_empty() {
        return Ok(());
    }
    let Some(session) = session else {
        return Err(AuthFailure::LoginRequired);
    };
    // Decoded at most once, and only if a condition names an extra claim.
    let mut extra: Option<Map<String, Value>> = None;
    for condition in &spec.additional {
        let key = condition.key.as_str();
        let value = match known_field(session, key) {
            Some(value) => value,
            None => extra
                .get_or_insert_with(|| decode_extra(&session.extra))
                .get(key)
                .cloned()
                .ok_or_else(|| AuthFailure::InvalidCondition {
                    key: key.to_owned(),
                })?,
        };
        if !holds(condition, &value) {
            return Err(AuthFailure::Forbidden {
                key: key.to_owned(),
            });
        }
    }
    Ok(())
}

/// A fixed session field as a JSON value (absent options are null).
fn known_field(session: &Session, key: &str) -> Option<Value> {
    let text = |field: &Option<String>| field.as_deref().map_or(Value::Null, Value::from);
    Some(match key {
        "id" => Value::from(session.id.as_str()),
        "name" => text(&session.name),
        "email" => text(&session.email),
        "language" => text(&session.language),
        "admin" => Value::Bool(session.admin),
        "roles" => Value::from(session.roles.clone()),
        _ => return None,
    })
}

/// The extra claims map; bytes that are not a map (the host never builds such) read as no claims.
fn decode_extra(bytes: &[u8]) -> Map<String, Value> {
    rmp_serde::from_slice(bytes).unwrap_or_default()
}

fn holds(condition: &AuthCondition, value: &Value) -> bool {
    if let Some(nullish) = condition.nullish
        && value.is_null() != nullish
    {
        return false;
    }
    if let Some(value_type) = condition.value_type
        && !value.is_null()
        && !has_type(value, value_type)
    {
        return false;
    }
    if let Some(expected) = &condition.value {
        let equal = match (condition.key.as_str(), value, expected) {
            ("roles", Value::Array(roles), Scalar::Text(role)) => {
                roles.iter().any(|item| item.as_str() == Some(role))
            }
            _ => strictly_equal(value, expected),
        };
        if !equal {
            return false;
        }
    }
    if let Some(must_be_falsy) = condition.must_be_falsy
        && is_falsy(value) != must_be_falsy
    {
        return false;
    }
    true
}

fn has_type(value: &Value, value_type: ValueType) -> bool {
    match value_type {
        ValueType::String => value.is_string(),
        ValueType::Number => value.is_number(),
        ValueType::Boolean => value.is_boolean(),
    }
}

/// JavaScript `===` between a JSON value and a scalar: numbers compare by value whatever their
/// encoding, lists and maps never equal a scalar.
fn strictly_equal(value: &Value, expected: &Scalar) -> bool {
    match (value, expected) {
        (Value::Null, Scalar::Null) => true,
        (Value::Bool(actual), Scalar::Boolean(expected)) => actual == expected,
        (Value::String(actual), Scalar::Text(expected)) => actual == expected,
        (Value::Number(actual), Scalar::Integer(expected)) => match actual.as_i64() {
            Some(actual) => actual == *expected,
            // Lossy on purpose: JavaScript numbers are doubles.
            #[allow(clippy::cast_precision_loss)]
            None => actual.as_f64() == Some(*expected as f64),
        },
        (Value::Number(actual), Scalar::Float(expected)) => actual.as_f64() == Some(*expected),
        _ => false,
    }
}

/// JavaScript falsiness: false, 0, "", null. Lists and maps are truthy even when empty.
fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(value) => !value,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
