//! The handlers the official Socket.IO conformance suite expects: `/` and `/custom`.
//!
//! On connect both emit `auth` with the handshake auth. On `/`, `message(...args)` is echoed back as
//! `message-back` with the same arguments and binaries, and `message-with-ack(...args)` is
//! acknowledged with the same arguments. Nothing else: these handlers exist to be tested.

use std::time::Duration;

use serde_json::value::RawValue;

use super::args::Args;
use super::handler::{BoxFuture, ConnectError, Event, NamespaceHandler};
use super::server::SocketIo;
use super::socket::Socket;

/// The suite's connect timeout (it checks that an idle connection is closed within 2 s).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// The Socket.IO server the conformance suite runs against; mount it on `/socket.io/`.
pub fn conformance_server() -> SocketIo {
    SocketIo::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .namespace("/", Echo::main())
        .namespace("/custom", Echo::custom())
        .build()
}

/// The suite's handler for one namespace; other fixtures can wrap it to add events of their own.
#[derive(Debug, Clone, Copy)]
pub struct Echo {
    /// Only the main namespace answers `message` and `message-with-ack`.
    main: bool,
}

impl Echo {
    /// The handler of `/`: emits `auth` on connect, echoes `message` and `message-with-ack`.
    pub fn main() -> Self {
        Self { main: true }
    }

    /// The handler of `/custom`: emits `auth` on connect, nothing else.
    pub fn custom() -> Self {
        Self { main: false }
    }
}

impl NamespaceHandler for Echo {
    fn on_connect(
        &self,
        socket: Socket,
        auth: Box<RawValue>,
    ) -> BoxFuture<Result<(), ConnectError>> {
        Box::pin(async move {
            // Held until the CONNECT reply is out, so the client sees the reply first.
            let args =
                Args::from_json(&format!("[{}]", auth.get())).unwrap_or_else(|_| Args::empty());
            if let Err(error) = socket.emit("auth", &args) {
                tracing::debug!(%error, "conformance: could not emit auth");
            }
            Ok(())
        })
    }

    fn on_event(&self, socket: &Socket, event: Event) {
        if !self.main {
            return;
        }
        let result = match (event.name.as_str(), event.ack) {
            ("message", _) => socket.emit_binary("message-back", &event.args, &event.binaries),
            ("message-with-ack", Some(ack)) => ack.send_binary(&event.args, &event.binaries),
            _ => Ok(()),
        };
        if let Err(error) = result {
            tracing::debug!(%error, "conformance: could not answer");
        }
    }
}
