//! What plugins may ask about rooms (capability `rooms`), as a trait the runtime defines.
//!
//! The Socket.IO gateway owns room membership and implements [`RoomDirectory`]; the runtime only reads
//! through it. [`MemoryRooms`] is a plain in-memory directory for the CLI and tests. Implementations
//! are called from plugin worker threads while a guest waits: a node alone answers from memory; a
//! node of a cluster may ask Redis, but within its `timeout_ms`, and says so with
//! [`RoomsUnavailable`] rather than answering with a guess.

use std::collections::HashMap;
use std::sync::RwLock;

use super::bindings::Session;

/// Why a room query has no answer (the guest sees `storage` with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("room directory unavailable: {0}")]
pub struct RoomsUnavailable(pub String);

/// Read-only room queries, answered synchronously.
pub trait RoomDirectory: Send + Sync + 'static {
    /// Number of connections in `room` (0 for an unknown room).
    ///
    /// # Errors
    /// [`RoomsUnavailable`] when the directory cannot give the whole answer.
    fn size(&self, room: &str) -> Result<u32, RoomsUnavailable>;
    /// Up to `limit` member sessions starting at `offset`, in an order that stays the same between
    /// pages while the room does not change; anonymous members are left out.
    ///
    /// # Errors
    /// [`RoomsUnavailable`] when the directory cannot give the whole answer.
    fn members(
        &self,
        room: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Session>, RoomsUnavailable>;
}

/// An in-memory room directory.
#[derive(Debug, Default)]
pub struct MemoryRooms {
    rooms: RwLock<HashMap<String, Vec<Option<Session>>>>,
}

impl MemoryRooms {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the members of `room` (one entry per connection; `None` for anonymous ones).
    pub fn set(&self, room: &str, members: Vec<Option<Session>>) {
        let mut rooms = self
            .rooms
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rooms.insert(room.to_owned(), members);
    }
}

impl RoomDirectory for MemoryRooms {
    fn size(&self, room: &str) -> Result<u32, RoomsUnavailable> {
        let rooms = self
            .rooms
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(rooms.get(room).map_or(0, |members| {
            u32::try_from(members.len()).unwrap_or(u32::MAX)
        }))
    }

    fn members(
        &self,
        room: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Session>, RoomsUnavailable> {
        let rooms = self
            .rooms
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(members) = rooms.get(room) else {
            return Ok(Vec::new());
        };
        Ok(members
            .iter()
            .flatten()
            .skip(offset as usize)
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
