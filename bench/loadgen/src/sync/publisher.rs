//! A publisher of a sync run: sends its share of the steady rate as `sync` events tagged with its
//! index and sequence number, keeping at most `window` syncs unsettled (not yet refused, or not
//! yet received by every member of its room). Counting deliveries, not acks, bounds the work a
//! server holds: every server here acks before it fans out.
//!
//! The schedule is fixed in advance (sync `seq` is due at `start + (seq + offset) / rate`); a
//! publisher that falls behind sends as soon as its window allows and counts the sync as late,
//! so an overloaded server shows up as late sends and latency, never as a silent lower rate.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::state::SyncState;
use super::wire::{self, Tag};

/// Sends later than this after their due time count as late.
const LATE: Duration = Duration::from_millis(100);

/// What one publisher sends.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Syncs per second for this publisher.
    pub rate: f64,
    /// Fraction of one interval this publisher starts after the others (spreads publishers).
    pub offset: f64,
    /// Unsettled syncs allowed.
    pub window: u64,
    /// Give up when the window stays full this long.
    pub stall_timeout: Duration,
    /// Route name, version and room.
    pub name: String,
    /// `v<n>`.
    pub version: String,
    /// The receiver room.
    pub room: String,
}

/// What one publisher did.
#[derive(Debug, Default)]
pub struct PublisherOutcome {
    /// Syncs sent.
    pub sent: u64,
    /// Syncs sent later than their due time.
    pub late: u64,
    /// Whether it stopped because the window stayed full.
    pub stalled: bool,
}

/// Publisher `index` sends on `schedule` from `start` until `until` (or the state's capacity).
pub async fn run(
    index: u32,
    out: mpsc::Sender<Message>,
    state: Arc<SyncState>,
    schedule: Schedule,
    start: Instant,
    until: Instant,
) -> PublisherOutcome {
    let mut outcome = PublisherOutcome::default();
    let interval = 1.0 / schedule.rate.max(f64::MIN_POSITIVE);
    // Syncs before this one are all settled.
    let mut settled = 0;
    for seq in 0..state.max_per_sender() {
        let due = start + Duration::from_secs_f64((f64::from(seq) + schedule.offset) * interval);
        if due >= until {
            break;
        }
        tokio::time::sleep_until(due).await;
        if !wait_for_window(&state, index, seq, &mut settled, &schedule).await {
            outcome.stalled = true;
            break;
        }
        // Behind schedule: the window opened only after publishing time was over.
        if Instant::now() >= until {
            break;
        }
        if Instant::now() > due + LATE {
            outcome.late += 1;
        }
        let tag = Tag { sender: index, seq };
        let frame = wire::encode_sync(
            u64::from(seq) + 1,
            &schedule.name,
            &schedule.version,
            &wire::tagged_data(tag),
            &schedule.room,
        );
        state.sending(tag);
        if out.send(Message::text(frame)).await.is_err() {
            break;
        }
        outcome.sent += 1;
    }
    outcome
}

/// Waits until fewer than `window` of the `sent` syncs of `sender` are unsettled, advancing
/// `settled` (the count of leading settled syncs); false on a stall.
async fn wait_for_window(
    state: &SyncState,
    sender: u32,
    sent: u32,
    settled: &mut u32,
    schedule: &Schedule,
) -> bool {
    let Some(progress) = state.progress(sender) else {
        return false;
    };
    let deadline = Instant::now() + schedule.stall_timeout;
    loop {
        // Created before the check: `notify_one` leaves a permit, so no wake-up is lost.
        let notified = progress.notified();
        while *settled < sent
            && state.settled(Tag {
                sender,
                seq: *settled,
            })
        {
            *settled += 1;
        }
        if u64::from(sent - *settled) < schedule.window {
            return true;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return false;
        }
    }
}
