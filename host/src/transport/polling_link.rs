//! The state a polling connection's requests share with its connection task: the outgoing queue a GET
//! drains, the channel POSTs feed, the in-flight flags, the pending ping and the upgrade's progress.
//!
//! Everything here is a flag, a lock held only within one request, or a channel, so requests and the
//! connection task never wait on each other except where the protocol says so (one GET at a time; an
//! upgrade handing over after the POST in flight). No HTTP here: that is `polling.rs`.

use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use axum::extract::ws::WebSocket;
use tokio::sync::{Mutex, Notify, mpsc};
use tokio::time::Instant;

use super::Outbox;
use super::packet::Payload;

/// Upgrade progress, in [`PollingLink::upgrade`].
pub(super) const UPGRADE_NONE: u8 = 0;
const UPGRADE_PENDING: u8 = 1;
pub(super) const UPGRADE_DONE: u8 = 2;

/// What reaches the connection task of a polling connection.
pub(crate) enum Inbound {
    /// The packets of one POST body, in order.
    Packets(Payload),
    /// The upgrade finished: this WebSocket now carries the connection.
    Upgrade(Box<WebSocket>),
}

/// The state polling requests share with the connection task.
pub(crate) struct PollingLink {
    /// The outgoing queue; locked by the one GET in flight, taken by the WebSocket after an upgrade.
    pub(super) rx: Mutex<Option<Outbox>>,
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(super) post_in_flight: AtomicBool,
    /// Woken when a POST ends, for an upgrade that waits to hand over after it.
    pub(super) post_done: Notify,
    pub(super) ping_pending: AtomicBool,
    /// Set when the client closed the connection: the first GET to come (held or late) gets a noop.
    pub(super) close_noop: AtomicBool,
    /// When the pong for the ping in flight is due: requests arriving later see the connection as timed
    /// out even if the connection task has not woken up yet.
    pong_deadline: std::sync::Mutex<Option<Instant>>,
    pub(super) upgrade: AtomicU8,
}

impl PollingLink {
    /// The link of a new connection: `rx` is its outgoing queue, `inbound` feeds its connection task.
    pub(super) fn new(rx: Outbox, inbound: mpsc::Sender<Inbound>) -> Self {
        Self {
            rx: Mutex::new(Some(rx)),
            inbound,
            post_in_flight: AtomicBool::new(false),
            post_done: Notify::new(),
            ping_pending: AtomicBool::new(false),
            close_noop: AtomicBool::new(false),
            pong_deadline: std::sync::Mutex::new(None),
            upgrade: AtomicU8::new(UPGRADE_NONE),
        }
    }

    /// Whether the connection moved to a WebSocket; polling is refused from then on.
    pub(crate) fn is_upgraded(&self) -> bool {
        self.upgrade.load(Ordering::SeqCst) == UPGRADE_DONE
    }

    /// Claims the one upgrade a connection may have; false if one is under way or done.
    pub(crate) fn begin_upgrade(&self) -> bool {
        self.upgrade
            .compare_exchange(
                UPGRADE_NONE,
                UPGRADE_PENDING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Marks the upgrade done, at once on receipt of `5`, so a GET or POST sent right after it is
    /// refused.
    pub(crate) fn complete_upgrade(&self) {
        self.upgrade.store(UPGRADE_DONE, Ordering::SeqCst);
    }

    /// Waits until no POST is in flight, so packets the client POSTed before its `5` reach the connection
    /// task before the WebSocket does; false if one is still running at `deadline`.
    pub(crate) async fn posts_finished(&self, deadline: Instant) -> bool {
        loop {
            let done = self.post_done.notified();
            tokio::pin!(done);
            // Registered before the check, so a POST ending in between still wakes us.
            done.as_mut().enable();
            if !self.post_in_flight.load(Ordering::SeqCst) {
                return true;
            }
            if tokio::time::timeout_at(deadline, done).await.is_err() {
                return !self.post_in_flight.load(Ordering::SeqCst);
            }
        }
    }

    /// The upgrade failed; polling goes on.
    pub(crate) fn abort_upgrade(&self) {
        let _ = self.upgrade.compare_exchange(
            UPGRADE_PENDING,
            UPGRADE_NONE,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Queues a ping for the next GET; its pong is due at `pong_deadline`.
    pub(crate) fn queue_ping(&self, pong_deadline: Option<Instant>) {
        self.set_pong_deadline(pong_deadline);
        self.ping_pending.store(true, Ordering::Release);
    }

    /// Records when the pong in flight is due (`None`: no ping in flight).
    pub(crate) fn set_pong_deadline(&self, deadline: Option<Instant>) {
        *self
            .pong_deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = deadline;
    }

    /// Whether the pong in flight is overdue.
    pub(super) fn pong_overdue(&self) -> bool {
        let deadline = *self
            .pong_deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// The client closed the connection: offer the noop that ends its GET, held or about to arrive.
    pub(crate) fn offer_close_noop(&self) {
        self.close_noop.store(true, Ordering::Release);
    }

    /// Whether the noop offered at a client close is still waiting for its GET.
    pub(crate) fn close_noop_pending(&self) -> bool {
        self.close_noop.load(Ordering::Acquire)
    }

    /// Takes the outgoing queue for the WebSocket; waits for a GET in flight to finish.
    pub(crate) async fn take_queue(&self) -> Option<Outbox> {
        self.rx.lock().await.take()
    }
}
