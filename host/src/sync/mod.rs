//! The sync pipeline: what turns a client's `sync` event (or an HTTP trigger) into a server-stage
//! call, an answer to the sender and frames for every member of the room.
//!
//! Map, in the order data flows:
//! - `gateway` (Socket.IO entry: CONNECT, events) and `http` (the trigger) receive requests; a
//!   connection's syncs and room events run in order on its `lane`;
//! - `request` checks their shape and `name` parses sync names; `peer` says who sent them;
//! - `service` runs the checks and the server stage, `limiter` counts rate, `convert` moves JSON to
//!   MessagePack and back;
//! - `fanout` delivers to the room, running the client stage; `envelope` writes every answer and is
//!   the only place that translates; `reply` sends the one answer per request;
//! - `rooms` handles the room events under the operator's `room_policy`, `room_queries` answers
//!   the plugins' `rooms` capability; `expiry` ends sessions with their token and renews them;
//!   `failure` lists codes;
//! - `drain` counts accepted requests and refuses new ones once the server shuts down;
//! - `seams` bundles what a cluster shares (remembered rooms, rate windows, the fan-out `bus`).
//!
//! It depends on the protocol, plugin, session and i18n layers; none of them depends on it.

mod bus;
pub(crate) mod convert;
mod drain;
mod envelope;
mod expiry;
mod failure;
mod fanout;
mod frames;
mod gateway;
mod http;
mod lane;
mod limiter;
mod name;
mod peer;
mod presence;
mod remote;
mod reply;
pub(crate) mod request;
mod room_policy;
mod room_queries;
mod rooms;
mod seams;
mod service;
mod stats;

pub use bus::{BusError, BusStats, SoloBus, SyncBus, WIRE_VERSION, WireError, WireSync};
pub use drain::{Drain, Working};
pub use envelope::Envelopes;
pub use failure::{Code, Failure};
pub use fanout::Delivered;
pub use gateway::SyncGateway;
pub use http::router;
pub use limiter::{Identity, RateLimiter, RateWindows};
pub use name::SyncName;
pub use peer::Peer;
pub use presence::{NoPresence, Presence};
pub use room_queries::LocalRooms;
pub use seams::Seams;
pub use service::{Parts, SyncService};
pub use stats::SyncTotals;
