//! HTTP long-polling: the handshake over GET, held GETs that return every queued packet in one body,
//! and POSTs that carry packets from the client.
//!
//! At most one GET and one POST may be in flight per connection; an overlap closes the connection, as in Node.
//! Requests never call the upper layer: POSTed packets go to the connection task in order, and GETs only
//! drain the outgoing queue. While an upgrade is under way a GET is answered with a noop (`6`) so the
//! client can move to the WebSocket.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::admission::PendingSlot;
use super::engine::{ConnectionEntry, EngineInner};
use super::error::RequestError;
use super::packet::{self, SEPARATOR};
use super::polling_link::{Inbound, PollingLink};
use super::polling_link::{UPGRADE_DONE, UPGRADE_NONE};
use super::{
    CloseReason, EngineConnection, EngineHandler, Message, Outbox, RequestInfo, TransportKind,
    driver,
};

/// How long a GET waits for an upgrade in progress to finish before it is answered with a noop
/// (Node re-checks every 100 ms while upgrading).
const UPGRADE_NOOP_DELAY: Duration = Duration::from_millis(100);

/// POST bodies waiting for the connection task; POSTs are one at a time, so this only absorbs a handover.
const INBOUND_CAPACITY: usize = 4;

/// Opens a polling connection: the body of the first GET is the `open` packet plus anything the upper
/// layer queued in `on_open`.
pub(crate) fn handshake<H: EngineHandler>(
    inner: &Arc<EngineInner<H>>,
    info: RequestInfo,
    slot: PendingSlot,
) -> Response {
    let opened = Instant::now();
    let (socket, mut rx) = inner.new_socket(info, slot);
    let upgrades: &[TransportKind] = if inner.config.allows(TransportKind::Websocket) {
        &[TransportKind::Websocket]
    } else {
        &[]
    };
    let mut body = inner.open_packet(socket.id(), upgrades);
    let connection = inner.handler.on_open(socket.clone());
    while let Some(message) = rx.try_recv() {
        body.push(SEPARATOR);
        packet::encode_polling(&message, &mut body);
    }
    let (inbound, inbound_rx) = mpsc::channel(INBOUND_CAPACITY);
    let link = Arc::new(PollingLink::new(rx, inbound));
    inner.insert(ConnectionEntry {
        socket: socket.clone(),
        polling: Some(link.clone()),
    });
    tokio::spawn(driver::run_polling(
        inner.clone(),
        socket,
        link,
        inbound_rx,
        connection,
        opened,
    ));
    text_response(body)
}

/// Serves a GET or POST on an open polling connection.
pub(crate) async fn serve<H: EngineHandler>(
    inner: &EngineInner<H>,
    socket: &EngineConnection,
    link: &PollingLink,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RequestError> {
    if link.pong_overdue() {
        socket.close(CloseReason::PingTimeout);
    }
    // A closed connection is unknown, except that the one GET racing a client's close gets its noop.
    if socket.is_closed() && !(*method == Method::GET && link.close_noop.load(Ordering::Acquire)) {
        return Err(RequestError::UnknownConnection);
    }
    match *method {
        Method::GET => poll(socket, link).await,
        Method::POST => push(inner.config.max_payload_bytes, socket, link, headers, body).await,
        _ => Err(RequestError::UnsupportedMethod),
    }
}

/// A held GET: waits for packets (or a ping, a close, an upgrade) and returns all of them in one body.
async fn poll(socket: &EngineConnection, link: &PollingLink) -> Result<Response, RequestError> {
    let Ok(mut queue) = link.rx.try_lock() else {
        socket.close(CloseReason::TransportError);
        return Err(RequestError::Overlap);
    };
    let rx = queue.as_mut().ok_or(RequestError::BadRequest)?;
    // A GET whose client goes away mid-wait ends the connection, as in Node.
    let mut abort = CloseOnDrop(Some(socket));
    let mut noop_at: Option<Instant> = None;
    let body = loop {
        let notified = socket.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(reason) = socket.close_reason() {
            // The client's own close gets a noop (once); any other close tells the client with `1`,
            // after what was already queued when the close is the server shutting down.
            if reason == CloseReason::ServerShutdown
                && let Some(mut body) = drain(link, rx, None)
            {
                body.push(SEPARATOR);
                body.push('1');
                break body;
            }
            if reason != CloseReason::ClientClose {
                break "1".to_owned();
            }
            if link.close_noop.swap(false, Ordering::AcqRel) {
                break "6".to_owned();
            }
            abort.0 = None;
            return Err(RequestError::UnknownConnection);
        }
        let upgrading = match link.upgrade.load(Ordering::Acquire) {
            UPGRADE_DONE => {
                abort.0 = None;
                return Err(RequestError::BadRequest);
            }
            state => state != UPGRADE_NONE,
        };
        if !upgrading {
            if let Some(body) = drain(link, rx, None) {
                break body;
            }
            tokio::select! {
                () = &mut notified => {}
                message = rx.recv() => break drain(link, rx, Some(message)).unwrap_or_default(),
            }
        } else {
            let deadline = *noop_at.get_or_insert_with(|| Instant::now() + UPGRADE_NOOP_DELAY);
            if Instant::now() >= deadline {
                break drain(link, rx, None).unwrap_or_else(|| "6".to_owned());
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    };
    abort.0 = None;
    Ok(text_response(body))
}

/// Builds a body from the pending ping and every queued message; `None` when there is nothing to send.
fn drain(link: &PollingLink, rx: &mut Outbox, first: Option<Message>) -> Option<String> {
    let mut body = String::new();
    if link.ping_pending.swap(false, Ordering::AcqRel) {
        body.push('2');
    }
    let mut next = first.or_else(|| rx.try_recv());
    while let Some(message) = next {
        if !body.is_empty() {
            body.push(SEPARATOR);
        }
        packet::encode_polling(&message, &mut body);
        next = rx.try_recv();
    }
    (!body.is_empty()).then_some(body)
}

/// A POST: reads at most `max_payload` bytes (giving up when the connection closes), parses the whole
/// body, hands the packets on in order.
async fn push(
    max_payload: usize,
    socket: &EngineConnection,
    link: &PollingLink,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RequestError> {
    if link.post_in_flight.swap(true, Ordering::SeqCst) {
        socket.close(CloseReason::TransportError);
        return Err(RequestError::Overlap);
    }
    let _in_flight = PostInFlight(link);
    // The upgrade may have completed since the request was routed. The flag is set before this check
    // and the upgrade is marked done before the probe looks at the flag (both sequentially
    // consistent), so either this POST is refused here or the handover waits for it.
    if link.is_upgraded() {
        return Err(RequestError::BadRequest);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    // Refuse before reading when the client announces too much; otherwise stop reading at the limit.
    if declared.is_some_and(|length| length > max_payload as u64) {
        return Err(RequestError::PayloadTooLarge);
    }
    // A body sent slowly must not outlive its connection: the heartbeat closes a connection whose only
    // POST never completes (the pong cannot arrive), and the read ends with it.
    let read = tokio::select! {
        read = axum::body::to_bytes(body, max_payload) => read,
        _ = socket.closed() => return Err(RequestError::UnknownConnection),
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(error) if crate::http::is_length_limit(&error) => {
            return Err(RequestError::PayloadTooLarge);
        }
        Err(_) => {
            socket.close(CloseReason::TransportError);
            return Err(RequestError::BadRequest);
        }
    };
    let payload = packet::Payload::parse(bytes).map_err(|_| {
        socket.close(CloseReason::ParseError);
        RequestError::BadRequest
    })?;
    link.inbound
        .send(Inbound::Packets(payload))
        .await
        .map_err(|_| RequestError::UnknownConnection)?;
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))];
    Ok((StatusCode::OK, content_type, "ok").into_response())
}

fn text_response(body: String) -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=UTF-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (StatusCode::OK, headers, body).into_response()
}

/// Closes the connection if a GET is dropped before it answered (the client went away).
struct CloseOnDrop<'a>(Option<&'a EngineConnection>);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(socket) = self.0.take() {
            socket.close(CloseReason::TransportError);
        }
    }
}

/// Frees the one POST slot when the POST ends, however it ends, and tells an upgrade waiting for it.
struct PostInFlight<'a>(&'a PollingLink);

impl Drop for PostInFlight<'_> {
    fn drop(&mut self) {
        self.0.post_in_flight.store(false, Ordering::SeqCst);
        self.0.post_done.notify_waiters();
    }
}
