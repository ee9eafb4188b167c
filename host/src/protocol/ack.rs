//! Acknowledgements in both directions.
//!
//! Client → server: an event with an id hands the handler an [`AckSender`], which answers once with
//! ACK (or BINARY_ACK when binaries are attached). Server → client: each socket numbers its own
//! requests from 0 and keeps a table of waiters; a reply with an unknown id is ignored, as Node does.
//! The table never grows without bound: a waiter leaves it on reply, on timeout or on disconnect.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::args::Args;
use super::socket::{EmitError, Socket};

/// The answer to a server → client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckReply {
    /// The arguments the client answered with (placeholders for binaries).
    pub args: Args,
    /// The binary attachments of the answer.
    pub binaries: Vec<Bytes>,
}

/// Why a server → client request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No answer within the timeout.
    #[error("acknowledgement timed out")]
    Timeout,
    /// The socket left before answering.
    #[error("socket disconnected before acknowledging")]
    Disconnected,
    /// The request could not be queued.
    #[error("request could not be sent: {0}")]
    Send(#[from] EmitError),
}

/// Answers one client event that asked for an acknowledgement. Answering consumes it, so a client
/// gets at most one answer; dropping it sends nothing.
#[derive(Debug)]
pub struct AckSender {
    socket: Socket,
    id: u64,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: u64) -> Self {
        Self { socket, id }
    }

    /// The ack id the client chose.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Answers with `args`.
    ///
    /// # Errors
    /// [`EmitError`] when the socket is gone or its queue is full.
    pub fn send(self, args: &Args) -> Result<(), EmitError> {
        self.send_binary(args, &[])
    }

    /// Answers with `args` whose placeholders refer to `binaries` (BINARY_ACK when non-empty).
    ///
    /// # Errors
    /// [`EmitError`] when the socket is gone or its queue is full.
    pub fn send_binary(self, args: &Args, binaries: &[Bytes]) -> Result<(), EmitError> {
        self.socket.send_ack(self.id, args, binaries)
    }
}

/// The waiters of one socket's server → client requests.
#[derive(Debug, Default)]
pub(crate) struct AckTable {
    inner: Mutex<AckTableInner>,
}

#[derive(Debug, Default)]
struct AckTableInner {
    next_id: u64,
    /// `None` once the socket has left: later requests fail at once.
    waiting: Option<HashMap<u64, oneshot::Sender<AckReply>>>,
    closed: bool,
}

impl AckTable {
    /// Reserves an id and a waiter for it.
    pub(crate) fn register(&self) -> Result<(u64, oneshot::Receiver<AckReply>), AckError> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.closed {
            return Err(AckError::Disconnected);
        }
        let id = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1);
        let (tx, rx) = oneshot::channel();
        inner
            .waiting
            .get_or_insert_with(HashMap::new)
            .insert(id, tx);
        Ok((id, rx))
    }

    /// Hands a client's answer to its waiter; unknown ids are ignored.
    pub(crate) fn resolve(&self, id: u64, reply: AckReply) {
        let waiter = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .as_mut()
            .and_then(|w| w.remove(&id));
        if let Some(waiter) = waiter {
            // The requester may have timed out and gone; then nobody wants the answer.
            let _ = waiter.send(reply);
        }
    }

    /// Forgets a waiter (after its timeout).
    pub(crate) fn forget(&self, id: u64) {
        if let Some(waiting) = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .waiting
            .as_mut()
        {
            waiting.remove(&id);
        }
    }

    /// Fails every waiter and every later request (the socket left).
    pub(crate) fn close(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.closed = true;
        // Dropping the senders wakes each waiter with `Disconnected`.
        inner.waiting = None;
    }
}
