//! The plugin runtime: runs sync handlers (wasm32-wasip2 components) in wasmtime sandboxes.
//!
//! Map of this module, in the order data flows:
//! - `names` parses `<page>/_sync/<name>_<server|client|join>_v<n>.wasm`;
//! - `registry` scans the root, `loader` (+ `loader::cache`) compiles and links each file, and the
//!   route table is published atomically, each version with exactly the stages it was first
//!   published with (`stage_sets`); `reload` watches files and the config;
//! - `runtime` is the public entry; `call` runs one sync's stages on `worker` threads, `join` one
//!   call of a room's join handler;
//! - `instance` keeps warm instances, `limits` arms budgets and classifies failures,
//!   `msgpack_check` checks outputs, `fan_out_budget` bounds one sync's client outputs, `host_impl`
//!   answers the imports; `metrics` counts each route version's calls, failures and costs; `engine` owns the one wasmtime `Config`, `bindings` the one WIT binding.
//!
//! Nothing here panics on plugin behaviour: every failure becomes a [`PluginError`] with an
//! [`ErrorCode`], and a handler's own refusal is passed through as data.

pub mod bindings;
mod call;
mod engine;
mod error;
mod fan_out_budget;
pub(crate) mod folder;
mod host_impl;
mod instance;
mod join;
mod limits;
pub mod loader;
mod log;
pub mod metrics;
pub(crate) mod msgpack_check;
pub mod names;
mod pack;
mod registry;
mod reload;
mod rooms;
mod route;
mod runtime;
mod stage_sets;
mod status;
mod waits;
mod worker;

pub use crate::config::{RouteKey, Stage};
pub use bindings::{
    AuthCondition, AuthSpec, ErrorParam, HandlerError, Scalar, Session, StageMetadata, ValueType,
};
pub use call::{ClientBatchCall, Followed, RecipientOutcome, ServerCall, SyncCall};
pub use engine::EPOCH_TICK_MS;
pub use error::{Error, ErrorCode, PluginError, StageError};
pub use fan_out_budget::FanOutBudget;
pub use host_impl::{MAX_MEMBERS_PAGE, MAX_RANDOM_BYTES};
pub use loader::LoadError;
pub use loader::cache::CacheStats;
pub use registry::ScanHook;
pub use rooms::{MemoryRooms, RoomDirectory, RoomsUnavailable};
pub use route::{LoadedStage, Route};
pub use runtime::{PluginRuntime, RuntimeOptions};
pub use status::{
    FileError, JoinStatus, LoadCount, PoolStats, RegistryStatus, RouteStatus, StageStatus,
    UnavailableRoute,
};
