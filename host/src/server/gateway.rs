//! The product's Socket.IO namespace and the view of its rooms that plugins get.
//!
//! [`Gateway`] accepts every connection on `/`; the sync pipeline handles its events. [`NamespaceRooms`]
//! answers the `rooms` capability from the namespace's live room registry.

use crate::plugin::{RoomDirectory, Session};
use crate::protocol::{Event, Namespace, NamespaceHandler, Socket};

/// The handler of the `/` namespace.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gateway;

impl NamespaceHandler for Gateway {
    fn on_event(&self, socket: &Socket, event: Event) {
        tracing::debug!(socket = socket.id(), event = %event.name, "event without a handler");
    }
}

/// Room sizes for plugins, read from a namespace's room registry.
#[derive(Debug, Clone)]
pub struct NamespaceRooms {
    namespace: Namespace,
}

impl NamespaceRooms {
    /// The rooms of `namespace`.
    pub fn new(namespace: Namespace) -> Self {
        Self { namespace }
    }
}

impl RoomDirectory for NamespaceRooms {
    fn size(&self, room: &str) -> u32 {
        u32::try_from(self.namespace.room_size(room)).unwrap_or(u32::MAX)
    }

    fn members(&self, _room: &str, _offset: u32, _limit: u32) -> Vec<Session> {
        // Connections carry no sessions until tokens are verified at CONNECT; anonymous members are
        // left out by contract, so every member is left out for now.
        Vec::new()
    }
}
