//! Starts the server under test.
//!
//! The server is synchost's HTTP router with Engine.IO on `/socket.io/`, handing connections to
//! `synchost::protocol::conformance_server()`, configured as the suite requires: pingInterval 300 ms,
//! pingTimeout 200 ms, maxPayload 1000000, connectTimeout 1000 ms (set by the conformance server).

use std::net::SocketAddr;

/// The suite's heartbeat settings.
pub const PING_INTERVAL_MS: u64 = 300;
/// The suite's pong deadline.
pub const PING_TIMEOUT_MS: u64 = 200;
/// The suite's maximum payload.
pub const MAX_PAYLOAD: u64 = 1_000_000;

/// Set to `host:port` to run the checks against a server that is already running instead (for
/// example Node's socket.io configured as above, to check the checks themselves).
pub const EXTERNAL_SERVER_ENV: &str = "SYNCHOST_SOCKETIO_SERVER";

/// Binds the conformance server on `127.0.0.1:0` in a background task and returns its address. The
/// server lives until the test's runtime shuts down.
pub async fn conformance_server() -> anyhow::Result<SocketAddr> {
    if let Ok(addr) = std::env::var(EXTERNAL_SERVER_ENV) {
        return Ok(addr.parse()?);
    }
    let config = synchost::conformance::socketio_config();
    anyhow::ensure!(
        config.ping_interval_ms == PING_INTERVAL_MS
            && config.ping_timeout_ms == PING_TIMEOUT_MS
            && config.max_payload_bytes as u64 == MAX_PAYLOAD,
        "the conformance settings drifted from the suite's"
    );
    let router = synchost::conformance::socketio_router();
    let listeners = synchost::http::bind("127.0.0.1", 0).await?;
    let addr = listeners[0].local_addr()?;
    tokio::spawn(synchost::http::serve(
        listeners,
        router,
        std::future::pending::<()>(),
    ));
    Ok(addr)
}
