//! The sync pipeline: what turns a client's `sync` event (or an HTTP trigger) into a server-stage
//! call, an answer to the sender and frames for every member of the room.
//!
//! Map, in the order data flows:
//! - `socket` (Socket.IO entry: CONNECT, events) and `http` (the trigger) receive requests;
//! - `request` checks their shape and `name` parses sync names; `peer` says who sent them;
//! - `service` runs the checks and the server stage, `limiter` counts rate, `convert` moves JSON to
//!   MessagePack and back;
//! - `fanout` delivers to the room, running the client stage; `envelope` writes every answer and is
//!   the only place that translates; `reply` sends the one answer per request;
//! - `rooms` and `room_memory` handle the room events and remembered rooms; `failure` lists codes.
//!
//! It depends on the protocol, plugin, session and i18n layers; none of them depends on it.

pub(crate) mod convert;
mod envelope;
mod failure;
mod fanout;
mod http;
mod limiter;
mod name;
mod peer;
mod reply;
pub(crate) mod request;
mod room_memory;
mod rooms;
mod service;
mod socket;
mod stats;

pub use envelope::Envelopes;
pub use failure::{Code, Failure};
pub use fanout::Delivered;
pub use http::router;
pub use name::SyncName;
pub use peer::Peer;
pub use service::SyncService;
pub use socket::SyncGateway;
pub use stats::SyncTotals;
