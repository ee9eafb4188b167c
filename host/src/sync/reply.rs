//! How the answer to a client request travels back: the Socket.IO ack when the client asked for one,
//! else LuckyStack's convention of an event named `<event>-<responseIndex>`, so front ends written
//! for the original system work unchanged. Exactly one answer per request.

use serde_json::value::RawValue;

use crate::protocol::{AckSender, Args, Socket};

use super::request::response_index;

/// Where the one answer to a request goes.
#[derive(Debug)]
pub enum Reply {
    /// The Socket.IO acknowledgement.
    Ack(AckSender),
    /// An event `<event>-<responseIndex>` to the requesting socket.
    Event {
        /// The requesting socket.
        socket: Socket,
        /// The reply event's name.
        event: String,
    },
    /// The client asked for no answer.
    Nothing,
}

impl Reply {
    /// The reply channel of a request for `event` whose first argument is `first`.
    pub fn new(
        socket: &Socket,
        event: &str,
        ack: Option<AckSender>,
        first: Option<&RawValue>,
    ) -> Self {
        if let Some(ack) = ack {
            return Self::Ack(ack);
        }
        match first.and_then(response_index) {
            Some(index) => Self::Event {
                socket: socket.clone(),
                event: format!("{event}-{index}"),
            },
            None => Self::Nothing,
        }
    }

    /// Sends `payload` (one JSON value) as the answer. A socket that left meanwhile is not an error.
    pub fn send(self, payload: &str) {
        let args = Args::from_compact_unchecked(format!("[{payload}]"));
        let _ = match self {
            Self::Ack(ack) => ack.send(&args),
            Self::Event { socket, event } => socket.emit(&event, &args),
            Self::Nothing => Ok(()),
        };
    }
}
