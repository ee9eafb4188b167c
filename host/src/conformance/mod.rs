//! Conformance mode: the servers the official Engine.IO and Socket.IO test suites expect, on one port.
//!
//! Each protocol contributes a router with its reference configuration (ping 300/200, maxPayload 1e6,
//! CORS `*`); [`router`] merges them. Used by `synchost conformance` and by the integration tests. It
//! must stay a test fixture: no application logic lives here.

mod engineio;
mod socketio;

use axum::Router;

pub use engineio::{EchoHandler, engineio_config, engineio_router};
pub use socketio::{socketio_config, socketio_router, socketio_router_with, testbed};

/// Every conformance server merged into one router: Engine.IO echo on `/engine.io/`, Socket.IO on
/// `/socket.io/`.
pub fn router() -> Router {
    Router::new()
        .merge(engineio_router())
        .merge(socketio_router())
}
