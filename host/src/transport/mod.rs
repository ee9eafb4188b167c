//! Engine.IO v4: the handshake, HTTP long-polling, WebSocket, the upgrade from polling, heartbeats and the
//! bounded outgoing queue of each connection.
//!
//! This layer knows nothing of Socket.IO, rooms, syncs or plugins. It hands every Engine.IO `message`
//! packet up through [`EngineHandler`], and upper layers write back through [`EngineSocket`].
//! Messages are framed once ([`Message::text`], [`Message::binary`]) and can be shared by any number of
//! connections without copying.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

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
    /// The transport failed (I/O error, aborted request).
    TransportError,
    /// The client sent a packet that could not be parsed.
    ParseError,
    /// The outgoing queue was full (slow consumer).
    QueueFull,
    /// Closed by the server (an upper layer called [`EngineSocket::close`]).
    ServerClose,
    /// The server is shutting down.
    ServerShutdown,
}

/// What upper layers see of the HTTP request that opened a connection.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// Request headers of the handshake request.
    pub headers: axum::http::HeaderMap,
    /// The query string of the handshake request, undecoded.
    pub query: String,
    /// The peer address, when known.
    pub remote_addr: Option<SocketAddr>,
}

/// Upper layers implement this to receive connections and their messages.
///
/// Calls for one connection are made in order and never concurrently. Implementations must not block:
/// spawn a task for anything slow.
pub trait EngineHandler: Send + Sync + 'static {
    /// The upper layer's per-connection state.
    type Connection: Send + Sync + 'static;

    /// A connection completed its handshake.
    fn on_open(&self, socket: EngineSocket) -> Self::Connection;

    /// A message arrived on a connection.
    fn on_message(&self, connection: &Self::Connection, message: Incoming);

    /// The connection closed; no further calls follow for it.
    fn on_close(&self, connection: &Self::Connection, reason: CloseReason);
}

/// An outgoing message, framed once for the wire and cheap to clone: a broadcast builds one `Message`
/// and queues clones of it on every recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (a Socket.IO packet, for example), without the Engine.IO type digit.
    Text(Bytes),
    /// A binary message (a Socket.IO attachment, for example).
    Binary(Bytes),
}

impl Message {
    /// A text message.
    pub fn text(text: &str) -> Self {
        Self::Text(Bytes::copy_from_slice(text.as_bytes()))
    }

    /// A binary message.
    pub fn binary(bytes: Bytes) -> Self {
        Self::Binary(bytes)
    }
}

/// A handle on one Engine.IO connection; cheap to clone.
///
/// Sending never blocks: every connection has a bounded outgoing queue. A full queue closes the
/// connection with [`CloseReason::QueueFull`] (the slow-consumer policy), except for volatile sends,
/// which are dropped and counted instead.
#[derive(Debug, Clone)]
pub struct EngineSocket {
    shared: Arc<SocketShared>,
}

#[derive(Debug)]
struct SocketShared {
    id: String,
    request: RequestInfo,
    queue: mpsc::Sender<Message>,
    closed: watch::Sender<Option<CloseReason>>,
}

impl EngineSocket {
    /// A socket not attached to any transport: what is sent to it arrives on the returned receiver.
    /// For tests of the layers above.
    pub fn detached(
        id: &str,
        request: RequestInfo,
        capacity: usize,
    ) -> (Self, mpsc::Receiver<Message>) {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        let (closed, _) = watch::channel(None);
        let shared = SocketShared {
            id: id.to_owned(),
            request,
            queue,
            closed,
        };
        (
            Self {
                shared: Arc::new(shared),
            },
            rx,
        )
    }

    /// The Engine.IO session id. Secret: never send it to other clients.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The HTTP request that opened the connection.
    pub fn request(&self) -> &RequestInfo {
        &self.shared.request
    }

    /// Queues one message.
    ///
    /// # Errors
    /// [`SendError::Closed`] when the connection is closed; [`SendError::QueueFull`] when the queue is full,
    /// in which case the connection is closed.
    pub fn send(&self, message: Message) -> Result<(), SendError> {
        self.send_all(std::slice::from_ref(&message))
    }

    /// Queues several messages atomically: all of them or none (a packet and its binary attachments).
    ///
    /// # Errors
    /// As [`EngineSocket::send`].
    pub fn send_all(&self, messages: &[Message]) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        match self.shared.queue.try_reserve_many(messages.len()) {
            Ok(permits) => {
                for (permit, message) in permits.zip(messages.iter().cloned()) {
                    permit.send(message);
                }
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(())) => {
                self.close(CloseReason::QueueFull);
                Err(SendError::QueueFull)
            }
            Err(mpsc::error::TrySendError::Closed(())) => Err(SendError::Closed),
        }
    }

    /// Queues messages that may be dropped when the queue is full; returns whether they were queued.
    pub fn send_volatile(&self, messages: &[Message]) -> bool {
        match self.shared.queue.try_reserve_many(messages.len()) {
            Ok(permits) => {
                for (permit, message) in permits.zip(messages.iter().cloned()) {
                    permit.send(message);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Closes the connection. The first reason given wins.
    pub fn close(&self, reason: CloseReason) {
        self.shared.closed.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }

    /// Whether the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.borrow().is_some() || self.shared.queue.is_closed()
    }
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
    /// The outgoing queue is full; the connection is being closed (slow consumer).
    #[error("outgoing queue full")]
    QueueFull,
}
