//! Per-call limits and the one place where a failed call is classified into an [`ErrorCode`].
//!
//! Before each call the budget is armed on the store: fuel (instructions) and an epoch deadline (wall
//! clock), both scaled by the number of recipients for a client batch. Memory is capped per
//! instance by [`MemoryLimiter`]: the sum of all the linear memories of the instance's store (a
//! component may hold many), so `memory_mb` is what one instance can take however it is built; it
//! traps at the cap with a typed error so the classification is exact.
//! Outputs are checked here too, on the worker: size first, then "exactly one MessagePack value,
//! nested at most `max_output_depth` deep".

use wasmtime::{ResourceLimiter, Store, Trap, WasmBacktrace};

use super::engine::ticks_for;
use super::error::{ErrorCode, PluginError};
use super::host_impl::PluginState;
use super::msgpack_check;
use super::waits::WaitDeadline;
use crate::config::StageLimits;

/// What a fresh instance's first call may spend beyond its stage's budget: the plugin's start-up,
/// measured at load as the cost of the first instance's first call (`metadata()`), within the
/// `[runtime]` caps. A Rust component's is a few ten thousand instructions; one built from
/// JavaScript runs its engine's lazy start-up (over a million) on the first call into it, which a
/// client stage's per-recipient budget would not cover. The caps keep a hostile plugin whose
/// `metadata()` is slow on purpose from buying every fresh instance a long first call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Startup {
    /// Extra fuel.
    pub fuel: u64,
    /// Extra wall clock, in ms.
    pub ms: u64,
}

impl Startup {
    /// The allowance for a start-up that spent `fuel` in `elapsed`: all of the fuel, and twice the
    /// time plus one epoch tick (time is noisier than fuel).
    pub fn measured(fuel: u64, elapsed: std::time::Duration) -> Self {
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        Self {
            fuel,
            ms: ms
                .saturating_mul(2)
                .saturating_add(super::engine::EPOCH_TICK_MS),
        }
    }

    /// Each part at most `max`'s.
    pub fn capped(self, max: Self) -> Self {
        Self {
            fuel: self.fuel.min(max.fuel),
            ms: self.ms.min(max.ms),
        }
    }
}

/// Most table elements an instance may hold, summed over all its tables.
const MAX_TABLE_ELEMENTS: usize = 100_000;
/// The deadline used when `timeout_ms = 0` (unlimited): far away but safe to add to the epoch.
const NO_DEADLINE_TICKS: u64 = u64::MAX / 4;

/// Caps what one instance's store holds: the bytes of all its linear memories together, and the
/// elements of all its tables together. Wasmtime asks before creating each memory and table
/// (`current` 0) and before each growth, and nothing in a store ever shrinks, so the running sums
/// are exact. A growth that fails after being allowed still counts, which only errs on the safe
/// side. The memory cap can change between calls.
#[derive(Debug)]
pub struct MemoryLimiter {
    cap_bytes: usize,
    memory_bytes: usize,
    table_elements: usize,
}

/// The trap raised when a plugin's memories would grow past its memory cap.
#[derive(Debug, thiserror::Error)]
#[error("the instance's memories would take {total} bytes, over the cap of {cap} bytes")]
pub struct MemoryLimitExceeded {
    total: usize,
    cap: usize,
}

impl MemoryLimiter {
    /// A limiter with a cap of `memory_mb` MiB.
    pub fn new(memory_mb: u32) -> Self {
        Self {
            cap_bytes: memory_mb as usize * 1024 * 1024,
            memory_bytes: 0,
            table_elements: 0,
        }
    }

    /// Applies a new cap.
    pub fn set_cap(&mut self, memory_mb: u32) {
        self.cap_bytes = memory_mb as usize * 1024 * 1024;
    }

    /// Bytes held by all the instance's memories.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    /// Whether an instance that held `baseline` bytes after its first call has since used up half
    /// of the room it then had under the cap: memory never shrinks, so such an instance (a leak,
    /// or a garbage-collected engine whose heap only grows) would sooner or later fail a call.
    pub fn worn(&self, baseline: usize) -> bool {
        let room = self.cap_bytes.saturating_sub(baseline);
        self.memory_bytes > baseline.saturating_add(room / 2)
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .memory_bytes
            .saturating_add(desired.saturating_sub(current));
        if total > self.cap_bytes {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                total,
                cap: self.cap_bytes,
            }));
        }
        self.memory_bytes = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .table_elements
            .saturating_add(desired.saturating_sub(current));
        if total > MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        self.table_elements = total;
        Ok(true)
    }
}

/// The error a WASI wait returns when it outlasts its call's wall-clock budget (see `waits`).
#[derive(Debug, thiserror::Error)]
#[error(
    "a host wait (WASI poll, sleep or blocking stream) outlasted the call's {budget_ms} ms budget"
)]
pub struct WaitExpired {
    /// The budget that ran out.
    pub budget_ms: u64,
}

/// The wall-clock budget of a call covering `units` recipients, in ms; 0 is unlimited.
pub fn budget_ms(limits: &StageLimits, units: u64) -> u64 {
    limits.timeout_ms.saturating_mul(units)
}

/// Arms fuel and the wall-clock deadline for a call covering `units` recipients (1 for the server):
/// the epoch deadline for wasm code and the [`WaitDeadline`] for host waits.
///
/// `startup` is added once on top, for a fresh instance's first call.
pub fn arm(
    store: &mut Store<PluginState>,
    limits: &StageLimits,
    units: u64,
    startup: Startup,
) -> Result<(), PluginError> {
    let fuel = match limits.fuel {
        0 => u64::MAX,
        fuel => fuel.saturating_mul(units).saturating_add(startup.fuel),
    };
    store
        .set_fuel(fuel)
        .map_err(|error| PluginError::new(ErrorCode::Unavailable, format!("{error:#}")))?;
    let budget = match budget_ms(limits, units) {
        0 => 0,
        budget => budget.saturating_add(startup.ms),
    };
    let ticks = match budget {
        0 => NO_DEADLINE_TICKS,
        budget => ticks_for(budget).min(NO_DEADLINE_TICKS),
    };
    store.set_epoch_deadline(ticks);
    store.data_mut().deadline = WaitDeadline::after_ms(budget);
    Ok(())
}

/// Wasm frames kept in a trap's backtrace (the engine's `wasm_backtrace_max_frames`).
pub const BACKTRACE_FRAMES: usize = 256;
/// An out-of-bounds access this many frames deep is taken for a shadow-stack overflow.
const SHADOW_STACK_OVERFLOW_DEPTH: usize = 200;
/// Longest failure detail kept for the log.
const MAX_DETAIL_BYTES: usize = 1024;

/// Classifies an error returned by a wasmtime call.
///
/// Rust (and C) guests keep large locals on a "shadow stack" in linear memory, placed first in
/// memory and growing down; overflowing it wraps below address 0 and faults as an out-of-bounds
/// access, not as a native stack overflow. Such a fault deep in a recursion is reported as
/// [`ErrorCode::StackOverflow`]; a shallow one stays [`ErrorCode::Trap`].
pub fn classify(error: &wasmtime::Error) -> PluginError {
    let depth = error
        .downcast_ref::<WasmBacktrace>()
        .map_or(0, |backtrace| backtrace.frames().len());
    let trap = error.downcast_ref::<Trap>().copied();
    if let Some(exceeded) = error.downcast_ref::<MemoryLimitExceeded>() {
        return PluginError::new(ErrorCode::MemoryLimit, exceeded.to_string());
    }
    if let Some(expired) = error.downcast_ref::<WaitExpired>() {
        return PluginError::new(ErrorCode::Timeout, expired.to_string());
    }
    let code = match trap {
        Some(Trap::OutOfFuel) => ErrorCode::OutOfFuel,
        Some(Trap::Interrupt) => ErrorCode::Timeout,
        Some(Trap::StackOverflow) => ErrorCode::StackOverflow,
        Some(Trap::MemoryOutOfBounds) if depth >= SHADOW_STACK_OVERFLOW_DEPTH => {
            ErrorCode::StackOverflow
        }
        _ => ErrorCode::Trap,
    };
    let detail = match trap {
        Some(trap) => format!("{trap} ({depth} wasm frames deep)"),
        None => {
            let mut text = format!("{error:#}");
            let mut end = text.len().min(MAX_DETAIL_BYTES);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text
        }
    };
    PluginError::new(code, detail)
}

/// Rejects an input larger than `max_input_kb`.
pub fn check_input(input: &[u8], limits: &StageLimits) -> Result<(), PluginError> {
    if input.len() > limits.max_input_bytes() {
        return Err(PluginError::new(
            ErrorCode::InputTooLarge,
            format!(
                "input of {} bytes exceeds {} KiB",
                input.len(),
                limits.max_input_kb
            ),
        ));
    }
    Ok(())
}

/// Accepts an output only if it fits `max_output_kb` and is exactly one MessagePack value nested at
/// most `max_output_depth` deep.
pub fn check_output(output: &[u8], limits: &StageLimits) -> Result<(), PluginError> {
    if output.len() > limits.max_output_bytes() {
        return Err(PluginError::new(
            ErrorCode::OutputTooLarge,
            format!(
                "output of {} bytes exceeds {} KiB",
                output.len(),
                limits.max_output_kb
            ),
        ));
    }
    match msgpack_check::check(output, limits.max_output_depth as usize) {
        msgpack_check::Shape::Valid => Ok(()),
        msgpack_check::Shape::Malformed => Err(PluginError::new(
            ErrorCode::MalformedOutput,
            "output is not exactly one MessagePack value",
        )),
        msgpack_check::Shape::TooDeep => Err(PluginError::new(
            ErrorCode::OutputTooDeep,
            format!(
                "output nests deeper than max_output_depth ({})",
                limits.max_output_depth
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Stage;

    #[test]
    fn a_start_up_allowance_is_what_was_measured_within_the_caps() {
        let measured = Startup::measured(1_500_000, std::time::Duration::from_millis(7));
        assert_eq!(
            measured,
            Startup {
                fuel: 1_500_000,
                ms: 24
            }
        );
        let caps = Startup {
            fuel: 5_000_000,
            ms: 100,
        };
        assert_eq!(measured.capped(caps), measured);
        // A metadata() slow on purpose buys a fresh instance no more than the caps.
        let hostile = Startup::measured(199_000_000, std::time::Duration::from_millis(4_900));
        assert_eq!(hostile.capped(caps), caps);
    }

    #[test]
    fn outputs_must_be_one_msgpack_value_within_size() {
        let limits = StageLimits {
            max_output_kb: 1,
            ..StageLimits::builtin(Stage::Server)
        };
        assert!(check_output(&[0x2a], &limits).is_ok());
        assert!(check_output(&[0x81, 0xa1, b'a', 0x01], &limits).is_ok());
        let malformed = |bytes: &[u8]| check_output(bytes, &limits).map_err(|error| error.code);
        assert_eq!(malformed(&[]), Err(ErrorCode::MalformedOutput));
        assert_eq!(malformed(&[0x2a, 0x2a]), Err(ErrorCode::MalformedOutput));
        assert_eq!(malformed(&[0x92, 0x01]), Err(ErrorCode::MalformedOutput));
        assert_eq!(malformed(&[0xc1]), Err(ErrorCode::MalformedOutput));
        let big = rmp_serde::to_vec(&vec![0u8; 2000]).unwrap_or_default();
        assert_eq!(malformed(&big), Err(ErrorCode::OutputTooLarge));
        let mut deep = vec![0x91; limits.max_output_depth as usize];
        deep.push(0xc0);
        assert!(check_output(&deep, &limits).is_ok());
        deep.insert(0, 0x91);
        assert_eq!(malformed(&deep), Err(ErrorCode::OutputTooDeep));
    }

    #[test]
    fn the_memory_cap_is_the_sum_over_all_memories_of_an_instance() {
        const MIB: usize = 1024 * 1024;
        let mut limiter = MemoryLimiter::new(32);
        // Three memories created at 10 MiB each, then one grows: the fourth MiB over 32 fails.
        for _ in 0..3 {
            assert!(limiter.memory_growing(0, 10 * MIB, None).unwrap());
        }
        assert!(limiter.memory_growing(10 * MIB, 12 * MIB, None).unwrap());
        assert_eq!(limiter.memory_bytes(), 32 * MIB);
        let error = limiter.memory_growing(0, MIB, None).unwrap_err();
        assert!(error.downcast_ref::<MemoryLimitExceeded>().is_some());
        assert_eq!(classify(&error).code, ErrorCode::MemoryLimit);
        assert_eq!(
            limiter.memory_bytes(),
            32 * MIB,
            "a refused growth takes nothing"
        );
        // Tables are summed the same way.
        assert!(
            limiter
                .table_growing(0, MAX_TABLE_ELEMENTS / 2, None)
                .unwrap()
        );
        assert!(
            !limiter
                .table_growing(0, MAX_TABLE_ELEMENTS / 2 + 1, None)
                .unwrap()
        );
    }

    #[test]
    fn input_limit_counts_bytes() {
        let limits = StageLimits {
            max_input_kb: 1,
            ..StageLimits::builtin(Stage::Server)
        };
        assert!(check_input(&[0; 1024], &limits).is_ok());
        assert_eq!(
            check_input(&[0; 1025], &limits).map_err(|error| error.code),
            Err(ErrorCode::InputTooLarge)
        );
    }
}
