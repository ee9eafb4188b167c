//! A namespace's event tap: the events its sockets receive, and those emitted to one socket, as
//! they pass, for an observer such as the Admin UI's event feed.
//!
//! A namespace has one only when it was made with one ([`NamespaceRooms::tapped`]). Recording is a
//! check of the subscriber count and nothing else while no one listens; with a listener it copies
//! the event's JSON once into a bounded channel whose slow readers lose the oldest events (never
//! the sender's time). Broadcasts to rooms and acknowledgements are not tapped, as Node's
//! `onAny`/`onAnyOutgoing` do not see them either.
//!
//! [`NamespaceRooms::tapped`]: super::NamespaceRooms::tapped

use tokio::sync::broadcast;

use super::args::Args;

/// Events kept for a listener that falls behind; older ones are dropped for it.
const CAPACITY: usize = 1024;

/// Which way an event went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    Received,
    /// From the server to that one socket.
    Sent,
}

/// One event as the tap saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TappedEvent {
    /// Which way it went.
    pub direction: Direction,
    /// The socket's id.
    pub socket: String,
    /// The event name and its arguments as one JSON array, `["name",arg,...]`.
    pub event: String,
}

/// The sending side of a namespace's tap; clones share it.
#[derive(Debug, Clone)]
pub struct EventTap(broadcast::Sender<TappedEvent>);

impl Default for EventTap {
    fn default() -> Self {
        Self(broadcast::Sender::new(CAPACITY))
    }
}

impl EventTap {
    /// A listener of every event recorded from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<TappedEvent> {
        self.0.subscribe()
    }

    /// Records `name(args)` going `direction` on socket `socket`, if anyone listens.
    pub(crate) fn record(&self, direction: Direction, socket: &str, name: &str, args: &Args) {
        if self.0.receiver_count() == 0 {
            return;
        }
        let name = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_owned());
        let event = if args.is_empty() {
            format!("[{name}]")
        } else {
            format!("[{name},{}]", args.inner())
        };
        // No listener left between the check and the send is fine: the event is simply not seen.
        let _ = self.0.send(TappedEvent {
            direction,
            socket: socket.to_owned(),
            event,
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_reach_listeners_as_one_array_and_nothing_is_kept_without_one() {
        let tap = EventTap::default();
        tap.record(Direction::Received, "a", "unseen", &Args::empty());
        let mut listener = tap.subscribe();
        tap.record(
            Direction::Received,
            "a",
            "sync",
            &Args::from_json(r#"[{"x":1},"y"]"#).unwrap(),
        );
        tap.record(Direction::Sent, "b", "bare", &Args::empty());
        let first = listener.try_recv().unwrap();
        assert_eq!(first.event, r#"["sync",{"x":1},"y"]"#);
        assert_eq!(
            (first.direction, first.socket.as_str()),
            (Direction::Received, "a")
        );
        assert_eq!(listener.try_recv().unwrap().event, r#"["bare"]"#);
        assert!(
            listener.try_recv().is_err(),
            "the event before the listener was not kept"
        );
    }
}
