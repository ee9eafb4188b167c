//! Engine.IO v4: the handshake, HTTP long-polling, WebSocket, the upgrade from polling, heartbeats and the
//! bounded outgoing queue of each connection.
//!
//! This layer knows nothing of Socket.IO, rooms, syncs or plugins. It hands every Engine.IO `message`
//! packet up through [`EngineHandler`], and upper layers write back through [`EngineConnection`].
//! Messages are framed once ([`Message::text`], [`Message::binary`]) and can be shared by any number of
//! connections without copying. [`Engine`] answers the requests `http::engine_router` gives it.
//!
//! Codemap: `packet` (pure codec), `engine` (connection table, request validation), `polling`,
//! `websocket`, `upgrade` (probe and handover), `driver` (the per-connection task), `heartbeat`,
//! `connection` (the handle), `outbox` (its queue), `admission` (the cap on pending connections), `error`
//! (Node's error responses).

mod admission;
mod config;
mod connection;
mod driver;
mod engine;
mod error;
mod handler;
mod heartbeat;
mod message;
mod metrics;
mod outbox;
pub(crate) mod packet;
mod polling;
mod polling_link;
mod upgrade;
mod websocket;

pub use config::{AllowedOrigins, ConfigError, CorsConfig, EngineConfig, TransportKind};
pub use connection::{EngineConnection, SendError};
pub use engine::Engine;
pub use handler::{CloseReason, EngineHandler, Incoming, Ready, RequestInfo};
pub use message::{Message, TextFrame};
pub use metrics::{MetricsSnapshot, TransportMetrics};
pub use outbox::{Outbox, Outgoing};
