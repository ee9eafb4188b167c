//! One benchmark client: a WebSocket-only Engine.IO session with Socket.IO connected on `/`.
//!
//! It performs the handshake itself (open, CONNECT, optional `join` with ack) and answers every
//! ping while it waits, so that long connect phases never trip the server's heartbeat. It must
//! never block on anything but its own socket.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::wire::{self, Incoming};

/// The WebSocket stream of one client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one client may take to connect, handshake and join.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The Socket.IO WebSocket URL for a server on `address` (`host:port`).
pub fn socketio_url(address: &str) -> String {
    format!("ws://{address}/socket.io/?EIO=4&transport=websocket")
}

/// Opens a client and connects it to namespace `/`; joins `room` when given.
pub async fn open(url: &str, room: Option<&str>) -> anyhow::Result<Ws> {
    let join = room.map(|room| wire::encode_join(0, room));
    Ok(open_with(url, wire::CONNECT, join.as_deref()).await?.0)
}

/// Opens a client, connects it to namespace `/` with `connect` (the CONNECT frame, with or
/// without an auth payload) and, when given, sends `join` (an event frame asking for ack id 0)
/// and waits for that ack; returns the ack's frame.
pub async fn open_with(
    url: &str,
    connect: &str,
    join: Option<&str>,
) -> anyhow::Result<(Ws, Option<String>)> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, open_inner(url, connect, join))
        .await
        .map_err(|_| anyhow!("handshake took longer than {HANDSHAKE_TIMEOUT:?}"))?
}

async fn open_inner(
    url: &str,
    connect: &str,
    join: Option<&str>,
) -> anyhow::Result<(Ws, Option<String>)> {
    // Small read buffers: thousands of clients live in this process.
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .context("websocket connect")?;
    match decode_next(&mut ws).await? {
        Incoming::Open => {}
        other => bail!("expected the engine.io open packet, got {other:?}"),
    }
    ws.send(Message::text(connect)).await?;
    loop {
        match decode_next(&mut ws).await? {
            Incoming::Connected => break,
            Incoming::ConnectRefused(reason) => bail!("connect refused: {reason}"),
            _ => {}
        }
    }
    let Some(join) = join else {
        return Ok((ws, None));
    };
    ws.send(Message::text(join)).await?;
    loop {
        let text = next_frame(&mut ws).await?;
        if let Incoming::Ack(0) = wire::decode(&text) {
            return Ok((ws, Some(text)));
        }
    }
}

/// Reads the next text frame, answering pings on the way, and decodes it.
async fn decode_next(ws: &mut Ws) -> anyhow::Result<Incoming> {
    let text = next_frame(ws).await?;
    Ok(wire::decode(&text))
}

/// Reads the next text frame other than a ping (answered) or a close (an error).
async fn next_frame(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        let text = next_text(ws).await?;
        match wire::decode(&text) {
            Incoming::Ping => ws.send(Message::text(wire::PONG)).await?,
            Incoming::Close => bail!("server closed the engine.io session"),
            _ => return Ok(text),
        }
    }
}

/// Reads the next text frame; binary and control frames are skipped.
pub async fn next_text(ws: &mut Ws) -> anyhow::Result<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | None => bail!("connection closed"),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error).context("websocket read"),
        }
    }
}
