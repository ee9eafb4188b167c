//! Per-call limits and the one place where a failed call is classified into an [`ErrorCode`].
//!
//! Before each call the budget is armed on the store: fuel (instructions) and an epoch deadline (wall
//! clock), both scaled by the number of recipients for a client batch. Memory is capped by
//! [`MemoryLimiter`], which traps at the cap with a typed error so the classification is exact.
//! Outputs are checked here too: size first, then "exactly one MessagePack value".

use wasmtime::{ResourceLimiter, Store, Trap, WasmBacktrace};

use super::engine::ticks_for;
use super::error::{ErrorCode, PluginError};
use super::host_impl::PluginState;
use super::msgpack_check;
use super::waits::WaitDeadline;
use crate::config::StageLimits;

/// Most table elements an instance may grow to.
const MAX_TABLE_ELEMENTS: usize = 100_000;
/// The deadline used when `timeout_ms = 0` (unlimited): far away but safe to add to the epoch.
const NO_DEADLINE_TICKS: u64 = u64::MAX / 4;

/// Caps linear memory growth of one instance; the cap can change between calls.
#[derive(Debug)]
pub struct MemoryLimiter {
    cap_bytes: usize,
}

/// The trap raised when a plugin grows past its memory cap.
#[derive(Debug, thiserror::Error)]
#[error("memory growth to {desired} bytes exceeds the cap of {cap} bytes")]
pub struct MemoryLimitExceeded {
    desired: usize,
    cap: usize,
}

impl MemoryLimiter {
    /// A limiter with a cap of `memory_mb` MiB.
    pub fn new(memory_mb: u32) -> Self {
        Self {
            cap_bytes: memory_mb as usize * 1024 * 1024,
        }
    }

    /// Applies a new cap.
    pub fn set_cap(&mut self, memory_mb: u32) {
        self.cap_bytes = memory_mb as usize * 1024 * 1024;
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap_bytes {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                desired,
                cap: self.cap_bytes,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
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
pub fn arm(
    store: &mut Store<PluginState>,
    limits: &StageLimits,
    units: u64,
) -> Result<(), PluginError> {
    let fuel = match limits.fuel {
        0 => u64::MAX,
        fuel => fuel.saturating_mul(units),
    };
    store
        .set_fuel(fuel)
        .map_err(|error| PluginError::new(ErrorCode::Unavailable, format!("{error:#}")))?;
    let budget = budget_ms(limits, units);
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

/// Accepts an output only if it fits `max_output_kb` and is exactly one MessagePack value.
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
    if !msgpack_check::is_single_value(output) {
        return Err(PluginError::new(
            ErrorCode::MalformedOutput,
            "output is not exactly one MessagePack value",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Stage;

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
