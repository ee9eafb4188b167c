//! The embedded key-value store: namespaced keys, per-namespace quotas, MessagePack counters.
//!
//! Each namespace's usage (keys, bytes) is kept in its own table and updated in the same write
//! transaction as the data, so a quota can never drift from what is stored. Every commit is durable
//! (fsync) before the call returns. This module must never panic on stored bytes: a value that is not
//! a counter is reported as `WrongType`.

use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};

use super::Kv;

/// Longest accepted key, in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest accepted value, in bytes.
pub const MAX_VALUE_BYTES: usize = 256 * 1024;

const DATA: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("kv_data");
const USAGE: TableDefinition<&str, (u64, u64)> = TableDefinition::new("kv_usage");

/// How much one namespace may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvQuota {
    /// Most keys.
    pub max_keys: u64,
    /// Most bytes, counting keys and values.
    pub max_bytes: u64,
}

/// Why a kv operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The write would exceed the namespace's quota.
    #[error("kv quota exceeded")]
    QuotaExceeded,
    /// The key or value is larger than the store accepts.
    #[error("kv key or value too large")]
    TooLarge,
    /// The stored value is not a counter.
    #[error("kv value is not a counter")]
    WrongType,
    /// The backend failed.
    #[error("kv storage failure: {0}")]
    Storage(String),
}

pub(super) fn storage(error: impl std::fmt::Display) -> KvError {
    KvError::Storage(error.to_string())
}

/// The embedded, durable key-value store.
#[derive(Debug, Clone)]
pub struct KvStore {
    db: Arc<Database>,
}

impl KvStore {
    /// The kv tables of an open database (see [`super::Store`]), created when missing.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the tables cannot be created.
    pub(super) fn new(db: Arc<Database>) -> Result<Self, KvError> {
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(DATA).map_err(storage)?;
        tx.open_table(USAGE).map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Self { db })
    }

    /// Replaces the value at `key` by what `update` returns (None deletes), keeping usage exact.
    /// Returns the old value.
    fn write(
        &self,
        namespace: &str,
        key: &str,
        quota: KvQuota,
        update: impl FnOnce(Option<&[u8]>) -> Result<Option<Vec<u8>>, KvError>,
    ) -> Result<Option<Vec<u8>>, KvError> {
        let tx = self.db.begin_write().map_err(storage)?;
        let old = {
            let mut data = tx.open_table(DATA).map_err(storage)?;
            let mut usage = tx.open_table(USAGE).map_err(storage)?;
            let old = data
                .get((namespace, key))
                .map_err(storage)?
                .map(|value| value.value().to_vec());
            let new = update(old.as_deref())?;
            let (keys, bytes) = usage
                .get(namespace)
                .map_err(storage)?
                .map_or((0, 0), |entry| entry.value());
            let entry_size = |value: &Option<Vec<u8>>| {
                value
                    .as_ref()
                    .map_or(0, |value| (key.len() + value.len()) as u64)
            };
            let keys = keys + u64::from(new.is_some()) - u64::from(old.is_some());
            let bytes = (bytes + entry_size(&new)).saturating_sub(entry_size(&old));
            let grows = entry_size(&new) > entry_size(&old) || (new.is_some() && old.is_none());
            if grows && (keys > quota.max_keys || bytes > quota.max_bytes) {
                return Err(KvError::QuotaExceeded);
            }
            match &new {
                Some(value) => data
                    .insert((namespace, key), value.as_slice())
                    .map_err(storage)?,
                None => data.remove((namespace, key)).map_err(storage)?,
            };
            usage.insert(namespace, (keys, bytes)).map_err(storage)?;
            old
        };
        tx.commit().map_err(storage)?;
        Ok(old)
    }
}

/// A counter is exactly one MessagePack integer; trailing bytes make it something else.
fn decode_counter(mut bytes: &[u8]) -> Result<i64, KvError> {
    let mut decoder = rmp_serde::Deserializer::new(&mut bytes);
    let value = serde::Deserialize::deserialize(&mut decoder).map_err(|_| KvError::WrongType)?;
    if bytes.is_empty() {
        Ok(value)
    } else {
        Err(KvError::WrongType)
    }
}

impl Kv for KvStore {
    /// The value at `key` in `namespace`.
    ///
    /// # Errors
    /// [`KvError::TooLarge`] for an oversized key; [`KvError::Storage`].
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        check_key(key)?;
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(DATA).map_err(storage)?;
        Ok(table
            .get((namespace, key))
            .map_err(storage)?
            .map(|value| value.value().to_vec()))
    }

    /// Stores `value` at `key`.
    ///
    /// # Errors
    /// [`KvError::TooLarge`], [`KvError::QuotaExceeded`], [`KvError::Storage`].
    fn set(&self, namespace: &str, key: &str, value: &[u8], quota: KvQuota) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::TooLarge);
        }
        self.write(namespace, key, quota, |_| Ok(Some(value.to_vec())))
            .map(|_| ())
    }

    /// Removes `key`; returns whether it existed.
    ///
    /// # Errors
    /// [`KvError::TooLarge`] for an oversized key; [`KvError::Storage`].
    fn delete(&self, namespace: &str, key: &str) -> Result<bool, KvError> {
        check_key(key)?;
        let unlimited = KvQuota {
            max_keys: u64::MAX,
            max_bytes: u64::MAX,
        };
        self.write(namespace, key, unlimited, |_| Ok(None))
            .map(|old| old.is_some())
    }

    /// Adds `delta` to the MessagePack integer at `key` (absent = 0) and returns the new value.
    ///
    /// # Errors
    /// [`KvError::WrongType`] when the value is not an integer; [`KvError::Storage`] on overflow or
    /// backend failure; [`KvError::QuotaExceeded`] when a new key does not fit.
    fn incr(&self, namespace: &str, key: &str, delta: i64, quota: KvQuota) -> Result<i64, KvError> {
        check_key(key)?;
        let mut result = 0;
        self.write(namespace, key, quota, |old| {
            let current = match old {
                Some(bytes) => decode_counter(bytes)?,
                None => 0,
            };
            result = current
                .checked_add(delta)
                .ok_or_else(|| KvError::Storage("counter overflow".into()))?;
            rmp_serde::to_vec(&result).map(Some).map_err(storage)
        })?;
        Ok(result)
    }
}

fn check_key(key: &str) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        Err(KvError::TooLarge)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ROOMY: KvQuota = KvQuota {
        max_keys: 100,
        max_bytes: 10_000,
    };

    fn store() -> (tempfile::TempDir, KvStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("nested/kv.redb"))
            .unwrap()
            .kv();
        (dir, store)
    }

    #[test]
    fn namespaces_are_separate_and_values_persist_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.redb");
        {
            let store = crate::store::Store::open(&path).unwrap().kv();
            store.set("a", "k", b"one", ROOMY).unwrap();
            assert_eq!(store.incr("b", "k", 5, ROOMY).unwrap(), 5);
        }
        let store = crate::store::Store::open(&path).unwrap().kv();
        assert_eq!(store.get("a", "k").unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(store.incr("b", "k", -2, ROOMY).unwrap(), 3);
        assert_eq!(store.incr("a", "k", 1, ROOMY), Err(KvError::WrongType));
        assert!(store.delete("a", "k").unwrap());
        assert!(!store.delete("a", "k").unwrap());
    }

    #[test]
    fn quotas_count_keys_and_bytes_and_shrinking_is_always_allowed() {
        let (_dir, store) = store();
        let tight = KvQuota {
            max_keys: 2,
            max_bytes: 12,
        };
        store.set("p", "a", b"1234", tight).unwrap();
        store.set("p", "b", b"1234", tight).unwrap();
        assert_eq!(store.set("p", "c", b"", tight), Err(KvError::QuotaExceeded));
        assert_eq!(
            store.set("p", "a", b"12345678", tight),
            Err(KvError::QuotaExceeded)
        );
        store.set("p", "a", b"1", tight).unwrap();
        store.delete("p", "b").unwrap();
        store.set("p", "c", b"12", tight).unwrap();
        assert_eq!(
            store.set("p", &"x".repeat(MAX_KEY_BYTES + 1), b"", ROOMY),
            Err(KvError::TooLarge)
        );
    }
}
