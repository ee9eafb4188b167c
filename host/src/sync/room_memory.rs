//! The rooms each signed-in user has joined, remembered so a reconnect (or another tab) rejoins them,
//! and so the HTTP trigger can tell whether a user is a member of a room without a socket.
//!
//! Kept in memory for the life of the process, in join order, capped per user by the caller. Anonymous
//! connections are not remembered: there is nothing to recognise them by when they come back.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// user id → rooms, in join order.
#[derive(Debug, Default)]
pub struct RoomMemory {
    users: Mutex<HashMap<String, Vec<String>>>,
}

impl RoomMemory {
    /// The rooms remembered for `user`.
    pub fn rooms(&self, user: &str) -> Vec<String> {
        self.lock().get(user).cloned().unwrap_or_default()
    }

    /// Whether `user` joined `room`.
    pub fn contains(&self, user: &str, room: &str) -> bool {
        self.lock()
            .get(user)
            .is_some_and(|rooms| rooms.iter().any(|joined| joined == room))
    }

    /// Remembers that `user` joined `room`; false (and nothing remembered) when that would exceed
    /// `max` rooms. Joining a remembered room again is a success.
    pub fn join(&self, user: &str, room: &str, max: usize) -> bool {
        let mut users = self.lock();
        let rooms = users.entry(user.to_owned()).or_default();
        if rooms.iter().any(|joined| joined == room) {
            return true;
        }
        if rooms.len() >= max {
            return false;
        }
        rooms.push(room.to_owned());
        true
    }

    /// Forgets that `user` joined `room`.
    pub fn leave(&self, user: &str, room: &str) {
        let mut users = self.lock();
        if let Some(rooms) = users.get_mut(user) {
            rooms.retain(|joined| joined != room);
            if rooms.is_empty() {
                users.remove(user);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<String>>> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_in_order_within_the_cap() {
        let memory = RoomMemory::default();
        assert!(memory.join("u", "a", 2));
        assert!(memory.join("u", "b", 2));
        assert!(memory.join("u", "a", 2));
        assert!(!memory.join("u", "c", 2));
        assert_eq!(memory.rooms("u"), ["a", "b"]);
        assert!(memory.contains("u", "b"));
        assert!(!memory.contains("v", "b"));
        memory.leave("u", "a");
        assert!(memory.join("u", "c", 2));
        assert_eq!(memory.rooms("u"), ["b", "c"]);
    }
}
