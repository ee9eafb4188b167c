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
        .iter()
        .map(|recipient| {
            recipient
                .as_ref()
                .map(|packed| unpack_session(&batch.session_data, &batch.roles, packed))
        })
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

/// The bytes of `span`; empty if it is out of bounds (the host never sends such a range).
fn bytes_at(data: &[u8], span: wit::Span) -> &[u8] {
    (span.start as usize)
        .checked_add(span.len as usize)
        .and_then(|end| data.get(span.start as usize..end))
        .unwrap_or_default()
}

/// The text of `span`; invalid UTF-8 (never sent by the host) is replaced, not trusted.
fn text_at(data: &[u8], span: wit::Span) -> String {
    String::from_utf8_lossy(bytes_at(data, span)).into_owned()
}

/// A session of a client batch, copied out of the batch's shared buffers.
pub fn unpack_session(data: &[u8], roles: &[wit::Span], packed: &wit::PackedSession) -> Session {
    let first_role = (packed.roles.start as usize).min(roles.len());
    let role_count = (packed.roles.len as usize).min(roles.len() - first_role);
    Session::from_parts(
        text_at(data, packed.id),
        packed.name.map(|span| text_at(data, span)),
        packed.email.map(|span| text_at(data, span)),
        packed.language.map(|span| text_at(data, span)),
        packed.admin,
        roles[first_role..first_role + role_count]
            .iter()
            .map(|span| text_at(data, *span))
            .collect(),
        bytes_at(data, packed.extra).to_vec(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32, len: u32) -> wit::Span {
        wit::Span { start, len }
    }

    #[test]
    fn a_packed_session_unpacks_field_by_field() {
        let data = b"annAnnnleditorowner\x81\xa1a\x01";
        let roles = [span(8, 6), span(14, 5)];
        let packed = wit::PackedSession {
            id: span(0, 3),
            name: Some(span(3, 3)),
            email: None,
            language: Some(span(6, 2)),
            admin: true,
            roles: span(0, 2),
            extra: span(19, 4),
        };
        let session = unpack_session(data, &roles, &packed);
        let expected = Session::new("ann")
            .with_name("Ann")
            .with_language("nl")
            .with_admin(true)
            .with_role("editor")
            .with_role("owner")
            .with_claim("a", &1);
        assert_eq!(session, expected);
        assert_eq!(session.claim::<i32>("a"), Ok(Some(1)));
    }

    #[test]
    fn ranges_out_of_bounds_read_as_empty_instead_of_panicking() {
        let packed = wit::PackedSession {
            id: span(2, 10),
            name: Some(span(u32::MAX, u32::MAX)),
            email: None,
            language: None,
            admin: false,
            roles: span(5, 3),
            extra: span(0, 99),
        };
        let session = unpack_session(b"abc", &[span(0, 1)], &packed);
        assert_eq!(session.id, "");
        assert_eq!(session.name.as_deref(), Some(""));
        assert!(session.roles.is_empty());
        // An empty extra reads as "no claims".
        assert_eq!(session.claim::<String>("team"), Ok(None));
    }
}
