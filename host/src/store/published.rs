//! The published-stages ledger: for every route version this node has ever served, the set of stages
//! it was first served with, so a version whose client stage is later deleted or broken stays
//! refused after a restart instead of coming back as a server-only route that delivers unfiltered
//! output.
//!
//! One row per version, its key chosen by the caller (`page/name@vN`), its value a short text the
//! caller defines (the caller only ever widens it). The table knows nothing of plugins.

use std::collections::BTreeMap;
use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};

use super::kv::{KvError, storage};

const PUBLISHED: TableDefinition<&str, &str> = TableDefinition::new("published_stages");

/// The ledger table of an open database (or of one in memory).
#[derive(Debug, Clone)]
pub struct PublishedStages {
    db: Arc<Database>,
}

impl PublishedStages {
    /// The table of `db`, created when missing.
    ///
    /// # Errors
    /// [`KvError::Storage`] when it cannot be created.
    pub(super) fn new(db: Arc<Database>) -> Result<Self, KvError> {
        let tx = db.begin_write().map_err(storage)?;
        tx.open_table(PUBLISHED).map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(Self { db })
    }

    /// A ledger that lives only as long as the process, for runtimes without a store file.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the in-memory database cannot be created.
    pub fn in_memory() -> Result<Self, KvError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(storage)?;
        Self::new(Arc::new(db))
    }

    /// Every row.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the table cannot be read.
    pub fn all(&self) -> Result<BTreeMap<String, String>, KvError> {
        let tx = self.db.begin_read().map_err(storage)?;
        let table = tx.open_table(PUBLISHED).map_err(storage)?;
        let mut rows = BTreeMap::new();
        for row in table.iter().map_err(storage)? {
            let (key, value) = row.map_err(storage)?;
            rows.insert(key.value().to_owned(), value.value().to_owned());
        }
        Ok(rows)
    }

    /// Writes `value` at `key`, durably.
    ///
    /// # Errors
    /// [`KvError::Storage`] when the table cannot be written.
    pub fn set(&self, key: &str, value: &str) -> Result<(), KvError> {
        let tx = self.db.begin_write().map_err(storage)?;
        tx.open_table(PUBLISHED)
            .map_err(storage)?
            .insert(key, value)
            .map_err(storage)?;
        tx.commit().map_err(storage)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::store::Store;

    #[test]
    fn rows_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.redb");
        {
            let ledger = Store::open(&path).unwrap().published_stages();
            ledger.set("p/a@v1", "server").unwrap();
            ledger.set("p/a@v1", "server+client").unwrap();
        }
        let ledger = Store::open(&path).unwrap().published_stages();
        assert_eq!(ledger.all().unwrap()["p/a@v1"], "server+client");
    }

    #[test]
    fn an_in_memory_ledger_keeps_rows_while_it_lives() {
        let ledger = super::PublishedStages::in_memory().unwrap();
        ledger.set("p/a@v1", "client").unwrap();
        assert_eq!(ledger.all().unwrap().len(), 1);
    }
}
