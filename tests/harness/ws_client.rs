//! A WebSocket client for tests. A background task reads every frame into a queue, so frames that
//! arrive together are never lost and tests wait with `next_frame(timeout)` instead of sleeping.

use std::time::Duration;

use anyhow::{Context as _, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

/// What the reader task saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The connection closed (close frame, end of stream or error).
    Closed,
}

/// A connected WebSocket with a buffered reader.
pub struct WsClient {
    sink: Sink,
    frames: mpsc::UnboundedReceiver<Frame>,
}

impl WsClient {
    /// Connects to `url` (`ws://...`) with extra request headers.
    pub async fn connect_with(url: &str, headers: &[(&'static str, &str)]) -> anyhow::Result<Self> {
        let mut request = url.into_client_request()?;
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse()?);
        }
        let connect = tokio_tungstenite::connect_async(request);
        let (stream, _) = tokio::time::timeout(Duration::from_secs(5), connect)
            .await
            .context("connect timed out")??;
        let (sink, mut stream) = stream.split();
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = stream.next().await {
                let frame = match message {
                    Ok(Message::Text(text)) => Frame::Text(text.as_str().to_owned()),
                    Ok(Message::Binary(bytes)) => Frame::Binary(bytes.to_vec()),
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                if tx.send(frame).is_err() {
                    return;
                }
            }
            let _ = tx.send(Frame::Closed);
        });
        Ok(Self { sink, frames })
    }

    /// Connects to `url` (`ws://...`).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_with(url, &[]).await
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
    pub async fn next_text(&mut self, timeout: Duration) -> anyhow::Result<String> {
        match self.next_frame(timeout).await? {
            Frame::Text(text) => Ok(text),
            other => bail!("expected a text frame, got {other:?}"),
        }
    }

    /// Waits until the server closes the connection; frames before the close are skipped.
    pub async fn wait_closed(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.next_frame(left).await? == Frame::Closed {
                return Ok(());
            }
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        Ok(self.sink.send(Message::text(text)).await?)
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        Ok(self.sink.send(Message::binary(bytes.to_vec())).await?)
    }
}
