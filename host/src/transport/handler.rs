//! The boundary upper layers implement: what the transport hands up for each connection.
//!
//! Everything that crosses from Engine.IO into Socket.IO goes through [`EngineHandler`]. This file holds
//! only the trait and the plain data it carries; it must never grow knowledge of what the messages mean.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;

use super::EngineConnection;

/// A message payload received from a client (the content of an Engine.IO `message` packet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A text message, without the Engine.IO type digit.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// Why a connection closed, as upper layers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client sent a `close` packet or closed the WebSocket.
    ClientClose,
    /// No pong arrived within `pingTimeout`.
    PingTimeout,
    /// The transport failed (I/O error, aborted or overlapping request, protocol violation).
    TransportError,
    /// The client sent a packet that could not be parsed.
    ParseError,
    /// The outgoing queue was full (slow consumer).
    QueueFull,
    /// Closed by the server (an upper layer called [`EngineConnection::close`]).
    ServerClose,
    /// The server is shutting down.
    ServerShutdown,
}

impl CloseReason {
    /// Node's wording for the reason (`"transport close"`, `"ping timeout"`, ...), for logs and upper layers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientClose => "transport close",
            Self::PingTimeout => "ping timeout",
            Self::TransportError => "transport error",
            Self::ParseError => "parse error",
            Self::QueueFull => "queue full",
            Self::ServerClose => "forced close",
            Self::ServerShutdown => "server shutting down",
        }
    }
}

/// What upper layers see of the HTTP request that opened a connection.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The handshake request's headers named by [`EngineHandler::request_headers`]; no others.
    pub headers: axum::http::HeaderMap,
    /// The query string of the handshake request, undecoded.
    pub query: String,
    /// The peer address, when known.
    pub remote_addr: Option<SocketAddr>,
}

/// What [`EngineHandler::ready`] returns while a connection must wait: resolves when its next
/// message may be read.
pub type Ready = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Upper layers implement this to receive connections and their messages.
///
/// Calls for one connection are made in order and never concurrently. Implementations must not block:
/// spawn a task for anything slow.
pub trait EngineHandler: Send + Sync + 'static {
    /// The upper layer's per-connection state.
    type Connection: Send + Sync + 'static;

    /// The request headers this layer (and the layers above it) read from [`RequestInfo::headers`].
    /// Every other header is dropped at the handshake, so a pending connection keeps only these.
    /// Default: none.
    fn request_headers(&self) -> &[axum::http::HeaderName] {
        &[]
    }

    /// A connection completed its handshake.
    fn on_open(&self, socket: EngineConnection) -> Self::Connection;

    /// A message arrived on a connection.
    fn on_message(&self, connection: &Self::Connection, message: Incoming);

    /// Asked after every packet: `Some` when the connection's next message must wait, because the
    /// upper layer is still busy with the ones before it. Until the wait resolves the transport reads
    /// nothing more from that connection (WebSocket frames stay in the socket's buffers, the POSTed
    /// packets after this one wait, the next POST waits for them), so a client that sends faster
    /// than its messages are handled is slowed down, not refused, and what is buffered stays
    /// bounded. Heartbeats and outgoing packets keep flowing on WebSockets. Default: never waits.
    fn ready(&self, connection: &Self::Connection) -> Option<Ready> {
        let _ = connection;
        None
    }

    /// The connection closed; no further calls follow for it.
    fn on_close(&self, connection: &Self::Connection, reason: CloseReason);
}
