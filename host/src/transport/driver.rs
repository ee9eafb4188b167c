//! The task that owns one connection's life: the upper layer's state, the heartbeat, and the end.
//!
//! Exactly one task per connection calls the upper layer, so its calls come in order and never
//! overlap. A polling connection's task receives POSTed packets and, after an upgrade, the WebSocket, which
//! it then drives itself (see `websocket::drive`). This task must never hold a lock across an await.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::engine::EngineInner;
use super::heartbeat::{Beat, Heartbeat};
use super::packet::Packet;
use super::polling_link::{Inbound, PollingLink};
use super::{CloseReason, EngineConnection, EngineHandler, websocket};

/// How long a connection closed by the client stays findable for the GET that carries its noop.
const CLOSE_NOOP_GRACE: Duration = Duration::from_secs(1);

/// One connection, as its task sees it.
pub(crate) struct Driver<H: EngineHandler> {
    pub(crate) engine: Arc<EngineInner<H>>,
    pub(crate) socket: EngineConnection,
    pub(crate) heartbeat: Heartbeat,
    connection: H::Connection,
}

impl<H: EngineHandler> Driver<H> {
    /// Starts the heartbeat clock at `opened` (when the handshake was made, before it was answered);
    /// `connection` is what the upper layer returned from `on_open`.
    pub(crate) fn new(
        engine: Arc<EngineInner<H>>,
        socket: EngineConnection,
        connection: H::Connection,
        opened: Instant,
    ) -> Self {
        let config = &engine.config;
        let heartbeat = Heartbeat::start(opened, config.ping_interval(), config.ping_timeout());
        Self {
            engine,
            socket,
            heartbeat,
            connection,
        }
    }

    /// Handles one packet from the client; returns why the connection must close, if it must.
    pub(crate) fn dispatch(&mut self, packet: Packet) -> Option<CloseReason> {
        if !matches!(packet, Packet::Pong) {
            self.heartbeat.on_other_packet();
        }
        match packet {
            Packet::Message(message) => {
                self.engine.handler.on_message(&self.connection, message);
                None
            }
            Packet::Pong => {
                self.heartbeat.on_pong();
                None
            }
            Packet::Close => Some(CloseReason::ClientClose),
            // EIO v4: only the server pings; `2probe` is legal only on a WebSocket being probed.
            Packet::Ping { .. } => Some(CloseReason::TransportError),
            Packet::Open | Packet::Upgrade | Packet::Noop => None,
        }
    }

    /// The upper layer's wait before the next message may be read, if it must wait.
    pub(crate) fn ready(&self) -> Option<super::Ready> {
        self.engine.handler.ready(&self.connection)
    }

    /// Removes the connection from the table and tells the upper layer, once.
    pub(crate) fn finish(self, reason: CloseReason) {
        self.engine.remove(self.socket.id());
        self.notify_closed(reason);
    }

    /// Closes the socket and tells the upper layer, once.
    pub(crate) fn notify_closed(self, reason: CloseReason) {
        self.socket.close(reason);
        if self.socket.finish() {
            self.socket.metrics().record_close();
            self.engine.handler.on_close(&self.connection, reason);
        }
    }
}

/// Runs a polling connection until it closes, or until it upgrades and its WebSocket closes.
pub(crate) async fn run_polling<H: EngineHandler>(
    engine: Arc<EngineInner<H>>,
    socket: EngineConnection,
    link: Arc<PollingLink>,
    mut inbound: mpsc::Receiver<Inbound>,
    connection: H::Connection,
    opened: Instant,
) {
    let mut driver = Driver::new(engine, socket.clone(), connection, opened);
    let sleep = tokio::time::sleep_until(driver.heartbeat.deadline());
    tokio::pin!(sleep);
    let reason = loop {
        let notified = socket.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(reason) = socket.close_reason() {
            break reason;
        }
        tokio::select! {
            () = &mut notified => {}
            () = &mut sleep => match driver.heartbeat.on_deadline() {
                Beat::Ping => {
                    link.queue_ping(driver.heartbeat.pong_deadline());
                    socket.wake();
                }
                Beat::TimedOut => break CloseReason::PingTimeout,
            },
            item = inbound.recv() => match item {
                Some(Inbound::Packets(payload)) => {
                    let mut closed = None;
                    for packet in payload.packets() {
                        closed = driver.dispatch(packet);
                        if closed.is_some() {
                            break;
                        }
                        // The rest of the body, and the next POST, wait while the upper layer is busy.
                        if let Some(wait) = driver.ready() {
                            wait.await;
                        }
                    }
                    if let Some(reason) = closed {
                        break reason;
                    }
                    link.set_pong_deadline(driver.heartbeat.pong_deadline());
                }
                Some(Inbound::Upgrade(mut ws)) => {
                    let Some(mut rx) = link.take_queue().await else { break CloseReason::TransportError };
                    let reason = websocket::drive(&mut driver, &mut ws, &mut rx).await;
                    websocket::close(*ws, reason).await;
                    break reason;
                }
                // The link in the connection table holds a sender for as long as the connection is open.
                None => break CloseReason::TransportError,
            },
        }
        if sleep.deadline() != driver.heartbeat.deadline() {
            sleep.as_mut().reset(driver.heartbeat.deadline());
        }
    };
    if reason == CloseReason::ClientClose && !link.is_upgraded() {
        link.offer_close_noop();
    }
    // Wakes a held GET so it answers with the close.
    socket.close(reason);
    let engine = driver.engine.clone();
    driver.notify_closed(reason);
    // A client's close POST and its GET travel on separate connections and may be served in either
    // order; keep the connection findable briefly so a GET that lost the race still gets its noop.
    if link.close_noop_pending() {
        tokio::time::sleep(CLOSE_NOOP_GRACE).await;
    }
    engine.remove(socket.id());
}
