//! Bookkeeping shared by the publisher and the receivers of one broadcast run: how many members
//! got each message (the publisher's flow control), latencies, and per-client sequence checks.
//!
//! Receivers only add to it; it never decides when the run ends. Everything is lock-free except
//! the histogram shards, which are short critical sections.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;
use tokio::sync::Notify;

/// Number of histogram shards; receivers pick one by client index to avoid one hot lock.
const HISTOGRAM_SHARDS: usize = 16;

/// Latencies above this (in µs) are clamped; a minute is far beyond any sane run.
const MAX_LATENCY_US: u64 = 60_000_000;

/// State shared by every task of one broadcast run.
pub struct RunState {
    /// Common clock base for `sentUs` and receive times.
    pub epoch: Instant,
    room_size: u32,
    delivered: Vec<AtomicU32>,
    completed: AtomicU64,
    /// Woken whenever a message has reached every member.
    pub progress: Notify,
    measure_from_us: AtomicU64,
    measure_until_us: AtomicU64,
    measured_deliveries: AtomicU64,
    histograms: Vec<Mutex<Histogram<u64>>>,
}

impl RunState {
    /// Fresh state for a room of `room_size` and at most `max_messages` messages.
    pub fn new(room_size: u32, max_messages: usize) -> anyhow::Result<Self> {
        let histograms = (0..HISTOGRAM_SHARDS)
            .map(|_| Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            epoch: Instant::now(),
            room_size,
            delivered: (0..max_messages).map(|_| AtomicU32::new(0)).collect(),
            completed: AtomicU64::new(0),
            progress: Notify::new(),
            measure_from_us: AtomicU64::new(u64::MAX),
            measure_until_us: AtomicU64::new(u64::MAX),
            measured_deliveries: AtomicU64::new(0),
            histograms,
        })
    }

    /// Microseconds since the epoch.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The largest number of messages this run can track.
    pub fn max_messages(&self) -> usize {
        self.delivered.len()
    }

    /// Sets the measurement window; deliveries outside it only count for loss checks.
    pub fn set_window(&self, from_us: u64, until_us: u64) {
        self.measure_from_us.store(from_us, Ordering::Relaxed);
        self.measure_until_us.store(until_us, Ordering::Relaxed);
    }

    /// Records one first-time delivery of `seq` to client `client`.
    pub fn record(&self, client: usize, seq: u64, sent_us: u64, received_us: u64) {
        let from = self.measure_from_us.load(Ordering::Relaxed);
        let until = self.measure_until_us.load(Ordering::Relaxed);
        if (from..until).contains(&received_us) {
            self.measured_deliveries.fetch_add(1, Ordering::Relaxed);
        }
        if (from..until).contains(&sent_us) {
            let latency = received_us.saturating_sub(sent_us).clamp(1, MAX_LATENCY_US);
            let shard = &self.histograms[client % HISTOGRAM_SHARDS];
            // A poisoned shard only means another receiver panicked; keep its data.
            let mut histogram = shard.lock().unwrap_or_else(|poison| poison.into_inner());
            // In range by construction of the clamp above.
            histogram.record(latency).ok();
        }
        let Some(counter) = usize::try_from(seq)
            .ok()
            .and_then(|i| self.delivered.get(i))
        else {
            return;
        };
        if counter.fetch_add(1, Ordering::AcqRel) + 1 == self.room_size {
            self.completed.fetch_add(1, Ordering::AcqRel);
            self.progress.notify_one();
        }
    }

    /// Whether message `seq` has reached every member.
    pub fn is_complete(&self, seq: u64) -> bool {
        usize::try_from(seq)
            .ok()
            .and_then(|i| self.delivered.get(i))
            .is_some_and(|counter| counter.load(Ordering::Acquire) >= self.room_size)
    }

    /// How many messages have reached every member.
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::Acquire)
    }

    /// Deliveries received inside the measurement window.
    pub fn measured_deliveries(&self) -> u64 {
        self.measured_deliveries.load(Ordering::Relaxed)
    }

    /// All latency shards merged.
    pub fn latencies(&self) -> anyhow::Result<Histogram<u64>> {
        let mut merged = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?;
        for shard in &self.histograms {
            let shard = shard.lock().unwrap_or_else(|poison| poison.into_inner());
            merged.add(&*shard)?;
        }
        Ok(merged)
    }
}

/// One client's view of the sequence: which numbers arrived and how often.
#[derive(Debug, Default, Clone)]
pub struct SequenceCheck {
    seen: Vec<u64>,
    /// Distinct sequence numbers received.
    pub distinct: u64,
    /// Receipts of a number already received.
    pub duplicated: u64,
    /// Receipts that arrived after a higher number.
    pub reordered: u64,
    highest: Option<u64>,
}

impl SequenceCheck {
    /// Notes `seq`; returns true the first time it is seen.
    pub fn note(&mut self, seq: u64) -> bool {
        if self.highest.is_some_and(|highest| seq < highest) {
            self.reordered += 1;
        }
        self.highest = self.highest.max(Some(seq));
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & (1 << bit) != 0 {
            self.duplicated += 1;
            return false;
        }
        self.seen[word] |= 1 << bit;
        self.distinct += 1;
        true
    }

    /// Whether `seq` was received at least once.
    pub fn contains(&self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        self.seen
            .get(word)
            .is_some_and(|word| word & (1 << bit) != 0)
    }

    /// Distinct numbers received that are `>= published` (never sent).
    pub fn unexpected(&self, published: u64) -> u64 {
        let words = self.seen.iter().enumerate();
        words
            .map(|(index, word)| {
                (0..64)
                    .filter(|bit| word & (1 << bit) != 0 && (index as u64) * 64 + bit >= published)
                    .count() as u64
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sequence_check_counts_duplicates_reordering_and_unexpected() {
        let mut check = SequenceCheck::default();
        for seq in [0, 1, 3, 2, 3, 130] {
            check.note(seq);
        }
        assert_eq!(check.distinct, 5);
        assert_eq!(check.duplicated, 1);
        assert_eq!(check.reordered, 1);
        assert_eq!(check.unexpected(4), 1);
        assert_eq!(check.unexpected(200), 0);
    }

    #[test]
    fn a_message_completes_when_every_member_has_it() {
        let state = RunState::new(2, 4).unwrap();
        state.set_window(0, u64::MAX);
        state.record(0, 1, 10, 20);
        assert!(!state.is_complete(1));
        state.record(1, 1, 10, 30);
        assert!(state.is_complete(1));
        assert_eq!(state.completed(), 1);
        assert_eq!(state.measured_deliveries(), 2);
        assert_eq!(state.latencies().unwrap().len(), 2);
        // Out-of-range sequence numbers are ignored for flow control, not a panic.
        state.record(0, 99, 10, 20);
    }
}
