//! An Engine.IO echo server on 127.0.0.1:0 with the conformance settings, and helpers for raw
//! Engine.IO sessions over polling and WebSocket.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use synchost::conformance::{EchoHandler, engineio_config};
use synchost::transport::{Engine, EngineConfig, EngineHandler};
use tokio::sync::oneshot;

use crate::http_client::HttpClient;
use crate::ws_client::WsClient;

/// Long enough for any single step of a test; only reached when something hangs.
pub const STEP: Duration = Duration::from_secs(3);

/// A running server; stops accepting when dropped.
pub struct EngineServer<H: EngineHandler = EchoHandler> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The engine, for its metrics and session table.
    pub engine: Engine<H>,
    _stop: oneshot::Sender<()>,
}

impl EngineServer<EchoHandler> {
    /// The echo server with the conformance settings (ping 300/200, maxPayload 1e6, `/engine.io/`).
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(engineio_config()).await
    }

    /// The echo server with other settings.
    pub async fn start_with(config: EngineConfig) -> anyhow::Result<Self> {
        EngineServer::start_handler(config, EchoHandler).await
    }
}

impl<H: EngineHandler> EngineServer<H> {
    /// A server with any handler.
    pub async fn start_handler(config: EngineConfig, handler: H) -> anyhow::Result<Self> {
        let engine = Engine::new(config, handler)?;
        let router = synchost::http::engine_router(engine.clone());
        let listeners = synchost::http::bind("127.0.0.1", 0).await?;
        let addr = listeners[0].local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(synchost::http::serve(listeners, router, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            engine,
            _stop: stop,
        })
    }

    /// `http://addr/engine.io/?` followed by `query`.
    pub fn url(&self, query: &str) -> String {
        format!("http://{}{}?{query}", self.addr, self.engine.config().path)
    }

    /// `ws://addr/engine.io/?` followed by `query`.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://{}{}?{query}", self.addr, self.engine.config().path)
    }

    /// The polling URL of an open session.
    pub fn session_url(&self, sid: &str) -> String {
        self.url(&format!("EIO=4&transport=polling&sid={sid}"))
    }

    /// Opens a polling session and returns its sid.
    pub async fn open_polling(&self, http: &HttpClient) -> anyhow::Result<String> {
        let response = http.get(&self.url("EIO=4&transport=polling")).await?;
        ensure!(
            response.status == 200,
            "handshake failed: {}",
            response.status
        );
        open_packet_sid(&response.text())
    }

    /// Opens a WebSocket session; returns the client (handshake consumed) and the open packet's JSON.
    pub async fn open_websocket(&self) -> anyhow::Result<(WsClient, serde_json::Value)> {
        let mut ws = WsClient::connect(&self.ws_url("EIO=4&transport=websocket")).await?;
        let open = ws.next_text(STEP).await?;
        let json = open_packet_json(&open)?;
        Ok((ws, json))
    }
}

/// The JSON of an `open` packet (`0{...}`).
pub fn open_packet_json(packet: &str) -> anyhow::Result<serde_json::Value> {
    let Some(json) = packet.strip_prefix('0') else {
        bail!("not an open packet: {packet:?}")
    };
    serde_json::from_str(json).context("open packet payload is not JSON")
}

/// The sid of an `open` packet.
pub fn open_packet_sid(packet: &str) -> anyhow::Result<String> {
    let json = open_packet_json(packet)?;
    json["sid"]
        .as_str()
        .map(str::to_owned)
        .context("open packet has no sid")
}
