//! The Redis implementations of the cluster seam: what lets N nodes behind a load balancer behave as
//! one. The traits live with the layers that use them ([`crate::sync::SyncBus`],
//! [`crate::sync::RateWindows`], [`crate::store::Kv`], [`crate::store::RoomMemory`]); this module
//! only implements them over Redis and is chosen by `[cluster]`. A node without that section never
//! touches this module.
//!
//! - `bus`: prepared syncs over Redis pub/sub, once per sync, in order per publisher.
//! - `shared` ([`connect`]): the state nodes share (kv, remembered rooms, rate windows) on one
//!   self-reconnecting connection (`redis_conn`), under the key names of `keys`.
//! - `redis_presence` ([`RedisPresence`]): every live node's room members, for the plugins'
//!   `rooms.size` and `rooms.members`, with a heartbeat so a dead node stops counting.

mod bus;
mod keys;
mod presence_mirror;
mod presence_writer;
mod redis_conn;
mod redis_kv;
mod redis_presence;
mod redis_rates;
mod redis_rooms;
mod shared;

pub use bus::{ClusterError, RedisBus};
pub use redis_conn::RedisConn;
pub use redis_kv::RedisKv;
pub use redis_presence::{Alive, RedisPresence};
pub use redis_rates::{RETRY_AFTER, RedisRates};
pub use redis_rooms::RedisRooms;
pub use shared::{SharedState, connect};

/// This node's id: the configured one, or a random one for the life of the process.
pub fn node_id(section: &crate::config::ClusterSection) -> String {
    section
        .node_id
        .clone()
        .unwrap_or_else(|| format!("node-{:016x}", rand::random::<u64>()))
}
