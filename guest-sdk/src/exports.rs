//! The bridge between the generated WIT types and the SDK's own types, used by the code the
//! `server!`/`client!` macros expand to. It converts and delegates to `dispatch`; it holds no
//! logic of its own, so what the native harness tests is what the component runs.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::server::synchost::plugin::types as wit;
use crate::dispatch::{self, EncodedOutcome};
use crate::{Auth, ClientContext, ClientOutcome, IntoOutput, Scalar, ServerContext, Session};
use crate::{SyncError, ValueType};

/// The `metadata` export of either stage.
pub fn metadata(auth: Auth) -> wit::StageMetadata {
    wit::StageMetadata {
        auth: auth_into_wit(auth),
        input_schema: None,
        output_schema: None,
    }
}

/// The `run` export of the server stage.
pub fn serve<I, O, F>(call: wit::ServerCall, handler: F) -> Result<Vec<u8>, wit::HandlerError>
where
    I: DeserializeOwned,
    O: IntoOutput,
    F: FnOnce(ServerContext<I>) -> Result<O, SyncError>,
{
    let caller = call.caller.map(session_from_wit);
    dispatch::run_server(&call.input, caller, call.room, handler).map_err(error_into_wit)
}

/// The `run` export of the client stage.
pub fn deliver<I, S, T, F>(batch: wit::ClientBatch, handler: F) -> Vec<wit::RecipientOutcome>
where
    I: DeserializeOwned,
    S: DeserializeOwned,
    T: Serialize,
    F: Fn(ClientContext<'_, I, S>) -> Result<ClientOutcome<T>, SyncError>,
{
    let recipients: Vec<Option<Session>> = batch
        .recipients
        .into_iter()
        .map(|recipient| recipient.map(session_from_wit))
        .collect();
    dispatch::run_client(
        &batch.input,
        batch.server_output.as_deref(),
        &batch.room,
        &recipients,
        handler,
    )
    .into_iter()
    .map(|outcome| match outcome {
        Ok(EncodedOutcome::Deliver(bytes)) => wit::RecipientOutcome::Deliver(bytes),
        Ok(EncodedOutcome::DeliverPlain) => wit::RecipientOutcome::DeliverPlain,
        Ok(EncodedOutcome::Skip) => wit::RecipientOutcome::Skip,
        Err(error) => wit::RecipientOutcome::Error(error_into_wit(error)),
    })
    .collect()
}

/// A host session as an SDK session.
pub fn session_from_wit(session: wit::Session) -> Session {
    Session::from_parts(
        session.id,
        session.name,
        session.email,
        session.language,
        session.admin,
        session.roles,
        session.extra,
    )
}

fn error_into_wit(error: SyncError) -> wit::HandlerError {
    wit::HandlerError {
        code: error.code,
        params: error
            .params
            .into_iter()
            .map(|(key, value)| wit::ErrorParam {
                key,
                value: scalar_into_wit(value),
            })
            .collect(),
        http_status: error.http_status,
    }
}

fn scalar_into_wit(value: Scalar) -> wit::Scalar {
    match value {
        Scalar::Null => wit::Scalar::Null,
        Scalar::Boolean(value) => wit::Scalar::Boolean(value),
        Scalar::Integer(value) => wit::Scalar::Integer(value),
        Scalar::Float(value) => wit::Scalar::Float(value),
        Scalar::Text(value) => wit::Scalar::Text(value),
    }
}

fn auth_into_wit(auth: Auth) -> wit::AuthSpec {
    wit::AuthSpec {
        login: auth.login,
        additional: auth
            .additional
            .into_iter()
            .map(|condition| wit::AuthCondition {
                key: condition.key,
                value: condition.value.map(scalar_into_wit),
                value_type: condition.value_type.map(|value_type| match value_type {
                    ValueType::String => wit::ValueType::String,
                    ValueType::Number => wit::ValueType::Number,
                    ValueType::Boolean => wit::ValueType::Boolean,
                }),
                nullish: condition.nullish,
                must_be_falsy: condition.must_be_falsy,
            })
            .collect(),
    }
}
