//! synchost: a Socket.IO server whose sync handlers run as sandboxed WebAssembly components.
//!
//! # Layout
//!
//! Data flows one way, and lower layers never import higher ones:
//!
//! - [`transport`]: Engine.IO v4 (polling, WebSocket, upgrade, heartbeat). Knows nothing of Socket.IO.
//! - [`http`]: mounts the layers on an axum router, CORS, binding and serving.
//! - [`conformance`]: the echo servers the official conformance suites run against.
//! - [`protocol`]: Socket.IO v5 (packets, namespaces, acks, binary attachments) over the transport.
//! - [`rooms`]: room membership per namespace and the encode-once fan-out of broadcasts.
//! - [`plugin`]: the wasmtime runtime that loads, limits and hot-swaps sync handlers.
//! - [`session`]: signed tokens → sessions, and the auth predicates of handlers.
//! - [`i18n`]: error messages from Fluent files in the caller's language.
//! - [`cluster`]: the Redis implementations of the cluster seam (chosen by `[cluster]`): the bus
//!   between nodes, and the kv store, remembered rooms and rate windows they share.
//! - [`sync`]: the sync pipeline (socket events, HTTP trigger, rooms, fan-out) on top of all of them.
//! - [`typegen`]: TypeScript types of the published routes, from the JSON Schemas handlers publish.
//! - [`server`]: wires the layers into `synchost serve`.
//!
//! The repository's `ARCHITECTURE.md` has the full map.
#![deny(unsafe_code)]

pub mod admin_ui;
pub mod cluster;
pub mod conformance;
pub mod http;
pub mod protocol;
pub mod rooms;
pub mod server;
pub mod session;

pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod plugin;
pub mod store;
pub mod sync;
pub mod transport;
pub mod typegen;
