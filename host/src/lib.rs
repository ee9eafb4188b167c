//! synchost: a Socket.IO server whose sync handlers run as sandboxed WebAssembly components.
//!
//! # Layout
//!
//! Data flows one way, and lower layers never import higher ones:
//!
//! - [`transport`]: Engine.IO v4 (polling, WebSocket, upgrade, heartbeat). Knows nothing of Socket.IO.
//!
//! The repository's `ARCHITECTURE.md` has the full map.
#![deny(unsafe_code)]

pub mod config;
pub mod plugin;
pub mod store;
pub mod transport;
