//! The per-function compile cache: Cranelift's output for one wasm function, kept under
//! `<cache_dir>/functions/` and reused by any component that contains the same function.
//!
//! The whole-file cache (`cache.rs`) helps only when a file comes back unchanged. A handler built
//! from TypeScript is a JavaScript engine of some ten thousand functions plus a few of its own, and
//! every such handler embeds the same engine: without this cache each new or edited file compiles
//! the engine again, which takes minutes. With it, only the functions never seen before are
//! compiled; the rest are copied from here. Rust handlers share less, but the standard library's
//! functions recur too.
//!
//! Cranelift chooses the keys (a hash of the function's code and the compiler's settings) and
//! checks its own version when it reads a value back. Each entry is one file named by the SHA-256
//! of its key, holding the SHA-256 of the value and then the value, written to a temporary name and
//! renamed into place. An entry whose checksum does not match (a torn write) is ignored, so a cut
//! write costs a recompile, never wrong code. Like `.cwasm` files, these are native code: the folder
//! is checked like the cache folder, and an entry anyone but its owner may write is never read.
//!
//! Entries are never read-modified, only added, and a few hundred functions of a large component
//! get new keys on every compile, so the folder grows: at start, when it holds more than
//! [`MAX_BYTES`], it is emptied (the next compile of each component then pays in full once).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::CacheStore;

use super::cache::{CacheError, write_atomically};

const CHECKSUM_LEN: usize = 32;

/// The size past which the folder is emptied at start.
pub const MAX_BYTES: u64 = 1 << 30;

/// Cranelift's incremental cache on disk.
#[derive(Debug)]
pub struct FunctionCache {
    dir: PathBuf,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counters of the function cache since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FunctionCacheStats {
    /// Functions copied from the cache instead of compiled.
    pub hits: u64,
    /// Functions compiled and added to the cache.
    pub misses: u64,
}

impl FunctionCache {
    /// The cache in `<cache_dir>/functions` (created when missing).
    ///
    /// # Errors
    /// [`CacheError`] when the folder cannot be created, or others than its owner may write it.
    pub fn new(cache_dir: &Path) -> Result<Self, CacheError> {
        let dir = cache_dir.join("functions");
        let io = |source| CacheError::Io {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let metadata = std::fs::metadata(&dir).map_err(io)?;
        if let Some(reason) = super::cache::unsafe_owner_or_mode(&metadata) {
            return Err(CacheError::Unsafe { path: dir, reason });
        }
        prune(&dir, MAX_BYTES).map_err(io)?;
        Ok(Self {
            dir,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> FunctionCacheStats {
        FunctionCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        self.dir.join(super::content_hash(key))
    }

    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        let metadata = std::fs::symlink_metadata(path).ok()?;
        if !metadata.is_file() || super::cache::unsafe_owner_or_mode(&metadata).is_some() {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        let (checksum, value) = bytes.split_at_checked(CHECKSUM_LEN)?;
        (Sha256::digest(value).as_slice() == checksum).then(|| value.to_vec())
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let found = self.read(&self.path(key));
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found.map(Cow::Owned)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let path = self.path(key);
        // No fsync: a torn entry fails its checksum and is compiled again.
        let checksum = Sha256::digest(&value);
        match write_atomically(&path, &[&checksum, &value], false) {
            Ok(()) => true,
            Err(error) => {
                tracing::debug!(path = %path.display(), "cannot write a function cache entry: {error}");
                false
            }
        }
    }
}

/// Removes every entry when together they exceed `max_bytes`, and any temporary file left behind.
fn prune(dir: &Path, max_bytes: u64) -> std::io::Result<()> {
    let mut total = 0u64;
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|extension| extension == "tmp") {
            let _ = std::fs::remove_file(&path);
            continue;
        }
        total = total.saturating_add(entry.metadata().map(|m| m.len()).unwrap_or(0));
        entries.push(path);
    }
    if total > max_bytes {
        tracing::info!(folder = %dir.display(), bytes = total, "emptying the function compile cache");
        for path in entries {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn cache() -> (tempfile::TempDir, FunctionCache) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let cache = FunctionCache::new(dir.path()).unwrap();
        (dir, cache)
    }

    #[test]
    fn a_value_comes_back_under_its_key_and_is_counted() {
        let (_dir, cache) = cache();
        assert!(cache.get(b"key").is_none());
        assert!(cache.insert(b"key", b"compiled".to_vec()));
        assert_eq!(cache.get(b"key").as_deref(), Some(&b"compiled"[..]));
        assert!(cache.get(b"other").is_none());
        assert_eq!(cache.stats(), FunctionCacheStats { hits: 1, misses: 2 });
    }

    #[test]
    fn a_torn_or_foreign_entry_is_never_read() {
        let (_dir, cache) = cache();
        assert!(cache.insert(b"torn", b"compiled code".to_vec()));
        let path = cache.path(b"torn");
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        assert!(
            cache.get(b"torn").is_none(),
            "a cut entry fails its checksum"
        );

        assert!(cache.insert(b"open", b"compiled".to_vec()));
        let path = cache.path(b"open");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(
            cache.get(b"open").is_none(),
            "an entry others may write is not trusted"
        );
    }

    #[test]
    fn a_folder_past_its_size_is_emptied_at_start() {
        let (dir, cache) = cache();
        assert!(cache.insert(b"one", vec![7; 64]));
        let folder = dir.path().join("functions");
        std::fs::write(folder.join("left.1.tmp"), b"half").unwrap();
        prune(&folder, 1 << 20).unwrap();
        assert_eq!(
            std::fs::read_dir(&folder).unwrap().count(),
            1,
            "the temporary file is gone"
        );
        assert!(
            cache.get(b"one").is_some(),
            "below the cap nothing else goes"
        );
        prune(&folder, 64).unwrap();
        assert!(cache.get(b"one").is_none(), "past the cap every entry goes");
    }

    #[test]
    fn a_folder_others_may_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let functions = dir.path().join("functions");
        std::fs::create_dir(&functions).unwrap();
        std::fs::set_permissions(&functions, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            FunctionCache::new(dir.path()),
            Err(CacheError::Unsafe { .. })
        ));
    }
}
