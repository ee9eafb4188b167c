//! The plugin runtime through real components: example handlers, hostile fixtures, hot reload.
#![allow(clippy::unwrap_used)]

mod examples;
mod hostile;
mod reload;
mod support;
mod types;
mod typescript;
