//! The view of the gateway's rooms that plugins get (capability `rooms`).
//!
//! The runtime starts before the Socket.IO namespace exists (the namespace's handler needs the
//! runtime), so the namespace is attached once it is built; until then every room is empty.

use std::sync::OnceLock;

use crate::plugin::{RoomDirectory, Session};
use crate::protocol::Namespace;
use crate::sync::Peer;

/// Room sizes and members for plugins, read from a namespace's room registry.
#[derive(Debug, Default)]
pub struct NamespaceRooms {
    namespace: OnceLock<Namespace>,
}

impl NamespaceRooms {
    /// Rooms that read as empty until [`NamespaceRooms::attach`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers from `namespace` from now on (once).
    pub fn attach(&self, namespace: Namespace) {
        let _ = self.namespace.set(namespace);
    }
}

impl RoomDirectory for NamespaceRooms {
    fn size(&self, room: &str) -> u32 {
        self.namespace.get().map_or(0, |namespace| {
            u32::try_from(namespace.room_size(room)).unwrap_or(u32::MAX)
        })
    }

    fn members(&self, room: &str, offset: u32, limit: u32) -> Vec<Session> {
        let Some(namespace) = self.namespace.get() else {
            return Vec::new();
        };
        namespace
            .to(room)
            .sockets()
            .iter()
            .filter_map(|socket| socket.data::<Peer>()?.session.as_deref().cloned())
            .skip(offset as usize)
            .take(limit as usize)
            .collect()
    }
}
