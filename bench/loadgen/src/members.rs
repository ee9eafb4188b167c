//! The room members of a broadcast run: connect them gradually, then let each one check every
//! `msg` it receives until told to stop.
//!
//! A member only reads its own socket and writes pongs; it never waits on another member, so one
//! slow client cannot hide another's losses.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::connection::{self, Ws};
use crate::token;
use crate::tracker::{RunState, SequenceCheck};
use crate::wire::{self, Incoming};

/// What one member saw by the time it was stopped.
#[derive(Debug, Default)]
pub struct MemberOutcome {
    /// Its sequence bookkeeping.
    pub check: SequenceCheck,
    /// `msg` events whose payload could not be read.
    pub malformed: u64,
    /// Whether the server closed the connection before the end.
    pub closed_early: bool,
}

/// Clients that either all connected or did not.
pub struct Members {
    /// One task per connected member, finishing after `stop`.
    pub tasks: Vec<JoinHandle<MemberOutcome>>,
    /// Handshake failures (first few reasons are logged).
    pub failures: usize,
}

/// Opens `count` clients (at most `concurrency` handshakes at once), each signed in as user
/// `u<index>` when a token secret is given, joins each to `room` when given, and starts their
/// receive loops.
pub async fn connect(
    url: &str,
    room: Option<&str>,
    token_secret: Option<&str>,
    count: usize,
    concurrency: usize,
    state: Arc<RunState>,
    stop: watch::Receiver<bool>,
) -> Members {
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let (ready_tx, mut ready_rx) = mpsc::channel::<Result<(), String>>(count.max(1));
    let mut tasks = Vec::with_capacity(count);
    for index in 0..count {
        let (url, join) = (url.to_owned(), room.map(|room| wire::encode_join(0, room)));
        let secret = token_secret.map(str::to_owned);
        let (gate, ready_tx, state, stop) =
            (gate.clone(), ready_tx.clone(), state.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let opened = {
                // The semaphore is never closed, so acquiring can only fail if that changes.
                let _permit = gate.acquire().await.ok();
                let connect = match &secret {
                    Some(secret) => token::sign(secret, index).map(|t| token::connect_frame(&t)),
                    None => Ok(wire::CONNECT.to_owned()),
                };
                match connect {
                    Ok(connect) => connection::open_with(&url, &connect, join.as_deref())
                        .await
                        .map(|(ws, _)| ws),
                    Err(error) => Err(error),
                }
            };
            match opened {
                Ok(ws) => {
                    ready_tx.send(Ok(())).await.ok();
                    drop(ready_tx);
                    receive(ws, &state, index, stop).await
                }
                Err(error) => {
                    ready_tx.send(Err(format!("{error:#}"))).await.ok();
                    MemberOutcome::default()
                }
            }
        }));
    }
    drop(ready_tx);
    let mut failures = 0;
    while let Some(result) = ready_rx.recv().await {
        if let Err(reason) = result {
            failures += 1;
            if failures <= 3 {
                eprintln!("client failed to connect: {reason}");
            }
        }
    }
    Members { tasks, failures }
}

async fn receive(
    mut ws: Ws,
    state: &RunState,
    index: usize,
    mut stop: watch::Receiver<bool>,
) -> MemberOutcome {
    let mut outcome = MemberOutcome::default();
    loop {
        let frame = tokio::select! {
            biased;
            _ = stop.changed() => break,
            frame = ws.next() => frame,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                outcome.closed_early = true;
                break;
            }
            Some(Ok(_)) => continue,
        };
        match wire::decode(text.as_str()) {
            Incoming::Msg(delivery) => {
                let received_us = state.now_us();
                if outcome.check.note(delivery.seq) {
                    state.record(index, delivery.seq, delivery.sent_us, received_us);
                }
            }
            Incoming::Ping if ws.send(Message::text(wire::PONG)).await.is_err() => {
                outcome.closed_early = true;
                break;
            }
            Incoming::MalformedMsg => outcome.malformed += 1,
            Incoming::Close => {
                outcome.closed_early = true;
                break;
            }
            _ => {}
        }
    }
    outcome
}
