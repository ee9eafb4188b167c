//! A socket: one client's membership of one namespace, and the handle upper layers use to talk to it.
//!
//! A socket is created when a CONNECT arrives and is "connecting" while the namespace's connect hook
//! runs; what is sent to it meanwhile is held and follows the CONNECT reply, so a client never sees an
//! event before it is connected. It leaves exactly once (client DISCONNECT, server disconnect, or the
//! connection closing), and only a socket that was connected is reported to `on_disconnect`.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use rand::Rng;

use super::ack::{AckError, AckReply, AckTable};
use super::args::Args;
use super::connection::ConnectionShared;
use super::emit;
use super::handler::{DisconnectReason, NamespaceHandler};
use super::namespace::{Broadcast, NamespaceShared};
use super::tap::Direction;
use crate::rooms::{Delivery, Member};
use crate::transport::{EngineConnection, Message, Outgoing, RequestInfo, SendError};

/// How many packets a connecting socket holds before further ones fail.
const MAX_HELD_WHILE_CONNECTING: usize = 256;

/// Why an emit was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The socket has left its namespace, or its connection is closed.
    #[error("socket disconnected")]
    Disconnected,
    /// The connection's queue is full; the connection is being closed (slow consumer).
    #[error("outgoing queue full")]
    QueueFull,
}

/// A handle on one socket; cheap to clone.
#[derive(Debug, Clone)]
pub struct Socket {
    inner: Arc<SocketInner>,
}

#[derive(Debug)]
struct SocketInner {
    key: u64,
    id: String,
    namespace: Arc<NamespaceShared>,
    engine: EngineConnection,
    connection: Weak<ConnectionShared>,
    /// Fast path for sends: true once connected, false again once left.
    connected: AtomicBool,
    phase: Mutex<Phase>,
    acks: AckTable,
    /// What the namespace's handler attached to this socket (Node's `socket.data`), set once.
    data: OnceLock<Box<dyn Any + Send + Sync>>,
}

#[derive(Debug)]
enum Phase {
    /// The connect hook is running; held packets follow the CONNECT reply.
    Connecting(Vec<Vec<Message>>),
    Connected,
    Left,
}

impl Socket {
    pub(crate) fn new(
        namespace: Arc<NamespaceShared>,
        engine: EngineConnection,
        connection: Weak<ConnectionShared>,
    ) -> Self {
        static NEXT_KEY: AtomicU64 = AtomicU64::new(0);
        let inner = SocketInner {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            id: random_id(),
            namespace,
            engine,
            connection,
            connected: AtomicBool::new(false),
            phase: Mutex::new(Phase::Connecting(Vec::new())),
            acks: AckTable::default(),
            data: OnceLock::new(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The socket id sent in the CONNECT reply: random, distinct from the Engine.IO session id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The Engine.IO connection's id (Node's `socket.client.id`), shared by the connection's
    /// sockets in every namespace.
    pub fn connection_id(&self) -> &str {
        self.inner.engine.id()
    }

    /// The namespace this socket belongs to.
    pub fn namespace(&self) -> &str {
        self.inner.namespace.name()
    }

    /// The HTTP request that opened the connection (headers for cookies and `Accept-Language`).
    pub fn request(&self) -> &RequestInfo {
        self.inner.engine.request()
    }

    /// Attaches the handler's own state to this socket (for example its session). It can be set once,
    /// usually in [`NamespaceHandler::on_connect`]; returns false when data was already attached.
    pub fn set_data<T: Any + Send + Sync>(&self, data: T) -> bool {
        self.inner.data.set(Box::new(data)).is_ok()
    }

    /// The state attached with [`Socket::set_data`], when it is a `T`.
    pub fn data<T: Any>(&self) -> Option<&T> {
        self.inner.data.get()?.downcast_ref()
    }

    /// Whether the socket is in `room`.
    pub fn in_room(&self, room: &str) -> bool {
        self.inner
            .namespace
            .rooms
            .registry()
            .contains(self.inner.key, room)
    }

    /// Whether the socket is connected (not connecting, not left).
    pub fn is_connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire)
    }

    /// Whether the CONNECT reply has been queued and the socket has not left. Unlike
    /// [`Socket::is_connected`] (a fast-path flag set just after the reply is queued), this is true as
    /// soon as the client can have seen the reply: when the flag is not set yet, reading the phase
    /// under its lock waits for a [`Socket::mark_connected`] in progress. Packets from the client
    /// are judged by this, so one that answers the reply at once is never taken for a violation.
    pub(crate) fn connect_reply_queued(&self) -> bool {
        self.is_connected() || matches!(*lock(&self.inner.phase), Phase::Connected)
    }

    /// Sends an event.
    ///
    /// # Errors
    /// [`EmitError`] when the socket has left or its queue is full.
    pub fn emit(&self, event: &str, args: &Args) -> Result<(), EmitError> {
        self.emit_binary(event, args, &[])
    }

    /// Sends an event whose placeholders refer to `binaries` (BINARY_EVENT when non-empty).
    ///
    /// # Errors
    /// [`EmitError`] when the socket has left or its queue is full.
    pub fn emit_binary(
        &self,
        event: &str,
        args: &Args,
        binaries: &[Bytes],
    ) -> Result<(), EmitError> {
        if let Some(tap) = self.inner.namespace.rooms.tap() {
            tap.record(Direction::Sent, self.id(), event, args);
        }
        self.send_frames(
            emit::event(self.namespace(), event, args, binaries, None),
            false,
        )
    }

    /// Sends an event and waits up to `timeout` for the client's acknowledgement.
    ///
    /// # Errors
    /// [`AckError::Timeout`], [`AckError::Disconnected`], or [`AckError::Send`] when it could not be queued.
    pub async fn emit_with_ack(
        &self,
        event: &str,
        args: &Args,
        binaries: &[Bytes],
        timeout: Duration,
    ) -> Result<AckReply, AckError> {
        let (id, reply) = self.inner.acks.register()?;
        if let Err(error) = self.send_frames(
            emit::event(self.namespace(), event, args, binaries, Some(id)),
            false,
        ) {
            self.inner.acks.forget(id);
            return Err(error.into());
        }
        match tokio::time::timeout(timeout, reply).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) => Err(AckError::Disconnected),
            Err(_) => {
                self.inner.acks.forget(id);
                Err(AckError::Timeout)
            }
        }
    }

    /// Queues frames built elsewhere (for example by [`emit::event`] once for many sockets of this
    /// namespace): borrowed frames are shared with the other recipients, owned ones are moved in.
    /// `volatile` frames are dropped instead of overflowing the queue.
    ///
    /// # Errors
    /// [`EmitError`] when the socket has left or its queue is full (or, volatile, was full).
    pub fn send_frames(&self, frames: impl Outgoing, volatile: bool) -> Result<(), EmitError> {
        if self.is_connected() && !volatile {
            // The common case, told apart precisely: a full queue is not the same as a closed one.
            return self
                .inner
                .engine
                .send_all(frames)
                .map_err(|error| match error {
                    SendError::Closed => EmitError::Disconnected,
                    SendError::QueueFull => EmitError::QueueFull,
                });
        }
        match self.deliver(frames.messages(), volatile) {
            Delivery::Sent => Ok(()),
            Delivery::Dropped => Err(EmitError::QueueFull),
            Delivery::Failed if self.is_live() && !self.inner.engine.is_closed() => {
                Err(EmitError::QueueFull)
            }
            Delivery::Failed => Err(EmitError::Disconnected),
        }
    }

    /// Joins a room (no-op when already in it or when the socket has left).
    pub fn join(&self, room: &str) {
        self.inner
            .namespace
            .rooms
            .registry()
            .join(self.inner.key, room);
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        self.inner
            .namespace
            .rooms
            .registry()
            .leave(self.inner.key, room);
    }

    /// The rooms this socket is in, its own id room included.
    pub fn rooms(&self) -> Vec<Arc<str>> {
        self.inner
            .namespace
            .rooms
            .registry()
            .rooms_of(self.inner.key)
    }

    /// A broadcast to `room` that leaves this socket out (Node's `socket.to(room)`).
    pub fn to(&self, room: impl Into<String>) -> Broadcast {
        self.broadcast().to(room)
    }

    /// A broadcast to `room` that includes this socket when it is a member (Node's `io.in(room)`).
    pub fn within(&self, room: impl Into<String>) -> Broadcast {
        Broadcast::new(self.inner.namespace.rooms.clone()).to(room)
    }

    /// A broadcast to the whole namespace that leaves this socket out.
    pub fn broadcast(&self) -> Broadcast {
        Broadcast::new(self.inner.namespace.rooms.clone()).except(self.id().to_owned())
    }

    /// Leaves the namespace: sends DISCONNECT (`1[/nsp,]`); the connection stays open.
    pub fn disconnect(&self) {
        if let Some(connection) = self.inner.connection.upgrade() {
            connection.forget_socket(self);
        }
        if self.connect_reply_queued() {
            // Best effort: a closed or full connection is going away anyway.
            let _ = self.inner.engine.send(emit::disconnect(self.namespace()));
        }
        self.leave_namespace(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Closes the whole connection (every namespace of this client).
    pub fn close_connection(&self) {
        self.inner
            .engine
            .close(crate::transport::CloseReason::ServerClose);
    }

    pub(crate) fn key(&self) -> u64 {
        self.inner.key
    }

    pub(crate) fn handler(&self) -> &Arc<dyn NamespaceHandler> {
        &self.inner.namespace.handler
    }

    /// The rooms (and tap) of the socket's namespace.
    pub(crate) fn rooms_of(&self) -> &super::NamespaceRooms {
        &self.inner.namespace.rooms
    }

    pub(crate) fn acks(&self) -> &AckTable {
        &self.inner.acks
    }

    pub(crate) fn send_ack(
        &self,
        id: u64,
        args: &Args,
        binaries: &[Bytes],
    ) -> Result<(), EmitError> {
        self.send_frames(emit::ack(self.namespace(), id, args, binaries), false)
    }

    /// Sends the CONNECT reply, then whatever was held; false when the socket left meanwhile.
    pub(crate) fn mark_connected(&self) -> bool {
        let mut phase = lock(&self.inner.phase);
        let held = match &mut *phase {
            Phase::Connecting(held) => std::mem::take(held),
            Phase::Connected | Phase::Left => return false,
        };
        *phase = Phase::Connected;
        // A failed send means the connection is closing; its close then makes the socket leave.
        if self
            .inner
            .engine
            .send(emit::connect(self.namespace(), self.id()))
            .is_ok()
        {
            for frames in &held {
                if self.inner.engine.send_all(frames).is_err() {
                    break;
                }
            }
        }
        self.inner.connected.store(true, Ordering::Release);
        true
    }

    /// Leaves the namespace once: out of every room, pending acks failed, handler told (if it was
    /// connected). Returns false when it had already left.
    pub(crate) fn leave_namespace(&self, reason: DisconnectReason) -> bool {
        let was = std::mem::replace(&mut *lock(&self.inner.phase), Phase::Left);
        self.inner.connected.store(false, Ordering::Release);
        if matches!(was, Phase::Left) {
            return false;
        }
        self.inner.namespace.rooms.registry().remove(self.inner.key);
        self.inner.acks.close();
        if matches!(was, Phase::Connected) {
            self.inner.namespace.handler.on_disconnect(self, reason);
        }
        true
    }

    fn is_live(&self) -> bool {
        !matches!(*lock(&self.inner.phase), Phase::Left)
    }
}

impl Member for Socket {
    fn key(&self) -> u64 {
        self.inner.key
    }

    fn deliver(&self, messages: &[Message], volatile: bool) -> Delivery {
        if !self.is_connected() {
            let mut phase = lock(&self.inner.phase);
            match &mut *phase {
                Phase::Connecting(held) if held.len() < MAX_HELD_WHILE_CONNECTING => {
                    held.push(messages.to_vec());
                    return Delivery::Sent;
                }
                Phase::Connecting(_) => {
                    return if volatile {
                        Delivery::Dropped
                    } else {
                        Delivery::Failed
                    };
                }
                Phase::Left => return Delivery::Failed,
                // Connected between the check and the lock: send below.
                Phase::Connected => {}
            }
        }
        if volatile {
            if self.inner.engine.send_volatile(messages) {
                Delivery::Sent
            } else {
                Delivery::Dropped
            }
        } else {
            match self.inner.engine.send_all(messages) {
                Ok(()) => Delivery::Sent,
                Err(_) => Delivery::Failed,
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 20 random URL-safe characters (120 bits), like Node's socket ids.
fn random_id() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;
