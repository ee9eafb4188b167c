//! The view of this node's rooms that plugins get (capability `rooms`) on a node alone: sizes and
//! member sessions. A node of a cluster answers from `cluster::RedisPresence` instead.
//!
//! Built on the namespace's rooms before the namespace's handler exists, so it answers from the
//! first call; nothing is attached later. It reads sessions from the [`Peer`] each socket got at
//! CONNECT and never blocks: plugins call it from worker threads while a guest waits.

use crate::plugin::{RoomDirectory, RoomsUnavailable, Session};
use crate::protocol::NamespaceRooms;

use super::peer::Peer;

/// Room sizes and members for plugins, read from a namespace's rooms.
#[derive(Debug, Clone)]
pub struct LocalRooms {
    rooms: NamespaceRooms,
}

impl LocalRooms {
    /// Answers from `rooms`.
    pub fn new(rooms: NamespaceRooms) -> Self {
        Self { rooms }
    }
}

impl RoomDirectory for LocalRooms {
    fn size(&self, room: &str) -> Result<u32, RoomsUnavailable> {
        Ok(u32::try_from(self.rooms.room_size(room)).unwrap_or(u32::MAX))
    }

    fn members(
        &self,
        room: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Session>, RoomsUnavailable> {
        Ok(self
            .rooms
            .to(room)
            .sockets()
            .iter()
            .filter_map(|socket| Peer::current(socket)?.session.as_deref().cloned())
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }
}
