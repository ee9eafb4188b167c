//! The Redis implementations of the cluster seam: the `kv` capability, remembered rooms and rate
//! windows shared by every node on one Redis, behind the same traits as one node's embedded store
//! and in-memory windows ([`crate::store::Kv`], [`crate::store::RoomMemory`],
//! [`crate::sync::RateWindows`]). It holds no socket and knows nothing of plugins or the pipeline;
//! [`connect`] builds the pieces from `[cluster]` and the server chooses them instead of the local
//! ones.

mod keys;
mod redis_conn;
mod redis_kv;
mod redis_rates;
mod redis_rooms;

use std::sync::Arc;
use std::time::Duration;

pub use redis_conn::RedisConn;
pub use redis_kv::RedisKv;
pub use redis_rates::{RETRY_AFTER, RedisRates};
pub use redis_rooms::RedisRooms;

use crate::config::ClusterSection;

/// Why the cluster's shared state could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `[cluster]` has no `redis_url`: this node is alone.
    #[error("cluster.redis_url is not set")]
    NotConfigured,
    /// The Redis client does not accept the URL.
    #[error("cluster.redis_url is not a usable Redis URL")]
    Url(#[source] redis::RedisError),
    /// Redis did not answer.
    #[error("Redis at {url} did not answer: {reason}")]
    Unreachable {
        /// The URL, without its password.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// The shared state of a node in a cluster, all on one connection.
#[derive(Debug, Clone)]
pub struct SharedState {
    /// The connection (the bus may share it).
    pub conn: RedisConn,
    /// The `kv` capability's store.
    pub kv: Arc<RedisKv>,
    /// Remembered rooms.
    pub memory: Arc<RedisRooms>,
    /// Rate windows.
    pub rates: Arc<RedisRates>,
}

/// Connects to `[cluster].redis_url` and builds the shared state under `key_prefix`, each call
/// bounded by `timeout_ms`. Call it on the server's (multi-thread) tokio runtime: the connection's
/// tasks run there.
///
/// # Errors
/// [`ClusterError`] when the section has no URL, the URL is unusable, or Redis does not answer PING.
pub async fn connect(section: &ClusterSection) -> Result<SharedState, ClusterError> {
    let url = section
        .redis_url
        .as_deref()
        .ok_or(ClusterError::NotConfigured)?;
    let conn = RedisConn::open(url, Duration::from_millis(section.timeout_ms)).await?;
    let prefix = &section.key_prefix;
    Ok(SharedState {
        kv: Arc::new(RedisKv::new(conn.clone(), prefix)),
        memory: Arc::new(RedisRooms::new(conn.clone(), prefix)),
        rates: Arc::new(RedisRates::new(conn.clone(), prefix)),
        conn,
    })
}
