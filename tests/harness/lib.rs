//! Shared test harness: starts servers on loopback ports and provides raw clients that wait on events
//! with timeouts instead of sleeping.
//!
//! - [`engineio`]: an Engine.IO server on 127.0.0.1:0 and the polling helpers built on [`http_client`].
//! - [`http_client`]: a plain HTTP/1.1 client (hyper) that returns status, headers and the whole body.
//! - [`ws_client`]: a WebSocket client whose frames are read by a background task into a queue.
//! - [`plugins`]: built plugin fixtures and private plugin roots; [`compose`]: components with
//!   extra memories, which no toolchain emits.
//! - [`redis`]: a real `redis-server` on a free loopback port that can be stopped and restarted.
#![allow(clippy::unwrap_used)]

pub mod compose;
pub mod engineio;
pub mod http_client;
pub mod ws_client;

pub mod plugins;
pub mod redis;
