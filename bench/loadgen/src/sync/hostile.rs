//! The hostile caller of a soak run: one connection, in a room of its own, calls a handler that
//! misbehaves (by default the infinite-loop fixture) at a fixed interval and counts the answers by
//! error code.
//!
//! It only shows that the host keeps answering while a handler misbehaves; it never judges the
//! code itself (the plugin tests do).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::wire::{self, Envelope};

/// The hostile sync to call.
#[derive(Debug, Clone)]
pub struct HostileCall {
    /// `<page>/<name>`.
    pub name: String,
    /// `v<n>`.
    pub version: String,
    /// Raw JSON `data`.
    pub data: String,
    /// The caller's own room.
    pub room: String,
    /// Time between calls.
    pub every: Duration,
}

/// Calls made and answers received.
#[derive(Debug, Default)]
pub struct HostileStats {
    sent: AtomicU64,
    answered: AtomicU64,
    by_answer: Mutex<BTreeMap<String, u64>>,
}

/// The hostile part of the report.
#[derive(Debug, Serialize)]
pub struct HostileReport {
    sent: u64,
    answered: u64,
    /// Answers by error code (`success` for a success).
    by_answer: BTreeMap<String, u64>,
}

impl HostileStats {
    /// Notes one answer.
    pub fn answered(&self, envelope: &Envelope) {
        self.answered.fetch_add(1, Ordering::AcqRel);
        let key = match (&envelope.error_code, envelope.success) {
            (_, true) => "success".to_owned(),
            (Some(code), false) => code.clone(),
            (None, false) => "error without a code".to_owned(),
        };
        *self
            .by_answer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default() += 1;
    }

    /// Calls still without an answer.
    pub fn unanswered(&self) -> u64 {
        self.sent.load(Ordering::Acquire) - self.answered.load(Ordering::Acquire)
    }

    /// The report.
    pub fn report(&self) -> HostileReport {
        HostileReport {
            sent: self.sent.load(Ordering::Acquire),
            answered: self.answered.load(Ordering::Acquire),
            by_answer: self
                .by_answer
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

/// Calls `call` every `call.every` until `until`.
pub async fn run(
    stats: &HostileStats,
    out: mpsc::Sender<Message>,
    call: HostileCall,
    until: Instant,
) {
    let mut ticker = tokio::time::interval(call.every);
    for ack_id in 1.. {
        ticker.tick().await;
        if Instant::now() >= until {
            break;
        }
        let frame = wire::encode_sync(ack_id, &call.name, &call.version, &call.data, &call.room);
        stats.sent.fetch_add(1, Ordering::AcqRel);
        if out.send(Message::text(frame)).await.is_err() {
            break;
        }
    }
}
