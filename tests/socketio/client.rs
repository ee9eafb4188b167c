//! The checks' view of the shared harness clients, on the Socket.IO path: a buffered WebSocket client
//! (frames that arrive in the same TCP read are queued, never missed) and one-shot HTTP requests.
//! Only what is specific to these checks lives here: skipping pings, reading the open packet.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use hyper::Method;
use synchost_tests::http_client::{HttpClient, HttpResponse};
use synchost_tests::ws_client;

pub use synchost_tests::ws_client::Frame;

/// How long a test waits for a frame it expects.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(2);

/// A WebSocket on the Socket.IO path.
pub struct WsClient(ws_client::WsClient);

impl WsClient {
    /// Opens `ws://addr/socket.io/?EIO=4&transport=websocket` plus `extra_query`.
    pub async fn open(addr: SocketAddr, extra_query: &str) -> anyhow::Result<Self> {
        Self::connect(&format!(
            "ws://{addr}/socket.io/?EIO=4&transport=websocket{extra_query}"
        ))
        .await
    }

    /// Opens any WebSocket URL.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Ok(Self(
            ws_client::WsClient::connect(url)
                .await
                .context("websocket handshake")?,
        ))
    }

    /// Sends a text frame.
    pub async fn send(&mut self, text: &str) -> anyhow::Result<()> {
        self.0.send_text(text).await
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, data: &[u8]) -> anyhow::Result<()> {
        self.0.send_binary(data).await
    }

    /// The next frame, or an error after `timeout`.
    pub async fn next_frame(&mut self, timeout: Duration) -> anyhow::Result<Frame> {
        self.0.next_frame(timeout).await
    }

    /// The next frame, which must be text.
    pub async fn next_text(&mut self) -> anyhow::Result<String> {
        self.0.next_text(FRAME_TIMEOUT).await
    }

    /// The next frame that is not an Engine.IO ping.
    pub async fn next_skipping_pings(&mut self) -> anyhow::Result<Frame> {
        loop {
            match self.next_frame(FRAME_TIMEOUT).await? {
                Frame::Text(text) if text == "2" => continue,
                frame => return Ok(frame),
            }
        }
    }

    /// Waits until the server closes the connection, skipping other frames.
    pub async fn expect_closed(&mut self, within: Duration) -> anyhow::Result<()> {
        self.0
            .wait_closed(within)
            .await
            .context("the server did not close the connection")
    }

    /// Reads the Engine.IO open packet and returns its JSON.
    pub async fn handshake(&mut self) -> anyhow::Result<serde_json::Value> {
        let open = self.next_text().await?;
        let json = open
            .strip_prefix('0')
            .ok_or_else(|| anyhow!("expected an open packet, got {open:?}"))?;
        Ok(serde_json::from_str(json)?)
    }
}

/// Sends one request to `path` (with its query) and reads the whole response.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> anyhow::Result<HttpResponse> {
    let method = Method::from_bytes(method.as_bytes())?;
    let url = format!("http://{addr}{path}");
    let body = body.map(<[u8]>::to_vec).unwrap_or_default();
    HttpClient::new()
        .send(
            method,
            &url,
            &[("content-type", "text/plain;charset=UTF-8")],
            body,
        )
        .await
}

/// GET on the Socket.IO path with `query`.
pub async fn get(addr: SocketAddr, query: &str) -> anyhow::Result<HttpResponse> {
    HttpClient::new()
        .get(&format!("http://{addr}/socket.io/?{query}"))
        .await
}

/// POST `body` on the Socket.IO path with `query`.
pub async fn post(addr: SocketAddr, query: &str, body: &str) -> anyhow::Result<HttpResponse> {
    HttpClient::new()
        .post(&format!("http://{addr}/socket.io/?{query}"), body)
        .await
}

/// Opens a polling session; returns its sid and the open packet's JSON.
pub async fn polling_handshake(addr: SocketAddr) -> anyhow::Result<(String, serde_json::Value)> {
    let response = get(addr, "EIO=4&transport=polling").await?;
    if response.status != 200 {
        bail!("handshake returned {}", response.status);
    }
    let text = response.text();
    let json: serde_json::Value =
        serde_json::from_str(text.strip_prefix('0').context("open packet")?)?;
    let sid = json["sid"].as_str().context("sid")?.to_owned();
    Ok((sid, json))
}
