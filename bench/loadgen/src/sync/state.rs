//! What the tasks of one sync run share: when each sync was sent, how the server answered it, how
//! many members have received it (for the publishers' windows and the drain), latencies, and
//! counters by answer.
//!
//! Tasks only add to it; it never decides when the run ends. Atomics per sync, short locks for the
//! histogram shards and the counters keyed by error code.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;
use tokio::sync::Notify;

use super::wire::{Envelope, Tag};

/// Histogram shards; receivers pick one by connection index.
const HISTOGRAM_SHARDS: usize = 16;

/// Latencies above this (µs) are clamped.
const MAX_LATENCY_US: u64 = 60_000_000;

/// How the server answered one sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// No ack yet.
    Pending = 0,
    /// `status: "success"`: every member must get it exactly once.
    Accepted = 1,
    /// An error envelope: no member may get it.
    Refused = 2,
}

/// One publisher's syncs.
struct Sender {
    sent_us: Vec<AtomicU64>,
    answers: Vec<AtomicU8>,
    /// Members that have received each sync.
    delivered: Vec<AtomicU32>,
    sent: AtomicU64,
    /// Woken when one of its syncs is answered or has reached its whole room.
    progress: Notify,
}

/// State shared by every task of one sync run.
pub struct SyncState {
    epoch: Instant,
    /// Members of each room: a sync is delivered when this many have received it.
    room_size: u32,
    senders: Vec<Sender>,
    first_receipts: AtomicU64,
    /// First receipts that arrived inside the measured window.
    window_receipts: AtomicU64,
    measure_from_us: AtomicU64,
    measure_until_us: AtomicU64,
    histograms: Vec<Mutex<Histogram<u64>>>,
    /// Acks by `result.version` ("none" when absent), and refusals by error code.
    answers_by: Mutex<BTreeMap<String, u64>>,
}

impl SyncState {
    /// Fresh state for `publishers` senders of at most `max_per_sender` syncs each, to rooms of
    /// `room_size` members.
    pub fn new(publishers: u32, max_per_sender: u32, room_size: u32) -> anyhow::Result<Self> {
        let histograms = (0..HISTOGRAM_SHARDS)
            .map(|_| Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        let sender = || Sender {
            sent_us: (0..max_per_sender).map(|_| AtomicU64::new(0)).collect(),
            answers: (0..max_per_sender).map(|_| AtomicU8::new(0)).collect(),
            delivered: (0..max_per_sender).map(|_| AtomicU32::new(0)).collect(),
            sent: AtomicU64::new(0),
            progress: Notify::new(),
        };
        Ok(Self {
            epoch: Instant::now(),
            room_size,
            senders: (0..publishers).map(|_| sender()).collect(),
            first_receipts: AtomicU64::new(0),
            window_receipts: AtomicU64::new(0),
            measure_from_us: AtomicU64::new(u64::MAX),
            measure_until_us: AtomicU64::new(u64::MAX),
            histograms,
            answers_by: Mutex::new(BTreeMap::new()),
        })
    }

    /// Microseconds since the run's epoch.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Syncs one sender may send.
    pub fn max_per_sender(&self) -> u32 {
        self.senders
            .first()
            .map_or(0, |sender| sender.sent_us.len() as u32)
    }

    /// Latency is recorded for syncs sent from `from_us` on (after the warm-up); receipts that
    /// arrive in `[from_us, until_us)` are counted for the delivery rate.
    pub fn measure_between(&self, from_us: u64, until_us: u64) {
        self.measure_from_us.store(from_us, Ordering::Relaxed);
        self.measure_until_us.store(until_us, Ordering::Relaxed);
    }

    /// Notes that `tag` is being sent now.
    pub fn sending(&self, tag: Tag) {
        if let Some(sender) = self.senders.get(tag.sender as usize) {
            if let Some(slot) = sender.sent_us.get(tag.seq as usize) {
                slot.store(self.now_us(), Ordering::Release);
            }
            sender.sent.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Notes the ack of `tag`.
    pub fn answered(&self, tag: Tag, envelope: &Envelope) {
        let answer = if envelope.success {
            Answer::Accepted
        } else {
            Answer::Refused
        };
        if let Some(sender) = self.senders.get(tag.sender as usize) {
            if let Some(slot) = sender.answers.get(tag.seq as usize) {
                slot.store(answer as u8, Ordering::Release);
            }
            sender.progress.notify_one();
        }
        let key = match (&envelope.error_code, &envelope.result_version) {
            (Some(code), _) => format!("refused {code}"),
            (None, _) if !envelope.success => "refused without a code".to_owned(),
            (None, Some(version)) => format!("accepted, version {version}"),
            (None, None) => "accepted, no version".to_owned(),
        };
        let mut answers = self.answers_by.lock().unwrap_or_else(|p| p.into_inner());
        *answers.entry(key).or_default() += 1;
    }

    /// The answer to `tag` so far.
    pub fn answer(&self, tag: Tag) -> Answer {
        let raw = self
            .senders
            .get(tag.sender as usize)
            .and_then(|sender| sender.answers.get(tag.seq as usize))
            .map_or(0, |slot| slot.load(Ordering::Acquire));
        match raw {
            1 => Answer::Accepted,
            2 => Answer::Refused,
            _ => Answer::Pending,
        }
    }

    /// Whether `tag` is settled: refused, or accepted and received by every member of its room.
    pub fn settled(&self, tag: Tag) -> bool {
        match self.answer(tag) {
            Answer::Refused => true,
            Answer::Pending => false,
            Answer::Accepted => self
                .senders
                .get(tag.sender as usize)
                .and_then(|sender| sender.delivered.get(tag.seq as usize))
                .is_some_and(|count| count.load(Ordering::Acquire) >= self.room_size),
        }
    }

    /// Woken whenever one of `sender`'s syncs is answered or reaches its whole room.
    pub fn progress(&self, sender: u32) -> Option<&Notify> {
        self.senders
            .get(sender as usize)
            .map(|sender| &sender.progress)
    }

    /// Syncs sent so far by `sender`.
    pub fn sent(&self, sender: u32) -> u32 {
        self.senders
            .get(sender as usize)
            .map_or(0, |s| s.sent.load(Ordering::Acquire) as u32)
    }

    /// Records the first receipt of `tag` by connection `client`.
    pub fn received(&self, client: usize, tag: Tag) {
        self.first_receipts.fetch_add(1, Ordering::AcqRel);
        if let Some(sender) = self.senders.get(tag.sender as usize) {
            let count = sender
                .delivered
                .get(tag.seq as usize)
                .map(|count| count.fetch_add(1, Ordering::AcqRel) + 1);
            if count == Some(self.room_size) {
                sender.progress.notify_one();
            }
        }
        let now_us = self.now_us();
        let from_us = self.measure_from_us.load(Ordering::Relaxed);
        if (from_us..self.measure_until_us.load(Ordering::Relaxed)).contains(&now_us) {
            self.window_receipts.fetch_add(1, Ordering::Relaxed);
        }
        let Some(sent_us) = self
            .senders
            .get(tag.sender as usize)
            .and_then(|sender| sender.sent_us.get(tag.seq as usize))
            .map(|slot| slot.load(Ordering::Acquire))
        else {
            return;
        };
        if sent_us < from_us {
            return;
        }
        let latency = now_us.saturating_sub(sent_us).clamp(1, MAX_LATENCY_US);
        let shard = &self.histograms[client % HISTOGRAM_SHARDS];
        let mut histogram = shard.lock().unwrap_or_else(|p| p.into_inner());
        // In range by construction of the clamp above.
        histogram.record(latency).ok();
    }

    /// First receipts inside the measured window, over every connection.
    pub fn window_receipts(&self) -> u64 {
        self.window_receipts.load(Ordering::Relaxed)
    }

    /// First receipts so far, over every connection.
    pub fn first_receipts(&self) -> u64 {
        self.first_receipts.load(Ordering::Acquire)
    }

    /// Accepted, refused and pending syncs over every sender.
    pub fn answer_totals(&self) -> (u64, u64, u64) {
        let (mut accepted, mut refused, mut pending) = (0, 0, 0);
        for sender in 0..self.senders.len() as u32 {
            for seq in 0..self.sent(sender) {
                match self.answer(Tag { sender, seq }) {
                    Answer::Accepted => accepted += 1,
                    Answer::Refused => refused += 1,
                    Answer::Pending => pending += 1,
                }
            }
        }
        (accepted, refused, pending)
    }

    /// Acks by answer.
    pub fn answers_by(&self) -> BTreeMap<String, u64> {
        self.answers_by
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// All latency shards merged.
    pub fn latencies(&self) -> anyhow::Result<Histogram<u64>> {
        let mut merged = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?;
        for shard in &self.histograms {
            merged.add(&*shard.lock().unwrap_or_else(|p| p.into_inner()))?;
        }
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn answers_are_counted_per_sync_and_by_kind() {
        let state = SyncState::new(2, 4, 2).unwrap();
        let (a, b) = (Tag { sender: 0, seq: 0 }, Tag { sender: 1, seq: 0 });
        state.sending(a);
        state.sending(b);
        state.sending(Tag { sender: 1, seq: 1 });
        let accepted = Envelope {
            success: true,
            error_code: None,
            result_version: Some("2".into()),
        };
        state.answered(a, &accepted);
        state.answered(
            b,
            &Envelope {
                error_code: Some("sync.notFound".into()),
                ..Envelope::default()
            },
        );
        assert_eq!(state.answer(a), Answer::Accepted);
        assert_eq!(state.answer(b), Answer::Refused);
        // Refused settles at once; accepted once both members of the room have it.
        assert!(state.settled(b));
        assert!(!state.settled(a));
        assert_eq!(state.answer_totals(), (1, 1, 1));
        assert_eq!(state.answers_by().len(), 2);
        state.measure_between(0, u64::MAX);
        state.received(3, a);
        assert_eq!(state.first_receipts(), 1);
        assert_eq!(state.window_receipts(), 1);
        // After the window: a receipt, but not one of the window's.
        state.measure_between(0, 0);
        state.received(4, a);
        assert_eq!((state.first_receipts(), state.window_receipts()), (2, 1));
        assert!(state.settled(a));
        state.measure_between(0, u64::MAX);
        assert_eq!(state.latencies().unwrap().len(), 2);
        // Out of range: counted, never a panic.
        state.received(0, Tag { sender: 9, seq: 9 });
    }
}
