//! One connection of a sync run: joined to its room, it checks every `sync` frame it receives
//! against the senders' sequences, answers pings, writes what its role's task queues, and hands
//! acks to that role (a publisher's window, the hostile caller's counters).
//!
//! A connection reads only its own socket and never waits on another connection, so one slow
//! client cannot hide another's losses.

use std::ops::Range;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::hostile::HostileStats;
use super::state::SyncState;
use super::wire::{self, SyncIncoming, Tag};
use crate::connection::{self, Ws};
use crate::tracker::SequenceCheck;

/// Frames a role may queue for its connection before it waits.
const OUT_QUEUE: usize = 256;

/// What a connection does with the acks it receives.
#[derive(Clone)]
pub enum Role {
    /// A plain member: acks other than the join's are unexpected.
    Member,
    /// Publisher of this index (the `sender` of its tags): ack `seq + 1` answers its sync `seq`;
    /// its sending task learns of acks through the run's state.
    Publisher(u32),
    /// The hostile caller: every ack is a hostile call's answer.
    Hostile(Arc<HostileStats>),
}

/// Where one connection sits: its role, its room, the publishers of that room, and how it
/// connects (with or without a session token).
pub struct Seat {
    /// What it does with acks.
    pub role: Role,
    /// The room it joins.
    pub room: String,
    /// The publisher indices (tag senders) whose syncs it must receive: its room's.
    pub senders: Range<u32>,
    /// Its CONNECT frame.
    pub connect: String,
}

/// What one connection saw by the time it was stopped.
#[derive(Debug, Default)]
pub struct ClientOutcome {
    /// The publishers `checks` stands for, in order.
    pub senders: Range<u32>,
    /// Per sender of `senders`: which sequence numbers arrived, duplicates and reordering.
    pub checks: Vec<SequenceCheck>,
    /// Frames of the run's sync whose tag names no sender of its room or no sequence number in
    /// range.
    pub unknown_tags: u64,
    /// `sync` events that are not frame objects, or frames of the sync without `newValue`.
    pub malformed: u64,
    /// Frames of the run's sync with an error status.
    pub error_frames: u64,
    /// Frames of other syncs.
    pub other_frames: u64,
    /// Acks this connection did not ask for.
    pub stray_acks: u64,
    /// Whether the server closed the connection before the end.
    pub closed_early: bool,
}

/// A connected client: the queue its role writes to, and its task.
pub struct Client {
    /// Frames to send.
    pub out: mpsc::Sender<Message>,
    /// Finishes after `stop` with what it saw.
    pub task: JoinHandle<ClientOutcome>,
}

/// What every connection of a run needs to know.
#[derive(Clone)]
pub struct Shared {
    /// The run's state.
    pub state: Arc<SyncState>,
    /// `fullName` of the run's sync.
    pub full_name: Arc<str>,
    /// Flips to true when the run ends.
    pub stop: watch::Receiver<bool>,
}

/// Opens `seats.len()` clients, at most `concurrency` handshakes at once, each joined to its
/// seat's room, and starts their loops; client `i` connects to `urls[i % urls.len()]`, so a room
/// spreads evenly over the nodes of a cluster. Returns the clients in seat order and the
/// handshake failures.
pub async fn connect_all(
    urls: &[String],
    seats: Vec<Seat>,
    concurrency: usize,
    shared: &Shared,
) -> (Vec<Client>, Vec<String>) {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut pending = Vec::with_capacity(seats.len());
    for (index, seat) in seats.into_iter().enumerate() {
        // `run` refuses an empty list; an empty URL would fail the handshake with its reason.
        let url = urls
            .get(index % urls.len().max(1))
            .cloned()
            .unwrap_or_default();
        let (url, join, gate, shared) = (
            url,
            wire::encode_join_room(&seat.room),
            gate.clone(),
            shared.clone(),
        );
        let (out, rx) = mpsc::channel(OUT_QUEUE);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        let task = tokio::spawn(async move {
            let opened = {
                // The semaphore is never closed.
                let _permit = gate.acquire().await.ok();
                connection::open_with(&url, &seat.connect, Some(&join)).await
            };
            let ws = match opened {
                Ok((ws, Some(ack))) if ack.contains("\"success\"") => ws,
                Ok((_, ack)) => {
                    ready_tx
                        .send(Err(format!("joinRoom refused: {ack:?}")))
                        .ok();
                    return ClientOutcome::default();
                }
                Err(error) => {
                    ready_tx.send(Err(format!("{error:#}"))).ok();
                    return ClientOutcome::default();
                }
            };
            ready_tx.send(Ok(())).ok();
            run(ws, rx, index, seat, shared).await
        });
        pending.push((Client { out, task }, ready_rx));
    }
    let mut clients = Vec::with_capacity(pending.len());
    let mut failures = Vec::new();
    for (client, ready) in pending {
        match ready.await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(reason),
            Err(_) => failures.push("connection task ended".to_owned()),
        }
        clients.push(client);
    }
    (clients, failures)
}

enum Event {
    Stop,
    Frame(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Out(Message),
}

async fn run(
    mut ws: Ws,
    mut rx: mpsc::Receiver<Message>,
    index: usize,
    seat: Seat,
    mut shared: Shared,
) -> ClientOutcome {
    let Seat { role, senders, .. } = seat;
    let mut outcome = ClientOutcome {
        checks: vec![SequenceCheck::default(); senders.len()],
        senders,
        ..ClientOutcome::default()
    };
    loop {
        let event = tokio::select! {
            biased;
            _ = shared.stop.changed() => Event::Stop,
            frame = ws.next() => Event::Frame(frame),
            Some(message) = rx.recv() => Event::Out(message),
        };
        let text = match event {
            Event::Stop => break,
            Event::Out(message) => {
                if ws.send(message).await.is_err() {
                    outcome.closed_early = true;
                    break;
                }
                continue;
            }
            Event::Frame(Some(Ok(Message::Text(text)))) => text,
            Event::Frame(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                outcome.closed_early = true;
                break;
            }
            Event::Frame(Some(Ok(_))) => continue,
        };
        match wire::decode(text.as_str()) {
            SyncIncoming::Frame(frame) if *frame.full_name == *shared.full_name => {
                if !frame.envelope.success {
                    outcome.error_frames += 1;
                    continue;
                }
                let Some(amount) = frame.new_value.and_then(|value| value.checked_sub(1)) else {
                    outcome.malformed += 1;
                    continue;
                };
                let tag = Some(Tag::from_amount(amount))
                    .filter(|tag| tag.seq < shared.state.max_per_sender())
                    .filter(|tag| outcome.senders.contains(&tag.sender));
                let first = outcome.senders.start;
                match tag.and_then(|tag| {
                    Some((tag, outcome.checks.get_mut((tag.sender - first) as usize)?))
                }) {
                    Some((tag, check)) => {
                        if check.note(u64::from(tag.seq)) {
                            shared.state.received(index, tag);
                        }
                    }
                    None => outcome.unknown_tags += 1,
                }
            }
            SyncIncoming::Frame(_) => outcome.other_frames += 1,
            SyncIncoming::Malformed => outcome.malformed += 1,
            SyncIncoming::Ack(id, envelope) => match &role {
                Role::Publisher(index) if id > 0 => {
                    let tag = Tag {
                        sender: *index,
                        seq: u32::try_from(id - 1).unwrap_or(u32::MAX),
                    };
                    shared.state.answered(tag, &envelope);
                }
                Role::Hostile(stats) => stats.answered(&envelope),
                _ => outcome.stray_acks += 1,
            },
            SyncIncoming::Ping => {
                if ws.send(Message::text(crate::wire::PONG)).await.is_err() {
                    outcome.closed_early = true;
                    break;
                }
            }
            SyncIncoming::Close => {
                outcome.closed_early = true;
                break;
            }
            SyncIncoming::Other => {}
        }
    }
    outcome
}
