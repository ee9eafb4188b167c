//! WebSocket: the direct handshake and the loop that drives an open WebSocket connection.
//!
//! One task per connection selects over the socket, the outgoing queue, the close signal and the
//! heartbeat timer, so an idle connection costs one task, one small read buffer and its queue. One
//! packet per frame: text frames carry the type digit, binary frames are raw message bytes. Anything
//! unparsable closes the connection. This file must not know about polling beyond the handover.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::SinkExt;
use tokio::time::Instant;

use super::admission::PendingSlot;
use super::driver::Driver;
use super::engine::{ConnectionEntry, EngineInner};
use super::error::RequestError;
use super::heartbeat::Beat;
use super::packet::{self, Packet};
use super::{CloseReason, EngineHandler, Incoming, Message, Outbox, RequestInfo};

/// Read buffer per connection. Small because idle connections dominate and clients send little (pongs,
/// short events); it grows for large frames. Every read also zero-fills its spare room, so a smaller
/// buffer is cheaper per wake-up as well.
const READ_BUFFER_BYTES: usize = 1024;
/// Frames are written out once this much is buffered, or at the end of a batch.
const WRITE_BUFFER_BYTES: usize = 8 * 1024;
/// Queued messages written per flush, so a busy queue cannot starve reads and timers.
const WRITE_BATCH: usize = 64;
/// How long a closing connection may take to send its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Configures the upgrade: buffer sizes, and `maxPayload` as the largest frame and message.
pub(crate) async fn accept<H: EngineHandler>(
    inner: &EngineInner<H>,
    parts: &mut Parts,
) -> Result<WebSocketUpgrade, RequestError> {
    let upgrade = WebSocketUpgrade::from_request_parts(parts, &())
        .await
        .map_err(|_| RequestError::BadRequest)?;
    let max = inner.config.max_payload_bytes;
    Ok(upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(max)
        .max_frame_size(max))
}

/// A new connection over WebSocket: the `open` packet (with no upgrades) is the first frame.
pub(crate) async fn handshake<H: EngineHandler>(
    inner: &Arc<EngineInner<H>>,
    parts: &mut Parts,
    info: RequestInfo,
    slot: PendingSlot,
) -> Result<Response, RequestError> {
    let upgrade = accept(inner, parts).await?;
    let inner = inner.clone();
    // A failed upgrade drops the closure, and the slot with it.
    Ok(upgrade.on_upgrade(move |mut ws| async move {
        let opened = Instant::now();
        let (socket, mut rx) = inner.new_socket(info, slot);
        let open = inner.open_packet(socket.id(), &[]);
        inner.insert(ConnectionEntry {
            socket: socket.clone(),
            polling: None,
        });
        let connection = inner.handler.on_open(socket.clone());
        let mut driver = Driver::new(inner, socket, connection, opened);
        let reason = match ws.send(Frame::Text(open.into())).await {
            Ok(()) => drive(&mut driver, &mut ws, &mut rx).await,
            Err(_) => CloseReason::TransportError,
        };
        close(ws, reason).await;
        driver.finish(reason);
    }))
}

/// Drives an open WebSocket until the connection closes; returns why it closed.
pub(crate) async fn drive<H: EngineHandler>(
    driver: &mut Driver<H>,
    ws: &mut WebSocket,
    rx: &mut Outbox,
) -> CloseReason {
    let socket = driver.socket.clone();
    let write_timeout = driver.engine.config.ping_timeout();
    let sleep = tokio::time::sleep_until(driver.heartbeat.deadline());
    tokio::pin!(sleep);
    // One registration lives across iterations and is renewed only when it fires: registering and
    // unregistering takes the notifier's lock, which would otherwise happen for every batch written.
    let notified = socket.notified();
    tokio::pin!(notified);
    // While the upper layer is busy with earlier messages, no frame is read (see `EngineHandler::ready`).
    let mut pause: Option<super::Ready> = None;
    loop {
        // Registering before checking means a close between the check and the select still wakes us.
        notified.as_mut().enable();
        if let Some(reason) = socket.close_reason() {
            if reason == CloseReason::ServerShutdown {
                // What was queued before the shutdown still reaches the client, within the write
                // timeout; then the close frame.
                let _ = tokio::time::timeout(write_timeout, write_queued(ws, rx)).await;
            }
            return reason;
        }
        tokio::select! {
            () = &mut notified => notified.set(socket.notified()),
            () = resumed(&mut pause), if pause.is_some() => pause = None,
            frame = ws.recv(), if pause.is_none() => {
                if let Some(reason) = on_frame(driver, frame) {
                    return reason;
                }
                pause = driver.ready();
            }
            message = rx.recv() => {
                let written = tokio::time::timeout(write_timeout, write_batch(ws, message, rx)).await;
                if !matches!(written, Ok(Ok(()))) {
                    return CloseReason::TransportError;
                }
            }
            () = &mut sleep => match driver.heartbeat.on_deadline() {
                Beat::Ping => {
                    let ping = ws.send(Frame::Text(Utf8Bytes::from_static("2")));
                    if !matches!(tokio::time::timeout(write_timeout, ping).await, Ok(Ok(()))) {
                        return CloseReason::TransportError;
                    }
                }
                Beat::TimedOut => return CloseReason::PingTimeout,
            },
        }
        if sleep.deadline() != driver.heartbeat.deadline() {
            sleep.as_mut().reset(driver.heartbeat.deadline());
        }
    }
}

/// Resolves when the pause ends; never while there is none.
async fn resumed(pause: &mut Option<super::Ready>) {
    match pause {
        Some(wait) => wait.await,
        None => std::future::pending().await,
    }
}

/// Handles one frame (or the end of the stream); returns why the connection must close, if it must.
fn on_frame<H: EngineHandler>(
    driver: &mut Driver<H>,
    frame: Option<Result<Frame, axum::Error>>,
) -> Option<CloseReason> {
    let packet = match frame {
        Some(Ok(Frame::Text(text))) => match packet::parse_text(&text) {
            Ok(packet) => packet,
            Err(_) => return Some(CloseReason::ParseError),
        },
        Some(Ok(Frame::Binary(bytes))) => Packet::Message(Incoming::Binary(bytes)),
        // WebSocket-level pings are answered by the WebSocket layer itself.
        Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => return None,
        Some(Ok(Frame::Close(_))) | None => return Some(CloseReason::ClientClose),
        // I/O errors and protocol violations, including frames over `maxPayload`.
        Some(Err(_)) => return Some(CloseReason::TransportError),
    };
    driver.dispatch(packet)
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes once.
async fn write_batch(
    ws: &mut WebSocket,
    first: Message,
    rx: &mut Outbox,
) -> Result<(), axum::Error> {
    ws.feed(into_frame(first)).await?;
    for _ in 1..WRITE_BATCH {
        let Some(message) = rx.try_recv() else { break };
        ws.feed(into_frame(message)).await?;
    }
    ws.flush().await
}

/// Writes everything left in the queue, then flushes once.
async fn write_queued(ws: &mut WebSocket, rx: &mut Outbox) -> Result<(), axum::Error> {
    while let Some(message) = rx.try_recv() {
        ws.feed(into_frame(message)).await?;
    }
    ws.flush().await
}

fn into_frame(message: Message) -> Frame {
    match message {
        // A reference-count bump: the frame was framed and validated once, when the message was built.
        Message::Text(frame) => Frame::Text(frame.framed().clone()),
        Message::Binary(bytes) => Frame::Binary(bytes),
    }
}

/// Sends a close frame (bounded in time) and drops the connection.
pub(crate) async fn close(mut ws: WebSocket, _reason: CloseReason) {
    let _ = tokio::time::timeout(CLOSE_GRACE, ws.send(Frame::Close(None))).await;
}
