//! A native test harness: run a handler exactly as the host would (MessagePack in, MessagePack
//! out, one call per recipient) against a fake host, with plain `cargo test`. Only compiled on
//! non-wasm targets; a component always talks to the real host.
//!
//! ```
//! use synchost_sdk::testing;
//! use synchost_sdk::{ServerContext, SyncError};
//!
//! fn double(ctx: ServerContext<i64>) -> Result<i64, SyncError> {
//!     Ok(ctx.input * 2)
//! }
//!
//! assert_eq!(testing::run_server(double, &21, None, "room"), Ok(42));
//! let refused = testing::run_server(double, &"twenty-one", None, "room").unwrap_err();
//! assert_eq!(refused.code, "sync.invalidInputType");
//! ```

mod auth_check;
pub(crate) mod fake;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dispatch::{self, EncodedOutcome};
use crate::error::{INVALID_CLIENT_RESPONSE, INVALID_SERVER_RESPONSE};
use crate::host::Level;
use crate::msgpack;
use crate::{ClientContext, ClientOutcome, IntoOutput, ServerContext, Session, SyncError};

pub use auth_check::authorize;
pub use fake::{Capability, DEFAULT_NOW_MS};

/// Encodes a test input; a value serde cannot encode is a bug in the test itself.
fn encode_input(input: &(impl Serialize + ?Sized)) -> Vec<u8> {
    msgpack::encode(input).expect("the test input must be encodable as MessagePack")
}

/// Runs a server handler as the host would and decodes its output back into its own type.
///
/// # Errors
/// Whatever the handler or the SDK's decoding returns, e.g. `sync.invalidInputType`.
pub fn run_server<I, O, F>(
    handler: F,
    input: &(impl Serialize + ?Sized),
    caller: Option<Session>,
    room: &str,
) -> Result<O, SyncError>
where
    I: DeserializeOwned,
    O: IntoOutput + DeserializeOwned,
    F: FnOnce(ServerContext<I>) -> Result<O, SyncError>,
{
    let bytes = run_server_raw(handler, &encode_input(input), caller, room)?;
    msgpack::decode(&bytes).map_err(|error| {
        SyncError::new(INVALID_SERVER_RESPONSE).param("message", error.to_string())
    })
}

/// Runs a server handler on raw input bytes and returns the raw output bytes.
///
/// # Errors
/// Whatever the handler or the SDK's decoding returns.
pub fn run_server_raw<I, O, F>(
    handler: F,
    input: &[u8],
    caller: Option<Session>,
    room: &str,
) -> Result<Vec<u8>, SyncError>
where
    I: DeserializeOwned,
    O: IntoOutput,
    F: FnOnce(ServerContext<I>) -> Result<O, SyncError>,
{
    dispatch::run_server(input, caller, room.to_owned(), handler)
}

/// Runs a client handler for every recipient, as one batch, and decodes each client output.
/// Pass `None::<&()>`-style `server_output` for client-only syncs.
pub fn run_client<I, S, T, F>(
    handler: F,
    input: &(impl Serialize + ?Sized),
    server_output: Option<&S>,
    room: &str,
    recipients: &[Option<Session>],
) -> Vec<Result<ClientOutcome<T>, SyncError>>
where
    I: DeserializeOwned,
    S: Serialize + DeserializeOwned,
    T: Serialize + DeserializeOwned,
    F: Fn(ClientContext<'_, I, S>) -> Result<ClientOutcome<T>, SyncError>,
{
    let server_output = server_output.map(encode_input);
    let mut out = Vec::new();
    dispatch::run_client(
        &encode_input(input),
        server_output.as_deref(),
        room,
        recipients,
        handler,
        &mut out,
    )
    .into_iter()
    .map(|outcome| match outcome? {
        EncodedOutcome::Deliver(range) => msgpack::decode(&out[range])
            .map(ClientOutcome::Deliver)
            .map_err(|error| {
                SyncError::new(INVALID_CLIENT_RESPONSE).param("message", error.to_string())
            }),
        EncodedOutcome::DeliverPlain => Ok(ClientOutcome::DeliverPlain),
        EncodedOutcome::Skip => Ok(ClientOutcome::Skip),
    })
    .collect()
}

/// Runs a client handler on raw input and server output bytes; delivered outputs stay raw
/// MessagePack. For handlers whose types cannot be serialized (e.g. `IgnoredAny`).
pub fn run_client_raw<I, S, T, F>(
    handler: F,
    input: &[u8],
    server_output: Option<&[u8]>,
    room: &str,
    recipients: &[Option<Session>],
) -> Vec<Result<ClientOutcome<Vec<u8>>, SyncError>>
where
    I: DeserializeOwned,
    S: DeserializeOwned,
    T: Serialize,
    F: Fn(ClientContext<'_, I, S>) -> Result<ClientOutcome<T>, SyncError>,
{
    let mut out = Vec::new();
    dispatch::run_client(input, server_output, room, recipients, handler, &mut out)
        .into_iter()
        .map(|outcome| {
            Ok(match outcome? {
                EncodedOutcome::Deliver(range) => ClientOutcome::Deliver(out[range].to_vec()),
                EncodedOutcome::DeliverPlain => ClientOutcome::DeliverPlain,
                EncodedOutcome::Skip => ClientOutcome::Skip,
            })
        })
        .collect()
}

/// Runs a join handler as the host would: `Ok(())` lets `session` (`None`: anonymous) into `room`.
///
/// # Errors
/// The handler's refusal.
pub fn run_join<F>(handler: F, room: &str, session: Option<Session>) -> Result<(), SyncError>
where
    F: FnOnce(crate::JoinContext) -> Result<(), SyncError>,
{
    dispatch::run_join(room.to_owned(), session, handler)
}

/// Clears every fake: kv, config, rooms, clock, denied capabilities and captured logs.
pub fn reset() {
    fake::with_host(|host| *host = fake::FakeHost::default());
}

/// Sets an operator config value.
pub fn set_config(key: &str, value: &str) {
    fake::with_host(|host| host.config.insert(key.to_owned(), value.to_owned()));
}

/// Sets what `host::now_ms` returns.
pub fn set_now_ms(now_ms: u64) {
    fake::with_host(|host| host.now_ms = now_ms);
}

/// Sets a room's connections; `None` entries are anonymous (counted by `rooms::size`, left
/// out of `rooms::members`).
pub fn set_room(room: &str, connections: Vec<Option<Session>>) {
    fake::with_host(|host| host.rooms.insert(room.to_owned(), connections));
}

/// Withholds a capability: its calls fail with `HostError::NotGranted`.
pub fn deny(capability: Capability) {
    fake::with_host(|host| host.denied.push(capability));
}

/// The log lines written so far, oldest first.
pub fn logs() -> Vec<(Level, String)> {
    fake::with_host(|host| host.logs.clone())
}
