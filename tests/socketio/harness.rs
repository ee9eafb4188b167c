//! Starts the server under test.
//!
//! The server is synchost's HTTP router with Engine.IO on `/socket.io/`, handing connections to
//! `synchost::protocol::conformance_server()`, configured as the suite requires: pingInterval 300 ms,
//! pingTimeout 200 ms, maxPayload 1000000, connectTimeout 1000 ms (set by the conformance server).

use std::net::SocketAddr;

use anyhow::bail;

/// The suite's heartbeat settings.
pub const PING_INTERVAL_MS: u64 = 300;
/// The suite's pong deadline.
pub const PING_TIMEOUT_MS: u64 = 200;
/// The suite's maximum payload.
pub const MAX_PAYLOAD: u64 = 1_000_000;

/// Set to `host:port` to run the checks against a server that is already running instead (for
/// example Node's socket.io configured as above, to check the checks themselves).
pub const EXTERNAL_SERVER_ENV: &str = "SYNCHOST_SOCKETIO_SERVER";

/// Binds the conformance server on `127.0.0.1:0` in a background task and returns its address.
///
/// This needs the Engine.IO transport's router: a function that mounts an `EngineHandler` (here
/// `synchost::protocol::conformance_server()`) on a path with the ping settings above and serves it on
/// a `tokio::net::TcpListener`. Until that exists, every test fails here with this message.
pub async fn conformance_server() -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = std::env::var(EXTERNAL_SERVER_ENV) {
        return Ok(addr.parse()?);
    }
    let _socket_io = synchost::protocol::conformance_server();
    bail!(
        "no Engine.IO router to mount the conformance server on /socket.io/ yet; \
         wire synchost's transport router into tests/socketio/harness.rs::conformance_server"
    )
}
