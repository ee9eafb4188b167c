//! The Socket.IO server: its configuration, its namespaces, and the [`EngineHandler`] the transport
//! calls for every connection.
//!
//! Namespaces are declared up front; a CONNECT to any other namespace is refused with Node's
//! "Invalid namespace". The server holds no per-connection state itself: each connection's state is
//! the [`Connection`] the transport keeps for it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderName;

use super::binary::DEFAULT_MAX_BINARY_BYTES;
use super::connection::Connection;
use super::handler::NamespaceHandler;
use super::namespace::{Namespace, NamespaceRooms};
use super::packet::DEFAULT_MAX_ATTACHMENTS;
use crate::transport::{CloseReason, EngineConnection, EngineHandler, Incoming, Ready};

/// Server settings, with Node's defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// A connection that joins no namespace within this time is closed (Node: 45 s).
    pub connect_timeout: Duration,
    /// The most binary attachments one packet may announce (Node: 10).
    pub max_attachments: usize,
    /// A binary packet whose attachments have not all arrived within this time closes its
    /// connection (Node: no limit). Default 30 s.
    pub binary_timeout: Duration,
    /// The most bytes (header and attachments) one binary packet may hold; past it the connection
    /// closes (Node: no limit beyond `maxHttpBufferSize` per message). Default 1,000,000.
    pub max_binary_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(45),
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
            binary_timeout: Duration::from_secs(30),
            max_binary_bytes: DEFAULT_MAX_BINARY_BYTES,
        }
    }
}

#[derive(Debug)]
pub(crate) struct ServerShared {
    pub(crate) config: Config,
    pub(crate) namespaces: HashMap<String, Namespace>,
    /// Every header some namespace handler reads, once each.
    request_headers: Vec<HeaderName>,
}

/// A Socket.IO server; cheap to clone. Give it to the transport as its [`EngineHandler`].
#[derive(Debug, Clone)]
pub struct SocketIo {
    shared: Arc<ServerShared>,
}

impl SocketIo {
    /// Starts building a server.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder {
            config: Config::default(),
            namespaces: HashMap::new(),
        }
    }

    /// The namespace called `name`, if it was declared.
    pub fn of(&self, name: &str) -> Option<Namespace> {
        self.shared.namespaces.get(name).cloned()
    }

    /// The server's settings.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }
}

impl EngineHandler for SocketIo {
    type Connection = Connection;

    fn request_headers(&self) -> &[HeaderName] {
        &self.shared.request_headers
    }

    fn on_open(&self, socket: EngineConnection) -> Connection {
        Connection::open(self.shared.clone(), socket)
    }

    fn on_message(&self, connection: &Connection, message: Incoming) {
        connection.on_message(message);
    }

    fn ready(&self, connection: &Connection) -> Option<Ready> {
        connection.ready()
    }

    fn on_close(&self, connection: &Connection, reason: CloseReason) {
        connection.on_close(reason);
    }
}

/// Declares the namespaces and settings of a [`SocketIo`].
#[must_use]
pub struct SocketIoBuilder {
    config: Config,
    namespaces: HashMap<String, (NamespaceRooms, Arc<dyn NamespaceHandler>)>,
}

impl SocketIoBuilder {
    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Sets the attachment limit per packet.
    pub fn max_attachments(mut self, max: usize) -> Self {
        self.config.max_attachments = max;
        self
    }

    /// Sets the time and byte budget of one binary packet's reassembly.
    pub fn binary_budget(mut self, timeout: Duration, max_bytes: usize) -> Self {
        self.config.binary_timeout = timeout;
        self.config.max_binary_bytes = max_bytes;
        self
    }

    /// Declares a namespace (`/`, `/admin`, ...) and its handler; a later declaration replaces an earlier one.
    pub fn namespace(self, name: impl Into<String>, handler: impl NamespaceHandler) -> Self {
        self.namespace_in(NamespaceRooms::new(name), handler)
    }

    /// Declares a namespace over rooms made beforehand ([`NamespaceRooms::new`]), so what its handler
    /// is built on can already hold them.
    pub fn namespace_in(mut self, rooms: NamespaceRooms, handler: impl NamespaceHandler) -> Self {
        self.namespaces
            .insert(rooms.name().to_owned(), (rooms, Arc::new(handler)));
        self
    }

    /// Builds the server.
    pub fn build(self) -> SocketIo {
        let mut request_headers: Vec<HeaderName> = Vec::new();
        for (_, handler) in self.namespaces.values() {
            for name in handler.request_headers() {
                if !request_headers.contains(name) {
                    request_headers.push(name.clone());
                }
            }
        }
        let namespaces = self
            .namespaces
            .into_iter()
            .map(|(name, (rooms, handler))| (name, Namespace::new(rooms, handler)))
            .collect();
        SocketIo {
            shared: Arc::new(ServerShared {
                config: self.config,
                namespaces,
                request_headers,
            }),
        }
    }
}
