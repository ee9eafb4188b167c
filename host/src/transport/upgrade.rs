//! The upgrade from polling to WebSocket: the `2probe`/`3probe` exchange, then `5`.
//!
//! The probe WebSocket runs in its own task until the client sends `5`; only then is it handed to the
//! connection task, together with the untouched outgoing queue, so no packet is lost or reordered; a POST
//! still in flight at that moment finishes first, so what the client posted before `5` is handled
//! before anything it sends on the WebSocket. The upgrade is marked done the moment `5` is read, so a
//! GET or POST sent right after it is already refused. Any other packet, a close, or `upgradeTimeout`
//! abandons the upgrade and polling goes on.

use std::sync::Arc;

use axum::extract::ws::{Message as Frame, Utf8Bytes, WebSocket};
use axum::http::request::Parts;
use axum::response::Response;
use tokio::time::Instant;

use super::engine::{ConnectionEntry, EngineInner};
use super::error::RequestError;
use super::packet::{self, Packet};
use super::polling_link::{Inbound, PollingLink};
use super::{CloseReason, EngineConnection, EngineHandler, websocket};

/// A WebSocket request carrying a `sid`: a probe for a polling connection, or a duplicate to refuse.
pub(crate) async fn upgrade<H: EngineHandler>(
    inner: &Arc<EngineInner<H>>,
    parts: &mut Parts,
    connection: ConnectionEntry,
) -> Result<Response, RequestError> {
    let upgrade = websocket::accept(inner, parts).await?;
    let deadline = Instant::now() + inner.config.upgrade_timeout();
    let link = connection.polling.filter(|link| link.begin_upgrade());
    let failed = link.clone();
    let upgrade = upgrade.on_failed_upgrade(move |_| {
        if let Some(link) = failed {
            link.abort_upgrade();
        }
    });
    Ok(upgrade.on_upgrade(move |mut ws| async move {
        match link {
            Some(link) => probe(connection.socket, link, ws, deadline).await,
            // Node accepts then closes a WebSocket for a connection already upgrading, upgraded or not
            // polling at all.
            None => {
                let _ = ws.send(Frame::Close(None)).await;
            }
        }
    }))
}

/// Runs the probe; on `5`, hands the WebSocket to the connection task.
async fn probe(
    socket: EngineConnection,
    link: Arc<PollingLink>,
    mut ws: WebSocket,
    deadline: Instant,
) {
    let outcome = tokio::select! {
        outcome = tokio::time::timeout_at(deadline, probe_until_upgrade(&socket, &link, &mut ws)) => {
            outcome.unwrap_or(false)
        }
        _ = socket.closed() => false,
    };
    if !outcome {
        link.abort_upgrade();
        socket.wake();
        let _ = ws.send(Frame::Close(None)).await;
        return;
    }
    // A POST the client sent before `5` may still be reading its body: its packets go first.
    if !link.posts_finished(deadline).await {
        socket.close(CloseReason::TransportError);
        return;
    }
    // The connection task may be gone already (the connection closed meanwhile); the WebSocket then drops.
    let _ = link.inbound.send(Inbound::Upgrade(Box::new(ws))).await;
}

/// Reads the probe exchange; true once `5` arrives, false on anything else.
async fn probe_until_upgrade(
    socket: &EngineConnection,
    link: &PollingLink,
    ws: &mut WebSocket,
) -> bool {
    loop {
        let text = match ws.recv().await {
            Some(Ok(Frame::Text(text))) => text,
            Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
            _ => return false,
        };
        match packet::parse_text(&text) {
            Ok(Packet::Ping { probe: true }) => {
                if ws
                    .send(Frame::Text(Utf8Bytes::from_static("3probe")))
                    .await
                    .is_err()
                {
                    return false;
                }
                // Held GETs now answer with a noop so the client can pause polling.
                socket.wake();
            }
            Ok(Packet::Upgrade) => {
                link.complete_upgrade();
                socket.wake();
                return true;
            }
            _ => return false,
        }
    }
}
