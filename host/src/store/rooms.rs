//! The remembered rooms of signed-in users, in the embedded store, so they survive a restart (and a
//! `kill -9`: every change is committed durably before the join is answered).
//!
//! One row per user: the user's rooms in join order, as a MessagePack list of strings. A join or a
//! leave reads and rewrites that row inside one write transaction, so concurrent joins of one user
//! (two tabs) cannot lose each other or pass the cap together. Bytes that do not decode are treated
//! as no rooms, never as a panic.

use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};

use super::RoomMemory;
use super::kv::{KvError, storage};

const ROOMS: TableDefinition<&str, &[u8]> = TableDefinition::new("remembered_rooms");

/// The remembered-rooms table of an open database.
#[derive(Debug, Clone)]
pub struct RoomStore {
    db: Arc<Database>,
}

impl RoomStore {
    /// The table of `db`, created when missing.
    ///
    /// # Errors
    /// [`KvError::Storage`] when it cannot be created.
    pub(super) fn new(db: Arc<Database>) -> Result<Self, KvError> {
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(ROOMS).map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Self { db })
    }

    /// Rewrites `user`'s row with `change`, which may refuse (`false`) to leave it as it is.
    fn update(
        &self,
        user: &str,
        change: impl FnOnce(&mut Vec<String>) -> bool,
    ) -> Result<bool, KvError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let accepted = {
            let mut table = tx.open_table(ROOMS).map_err(storage)?;
            let mut rooms = table
                .get(user)
                .map_err(storage)?
                .map(|row| decode(row.value()))
                .unwrap_or_default();
            let before = rooms.clone();
            let accepted = change(&mut rooms);
            if rooms != before {
                if rooms.is_empty() {
                    table.remove(user).map_err(storage)?;
                } else {
                    let row = rmp_serde::to_vec(&rooms).map_err(storage)?;
                    table.insert(user, row.as_slice()).map_err(storage)?;
                }
            }
            accepted
        };
        tx.commit().map_err(storage)?;
        Ok(accepted)
    }
}

fn decode(row: &[u8]) -> Vec<String> {
    rmp_serde::from_slice(row).unwrap_or_default()
}

impl RoomMemory for RoomStore {
    fn rooms(&self, user: &str) -> Result<Vec<String>, KvError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(ROOMS).map_err(storage)?;
        Ok(table
            .get(user)
            .map_err(storage)?
            .map(|row| decode(row.value()))
            .unwrap_or_default())
    }

    fn contains(&self, user: &str, room: &str) -> Result<bool, KvError> {
        Ok(self.rooms(user)?.iter().any(|joined| joined == room))
    }

    fn join(&self, user: &str, room: &str, max: usize) -> Result<bool, KvError> {
        self.update(user, |rooms| {
            if rooms.iter().any(|joined| joined == room) {
                return true;
            }
            if rooms.len() >= max {
                return false;
            }
            rooms.push(room.to_owned());
            true
        })
    }

    fn leave(&self, user: &str, room: &str) -> Result<(), KvError> {
        self.update(user, |rooms| {
            rooms.retain(|joined| joined != room);
            true
        })
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Store;

    #[test]
    fn remembers_in_order_within_the_cap_and_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        {
            let memory = Store::open(&path).unwrap().rooms();
            assert!(memory.join("u", "a", 2).unwrap());
            assert!(memory.join("u", "b", 2).unwrap());
            assert!(memory.join("u", "a", 2).unwrap());
            assert!(!memory.join("u", "c", 2).unwrap());
            assert_eq!(memory.rooms("u").unwrap(), ["a", "b"]);
            assert!(memory.contains("u", "b").unwrap());
            assert!(!memory.contains("v", "b").unwrap());
        }
        let memory = Store::open(&path).unwrap().rooms();
        assert_eq!(memory.rooms("u").unwrap(), ["a", "b"]);
        memory.leave("u", "a").unwrap();
        assert!(memory.join("u", "c", 2).unwrap());
        assert_eq!(memory.rooms("u").unwrap(), ["b", "c"]);
        memory.leave("u", "b").unwrap();
        memory.leave("u", "c").unwrap();
        assert!(memory.rooms("u").unwrap().is_empty());
    }

    #[test]
    fn a_row_that_does_not_decode_reads_as_no_rooms() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Store::open(&dir.path().join("state.redb")).unwrap().rooms();
        {
            let tx = memory.db.begin_write().unwrap();
            tx.open_table(ROOMS)
                .unwrap()
                .insert("u", &b"\xc1not msgpack"[..])
                .unwrap();
            tx.commit().unwrap();
        }
        assert!(memory.rooms("u").unwrap().is_empty());
        assert!(memory.join("u", "a", 4).unwrap());
        assert_eq!(memory.rooms("u").unwrap(), ["a"]);
    }
}
