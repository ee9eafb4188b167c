//! Every WASI call that can wait, bounded by the wall-clock budget of the call in progress.
//!
//! The epoch deadline behind `timeout_ms` only interrupts wasm code: a guest blocked inside a host
//! call (`std::thread::sleep` is `wasi:io/poll` on a monotonic-clock pollable) would hold its
//! worker thread for as long as it asked. wasmtime-wasi's synchronous p2 bindings wait on a private
//! runtime with no deadline, so this module replaces, in the one linker, each function of those
//! bindings that can wait: `poll`, `pollable.block` and the `blocking-*` stream methods. Each one
//! runs the same asynchronous implementation under the store's [`WaitDeadline`] and, past it,
//! fails the call with [`WaitExpired`] (classified as `plugin.timeout`), so the instance is dropped
//! and the worker is free again.
//!
//! Nothing else in the locked-down context can wait: stdin is closed, stdout and stderr are always
//! ready, there are no preopened folders, and sockets may neither bind nor connect. This module must
//! never wait without the deadline, and never be bypassed by a function left unreplaced: the unit
//! test lists the replaced names against the WASI version the linker provides.

use std::future::Future;
use std::time::{Duration, Instant};

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::io::{poll as async_poll, streams as async_streams};
use wasmtime_wasi::p2::bindings::sync::io::streams::{
    Host as SyncStreams, StreamError as WitStreamError,
};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, DynPollable, StreamResult};
use wasmtime_wasi::runtime::in_tokio;

use super::host_impl::PluginState;
use super::limits::WaitExpired;

/// The WASI version whose interfaces wasmtime-wasi links; guests importing any 0.2.x resolve to it.
pub const WASI_VERSION: &str = "0.2.12";

/// The functions replaced here, per interface (without the version).
#[cfg(test)]
const REPLACED: &[(&str, &[&str])] = &[
    ("wasi:io/poll", &["poll", "[method]pollable.block"]),
    (
        "wasi:io/streams",
        &[
            "[method]input-stream.blocking-read",
            "[method]input-stream.blocking-skip",
            "[method]output-stream.blocking-write-and-flush",
            "[method]output-stream.blocking-write-zeroes-and-flush",
            "[method]output-stream.blocking-flush",
            "[method]output-stream.blocking-splice",
        ],
    ),
];

/// When the call in progress must stop waiting in host calls; `None` means no wall-clock bound
/// (`timeout_ms = 0`).
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitDeadline {
    at: Option<(Instant, u64)>,
}

impl WaitDeadline {
    /// A deadline `budget_ms` from now; 0 is "none".
    pub fn after_ms(budget_ms: u64) -> Self {
        if budget_ms == 0 {
            return Self::default();
        }
        Self {
            at: Instant::now()
                .checked_add(Duration::from_millis(budget_ms))
                .map(|at| (at, budget_ms)),
        }
    }

    /// Runs `future` on wasmtime-wasi's runtime until it completes or the deadline passes.
    fn run<F: Future>(self, future: F) -> wasmtime::Result<F::Output> {
        in_tokio(async move {
            match self.at {
                None => Ok(future.await),
                Some((at, budget_ms)) => tokio::time::timeout_at(at.into(), future)
                    .await
                    .map_err(|_| wasmtime::Error::new(WaitExpired { budget_ms })),
            }
        })
    }
}

/// The state a bounded wait needs: the resource table and the deadline.
fn parts<'a>(
    store: &'a mut StoreContextMut<'_, PluginState>,
) -> (&'a mut ResourceTable, WaitDeadline) {
    store.data_mut().waits()
}

/// A stream result as the WIT signature returns it: a trap stays a trap.
fn lower<T>(
    table: &mut ResourceTable,
    result: StreamResult<T>,
) -> wasmtime::Result<Result<T, WitStreamError>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => Ok(Err(SyncStreams::convert_stream_error(table, error)?)),
    }
}

/// Replaces every waiting WASI function in `linker` (which already holds wasmtime-wasi's sync p2
/// functions) by its bounded version.
///
/// # Errors
/// When the linker does not hold the interfaces (a wasmtime-wasi upgrade changed their version).
pub fn bound_waits(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let result = replace(linker);
    linker.allow_shadowing(false);
    result
}

fn replace(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    let mut poll = linker.instance(&format!("wasi:io/poll@{WASI_VERSION}"))?;
    poll.func_wrap(
        "poll",
        |mut store, (pollables,): (Vec<Resource<DynPollable>>,)| {
            let (table, deadline) = parts(&mut store);
            let ready = deadline.run(async_poll::Host::poll(table, pollables))??;
            Ok((ready,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut store, (pollable,): (Resource<DynPollable>,)| {
            let (table, deadline) = parts(&mut store);
            deadline.run(async_poll::HostPollable::block(table, pollable))??;
            Ok(())
        },
    )?;

    let mut streams = linker.instance(&format!("wasi:io/streams@{WASI_VERSION}"))?;
    streams.func_wrap(
        "[method]input-stream.blocking-read",
        |mut store, (stream, len): (Resource<DynInputStream>, u64)| {
            let (table, deadline) = parts(&mut store);
            let result = deadline.run(async_streams::HostInputStream::blocking_read(
                table, stream, len,
            ))?;
            Ok((lower(table, result)?,))
        },
    )?;
    streams.func_wrap(
        "[method]input-stream.blocking-skip",
        |mut store, (stream, len): (Resource<DynInputStream>, u64)| {
            let (table, deadline) = parts(&mut store);
            let result = deadline.run(async_streams::HostInputStream::blocking_skip(
                table, stream, len,
            ))?;
            Ok((lower(table, result)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-and-flush",
        |mut store, (stream, bytes): (Resource<DynOutputStream>, Vec<u8>)| {
            let (table, deadline) = parts(&mut store);
            let result = deadline.run(
                async_streams::HostOutputStream::blocking_write_and_flush(table, stream, bytes),
            )?;
            Ok((lower(table, result)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-write-zeroes-and-flush",
        |mut store, (stream, len): (Resource<DynOutputStream>, u64)| {
            let (table, deadline) = parts(&mut store);
            let result = deadline.run(
                async_streams::HostOutputStream::blocking_write_zeroes_and_flush(
                    table, stream, len,
                ),
            )?;
            Ok((lower(table, result)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-flush",
        |mut store, (stream,): (Resource<DynOutputStream>,)| {
            let (table, deadline) = parts(&mut store);
            let result = deadline.run(async_streams::HostOutputStream::blocking_flush(
                table, stream,
            ))?;
            Ok((lower(table, result)?,))
        },
    )?;
    streams.func_wrap(
        "[method]output-stream.blocking-splice",
        |mut store, (dst, src, len): (Resource<DynOutputStream>, Resource<DynInputStream>, u64)| {
            let (table, deadline) = parts(&mut store);
            let result = deadline.run(async_streams::HostOutputStream::blocking_splice(
                table, dst, src, len,
            ))?;
            Ok((lower(table, result)?,))
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_deadline_ends_a_wait_that_would_never_end() {
        let deadline = WaitDeadline::after_ms(20);
        let result = deadline.run(std::future::pending::<()>());
        let error = result
            .err()
            .map(|error| error.downcast_ref::<WaitExpired>().is_some());
        assert_eq!(error, Some(true));
    }

    #[test]
    fn no_deadline_waits_for_completion() {
        let result = WaitDeadline::after_ms(0).run(async { 7 });
        assert_eq!(result.ok(), Some(7));
    }

    #[test]
    fn the_replaced_functions_exist_in_the_linked_wasi() {
        // Replacing a name that wasmtime-wasi does not define would add a new import instead of
        // bounding the real one; with shadowing off, redefining each must fail as "defined twice".
        let engine = wasmtime::Engine::default();
        let mut linker = Linker::<PluginState>::new(&engine);
        assert!(wasmtime_wasi::p2::add_to_linker_sync(&mut linker).is_ok());
        for (interface, functions) in REPLACED {
            let mut instance = linker
                .instance(&format!("{interface}@{WASI_VERSION}"))
                .unwrap_or_else(|error| panic!("{interface}: {error}"));
            for function in *functions {
                let redefined = instance.func_wrap(function, |_store, (): ()| Ok(()));
                assert!(redefined.is_err(), "{interface}#{function} is not linked");
            }
        }
        assert!(bound_waits(&mut linker).is_ok());
    }
}
