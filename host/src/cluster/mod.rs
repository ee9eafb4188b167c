//! The Redis implementations of the cluster seam: what lets N nodes behind a load balancer behave as
//! one. The traits live with the layers that use them ([`crate::sync::SyncBus`],
//! [`crate::sync::RateWindows`], [`crate::store::Kv`], [`crate::store::RoomMemory`]); this module
//! only implements them over Redis and is chosen by `[cluster]`. A node without that section never
//! touches this module.
//!
//! - `bus`: prepared syncs over Redis pub/sub, once per sync, in order per publisher.

mod bus;

pub use bus::{ClusterError, RedisBus};

/// This node's id: the configured one, or a random one for the life of the process.
pub fn node_id(section: &crate::config::ClusterSection) -> String {
    section
        .node_id
        .clone()
        .unwrap_or_else(|| format!("node-{:016x}", rand::random::<u64>()))
}
