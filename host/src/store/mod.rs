//! Durable state: the `kv` capability's values, the rooms signed-in users have joined, and the stage
//! sets of published route versions.
//!
//! The embedded backend is one redb file opened once per process ([`Store`]); each kind of state has
//! its own tables in it. The traits here ([`Kv`], [`RoomMemory`]) are what the layers above use, so a
//! cluster can put a shared backend behind them. The store knows nothing of plugins, sockets or WIT:
//! callers pass a namespace (the page) and a quota, or a user id and a room.

mod kv;
mod published;
mod rooms;

use std::path::Path;
use std::sync::Arc;

use redb::Database;

pub use kv::{KvError, KvQuota, KvStore, MAX_KEY_BYTES, MAX_VALUE_BYTES};
pub use published::PublishedStages;
pub use rooms::RoomStore;

/// Namespaced values with quotas and atomic counters. Called from plugin worker threads while a guest
/// waits: implementations answer or fail within a bounded time.
pub trait Kv: Send + Sync + 'static {
    /// The value at `key` in `namespace`.
    ///
    /// # Errors
    /// [`KvError::TooLarge`] for an oversized key; [`KvError::Storage`].
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;

    /// Stores `value` at `key`.
    ///
    /// # Errors
    /// [`KvError::TooLarge`], [`KvError::QuotaExceeded`], [`KvError::Storage`].
    fn set(&self, namespace: &str, key: &str, value: &[u8], quota: KvQuota) -> Result<(), KvError>;

    /// Removes `key`; returns whether it existed.
    ///
    /// # Errors
    /// [`KvError::TooLarge`] for an oversized key; [`KvError::Storage`].
    fn delete(&self, namespace: &str, key: &str) -> Result<bool, KvError>;

    /// Adds `delta` to the MessagePack integer at `key` (absent = 0) and returns the new value,
    /// atomically.
    ///
    /// # Errors
    /// [`KvError::WrongType`] when the value is not an integer; [`KvError::Storage`] on overflow or
    /// backend failure; [`KvError::QuotaExceeded`] when a new key does not fit.
    fn incr(&self, namespace: &str, key: &str, delta: i64, quota: KvQuota) -> Result<i64, KvError>;
}

/// The rooms each signed-in user has joined, in join order, so a reconnect (on any node) rejoins them
/// and the HTTP trigger can check membership without a socket.
pub trait RoomMemory: Send + Sync + 'static {
    /// The rooms remembered for `user`, in join order.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the backend fails.
    fn rooms(&self, user: &str) -> Result<Vec<String>, KvError>;

    /// Whether `user` joined `room`.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the backend fails.
    fn contains(&self, user: &str, room: &str) -> Result<bool, KvError>;

    /// Remembers that `user` joined `room`; `Ok(false)` (and nothing remembered) when that would
    /// exceed `max` rooms. Joining a remembered room again is a success.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the backend fails.
    fn join(&self, user: &str, room: &str, max: usize) -> Result<bool, KvError>;

    /// Forgets that `user` joined `room`.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the backend fails.
    fn leave(&self, user: &str, room: &str) -> Result<(), KvError>;
}

/// The embedded store: one redb file holding every table.
#[derive(Debug, Clone)]
pub struct Store {
    kv: KvStore,
    rooms: RoomStore,
    published: PublishedStages,
}

impl Store {
    /// Opens (or creates) the database file, creating its folder when missing.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the file cannot be opened or is not a redb database.
    pub fn open(path: &Path) -> Result<Self, KvError> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(kv::storage)?;
        }
        let db = Arc::new(Database::create(path).map_err(kv::storage)?);
        Ok(Self {
            kv: KvStore::new(db.clone())?,
            rooms: RoomStore::new(db.clone())?,
            published: PublishedStages::new(db)?,
        })
    }

    /// The kv tables.
    pub fn kv(&self) -> KvStore {
        self.kv.clone()
    }

    /// The remembered rooms.
    pub fn rooms(&self) -> RoomStore {
        self.rooms.clone()
    }

    /// The stage sets this node's route versions were first published with.
    pub fn published_stages(&self) -> PublishedStages {
        self.published.clone()
    }
}
