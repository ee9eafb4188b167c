//! Engine.IO v4: the handshake, HTTP long-polling, WebSocket, the upgrade from polling, heartbeats and the
//! bounded outgoing queue of each connection.
//!
//! This layer knows nothing of Socket.IO, rooms, syncs or plugins. It hands every Engine.IO `message`
//! packet up through [`EngineHandler`], and upper layers write back through [`EngineSocket`].
//! Messages are framed once ([`Message::text`], [`Message::binary`]) and can be shared by any number of
//! connections without copying. [`Engine`] answers the requests `http::engine_router` gives it.
//!
//! Codemap: `packet` (pure codec), `engine` (session table, request validation), `polling`,
//! `websocket`, `upgrade` (probe and handover), `session` (the per-connection task), `heartbeat`,
//! `socket` (the handle), `outbox` (its queue), `admission` (the cap on pending sessions), `error`
//! (Node's error responses).

mod admission;
mod config;
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
mod session;
mod socket;
mod upgrade;
mod websocket;

pub use config::{AllowedOrigins, ConfigError, CorsConfig, EngineConfig, TransportKind};
pub use engine::Engine;
pub use handler::{CloseReason, EngineHandler, Incoming, RequestInfo};
pub use message::{Message, TextFrame};
pub use metrics::{MetricsSnapshot, TransportMetrics};
pub use outbox::Outbox;
pub use socket::{EngineSocket, SendError};
