//! The publisher of a broadcast run: a separate connection, member of no room, that emits
//! `publish` with `[room, {seq, sentUs, pad}]` and counts the server's acks.
//!
//! Flow control is closed-loop: message `n` is sent only once message `n - window` has reached
//! every member and `n - window + 1` acks have arrived, so server queues (the members' and the
//! publisher's own ack queue) stay bounded and latency is not just queueing we caused.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::connection::Ws;
use crate::tracker::RunState;
use crate::wire::{self, Delivery, Incoming};

/// How the publisher paces itself.
#[derive(Debug, Clone)]
pub struct Pacing {
    /// Messages allowed in flight (sent but not yet at every member).
    pub window: u64,
    /// Optional cap in messages per second.
    pub rate: Option<f64>,
    /// Give up when the oldest in-flight message makes no progress for this long.
    pub stall_timeout: Duration,
}

/// What the publisher did.
#[derive(Debug)]
pub struct Published {
    /// Messages sent (sequence numbers `0..count`).
    pub count: u64,
    /// The message that never reached every member, if the run stalled.
    pub stalled_at: Option<u64>,
    /// Acks counter, still updated by the reader task.
    pub acks: Arc<AtomicU64>,
}

/// A connected publisher: its writer queue and its ack count.
pub struct Publisher {
    out: mpsc::Sender<Message>,
    acks: Arc<AtomicU64>,
}

impl Publisher {
    /// Splits an open connection into a writer task and a reader task (acks and pings).
    pub fn start(ws: Ws, state: Arc<RunState>) -> Self {
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::channel::<Message>(1024);
        tokio::spawn(async move {
            while let Some(message) = out_rx.recv().await {
                // Batch whatever is queued into one flush.
                let mut failed = sink.feed(message).await.is_err();
                while let (false, Ok(next)) = (failed, out_rx.try_recv()) {
                    failed = sink.feed(next).await.is_err();
                }
                if failed || sink.flush().await.is_err() {
                    eprintln!("publisher connection closed while writing");
                    break;
                }
            }
        });
        let acks = Arc::new(AtomicU64::new(0));
        let (reader_acks, pong_out) = (acks.clone(), out.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Message::Text(text) = frame else { continue };
                match wire::decode(text.as_str()) {
                    Incoming::Ack(_) => {
                        reader_acks.fetch_add(1, Ordering::AcqRel);
                        state.progress.notify_one();
                    }
                    Incoming::Ping => {
                        pong_out.send(Message::text(wire::PONG)).await.ok();
                    }
                    _ => {}
                }
            }
        });
        Self { out, acks }
    }

    /// Publishes until `until_us` (or `max_messages`), respecting `pacing`.
    pub async fn run(
        &self,
        state: &RunState,
        room: &str,
        pad: &str,
        pacing: &Pacing,
        until_us: u64,
    ) -> anyhow::Result<Published> {
        let started = Instant::now();
        let max_messages = state.max_messages() as u64;
        let mut seq = 0;
        let mut stalled_at = None;
        while seq < max_messages && state.now_us() < until_us {
            if let Some(oldest) = seq.checked_sub(pacing.window)
                && !self.wait_settled(state, oldest, pacing.stall_timeout).await
            {
                stalled_at = Some(oldest);
                break;
            }
            if let Some(rate) = pacing.rate.filter(|rate| *rate > 0.0) {
                let due = started + Duration::from_secs_f64(seq as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
            }
            let delivery = Delivery {
                seq,
                sent_us: state.now_us(),
            };
            // Ack ids are the sequence numbers; the publisher never joins, so no id clashes.
            let frame = wire::encode_publish(seq, room, delivery, pad);
            self.out.send(Message::text(frame)).await?;
            seq += 1;
        }
        Ok(Published {
            count: seq,
            stalled_at,
            acks: self.acks.clone(),
        })
    }

    /// Waits until `seq` has reached every member and `seq + 1` acks have arrived (acks may come
    /// back in any order); false after `timeout` without that.
    async fn wait_settled(&self, state: &RunState, seq: u64, timeout: Duration) -> bool {
        let settled = || state.is_complete(seq) && self.acks.load(Ordering::Acquire) > seq;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Created before the check: `notify_one` leaves a permit, so no wake-up is lost.
            let notified = state.progress.notified();
            if settled() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return settled();
            }
        }
    }
}
