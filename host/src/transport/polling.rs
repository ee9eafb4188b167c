//! HTTP long-polling: the handshake over GET, held GETs that return every queued packet in one body,
//! and POSTs that carry packets from the client.
//!
//! At most one GET and one POST may be in flight per session; an overlap closes the session, as in Node.
//! Requests never call the upper layer: POSTed packets go to the session task in order, and GETs only
//! drain the outgoing queue. While an upgrade is under way a GET is answered with a noop (`6`) so the
//! client can move to the WebSocket.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::WebSocket;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;

use super::engine::{EngineInner, SessionEntry};
use super::error::RequestError;
use super::packet::{self, Packet, SEPARATOR};
use super::{
    CloseReason, EngineHandler, EngineSocket, Message, RequestInfo, TransportKind, session,
};

/// How long a GET waits for an upgrade in progress to finish before it is answered with a noop
/// (Node re-checks every 100 ms while upgrading).
const UPGRADE_NOOP_DELAY: Duration = Duration::from_millis(100);

/// POST bodies waiting for the session task; POSTs are one at a time, so this only absorbs a handover.
const INBOUND_CAPACITY: usize = 4;

/// Upgrade progress, in [`PollingLink::upgrade`].
const UPGRADE_NONE: u8 = 0;
const UPGRADE_PENDING: u8 = 1;
const UPGRADE_DONE: u8 = 2;

/// What reaches the session task of a polling session.
pub(crate) enum Inbound {
    /// The packets of one POST body, in order.
    Packets(Vec<Packet>),
    /// The upgrade finished: this WebSocket now carries the session.
    Upgrade(Box<WebSocket>),
}

/// The state polling requests share with the session task.
pub(crate) struct PollingLink {
    /// The outgoing queue; locked by the one GET in flight, taken by the WebSocket after an upgrade.
    rx: Mutex<Option<mpsc::Receiver<Message>>>,
    pub(crate) inbound: mpsc::Sender<Inbound>,
    post_in_flight: AtomicBool,
    ping_pending: AtomicBool,
    /// Set when the client closed the session: the first GET to come (held or late) gets a noop.
    close_noop: AtomicBool,
    /// When the pong for the ping in flight is due: requests arriving later see the session as timed
    /// out even if the session task has not woken up yet.
    pong_deadline: std::sync::Mutex<Option<Instant>>,
    upgrade: AtomicU8,
}

impl PollingLink {
    /// Whether the session moved to a WebSocket; polling is refused from then on.
    pub(crate) fn is_upgraded(&self) -> bool {
        self.upgrade.load(Ordering::Acquire) == UPGRADE_DONE
    }

    /// Claims the one upgrade a session may have; false if one is under way or done.
    pub(crate) fn begin_upgrade(&self) -> bool {
        self.upgrade
            .compare_exchange(
                UPGRADE_NONE,
                UPGRADE_PENDING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Marks the upgrade done, at once on receipt of `5`, so a GET sent right after it is refused.
    pub(crate) fn complete_upgrade(&self) {
        self.upgrade.store(UPGRADE_DONE, Ordering::Release);
    }

    /// The upgrade failed; polling goes on.
    pub(crate) fn abort_upgrade(&self) {
        let _ = self.upgrade.compare_exchange(
            UPGRADE_PENDING,
            UPGRADE_NONE,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Queues a ping for the next GET; its pong is due at `pong_deadline`.
    pub(crate) fn queue_ping(&self, pong_deadline: Option<Instant>) {
        self.set_pong_deadline(pong_deadline);
        self.ping_pending.store(true, Ordering::Release);
    }

    /// Records when the pong in flight is due (`None`: no ping in flight).
    pub(crate) fn set_pong_deadline(&self, deadline: Option<Instant>) {
        *self
            .pong_deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = deadline;
    }

    /// Whether the pong in flight is overdue.
    fn pong_overdue(&self) -> bool {
        let deadline = *self
            .pong_deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// The client closed the session: offer the noop that ends its GET, held or about to arrive.
    pub(crate) fn offer_close_noop(&self) {
        self.close_noop.store(true, Ordering::Release);
    }

    /// Whether the noop offered at a client close is still waiting for its GET.
    pub(crate) fn close_noop_pending(&self) -> bool {
        self.close_noop.load(Ordering::Acquire)
    }

    /// Takes the outgoing queue for the WebSocket; waits for a GET in flight to finish.
    pub(crate) async fn take_queue(&self) -> Option<mpsc::Receiver<Message>> {
        self.rx.lock().await.take()
    }
}

/// Opens a polling session: the body of the first GET is the `open` packet plus anything the upper
/// layer queued in `on_open`.
pub(crate) fn handshake<H: EngineHandler>(
    inner: &Arc<EngineInner<H>>,
    info: RequestInfo,
) -> Response {
    let opened = Instant::now();
    let (socket, mut rx) = inner.new_socket(info);
    let upgrades: &[TransportKind] = if inner.config.allows(TransportKind::Websocket) {
        &[TransportKind::Websocket]
    } else {
        &[]
    };
    let mut body = inner.open_packet(socket.id(), upgrades);
    let connection = inner.handler.on_open(socket.clone());
    while let Ok(message) = rx.try_recv() {
        body.push(SEPARATOR);
        packet::encode_polling(&message, &mut body);
    }
    let (inbound, inbound_rx) = mpsc::channel(INBOUND_CAPACITY);
    let link = Arc::new(PollingLink {
        rx: Mutex::new(Some(rx)),
        inbound,
        post_in_flight: AtomicBool::new(false),
        ping_pending: AtomicBool::new(false),
        close_noop: AtomicBool::new(false),
        pong_deadline: std::sync::Mutex::new(None),
        upgrade: AtomicU8::new(UPGRADE_NONE),
    });
    inner.insert(SessionEntry {
        socket: socket.clone(),
        polling: Some(link.clone()),
    });
    tokio::spawn(session::run_polling(
        inner.clone(),
        socket,
        link,
        inbound_rx,
        connection,
        opened,
    ));
    text_response(body)
}

/// Serves a GET or POST on an open polling session.
pub(crate) async fn serve<H: EngineHandler>(
    inner: &EngineInner<H>,
    socket: &EngineSocket,
    link: &PollingLink,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RequestError> {
    if link.pong_overdue() {
        socket.close(CloseReason::PingTimeout);
    }
    // A closed session is unknown, except that the one GET racing a client's close gets its noop.
    if socket.is_closed() && !(*method == Method::GET && link.close_noop.load(Ordering::Acquire)) {
        return Err(RequestError::UnknownSession);
    }
    match *method {
        Method::GET => poll(socket, link).await,
        Method::POST => push(inner.config.max_payload_bytes, socket, link, headers, body).await,
        _ => Err(RequestError::UnsupportedMethod),
    }
}

/// A held GET: waits for packets (or a ping, a close, an upgrade) and returns all of them in one body.
async fn poll(socket: &EngineSocket, link: &PollingLink) -> Result<Response, RequestError> {
    let Ok(mut queue) = link.rx.try_lock() else {
        socket.close(CloseReason::TransportError);
        return Err(RequestError::Overlap);
    };
    let rx = queue.as_mut().ok_or(RequestError::BadRequest)?;
    // A GET whose client goes away mid-wait ends the session, as in Node.
    let mut abort = CloseOnDrop(Some(socket));
    let mut noop_at: Option<Instant> = None;
    let body = loop {
        let notified = socket.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(reason) = socket.close_reason() {
            // The client's own close gets a noop (once); any other close tells the client with `1`.
            if reason != CloseReason::ClientClose {
                break "1".to_owned();
            }
            if link.close_noop.swap(false, Ordering::AcqRel) {
                break "6".to_owned();
            }
            abort.0 = None;
            return Err(RequestError::UnknownSession);
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
                message = rx.recv() => match message {
                    Some(message) => break drain(link, rx, Some(message)).unwrap_or_default(),
                    None => break "1".to_owned(),
                },
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
fn drain(
    link: &PollingLink,
    rx: &mut mpsc::Receiver<Message>,
    first: Option<Message>,
) -> Option<String> {
    let mut body = String::new();
    if link.ping_pending.swap(false, Ordering::AcqRel) {
        body.push('2');
    }
    let mut next = first.or_else(|| rx.try_recv().ok());
    while let Some(message) = next {
        if !body.is_empty() {
            body.push(SEPARATOR);
        }
        packet::encode_polling(&message, &mut body);
        next = rx.try_recv().ok();
    }
    (!body.is_empty()).then_some(body)
}

/// A POST: reads at most `max_payload` bytes, parses the whole body, hands the packets on in order.
async fn push(
    max_payload: usize,
    socket: &EngineSocket,
    link: &PollingLink,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RequestError> {
    if link.post_in_flight.swap(true, Ordering::AcqRel) {
        socket.close(CloseReason::TransportError);
        return Err(RequestError::Overlap);
    }
    let _in_flight = PostInFlight(&link.post_in_flight);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    // Refuse before reading when the client announces too much; otherwise stop reading at the limit.
    if declared.is_some_and(|length| length > max_payload as u64) {
        return Err(RequestError::PayloadTooLarge);
    }
    let bytes = match axum::body::to_bytes(body, max_payload).await {
        Ok(bytes) => bytes,
        Err(error) if is_length_limit(&error) => return Err(RequestError::PayloadTooLarge),
        Err(_) => {
            socket.close(CloseReason::TransportError);
            return Err(RequestError::BadRequest);
        }
    };
    let packets = packet::parse_payload(&bytes).map_err(|_| {
        socket.close(CloseReason::ParseError);
        RequestError::BadRequest
    })?;
    link.inbound
        .send(Inbound::Packets(packets))
        .await
        .map_err(|_| RequestError::UnknownSession)?;
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))];
    Ok((StatusCode::OK, content_type, "ok").into_response())
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
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

/// Closes the session if a GET is dropped before it answered (the client went away).
struct CloseOnDrop<'a>(Option<&'a EngineSocket>);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(socket) = self.0.take() {
            socket.close(CloseReason::TransportError);
        }
    }
}

/// Frees the one POST slot when the POST ends, however it ends.
struct PostInFlight<'a>(&'a AtomicBool);

impl Drop for PostInFlight<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
