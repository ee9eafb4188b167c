//! The handle upper layers hold on one connection: identity, the bounded outgoing queue and the close
//! signal.
//!
//! Sending never blocks and never waits for the network: messages go into a bounded queue that the
//! connection's transport drains. A full queue closes the connection (slow-consumer policy), except for
//! volatile sends, which are dropped and counted. This file must not know which transport drains the queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::Notify;

use super::admission::PendingSlot;
use super::outbox::{OutQueue, Outbox, Outgoing, Refused};
use super::{CloseReason, Message, RequestInfo, TransportMetrics};

/// A handle on one Engine.IO connection; cheap to clone.
///
/// Sending never blocks: every connection has a bounded outgoing queue. A full queue closes the
/// connection with [`CloseReason::QueueFull`] (the slow-consumer policy), except for volatile sends,
/// which are dropped and counted instead.
#[derive(Debug, Clone)]
pub struct EngineConnection {
    shared: Arc<SocketShared>,
}

#[derive(Debug)]
struct SocketShared {
    id: Box<str>,
    request: RequestInfo,
    close_reason: OnceLock<CloseReason>,
    /// Next to the close reason, which every send reads first.
    queue: OutQueue,
    /// Set when the transport task has finished with the connection (on_close was called).
    finished: AtomicBool,
    /// Woken on every state change a waiting transport must look at: close, ping due, upgrade progress.
    wake: Notify,
    metrics: Arc<TransportMetrics>,
    /// The pending-connection slot, until the upper layer accepts the connection or it finishes.
    pending: Mutex<Option<PendingSlot>>,
}

impl EngineConnection {
    /// A socket not attached to any transport: what is sent to it arrives on the returned receiver.
    /// For tests of the layers above.
    pub fn detached(id: &str, request: RequestInfo, capacity: usize) -> (Self, Outbox) {
        Self::new(
            id.into(),
            request,
            (capacity, usize::MAX),
            Arc::default(),
            None,
        )
    }

    /// `capacity` is the queue's bound in messages and in bytes.
    pub(crate) fn new(
        id: Box<str>,
        request: RequestInfo,
        capacity: (usize, usize),
        metrics: Arc<TransportMetrics>,
        pending: Option<PendingSlot>,
    ) -> (Self, Outbox) {
        let shared = SocketShared {
            id,
            request,
            close_reason: OnceLock::new(),
            queue: OutQueue::new(capacity.0, capacity.1),
            finished: AtomicBool::new(false),
            wake: Notify::new(),
            metrics,
            pending: Mutex::new(pending),
        };
        let socket = Self {
            shared: Arc::new(shared),
        };
        let outbox = Outbox::new(socket.clone());
        (socket, outbox)
    }

    /// The Engine.IO connection id. Secret: never send it to other clients.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The HTTP request that opened the connection.
    pub fn request(&self) -> &RequestInfo {
        &self.shared.request
    }

    /// Tells the transport the upper layer accepted this connection (for Socket.IO: it joined a
    /// namespace), so it no longer counts against `max_pending_connections`. Idempotent.
    pub fn mark_accepted(&self) {
        drop(self.take_pending_slot());
    }

    fn take_pending_slot(&self) -> Option<PendingSlot> {
        // An `Option` take cannot be left half-done by a panic, so a poisoned lock is still sound.
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Queues one message.
    ///
    /// # Errors
    /// [`SendError::Closed`] when the connection is closed; [`SendError::QueueFull`] when the queue is full,
    /// in which case the connection is closed.
    pub fn send(&self, message: Message) -> Result<(), SendError> {
        self.send_all(message)
    }

    /// Queues several messages atomically: all of them or none (a packet and its binary attachments).
    /// More messages than the queue's capacity can never fit and count as a full queue.
    ///
    /// # Errors
    /// As [`EngineConnection::send`].
    pub fn send_all(&self, messages: impl Outgoing) -> Result<(), SendError> {
        match self.push(messages) {
            Ok(()) => Ok(()),
            Err(Refused::Full) => {
                if self.close_with(CloseReason::QueueFull) {
                    self.shared.metrics.record_queue_full_close();
                }
                Err(SendError::QueueFull)
            }
            Err(Refused::Closed) => Err(SendError::Closed),
        }
    }

    /// Queues messages that may be dropped when the queue is full (all or none); returns whether they
    /// were queued. Drops are counted in [`TransportMetrics`].
    pub fn send_volatile(&self, messages: impl Outgoing) -> bool {
        let count = messages.messages().len();
        match self.push(messages) {
            Ok(()) => true,
            Err(Refused::Full) => {
                self.shared.metrics.record_volatile_drops(count);
                false
            }
            Err(Refused::Closed) => false,
        }
    }

    /// Queues `messages` unless the connection is closing; the queue itself refuses them when full or
    /// when its receiver is gone.
    fn push(&self, messages: impl Outgoing) -> Result<(), Refused> {
        if self.shared.close_reason.get().is_some() {
            return Err(Refused::Closed);
        }
        self.shared.queue.push_all(messages)
    }

    /// Closes the connection; safe from any thread. The first reason given wins.
    pub fn close(&self, reason: CloseReason) {
        self.close_with(reason);
    }

    /// Whether the connection is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.shared.close_reason.get().is_some() || self.shared.queue.is_closed()
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.close_reason.get().copied()
    }

    /// Waits until the connection is closed and returns the reason.
    pub async fn closed(&self) -> CloseReason {
        loop {
            let notified = self.shared.wake.notified();
            tokio::pin!(notified);
            // Registering before checking means a close between the check and the await still wakes us.
            notified.as_mut().enable();
            if let Some(reason) = self.close_reason() {
                return reason;
            }
            notified.await;
        }
    }

    /// Records the reason and wakes the transport; returns whether this call closed the connection.
    fn close_with(&self, reason: CloseReason) -> bool {
        let first = self.shared.close_reason.set(reason).is_ok();
        if first {
            self.shared.wake.notify_waiters();
        }
        first
    }

    /// Wakes whatever transport waits on this connection so it re-reads the connection's state.
    pub(crate) fn wake(&self) {
        self.shared.wake.notify_waiters();
    }

    /// A future that completes on the next [`EngineConnection::wake`] or close, registered at creation.
    pub(crate) fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.shared.wake.notified()
    }

    /// Marks the transport as done with the connection; returns false if it was already marked.
    pub(crate) fn finish(&self) -> bool {
        drop(self.take_pending_slot());
        !self.shared.finished.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn metrics(&self) -> &TransportMetrics {
        &self.shared.metrics
    }

    /// The outgoing queue itself, for its receiving half.
    pub(super) fn queue(&self) -> &OutQueue {
        &self.shared.queue
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn request() -> RequestInfo {
        RequestInfo {
            headers: Default::default(),
            query: String::new(),
            remote_addr: None,
        }
    }

    #[test]
    fn a_full_queue_closes_the_connection_and_volatile_sends_are_counted() {
        let metrics = Arc::new(TransportMetrics::default());
        let (socket, _rx) = EngineConnection::new(
            "a".into(),
            request(),
            (2, usize::MAX),
            metrics.clone(),
            None,
        );
        assert!(socket.send_volatile(&[Message::text("1"), Message::text("2")]));
        assert!(!socket.send_volatile(&[Message::text("3")]));
        assert_eq!(metrics.snapshot().volatile_drops, 1);
        assert!(!socket.is_closed());
        assert_eq!(socket.send(Message::text("4")), Err(SendError::QueueFull));
        assert_eq!(socket.close_reason(), Some(CloseReason::QueueFull));
        assert_eq!(metrics.snapshot().queue_full_closes, 1);
        assert_eq!(socket.send(Message::text("5")), Err(SendError::Closed));
    }

    #[test]
    fn the_first_close_reason_wins() {
        let (socket, _rx) = EngineConnection::detached("a", request(), 4);
        socket.close(CloseReason::ServerClose);
        socket.close(CloseReason::PingTimeout);
        assert_eq!(socket.close_reason(), Some(CloseReason::ServerClose));
    }
}
