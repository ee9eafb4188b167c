//! The precompiled-component cache: `<sha256 of the .wasm>-<engine compatibility hash>.cwasm` files.
//!
//! The engine's compatibility hash covers the wasmtime version and every setting that changes the
//! generated code (fuel, epochs, stack, target), so a restart or reload with an unchanged file and
//! engine loads the cached code instead of recompiling. Loaded `.cwasm` files are memory-mapped, so this
//! module must never rewrite one: it writes a temporary file and renames it into place, and a file
//! that already exists is only ever read.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::Engine;
use wasmtime::component::Component;

/// The compile cache of one engine.
#[derive(Debug)]
pub struct CompileCache {
    dir: PathBuf,
    engine_tag: String,
    compiles: AtomicU64,
    hits: AtomicU64,
}

/// Counters of cache use since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files compiled with cranelift.
    pub compiles: u64,
    /// Files loaded from a cached `.cwasm`.
    pub hits: u64,
}

impl CompileCache {
    /// A cache in `dir` (created when missing) for `engine`.
    ///
    /// # Errors
    /// When the folder cannot be created.
    pub fn new(dir: &Path, engine: &Engine) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_tag = format!("{:016x}", hasher.finish());
        Ok(Self {
            dir: dir.to_owned(),
            engine_tag,
            compiles: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            compiles: self.compiles.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
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
        let path = self.dir.join(format!("{hash}-{}.cwasm", self.engine_tag));
        if path.is_file() {
            match load(engine, &path) {
                Ok(component) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(component);
                }
                // A damaged or foreign file: fall through and replace it by rename (never in place).
                Err(error) => {
                    tracing::warn!(path = %path.display(), "ignoring unusable cached component: {error:#}")
                }
            }
        }
        let compiled = engine
            .precompile_component(bytes)
            .map_err(|error| format!("{error:#}"))?;
        self.compiles.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = write_atomically(&path, &compiled) {
            tracing::warn!(path = %path.display(), "cannot write the compile cache: {error}");
            return deserialize_bytes(engine, &compiled).map_err(|error| format!("{error:#}"));
        }
        load(engine, &path).map_err(|error| format!("{error:#}"))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!("{}.{unique}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path).inspect_err(|_| {
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
