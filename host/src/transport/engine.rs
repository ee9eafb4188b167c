//! The engine: the table of open connections and the dispatch of every request on the mount path.
//!
//! Validates a request in Node's order (transport, sid, method, protocol version) and hands it to the
//! polling or WebSocket code. Owns the connection table; must never hold its lock across an await or while
//! calling the upper layer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;

use super::admission::PendingSlot;
use super::error::RequestError;
use super::polling;
use super::polling_link::PollingLink;
use super::{
    CloseReason, ConfigError, EngineConfig, EngineConnection, EngineHandler, Outbox, RequestInfo,
};
use super::{TransportKind, TransportMetrics};
use super::{upgrade as probe, websocket};

/// An Engine.IO server: give it every request on its path (see `http::engine_router`). Cheap to clone.
pub struct Engine<H: EngineHandler> {
    inner: Arc<EngineInner<H>>,
}

impl<H: EngineHandler> Clone for Engine<H> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

/// What every request and connection task of one engine shares.
pub(crate) struct EngineInner<H: EngineHandler> {
    pub(crate) config: EngineConfig,
    pub(crate) handler: H,
    pub(crate) metrics: Arc<TransportMetrics>,
    connections: Mutex<HashMap<Box<str>, ConnectionEntry>>,
    /// Set by [`Engine::refuse_new`]: handshakes are answered 503 from then on.
    refusing: AtomicBool,
}

/// One open connection in the table.
#[derive(Clone)]
pub(crate) struct ConnectionEntry {
    pub(crate) socket: EngineConnection,
    /// Present for connections opened over polling, also after they upgraded.
    pub(crate) polling: Option<Arc<PollingLink>>,
}

/// The query parameters Engine.IO reads; others (`t`, the upper layer's) are ignored.
#[derive(Debug, Default, Deserialize)]
struct EngineQuery {
    #[serde(rename = "EIO")]
    eio: Option<String>,
    transport: Option<String>,
    sid: Option<String>,
}

impl<H: EngineHandler> Engine<H> {
    /// An engine with these settings, handing connections to `handler`.
    ///
    /// # Errors
    /// When the settings cannot work (see [`EngineConfig::validate`]).
    pub fn new(config: EngineConfig, handler: H) -> Result<Self, ConfigError> {
        config.validate()?;
        let inner = EngineInner {
            config,
            handler,
            metrics: Arc::default(),
            connections: Mutex::default(),
            refusing: AtomicBool::new(false),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The upper layer.
    pub fn handler(&self) -> &H {
        &self.inner.handler
    }

    /// Counters for operators.
    pub fn metrics(&self) -> &TransportMetrics {
        &self.inner.metrics
    }

    /// Sessions currently in the table (handshaken and not yet closed).
    pub fn connection_count(&self) -> usize {
        self.inner.connections().len()
    }

    /// Refuses every handshake from now on (503, `Retry-After`), for a server that is shutting
    /// down; open connections are not touched.
    pub fn refuse_new(&self) {
        self.inner.refusing.store(true, Ordering::Release);
    }

    /// Closes every connection with [`CloseReason::ServerShutdown`]. Each transport first writes
    /// what is already queued for its client, then closes as Node's `io.close()` does: a WebSocket
    /// gets a close frame, a held or next polling GET gets the `close` packet. No Socket.IO
    /// DISCONNECT is sent, so clients treat it as a lost transport and reconnect.
    pub fn shutdown(&self) {
        let sockets: Vec<EngineConnection> = self
            .inner
            .connections()
            .values()
            .map(|e| e.socket.clone())
            .collect();
        for socket in sockets {
            socket.close(CloseReason::ServerShutdown);
        }
    }

    /// Answers one request on the mount path (any method, polling or WebSocket upgrade).
    pub async fn handle(&self, request: Request) -> Response {
        let (mut parts, body) = request.into_parts();
        let upgrade = is_websocket_upgrade(&parts.headers);
        match self.route(&mut parts, body, upgrade).await {
            Ok(response) => response,
            Err(error) if upgrade => error.into_upgrade_response(),
            Err(error) => error.into_response(),
        }
    }

    async fn route(
        &self,
        parts: &mut axum::http::request::Parts,
        body: Body,
        upgrade: bool,
    ) -> Result<Response, RequestError> {
        let inner = &self.inner;
        let query = Query::<EngineQuery>::try_from_uri(&parts.uri)
            .map_err(|_| RequestError::BadRequest)?
            .0;
        let transport = match query.transport.as_deref() {
            Some("polling") => TransportKind::Polling,
            Some("websocket") => TransportKind::Websocket,
            _ => return Err(RequestError::UnknownTransport),
        };
        if !inner.config.allows(transport) {
            return Err(RequestError::UnknownTransport);
        }
        if upgrade {
            if transport != TransportKind::Websocket {
                return Err(RequestError::BadRequest);
            }
            let origin = parts
                .headers
                .get(header::ORIGIN)
                .and_then(|o| o.to_str().ok());
            if !inner.config.cors.origins.allows(origin) {
                return Err(RequestError::Forbidden);
            }
        }
        if let Some(sid) = query.sid {
            let connection = inner
                .connection(&sid)
                .ok_or(RequestError::UnknownConnection)?;
            if upgrade {
                if connection.socket.is_closed() {
                    return Err(RequestError::UnknownConnection);
                }
                return probe::upgrade(inner, parts, connection).await;
            }
            // Polling on a connection that is (or became) a WebSocket one is a transport mismatch.
            let link = match (&connection.polling, transport) {
                (Some(link), TransportKind::Polling) if !link.is_upgraded() => link.clone(),
                _ => return Err(RequestError::BadRequest),
            };
            return polling::serve(
                inner,
                &connection.socket,
                &link,
                &parts.method,
                &parts.headers,
                body,
            )
            .await;
        }
        if parts.method != Method::GET {
            return Err(RequestError::BadHandshakeMethod);
        }
        if transport == TransportKind::Websocket && !upgrade {
            return Err(RequestError::BadRequest);
        }
        if query.eio.as_deref() != Some("4") {
            return Err(RequestError::UnsupportedProtocolVersion);
        }
        if inner.refusing.load(Ordering::Acquire) {
            return Err(RequestError::ShuttingDown);
        }
        let Some(slot) =
            PendingSlot::try_take(&inner.metrics, inner.config.max_pending_connections)
        else {
            inner.metrics.record_busy_refusal();
            return Err(RequestError::TooManyPending);
        };
        let info = RequestInfo {
            headers: kept_headers(&parts.headers, inner.handler.request_headers()),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            remote_addr: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
        };
        match transport {
            TransportKind::Polling => Ok(polling::handshake(inner, info, slot)),
            TransportKind::Websocket => websocket::handshake(inner, parts, info, slot).await,
        }
    }
}

impl<H: EngineHandler> EngineInner<H> {
    fn connections(&self) -> MutexGuard<'_, HashMap<Box<str>, ConnectionEntry>> {
        // The table holds plain data and every critical section is a single map operation, so a panic
        // elsewhere cannot leave it half-updated: recovering from poisoning is safe.
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A connection in the table; it may be closing (see `polling::serve`).
    fn connection(&self, sid: &str) -> Option<ConnectionEntry> {
        self.connections().get(sid).cloned()
    }

    /// A new socket with a fresh, unguessable id, and the receiving end of its queue. It holds `slot`
    /// until the upper layer accepts it or it finishes.
    pub(crate) fn new_socket(
        &self,
        request: RequestInfo,
        slot: PendingSlot,
    ) -> (EngineConnection, Outbox) {
        // 15 random bytes from the thread-local CSPRNG, 20 characters of base64url, like Node.
        let bytes: [u8; 15] = rand::random();
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        self.metrics.record_open();
        EngineConnection::new(
            id.into(),
            request,
            (self.config.queue_capacity, self.config.queue_max_bytes),
            self.metrics.clone(),
            Some(slot),
        )
    }

    pub(crate) fn insert(&self, entry: ConnectionEntry) {
        self.connections().insert(entry.socket.id().into(), entry);
    }

    /// Drops a connection from the table; later requests with its sid get "Session ID unknown".
    pub(crate) fn remove(&self, sid: &str) {
        self.connections().remove(sid);
    }

    /// The `open` packet: exactly the five keys clients check, in Node's order.
    pub(crate) fn open_packet(&self, sid: &str, upgrades: &[TransportKind]) -> String {
        let upgrades: Vec<&str> = upgrades.iter().map(|t| t.as_str()).collect();
        let payload = serde_json::json!({
            "sid": sid,
            "upgrades": upgrades,
            "pingInterval": self.config.ping_interval_ms,
            "pingTimeout": self.config.ping_timeout_ms,
            "maxPayload": self.config.max_payload_bytes,
        });
        format!("0{payload}")
    }
}

/// A copy of the headers in `keep` (the ones the upper layer reads), owning its bytes; every other
/// header is dropped, so a connection keeps a few headers, not the whole request. The parsed values are
/// slices of the connection's read buffer, so keeping them would keep that whole buffer alive too.
fn kept_headers(headers: &HeaderMap, keep: &[HeaderName]) -> HeaderMap {
    let mut owned = HeaderMap::new();
    for (name, value) in headers.iter().filter(|(name, _)| keep.contains(name)) {
        let mut copy = HeaderValue::from_bytes(value.as_bytes())
            // The bytes come from a valid header value, so they are valid again.
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}
