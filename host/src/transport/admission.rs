//! The cap on pending connections: connections that completed the Engine.IO handshake but that the upper
//! layer has not accepted yet (for Socket.IO: no namespace joined).
//!
//! A pending connection costs memory and a task until the upper layer accepts it or its timeouts close
//! it, and opening one costs a client a single GET, so without a cap a flood of handshakes grows the
//! host without bound. A slot is taken before the handshake is answered and given back exactly once:
//! when the upper layer accepts the connection, when the connection finishes, or when the handshake fails
//! before a connection exists. This file only counts; it must never decide what "accepted" means.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::TransportMetrics;

/// One of the `max_pending_connections` slots; dropping it gives the slot back.
#[derive(Debug)]
pub(crate) struct PendingSlot(Arc<TransportMetrics>);

impl PendingSlot {
    /// Takes a slot unless `max` are taken.
    pub(crate) fn try_take(metrics: &Arc<TransportMetrics>, max: usize) -> Option<Self> {
        let max = max as u64;
        metrics
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count < max).then_some(count + 1)
            })
            .ok()
            .map(|_| Self(metrics.clone()))
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slots_are_capped_and_given_back_on_drop() {
        let metrics = Arc::new(TransportMetrics::default());
        let first = PendingSlot::try_take(&metrics, 2).unwrap();
        let second = PendingSlot::try_take(&metrics, 2).unwrap();
        assert!(PendingSlot::try_take(&metrics, 2).is_none());
        assert_eq!(metrics.snapshot().pending, 2);
        drop(first);
        let third = PendingSlot::try_take(&metrics, 2).unwrap();
        drop((second, third));
        assert_eq!(metrics.snapshot().pending, 0);
    }
}
