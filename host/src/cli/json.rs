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

/// A session from a JSON object written like token claims, with `id` accepted for `sub`: `id`
/// (required), `name`, `email`, `language`, `admin`, `roles`; every other key goes to `extra`. The
/// mapping is the session layer's, so `--session` sees exactly what a token with these claims gives.
pub fn session_from_json(text: &str) -> anyhow::Result<Session> {
    let value: Value = serde_json::from_str(text).context("session is not valid JSON")?;
    let Value::Object(mut fields) = value else {
        bail!("a session must be a JSON object")
    };
    if let Some(id) = fields.remove("id") {
        fields.entry("sub").or_insert(id);
    }
    synchost::session::session_from_claims(fields).map_err(|error| anyhow::anyhow!("{error}"))
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
