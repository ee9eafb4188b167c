//! Raw clients for the checks: a buffered WebSocket client and a minimal HTTP/1.1 client for polling.
//!
//! The WebSocket reader runs in its own task and queues every frame, so the test reads them one by one
//! with a timeout and never misses frames that arrived in the same TCP read.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::SinkExt;
use futures_util::stream::{SplitSink, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame it expects.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(2);

/// One frame received on a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The server closed the connection (close frame, reset or end of stream).
    Closed,
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, WsMessage>;

/// A WebSocket client whose frames are read by a background task into a queue.
pub struct WsClient {
    sink: Sink,
    frames: mpsc::UnboundedReceiver<Frame>,
}

impl WsClient {
    /// Opens `ws://addr/socket.io/?EIO=4&transport=websocket` plus `extra_query`.
    pub async fn open(addr: SocketAddr, extra_query: &str) -> anyhow::Result<Self> {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket{extra_query}");
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("websocket handshake")?;
        Ok(Self::from_stream(stream))
    }

    /// Wraps an open WebSocket and starts its reader task.
    pub fn from_stream(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        let (sink, mut source) = stream.split();
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = source.next().await {
                let frame = match message {
                    Ok(WsMessage::Text(text)) => Frame::Text(text.to_string()),
                    Ok(WsMessage::Binary(data)) => Frame::Binary(data.to_vec()),
                    Ok(WsMessage::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                if tx.send(frame).is_err() {
                    return;
                }
            }
            let _ = tx.send(Frame::Closed);
        });
        Self { sink, frames }
    }

    /// Sends a text frame.
    pub async fn send(&mut self, text: &str) -> anyhow::Result<()> {
        self.sink
            .send(WsMessage::text(text))
            .await
            .context("sending a text frame")
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, data: &[u8]) -> anyhow::Result<()> {
        self.sink
            .send(WsMessage::binary(data.to_vec()))
            .await
            .context("sending a binary frame")
    }

    /// The next frame, or an error after `timeout`.
    pub async fn next_frame(&mut self, timeout: Duration) -> anyhow::Result<Frame> {
        match tokio::time::timeout(timeout, self.frames.recv()).await {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) => Ok(Frame::Closed),
            Err(_) => bail!("no frame within {timeout:?}"),
        }
    }

    /// The next frame, which must be text.
    pub async fn next_text(&mut self) -> anyhow::Result<String> {
        match self.next_frame(FRAME_TIMEOUT).await? {
            Frame::Text(text) => Ok(text),
            other => bail!("expected a text frame, got {other:?}"),
        }
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
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self
                .next_frame(left)
                .await
                .context("the server did not close the connection")?
            {
                Frame::Closed => return Ok(()),
                _ => continue,
            }
        }
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

/// An HTTP response: status and body.
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and reads the whole response.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> anyhow::Result<HttpResponse> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    if let Some(body) = body {
        stream.write_all(body).await?;
    }
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .context("http response")??;
    parse_response(&raw)
}

/// GET on the Socket.IO path with `query`.
pub async fn get(addr: SocketAddr, query: &str) -> anyhow::Result<HttpResponse> {
    http(addr, "GET", &format!("/socket.io/?{query}"), None).await
}

/// POST `body` on the Socket.IO path with `query`.
pub async fn post(addr: SocketAddr, query: &str, body: &str) -> anyhow::Result<HttpResponse> {
    http(
        addr,
        "POST",
        &format!("/socket.io/?{query}"),
        Some(body.as_bytes()),
    )
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

fn parse_response(raw: &[u8]) -> anyhow::Result<HttpResponse> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .context("no status")?
        .parse()?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(HttpResponse { status, body })
}

fn dechunk(mut data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("chunk size line")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).context("short chunk")?);
        data = data.get(size + 2..).context("chunk end")?;
    }
}
