//! The room maps of one namespace: room → members and member → rooms.
//!
//! Both maps are split into shards, each behind its own `RwLock`. Broadcasts only read (many run at
//! once, each holding one shard's read lock at a time while it pushes onto queues, which never
//! blocks); joins and leaves write to one member shard and one room shard. A single global mutex
//! would serialise every broadcast behind every join; a lock per room would cost an allocation per
//! room and still need a map lock. Lock order is always member shard, then room shard, so a join and a
//! leave-all never deadlock.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::broadcast::BroadcastStats;
use crate::transport::Message;

const SHARDS: usize = 16;

/// What happened to one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Queued.
    Sent,
    /// Not queued because the queue was full and the send was volatile.
    Dropped,
    /// Not queued: the connection is closed, or its queue overflowed (which closes it).
    Failed,
}

/// A socket as the room registry sees it.
pub trait Member: Clone + Send + Sync + 'static {
    /// A key unique among all members ever created (not reused).
    fn key(&self) -> u64;
    /// Queues already-framed messages (a packet and its attachments) without blocking.
    fn deliver(&self, messages: &[Message], volatile: bool) -> Delivery;
}

/// member key → (member, the rooms it is in).
type MemberShard<M> = RwLock<HashMap<u64, (M, HashSet<Arc<str>>)>>;
/// room → members by key.
type RoomShard<M> = RwLock<HashMap<Arc<str>, HashMap<u64, M>>>;

/// The rooms of one namespace.
pub struct RoomRegistry<M> {
    hasher: RandomState,
    members: Box<[MemberShard<M>]>,
    rooms: Box<[RoomShard<M>]>,
    pub(super) stats: BroadcastStats,
}

impl<M> std::fmt::Debug for RoomRegistry<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomRegistry")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<M: Member> Default for RoomRegistry<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Member> RoomRegistry<M> {
    /// An empty registry.
    pub fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            members: (0..SHARDS).map(|_| RwLock::default()).collect(),
            rooms: (0..SHARDS).map(|_| RwLock::default()).collect(),
            stats: BroadcastStats::default(),
        }
    }

    /// Adds a member that is in no room yet (a no-op if it is already present).
    pub fn add(&self, member: M) {
        write(self.member_shard(member.key()))
            .entry(member.key())
            .or_insert_with(|| (member, HashSet::new()));
    }

    /// Puts a member in a room; returns false when the member was not added (or already left).
    pub fn join(&self, key: u64, room: &str) -> bool {
        let mut members = write(self.member_shard(key));
        let Some((member, rooms)) = members.get_mut(&key) else {
            return false;
        };
        if rooms.contains(room) {
            return true;
        }
        let room: Arc<str> = Arc::from(room);
        rooms.insert(room.clone());
        write(self.room_shard(&room))
            .entry(room)
            .or_default()
            .insert(key, member.clone());
        true
    }

    /// Takes a member out of a room (a no-op if it is not in it).
    pub fn leave(&self, key: u64, room: &str) {
        let mut members = write(self.member_shard(key));
        if let Some((_, rooms)) = members.get_mut(&key)
            && rooms.remove(room)
        {
            self.remove_from_room(key, room);
        }
    }

    /// Removes a member from every room and from the registry (on disconnect).
    pub fn remove(&self, key: u64) {
        let mut members = write(self.member_shard(key));
        if let Some((_, rooms)) = members.remove(&key) {
            for room in &rooms {
                self.remove_from_room(key, room);
            }
        }
    }

    /// The rooms a member is in.
    pub fn rooms_of(&self, key: u64) -> Vec<Arc<str>> {
        read(self.member_shard(key))
            .get(&key)
            .map(|(_, rooms)| rooms.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether a member is in a room.
    pub fn contains(&self, key: u64, room: &str) -> bool {
        read(self.member_shard(key))
            .get(&key)
            .is_some_and(|(_, rooms)| rooms.contains(room))
    }

    /// The number of members in a room.
    pub fn room_size(&self, room: &str) -> usize {
        read(self.room_shard(room))
            .get(room)
            .map_or(0, HashMap::len)
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.iter().map(|shard| read(shard).len()).sum()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Delivery counters of every broadcast through this registry.
    pub fn stats(&self) -> &BroadcastStats {
        &self.stats
    }

    /// Calls `visit` for each member of `room` while holding the room's shard read lock.
    pub(super) fn for_each_in_room(&self, room: &str, mut visit: impl FnMut(&M)) {
        if let Some(members) = read(self.room_shard(room)).get(room) {
            members.values().for_each(&mut visit);
        }
    }

    /// Calls `visit` for each member while holding one member shard read lock at a time.
    pub(super) fn for_each_member(&self, mut visit: impl FnMut(&M)) {
        for shard in &*self.members {
            read(shard).values().for_each(|(member, _)| visit(member));
        }
    }

    fn remove_from_room(&self, key: u64, room: &str) {
        let mut rooms = write(self.room_shard(room));
        if let Some(members) = rooms.get_mut(room) {
            members.remove(&key);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }

    fn member_shard(&self, key: u64) -> &MemberShard<M> {
        &self.members[self.shard_of(&key)]
    }

    fn room_shard(&self, room: &str) -> &RoomShard<M> {
        &self.rooms[self.shard_of(room)]
    }

    fn shard_of<T: Hash + ?Sized>(&self, value: &T) -> usize {
        // The modulo keeps the index below SHARDS, so the truncating cast is harmless.
        (self.hasher.hash_one(value) % SHARDS as u64) as usize
    }
}

// A panic while a lock is held cannot leave these maps half-updated in a way that matters more than
// losing the whole namespace, so a poisoned lock is used as is.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
