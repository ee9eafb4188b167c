//! The Engine.IO suite's server: every message is echoed back as it came, text as text and binary as
//! binary, on `/engine.io/` with the suite's settings.

use axum::Router;

use crate::http::engine_router;
use crate::transport::{
    AllowedOrigins, CloseReason, CorsConfig, EngineConfig, EngineConnection, EngineHandler,
};
use crate::transport::{Engine, Incoming, Message};

/// Sends every message straight back on the connection it came from.
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoHandler;

impl EngineHandler for EchoHandler {
    type Connection = EngineConnection;

    fn on_open(&self, socket: EngineConnection) -> EngineConnection {
        socket
    }

    fn on_message(&self, socket: &EngineConnection, message: Incoming) {
        let reply = match message {
            Incoming::Text(text) => Message::text_owned(text),
            Incoming::Binary(bytes) => Message::binary(bytes),
        };
        // A full queue closes the connection by itself; a closed one has nothing left to echo to.
        let _ = socket.send(reply);
    }

    fn on_close(&self, _socket: &EngineConnection, _reason: CloseReason) {}
}

/// The suite's settings: `/engine.io/`, ping 300/200, maxPayload 1e6, CORS for any origin.
pub fn engineio_config() -> EngineConfig {
    EngineConfig {
        path: "/engine.io/".to_owned(),
        ping_interval_ms: 300,
        ping_timeout_ms: 200,
        max_payload_bytes: 1_000_000,
        cors: CorsConfig {
            origins: AllowedOrigins::Any,
            credentials: false,
        },
        ..EngineConfig::default()
    }
}

/// The echo engine mounted on its path.
pub fn engineio_router() -> Router {
    // The settings above are constants known to pass validation.
    #[allow(clippy::expect_used)]
    let engine =
        Engine::new(engineio_config(), EchoHandler).expect("conformance settings are valid");
    engine_router(engine)
}
