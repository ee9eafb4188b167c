//! The one wasmtime engine: its `Config`, its instance pool, and the epoch ticker behind `timeout_ms`.
//!
//! This is the only place that builds a `wasmtime::Config`. The engine is shared by every plugin and
//! every version; what it compiles depends on these settings, so the precompiled cache keys on its
//! compatibility hash. The ticker must never keep the engine alive: it holds a weak handle and stops
//! when the last strong one is gone.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::Error;
use super::limits::BACKTRACE_FRAMES;
use super::loader::function_cache::FunctionCache;
use crate::config::RuntimeSection;

/// One epoch tick: the granularity of `timeout_ms`.
pub const EPOCH_TICK_MS: u64 = 10;

/// Builds the engine for `runtime`, compiling through `functions`, and starts its epoch ticker.
///
/// # Errors
/// [`Error::Engine`] when wasmtime rejects the configuration (e.g. the host cannot reserve the pool).
pub fn build(runtime: &RuntimeSection, functions: Arc<FunctionCache>) -> Result<Engine, Error> {
    let instances = runtime.max_instances;
    let mut pool = PoolingAllocationConfig::new();
    // Each component may hold a bounded number of memories, tables and core instances (a Rust
    // wasip2 component: the program plus adapter shims); wasmtime refuses a component past them
    // when it is compiled or loaded from the cache, so it never reaches the pool. The totals are
    // the per-component bounds times the component instances, so no component can take the slots
    // that other plugins' instances need: only component instance slots run out.
    let memories = runtime.max_memories_per_component;
    let tables = runtime.max_tables_per_component;
    let core_instances = runtime.max_core_instances_per_component;
    pool.total_component_instances(instances)
        .max_memories_per_component(memories)
        .max_tables_per_component(tables)
        .max_core_instances_per_component(core_instances)
        .total_core_instances(instances.saturating_mul(core_instances))
        .total_memories(instances.saturating_mul(memories))
        .total_tables(instances.saturating_mul(tables))
        .total_stacks(instances)
        .max_memory_size(runtime.max_memory_mb as usize * 1024 * 1024)
        // Reuse a freed slot before touching a never-used one, so the slots ever used stay the
        // most ever in use at once: each hot swap brings a new module whose instances would
        // otherwise take fresh slots (each keeping its resident pages) until 100 sat idle.
        .max_unused_warm_slots(0)
        .linear_memory_keep_resident(2 * 1024 * 1024)
        .table_keep_resident(512 * 1024);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        // Synchronous calls only: with concurrency support every call pays for async machinery
        // (measured about 4x slower for a nop call).
        .concurrency_support(false)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(runtime.max_wasm_stack_kb as usize * 1024)
        // Deep enough to tell a runaway recursion from an ordinary fault (see `limits::classify`).
        .wasm_backtrace_max_frames(NonZeroUsize::new(BACKTRACE_FRAMES))
        .memory_init_cow(true)
        .parallel_compilation(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
        .enable_incremental_compilation(functions)
        .map_err(|error| Error::Engine(format!("{error:#}")))?;
    let engine = Engine::new(&config).map_err(|error| Error::Engine(format!("{error:#}")))?;
    start_ticker(&engine)?;
    Ok(engine)
}

/// Ticks the epoch every [`EPOCH_TICK_MS`] until the engine is dropped.
fn start_ticker(engine: &Engine) -> Result<(), Error> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(Duration::from_millis(EPOCH_TICK_MS));
            }
        })
        .map(|_| ())
        .map_err(|error| Error::Engine(format!("cannot start the epoch ticker: {error}")))
}

/// Epoch ticks for a wall-clock budget; one extra tick because the first may be almost over.
pub fn ticks_for(timeout_ms: u64) -> u64 {
    timeout_ms.div_ceil(EPOCH_TICK_MS).saturating_add(1)
}
