//! What a node tells the rest of a cluster about its own room members, so `rooms.size` and
//! `rooms.members` can count every node's. The pipeline reports each join, leave and disconnect of a
//! socket here, in the order they happen on that socket.
//!
//! [`NoPresence`] is a node alone: the plugins' room queries read the namespace's rooms directly,
//! so there is nothing to report and it does nothing. Implementations must never block or wait for
//! I/O: they are called on the connection's lane and on its disconnect.

use std::sync::Arc;

use crate::plugin::Session;

/// Receives this node's membership changes.
pub trait Presence: Send + Sync + 'static {
    /// `socket` (signed in as `session`, or anonymous) is now in `room`.
    fn joined(&self, socket: &str, room: &str, session: Option<&Arc<Session>>);
    /// `socket` left `room`.
    fn left(&self, socket: &str, room: &str);
    /// `socket` disconnected: it is in no room any more.
    fn disconnected(&self, socket: &str);

    /// Plugins' room queries that failed because the shared members could not be read (always 0
    /// for a node alone).
    fn failures(&self) -> u64 {
        0
    }
}

/// A node alone: nothing to tell anyone.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPresence;

impl Presence for NoPresence {
    fn joined(&self, _socket: &str, _room: &str, _session: Option<&Arc<Session>>) {}
    fn left(&self, _socket: &str, _room: &str) {}
    fn disconnected(&self, _socket: &str) {}
}
