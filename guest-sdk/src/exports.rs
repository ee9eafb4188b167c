//! The bridge between the generated WIT types and the SDK's own types, used by the code the
//! `server!`/`client!`/`join!` macros expand to. It converts and delegates to `dispatch`; it holds no
//! logic of its own, so what the native harness tests is what the component runs.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::server::synchost::plugin::types as wit;
use crate::dispatch::{self, EncodedOutcome};
use crate::{
    Auth, ClientContext, ClientOutcome, IntoOutput, JoinContext, Scalar, ServerContext, Session,
};
use crate::{StageSchemas, SyncError, ValueType};

/// The `metadata` export of either stage: its auth rule and the schemas of its types.
pub fn metadata(auth: Auth, schemas: StageSchemas) -> wit::StageMetadata {
    wit::StageMetadata {
        auth: auth_into_wit(auth),
        input_schema: Some(schemas.input),
        output_schema: Some(schemas.output),
    }
}

/// The `metadata` export of a join handler: its auth rule; it has no payload types.
pub fn join_metadata(auth: Auth) -> wit::StageMetadata {
    wit::StageMetadata {
        auth: auth_into_wit(auth),
        input_schema: None,
        output_schema: None,
    }
}

/// The `decide` export of a join handler.
pub fn decide<F>(call: wit::JoinCall, handler: F) -> Result<(), wit::HandlerError>
where
    F: FnOnce(JoinContext) -> Result<(), SyncError>,
{
    let session = call.session.map(session_from_wit);
    dispatch::run_join(call.room, session, handler).map_err(error_into_wit)
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
pub fn deliver<I, S, T, F>(batch: wit::ClientBatch, handler: F) -> wit::ClientResult
where
    I: DeserializeOwned,
    S: DeserializeOwned,
    T: Serialize,
    F: Fn(ClientContext<'_, I, S>) -> Result<ClientOutcome<T>, SyncError>,
{
    // One buffer for every delivered output of the batch: one allocation, and one list for the
    // host to lift, instead of one per recipient.
    let mut data = Vec::with_capacity(OUTPUT_CAPACITY_PER_RECIPIENT * batch.recipients.len());
    let outcomes = RECIPIENTS
        .with_borrow_mut(|slots| {
            refill_recipients(slots, &batch);
            let room = String::from_utf8_lossy(bytes_at(&batch.data, batch.room));
            dispatch::run_client(
                bytes_at(&batch.data, batch.input),
                batch
                    .server_output
                    .map(|output| bytes_at(&batch.data, output)),
                &room,
                &slots[..batch.recipients.len()],
                handler,
                &mut data,
            )
        })
        .into_iter()
        .map(|outcome| match outcome {
            Ok(EncodedOutcome::Deliver(range)) => wit::RecipientOutcome::Deliver(wit::Span {
                // The buffer is a wasm32 allocation: its offsets fit in u32.
                start: range.start as u32,
                len: range.len() as u32,
            }),
            Ok(EncodedOutcome::DeliverPlain) => wit::RecipientOutcome::DeliverPlain,
            Ok(EncodedOutcome::Skip) => wit::RecipientOutcome::Skip,
            Err(error) => wit::RecipientOutcome::Error(error_into_wit(error)),
        })
        .collect();
    wit::ClientResult { data, outcomes }
}

/// Bytes reserved per recipient in a batch's output buffer: small outputs never regrow it.
const OUTPUT_CAPACITY_PER_RECIPIENT: usize = 32;

thread_local! {
    /// The recipients' sessions of the last batch. Handlers only borrow a session, so each batch
    /// refills these in place and, once warm, decodes sessions without allocating. (A warm instance
    /// keeps its memory between calls anyway; nothing here is visible to the next batch's handler.)
    static RECIPIENTS: std::cell::RefCell<Vec<Option<Session>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Makes `slots` hold at least the batch's recipients, each refilled from the batch's buffers.
fn refill_recipients(slots: &mut Vec<Option<Session>>, batch: &wit::ClientBatch) {
    if slots.len() < batch.recipients.len() {
        slots.resize_with(batch.recipients.len(), || None);
    }
    for (slot, recipient) in slots.iter_mut().zip(&batch.recipients) {
        match recipient {
            Some(packed) => {
                let session = slot.get_or_insert_with(Session::default);
                unpack_session_into(session, &batch.data, &batch.roles, packed);
            }
            None => *slot = None,
        }
    }
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

/// Replaces `target` with the text of `span`, reusing its allocation; invalid UTF-8 (never sent by
/// the host) is replaced, not trusted.
fn set_text(target: &mut String, data: &[u8], span: wit::Span) {
    target.clear();
    target.push_str(&String::from_utf8_lossy(bytes_at(data, span)));
}

fn set_optional_text(target: &mut Option<String>, data: &[u8], span: Option<wit::Span>) {
    match span {
        Some(span) => set_text(target.get_or_insert_with(String::new), data, span),
        None => *target = None,
    }
}

/// Overwrites `session` with a session of a client batch, reusing its strings and buffers.
fn unpack_session_into(
    session: &mut Session,
    data: &[u8],
    roles: &[wit::Span],
    packed: &wit::PackedSession,
) {
    set_text(&mut session.id, data, packed.id);
    set_optional_text(&mut session.name, data, packed.name);
    set_optional_text(&mut session.email, data, packed.email);
    set_optional_text(&mut session.language, data, packed.language);
    session.admin = packed.admin;
    let first_role = (packed.roles.start as usize).min(roles.len());
    let role_count = (packed.roles.len as usize).min(roles.len() - first_role);
    let role_spans = &roles[first_role..first_role + role_count];
    session.roles.truncate(role_spans.len());
    for (index, span) in role_spans.iter().enumerate() {
        match session.roles.get_mut(index) {
            Some(role) => set_text(role, data, *span),
            None => {
                let mut role = String::new();
                set_text(&mut role, data, *span);
                session.roles.push(role);
            }
        }
    }
    let extra = session.extra_mut();
    extra.clear();
    extra.extend_from_slice(bytes_at(data, packed.extra));
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

    /// A session of a client batch, unpacked into a fresh value.
    fn unpack_session(data: &[u8], roles: &[wit::Span], packed: &wit::PackedSession) -> Session {
        let mut session = Session::default();
        unpack_session_into(&mut session, data, roles, packed);
        session
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
    fn refilled_slots_match_fresh_sessions_and_anonymous_recipients_stay_empty() {
        let data = b"annAnnnleditorownerbob\x81\xa1a\x01".to_vec();
        let roles = vec![span(8, 6), span(14, 5)];
        let ann = wit::PackedSession {
            id: span(0, 3),
            name: Some(span(3, 3)),
            email: None,
            language: Some(span(6, 2)),
            admin: true,
            roles: span(0, 2),
            extra: span(22, 4),
        };
        let bob = wit::PackedSession {
            id: span(19, 3),
            name: None,
            email: None,
            language: None,
            admin: false,
            roles: span(1, 1),
            extra: span(0, 0),
        };
        let batch = |recipients: Vec<Option<wit::PackedSession>>| wit::ClientBatch {
            input: span(0, 0),
            server_output: None,
            room: span(0, 0),
            data: data.clone(),
            roles: roles.clone(),
            recipients,
        };
        let mut slots = Vec::new();
        refill_recipients(&mut slots, &batch(vec![Some(ann), None, Some(bob)]));
        // The next batch reuses the slots: Ann's slot now holds Bob, the anonymous one holds Ann.
        let next = batch(vec![Some(bob), Some(ann)]);
        refill_recipients(&mut slots, &next);
        assert_eq!(
            slots[0].as_ref(),
            Some(&unpack_session(&data, &roles, &bob))
        );
        assert_eq!(
            slots[1].as_ref(),
            Some(&unpack_session(&data, &roles, &ann))
        );
        refill_recipients(&mut slots, &batch(vec![None]));
        assert_eq!(slots[0], None);
        let bob_again = unpack_session(&data, &roles, &bob);
        assert_eq!(bob_again.roles, vec!["owner".to_owned()]);
        assert_eq!(bob_again.name, None);
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
