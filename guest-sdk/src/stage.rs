//! What a handler receives and returns in each stage. The server stage runs once per sync with
//! the caller's session; the client stage runs once per recipient and decides what that
//! recipient gets; a join handler decides whether a session may join a room. Payloads are already
//! decoded into the author's serde types here.

use serde::Serialize;

use crate::msgpack;
use crate::{Session, SyncError};

/// The server stage's view of one sync.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerContext<I> {
    /// The client input, decoded.
    pub input: I,
    /// The sender's session; `None` for anonymous callers.
    pub caller: Option<Session>,
    /// The target room code.
    pub room: String,
}

impl<I> ServerContext<I> {
    /// The caller's session, or `auth.required` for anonymous callers.
    ///
    /// # Errors
    /// [`SyncError::login_required`] when the caller is anonymous.
    pub fn require_caller(&self) -> Result<&Session, SyncError> {
        self.caller.as_ref().ok_or_else(SyncError::login_required)
    }
}

/// The client stage's view of one recipient. Input and server output are decoded once per
/// batch and shared by reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientContext<'a, I, S> {
    /// The client input, decoded.
    pub input: &'a I,
    /// The server stage's output; `None` for client-only syncs. Use `()` for `S` when there
    /// is no server stage.
    pub server_output: Option<&'a S>,
    /// The room code.
    pub room: &'a str,
    /// The recipient's session; `None` for anonymous recipients.
    pub recipient: Option<&'a Session>,
}

/// A join handler's view of one join: who wants to join which room.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinContext {
    /// The room asked for (the host checked its name and the room policy's own rules already).
    pub room: String,
    /// The joiner's session; `None` for anonymous connections.
    pub session: Option<Session>,
}

impl JoinContext {
    /// The joiner's session, or `auth.required` for anonymous connections.
    ///
    /// # Errors
    /// [`SyncError::login_required`] when the joiner is anonymous.
    pub fn require_session(&self) -> Result<&Session, SyncError> {
        self.session.as_ref().ok_or_else(SyncError::login_required)
    }
}

/// What one recipient receives.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientOutcome<T> {
    /// Deliver, with this client output.
    Deliver(T),
    /// Deliver the server output only, with no client output.
    DeliverPlain,
    /// Send nothing to this recipient.
    Skip,
}

/// A server output already encoded, for handlers that build MessagePack themselves.
///
/// ```
/// use synchost_sdk::Output;
///
/// let encoded = Output::encode(&42u8).unwrap();
/// assert_eq!(encoded.as_bytes(), &[42]);
/// let raw = Output::raw(vec![0xc1]); // not valid MessagePack, passed on untouched
/// assert_eq!(raw.as_bytes(), &[0xc1]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output(Vec<u8>);

impl Output {
    /// Bytes sent to the host exactly as given; the host validates them.
    pub fn raw(bytes: Vec<u8>) -> Self {
        Output(bytes)
    }

    /// Encodes `value` the same way a plain return value would be.
    ///
    /// # Errors
    /// `sync.invalidServerResponse` when the value cannot be encoded.
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Self, SyncError> {
        msgpack::encode(value).map(Output).map_err(|error| {
            SyncError::new(crate::error::INVALID_SERVER_RESPONSE)
                .param("message", error.to_string())
        })
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A value a server handler may return: any `Serialize` type, or an [`Output`].
pub trait IntoOutput {
    /// Encodes the value as the server output.
    ///
    /// # Errors
    /// `sync.invalidServerResponse` when the value cannot be encoded.
    fn into_output(self) -> Result<Output, SyncError>;
}

impl<T: Serialize> IntoOutput for T {
    fn into_output(self) -> Result<Output, SyncError> {
        Output::encode(&self)
    }
}

impl IntoOutput for Output {
    fn into_output(self) -> Result<Output, SyncError> {
        Ok(self)
    }
}

impl From<Output> for Vec<u8> {
    fn from(output: Output) -> Self {
        output.0
    }
}
