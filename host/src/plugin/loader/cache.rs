//! The precompiled-component cache: `<sha256 of the .wasm>-<engine compatibility hash>.cwasm` files.
//!
//! The engine's compatibility hash covers the wasmtime version and every setting that changes the
//! generated code (fuel, epochs, stack, target), so a restart or reload with an unchanged file and
//! engine loads the cached code instead of recompiling. Loaded `.cwasm` files are memory-mapped, so this
//! module must never rewrite one: it writes a temporary file and renames it into place, and a file
//! that already exists is only ever read.
//!
//! A `.cwasm` is native code the host maps and runs, so whoever can write the cache folder can run
//! code as the host. The folder must be writable by its owner only (it is refused at start when its
//! group or others may write it), and a cached file that anyone but its owner may write, or that
//! another user owns, is never loaded: it is compiled again and replaced by rename.
//!
//! A component the engine's pool cannot hold (more memories, tables or core instances than the
//! per-component limits) is refused the same way every time for a given engine, so the refusal is
//! remembered by content hash: an unchanged refused file is never compiled again, on a rescan, under
//! another name, or (its `.cwasm` stays valid) after a restart.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::function_cache::FunctionCache;

/// The compile cache of one engine.
#[derive(Debug)]
pub struct CompileCache {
    dir: PathBuf,
    engine_tag: String,
    functions: Arc<FunctionCache>,
    compiles: AtomicU64,
    hits: AtomicU64,
    /// Why each content hash the pool cannot hold was refused.
    refused: Mutex<HashMap<String, String>>,
}

/// The most pool refusals remembered; past it the memory starts over (a refused file is then
/// compiled once more), so a loop of ever-new refused builds cannot grow it without bound.
const MAX_REFUSALS: usize = 1024;

/// Whether a wasmtime error text says the pooling allocator cannot hold the component (its
/// per-component limits), rather than that the bytes do not compile.
pub fn is_pool_limit(detail: &str) -> bool {
    detail.contains("pooling allocator")
}

/// Counters of cache use since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files compiled with cranelift.
    pub compiles: u64,
    /// Files loaded from a cached `.cwasm`.
    pub hits: u64,
    /// Functions of compiled files copied from the per-function cache.
    pub function_hits: u64,
    /// Functions of compiled files that Cranelift compiled.
    pub function_misses: u64,
}

impl CompileCache {
    /// A cache in `dir` (created when missing) for `engine`, whose compiler uses `functions`.
    ///
    /// # Errors
    /// [`CacheError`] when the folder cannot be created, or others than its owner may write it.
    pub fn new(
        dir: &Path,
        engine: &Engine,
        functions: Arc<FunctionCache>,
    ) -> Result<Self, CacheError> {
        let io = |source| CacheError::Io {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let metadata = std::fs::metadata(dir).map_err(io)?;
        if let Some(reason) = unsafe_owner_or_mode(&metadata) {
            return Err(CacheError::Unsafe {
                path: dir.to_owned(),
                reason,
            });
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_tag = format!("{:016x}", hasher.finish());
        Ok(Self {
            dir: dir.to_owned(),
            engine_tag,
            functions,
            compiles: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            refused: Mutex::default(),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> CacheStats {
        let functions = self.functions.stats();
        CacheStats {
            compiles: self.compiles.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            function_hits: functions.hits,
            function_misses: functions.misses,
        }
    }

    /// The component for `bytes` (whose SHA-256 is `hash`): from the cache, or compiled and cached.
    ///
    /// # Errors
    /// A text saying why the bytes do not compile (or, rarely, why the cache cannot be written).
    pub fn component(
        &self,
        engine: &Engine,
        hash: &str,
        bytes: &[u8],
    ) -> Result<Component, String> {
        if let Some(detail) = self.refusal_of(hash) {
            return Err(detail);
        }
        let path = self.dir.join(format!("{hash}-{}.cwasm", self.engine_tag));
        let trusted = match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_file() => match unsafe_owner_or_mode(&metadata) {
                None => true,
                Some(reason) => {
                    tracing::warn!(path = %path.display(), "not loading a cached component: {reason}; compiling again");
                    false
                }
            },
            _ => false,
        };
        if trusted {
            match load(engine, &path) {
                Ok(component) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(component);
                }
                Err(error) => {
                    let detail = format!("{error:#}");
                    // Valid code the pool cannot hold: compiling it again would change nothing.
                    if is_pool_limit(&detail) {
                        return Err(self.remember_refusal(hash, detail));
                    }
                    // A damaged or foreign file: fall through and replace it by rename (never in place).
                    tracing::warn!(path = %path.display(), "ignoring unusable cached component: {detail}")
                }
            }
        }
        let refused = |error: wasmtime::Error| self.remember_refusal(hash, format!("{error:#}"));
        let compiled = engine.precompile_component(bytes).map_err(refused)?;
        self.compiles.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = write_atomically(&path, &[&compiled], true) {
            tracing::warn!(path = %path.display(), "cannot write the compile cache: {error}");
            return deserialize_bytes(engine, &compiled).map_err(refused);
        }
        load(engine, &path).map_err(refused)
    }

    /// The remembered pool refusal of `hash`, if any.
    fn refusal_of(&self, hash: &str) -> Option<String> {
        let refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        refused.get(hash).cloned()
    }

    /// Remembers `detail` for `hash` when it is a pool refusal; returns it either way.
    fn remember_refusal(&self, hash: &str, detail: String) -> String {
        if is_pool_limit(&detail) {
            let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
            if refused.len() >= MAX_REFUSALS {
                refused.clear();
            }
            refused.insert(hash.to_owned(), detail.clone());
        }
        detail
    }
}

/// Why the cache folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// It cannot be created or read.
    #[error("cannot use the cache folder {path}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// Others than the host's user could write native code into it.
    #[error(
        "refusing the cache folder {path}: {reason} (its .cwasm files run as native code; `chmod go-w` it)"
    )]
    Unsafe {
        /// The folder.
        path: PathBuf,
        /// Who else could write it.
        reason: String,
    },
}

/// Why a cache folder or file could be written by someone other than the user running the host.
pub(super) fn unsafe_owner_or_mode(metadata: &std::fs::Metadata) -> Option<String> {
    let mode = metadata.permissions().mode();
    if mode & 0o022 != 0 {
        return Some(format!(
            "it is writable by its group or others (mode {:o})",
            mode & 0o7777
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    #[allow(unsafe_code)]
    let user = unsafe { libc::geteuid() };
    let owner = metadata.uid();
    if owner != user && owner != 0 {
        return Some(format!(
            "it is owned by user {owner}, not by the host's user {user} or root"
        ));
    }
    None
}

/// Writes `parts` one after another to a temporary file beside `path` and renames it into place,
/// so a reader never sees half a file; `durable` syncs the bytes to disk before the rename. The
/// temporary file is removed when any step fails.
pub(super) fn write_atomically(path: &Path, parts: &[&[u8]], durable: bool) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!("{}.{unique}.tmp", std::process::id()));
    // Never group- or world-writable, whatever the umask: the caches would not trust it.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&temporary)?;
    let written = parts
        .iter()
        .try_for_each(|part| file.write_all(part))
        .and_then(|()| if durable { file.sync_all() } else { Ok(()) });
    drop(file);
    written
        .and_then(|()| std::fs::rename(&temporary, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
}

#[allow(unsafe_code)]
fn load(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the file was produced by `Engine::precompile_component` of an engine with the same
    // compatibility hash (it is in the file name, and wasmtime re-checks the header), and this cache
    // never modifies a `.cwasm` once it exists: new content always arrives under a new name by rename.
    unsafe { Component::deserialize_file(engine, path) }
}

#[allow(unsafe_code)]
fn deserialize_bytes(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `bytes` were just produced by `precompile_component` on this very engine.
    unsafe { Component::deserialize(engine, bytes) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with_mode(mode: u32) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
        let cache = dir.path().join("cache");
        std::fs::create_dir(&cache).unwrap_or_default();
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(mode)).unwrap_or_default();
        (dir, cache)
    }

    /// A function cache of its own, beside the folder under test.
    fn functions() -> (tempfile::TempDir, Arc<FunctionCache>) {
        let (dir, folder) = folder_with_mode(0o700);
        let functions = FunctionCache::new(&folder).unwrap_or_else(|error| panic!("{error}"));
        (dir, Arc::new(functions))
    }

    #[test]
    fn a_cache_folder_others_may_write_is_refused_at_start() {
        let engine = Engine::default();
        let (_functions_dir, functions) = functions();
        for mode in [0o777, 0o775, 0o1777] {
            let (_dir, cache) = folder_with_mode(mode);
            let result = CompileCache::new(&cache, &engine, functions.clone());
            assert!(
                matches!(result, Err(CacheError::Unsafe { .. })),
                "mode {mode:o}: {result:?}"
            );
        }
        let (_dir, cache) = folder_with_mode(0o755);
        assert!(CompileCache::new(&cache, &engine, functions).is_ok());
    }

    #[test]
    fn a_group_writable_cached_file_is_compiled_again_not_loaded() {
        let engine = Engine::default();
        let (_dir, cache_dir) = folder_with_mode(0o700);
        let (_functions_dir, functions) = functions();
        let cache = CompileCache::new(&cache_dir, &engine, functions)
            .unwrap_or_else(|error| panic!("cache: {error}"));
        // The smallest component: no imports, no exports.
        let bytes = b"\0asm\x0d\0\x01\0";
        let hash = "0".repeat(64);
        assert!(cache.component(&engine, &hash, bytes).is_ok());
        assert!(cache.component(&engine, &hash, bytes).is_ok());
        assert_eq!((cache.stats().compiles, cache.stats().hits), (1, 1));
        let cached = cache_dir.join(format!("{hash}-{}.cwasm", cache.engine_tag));
        let mode = std::fs::metadata(&cached).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o644));
        std::fs::set_permissions(&cached, std::fs::Permissions::from_mode(0o664))
            .unwrap_or_default();
        assert!(cache.component(&engine, &hash, bytes).is_ok());
        assert_eq!((cache.stats().compiles, cache.stats().hits), (2, 1));
    }
}
