//! The authors' tools through the real `synchost` binary: `synchost new` (generated crates build for
//! wasm32-wasip2 and pass their own tests), `synchost check` (good, wrong-world, misnamed and
//! non-component files), `synchost dev` (a saved edit goes live; a broken one keeps the last good
//! version and is reported with its route). Cargo runs here for real, in a target folder kept for
//! these tests (`target/authoring-wasm`), so only the first run is slow.
#![allow(clippy::unwrap_used, missing_docs)]

mod check;
mod dev;
mod new;
mod support;
