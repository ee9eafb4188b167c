//! Socket.IO v5 over Engine.IO: packets, namespaces, acknowledgements, binary attachments.
//!
//! The transport hands every Engine.IO message to [`SocketIo`] (an [`crate::transport::EngineHandler`]);
//! this layer decodes packets ([`packet`], [`binary`]), keeps each client's sockets per namespace, and
//! calls the [`NamespaceHandler`] of each namespace. Upper layers talk back through [`Socket`],
//! [`Namespace`] and [`Broadcast`]. It never imports sync, plugin or session code, and a bad packet
//! closes only the connection that sent it.
//!
//! Node's socket.io 4.8 is the reference: outgoing packets are its exact strings, and event
//! arguments stay raw JSON ([`Args`]) so they pass through byte for byte.

mod ack;
mod args;
pub mod binary;
mod conformance;
mod connection;
pub mod emit;
mod handler;
mod namespace;
pub mod packet;
mod server;
mod socket;
mod tap;

pub use ack::{AckError, AckReply, AckSender};
pub use args::{Args, ArgsError};
pub use conformance::{Echo as ConformanceEcho, conformance_server};
pub use connection::Connection;
pub use handler::{BoxFuture, ConnectError, DisconnectReason, Event, NamespaceHandler};
pub use namespace::{Broadcast, Namespace, NamespaceRooms};
pub use server::{Config, SocketIo, SocketIoBuilder};
pub use socket::{EmitError, Socket};
pub use tap::{Direction, EventTap, TappedEvent};

#[cfg(test)]
mod tests;
