//! The bytes one sync's fan-out may hold: without a bound, a client stage returning large distinct
//! outputs to thousands of recipients makes the host hold gigabytes at once.
//!
//! A [`FanOutBudget`] belongs to one [`SyncCall`](super::SyncCall) and is sized from the client
//! stage's `max_fan_out_mb`; it counts the result buffers of the client stage and the frames
//! encoded from them, which are held at the same time. Two places charge it: the runtime, for
//! every result buffer it keeps (delivered outputs are slices of it, so the whole buffer counts),
//! twice: once for the buffer and once ahead for the frames that will be built from it, so it never
//! admits a recipient whose frame has no room; and the fan-out, for what each distinct frame takes
//! beyond its output (JSON writes binary data as numbers). Charges are never given back: the budget
//! bounds what one sync produces, and so what it can hold at once.
//!
//! It fails closed and stays closed, once for each of the two phases: the runtime admits result
//! buffers in recipient order until one does not fit, and refuses every later delivered outcome
//! with [`ErrorCode::FanOutTooLarge`]; the fan-out then builds frames for the admitted outputs, in
//! the same order, until one does not fit, and refuses every later one. So the recipients served
//! are always a prefix of those the stage delivered to (never a silent drop, never a later
//! recipient served after an earlier one was refused). The first closing is logged once, with the
//! route. It never blocks; it is shared between a worker thread and the network task.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::error::{ErrorCode, PluginError};

/// The byte budget of one fan-out.
#[derive(Debug)]
pub struct FanOutBudget {
    /// The route, for the log line.
    route: String,
    limit: usize,
    used: AtomicUsize,
    /// The runtime phase refused a result buffer.
    outputs_closed: AtomicBool,
    /// The fan-out phase refused a frame.
    frames_closed: AtomicBool,
    logged: AtomicBool,
    refused: AtomicU64,
}

impl FanOutBudget {
    /// A budget of `limit` bytes for one sync of `route`.
    pub fn new(route: String, limit: usize) -> Self {
        Self {
            route,
            limit,
            used: AtomicUsize::new(0),
            outputs_closed: AtomicBool::new(false),
            frames_closed: AtomicBool::new(false),
            logged: AtomicBool::new(false),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes `bytes` for a result buffer the runtime keeps. `false`, taking nothing, when they do
    /// not fit or an earlier buffer did not.
    pub fn take_output(&self, bytes: usize) -> bool {
        self.take(bytes, &self.outputs_closed)
    }

    /// Takes `bytes` for a frame the fan-out builds beyond its output. `false`, taking nothing,
    /// when they do not fit or an earlier frame did not.
    pub fn take_frame(&self, bytes: usize) -> bool {
        self.take(bytes, &self.frames_closed)
    }

    fn take(&self, bytes: usize, closed: &AtomicBool) -> bool {
        if closed.load(Ordering::Relaxed) {
            return false;
        }
        let taken = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok();
        if !taken {
            closed.store(true, Ordering::Relaxed);
            if !self.logged.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    route = %self.route,
                    limit = self.limit,
                    used = self.used(),
                    refused = bytes,
                    "the client outputs of one sync exceed max_fan_out_mb; recipients from here on get plugin.fanOutTooLarge"
                );
            }
        }
        taken
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
    fn each_phase_takes_until_one_charge_does_not_fit_then_refuses_the_rest() {
        let budget = FanOutBudget::new("a/b@v1".into(), 100);
        assert!(budget.take_output(60));
        assert!(budget.take_output(30));
        assert!(!budget.take_output(20));
        // Closed for good, even for a charge that would have fit.
        assert!(!budget.take_output(1));
        assert_eq!(budget.used(), 90);
        // The frames of the admitted outputs still get what is left, in order, until one does not.
        assert!(budget.take_frame(0));
        assert!(budget.take_frame(10));
        assert!(!budget.take_frame(1));
        assert!(!budget.take_frame(0));
        assert_eq!(budget.used(), 100);
        assert_eq!(budget.refuse().code, ErrorCode::FanOutTooLarge);
        assert_eq!(budget.refused(), 1);
    }

    #[test]
    fn a_charge_larger_than_the_whole_budget_takes_nothing() {
        let budget = FanOutBudget::new("a/b@v1".into(), 10);
        assert!(!budget.take_output(usize::MAX));
        assert_eq!(budget.used(), 0);
    }
}
