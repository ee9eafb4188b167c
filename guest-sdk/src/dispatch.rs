//! Runs an author's stage function the way the host calls it: bytes in, bytes out. The wasm
//! exports (through the `server!`/`client!` macros) and the native test harness both go through
//! these functions, so a unit test exercises the same decoding, batching and encoding as the
//! deployed component. Decoding failures become error codes here, never panics.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{INVALID_CLIENT_RESPONSE, INVALID_SERVER_RESPONSE};
use crate::msgpack;
use crate::{
    ClientContext, ClientOutcome, IntoOutput, JoinContext, ServerContext, Session, SyncError,
};

/// One recipient's outcome with its client output already encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodedOutcome {
    /// Deliver the MessagePack client output at this range of the batch's output buffer.
    Deliver(std::ops::Range<usize>),
    /// Deliver the server output only.
    DeliverPlain,
    /// Send nothing.
    Skip,
}

/// Decodes the input, runs `handler` once and encodes its output.
///
/// # Errors
/// `sync.invalidInputType` for undecodable input, the handler's own error, or
/// `sync.invalidServerResponse` when the output cannot be encoded.
pub fn run_server<I, O, F>(
    input: &[u8],
    caller: Option<Session>,
    room: String,
    handler: F,
) -> Result<Vec<u8>, SyncError>
where
    I: DeserializeOwned,
    O: IntoOutput,
    F: FnOnce(ServerContext<I>) -> Result<O, SyncError>,
{
    let input = msgpack::decode::<I>(input).map_err(SyncError::invalid_input)?;
    let output = handler(ServerContext {
        input,
        caller,
        room,
    })?;
    Ok(output.into_output()?.into())
}

/// Runs a join handler once.
///
/// # Errors
/// The handler's own refusal.
pub fn run_join<F>(room: String, session: Option<Session>, handler: F) -> Result<(), SyncError>
where
    F: FnOnce(JoinContext) -> Result<(), SyncError>,
{
    handler(JoinContext { room, session })
}

/// Decodes the input and server output once, then runs `handler` once per recipient, in order,
/// encoding every delivered output onto the end of `out`. Always returns exactly one outcome per
/// recipient.
pub fn run_client<I, S, T, F>(
    input: &[u8],
    server_output: Option<&[u8]>,
    room: &str,
    recipients: &[Option<Session>],
    handler: F,
    out: &mut Vec<u8>,
) -> Vec<Result<EncodedOutcome, SyncError>>
where
    I: DeserializeOwned,
    S: DeserializeOwned,
    T: Serialize,
    F: Fn(ClientContext<'_, I, S>) -> Result<ClientOutcome<T>, SyncError>,
{
    let decoded = decode_batch::<I, S>(input, server_output);
    let (input, server_output) = match &decoded {
        Ok((input, server_output)) => (input, server_output.as_ref()),
        Err(error) => return vec![Err(error.clone()); recipients.len()],
    };
    recipients
        .iter()
        .map(|recipient| {
            let outcome = handler(ClientContext {
                input,
                server_output,
                room,
                recipient: recipient.as_ref(),
            })?;
            encode_outcome(outcome, out)
        })
        .collect()
}

fn decode_batch<I: DeserializeOwned, S: DeserializeOwned>(
    input: &[u8],
    server_output: Option<&[u8]>,
) -> Result<(I, Option<S>), SyncError> {
    let input = msgpack::decode::<I>(input).map_err(SyncError::invalid_input)?;
    let server_output = match server_output {
        Some(bytes) => Some(msgpack::decode::<S>(bytes).map_err(|error| {
            SyncError::new(INVALID_SERVER_RESPONSE).param("message", error.to_string())
        })?),
        None => None,
    };
    Ok((input, server_output))
}

fn encode_outcome<T: Serialize>(
    outcome: ClientOutcome<T>,
    out: &mut Vec<u8>,
) -> Result<EncodedOutcome, SyncError> {
    Ok(match outcome {
        ClientOutcome::Deliver(output) => {
            let start = out.len();
            msgpack::encode_into(out, &output).map_err(|error| {
                SyncError::new(INVALID_CLIENT_RESPONSE).param("message", error.to_string())
            })?;
            EncodedOutcome::Deliver(start..out.len())
        }
        ClientOutcome::DeliverPlain => EncodedOutcome::DeliverPlain,
        ClientOutcome::Skip => EncodedOutcome::Skip,
    })
}
