//! The `[runtime]` and `[store]` sections: engine-wide settings of the plugin runtime.
//!
//! These are read once when the runtime starts (the engine's pool and worker threads are sized from
//! them); changing them needs a restart. Per-plugin limits live in `[plugins]` and apply live.

use std::path::PathBuf;

use serde::Deserialize;

use super::Error;

/// `[runtime]`: engine, workers, cache and reload settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSection {
    /// Plugin worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Component instances the engine's pool can hold at once (warm + in-flight).
    pub max_instances: u32,
    /// Ceiling for any plugin's `memory_mb`; sizes the engine's memory slots.
    pub max_memory_mb: u32,
    /// Native stack that wasm frames may use, in KiB (deep recursion traps beyond it).
    pub max_wasm_stack_kb: u32,
    /// Most linear memories one component may hold (each takes a pool slot); a file with more is
    /// refused at load. The pool holds `max_instances` times this many memories.
    pub max_memories_per_component: u32,
    /// Most tables one component may hold; the pool holds `max_instances` times this many.
    pub max_tables_per_component: u32,
    /// Most core module instances one component may hold; the pool holds `max_instances` times
    /// this many.
    pub max_core_instances_per_component: u32,
    /// Where precompiled components are cached.
    pub cache_dir: PathBuf,
    /// Quiet period after a file event before the plugins folder is rescanned.
    pub debounce_ms: u64,
    /// Full rescan period (a safety net for missed events); 0 disables it.
    pub rescan_interval_s: u64,
    /// Whether deleting a file unpublishes its stage (otherwise the last good version stays).
    pub unpublish_on_delete: bool,
    /// Wall-clock budget of loading one file's instance and `metadata()`, in ms (never unlimited).
    pub load_timeout_ms: u64,
    /// Fuel of that first `metadata()` call. What it spends is the plugin's start-up cost, which
    /// every fresh instance's first call may spend on top of its stage's budget, up to
    /// `max_startup_fuel` and `max_startup_ms`.
    pub load_fuel: u64,
    /// The most fuel a fresh instance's first call gets on top of its stage's budget.
    pub max_startup_fuel: u64,
    /// The most wall clock, in ms, a fresh instance's first call gets on top of its stage's budget.
    pub max_startup_ms: u64,
    /// Largest plugin file the scan reads, in KiB; bigger files are refused unread.
    pub max_plugin_file_kb: u64,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        Self {
            workers: 0,
            max_instances: 1000,
            max_memory_mb: 256,
            max_wasm_stack_kb: 512,
            max_memories_per_component: 2,
            max_tables_per_component: 4,
            max_core_instances_per_component: 8,
            cache_dir: PathBuf::from(".synchost/cache"),
            debounce_ms: 150,
            rescan_interval_s: 30,
            unpublish_on_delete: true,
            load_timeout_ms: 5_000,
            load_fuel: 200_000_000,
            max_startup_fuel: 5_000_000,
            max_startup_ms: 100,
            max_plugin_file_kb: 32 * 1024,
        }
    }
}

impl RuntimeSection {
    /// The number of worker threads to start.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        }
    }

    pub(super) fn validate(&self) -> Result<(), Error> {
        let invalid = |key: &str, reason: &str| Error::Invalid {
            key: format!("runtime.{key}"),
            reason: reason.into(),
        };
        if self.max_instances < 8 {
            return Err(invalid("max_instances", "must be at least 8"));
        }
        if !(1..=4096).contains(&self.max_memory_mb) {
            return Err(invalid("max_memory_mb", "must be between 1 and 4096"));
        }
        if !(64..=65_536).contains(&self.max_wasm_stack_kb) {
            return Err(invalid("max_wasm_stack_kb", "must be between 64 and 65536"));
        }
        for (key, value, most) in [
            (
                "max_memories_per_component",
                self.max_memories_per_component,
                16,
            ),
            (
                "max_tables_per_component",
                self.max_tables_per_component,
                64,
            ),
            (
                "max_core_instances_per_component",
                self.max_core_instances_per_component,
                64,
            ),
        ] {
            if !(1..=most).contains(&value) {
                return Err(Error::Invalid {
                    key: format!("runtime.{key}"),
                    reason: format!("must be between 1 and {most}"),
                });
            }
        }
        if self.workers > 256 {
            return Err(invalid("workers", "must be at most 256"));
        }
        if !(1..=600_000).contains(&self.load_timeout_ms) {
            return Err(invalid("load_timeout_ms", "must be between 1 and 600000"));
        }
        if self.max_startup_ms > 10_000 {
            return Err(invalid("max_startup_ms", "must be at most 10000"));
        }
        if !(1..=1_000_000_000_000).contains(&self.load_fuel) {
            return Err(invalid("load_fuel", "must be between 1 and 1000000000000"));
        }
        if !(1..=1024 * 1024).contains(&self.max_plugin_file_kb) {
            return Err(invalid(
                "max_plugin_file_kb",
                "must be between 1 and 1048576",
            ));
        }
        Ok(())
    }
}

/// `[store]`: the embedded key-value store.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// The database file (created when missing).
    pub path: PathBuf,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            path: PathBuf::from(".synchost/kv.redb"),
        }
    }
}
