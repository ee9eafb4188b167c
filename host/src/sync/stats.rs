//! Counters of the sync pipeline, read by `/metrics`. Relaxed atomics: totals, not a ledger.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals since start.
#[derive(Debug, Default)]
pub struct SyncStats {
    accepted: AtomicU64,
    refused: AtomicU64,
    delivered: AtomicU64,
    skipped: AtomicU64,
    recipient_errors: AtomicU64,
}

/// A copy of the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncTotals {
    /// Syncs that passed every check and their server stage.
    pub accepted: u64,
    /// Syncs refused before delivery (any error envelope to the sender).
    pub refused: u64,
    /// Recipient frames queued.
    pub delivered: u64,
    /// Recipients a client stage chose to skip.
    pub skipped: u64,
    /// Recipients that got an error frame from their client stage.
    pub recipient_errors: u64,
}

impl SyncStats {
    /// Counts the outcome of one `prepare`.
    pub fn record_prepare(&self, accepted: bool) {
        let counter = if accepted {
            &self.accepted
        } else {
            &self.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one refusal that happened before `prepare` (a malformed frame or HTTP body).
    pub fn record_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the outcome of one fan-out.
    pub fn record_fan_out(&self, delivered: u64, skipped: u64, errors: u64) {
        self.delivered.fetch_add(delivered, Ordering::Relaxed);
        self.skipped.fetch_add(skipped, Ordering::Relaxed);
        self.recipient_errors.fetch_add(errors, Ordering::Relaxed);
    }

    /// The totals so far.
    pub fn totals(&self) -> SyncTotals {
        SyncTotals {
            accepted: self.accepted.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            recipient_errors: self.recipient_errors.load(Ordering::Relaxed),
        }
    }
}
