//! The boundary between Socket.IO and the layers above: what a namespace's handler is told, and what
//! it may answer.
//!
//! Upper layers (the sync pipeline, the conformance handlers) implement [`NamespaceHandler`]; this
//! layer never imports them. Calls for one socket arrive in order and must not block: anything slow
//! is spawned by the handler.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use serde_json::value::RawValue;

use super::ack::AckSender;
use super::args::Args;
use super::socket::Socket;

/// A boxed, sendable future, as returned by [`NamespaceHandler::on_connect`].
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a namespace does with its sockets.
pub trait NamespaceHandler: Send + Sync + 'static {
    /// A client asked to join the namespace with `auth` (the CONNECT payload, `{}` when absent).
    ///
    /// Resolving to `Err` refuses the join with a CONNECT_ERROR. The socket is not connected yet:
    /// what it emits or receives by broadcast meanwhile is held and follows the CONNECT reply.
    fn on_connect(
        &self,
        socket: Socket,
        auth: Box<RawValue>,
    ) -> BoxFuture<Result<(), ConnectError>> {
        let _ = (socket, auth);
        Box::pin(async { Ok(()) })
    }

    /// The handshake request headers this handler reads from [`Socket::request`]; the transport keeps
    /// only the union of every namespace's list. Default: none.
    fn request_headers(&self) -> &[axum::http::HeaderName] {
        &[]
    }

    /// An event arrived from a connected socket.
    fn on_event(&self, socket: &Socket, event: Event);

    /// Asked after every packet of the socket's connection: `Some` while its next event must wait
    /// (the handler is still busy with earlier ones); the transport reads nothing more from the
    /// connection until the wait resolves (see [`crate::transport::EngineHandler::ready`]).
    /// Default: never waits.
    fn ready(&self, socket: &Socket) -> Option<crate::transport::Ready> {
        let _ = socket;
        None
    }

    /// The socket left the namespace; no further calls follow for it.
    fn on_disconnect(&self, socket: &Socket, reason: DisconnectReason) {
        let _ = (socket, reason);
    }
}

/// An event received from a client.
#[derive(Debug)]
pub struct Event {
    /// The event name (a numeric name arrives as its JSON text).
    pub name: String,
    /// The arguments after the name, as raw JSON; binary attachments appear as placeholders.
    pub args: Args,
    /// The binary attachments, in placeholder order.
    pub binaries: Vec<Bytes>,
    /// Present when the client asked for an acknowledgement.
    pub ack: Option<AckSender>,
}

/// A refusal of a CONNECT, sent as `4[/nsp,]{"message":..,"data":..}`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("connection refused: {message}")]
pub struct ConnectError {
    /// The message the client's `connect_error` listener sees.
    pub message: String,
    /// Extra JSON the client sees as `err.data`; omitted from the packet when `None`.
    pub data: Option<Box<RawValue>>,
}

impl ConnectError {
    /// A refusal with a message and no data.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds JSON data to the refusal.
    pub fn with_data(mut self, data: Box<RawValue>) -> Self {
        self.data = Some(data);
        self
    }

    /// The CONNECT_ERROR payload, in Node's key order.
    pub(crate) fn to_json(&self) -> String {
        // Serialising a String to JSON cannot fail.
        let message = serde_json::to_string(&self.message).unwrap_or_else(|_| "\"\"".to_owned());
        match &self.data {
            Some(data) => format!(r#"{{"message":{message},"data":{}}}"#, data.get()),
            None => format!(r#"{{"message":{message}}}"#),
        }
    }
}

/// Why a socket left its namespace (Node's reason strings, see [`DisconnectReason::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The client sent DISCONNECT for this namespace.
    ClientNamespaceDisconnect,
    /// The server called [`Socket::disconnect`].
    ServerNamespaceDisconnect,
    /// The client closed the connection.
    TransportClose,
    /// The transport failed.
    TransportError,
    /// The client stopped answering pings.
    PingTimeout,
    /// The client sent a packet that could not be parsed.
    ParseError,
    /// The connection's outgoing queue overflowed (slow consumer).
    SlowConsumer,
    /// The server closed the whole connection.
    ForcedServerClose,
    /// The server is shutting down.
    ServerShuttingDown,
}

impl DisconnectReason {
    /// The reason as Node's server reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::SlowConsumer => "slow consumer",
            Self::ForcedServerClose => "forced server close",
            Self::ServerShuttingDown => "server shutting down",
        }
    }
}

impl From<crate::transport::CloseReason> for DisconnectReason {
    fn from(reason: crate::transport::CloseReason) -> Self {
        use crate::transport::CloseReason;
        match reason {
            CloseReason::ClientClose => Self::TransportClose,
            CloseReason::PingTimeout => Self::PingTimeout,
            CloseReason::TransportError => Self::TransportError,
            CloseReason::ParseError => Self::ParseError,
            CloseReason::QueueFull => Self::SlowConsumer,
            CloseReason::ServerClose => Self::ForcedServerClose,
            CloseReason::ServerShutdown => Self::ServerShuttingDown,
        }
    }
}
