//! Counters the transport keeps for operators: connections, slow-consumer closes, volatile drops,
//! and the gauge of pending connections (handshaken, not yet accepted by the upper layer) that
//! `admission.rs` caps.
//!
//! Plain relaxed atomics, shared by every connection of one engine; reading them never blocks a sender.

use std::sync::atomic::{AtomicU64, Ordering};

/// Transport counters, shared by all connections of one engine.
#[derive(Debug, Default)]
pub struct TransportMetrics {
    opened: AtomicU64,
    closed: AtomicU64,
    queue_full_closes: AtomicU64,
    volatile_drops: AtomicU64,
    pub(super) pending: AtomicU64,
    busy_refusals: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetricsSnapshot {
    /// Connections that completed a handshake.
    pub opened: u64,
    /// Connections that closed.
    pub closed: u64,
    /// Connections closed because their outgoing queue was full.
    pub queue_full_closes: u64,
    /// Volatile messages dropped because the outgoing queue was full.
    pub volatile_drops: u64,
    /// Sessions handshaken and not yet accepted by the upper layer (a gauge).
    pub pending: u64,
    /// Handshakes refused because `max_pending_connections` were pending.
    pub busy_refusals: u64,
}

impl TransportMetrics {
    /// The current values.
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            opened: self.opened.load(Ordering::Relaxed),
            closed: self.closed.load(Ordering::Relaxed),
            queue_full_closes: self.queue_full_closes.load(Ordering::Relaxed),
            volatile_drops: self.volatile_drops.load(Ordering::Relaxed),
            pending: self.pending.load(Ordering::Relaxed),
            busy_refusals: self.busy_refusals.load(Ordering::Relaxed),
        }
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> u64 {
        let snapshot = self.snapshot();
        snapshot.opened.saturating_sub(snapshot.closed)
    }

    pub(crate) fn record_open(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_close(&self) {
        self.closed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_queue_full_close(&self) {
        self.queue_full_closes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_busy_refusal(&self) {
        self.busy_refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_volatile_drops(&self, count: usize) {
        self.volatile_drops
            .fetch_add(count as u64, Ordering::Relaxed);
    }
}
