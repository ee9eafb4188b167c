//! One Engine.IO connection seen by Socket.IO: its sockets (one per namespace), the reassembly of
//! binary packets and its time budget, the connect timeout, and the routing of each decoded packet.
//!
//! Every protocol violation closes this connection only (never the server), as Node does: a packet
//! that does not parse, a packet for a namespace the client has not joined, a second CONNECT, a
//! CONNECT_ERROR from a client. Handlers are always called without any lock held here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::value::RawValue;
use tokio::task::AbortHandle;

use super::ack::{AckReply, AckSender};
use super::args::Args;
use super::binary::{Decoded, Reassembler};
use super::emit;
use super::handler::{DisconnectReason, Event};
use super::packet::PacketType;
use super::server::ServerShared;
use super::socket::Socket;
use super::tap::Direction;
use crate::transport::{CloseReason, EngineConnection, Incoming, Ready};

/// The Socket.IO state of one Engine.IO connection.
#[derive(Debug)]
pub struct Connection {
    shared: Arc<ConnectionShared>,
}

#[derive(Debug)]
pub(crate) struct ConnectionShared {
    engine: EngineConnection,
    server: Arc<ServerShared>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Sockets by namespace, connecting ones included.
    sockets: HashMap<String, Socket>,
    reassembler: Reassembler,
    /// The connect-timeout task, until a namespace is joined or the connection closes.
    connect_timer: Option<AbortHandle>,
    /// The time budget of the binary packet waiting for attachments, while one waits.
    binary_timer: Option<AbortHandle>,
    closed: bool,
}

impl Connection {
    pub(crate) fn open(server: Arc<ServerShared>, engine: EngineConnection) -> Self {
        let config = &server.config;
        let reassembler = Reassembler::new(config.max_attachments, config.max_binary_bytes);
        let state = State {
            sockets: HashMap::new(),
            reassembler,
            connect_timer: None,
            binary_timer: None,
            closed: false,
        };
        let shared = Arc::new(ConnectionShared {
            engine,
            server,
            state: Mutex::new(state),
        });
        // Node closes a connection that has joined no namespace when `connectTimeout` expires.
        let weak = Arc::downgrade(&shared);
        let timeout = shared.server.config.connect_timeout;
        let timer = spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(shared) = weak.upgrade() {
                shared.engine.close(CloseReason::ServerClose);
            }
        });
        shared.lock().connect_timer = timer;
        Self { shared }
    }

    pub(crate) fn on_message(&self, message: Incoming) {
        let decoded = {
            let mut state = self.shared.lock();
            let decoded = match message {
                Incoming::Text(text) => state.reassembler.feed_text(&text),
                Incoming::Binary(data) => state.reassembler.feed_binary(data),
            };
            self.shared.time_binary_packet(&mut state);
            decoded
        };
        match decoded {
            Ok(Some(decoded)) => self.shared.dispatch(decoded),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(sid = self.shared.engine.id(), %error, "closing connection on a bad packet");
                self.shared.engine.close(CloseReason::ParseError);
            }
        }
    }

    /// The wait a namespace handler asks for before this connection's next message is read: the
    /// first one any of its sockets' handlers asks for.
    pub(crate) fn ready(&self) -> Option<Ready> {
        // Asked after every packet: a connection almost always has one socket, so that case takes
        // no allocation. Handlers are asked without the lock held.
        let (only, more) = {
            let state = self.shared.lock();
            match state.sockets.len() {
                0 => return None,
                1 => (state.sockets.values().next().cloned(), Vec::new()),
                _ => (
                    None,
                    state.sockets.values().cloned().collect::<Vec<Socket>>(),
                ),
            }
        };
        only.iter()
            .chain(&more)
            .find_map(|socket| socket.handler().clone().ready(socket))
    }

    pub(crate) fn on_close(&self, reason: CloseReason) {
        let sockets: Vec<Socket> = {
            let mut state = self.shared.lock();
            state.closed = true;
            for timer in [state.connect_timer.take(), state.binary_timer.take()]
                .into_iter()
                .flatten()
            {
                timer.abort();
            }
            state.sockets.drain().map(|(_, socket)| socket).collect()
        };
        for socket in sockets {
            socket.leave_namespace(DisconnectReason::from(reason));
        }
    }
}

impl ConnectionShared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms the time budget when a binary packet starts waiting for attachments, and disarms it once
    /// none waits: a packet still waiting when it expires closes the connection, so announced
    /// attachments that never come are not held for the life of the connection.
    fn time_binary_packet(self: &Arc<Self>, state: &mut State) {
        let Some(packet) = state.reassembler.waiting_packet() else {
            if let Some(timer) = state.binary_timer.take() {
                timer.abort();
            }
            return;
        };
        if state.binary_timer.is_some() || state.closed {
            return;
        }
        let weak = Arc::downgrade(self);
        let timeout = self.server.config.binary_timeout;
        state.binary_timer = spawn(async move {
            tokio::time::sleep(timeout).await;
            let Some(shared) = weak.upgrade() else { return };
            if shared.lock().reassembler.waiting_packet() == Some(packet) {
                tracing::debug!(
                    sid = shared.engine.id(),
                    "closing connection: binary attachments did not arrive in time"
                );
                shared.engine.close(CloseReason::ParseError);
            }
        });
    }

    /// Removes `socket` from the namespace map if it is still the one there.
    pub(crate) fn forget_socket(&self, socket: &Socket) {
        let mut state = self.lock();
        if state
            .sockets
            .get(socket.namespace())
            .is_some_and(|s| s.key() == socket.key())
        {
            state.sockets.remove(socket.namespace());
        }
    }

    fn protocol_violation(&self, what: &str) {
        tracing::debug!(
            sid = self.engine.id(),
            what,
            "closing connection on an invalid packet sequence"
        );
        self.engine.close(CloseReason::ParseError);
    }

    fn dispatch(self: &Arc<Self>, Decoded { packet, binaries }: Decoded) {
        if packet.packet_type == PacketType::Connect {
            return self.connect(packet.namespace, packet.payload);
        }
        let socket = self.lock().sockets.get(&packet.namespace).cloned();
        let Some(socket) = socket.filter(Socket::connect_reply_queued) else {
            return self.protocol_violation("packet for a namespace the client has not joined");
        };
        match packet.packet_type {
            PacketType::Disconnect => {
                self.forget_socket(&socket);
                socket.leave_namespace(DisconnectReason::ClientNamespaceDisconnect);
            }
            PacketType::Event | PacketType::BinaryEvent => {
                let Ok((name, args)) = packet.event_parts() else {
                    return self.protocol_violation("event without a valid name");
                };
                if let Some(tap) = socket.rooms_of().tap() {
                    tap.record(Direction::Received, socket.id(), &name, &args);
                }
                let ack = packet.id.map(|id| AckSender::new(socket.clone(), id));
                let handler = socket.handler().clone();
                handler.on_event(
                    &socket,
                    Event {
                        name,
                        args,
                        binaries,
                        ack,
                    },
                );
            }
            PacketType::Ack | PacketType::BinaryAck => {
                if let (Some(id), Some(payload)) = (packet.id, packet.payload) {
                    let args =
                        Args::from_compact_unchecked(String::from(Box::<str>::from(payload)));
                    socket.acks().resolve(id, AckReply { args, binaries });
                }
            }
            PacketType::ConnectError | PacketType::Connect => {
                self.protocol_violation("connect_error from a client")
            }
        }
    }

    fn connect(self: &Arc<Self>, name: String, auth: Option<Box<RawValue>>) {
        let Some(namespace) = self.server.namespaces.get(&name) else {
            // Best effort: if the queue is full the connection is closing anyway.
            let _ = self.engine.send(emit::invalid_namespace(&name));
            return;
        };
        let socket = Socket::new(
            namespace.shared().clone(),
            self.engine.clone(),
            Arc::downgrade(self),
        );
        {
            let mut state = self.lock();
            if state.closed || state.sockets.contains_key(&name) {
                drop(state);
                return self.protocol_violation("second connect for a namespace");
            }
            state.sockets.insert(name.clone(), socket.clone());
        }
        let rooms = namespace.shared().rooms.registry();
        rooms.add(socket.clone());
        // Like Node, every socket is in a room named after its id, so `to(id)` reaches it.
        rooms.join(socket.key(), socket.id());

        let auth = auth.unwrap_or_else(empty_object);
        let hook = namespace.shared().handler.on_connect(socket.clone(), auth);
        let connection = self.clone();
        let task = async move {
            match hook.await {
                Ok(()) => {
                    // The transport stops counting the connection as pending once it joined a namespace.
                    connection.engine.mark_accepted();
                    if socket.mark_connected()
                        && let Some(timer) = connection.lock().connect_timer.take()
                    {
                        timer.abort();
                    }
                }
                Err(refusal) => {
                    connection.forget_socket(&socket);
                    if socket.leave_namespace(DisconnectReason::ServerNamespaceDisconnect) {
                        let _ = connection.engine.send(emit::connect_error(&name, &refusal));
                    }
                }
            }
        };
        if spawn(task).is_none() {
            tracing::error!("no tokio runtime to run the connect hook; closing the connection");
            self.engine.close(CloseReason::ServerClose);
        }
    }
}

fn empty_object() -> Box<RawValue> {
    // `{}` is valid JSON; the fallback (`null`) is never used.
    RawValue::from_string("{}".to_owned()).unwrap_or_default()
}

/// Spawns on the current tokio runtime; `None` outside one (the transport always runs inside one).
fn spawn(task: impl Future<Output = ()> + Send + 'static) -> Option<AbortHandle> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    Some(runtime.spawn(task).abort_handle())
}
