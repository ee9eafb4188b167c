//! The plugin runtime through real components: example handlers, hostile fixtures, hot reload.
#![allow(clippy::unwrap_used)]

mod examples;
mod fail_closed;
mod folder;
mod hostile;
mod join;
mod limits;
mod loading;
mod reload;
mod support;
mod swaps;
mod types;
mod typescript;
mod waits;
