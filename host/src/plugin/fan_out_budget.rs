//! The bytes one sync's fan-out may hold: without a bound, a client stage returning large distinct
//! outputs to thousands of recipients makes the host hold gigabytes at once.
//!
//! A [`FanOutBudget`] belongs to one [`SyncCall`](super::SyncCall) and is sized from the client
//! stage's `max_fan_out_mb`. Two places charge it: the runtime, for every result buffer of the
//! client stage it keeps (delivered outputs are slices of those buffers, so the whole buffer
//! counts), and the fan-out, for every distinct frame it encodes. Charges are never given back: the
//! budget bounds what one sync produces, and so what it can hold at once.
//!
//! It fails closed and stays closed: once a charge does not fit, every later charge fails too, so
//! every recipient past the budget is refused with [`ErrorCode::FanOutTooLarge`] (never a silent
//! drop, never a later recipient served after an earlier one was refused). It never blocks; it is
//! shared between a worker thread and the network task by reference counting.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::error::{ErrorCode, PluginError};

/// The byte budget of one fan-out.
#[derive(Debug)]
pub struct FanOutBudget {
    limit: usize,
    used: AtomicUsize,
    exhausted: AtomicBool,
    refused: AtomicU64,
}

impl FanOutBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            used: AtomicUsize::new(0),
            exhausted: AtomicBool::new(false),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes `bytes` from the budget. `false`, taking nothing, when they do not fit or an earlier
    /// charge did not; from then on the budget is exhausted.
    pub fn take(&self, bytes: usize) -> bool {
        if self.exhausted.load(Ordering::Relaxed) {
            return false;
        }
        let taken = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok();
        if !taken {
            self.exhausted.store(true, Ordering::Relaxed);
        }
        taken
    }

    /// Whether a charge has failed.
    pub fn is_exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }

    /// The failure of one recipient refused for the budget; counts it.
    pub fn refuse(&self) -> PluginError {
        self.refused.fetch_add(1, Ordering::Relaxed);
        PluginError::new(
            ErrorCode::FanOutTooLarge,
            format!(
                "the client outputs of this sync exceed max_fan_out_mb ({} bytes)",
                self.limit
            ),
        )
    }

    /// Recipients refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Bytes taken so far.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The budget in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_fit_until_one_does_not_then_every_later_one_fails() {
        let budget = FanOutBudget::new(100);
        assert!(budget.take(60));
        assert!(budget.take(40));
        assert_eq!(budget.used(), 100);
        assert!(!budget.take(1));
        assert!(budget.is_exhausted());
        // Closed for good, even for a charge that would have fit before.
        assert!(!budget.take(0));
        assert_eq!(budget.used(), 100);
        assert_eq!(budget.refuse().code, ErrorCode::FanOutTooLarge);
        assert_eq!(budget.refused(), 1);
    }

    #[test]
    fn a_charge_larger_than_the_whole_budget_takes_nothing() {
        let budget = FanOutBudget::new(10);
        assert!(!budget.take(usize::MAX));
        assert_eq!(budget.used(), 0);
    }
}
