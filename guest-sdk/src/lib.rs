//! Write synchost sync handlers as plain Rust functions.
//!
//! A sync has an optional **server stage**, run once per request with the caller's session,
//! and an optional **client stage**, run once per recipient to decide what that recipient
//! receives. Each stage is its own wasm32-wasip2 component file,
//! `<page>/_sync/<name>_<server|client>_v<n>.wasm`. With this crate a stage is one function
//! with serde input and output types, exported by one macro line; the SDK does the MessagePack
//! decoding and encoding, batches recipients, and turns bad input into `sync.invalidInputType`.
//!
//! The same code runs natively under `cargo test`: on non-wasm targets the host functions
//! ([`host`], [`kv`], [`rooms`], [`config`]) talk to an in-memory fake that [`testing`]
//! controls, and [`testing::run_server`] / [`testing::run_client`] call a handler the way the
//! host does.
//!
//! # Example
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use synchost_sdk::{Auth, ServerContext, SyncError};
//!
//! // `JsonSchema` describes the types to the TypeScript client (`synchost types`).
//! #[derive(Deserialize, JsonSchema)]
//! struct Move { from: String, to: String }
//!
//! #[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq)]
//! #[serde(rename_all = "camelCase")]
//! struct Moved { from: String, to: String, moved_by: String }
//!
//! fn move_piece(ctx: ServerContext<Move>) -> Result<Moved, SyncError> {
//!     let player = ctx.require_caller()?.id.clone();
//!     if ctx.input.from == ctx.input.to {
//!         // The error path: a stable code, params for the message, an HTTP status.
//!         return Err(SyncError::new("chess.illegalMove")
//!             .param("from", ctx.input.from.as_str())
//!             .param("to", ctx.input.to.as_str())
//!             .status(422));
//!     }
//!     Ok(Moved { from: ctx.input.from, to: ctx.input.to, moved_by: player })
//! }
//!
//! synchost_sdk::server!(auth = Auth::login(), handler = move_piece);
//!
//! // Natively, the same function runs against the fake host:
//! use synchost_sdk::{testing, Session};
//! #[derive(Serialize)]
//! struct Input<'a> { from: &'a str, to: &'a str }
//!
//! let alice = Some(Session::new("alice"));
//! let moved = testing::run_server(move_piece, &Input { from: "e2", to: "e4" }, alice.clone(), "game");
//! assert_eq!(moved.unwrap().moved_by, "alice");
//!
//! let refused = testing::run_server(move_piece, &Input { from: "e2", to: "e2" }, alice, "game");
//! let error = refused.unwrap_err();
//! assert_eq!(error.code, "chess.illegalMove");
//! assert_eq!(error.http_status, Some(422));
//! ```
//!
//! A client stage returns a [`ClientOutcome`] per recipient:
//!
//! ```
//! use synchost_sdk::{ClientContext, ClientOutcome, Ignored, SyncError};
//!
//! fn only_admins(ctx: ClientContext<'_, Ignored, ()>) -> Result<ClientOutcome<()>, SyncError> {
//!     Ok(match ctx.recipient {
//!         Some(session) if session.admin => ClientOutcome::DeliverPlain,
//!         _ => ClientOutcome::Skip,
//!     })
//! }
//!
//! synchost_sdk::client!(handler = only_admins);
//! ```
//!
//! A room's **join handler** decides who may join the rooms whose policy names it
//! (`join = "<page>/<name>@v<n>"` in the operator's `[rooms]`); it is the file
//! `<page>/_sync/<name>_join_v<n>.wasm`:
//!
//! ```
//! use synchost_sdk::{Auth, JoinContext, SyncError, testing, Session};
//!
//! fn only_vips(ctx: JoinContext) -> Result<(), SyncError> {
//!     let session = ctx.require_session()?;
//!     if session.roles.iter().any(|role| role == "vip") {
//!         Ok(())
//!     } else {
//!         Err(SyncError::new("lounge.vipOnly").param("room", ctx.room.as_str()).status(403))
//!     }
//! }
//!
//! synchost_sdk::join!(auth = Auth::login(), handler = only_vips);
//!
//! let guest = Session::new("guest");
//! assert_eq!(testing::run_join(only_vips, "lounge", Some(guest)).unwrap_err().code, "lounge.vipOnly");
//! ```
//!
//! Build a handler crate (`crate-type = ["cdylib"]`) with
//! `cargo build --release --target wasm32-wasip2`; the `.wasm` it produces is the component.

mod auth;
#[doc(hidden)]
pub mod bindings;
pub mod config;
mod dispatch;
mod error;
mod exports;
pub mod host;
pub mod kv;
mod macros;
pub mod msgpack;
pub mod rooms;
mod scalar;
pub mod schema;
mod session;
mod stage;

#[cfg(target_family = "wasm")]
mod imports;
#[cfg(not(target_family = "wasm"))]
pub mod testing;

#[cfg(target_family = "wasm")]
use imports as backend;
#[cfg(not(target_family = "wasm"))]
use testing::fake as backend;

pub use auth::{Auth, Condition, ValueType};
pub use error::SyncError;
pub use error::{AUTH_REQUIRED, INVALID_CLIENT_RESPONSE, INVALID_INPUT, INVALID_SERVER_RESPONSE};
pub use host::HostError;
pub use scalar::Scalar;
pub use schema::{Ignored, StageSchemas};
pub use session::Session;
pub use stage::{ClientContext, ClientOutcome, IntoOutput, JoinContext, Output, ServerContext};

/// What the export macros expand to; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::client;
    pub use crate::bindings::join;
    pub use crate::bindings::server;
    pub use crate::bindings::server::synchost::plugin::types as wit;
    pub use crate::exports::{decide, deliver, join_metadata, metadata, serve};
    pub use crate::schema::{client_schemas, server_schemas};
}
