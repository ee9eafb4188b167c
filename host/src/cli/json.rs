//! JSON at the command line, MessagePack at the plugin boundary: conversions both ways, and sessions
//! written as JSON objects.

use anyhow::{Context, bail};
use serde_json::{Map, Value};

use synchost::plugin::{ErrorParam, HandlerError, Scalar, Session};

/// Encodes a JSON text as MessagePack.
pub fn msgpack_from_json(text: &str) -> anyhow::Result<Vec<u8>> {
    let value: Value = serde_json::from_str(text).context("input is not valid JSON")?;
    Ok(rmp_serde::to_vec_named(&value)?)
}

/// Decodes MessagePack into JSON (for printing).
pub fn json_from_msgpack(bytes: &[u8]) -> Value {
    rmp_serde::from_slice::<Value>(bytes)
        .unwrap_or_else(|error| Value::String(format!("<undecodable MessagePack: {error}>")))
}

/// A session from a JSON object: `id` (required), `name`, `email`, `language`, `admin`, `roles`;
/// every other key goes to `extra`.
pub fn session_from_json(text: &str) -> anyhow::Result<Session> {
    let value: Value = serde_json::from_str(text).context("session is not valid JSON")?;
    let Value::Object(mut fields) = value else {
        bail!("a session must be a JSON object")
    };
    let text_field = |fields: &mut Map<String, Value>, key: &str| match fields.remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let Some(id) = text_field(&mut fields, "id") else {
        bail!("a session needs a string `id`")
    };
    let name = text_field(&mut fields, "name");
    let email = text_field(&mut fields, "email");
    let language = text_field(&mut fields, "language");
    let admin = matches!(fields.remove("admin"), Some(Value::Bool(true)));
    let roles = match fields.remove("roles") {
        Some(Value::Array(roles)) => roles
            .into_iter()
            .filter_map(|role| role.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let extra = rmp_serde::to_vec_named(&Value::Object(fields))?;
    Ok(Session {
        id,
        name,
        email,
        language,
        admin,
        roles,
        extra,
    })
}

/// A handler's refusal as JSON.
pub fn handler_error_json(error: &HandlerError) -> Value {
    let params: Map<String, Value> = error
        .params
        .iter()
        .map(|ErrorParam { key, value }| (key.clone(), scalar_json(value)))
        .collect();
    serde_json::json!({ "errorCode": error.code, "errorParams": params, "httpStatus": error.http_status.unwrap_or(400) })
}

fn scalar_json(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(value) => Value::Bool(*value),
        Scalar::Integer(value) => Value::from(*value),
        Scalar::Float(value) => Value::from(*value),
        Scalar::Text(value) => Value::String(value.clone()),
    }
}
